from __future__ import annotations

import pytest
import torch

from sdstudio.engine.networks import (
    CompactSRNet,
    FFCInpaintGenerator,
    PatchDiscriminator,
    StyleTransferNet,
)
from tests.engine.helpers import TINY_FFC, TINY_SR, TINY_STYLE


@pytest.mark.parametrize("size", [(1, 1), (3, 5), (17, 31), (40, 33)])
def test_inpaint_generator_keeps_odd_sizes_and_range(size):
    network = FFCInpaintGenerator(**TINY_FFC).eval()
    image = torch.rand(2, 3, *size)
    mask = (torch.rand(2, 1, *size) > 0.7).float()
    with torch.no_grad():
        out = network(FFCInpaintGenerator.prepare_input(image, mask))
    assert out.shape == (2, 3, *size)
    assert 0.0 <= out.min() and out.max() <= 1.0


def test_inpaint_generator_sees_the_whole_image():
    """The Fourier branch gives an image-wide receptive field after one block."""
    torch.manual_seed(0)
    network = FFCInpaintGenerator(**TINY_FFC).eval()
    x = torch.rand(1, 4, 64, 64)
    changed = x.clone()
    changed[..., 60:, 60:] = 0.0  # far corner only
    with torch.no_grad():
        difference = (network(x) - network(changed))[..., :8, :8].abs().max()
    assert difference > 0  # a pixel 50+ px away still moved


def test_default_inpaint_generator_is_a_few_million_parameters():
    count = sum(p.numel() for p in FFCInpaintGenerator().parameters())
    assert 2_000_000 <= count <= 4_000_000


@pytest.mark.parametrize("scale", [1, 2, 4])
def test_compact_sr_scales(scale):
    network = CompactSRNet(**TINY_SR, scale=scale).eval()
    with torch.no_grad():
        out = network(torch.rand(1, 3, 7, 9))
    assert out.shape == (1, 3, 7 * scale, 9 * scale)


def test_compact_sr_with_zero_residual_is_nearest_upscaling():
    network = CompactSRNet(**TINY_SR, scale=2).eval()
    torch.nn.init.zeros_(network.body[-1].weight)
    torch.nn.init.zeros_(network.body[-1].bias)
    x = torch.rand(1, 3, 5, 6)
    with torch.no_grad():
        out = network(x)
    assert torch.allclose(out, torch.nn.functional.interpolate(x, scale_factor=2))


@pytest.mark.parametrize("size", [(1, 2), (9, 13), (30, 27)])
def test_style_net_keeps_size(size):
    network = StyleTransferNet(**TINY_STYLE).eval()
    with torch.no_grad():
        out = network(torch.rand(1, 3, *size))
    assert out.shape == (1, 3, *size)


def test_patch_discriminator_returns_logits_and_features():
    network = PatchDiscriminator(in_channels=4, channels=8, layers=3)
    logits, features = network(torch.rand(2, 4, 37, 45))
    assert logits.shape[:2] == (2, 1) and logits.shape[-1] >= 2
    assert len(features) == 4 and all(f.shape[0] == 2 for f in features)
    assert any("parametrizations" in name for name, _ in network.named_parameters())


def test_constructors_are_keyword_only():
    with pytest.raises(TypeError):
        CompactSRNet(2)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("network_class", "hyperparameters", "channels"),
    [
        (FFCInpaintGenerator, TINY_FFC, 4),
        (CompactSRNet, TINY_SR, 3),
        (StyleTransferNet, TINY_STYLE, 3),
    ],
)
def test_half_precision_matches_full_precision(network_class, hyperparameters, channels):
    """What CUDA runs in fp16 (the FFT itself stays fp32: cuFFT half needs powers of two)."""
    assert network_class.supports_half
    torch.manual_seed(0)
    network = network_class(**hyperparameters).eval()
    x = torch.rand(1, channels, 24, 40)
    with torch.no_grad():
        full = network(x)
        half = network.half()(x.half())
    assert half.dtype == torch.float16
    assert (half.float() - full).abs().max() < 0.01


@pytest.mark.parametrize("size", [(17, 23), (64, 64), (5, 9)])
def test_untrained_fill_refiner_returns_the_classical_fill(size):
    from sdstudio.engine.networks import ClassicalFillRefiner

    torch.manual_seed(0)
    network = ClassicalFillRefiner(channels=4, dilations=(1, 2)).eval()
    guides = torch.rand(1, 7, *size)
    guides[:, 6:] = (guides[:, 6:] > 0.5).float()
    with torch.no_grad():
        untouched = network(guides)
        torch.nn.init.normal_(network.head.weight, std=0.1)
        corrected = network(guides)
    assert untouched.shape == (1, 3, *size)
    assert torch.equal(untouched, guides[:, :3])  # the zero head: exactly the classical fill
    known = guides[:, 6:].expand(1, 3, *size) == 0
    assert torch.equal(corrected[known], guides[:, :3][known])  # known pixels never change
    assert not torch.equal(corrected, untouched)


def test_style_net_with_input_skip_sees_the_input_colours_at_the_end():
    torch.manual_seed(0)
    plain = StyleTransferNet(channels=4, residual_blocks=1)
    skip = StyleTransferNet(channels=4, residual_blocks=1, input_skip=True)
    assert "head.weight" in skip.state_dict() and "head.weight" not in plain.state_dict()
    assert skip.head.in_channels == 4 + 3
    x = torch.rand(1, 3, 21, 30)
    with torch.no_grad():
        assert skip(x).shape == (1, 3, 21, 30)
        # Only the head differs in what it is given: zero the features' part and the output
        # follows the input pixel by pixel.
        skip.head.weight[:, :4].zero_()
        a, b = skip(x), skip(torch.roll(x, 5, dims=3))
    assert torch.allclose(torch.roll(a, 5, dims=3)[..., 9:-9], b[..., 9:-9], atol=1e-5)
