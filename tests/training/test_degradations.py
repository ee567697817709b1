from __future__ import annotations

import cv2
import numpy as np

from sdstudio.training.degradations import degrade, fixed_degradation
from tests.training.conftest import synthetic_photo


def _clean() -> np.ndarray:
    return synthetic_photo(np.random.default_rng(0), 64, 64).astype(np.float32) / 255.0


def test_degraded_image_has_the_low_resolution_size_and_range():
    for scale in (1, 2, 4):
        low = degrade(np.random.default_rng(scale), _clean(), scale)
        assert low.shape == (64 // scale, 64 // scale, 3) and low.dtype == np.float32
        assert 0.0 <= low.min() and low.max() <= 1.0


def test_degradation_is_more_than_a_plain_downscale_and_varies():
    clean = _clean()
    plain = cv2.resize(clean, (32, 32), interpolation=cv2.INTER_AREA)
    results = [degrade(np.random.default_rng(seed), clean, 2) for seed in range(6)]
    errors = [float(np.abs(r - plain).mean()) for r in results]
    assert min(errors) > 0.005
    assert len({round(e, 4) for e in errors}) == 6


def test_fixed_degradation_repeats_for_a_seed():
    clean = _clean()
    assert np.array_equal(fixed_degradation(clean, 2, 11), fixed_degradation(clean, 2, 11))
