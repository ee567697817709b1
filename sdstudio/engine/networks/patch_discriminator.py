"""PatchGAN discriminator (Isola et al., 2017) with spectral normalisation (Miyato, 2018).

Why: it judges overlapping patches rather than the whole image, which is what texture
realism needs and works at any crop size. Spectral normalisation bounds each layer's
Lipschitz constant, the usual guard against a discriminator that overpowers the
generator; it needs no batch statistics, so small batches are fine. ``forward`` also
returns every intermediate activation for the feature-matching loss.

Input: ``(B, in_channels, H, W)`` (RGB, or RGB + mask for repair). Output: a logit map
``(B, 1, ~H/2^layers, ~W/2^layers)`` and the list of feature maps.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


class PatchDiscriminator(nn.Module):
    supports_half = True

    def __init__(self, *, in_channels: int = 3, channels: int = 64, layers: int = 3) -> None:
        super().__init__()
        stages: list[nn.Module] = []
        width = in_channels
        for index in range(layers):
            out = channels * min(2**index, 8)
            stages.append(
                nn.Sequential(
                    spectral_norm(nn.Conv2d(width, out, 4, stride=2, padding=1)),
                    nn.LeakyReLU(0.2, inplace=True),
                )
            )
            width = out
        stages.append(
            nn.Sequential(
                spectral_norm(nn.Conv2d(width, width, 3, padding=1)),
                nn.LeakyReLU(0.2, inplace=True),
            )
        )
        self.stages = nn.ModuleList(stages)
        self.head = spectral_norm(nn.Conv2d(width, 1, 3, padding=1))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        features = []
        for stage in self.stages:
            x = stage(x)
            features.append(x)
        return self.head(x), features
