"""Style presets: every preset restyles, strength and mask blend, tiles leave no seams."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from sdstudio.engine.style import STYLE_PRESETS, run_style, style_names_and_descriptions
from sdstudio.errors import MaskError, UnknownNameError, UserFacingError
from sdstudio.jobs import JobResult, Progress, StyleJob


def photo_like(height: int = 48, width: int = 64, channels: int = 3, seed: int = 0) -> np.ndarray:
    """A small image with edges, gradients and texture, so every filter has work to do."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    image = np.zeros((height, width, 3), np.float32)
    image[..., 0] = 40 + 180 * x / width
    image[..., 1] = 60 + 150 * y / height
    image[..., 2] = 120 + 80 * np.sin(x / 5.0)
    image[(x - width / 2) ** 2 + (y - height / 2) ** 2 < (height / 4) ** 2] = (230, 200, 40)
    image += rng.normal(0, 6, image.shape)
    pixels = np.clip(image, 0, 255).astype(np.uint8)
    if channels == 4:
        alpha = np.tile(np.linspace(0, 255, width, dtype=np.uint8), (height, 1))
        pixels = np.concatenate([pixels, alpha[..., None]], axis=2)
    return pixels


def run_to_end(job: StyleJob) -> tuple[JobResult, list[Progress]]:
    generator = run_style(job)
    progress: list[Progress] = []
    while True:
        try:
            progress.append(next(generator))
        except StopIteration as stop:
            return stop.value, progress


def test_at_least_eight_presets_with_names_and_descriptions():
    presets = style_names_and_descriptions()
    assert len(presets) >= 8
    ids = [preset.id for preset in presets]
    for required in ("oil_painting", "watercolour", "pencil_sketch", "pencil_colour", "cartoon"):
        assert required in ids
    for preset_id, name, description in presets:
        assert preset_id in STYLE_PRESETS and name and len(description) > 20


