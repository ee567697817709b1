"""Padding that lets a fully convolutional network take any image size."""

from __future__ import annotations

import torch
from torch.nn import functional as F


def pad_to_multiple(x: torch.Tensor, multiple: int, *, minimum: int) -> torch.Tensor:
    """Pad bottom/right so each side is a multiple of ``multiple`` and at least ``minimum``.

    Strided encoders need sides divisible by their total stride, and reflection padding
    inside the network needs a few pixels at the coarsest level. Reflection is used where
    the side allows it (it continues the image without an edge); tiny inputs replicate.
    """
    height, width = x.shape[-2:]
    target_h = max(-(-height // multiple) * multiple, minimum)
    target_w = max(-(-width // multiple) * multiple, minimum)
    pad_bottom, pad_right = target_h - height, target_w - width
    if not (pad_bottom or pad_right):
        return x
    mode = "reflect" if pad_bottom < height and pad_right < width else "replicate"
    return F.pad(x, (0, pad_right, 0, pad_bottom), mode=mode)
