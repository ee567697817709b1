from __future__ import annotations

import hashlib

import numpy as np
import pytest

from sdstudio.errors import MaskError, UnknownNameError
from sdstudio.jobs import EnhanceJob, RepairJob, StyleJob
from sdstudio.session.step_replay import describe_step, file_sha256, job_from_params, resize_mask

IMAGE = np.zeros((20, 30, 3), np.uint8)


def test_repair_step_becomes_a_repair_job_with_the_method_used():
    mask = np.zeros((20, 30), np.uint8)
    mask[5:9, 5:9] = 255
    step = {
        "title": "Repair",
        "task": "repair",
        "method": "patchmatch",
        "seed": 3,
        "prompt": "",
        "options": {},
        "job_id": 12,
        "device": "CPU",
        "method_kind": "x",
    }
    job = job_from_params(step, IMAGE, mask)
    assert isinstance(job, RepairJob)
    assert (job.method, job.seed, job.device) == ("patchmatch", 3, "auto")
    assert job.job_id != 12 and job.mask is mask
    with pytest.raises(MaskError):
        job_from_params(step, IMAGE, None)


def test_style_and_enhance_steps():
    style = job_from_params(
        {
            "task": "style",
            "preset": "oil_painting",
            "strength": 0.4,
            "seed": 1,
            "method": "filters",
            "seconds": 2.0,
        },
        IMAGE,
        None,
    )
    assert isinstance(style, StyleJob) and (style.preset, style.strength) == ("oil_painting", 0.4)
    assert style.mask is None
    enhance = job_from_params(
        {"task": "enhance", "scale": 2, "sharpen": 0.3, "model": "auto", "upscaler": "lanczos"},
        IMAGE,
        None,
    )
    assert isinstance(enhance, EnhanceJob)
    assert (enhance.scale, enhance.sharpen, enhance.model) == (2, 0.3, "lanczos")


def test_unknown_task():
    with pytest.raises(UnknownNameError, match="cannot be run again"):
        job_from_params({"title": "Invert", "task": "test"}, IMAGE, None)


def test_description_lists_settings_for_people():
    text = describe_step(
        {
            "title": "Style: oil",
            "task": "style",
            "preset": "oil",
            "job_id": 4,
            "strength": 0.5,
            "device": "CPU",
            "model_sha256": "ab" * 32,
        }
    )
    lines = text.splitlines()
    assert lines[0] == "Style: oil"
    assert "Strength: 0.50" in lines and "Style: oil" in lines and "Ran on: CPU" in lines
    assert not any("job" in line.lower() for line in lines)
    assert "Model SHA-256: abababababababab…" in lines


def test_resize_mask():
    mask = np.zeros((10, 10), np.uint8)
    mask[:, :5] = 255
    resized = resize_mask(mask, 20, 5)
    assert resized.shape == (5, 20) and resized[:, :8].min() == 255 and resized[:, 12:].max() == 0


def test_file_hash(tmp_path):
    path = tmp_path / "m.safetensors"
    path.write_bytes(b"weights" * 1000)
    assert file_sha256(path) == hashlib.sha256(b"weights" * 1000).hexdigest()
    path.write_bytes(b"other")
    assert file_sha256(path) == hashlib.sha256(b"other").hexdigest()
