"""``DamageJob`` through ``run_job``: the photo unchanged, the mask and its probabilities."""

from __future__ import annotations

import numpy as np
import pytest

from sdstudio.engine.damage import detect_damage, mask_from_probability
from sdstudio.engine.runner import run_job
from sdstudio.errors import UserFacingError
from sdstudio.jobs import DamageJob, job_params
from tests.engine.helpers import drive
from tests.engine.test_damage import photo, tiny_model  # noqa: F401 (a fixture)


def _finish(work):
    """(the Progress it yielded, its return value): the order these tests read them in."""
    result, updates = drive(work)
    return updates, result


def test_a_damage_job_returns_the_mask_and_the_probabilities_it_came_from(tiny_model):  # noqa: F811
    image = photo(96, 128)
    job = DamageJob(image=image, sensitivity=0.7, device="cpu", options={"model_path": tiny_model})
    updates, result = _finish(run_job(job))
    assert updates and updates[-1].fraction == 1.0
    assert result.image is image  # nothing to change in the photo
    expected = detect_damage(image, sensitivity=0.7, model_path=tiny_model)
    np.testing.assert_array_equal(result.mask, expected)
    assert 0 < expected.mean() < 255  # the tiny model marks some pixels, not all
    operating = result.params["operating_threshold"]
    assert operating == 0.5 and result.params["sensitivity"] == 0.7
    np.testing.assert_array_equal(
        mask_from_probability(result.probability, 0.7, operating), result.mask
    )
    assert job_params(DamageJob(image=image))["task"] == "damage"


def test_a_bad_sensitivity_fails_before_any_work():
    with pytest.raises(UserFacingError, match="between 0 and 1"):
        next(run_job(DamageJob(image=photo(32, 32), sensitivity=1.5)))
