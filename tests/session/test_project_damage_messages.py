"""A damaged project file is explained in words: the file, that it is damaged, and which
part cannot be read (never an exception's class name such as zlib's "error")."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from sdstudio.session.project_file import (
    ProjectFileError,
    read_manifest,
    read_project,
    write_project,
)
from tests.session.project_samples import sample_project


def _damage_entry(path: Path, entry: str) -> None:
    """Flips bytes inside ``entry``'s stored data, leaving the zip directory intact."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(entry)
    with path.open("rb") as handle:
        handle.seek(info.header_offset + 26)
        name_length, extra_length = (int.from_bytes(handle.read(2), "little") for _ in range(2))
    start = info.header_offset + 30 + name_length + extra_length
    for offset in range(start + 4, start + min(40, info.compress_size - 4)):
        data[offset] ^= 0x5A
    path.write_bytes(bytes(data))


@pytest.fixture
def project_path(tmp_path) -> Path:
    path = tmp_path / "holiday.sdsproj"
    write_project(path, sample_project())
    return path


@pytest.mark.parametrize("reader", [read_project, read_manifest])
def test_a_damaged_manifest_names_the_file_and_the_manifest(project_path, reader):
    _damage_entry(project_path, "manifest.json")  # deflated: zlib fails to unpack it
    with pytest.raises(ProjectFileError) as error:
        reader(project_path)
    message = str(error.value)
    assert "(error)" not in message
    assert message.startswith("'holiday.sdsproj' cannot be opened: it is damaged")
    assert "its manifest (the list of its images and edits) cannot be read" in message
    assert "compressed data is corrupt" in message


def test_a_damaged_image_names_the_image_not_a_broken_zip(project_path):
    _damage_entry(project_path, "current.png")  # stored: only the checksum notices
    with pytest.raises(ProjectFileError) as error:
        read_project(project_path)
    message = str(error.value)
    assert "not a valid zip file" not in message
    assert "it is damaged, so the current image cannot be read" in message
    assert "checksum" in message and "current.png" in message
