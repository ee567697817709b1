from __future__ import annotations

import numpy as np
import pytest
import torch

from sdstudio import paths
from sdstudio.engine import devices
from sdstudio.engine.backends.builtin import network_filler
from sdstudio.engine.catalog import find_method
from sdstudio.engine.runner import run_job, run_to_completion
from sdstudio.engine.tiled_inference import CPU_FALLBACK_NOTE
from sdstudio.errors import UnknownNameError, UserFacingError
from sdstudio.jobs import EnhanceJob, JobResult, Progress, RepairJob, StyleJob
from tests.engine.helpers import drive, save_tiny_repair_model


def _image(height=40, width=56):
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x * 4, y * 6, (x + y) * 2], axis=-1).astype(np.uint8)


def test_repair_and_enhance_jobs_yield_progress_and_return_a_result():
    image = _image()
    mask = np.zeros(image.shape[:2], np.uint8)
    mask[10:20, 10:20] = 255
    for job in (RepairJob(image, mask, method="telea"), EnhanceJob(image, scale=2)):
        result, progress = drive(run_job(job))
        assert isinstance(result, JobResult) and progress
        assert all(isinstance(p, Progress) and 0.0 <= p.fraction <= 1.0 for p in progress)
        assert result.params["task"] == job.task


def test_style_jobs_go_to_the_style_presets():
    result = run_to_completion(StyleJob(_image(), preset="oil_painting", device="cpu"))
    assert result.image.shape == (40, 56, 3)


def test_closing_a_job_cancels_it():
    image = _image(200, 200)
    mask = np.zeros((200, 200), np.uint8)
    for top in range(0, 200, 50):
        mask[top + 5 : top + 10, 20:30] = 255
    work = run_job(RepairJob(image, mask, method="telea"))
    next(work)
    work.close()
    with pytest.raises(StopIteration):
        next(work)


def test_device_choice():
    assert devices.resolve_device("cpu") == torch.device("cpu")
    assert devices.resolve_device("auto").type in ("cpu", "cuda", "mps")
    with pytest.raises(UnknownNameError, match="tpu"):
        devices.resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(UserFacingError, match="CUDA"):
            devices.resolve_device("cuda")
        save_tiny_repair_model(paths.user_models_dir())
        image = _image()
        mask = np.zeros(image.shape[:2], np.uint8)
        mask[5:9, 5:9] = 255
        with pytest.raises(UserFacingError, match="CUDA"):
            run_to_completion(RepairJob(image, mask, device="cuda"))


def test_half_precision_only_on_cuda_for_networks_that_support_it():
    network = torch.nn.Conv2d(3, 3, 1)
    network.supports_half = True
    assert devices.inference_dtype(torch.device("cuda"), network) == torch.float16
    assert devices.inference_dtype(torch.device("cpu"), network) == torch.float32
    assert devices.inference_dtype(torch.device("cuda"), torch.nn.Conv2d(3, 3, 1)) == torch.float32


def test_repair_network_falls_back_to_the_cpu_on_out_of_memory():
    save_tiny_repair_model(paths.user_models_dir())
    filler = network_filler(find_method("repair", "tiny-repair"), "cpu")
    filler.network.to(torch.float16)
    filler.dtype = torch.float16  # stands in for a GPU: the fallback is the CPU in fp32
    original = filler.network.forward

    def forward(x):
        if x.dtype == torch.float16:
            raise torch.cuda.OutOfMemoryError("simulated")
        return original(x)

    filler.network.forward = forward
    image = _image()
    hole = np.zeros(image.shape[:2], bool)
    hole[5:15, 5:15] = True
    out = filler.fill(image, hole)
    assert out.shape == image.shape and filler.notes == [CPU_FALLBACK_NOTE]
    del filler.network.forward  # the cached network is shared: restore it
