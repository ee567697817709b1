from __future__ import annotations

import numpy as np
import pytest
import torch

from sdstudio.engine.model_file import build_network
from sdstudio.training import losses
from sdstudio.training.config import TrainingConfig
from sdstudio.training.distributed import DistributedContext
from sdstudio.training.objectives import objective_for
from sdstudio.training.steps import GanStep, Networks
from tests.training.conftest import TINY_DISCRIMINATOR, TINY_NETWORKS, synthetic_photo


def _photos(count: int = 2, size: int = 32) -> torch.Tensor:
    rng = np.random.default_rng(0)
    images = [synthetic_photo(rng, size, size) for _ in range(count)]
    return torch.from_numpy(np.stack(images).transpose(0, 3, 1, 2).astype(np.float32) / 255)


def test_masked_l1_weights_the_hole():
    target = torch.zeros(1, 3, 4, 4)
    mask = torch.zeros(1, 1, 4, 4)
    mask[..., :2, :] = 1
    error_in_hole = target.clone()
    error_in_hole[..., 0, 0] = 1
    error_outside = target.clone()
    error_outside[..., 3, 3] = 1
    inside = losses.masked_l1(error_in_hole, target, mask, 4.0)
    outside = losses.masked_l1(error_outside, target, mask, 4.0)
    assert float(inside) == pytest.approx(5 * float(outside))


def test_structure_loss_sees_edges_not_colour():
    photo = _photos(1, 64)
    recoloured = (photo * torch.tensor([0.6, 1.0, 1.3]).view(1, 3, 1, 1)).clamp(0, 1)
    flat = torch.full_like(photo, 0.5) + 0.01 * torch.rand_like(photo)
    assert losses.structure_loss(photo, photo) < 1e-6
    assert losses.structure_loss(recoloured, photo) < losses.structure_loss(flat, photo)


def test_patch_nce_prefers_the_matching_image():
    torch.manual_seed(0)
    generator = build_network("style_resnet", TINY_NETWORKS["style"])
    photos = _photos(2, 32)
    nce = losses.PatchNCE(generator, photos, patches=16)
    same = nce(generator, photos, photos)
    other = nce(generator, photos, photos.flip(0).roll(7, dims=3))
    assert same < other
    nce.remove_hooks()


def test_r1_is_zero_for_a_discriminator_that_ignores_its_input():
    real = _photos().requires_grad_(True)
    logits = real.sum(dim=(1, 2, 3)) * 0 + 1.0
    assert losses.r1_penalty(logits, real) == 0


def test_the_discriminator_step_learns_to_tell_real_from_fake():
    torch.manual_seed(0)
    config = TrainingConfig(task="enhance", data_dir="", name="d", lr_d=2e-3, r1_every=2)
    generator = build_network("compact_sr", TINY_NETWORKS["enhance"]).requires_grad_(False)
    discriminator = build_network("patch_discriminator", {"in_channels": 3, **TINY_DISCRIMINATOR})
    nets = Networks(
        generator,
        discriminator,
        torch.optim.Adam(generator.parameters(), lr=0.0),  # the generator stays as it is
        torch.optim.Adam(discriminator.parameters(), lr=config.lr_d, betas=config.betas),
    )
    step = GanStep(objective_for(config), torch.device("cpu"), DistributedContext())
    target = _photos(4, 32)
    batch = {"input": torch.full((4, 3, 16, 16), 0.5), "target": target}
    generator.requires_grad_(True)
    first = step.run(nets, batch, 0)
    for index in range(1, 40):
        last = step.run(nets, batch, index)
    assert last.losses["d_adv"] < first.losses["d_adv"] - 0.2
    assert last.d_real_accuracy > 0.9 and last.d_fake_accuracy > 0.9
