"""Models menu: adding a model file as a person would, and opening the models folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMessageBox

from sdstudio import paths
from sdstudio.app import model_menu


@pytest.fixture(autouse=True)
def _listing_mode_restored(monkeypatch):
    """The menu switches listings to background checking; later tests get it back off."""
    from sdstudio.engine import model_checks

    monkeypatch.setattr(model_checks, "_defer_on_main_thread", False)


def _menu(window):
    menu = window.services.models
    actions = {action.text().replace("&", ""): action for action in window.models_menu.actions()}
    return menu, actions


def _esrgan_file(folder: Path, name: str = "esrgan-x2.pth") -> Path:
    from spandrel.architectures.ESRGAN import ESRGAN

    torch.manual_seed(0)
    network = ESRGAN(in_nc=3, out_nc=3, num_filters=8, num_blocks=1, scale=2)
    path = folder / name
    torch.save(network.state_dict(), path)
    return path


def _choose(monkeypatch, path: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(path), ""))


def _combo_ids(combo) -> list[str]:
    return [combo.itemData(index) for index in range(combo.count())]


def _enhance_panel(window):
    for index in range(window.panel_tabs.count()):
        widget = window.panel_tabs.widget(index)
        if hasattr(widget, "model_combo") and hasattr(widget, "enhance_button"):
            return widget
    pytest.fail("no Enhance panel in window.panel_tabs")


def test_added_model_appears_in_the_enhance_panel(window, qtbot, tmp_path, monkeypatch):
    menu, actions = _menu(window)
    source = _esrgan_file(tmp_path)
    _choose(monkeypatch, source)
    panel = _enhance_panel(window)
    assert "community:esrgan-x2.pth" not in _combo_ids(panel.model_combo)

    actions["Add model file..."].trigger()
    qtbot.waitUntil(
        lambda: "community:esrgan-x2.pth" in _combo_ids(panel.model_combo), timeout=30000
    )

    copied = paths.user_models_dir() / "esrgan-x2.pth"
    assert copied.read_bytes() == source.read_bytes()
    assert source.exists()  # copied, never moved
    assert "ESRGAN x2" in window.statusBar().currentMessage()


def test_same_name_is_not_overwritten(window, qtbot, tmp_path, monkeypatch):
    menu, actions = _menu(window)
    existing = paths.user_models_dir() / "esrgan-x2.pth"
    existing.write_bytes(b"the user's own file")
    _choose(monkeypatch, _esrgan_file(tmp_path))
    actions["Add model file..."].trigger()
    second = paths.user_models_dir() / "esrgan-x2 (2).pth"
    qtbot.waitUntil(second.exists, timeout=30000)
    assert existing.read_bytes() == b"the user's own file"
    qtbot.waitUntil(lambda: menu.add_action.isEnabled(), timeout=30000)


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("kind", ["malicious", "truncated", "unknown"])
def test_bad_files_are_refused_with_a_reason(window, qtbot, tmp_path, monkeypatch, kind):
    menu, actions = _menu(window)
    marker = tmp_path / "pwned"
    bad = tmp_path / f"{kind}.pth"
    if kind == "malicious":
        torch.save({"w": torch.zeros(1), "x": _Payload(marker)}, bad)
        expected = "refused"
    elif kind == "truncated":
        data = _esrgan_file(tmp_path, "whole.pth").read_bytes()
        bad.write_bytes(data[: len(data) // 3])
        expected = "damaged"
    else:
        torch.save({"mystery.layer": torch.zeros(2, 2)}, bad)
        expected = "unknown network architecture"
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: warnings.append(text))
    _choose(monkeypatch, bad)
    actions["Add model file..."].trigger()
    qtbot.waitUntil(lambda: bool(warnings), timeout=30000)
    assert expected in warnings[0] and bad.name in warnings[0]
    assert not (paths.user_models_dir() / bad.name).exists()
    assert not marker.exists()


def test_open_models_folder(window, monkeypatch):
    _menu_obj, actions = _menu(window)
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    actions["Open models folder"].trigger()
    assert Path(opened[0].toLocalFile()) == paths.user_models_dir()


def test_file_dropped_in_the_folder_is_checked_off_the_gui_thread(window, qtbot, monkeypatch):
    import threading

    from sdstudio.engine import catalog
    from sdstudio.engine.backends import model_index

    loaded_on = []
    real = model_index.inspect_file
    monkeypatch.setattr(
        model_index,
        "inspect_file",
        lambda path: loaded_on.append(threading.current_thread().name) or real(path),
    )
    menu, _actions = _menu(window)
    qtbot.waitUntil(lambda: menu.scans_done >= 1, timeout=30000)
    _esrgan_file(paths.user_models_dir(), "dropped.pth")  # by hand, in the file manager
    listing = catalog.scan_catalog()  # what a panel does on the GUI thread
    assert not any(m.id == "community:dropped.pth" for m in listing.methods)
    assert any("being checked" in p.message for p in listing.problems)
    assert loaded_on == []

    menu.check_new_files()
    panel = _enhance_panel(window)
    qtbot.waitUntil(lambda: "community:dropped.pth" in _combo_ids(panel.model_combo), timeout=30000)
    assert loaded_on and threading.main_thread().name not in loaded_on


def test_model_problems_lists_each_unusable_file_with_its_reason(window, monkeypatch):
    (paths.user_models_dir() / "half.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00")
    _menu_obj, actions = _menu(window)
    shown = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text: shown.append(text))
    actions["Model problems..."].trigger()
    assert "half.safetensors" in shown[0] and "too short" in shown[0]


def test_menu_says_how_to_enable_stable_diffusion_when_missing(window, monkeypatch):
    from sdstudio.engine.backends import diffusion_files

    monkeypatch.setattr(diffusion_files, "diffusers_available", lambda: False)
    menu = model_menu.ModelMenu(window, window.models_menu)
    assert menu.diffusion_action is not None and not menu.diffusion_action.isEnabled()
    assert 'pip install "sdstudio[diffusion]"' in menu.diffusion_action.toolTip()


def _own_model_with_metadata(folder: Path, **changes: str) -> Path:
    """A model SD Studio saved, then its metadata edited (as a mislabelled file would be)."""
    from tests.engine.helpers import rewrite_metadata, save_tiny_enhance_model

    path = save_tiny_enhance_model(folder, 2, name="edited-x2")
    rewrite_metadata(path, **changes)
    return path


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"architecture": "no_such_net"}, "does not have"),
        ({"hyperparameters": '{"convs": 2, "features": 16, "scale": 2}'}, "does not match"),
        ({"hyperparameters": '{"bogus": 1}'}, "hyperparameters"),
    ],
)
def test_own_files_the_catalog_would_refuse_are_refused(
    window, qtbot, tmp_path, monkeypatch, changes, expected
):
    menu, actions = _menu(window)
    bad = _own_model_with_metadata(tmp_path, **changes)
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: warnings.append(text))
    _choose(monkeypatch, bad)
    actions["Add model file..."].trigger()
    qtbot.waitUntil(lambda: bool(warnings), timeout=30000)
    assert expected in warnings[0] and bad.name in warnings[0]
    assert list(paths.user_models_dir().iterdir()) == []  # nothing was copied
    qtbot.waitUntil(lambda: menu.add_action.isEnabled(), timeout=30000)


def test_an_added_own_model_is_offered_at_once(window, qtbot, tmp_path, monkeypatch):
    from sdstudio.engine import model_checks
    from tests.engine.helpers import save_tiny_enhance_model

    menu, actions = _menu(window)
    # At start-up the GUI thread cannot compare weights itself (torch is still loading).
    monkeypatch.setattr(model_checks, "_torch_ready", lambda: False)
    _choose(monkeypatch, save_tiny_enhance_model(tmp_path, 2, name="mine-x2"))
    panel = _enhance_panel(window)
    actions["Add model file..."].trigger()
    # Listed by the GUI thread's refresh right away: its check was remembered for the copy.
    qtbot.waitUntil(lambda: "mine-x2" in _combo_ids(panel.model_combo), timeout=30000)
    assert (paths.user_models_dir() / "mine-x2.safetensors").is_file()


def test_own_file_dropped_in_the_folder_is_checked_off_the_gui_thread(
    window, qtbot, tmp_path, monkeypatch
):
    import shutil
    import threading

    from sdstudio.engine import catalog, model_checks
    from tests.engine.helpers import save_tiny_enhance_model

    menu, _actions = _menu(window)
    qtbot.waitUntil(lambda: menu.scans_done >= 1, timeout=30000)
    monkeypatch.setattr(model_checks, "_defer_on_main_thread", True)  # as the GUI runs
    monkeypatch.setattr(model_checks, "_torch_ready", lambda: False)  # still starting up
    compared_on = []
    real = model_checks.compare_weights_now
    monkeypatch.setattr(
        model_checks,
        "compare_weights_now",
        lambda info: compared_on.append(threading.current_thread().name) or real(info),
    )
    made = save_tiny_enhance_model(tmp_path, 2, name="dropped-x2")
    compared_on.clear()
    shutil.copyfile(made, paths.user_models_dir() / made.name)  # by hand, in the file manager
    listing = catalog.scan_catalog()  # what a panel does on the GUI thread
    assert not any(m.id == "dropped-x2" for m in listing.methods)
    assert any("being checked" in p.message for p in listing.problems)
    assert compared_on == []

    menu.check_new_files()
    panel = _enhance_panel(window)
    qtbot.waitUntil(lambda: "dropped-x2" in _combo_ids(panel.model_combo), timeout=30000)
    assert compared_on and threading.main_thread().name not in compared_on
