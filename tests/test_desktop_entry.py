"""The Linux launcher entry and the script that installs it with the app icon."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
LINUX = ROOT / "resources" / "linux"
ICONS = ROOT / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)

pytestmark = pytest.mark.skipif(
    sys.platform != "linux" or shutil.which("bash") is None, reason="Linux desktop entry"
)


def _entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_entry_names_the_app_icon_and_image_types():
    entry = _entry(LINUX / "sdstudio.desktop")
    assert entry["Type"] == "Application" and entry["Name"] == "SD Studio"
    assert entry["Icon"] == "sdstudio" and entry["Terminal"] == "false"
    assert entry["Exec"].endswith("%f")
    # The X11 WM_CLASS class Qt derives from the application name ("SD Studio"), so
    # docks group the running window under this entry.
    assert entry["StartupWMClass"] == "SD Studio"
    assert "image/jpeg" in entry["MimeType"] and "Graphics" in entry["Categories"]


@pytest.mark.parametrize("size", SIZES)
def test_icon_png_has_its_size_and_transparent_corners(size):
    image = Image.open(ICONS / f"sdstudio-{size}.png")
    assert image.size == (size, size) and image.mode == "RGBA"
    assert image.getpixel((0, 0))[3] == 0  # rounded tile: corners are see-through
    assert image.getpixel((size // 2, size // 2))[3] == 255


def test_windows_icon_holds_every_size():
    sizes = Image.open(ICONS / "sdstudio.ico").info["sizes"]
    assert {(16, 16), (32, 32), (48, 48), (256, 256)} <= set(sizes)


def _install(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "share"), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        ["bash", str(LINUX / "install-desktop-entry.sh"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_install_script_adds_entry_with_absolute_exec_and_icons_then_removes_them(tmp_path):
    app_dir = tmp_path / "My Apps" / "sdstudio"
    app_dir.mkdir(parents=True)
    executable = app_dir / "sdstudio"
    executable.write_text("#!/bin/sh\n")
    executable.chmod(0o755)

    done = _install(tmp_path, str(executable))
    assert done.returncode == 0, done.stderr

    installed = tmp_path / "share" / "applications" / "sdstudio.desktop"
    entry = _entry(installed)
    assert entry["Exec"] == f'"{executable}" %f'  # quoted: the path has a space
    assert entry["TryExec"] == str(executable)
    assert entry["Icon"] == "sdstudio"
    theme = tmp_path / "share" / "icons" / "hicolor"
    for size in SIZES:
        assert (theme / f"{size}x{size}" / "apps" / "sdstudio.png").is_file()
    assert (theme / "scalable" / "apps" / "sdstudio.svg").is_file()

    removed = _install(tmp_path, "--uninstall")
    assert removed.returncode == 0, removed.stderr
    assert not installed.exists()
    assert not (theme / "48x48" / "apps" / "sdstudio.png").exists()


def test_install_script_refuses_a_missing_executable(tmp_path):
    done = _install(tmp_path, str(tmp_path / "nowhere" / "sdstudio"))
    assert done.returncode == 1
    assert "Not an executable file" in done.stderr
    assert not (tmp_path / "share" / "applications" / "sdstudio.desktop").exists()
