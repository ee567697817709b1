"""A project file (or an autosave) does not choose where Ctrl+S writes: its manifest's
source path may name any folder, so after opening one Save asks, offering a new name
beside the project, and nothing is written where the manifest points."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QKeySequence

from sdstudio.app import settings as keys
from sdstudio.app.autosave import Autosave
from sdstudio.session.autosave_store import write_recovery
from sdstudio.session.project_file import write_project
from tests.session.project_samples import sample_project


def _project_naming(elsewhere: Path):
    project = sample_project(height=24, width=32)
    project.source.path = str(elsewhere / "cat.jpg")  # a folder the person never chose
    return project


@pytest.fixture
def elsewhere(tmp_path) -> Path:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


@pytest.fixture
def projects(tmp_path) -> Path:
    folder = tmp_path / "projects"
    folder.mkdir()
    return folder


def _press_ctrl_s(window) -> None:
    save = window.actions_.save
    assert QKeySequence(QKeySequence.StandardKey.Save) in save.shortcuts()
    assert save.isEnabled()
    save.trigger()


def _record_save_dialog(window, monkeypatch, answer=None) -> list[Path]:
    asked: list[Path] = []

    def ask(suggested: Path):
        asked.append(suggested)
        return None if answer is None else (answer(suggested), None)

    monkeypatch.setattr(window, "ask_save_path", ask)
    monkeypatch.setattr(window, "ask_quality", lambda name, quality: quality)
    return asked


def test_ctrl_s_after_open_project_asks_beside_the_project(
    window, elsewhere, projects, monkeypatch
):
    path = projects / "trip.sdsproj"
    write_project(path, _project_naming(elsewhere))
    assert window.project_actions.open_project_file(path) and not window.errors
    asked = _record_save_dialog(window, monkeypatch)  # the person cancels
    _press_ctrl_s(window)
    assert list(elsewhere.iterdir()) == []
    assert asked == [projects / "trip_edited.jpg"]
    assert sorted(p.name for p in projects.iterdir()) == ["trip.sdsproj"]


def test_the_offered_name_never_replaces_a_file_and_later_saves_go_there(
    window, elsewhere, projects, monkeypatch
):
    path = projects / "trip.sdsproj"
    write_project(path, _project_naming(elsewhere))
    (projects / "trip_edited.jpg").write_bytes(b"someone's earlier export")
    assert window.project_actions.open_project_file(path)
    asked = _record_save_dialog(window, monkeypatch, answer=lambda suggested: suggested)
    _press_ctrl_s(window)
    assert asked == [projects / "trip_edited-2.jpg"]
    assert (projects / "trip_edited-2.jpg").stat().st_size > 0
    assert (projects / "trip_edited.jpg").read_bytes() == b"someone's earlier export"
    _press_ctrl_s(window)  # the person chose that file: no second question
    assert len(asked) == 1 and not window.document.is_modified()
    assert list(elsewhere.iterdir()) == []


def test_ctrl_s_after_a_restored_autosave_asks_in_the_last_folder(
    window, elsewhere, tmp_path, monkeypatch
):
    mine = tmp_path / "mine"
    mine.mkdir()
    window.settings.setValue(keys.KEY_LAST_FOLDER, str(mine))
    write_recovery("20260101-000000-1-dead", _project_naming(elsewhere))
    monkeypatch.setattr(Autosave, "ask_restore", lambda self, entry: "restore")
    assert window.autosave.offer_recovery()
    asked = _record_save_dialog(window, monkeypatch)
    _press_ctrl_s(window)
    assert asked == [mine / "cat_edited.jpg"]
    assert list(elsewhere.iterdir()) == [] and list(mine.iterdir()) == []


def test_a_photo_opened_after_a_project_saves_beside_itself_again(
    window, elsewhere, projects, photo_file, monkeypatch
):
    write_project(projects / "trip.sdsproj", _project_naming(elsewhere))
    assert window.project_actions.open_project_file(projects / "trip.sdsproj")
    assert window.open_path(photo_file)
    asked = _record_save_dialog(window, monkeypatch)
    window.document.apply_result("Edit", window.document.image.copy(), {"task": "test"})
    _press_ctrl_s(window)
    assert asked == [] and photo_file.with_name("photo_edited.png").exists()
    assert window.project_actions.suggested_project_path() == photo_file.with_suffix(".sdsproj")
