"""History titles name the method and its settings, from what the job recorded."""

from __future__ import annotations

import numpy as np
import pytest

from sdstudio.app.panels.history_titles import history_title, short_method_name
from sdstudio.jobs import EnhanceJob, RepairJob, StyleJob, job_params

IMAGE = np.zeros((4, 4, 3), np.uint8)
NAMES = {
    "patchmatch": "PatchMatch (content-aware fill)",
    "telea": "Telea (OpenCV)",
    "auto_classical": "Classical (automatic)",
    "sdstudio-repair": "SD Studio Repair",
    "sdstudio-enhance-x2": "SD Studio Enhance x2",
    "sdstudio-enhance-x4-detail": "SD Studio Enhance x4 (detail)",
    "lanczos": "Lanczos (classical)",
}


def _title(job, **reported):
    return history_title(job, {**job_params(job), **reported}, NAMES)


@pytest.mark.parametrize(
    ("display_name", "short"),
    [
        ("PatchMatch (content-aware fill)", "PatchMatch"),
        ("Telea (OpenCV)", "Telea"),
        ("Classical (automatic)", "Classical, auto"),
        ("SD Studio Enhance x4 (detail)", "SD Studio Enhance x4, detail"),
        ("SD Studio Repair", "SD Studio Repair"),
    ],
)
def test_short_method_names(display_name, short):
    assert short_method_name(display_name) == short


def test_repair_names_the_method_that_ran():
    mask = np.ones((4, 4), np.uint8)
    assert _title(RepairJob(IMAGE, mask, method="patchmatch")) == "Repair (PatchMatch)"
    # "auto" is named by what the engine reports it chose.
    auto = RepairJob(IMAGE, mask, method="auto")
    assert _title(auto, method="sdstudio-repair") == "Repair (SD Studio Repair, auto)"
    diffusion = RepairJob(
        IMAGE, mask, method="sd:inpaint", prompt="a red wooden door with brass handles",
        seed=7, options={"steps": 25},
    )  # fmt: skip
    title = _title(diffusion, method_kind="diffusion")
    assert title == "Repair (sd:inpaint, “a red wooden door with brass…”, 25 steps, seed 7)"


def test_enhance_names_scale_upscaler_and_each_adjustment():
    job = EnhanceJob(IMAGE, scale=2, sharpen=0.3)
    assert _title(job, upscaler="sdstudio-enhance-x2") == (
        "Enhance x2 (SD Studio Enhance x2), sharpen 30 %"
    )
    detail = EnhanceJob(IMAGE, scale=4, denoise=0.25, contrast=0.5)
    assert _title(detail, upscaler="sdstudio-enhance-x4-detail") == (
        "Enhance x4 (SD Studio Enhance x4, detail), denoise 25 %, contrast 50 %"
    )
    assert _title(EnhanceJob(IMAGE, scale=2)) == "Enhance x2 (automatic)"  # not run yet
    assert _title(EnhanceJob(IMAGE, scale=1, sharpen=0.4), upscaler=None) == (
        "Enhance, sharpen 40 %"
    )


def test_style_names_preset_strength_and_mask():
    assert _title(StyleJob(IMAGE, "oil_painting", strength=0.8)) == "Style: Oil painting, 80 %"
    masked = StyleJob(IMAGE, "watercolour", strength=0.35, mask=np.ones((4, 4), np.uint8))
    assert _title(masked) == "Style: Watercolour, 35 %, painted area"
