"""Restore old photo in the engine: find damage → repair → gentle enhance, as one chain."""

from __future__ import annotations

import numpy as np

from sdstudio.engine.damage import detect_damage
from sdstudio.engine.restore_chain import (
    NO_DAMAGE_NOTE,
    RestoreSettings,
    gentle_enhance_job,
    iter_restore,
)
from sdstudio.engine.runner import run_job
from sdstudio.jobs import DamageJob, EnhanceJob, JobResult, Progress, RepairJob
from tests.engine.helpers import drive
from tests.engine.test_damage import photo, tiny_model  # noqa: F401 (a fixture)


def _finish(work):
    """(the Progress it yielded, its return value): the order these tests read them in."""
    result, updates = drive(work)
    return updates, result


def test_the_chain_repairs_what_it_found_then_enhances_gently(tiny_model):  # noqa: F811
    image = photo(96, 128)
    settings = RestoreSettings(
        sensitivity=0.6, repair_method="telea", device="cpu", damage_model=str(tiny_model)
    )
    updates, result = _finish(iter_restore(image, settings))

    expected_mask = detect_damage(image, sensitivity=0.6, model_path=tiny_model)
    np.testing.assert_array_equal(result.mask, expected_mask)
    assert expected_mask.any()
    changed = np.any(result.repaired != image, axis=2)
    assert changed.any() and not changed[expected_mask == 0].any()  # only the mask is filled
    assert result.enhanced is not None and result.enhanced.shape == image.shape  # same size
    assert np.any(result.enhanced != result.repaired)
    assert result.image is result.enhanced

    fractions = [update.fraction for update in updates]
    assert fractions == sorted(fractions) and 0.0 <= fractions[0] and fractions[-1] == 1.0
    messages = " ".join(update.message for update in updates)
    assert "Finding damage" in messages and "Sharpening" in messages


class _Scripted:
    """Stands in for run_job: a damage job finds ``found``; other jobs invert the photo."""

    def __init__(self, found: np.ndarray) -> None:
        self.found = found
        self.jobs: list = []
        self.closed: list = []

    def __call__(self, job):
        self.jobs.append(job)
        return self._run(job)

    def _run(self, job):
        try:
            yield Progress(0.5, "")
            yield Progress(1.0, "")
        except GeneratorExit:
            self.closed.append(job)
            raise
        if isinstance(job, DamageJob):
            return JobResult(image=job.image, mask=self.found)
        return JobResult(image=255 - job.image, notes=[f"{job.title} ran"])


def test_nothing_found_skips_the_repair_and_enhance_can_be_left_out():
    image = photo(32, 48)
    engine = _Scripted(np.zeros(image.shape[:2], np.uint8))
    updates, result = _finish(iter_restore(image, RestoreSettings(enhance=False), engine))
    assert [type(job) for job in engine.jobs] == [DamageJob]
    assert result.notes == [NO_DAMAGE_NOTE]
    assert result.enhanced is None and result.image is result.repaired is image
    assert updates[0].message == "Find damage"  # a step's title when it names no stage
    assert updates[-1] == Progress(1.0, "Restored")


def test_each_step_is_built_from_the_one_before():
    image = photo(32, 48)
    found = np.zeros(image.shape[:2], np.uint8)
    found[5:9, 10:20] = 255
    engine = _Scripted(found)
    _updates, result = _finish(iter_restore(image, RestoreSettings(repair_method="telea"), engine))
    find, repair, enhance = engine.jobs
    assert isinstance(repair, RepairJob) and repair.method == "telea"
    np.testing.assert_array_equal(repair.mask, found)
    assert isinstance(enhance, EnhanceJob) and enhance.scale == 1
    np.testing.assert_array_equal(enhance.image, 255 - image)  # the repaired photo
    np.testing.assert_array_equal(result.image, image)  # inverted twice
    assert result.notes == ["Repair ran", "Enhance ran"]


def test_closing_the_restore_stops_the_step_that_runs():
    image = photo(32, 48)
    found = np.full(image.shape[:2], 255, np.uint8)
    engine = _Scripted(found)
    work = iter_restore(image, RestoreSettings(), engine)
    for _ in range(3):  # the find step's two updates, then the repair's first
        next(work)
    work.close()
    assert [type(job) for job in engine.closed] == [RepairJob]
    assert len(engine.jobs) == 2  # the enhance never started


def test_the_gentle_enhance_keeps_the_size_and_really_runs():
    image = photo(40, 56)
    job = gentle_enhance_job(image, RestoreSettings(device="cpu"))
    assert job is not None and job.scale == 1 and job.contrast == 0
    _updates, result = _finish(run_job(job))
    assert result.image.shape == image.shape
    assert gentle_enhance_job(image, RestoreSettings(enhance=False)) is None
