from __future__ import annotations

import numpy as np

from sdstudio.app.mask_tools import BrushSettings, MaskStroke, paint_capsule


def test_dab_is_round_and_as_large_as_the_brush():
    mask = np.zeros((50, 50), np.uint8)
    paint_capsule(mask, (25.0, 25.0), (25.0, 25.0), BrushSettings(size=20, hardness=1.0))
    assert mask[25, 25] == 255
    assert mask[25, 16] == 255 and mask[25, 33] == 255  # 8.5 px from the centre: inside
    assert mask[25, 13] == 0 and mask[25, 36] == 0  # beyond the radius of 10
    assert mask[16, 16] == 0  # the corner of the bounding square stays empty
    assert mask.sum() > 0.75 * np.pi * 10**2 * 255


def test_soft_brush_fades_towards_its_edge():
    mask = np.zeros((60, 60), np.uint8)
    paint_capsule(mask, (30.0, 30.0), (30.0, 30.0), BrushSettings(size=40, hardness=0.0))
    row = mask[30, 30:51].astype(int)
    assert row[0] > 240 and row[-1] == 0
    assert np.all(np.diff(row) <= 0)  # never gets stronger going outwards
    assert 60 < row[10] < 200


def test_fast_segment_leaves_no_gaps():
    mask = np.zeros((40, 600), np.uint8)
    paint_capsule(mask, (5.5, 20.5), (590.5, 20.5), BrushSettings(size=3, hardness=1.0))
    assert np.all(mask[20, 6:590] == 255)
    assert np.all(mask[:17] == 0) and np.all(mask[24:] == 0)


def test_eraser_removes_paint_only_under_the_brush():
    mask = np.full((30, 30), 255, np.uint8)
    paint_capsule(mask, (5.0, 15.0), (25.0, 15.0), BrushSettings(6, 1.0), erase=True)
    assert np.all(mask[15, 5:25] == 0)
    assert np.all(mask[0:5] == 255)


def test_painting_outside_the_mask_is_ignored():
    mask = np.zeros((10, 10), np.uint8)
    assert paint_capsule(mask, (-50.0, -50.0), (-40.0, -40.0), BrushSettings(4, 1.0)) is None
    assert not mask.any()


def test_stroke_record_holds_only_the_changed_rect_and_reverts_exactly():
    rng = np.random.default_rng(0)
    mask = (rng.random((1000, 1500)) > 0.9).astype(np.uint8) * 200
    start = mask.copy()
    stroke = MaskStroke(mask, BrushSettings(size=10, hardness=0.5))
    stroke.begin((300.0, 400.0))
    for x in range(310, 700, 37):
        stroke.move_to((float(x), 420.0))
    record = stroke.finish()
    x, y, w, h = record.rect
    assert w < 420 and h < 40  # the brush's path, not the whole mask
    assert record.before.shape == record.after.shape == (h, w)
    assert np.array_equal(record.before, start[y : y + h, x : x + w])
    assert np.array_equal(record.after, mask[y : y + h, x : x + w])
    outside = np.ones(mask.shape, bool)
    outside[y : y + h, x : x + w] = False
    assert np.array_equal(mask[outside], start[outside])


def test_a_stroke_that_changes_nothing_makes_no_record():
    mask = np.zeros((100, 100), np.uint8)
    stroke = MaskStroke(mask, BrushSettings(8, 1.0), erase=True)
    stroke.begin((50.0, 50.0))
    stroke.move_to((60.0, 50.0))
    assert stroke.finish() is None


def test_brush_steps_stay_within_limits():
    brush = BrushSettings(size=1, hardness=0.95)
    brush.shrink()
    assert brush.size == 1
    brush.grow()
    assert brush.size == 2
    brush.harder()
    assert brush.hardness == 1.0
    for _ in range(15):
        brush.softer()
    assert brush.hardness == 0.0
    brush.size = 100
    brush.grow()
    assert brush.size == 120


def test_mouse_moves_never_copy_the_whole_mask():
    import tracemalloc

    mask = np.zeros((4000, 6000), np.uint8)  # 24 MP: one copy would be 24 MB
    stroke = MaskStroke(mask, BrushSettings(size=60, hardness=0.7))
    stroke.begin((500.0, 500.0))
    tracemalloc.start()
    try:
        for step in range(1, 30):
            stroke.move_to((500.0 + step * 40, 500.0 + step * 15))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000
    record = stroke.finish()
    assert record.before.size < 0.05 * mask.size  # the bounding rect of this stroke only
