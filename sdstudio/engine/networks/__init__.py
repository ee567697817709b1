"""The built-in networks, one module each.

Importing this package imports torch; metadata reading and the catalog never do. Which
``architecture`` name builds which class is in :mod:`sdstudio.engine.architectures`.
"""

from __future__ import annotations

from sdstudio.engine.networks.compact_sr import CompactSRNet
from sdstudio.engine.networks.damage_unet import DamageUNet
from sdstudio.engine.networks.inpaint_ffc import FFCInpaintGenerator
from sdstudio.engine.networks.inpaint_refiner import ClassicalFillRefiner
from sdstudio.engine.networks.patch_discriminator import PatchDiscriminator
from sdstudio.engine.networks.style_resnet import StyleTransferNet

__all__ = [
    "ClassicalFillRefiner",
    "CompactSRNet",
    "DamageUNet",
    "FFCInpaintGenerator",
    "PatchDiscriminator",
    "StyleTransferNet",
]
