"""Repair generator in the LaMa family (Suvorov et al., 2022): fast Fourier convolutions.

Why this family: a hole's fill depends on what lies far from it (a horizon line, a brick
pattern). A fast Fourier convolution mixes every position with every other through a 1x1
convolution in the frequency domain (``torch.fft.rfft2``), so even the first block sees
the whole image; plain convolutions would need a very deep stack for that.

Input: the photo with the holes blanked (RGB in [0, 1], times ``1 - mask``) and the mask,
4 channels. Output: RGB in [0, 1] for the whole image; the caller takes the hole pixels.

No BatchNorm or other statistics-based normalisation: their statistics depend on the
crop size and on how much of it is hole, which shifts colours when the network runs at a
resolution or hole size it was not trained on (measured in the platform notes). Instead,
residual branches are scaled by a learnable per-channel factor that starts small
(ReZero / LayerScale), which keeps deep stacks trainable without normalisation, and the
FFT uses ``norm="ortho"`` so spectral magnitudes do not grow with image size.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from sdstudio.engine.networks.padding import pad_to_multiple


class FourierUnit(nn.Module):
    """1x1 convolution over the real and imaginary parts of the 2-D spectrum."""

    def __init__(self, *, channels: int) -> None:
        super().__init__()
        self.spectral_conv = nn.Conv2d(channels * 2, channels * 2, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        # cuFFT in half precision only takes power-of-two sizes: always transform in fp32.
        spectrum = torch.fft.rfft2(x.float(), norm="ortho")
        stacked = torch.cat([spectrum.real, spectrum.imag], dim=1).to(x.dtype)
        stacked = F.relu(self.spectral_conv(stacked)).float()
        real, imag = stacked.chunk(2, dim=1)
        spatial = torch.fft.irfft2(torch.complex(real, imag), s=(height, width), norm="ortho")
        return spatial.to(x.dtype)


class SpectralTransform(nn.Module):
    """The global branch: squeeze channels, Fourier unit, expand (as in LaMa)."""

    def __init__(self, *, in_channels: int, out_channels: int) -> None:
        super().__init__()
        hidden = max(out_channels // 2, 1)
        self.reduce = nn.Conv2d(in_channels, hidden, kernel_size=1)
        self.fourier = FourierUnit(channels=hidden)
        self.expand = nn.Conv2d(hidden, out_channels, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.reduce(x))
        return self.expand(x + self.fourier(x))


class FastFourierConv(nn.Module):
    """Split channels into a local (3x3 conv) and a global (spectral) part that exchange."""

    def __init__(self, *, channels: int, global_ratio: float) -> None:
        super().__init__()
        self.global_channels = int(round(channels * global_ratio))
        self.local_channels = channels - self.global_channels
        local, glob = self.local_channels, self.global_channels
        self.local_to_local = nn.Conv2d(local, local, 3, padding=1, padding_mode="reflect")
        self.local_to_global = nn.Conv2d(local, glob, 3, padding=1, padding_mode="reflect")
        self.global_to_local = nn.Conv2d(glob, local, 3, padding=1, padding_mode="reflect")
        self.global_to_global = SpectralTransform(in_channels=glob, out_channels=glob)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x_local, x_global = torch.split(x, [self.local_channels, self.global_channels], dim=1)
        out_local = self.local_to_local(x_local) + self.global_to_local(x_global)
        out_global = self.local_to_global(x_local) + self.global_to_global(x_global)
        return torch.cat([out_local, out_global], dim=1)


class FFCResidualBlock(nn.Module):
    def __init__(self, *, channels: int, global_ratio: float) -> None:
        super().__init__()
        self.first = FastFourierConv(channels=channels, global_ratio=global_ratio)
        self.second = FastFourierConv(channels=channels, global_ratio=global_ratio)
        self.residual_scale = nn.Parameter(torch.full((1, channels, 1, 1), 0.1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.leaky_relu(self.first(x), 0.2)
        y = self.second(y)
        return x + self.residual_scale * y


class FFCInpaintGenerator(nn.Module):
    """Encoder (strided convs) -> FFC residual blocks -> decoder (upsample + conv)."""

    supports_half = True

    def __init__(
        self,
        *,
        base_channels: int = 32,
        downsamplings: int = 3,
        residual_blocks: int = 4,
        global_ratio: float = 0.75,
        max_channels: int = 256,
    ) -> None:
        super().__init__()
        if downsamplings < 1 or residual_blocks < 1 or not 0.0 < global_ratio < 1.0:
            raise ValueError("need downsamplings >= 1, residual_blocks >= 1, 0 < global_ratio < 1")
        self.size_multiple = 2**downsamplings
        self.stem = nn.Conv2d(4, base_channels, 7, padding=3, padding_mode="reflect")
        encoder: list[nn.Module] = []
        channels = base_channels
        widths = []
        for _ in range(downsamplings):
            out = min(channels * 2, max_channels)
            encoder += [nn.Conv2d(channels, out, 3, stride=2, padding=1), nn.LeakyReLU(0.2)]
            widths.append(channels)
            channels = out
        self.encoder = nn.Sequential(*encoder)
        self.blocks = nn.Sequential(
            *(
                FFCResidualBlock(channels=channels, global_ratio=global_ratio)
                for _ in range(residual_blocks)
            )
        )
        decoder: list[nn.Module] = []
        for out in reversed(widths):
            decoder += [
                nn.Upsample(scale_factor=2, mode="nearest"),
                nn.Conv2d(channels, out, 3, padding=1, padding_mode="reflect"),
                nn.LeakyReLU(0.2),
            ]
            channels = out
        self.decoder = nn.Sequential(*decoder)
        self.head = nn.Conv2d(channels, 3, 7, padding=3, padding_mode="reflect")

    @staticmethod
    def prepare_input(image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Network input from RGB ``(B, 3, H, W)`` in [0, 1] and a hole mask ``(B, 1, H, W)``."""
        mask = (mask > 0.5).to(image.dtype)
        return torch.cat([image * (1.0 - mask), mask], dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        x = pad_to_multiple(x, self.size_multiple, minimum=2 * self.size_multiple)
        y = F.leaky_relu(self.stem(x), 0.2)
        y = self.decoder(self.blocks(self.encoder(y)))
        return torch.sigmoid(self.head(y))[..., :height, :width]
