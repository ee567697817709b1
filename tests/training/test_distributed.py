from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from sdstudio.engine.model_file import read_model_info
from sdstudio.paths import user_models_dir
from tests.training.conftest import TINY_DISCRIMINATOR, TINY_NETWORKS


@pytest.mark.slow
def test_two_cpu_processes_train_data_parallel_with_gloo(photo_folder):
    extra = {
        "val_count": 1,
        "val_size": 32,
        "checkpoint_every": 2,
        "validate_every": 100,
        "discriminator_hyperparameters": TINY_DISCRIMINATOR,
        "max_side": 96,
    }
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        "-m",
        "sdstudio.training.cli_command",
        "--task",
        "enhance",
        "--data",
        str(photo_folder),
        "--name",
        "ddp run",
        "--steps",
        "4",
        "--batch-size",
        "1",
        "--crop",
        "32",
        "--device",
        "cpu",
        "--hyperparameters",
        json.dumps(TINY_NETWORKS["enhance"]),
        "--config",
        json.dumps(extra),
    ]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    done = subprocess.run(command, capture_output=True, text=True, timeout=240, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("Model saved:") == 1  # only rank 0 reports and exports
    info = read_model_info(user_models_dir() / "ddp-run.safetensors")
    assert info.provenance["processes"] == 2 and info.provenance["steps"] == 4
