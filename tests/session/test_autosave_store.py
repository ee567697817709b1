from __future__ import annotations

import os
import time

import pytest

from sdstudio.paths import user_data_dir
from sdstudio.session import autosave_store
from sdstudio.session.autosave_store import (
    list_recoveries,
    new_session_id,
    recovery_path,
    remove_recovery,
    write_recovery,
)
from sdstudio.session.project_file import read_project
from tests.session.project_samples import sample_project


def test_recovery_files_live_in_the_user_data_folder():
    session = new_session_id()
    path = write_recovery(session, sample_project())
    assert path.parent == user_data_dir() / "recovery"
    assert path == recovery_path(session)
    assert read_project(path).steps[0].title == "Repair"


def test_list_newest_first_with_details_and_damaged_ones():
    first, second = new_session_id() + "a", new_session_id() + "b"
    write_recovery(first, sample_project())
    write_recovery(second, sample_project())
    os.utime(recovery_path(first), (time.time() - 100, time.time() - 100))
    broken = recovery_path("broken")
    broken.write_bytes(b"not a zip")
    entries = list_recoveries()
    assert [e.session_id for e in entries] == ["broken", second, first]
    assert entries[0].problem and "damaged" in entries[0].problem
    assert entries[1].source_path == "/photos/cat.jpg" and entries[1].steps == 4
    assert entries[1].source_name == "cat.jpg" and entries[1].problem is None


def test_remove_deletes_the_file_and_leftover_temporary_files():
    session = new_session_id()
    path = write_recovery(session, sample_project())
    leftover = path.parent / f".{path.name}.dead.part"
    leftover.write_bytes(b"half")
    remove_recovery(session)
    assert not path.exists() and not leftover.exists()
    remove_recovery(session)  # already gone: no error
    assert list_recoveries() == []


def test_a_failed_autosave_keeps_the_previous_one(monkeypatch):
    from sdstudio.session import project_file
    from sdstudio.session.project_file import ProjectSaveError

    session = new_session_id()
    path = write_recovery(session, sample_project())
    before = path.read_bytes()

    def full(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(project_file.os, "replace", full)
    with pytest.raises(ProjectSaveError, match="disk is full"):
        write_recovery(session, sample_project())
    assert path.read_bytes() == before


@pytest.mark.parametrize("bad", ["", "../x", "a/b"])
def test_session_ids_cannot_escape_the_folder(bad):
    with pytest.raises(ValueError):
        autosave_store.recovery_path(bad)
