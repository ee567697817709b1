from __future__ import annotations

import numpy as np
import pytest

from sdstudio.training.damage_masks import DAMAGE_KINDS, damage_mask, random_damage_mask


@pytest.mark.parametrize("kind", sorted(DAMAGE_KINDS))
def test_each_kind_draws_binary_damage(kind):
    mask = damage_mask(np.random.default_rng(5), 128, 160, kind)
    assert mask.shape == (128, 160) and mask.dtype == np.uint8
    assert set(np.unique(mask)) <= {0, 255}
    assert 0 < (mask > 0).mean() < 0.6


def test_thin_damage_is_thin_and_object_damage_is_large():
    rng = np.random.default_rng(0)
    scratch = np.mean([(damage_mask(rng, 256, 256, "scratches") > 0).mean() for _ in range(10)])
    boxes = np.mean([(damage_mask(rng, 256, 256, "boxes") > 0).mean() for _ in range(10)])
    assert scratch < 0.05 < boxes


def test_random_masks_vary_are_never_empty_and_are_reproducible():
    masks = [random_damage_mask(np.random.default_rng(seed), 64, 64) for seed in range(30)]
    assert all(m.any() and (m > 0).mean() <= 0.5 for m in masks)
    assert len({m.tobytes() for m in masks}) == 30
    again = random_damage_mask(np.random.default_rng(7), 64, 64)
    assert np.array_equal(again, masks[7])
