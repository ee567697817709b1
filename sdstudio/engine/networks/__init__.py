"""The built-in networks, one module each, and the registry model files name them by.

Importing this package imports torch; metadata reading and the catalog never do.
"""

from __future__ import annotations

from torch import nn

from sdstudio.engine.networks.compact_sr import CompactSRNet
from sdstudio.engine.networks.damage_unet import DamageUNet
from sdstudio.engine.networks.inpaint_ffc import FFCInpaintGenerator
from sdstudio.engine.networks.inpaint_refiner import ClassicalFillRefiner
from sdstudio.engine.networks.patch_discriminator import PatchDiscriminator
from sdstudio.engine.networks.style_resnet import StyleTransferNet

# The ``architecture`` metadata value of a model file -> the class that builds it.
ARCHITECTURES: dict[str, type[nn.Module]] = {
    "ffc_inpaint": FFCInpaintGenerator,
    "inpaint_refiner": ClassicalFillRefiner,
    "compact_sr": CompactSRNet,
    "style_resnet": StyleTransferNet,
    "damage_unet": DamageUNet,
    "patch_discriminator": PatchDiscriminator,
}

__all__ = [
    "ARCHITECTURES",
    "ClassicalFillRefiner",
    "CompactSRNet",
    "DamageUNet",
    "FFCInpaintGenerator",
    "PatchDiscriminator",
    "StyleTransferNet",
]
