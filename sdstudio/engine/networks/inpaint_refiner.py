"""Repair generator that refines the classical fill: a small U-Net over two classical fills.

Why this design: on a CPU-sized training budget a network that invents a fill from an
empty hole loses to OpenCV's Telea and to PatchMatch; one that starts from them only has
to learn what they get wrong (PatchMatch's copied texture that does not belong there,
Telea's streaks, the colour of a large hole's middle). The input is the automatic classical
fill (PatchMatch on thick holes, Telea on thin ones), the plain Telea fill and the mask;
the output is the automatic fill plus a learnt correction inside the hole. The last
convolution starts at zero, so an untrained network is exactly the classical fill.

Shape: 3x3 stem -> two stride-2 convs -> residual blocks with growing dilation (a
receptive field of a few hundred pixels at little cost, for object-sized holes) -> two
(nearest upsample + conv) with skip connections -> 3x3 head.

Input ``(B, 7, H, W)`` in [0, 1] (``engine.repair_guides.guided_input``); output RGB.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from sdstudio.engine.networks.padding import pad_to_multiple

GUIDE_CHANNELS = 7  # automatic classical fill (3), Telea fill (3), hole mask (1)


class DilatedBlock(nn.Module):
    def __init__(self, *, channels: int, dilation: int) -> None:
        super().__init__()
        self.first = nn.Conv2d(channels, channels, 3, padding=dilation, dilation=dilation)
        self.second = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.second(F.leaky_relu(self.first(x), 0.2))


class ClassicalFillRefiner(nn.Module):
    supports_half = True
    size_multiple = 4
    guided = True  # takes engine.repair_guides.guided_input, not the masked photo

    def __init__(self, *, channels: int = 16, dilations: tuple[int, ...] = (1, 2, 4, 8)) -> None:
        super().__init__()
        c = channels
        self.stem = nn.Conv2d(GUIDE_CHANNELS, c, 3, padding=1)
        self.down1 = nn.Conv2d(c, 2 * c, 3, stride=2, padding=1)
        self.down2 = nn.Conv2d(2 * c, 4 * c, 3, stride=2, padding=1)
        self.blocks = nn.Sequential(*(DilatedBlock(channels=4 * c, dilation=d) for d in dilations))
        self.up1 = nn.Conv2d(4 * c, 2 * c, 3, padding=1)
        self.up2 = nn.Conv2d(2 * c, c, 3, padding=1)
        self.head = nn.Conv2d(c, 3, 3, padding=1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        base, mask = x[:, :3], x[:, 6:7]
        x = pad_to_multiple(x, self.size_multiple, minimum=16)
        s0 = F.leaky_relu(self.stem(x), 0.2)
        s1 = F.leaky_relu(self.down1(s0), 0.2)
        y = self.blocks(F.leaky_relu(self.down2(s1), 0.2))
        y = F.interpolate(y, size=s1.shape[-2:], mode="nearest")
        y = F.leaky_relu(self.up1(y) + s1, 0.2)
        y = F.interpolate(y, size=s0.shape[-2:], mode="nearest")
        y = F.leaky_relu(self.up2(y) + s0, 0.2)
        residual = self.head(y)[..., :height, :width]
        return (base + mask * residual).clamp(0.0, 1.0)
