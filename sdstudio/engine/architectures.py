"""Every built-in network architecture, once: its task, its input, and where its class lives.

A model file names its network by the ``architecture`` metadata value; this registry is
the one place that says what such a name means. It imports no torch, so the catalog can
check a file, and the trainer can pick a network, before any network module is loaded;
each record's ``load()`` imports its class only when a network is built.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from sdstudio.errors import ModelLoadError
from sdstudio.tasks import Task

if TYPE_CHECKING:
    from torch import nn


class NetworkInput(StrEnum):
    """What an architecture's forward pass takes, so callers build the matching tensor."""

    PHOTO = "photo"  # RGB
    MASKED_PHOTO = "masked_photo"  # RGB with the hole blanked, then the hole mask
    GUIDED_FILLS = "guided_fills"  # repair_guides.guided_input: two classical fills + mask
    PHOTO_AND_CUES = "photo_and_cues"  # RGB, then damage_classical.cue_channels
    TASK_PAIR = "task_pair"  # a discriminator: what the trained task's objective feeds it


@dataclass(frozen=True)
class Architecture:
    id: str  # the ``architecture`` metadata value of a model file
    task: Task | None  # the task its model files serve; None: any (a training helper)
    input: NetworkInput
    load: Callable[[], type[nn.Module]]  # imports torch and the class's module
    training_only: bool = False  # saved beside a generator, never offered for editing
    default_for_task: bool = False  # what the trainer builds for its task unless told

    @property
    def guided(self) -> bool:
        """Whether the network refines classical fills instead of filling a blank hole."""
        return self.input is NetworkInput.GUIDED_FILLS


def _ffc_inpaint() -> type[nn.Module]:
    from sdstudio.engine.networks.inpaint_ffc import FFCInpaintGenerator

    return FFCInpaintGenerator


def _inpaint_refiner() -> type[nn.Module]:
    from sdstudio.engine.networks.inpaint_refiner import ClassicalFillRefiner

    return ClassicalFillRefiner


def _compact_sr() -> type[nn.Module]:
    from sdstudio.engine.networks.compact_sr import CompactSRNet

    return CompactSRNet


def _style_resnet() -> type[nn.Module]:
    from sdstudio.engine.networks.style_resnet import StyleTransferNet

    return StyleTransferNet


def _damage_unet() -> type[nn.Module]:
    from sdstudio.engine.networks.damage_unet import DamageUNet

    return DamageUNet


def _patch_discriminator() -> type[nn.Module]:
    from sdstudio.engine.networks.patch_discriminator import PatchDiscriminator

    return PatchDiscriminator


DISCRIMINATOR = "patch_discriminator"

ARCHITECTURES: dict[str, Architecture] = {
    record.id: record
    for record in (
        Architecture(
            "ffc_inpaint", Task.REPAIR, NetworkInput.MASKED_PHOTO, _ffc_inpaint,
            default_for_task=True,
        ),
        Architecture("inpaint_refiner", Task.REPAIR, NetworkInput.GUIDED_FILLS, _inpaint_refiner),
        Architecture(
            "compact_sr", Task.ENHANCE, NetworkInput.PHOTO, _compact_sr, default_for_task=True
        ),
        Architecture(
            "style_resnet", Task.STYLE, NetworkInput.PHOTO, _style_resnet, default_for_task=True
        ),
        Architecture(
            "damage_unet", Task.DAMAGE, NetworkInput.PHOTO_AND_CUES, _damage_unet,
            default_for_task=True,
        ),
        Architecture(
            DISCRIMINATOR, None, NetworkInput.TASK_PAIR, _patch_discriminator,
            training_only=True,
        ),
    )
}  # fmt: skip


def architecture(architecture_id: str) -> Architecture:
    """The record called ``architecture_id``; a :class:`ModelLoadError` naming the known ones."""
    try:
        return ARCHITECTURES[architecture_id]
    except KeyError:
        known = ", ".join(sorted(ARCHITECTURES))
        raise ModelLoadError(
            f"Unknown architecture {architecture_id!r} (known: {known})."
        ) from None


def default_architecture(task: Task | str) -> Architecture:
    """The architecture the trainer builds for ``task`` when the run names none."""
    for record in ARCHITECTURES.values():
        if record.default_for_task and record.task == task:
            return record
    raise ValueError(f"no default architecture for the task {task!r}")


def is_guided(architecture_id: str) -> bool:
    """Whether a model file's network takes the classical fills (unknown ids: no)."""
    record = ARCHITECTURES.get(architecture_id)
    return record is not None and record.guided
