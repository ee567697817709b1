"""Mask edits are history steps too: built, trimmed, written, read and migrated."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sdstudio.session.autosave_store import list_recoveries, new_session_id, write_recovery
from sdstudio.session.project_file import (
    ProjectFileError,
    read_manifest,
    read_project,
    write_project,
)
from sdstudio.session.project_model import SourceInfo, build_project, trim_history
from tests.session.project_samples import (
    mask_sample_history,
    sample_project,
    sample_project_with_mask_steps,
)

DATA = Path(__file__).parent / "data"
TITLES = [
    "Paint mask",
    "Repair",
    "Invert mask",
    "Enhance x2",
    "Paint mask",
    "Style: ink",
    "Erase mask",
]


def _entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rezip(path: Path, entries: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)


def _edit_manifest(path: Path, change) -> None:
    entries = _entries(path)
    manifest = json.loads(entries["manifest.json"])
    change(manifest)
    entries["manifest.json"] = json.dumps(manifest).encode()
    _rezip(path, entries)


def _assert_replays(project, states) -> None:
    replayed = list(project.replay())
    assert len(replayed) == len(states)
    for number, ((_step, image, mask), (want_image, want_mask)) in enumerate(
        zip(replayed, states, strict=True), 1
    ):
        assert np.array_equal(image, want_image), f"image after step {number}"
        assert np.array_equal(mask, want_mask), f"mask after step {number}"


def test_build_project_keeps_every_step_in_order():
    project, states = sample_project_with_mask_steps()
    assert [step.title for step in project.steps] == TITLES
    assert [step.target for step in project.steps] == [
        "mask", "image", "mask", "image", "mask", "image", "mask"
    ]  # fmt: skip
    assert [step.kind for step in project.steps] == [
        "patch", "patch", "invert", "replace", "patch", "patch", "patch"
    ]  # fmt: skip
    assert not project.base_mask.any() and project.base_mask.shape == (12, 16)
    assert project.notes == []
    _assert_replays(project, states)
    # Like Document.history_params: the jobs, which can be run again, not the strokes.
    assert [step["title"] for step in project.history_params()] == [
        "Repair",
        "Enhance x2",
        "Style: ink",
    ]


@pytest.mark.parametrize("channels", [3, 4])
def test_round_trip_keeps_every_mask_step(tmp_path, channels):
    project, states = sample_project_with_mask_steps(channels)
    path = tmp_path / "dog.sdsproj"
    write_project(path, project)
    manifest = read_manifest(path)
    assert manifest["format_version"] == 2
    assert manifest["history"]["base_mask"] == "empty"
    assert manifest["history"]["steps"][3]["mask"] == "empty"  # the resize left no mask
    assert "history/step-0005.png" in _entries(path)  # the second stroke's pixels
    loaded = read_project(path)
    assert [step.title for step in loaded.steps] == TITLES
    for saved, read in zip(project.steps, loaded.steps, strict=True):
        assert (read.target, read.kind, read.rect) == (saved.target, saved.kind, saved.rect)
        for name in ("after", "mask_after"):
            a, b = getattr(saved, name), getattr(read, name)
            assert (a is None) == (b is None) and (a is None or np.array_equal(a, b)), name
    assert np.array_equal(loaded.base_mask, project.base_mask)
    assert np.array_equal(loaded.mask, states[-1][1])
    _assert_replays(loaded, states)
    session = new_session_id()
    write_recovery(session, project)
    [entry] = [entry for entry in list_recoveries() if entry.session_id == session]
    assert entry.steps == len(TITLES)  # what the recovery dialog counts: every edit


def test_a_trimmed_history_keeps_the_mask_before_its_first_step(tmp_path):
    project, states = sample_project_with_mask_steps()
    trimmed = trim_history(project, 2)  # keeps "Style: ink" and "Erase mask"
    assert [step.title for step in trimmed.steps] == ["Style: ink", "Erase mask"]
    before_kept_image, before_kept_mask = states[-3]
    assert np.array_equal(trimmed.base, before_kept_image)
    assert np.array_equal(trimmed.base_mask, before_kept_mask) and trimmed.base_mask.any()
    path = tmp_path / "trimmed.sdsproj"
    write_project(path, trimmed)
    assert "history/base-mask.png" in _entries(path)
    loaded = read_project(path)
    assert np.array_equal(loaded.base_mask, before_kept_mask)
    _assert_replays(loaded, states[-2:])
    # Dropping every step folds the masks in too: the base is the current state.
    emptied = trim_history(project, 0)
    assert np.array_equal(emptied.base_mask, project.mask)


def test_a_base_mask_equal_to_the_current_mask_is_stored_once(tmp_path):
    project, _states = sample_project_with_mask_steps()
    folded = trim_history(project, 0)  # no steps left: the base mask is the current mask
    assert folded.base_mask.any()
    path = tmp_path / "folded.sdsproj"
    write_project(path, folded)
    assert read_manifest(path)["history"]["base_mask"]["entry"] == "mask.png"
    assert "history/base-mask.png" not in _entries(path)
    assert np.array_equal(read_project(path).base_mask, project.mask)


def test_mask_painting_that_is_not_an_undo_step_yet_is_left_out():
    """An autosave taken while the brush is still down: the stroke is in the mask already."""
    original, edits, states = mask_sample_history()
    image, mask = states[-1]
    mid_stroke = mask.copy()
    mid_stroke[4:12, 0:12] = 255  # painted after the size change, over later steps
    rebuilt = build_project(original, image, mid_stroke, edits, SourceInfo())
    assert [step.title for step in rebuilt.steps] == TITLES  # the history is kept
    assert np.array_equal(rebuilt.current, image)
    assert np.array_equal(rebuilt.mask, mask)  # without the unfinished stroke
    assert any("not finished" in note for note in rebuilt.notes)
    _assert_replays(rebuilt, states)


@pytest.fixture
def saved(tmp_path) -> Path:
    path = tmp_path / "dog.sdsproj"
    write_project(path, sample_project_with_mask_steps()[0])
    return path


def test_a_mask_step_that_does_not_lead_to_the_mask_is_refused(saved):
    entries = _entries(saved)
    buffer = io.BytesIO()
    Image.fromarray(np.full((6, 10), 77, np.uint8)).save(buffer, "PNG")
    entries["history/step-0005.png"] = buffer.getvalue()  # the second stroke, altered
    _rezip(saved, entries)
    with pytest.raises(ProjectFileError, match="does not lead to its current mask"):
        read_project(saved)


def test_a_mask_step_outside_the_mask_is_refused(saved):
    def move(manifest):
        manifest["history"]["steps"][0]["rect"] = [14, 1, 5, 3]  # x + w > 16

    _edit_manifest(saved, move)
    with pytest.raises(ProjectFileError, match="outside the image"):
        read_project(saved)


def test_a_colour_patch_on_the_mask_is_refused(saved):
    def recolour(manifest):
        manifest["history"]["steps"][0]["pixels"]["channels"] = 3

    _edit_manifest(saved, recolour)
    with pytest.raises(ProjectFileError, match="3 channels"):
        read_project(saved)


def test_a_resize_that_does_not_say_what_mask_it_left_is_refused(saved):
    def forget(manifest):
        del manifest["history"]["steps"][3]["mask"]

    _edit_manifest(saved, forget)
    with pytest.raises(ProjectFileError, match="resizes the image but not the mask"):
        read_project(saved)


def test_an_unknown_step_target_is_refused(saved):
    def retarget(manifest):
        manifest["history"]["steps"][2]["target"] = "layer"

    _edit_manifest(saved, retarget)
    with pytest.raises(ProjectFileError, match="unknown part 'layer'"):
        read_project(saved)


# Written by SD Studio's format-1 writer (before mask steps) from sample_project():
# format1_resized holds all of it, format1_same_size only its last step (trimmed).


def test_a_format_1_project_without_size_change_keeps_its_mask_at_every_step(tmp_path):
    expected = trim_history(sample_project(), 1)
    path = tmp_path / "old.sdsproj"
    shutil.copy(DATA / "format1_same_size.sdsproj", path)
    assert json.loads(_entries(path)["manifest.json"])["format_version"] == 1
    project = read_project(path)
    assert [(step.title, step.target) for step in project.steps] == [
        ("Style: oil_painting", "image")
    ]
    assert np.array_equal(project.current, expected.current)
    assert np.array_equal(project.base, expected.base)
    assert np.array_equal(project.base_mask, expected.mask)  # painted before, as far as known
    [(_step, image, mask)] = project.replay()
    assert np.array_equal(image, expected.current) and np.array_equal(mask, expected.mask)
    write_project(path, project)  # saved again: the current format
    assert read_manifest(path)["format_version"] == 2
    assert np.array_equal(read_project(path).base_mask, expected.mask)


def test_a_format_1_project_with_a_size_change_opens_with_the_mask_after_it(tmp_path):
    expected = sample_project()
    project = read_project(DATA / "format1_resized.sdsproj")
    assert project.history_params() == expected.history_params()
    assert [step.target for step in project.steps] == ["image"] * 4
    assert not project.base_mask.any() and project.base_mask.shape == (12, 16)
    masks = [mask for _step, _image, mask in project.replay()]
    assert not masks[0].any() and not masks[1].any()  # before the size change: unknown
    assert np.array_equal(masks[2], expected.mask)  # from the last size change on
    assert np.array_equal(masks[3], expected.mask)
    assert np.array_equal(project.mask, expected.mask)
    assert np.array_equal(project.current, expected.current)
    path = tmp_path / "again.sdsproj"
    write_project(path, project)
    manifest = read_manifest(path)
    assert manifest["history"]["steps"][2]["mask"]["entry"] == "history/step-0003-mask.png"
    assert np.array_equal(read_project(path).steps[2].mask_after, expected.mask)
