from __future__ import annotations

import errno
import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sdstudio.session import project_file, project_reader
from sdstudio.session.project_file import (
    ProjectFileError,
    ProjectSaveError,
    read_manifest,
    read_project,
    write_project,
)
from sdstudio.session.project_model import trim_history
from tests.session.project_samples import noise, sample_project


def _entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rezip(path: Path, entries: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)


def _png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def saved(tmp_path) -> Path:
    path = tmp_path / "cat.sdsproj"
    write_project(path, sample_project())
    return path


@pytest.mark.parametrize("channels", [3, 4])
def test_round_trip_keeps_images_history_and_source(tmp_path, channels):
    project = sample_project(channels=channels)
    path = tmp_path / "p.sdsproj"
    write_project(path, project)
    loaded = read_project(path)
    for name in ("original", "base", "current", "mask"):
        assert np.array_equal(getattr(loaded, name), getattr(project, name)), name
    assert [s.kind for s in loaded.steps] == ["patch", "none", "replace", "patch"]
    assert loaded.steps[0].rect == (3, 2, 6, 4)
    assert loaded.history_params()[2] == {
        "title": "Enhance x2",
        "task": "enhance",
        "scale": 2,
        "upscaler": "lanczos",
    }
    assert loaded.steps[3].params["strength"] == 0.5
    states = [(image, mask) for _step, image, mask in loaded.replay()]
    assert np.array_equal(states[-1][0], project.current)
    assert np.array_equal(states[-1][1], project.mask)
    assert loaded.source == project.source
    assert loaded.created and loaded.modified and loaded.app_version
    manifest = read_manifest(path)
    assert manifest["format_version"] == 2 and manifest["image"]["width"] == 32


def test_a_trimmed_history_stores_its_own_base(tmp_path):
    project = trim_history(sample_project(), 1)
    assert not np.array_equal(project.base.shape, project.original.shape)
    path = tmp_path / "t.sdsproj"
    write_project(path, project)
    assert "history/base.png" in _entries(path)
    loaded = read_project(path)
    assert len(loaded.steps) == 1 and np.array_equal(loaded.base, project.base)
    assert np.array_equal(loaded.original, project.original)


def test_missing_entry_is_named(saved):
    entries = _entries(saved)
    del entries["mask.png"]
    _rezip(saved, entries)
    with pytest.raises(ProjectFileError, match="mask.png.*missing"):
        read_project(saved)


def test_image_of_the_wrong_size_is_refused(saved):
    entries = _entries(saved)
    entries["current.png"] = _png(noise(5, 5))
    _rezip(saved, entries)
    with pytest.raises(ProjectFileError, match="current image is 5 x 5"):
        read_project(saved)


def test_bad_json_is_refused(saved):
    entries = _entries(saved)
    entries["manifest.json"] = b"{not json"
    _rezip(saved, entries)
    with pytest.raises(ProjectFileError, match="not valid JSON"):
        read_project(saved)


def test_history_that_does_not_lead_to_the_current_image_is_refused(saved):
    entries = _entries(saved)
    entries["history/step-0004.png"] = _png(noise(10, 16, seed=99))
    _rezip(saved, entries)
    with pytest.raises(ProjectFileError, match="history does not lead"):
        read_project(saved)


def test_step_outside_the_image_is_refused(saved):
    entries = _entries(saved)
    manifest = json.loads(entries["manifest.json"])
    manifest["history"]["steps"][0]["rect"] = [12, 2, 6, 4]  # x + w > 16
    entries["manifest.json"] = json.dumps(manifest).encode()
    _rezip(saved, entries)
    with pytest.raises(ProjectFileError, match="outside the image"):
        read_project(saved)


def test_huge_declared_image_is_refused_before_decoding(saved):
    entries = _entries(saved)
    manifest = json.loads(entries["manifest.json"])
    manifest["original"].update(width=30000, height=30000)
    entries["manifest.json"] = json.dumps(manifest).encode()
    _rezip(saved, entries)
    with pytest.raises(ProjectFileError, match="outside SD Studio's limits"):
        read_project(saved)


def test_zip_bomb_is_refused_from_the_directory(tmp_path):
    path = tmp_path / "bomb.sdsproj"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", b"{}")
        archive.writestr("original.png", b"\0" * (8 * 1024 * 1024))
    assert path.stat().st_size < 64 * 1024
    with pytest.raises(ProjectFileError, match="implausible size"):
        read_project(path)