def test_listing_presets_does_not_import_torch():
    code = (
        "import sys; from sdstudio.engine.style import style_names_and_descriptions as s; "
        "assert len(s()) >= 8; print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("preset", list(STYLE_PRESETS))
def test_each_preset_changes_the_image_and_keeps_alpha(preset):
    image = photo_like(channels=4)
    result, progress = run_to_end(StyleJob(image=image, preset=preset, device="cpu"))
    assert result.image.shape == image.shape and result.image.dtype == np.uint8
    np.testing.assert_array_equal(result.image[..., 3], image[..., 3])
    changed = np.abs(result.image[..., :3].astype(int) - image[..., :3]).mean()
    assert changed > 8, f"{preset} barely changed the image ({changed:.1f} levels)"
    assert progress and progress[-1].fraction == pytest.approx(1.0)
    assert result.params["preset"] == preset and result.params["method"] == "filters"


def test_same_seed_same_result_other_seed_other_texture():
    image = photo_like()
    first, _ = run_to_end(StyleJob(image=image, preset="watercolour", seed=3))
    again, _ = run_to_end(StyleJob(image=image, preset="watercolour", seed=3))
    other, _ = run_to_end(StyleJob(image=image, preset="watercolour", seed=4))
    np.testing.assert_array_equal(first.image, again.image)
    assert not np.array_equal(first.image, other.image)


def test_strength_zero_is_the_original_and_half_lies_between():
    image = photo_like()
    zero, _ = run_to_end(StyleJob(image=image, preset="cartoon", strength=0.0))
    np.testing.assert_array_equal(zero.image, image)
    full, _ = run_to_end(StyleJob(image=image, preset="cartoon", strength=1.0))
    half, _ = run_to_end(StyleJob(image=image, preset="cartoon", strength=0.5))
    expected = (image.astype(np.float32) + full.image.astype(np.float32)) / 2
    assert np.abs(half.image - expected).max() <= 1.0
    assert np.abs(half.image.astype(int) - image).mean() > 2


def test_mask_limits_the_effect_to_the_painted_area():
    image = photo_like()
    mask = np.zeros(image.shape[:2], np.uint8)
    mask[10:30, 20:50] = 255
    mask[30:34, 20:50] = 100  # a soft edge: partly styled
    result, _ = run_to_end(StyleJob(image=image, preset="pencil_sketch", mask=mask))
    outside = mask == 0
    np.testing.assert_array_equal(result.image[outside], image[outside])
    assert np.abs(result.image[10:30, 20:50].astype(int) - image[10:30, 20:50]).mean() > 20
    full, _ = run_to_end(StyleJob(image=image, preset="pencil_sketch"))
    # Only the painted area (plus context) is computed, yet it matches the whole-image look.
    painted = np.abs(result.image[10:30, 20:50].astype(int) - full.image[10:30, 20:50])
    assert painted.max() <= 1
    soft = (image[30:34, 20:50] * (155 / 255) + full.image[30:34, 20:50] * (100 / 255)).round()
    assert np.abs(result.image[30:34, 20:50] - soft).max() <= 1


def test_empty_mask_styles_everything_and_wrong_size_mask_is_refused():
    image = photo_like()
    empty = np.zeros(image.shape[:2], np.uint8)
    with_empty, _ = run_to_end(StyleJob(image=image, preset="vintage_film", mask=empty))
    without, _ = run_to_end(StyleJob(image=image, preset="vintage_film"))
    np.testing.assert_array_equal(with_empty.image, without.image)
    with pytest.raises(MaskError, match="same size"):
        run_to_end(StyleJob(image=image, preset="vintage_film", mask=np.ones((5, 5), np.uint8)))


def test_unknown_preset_lists_the_choices():
    with pytest.raises(UnknownNameError) as error:
        run_to_end(StyleJob(image=photo_like(), preset="van_gogh"))
    assert "van_gogh" in str(error.value) and "oil_painting" in str(error.value)


@pytest.mark.parametrize("strength", [-0.1, 1.5])
def test_strength_outside_zero_to_one_is_refused(strength):
    with pytest.raises(UserFacingError, match="between 0 and 1"):
        run_to_end(StyleJob(image=photo_like(), preset="cartoon", strength=strength))


@pytest.mark.parametrize("preset", list(STYLE_PRESETS))
def test_tiles_join_without_seams(preset, monkeypatch):
    """Styled in small tiles, the image equals the one styled in a single tile."""
    from sdstudio.engine.style import run as style_run

    image = photo_like(150, 170, seed=5)
    whole, whole_progress = run_to_end(StyleJob(image=image, preset=preset, seed=1))
    monkeypatch.setitem(style_run.TILE_SIZE, "cpu", 64)
    tiled, tiled_progress = run_to_end(StyleJob(image=image, preset=preset, seed=1))
    assert len(whole_progress) == 1 and len(tiled_progress) > 1
    difference = np.abs(whole.image.astype(int) - tiled.image)
    # Float sums start at other places in other tiles; a hard threshold (halftone dots)
    # can turn that rounding into a few levels on a handful of pixels.
    assert difference.max() <= 8 and (difference > 2).mean() < 1e-3


def test_tiny_images_work():
    for shape in ((1, 1, 3), (2, 7, 4), (9, 1, 3)):
        image = np.full(shape, 128, np.uint8)
        for preset in STYLE_PRESETS:
            result, _ = run_to_end(StyleJob(image=image, preset=preset))
            assert result.image.shape == shape


def test_a_trained_style_network_backs_its_preset(isolated_user_data):
    import torch

    from sdstudio.engine.model_file import save_model
    from sdstudio.engine.networks import StyleTransferNet
    from sdstudio.paths import user_models_dir

    torch.manual_seed(0)
    hyper = {"channels": 4, "residual_blocks": 1}
    save_model(
        user_models_dir() / "tiny-oil.safetensors", StyleTransferNet(**hyper), task="style",
        architecture="style_resnet", hyperparameters=hyper, name="Tiny oil", style="oil_painting",
    )  # fmt: skip
    image = photo_like()
    result, _ = run_to_end(StyleJob(image=image, preset="oil_painting"))
    assert result.params["method"] == "tiny-oil"
    assert any("Tiny oil" in note for note in result.notes)
    filters, _ = run_to_end(StyleJob(image=image, preset="cartoon"))
    assert filters.params["method"] == "filters"
    assert not np.array_equal(result.image, image)


def test_a_small_mask_styles_only_its_neighbourhood_with_the_full_image_look():
    image = photo_like(160, 200, seed=2)
    mask = np.zeros(image.shape[:2], np.uint8)
    mask[120:140, 150:180] = 255
    local, _ = run_to_end(StyleJob(image=image, preset="oil_painting", mask=mask))
    full, _ = run_to_end(StyleJob(image=image, preset="oil_painting"))
    difference = np.abs(local.image[120:140, 150:180].astype(int) - full.image[120:140, 150:180])
    assert difference.max() <= 1
    np.testing.assert_array_equal(local.image[mask == 0], image[mask == 0])


def test_closing_the_job_between_tiles_stops_it_and_leaves_torch_threads_alone(monkeypatch):
    import torch

    from sdstudio.engine.style import run as style_run

    monkeypatch.setitem(style_run.TILE_SIZE, "cpu", 64)
    threads = torch.get_num_threads()
    work = run_style(StyleJob(image=photo_like(150, 170), preset="charcoal", device="cpu"))
    first = next(work)
    assert 0 < first.fraction < 1 and "tile 1/" in first.message
    assert torch.get_num_threads() == threads  # one thread only while a tile computes
    work.close()
    with pytest.raises(StopIteration):
        next(work)


def test_a_style_network_paints_a_large_photo_at_the_reference_size(
    isolated_user_data, monkeypatch
):
    from sdstudio.engine.style import trained
    from sdstudio.paths import user_models_dir
    from tests.engine.helpers import save_tiny_style_model

    save_tiny_style_model(user_models_dir(), "cartoon")
    seen: list[tuple[int, ...]] = []
    real_run = trained.run_network_tiled

    def spy(network, image, **kwargs):
        seen.append(image.shape)
        return (yield from real_run(network, image, **kwargs))

    monkeypatch.setattr(trained, "run_network_tiled", spy)
    large = photo_like(1080, 1350, seed=4)  # style unit 1.2: painted at 900x1125
    result, _ = run_to_end(StyleJob(image=large, preset="cartoon"))
    assert seen == [(900, 1125, 3)] and result.image.shape == large.shape
    assert any("painted at 1125x900" in note and "1350x1080" in note for note in result.notes)
    small = photo_like(48, 64)  # unit 0.4 (the smallest): painted 2.5 times larger
    result, _ = run_to_end(StyleJob(image=small, preset="cartoon"))
    assert seen[-1] == (120, 160, 3) and result.image.shape == small.shape
    assert not any("painted at" in note for note in result.notes)
    reference = photo_like(900, 920)
    run_to_end(StyleJob(image=reference, preset="cartoon"))
    assert seen[-1] == (900, 920, 3)


def test_the_procedural_preset_can_be_asked_for_over_a_trained_network(isolated_user_data):
    from sdstudio.paths import user_models_dir
    from tests.engine.helpers import save_tiny_style_model

    save_tiny_style_model(user_models_dir(), "neon_glow")
    image = photo_like()
    trained, _ = run_to_end(StyleJob(image=image, preset="neon_glow"))
    filters, _ = run_to_end(
        StyleJob(image=image, preset="neon_glow", options={"renderer": "filters"})
    )
    assert trained.params["method"] == "tiny-style-neon_glow"
    assert filters.params["method"] == "filters"
    assert not np.array_equal(trained.image, filters.image)
    with pytest.raises(UserFacingError, match="renderer"):
        run_to_end(StyleJob(image=image, preset="neon_glow", options={"renderer": "magic"}))


def _finished_by_hand(painted: np.ndarray, seed: int) -> np.ndarray:
    """The film finish over ``painted``, the whole image in one piece."""
    import torch

    from sdstudio.engine.style.context import TileContext, style_unit
    from sdstudio.engine.style.effects import FINISHES

    size = painted.shape[:2]
    x = torch.from_numpy(painted).permute(2, 0, 1)[None].float() / 255.0
    ctx = TileContext((0, 0), size, style_unit(size), seed, x.device)
    y = FINISHES["film"].apply(x, ctx)
    return (y.clamp(0, 1) * 255.0 + 0.5).to(torch.uint8)[0].permute(1, 2, 0).numpy()


def test_a_network_that_learnt_a_preset_before_its_finish_gets_the_finish_after_it(
    isolated_user_data,
):
    import torch

    from sdstudio.engine.catalog import style_network as find_style_network
    from sdstudio.engine.style.trained import run_style_network
    from sdstudio.paths import user_models_dir
    from tests.engine.helpers import drive, save_tiny_style_model

    save_tiny_style_model(user_models_dir(), "vintage_film", extra_metadata={"finish": "film"})
    # Large enough to be finished at its own size (smaller ones are finished enlarged).
    image = photo_like(450, 600, seed=4)
    method = find_style_network("vintage_film")
    painted, _ = drive(run_style_network(method, image, torch.device("cpu"), []))
    result, progress = run_to_end(StyleJob(image=image, preset="vintage_film", seed=3))
    assert result.params["method"] == "tiny-style-vintage_film"
    np.testing.assert_array_equal(result.image, _finished_by_hand(painted, 3))
    assert not np.array_equal(result.image, painted)  # grain and vignette were added
    other_seed, _ = run_to_end(StyleJob(image=image, preset="vintage_film", seed=4))
    assert not np.array_equal(other_seed.image, result.image)  # the grain follows the seed
    assert progress[-1].fraction == 1.0


def test_a_finish_this_version_does_not_know_is_skipped_with_a_note(isolated_user_data):
    import torch

    from sdstudio.engine.catalog import style_network as find_style_network
    from sdstudio.engine.style.trained import run_style_network
    from sdstudio.paths import user_models_dir
    from tests.engine.helpers import drive, save_tiny_style_model

    save_tiny_style_model(user_models_dir(), "vintage_film", extra_metadata={"finish": "sepia"})
    image = photo_like(seed=5)
    method = find_style_network("vintage_film")
    painted, _ = drive(run_style_network(method, image, torch.device("cpu"), []))
    result, _ = run_to_end(StyleJob(image=image, preset="vintage_film"))
    np.testing.assert_array_equal(result.image, painted)
    assert any("finish 'sepia'" in note for note in result.notes)
