"""The architecture registry: one record per network, torch-free until a class is needed."""

from __future__ import annotations

import subprocess
import sys

import pytest
from torch import nn

from sdstudio.engine.architectures import (
    ARCHITECTURES,
    DISCRIMINATOR,
    NetworkInput,
    architecture,
    default_architecture,
    is_guided,
)
from sdstudio.engine.networks import (
    ClassicalFillRefiner,
    CompactSRNet,
    DamageUNet,
    FFCInpaintGenerator,
    PatchDiscriminator,
    StyleTransferNet,
)
from sdstudio.errors import ModelLoadError
from sdstudio.tasks import MODEL_TASKS, Task


def test_every_record_loads_its_own_network_class():
    classes = {record_id: record.load() for record_id, record in ARCHITECTURES.items()}
    assert classes == {
        "ffc_inpaint": FFCInpaintGenerator,
        "inpaint_refiner": ClassicalFillRefiner,
        "compact_sr": CompactSRNet,
        "style_resnet": StyleTransferNet,
        "damage_unet": DamageUNet,
        "patch_discriminator": PatchDiscriminator,
    }
    assert all(issubclass(network_class, nn.Module) for network_class in classes.values())


@pytest.mark.parametrize("task", MODEL_TASKS)
def test_each_model_task_has_exactly_one_default(task):
    defaults = [r for r in ARCHITECTURES.values() if r.default_for_task and r.task == task]
    assert defaults == [default_architecture(task)]
    assert not default_architecture(task).training_only


def test_defaults_the_trainer_builds():
    assert default_architecture(Task.REPAIR).id == "ffc_inpaint"
    assert default_architecture("enhance").id == "compact_sr"
    assert default_architecture(Task.STYLE).id == "style_resnet"
    with pytest.raises(ValueError, match="extend"):
        default_architecture(Task.EXTEND)


def test_only_the_discriminator_is_training_only_and_taskless():
    training_only = [r.id for r in ARCHITECTURES.values() if r.training_only]
    assert training_only == [DISCRIMINATOR]
    assert architecture(DISCRIMINATOR).task is None
    assert all(r.task in MODEL_TASKS for r in ARCHITECTURES.values() if not r.training_only)


def test_guided_networks_take_the_classical_fills():
    assert architecture("inpaint_refiner").input is NetworkInput.GUIDED_FILLS
    assert is_guided("inpaint_refiner")
    assert not is_guided("ffc_inpaint")
    assert not is_guided("no_such_network")


def test_unknown_architecture_names_the_known_ones():
    with pytest.raises(ModelLoadError, match="compact_sr"):
        architecture("no_such_network")


def test_registry_imports_no_torch():
    probe = (
        "import sys, sdstudio.engine.architectures as a; "
        "a.default_architecture('repair'); a.is_guided('inpaint_refiner'); "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
