"""Style generator: the feed-forward residual network of Johnson et al. (2016).

Why this family: one pass of a small convolutional network restyles a photo (no
per-image optimisation), it is fully convolutional so it takes any size, and it is the
usual generator of unpaired image-to-image training (CycleGAN, CUT), which is how the
trainer fits it to a user's style folder.

Shape: 9x9 conv -> two stride-2 convs -> residual blocks -> two (nearest upsample + conv)
-> 9x9 conv. Upsample + conv instead of transposed convolutions avoids checkerboard
artefacts. InstanceNorm is the norm this family is trained with (it removes the content
image's contrast, which is what a style should replace); note that it makes results depend
on the image content seen, so very large images should be styled at a working size or in
large tiles.

Input and output: RGB in [0, 1], same size.
"""

from __future__ import annotations

import torch
from torch import nn

from sdstudio.engine.networks.padding import pad_to_multiple


def _conv_norm_relu(in_channels: int, out_channels: int, kernel: int, stride: int = 1) -> list:
    return [
        nn.Conv2d(
            in_channels, out_channels, kernel, stride=stride, padding=kernel // 2,
            padding_mode="reflect",
        ),
        nn.InstanceNorm2d(out_channels, affine=True),
        nn.ReLU(inplace=True),
    ]  # fmt: skip


class StyleResidualBlock(nn.Module):
    def __init__(self, *, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            *_conv_norm_relu(channels, channels, 3),
            nn.Conv2d(channels, channels, 3, padding=1, padding_mode="reflect"),
            nn.InstanceNorm2d(channels, affine=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class StyleTransferNet(nn.Module):
    supports_half = True
    size_multiple = 4

    def __init__(
        self, *, channels: int = 16, residual_blocks: int = 5, input_skip: bool = False
    ) -> None:
        super().__init__()
        c = channels
        # InstanceNorm throws away each channel's mean, i.e. the photo's colours; a style
        # that keeps them (cartoon, neon) gets the input beside the last convolution.
        self.input_skip = input_skip
        self.encoder = nn.Sequential(
            *_conv_norm_relu(3, c, 9),
            *_conv_norm_relu(c, 2 * c, 3, stride=2),
            *_conv_norm_relu(2 * c, 4 * c, 3, stride=2),
        )
        self.blocks = nn.Sequential(
            *(StyleResidualBlock(channels=4 * c) for _ in range(residual_blocks))
        )
        self.decoder = nn.Sequential(
            nn.Upsample(scale_factor=2, mode="nearest"),
            *_conv_norm_relu(4 * c, 2 * c, 3),
            nn.Upsample(scale_factor=2, mode="nearest"),
            *_conv_norm_relu(2 * c, c, 3),
            *([] if input_skip else [nn.Conv2d(c, 3, 9, padding=4, padding_mode="reflect")]),
        )
        if input_skip:
            self.head = nn.Conv2d(c + 3, 3, 9, padding=4, padding_mode="reflect")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        x = pad_to_multiple(x, 4, minimum=8)
        y = self.decoder(self.blocks(self.encoder(x)))
        if self.input_skip:
            y = self.head(torch.cat([y, x], 1))
        return torch.sigmoid(y)[..., :height, :width]