def test_total_size_limit(saved, monkeypatch):
    monkeypatch.setattr(project_reader, "MAX_TOTAL_BYTES", 100)
    with pytest.raises(ProjectFileError, match="more data than any project"):
        read_project(saved)


def test_newer_format_asks_for_an_update(saved):
    entries = _entries(saved)
    manifest = json.loads(entries["manifest.json"])
    manifest["format_version"] = 99
    entries["manifest.json"] = json.dumps(manifest).encode()
    _rezip(saved, entries)
    with pytest.raises(ProjectFileError, match="newer SD Studio"):
        read_project(saved)


def test_version_0_project_is_migrated(tmp_path):
    """The first preview wrote 'version': 0, an image size, file names and bare params."""
    original, current = noise(8, 10, seed=1), noise(8, 10, seed=2)
    mask = np.zeros((8, 10), np.uint8)
    mask[2:4, 2:4] = 200
    manifest = {
        "version": 0,
        "image_size": [10, 8],
        "files": {"original": "orig.png", "current": "now.png", "mask": "m.png"},
        "source_path": "/photos/old.png",
        "history": [
            {"title": "Repair", "task": "repair", "method": "telea"},
            {"title": "Style: ink", "task": "style", "preset": "ink"},
        ],
    }
    path = tmp_path / "old.sdsproj"
    _rezip(
        path,
        {
            "manifest.json": json.dumps(manifest).encode(),
            "orig.png": _png(original),
            "now.png": _png(current),
            "m.png": _png(mask),
        },
    )
    project = read_project(path)
    assert np.array_equal(project.original, original)
    assert np.array_equal(project.current, current) and np.array_equal(project.base, current)
    assert np.array_equal(project.mask, mask)
    assert project.steps == [] and project.source.path == "/photos/old.png"
    assert [step["title"] for step in project.legacy_history] == ["Repair", "Style: ink"]
    assert any("older SD Studio" in note for note in project.notes)
    # Saved again, it is a current-format file that keeps the old step list.
    write_project(path, project)
    assert read_manifest(path)["format_version"] == 2
    assert len(read_project(path).legacy_history) == 2
    assert np.array_equal(read_project(path).base_mask, mask)  # no mask history before


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 truncated", b"\x89PNG\r\n\x1a\n"])
def test_not_a_project(tmp_path, content):
    path = tmp_path / "x.sdsproj"
    path.write_bytes(content)
    with pytest.raises(ProjectFileError):
        read_project(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ProjectFileError, match="does not exist"):
        read_project(tmp_path / "nope.sdsproj")
    with pytest.raises(ProjectFileError, match="folder"):
        read_project(tmp_path)


def test_disk_full_keeps_the_previous_file(saved, monkeypatch):
    before = saved.read_bytes()

    def full(*_args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(project_file.os, "replace", full)
    with pytest.raises(ProjectSaveError, match="disk is full.*unchanged"):
        write_project(saved, trim_history(sample_project(), 0))
    assert saved.read_bytes() == before
    assert [p.name for p in saved.parent.iterdir()] == [saved.name]  # no temp file left
    read_project(saved)


def test_read_only_folder_is_explained(saved, monkeypatch):
    def read_only(*_args, **_kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(project_file.os, "open", read_only)
    with pytest.raises(ProjectSaveError, match="read-only or no permission"):
        write_project(saved, sample_project())
    read_project(saved)


def test_missing_folder(tmp_path):
    with pytest.raises(ProjectSaveError, match="does not exist"):
        write_project(tmp_path / "no" / "p.sdsproj", sample_project())


def test_file_mode_follows_umask(tmp_path):
    path = tmp_path / "p.sdsproj"
    write_project(path, sample_project())
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_saving_clears_what_a_killed_save_left_but_not_a_save_in_progress(tmp_path):
    path = tmp_path / "trip.sdsproj"
    killed = tmp_path / ".trip.sdsproj.dead0001.part"
    in_progress = tmp_path / ".trip.sdsproj.live0002.part"
    other = tmp_path / ".other.sdsproj.dead0003.part"
    for leftover in (killed, in_progress, other):
        leftover.write_bytes(b"half a zip")
    hour_ago = os.path.getmtime(killed) - 3600
    os.utime(killed, (hour_ago, hour_ago))
    os.utime(other, (hour_ago, hour_ago))
    write_project(path, sample_project())
    assert not killed.exists()
    assert in_progress.exists() and other.exists()  # someone else's, or still being written
    assert read_project(path).current.shape == sample_project().current.shape
