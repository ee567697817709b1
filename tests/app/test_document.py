from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sdstudio.app.document import Document
from sdstudio.errors import MaskError
from sdstudio.imaging.image_io import LoadedImage
from tests.app.conftest import make_photo


@pytest.fixture
def document(qapp):
    doc = Document()
    doc.open_loaded(LoadedImage(pixels=make_photo(64, 48), path=Path("/photos/cat.jpg")))
    return doc


def test_open_loaded_sets_image_original_and_an_empty_mask(qtbot):
    doc = Document()
    pixels = make_photo(64, 48)
    with qtbot.waitSignals([doc.document_replaced, doc.path_changed]):
        doc.open_loaded(LoadedImage(pixels=pixels, path=Path("/photos/cat.jpg")))
    assert doc.has_image() and np.array_equal(doc.image, pixels)
    assert np.array_equal(doc.original, pixels)
    assert doc.mask.shape == (48, 64) and doc.mask_is_empty()
    assert doc.path == Path("/photos/cat.jpg") and not doc.is_modified()
    assert doc.undo_stack.count() == 0


def test_set_mask_is_one_undo_step(document, qtbot):
    mask = np.zeros((48, 64), np.uint8)
    mask[10:20, 5:15] = 255
    with qtbot.waitSignal(document.modified_changed, check_params_cb=lambda m: m is True):
        document.set_mask(mask)
    assert np.array_equal(document.mask, mask)
    document.undo_stack.undo()
    assert document.mask_is_empty() and not document.is_modified()
    document.undo_stack.redo()
    assert np.array_equal(document.mask, mask)


def test_set_mask_of_the_wrong_size_is_refused(document):
    with pytest.raises(MaskError, match="64x48"):
        document.set_mask(np.zeros((10, 10), np.uint8))


def test_clear_and_invert_mask_undo(document):
    mask_array = document.mask  # views of this buffer (the canvas's QImage) must stay valid
    mask = np.zeros((48, 64), np.uint8)
    mask[0:5] = 200
    document.set_mask(mask)
    document.invert_mask()
    assert document.mask[0, 0] == 55 and document.mask[30, 30] == 255
    document.undo_stack.undo()
    assert np.array_equal(document.mask, mask)
    document.clear_mask()
    assert document.mask_is_empty()
    assert document.undo_stack.count() == 2  # set, clear (the undone invert was dropped)
    document.undo_stack.undo()
    assert np.array_equal(document.mask, mask)
    assert document.mask is mask_array


def test_apply_result_same_size_is_one_step_and_undo_restores(document, qtbot):
    before = document.image.copy()
    result = before.copy()
    result[5:10, 20:30] = 0
    with qtbot.waitSignal(document.image_changed) as blocker:
        document.apply_result("Repair", result, {"task": "repair", "method": "telea"})
    rect = blocker.args[0]
    assert (rect.x(), rect.y(), rect.width(), rect.height()) == (20, 5, 10, 5)
    assert np.array_equal(document.image, result)
    assert document.history_params() == [{"title": "Repair", "task": "repair", "method": "telea"}]
    document.undo_stack.undo()
    assert np.array_equal(document.image, before)
    assert document.history_params() == []
    assert np.array_equal(document.original, before)


def test_apply_result_of_a_new_size_clears_mask_and_undo_restores_it(document, qtbot):
    mask = np.zeros((48, 64), np.uint8)
    mask[1:3, 1:3] = 255
    document.set_mask(mask)
    bigger = np.repeat(np.repeat(document.image, 2, axis=0), 2, axis=1)
    with qtbot.waitSignal(document.document_replaced):
        document.apply_result("Enhance x2", bigger, {"task": "enhance", "scale": 2})
    assert document.image.shape == (96, 128, 3) and document.mask.shape == (96, 128)
    assert document.mask_is_empty()
    with qtbot.waitSignal(document.document_replaced):
        document.undo_stack.undo()
    assert document.image.shape == (48, 64, 3) and np.array_equal(document.mask, mask)


def test_alpha_is_kept(qapp):
    doc = Document()
    rgba = np.dstack([make_photo(20, 10), np.full((10, 20), 77, np.uint8)])
    doc.open_loaded(LoadedImage(pixels=rgba, path=Path("a.png")))
    assert doc.image.shape == (10, 20, 4) and doc.image[0, 0, 3] == 77


def test_changed_bounds_matches_a_full_comparison_for_any_change():
    from sdstudio.session.history import changed_bounds

    rng = np.random.default_rng(5)
    for _ in range(200):
        height, width = (int(v) for v in rng.integers(1, 90, 2))
        channels = int(rng.choice([0, 3, 4]))
        shape = (height, width) if channels == 0 else (height, width, channels)
        before = rng.integers(0, 3, shape).astype(np.uint8)
        after = before.copy()
        for _ in range(int(rng.integers(0, 3))):
            after[rng.integers(0, height), rng.integers(0, width)] += 1
        diff = before != after
        diff = diff.any(axis=2) if diff.ndim == 3 else diff
        rows, cols = np.flatnonzero(diff.any(axis=1)), np.flatnonzero(diff.any(axis=0))
        expected = None
        if rows.size:
            expected = (cols[0], rows[0], cols[-1] - cols[0] + 1, rows[-1] - rows[0] + 1)
        assert changed_bounds(before, after) == expected


def test_steps_over_the_memory_budget_go_oldest_first(document):
    """The stack drops by count only; steps the byte budget dropped undo nothing and go."""
    small = document.image.copy()
    big = np.repeat(np.repeat(small, 4, axis=0), 4, axis=1)  # 147 kB: about 210 kB a step
    assert document.set_history_limits(200, 1_200_000)
    for value in range(8):
        image = small if value % 2 == 0 else big
        document.apply_result(f"Size {value}", np.full_like(image, value), {"task": "test"})
    stack, history = document.undo_stack, document.history
    kept = len(history)
    assert kept < stack.count() and history.nbytes <= 1_200_000
    assert [edit.title for edit in history.done] == [f"Size {n}" for n in range(8 - kept, 8)]
    for _ in range(kept):
        stack.undo()
    start = document.image.copy()
    while stack.canUndo():
        stack.undo()  # a dropped step: nothing changes, and its entry goes
    assert np.array_equal(document.image, start) and stack.count() == kept
    for _ in range(kept):
        stack.redo()
    assert document.image.shape == big.shape and (document.image == 7).all()
    assert not document.set_history_limits(5, None)  # only while the stack is empty
