"""Edits and the history that keeps them: undo, redo, limits and the memory budget."""

from __future__ import annotations

import numpy as np
import pytest

from sdstudio.session.history import (
    MAX_STEPS,
    MIN_STEPS,
    Edit,
    History,
    clamp_memory_mb,
    pixel_bytes,
    undo_step_limit,
    worst_step_bytes,
)
from sdstudio.session.project_model import trim_history
from tests.session.project_samples import noise, sample_project


def _stroke(title: str, size: int = 10) -> Edit:
    """A mask step holding ``2 * size * size`` bytes."""
    before = np.zeros((size, size), np.uint8)
    return Edit.mask_patch(title, (0, 0, size, size), before, before + 255)


def test_step_limit_follows_the_memory_budget():
    # 1000 x 1000: a worst step is 2 * 4 MB + 1 MB = 9 MB, so 900 MB hold 104 steps.
    assert worst_step_bytes(1000, 1000) == 9_000_000
    assert undo_step_limit(1000, 1000, 900) == 900 * 1024 * 1024 // 9_000_000
    assert undo_step_limit(6000, 4000, 1024) == MIN_STEPS  # 24 MP: a few steps at least
    assert undo_step_limit(64, 64, 1024) == MAX_STEPS
    assert undo_step_limit(1000, 1000, 2048) > undo_step_limit(1000, 1000, 1024)


def test_memory_setting_is_clamped():
    assert clamp_memory_mb(1) == 64 and clamp_memory_mb(10**9) == 64 * 1024


def test_undo_and_redo_walk_the_history():
    history = History()
    first, second = _stroke("Paint mask"), _stroke("Erase mask")
    history.push(first)
    history.push(second)
    assert history.done == [first, second] and history.next_redo is None
    assert history.undo() is second and history.undo() is first
    assert history.undo() is None and history.position == 0  # nothing before the photo
    assert history.redo() is first
    assert history.done == [first] and history.next_redo is second
    assert history.redo() is second and history.redo() is None


def test_a_new_edit_clears_what_was_undone():
    history = History()
    kept, undone, new = _stroke("Paint mask"), _stroke("Erase mask"), _stroke("Clear mask")
    history.push(kept)
    history.push(undone)
    history.undo()
    history.push(new)
    assert history.edits == [kept, new] and history.redo() is None


def test_the_step_limit_drops_the_oldest_edits():
    history = History(max_steps=3)
    strokes = [_stroke(f"Stroke {n}") for n in range(5)]
    dropped = [edit for stroke in strokes for edit in history.push(stroke)]
    assert dropped == strokes[:2] and history.done == strokes[2:]


def test_the_byte_budget_drops_the_oldest_edits_but_keeps_a_few():
    budget = 7 * 200  # seven strokes of 200 bytes
    history = History(budget_bytes=budget)
    strokes = [_stroke(f"Stroke {n}") for n in range(10)]
    for stroke in strokes:
        history.push(stroke)
    assert history.done == strokes[3:] and history.nbytes <= budget
    history.push(_stroke("Big", size=40))  # 3200 bytes: over budget on its own
    assert len(history) == MIN_STEPS and history.nbytes > budget
    assert history.set_limits(None, None) == [] and len(history) == MIN_STEPS


def test_arrays_shared_between_edits_count_once():
    image = noise(4, 5)
    upscaled = np.repeat(image, 2, axis=0)
    mask, bigger_mask = np.zeros((4, 5), np.uint8), np.zeros((8, 5), np.uint8)
    up = Edit.image_result("Enhance", {}, image, mask, upscaled)
    down = Edit.image_result("Shrink", {}, upscaled, bigger_mask, image, mask)
    assert up.nbytes == down.nbytes == 60 + 120 + 20 + 40
    assert pixel_bytes([up, down]) == 60 + 120 + 20 + 40 + 40  # up's empty mask is its own


def test_an_image_result_keeps_only_what_changed():
    image, mask = noise(6, 8), np.zeros((6, 8), np.uint8)
    result = image.copy()
    result[2:4, 1:6] = 0
    edit = Edit.image_result("Repair", {"task": "repair"}, image, mask, result)
    assert (edit.kind, edit.rect, edit.before.shape) == ("patch", (1, 2, 5, 2), (2, 5, 3))
    after_image, after_mask = edit.apply(image, mask)
    assert np.array_equal(after_image, result) and after_mask is mask
    assert np.array_equal(edit.revert(after_image, after_mask)[0], image)
    assert Edit.image_result("Enhance", {}, image, mask, image.copy()).kind == "none"
    assert Edit.mask_change("Set mask", mask, mask.copy()) is None


def test_a_resize_replaces_the_mask_and_undo_brings_it_back():
    image, mask = noise(6, 8), np.full((6, 8), 9, np.uint8)
    bigger = np.repeat(np.repeat(image, 2, axis=0), 2, axis=1)
    edit = Edit.image_result("Enhance x2", {}, image, mask, bigger)
    after_image, after_mask = edit.apply(image, mask)
    assert after_image.shape == (12, 16, 3) and after_mask.shape == (12, 16)
    assert not after_mask.any()  # a new size starts with an empty mask
    before_image, before_mask = edit.revert(after_image, after_mask)
    assert np.array_equal(before_image, image) and np.array_equal(before_mask, mask)
    inverted = Edit.mask_inversion().apply(image, mask)[1]
    assert (inverted == 246).all() and (mask == 9).all()  # the given arrays stay as they are


def test_an_edit_that_cannot_be_undone_is_refused():
    with pytest.raises(ValueError, match="rect"):
        Edit("Repair", {}, "patch", None, noise(2, 2), noise(2, 2))
    with pytest.raises(ValueError, match="replace the mask"):
        Edit("Enhance x2", {}, "replace", None, noise(2, 2), noise(4, 4))
    with pytest.raises(ValueError, match="cannot be a 'invert'"):
        Edit("Invert", {}, "invert", target="image")


def test_trim_drops_the_oldest_steps_into_the_base():
    project = sample_project()
    trimmed = trim_history(project, 2)
    assert [s.title for s in trimmed.steps] == ["Enhance x2", "Style: oil_painting"]
    *_, (_step, last, last_mask) = trimmed.replay()
    assert np.array_equal(last, project.current)
    assert np.array_equal(last_mask, project.mask)
    assert np.array_equal(trimmed.original, project.original)
    assert "2 oldest" in trimmed.notes[-1]
    assert len(project.steps) == 4  # the project trimmed from keeps its own history
    assert trim_history(project, 10) is project
    emptied = trim_history(project, 0)
    assert emptied.steps == [] and np.array_equal(emptied.base, project.current)
    with pytest.raises(ValueError):
        trim_history(project, -1)
