"""Enhance generator in the Real-ESRGAN compact family (SRVGGNetCompact, Wang et al., 2021).

Why this family: a plain stack of 3x3 convolutions with PReLU, all at the input resolution,
then one pixel shuffle. It has no attention, no normalisation and no long skip paths, so it
runs fast on a CPU and tiles cleanly (its receptive field is small and local). The network
only learns a residual over the upsampled input, so a newly trained one starts close to
nearest-neighbour upscaling rather than noise. ``scale=1`` makes it a restoration
(denoise / deblur / de-JPEG) network.

Input and output: RGB in [0, 1], ``(B, 3, H, W)`` -> ``(B, 3, H*scale, W*scale)``.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class CompactSRNet(nn.Module):
    supports_half = True
    size_multiple = 1

    def __init__(
        self,
        *,
        scale: int = 2,
        features: int = 32,
        convs: int = 10,
        in_channels: int = 3,
        out_channels: int = 3,
        upsample: str = "nearest",
    ) -> None:
        super().__init__()
        if scale not in (1, 2, 3, 4):
            raise ValueError(f"scale must be 1, 2, 3 or 4, not {scale}")
        if upsample not in ("nearest", "bilinear", "bicubic"):
            raise ValueError(f"upsample must be nearest, bilinear or bicubic, not {upsample!r}")
        self.scale = scale
        # The base the residual is added to. "bicubic" (the shipped default models) starts
        # training at bicubic quality, which matters when there are few steps (CPU training).
        self.upsample_mode = upsample
        self.out_channels = out_channels
        layers: list[nn.Module] = [
            nn.Conv2d(in_channels, features, 3, padding=1),
            nn.PReLU(num_parameters=features),
        ]
        for _ in range(convs):
            layers += [
                nn.Conv2d(features, features, 3, padding=1),
                nn.PReLU(num_parameters=features),
            ]
        layers += [nn.Conv2d(features, out_channels * scale * scale, 3, padding=1)]
        self.body = nn.Sequential(*layers)
        self.upsample = nn.PixelShuffle(scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = self.upsample(self.body(x))
        if self.scale == 1:
            base = x
        elif self.upsample_mode == "nearest":
            base = F.interpolate(x, scale_factor=self.scale, mode="nearest")
        else:
            base = F.interpolate(
                x, scale_factor=self.scale, mode=self.upsample_mode, align_corners=False
            )
        return base[:, : self.out_channels] + residual
