"""Damage detector: a small U-Net that marks scratches, dust, cracks, stains and tears.

Why this shape: damage is thin (1-4 px) but is told apart from real thin things (wires,
branches, hair) by context — a scratch ignores the scene's optics and runs on for a long
way, a wire is as soft as the photo around it. The network must also run a 3 MP photo in
about a second on two busy CPU cores, where every full-resolution feature map is costly.
So it folds each 2x2 block of input pixels into channels (pixel unshuffle, lossless),
works at 1/2 resolution and below with depthwise-separable blocks (dilated at the
deepest level, where they see a wide neighbourhood cheaply), and unfolds four logits per
half-resolution pixel back into a full-resolution map (pixel shuffle). There is no
normalisation layer, so tiles give the same answer as a whole image.

Input: ``(B, in_channels, H, W)`` in about [0, 1], any size: RGB first, then the
classical cue channels (``engine.damage_classical.cue_channels``: the luminance's white
top-hat and black-hat with a ``cue_kernel`` wide ellipse), which cv2 computes once per
image far faster than torch could. Output: damage logits ``(B, 1, H, W)``.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from sdstudio.engine.networks.padding import pad_to_multiple


class SeparableBlock(nn.Module):
    """Residual depthwise 3x3 (optionally dilated) + pointwise 1x1 + LeakyReLU."""

    def __init__(self, channels: int, dilation: int = 1) -> None:
        super().__init__()
        self.depthwise = nn.Conv2d(
            channels, channels, 3, padding=dilation, dilation=dilation, groups=channels
        )
        self.pointwise = nn.Conv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + F.leaky_relu(self.pointwise(self.depthwise(x)), 0.1)


class DamageUNet(nn.Module):
    supports_half = True

    def __init__(
        self,
        *,
        widths: tuple[int, ...] | list[int] = (16, 32, 48, 64),
        deep_blocks: int = 3,
        in_channels: int = 5,
        cue_kernel: int = 9,
    ) -> None:
        super().__init__()
        widths = [int(w) for w in widths]
        if len(widths) < 2 or min(widths) < 1:
            raise ValueError(f"need at least two positive widths, got {widths}")
        if cue_kernel < 3 or cue_kernel % 2 == 0:
            raise ValueError(f"cue_kernel must be odd and at least 3, not {cue_kernel}")
        if in_channels not in (3, 5):
            raise ValueError(f"in_channels must be 3 (RGB) or 5 (RGB + cues), not {in_channels}")
        # Read by the engine: which cue channels the input carries.
        self.in_channels = int(in_channels)
        self.cue_kernel = int(cue_kernel)
        self.size_multiple = 2 ** len(widths)
        self.stem = nn.Sequential(nn.Conv2d(in_channels * 4, widths[0], 1), nn.LeakyReLU(0.1))
        self.top = SeparableBlock(widths[0])
        deepest = len(widths) - 2
        # 2x2 stride-2 convolutions: the cheapest downsampling that drops no pixel.
        self.downs = nn.ModuleList(
            nn.Sequential(nn.Conv2d(widths[i], widths[i + 1], 2, stride=2), nn.LeakyReLU(0.1))
            for i in range(len(widths) - 1)
        )
        self.encoders = nn.ModuleList(
            nn.Sequential(
                *[
                    SeparableBlock(widths[i + 1], dilation=2**j if i == deepest else 1)
                    for j in range(deep_blocks if i == deepest else 1)
                ]
            )
            for i in range(len(widths) - 1)
        )
        self.merges = nn.ModuleList(
            nn.Conv2d(widths[i + 1] + widths[i], widths[i], 1) for i in range(len(widths) - 1)
        )
        self.decoders = nn.ModuleList(SeparableBlock(widths[i]) for i in range(len(widths) - 1))
        self.head = nn.Conv2d(widths[0], 4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        x = pad_to_multiple(x, self.size_multiple, minimum=self.size_multiple)
        x = self.top(self.stem(F.pixel_unshuffle(x, 2)))
        skips = [x]
        for down, encoder in zip(self.downs, self.encoders, strict=True):
            x = encoder(down(x))
            skips.append(x)
        skips.pop()
        for level in reversed(range(len(self.merges))):
            skip = skips[level]
            x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            x = F.leaky_relu(self.merges[level](torch.cat([x, skip], 1)), 0.1)
            x = self.decoders[level](x)
        return F.pixel_shuffle(self.head(x), 2)[..., :height, :width]
