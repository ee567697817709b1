"""Find the damage for me: propose a mask of scratches, dust, cracks, stains and tears.

The learnt detector (``networks.damage_unet``, task ``damage`` model files) reads the
photo plus two classical cue channels (``damage_classical.cue_channels``, computed once
on the whole photo so tiles share them) and returns a damage probability per pixel. Any
photo size runs in overlapping tiles (``imaging.tiling``): one tile is in memory as a
tensor at a time, and the blended probabilities meet without seams.

``sensitivity`` (0..1) sets the decision threshold: 0.5 is the model's operating point
(the probability threshold its file names as ``operating_threshold``, chosen by the
trainer on held-out training photos; 0.5 when the file names none); higher marks more,
lower marks less.
The mask is a proposal the user edits before repairing it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from pathlib import Path

import numpy as np

from sdstudio import paths
from sdstudio.engine.damage_classical import cue_channels
from sdstudio.errors import ModelLoadError, UserFacingError
from sdstudio.imaging.tiling import Tile, TileBlender
from sdstudio.jobs import DamageJob, JobResult, Progress
from sdstudio.tasks import Task

DEFAULT_MODEL_FILE = "sdstudio-damage.safetensors"
PERSONAL_VARIANT = "personal"  # a fine-tune on the person's photos (training.run_export)
TILE_SIZE = 1024
# More than the network's reach from a tile edge would be ideal (about 110 px); 96 keeps
# seams invisible at ~15 % extra work.
TILE_OVERLAP = 96
# Cue channels are uint8 top-hat values; strong damage reaches a few hundred levels'
# contrast, so /128 keeps them in about [0, 2], near the RGB inputs' range.
CUE_DIVISOR = 128.0
# sensitivity -> probability threshold, in logits: logit(operating) - SPREAD * (s - 0.5);
# with an operating threshold of 0.5, sensitivity 1.0 gives about 0.05 and 0.0 about 0.95.
_SENSITIVITY_SPREAD = 2 * math.log(19.0)


def default_model_path() -> Path:
    return paths.bundled_models_dir() / DEFAULT_MODEL_FILE


def detector_path(model_path: str | Path | None = None) -> Path:
    """The detector a job uses: the one it names, else the person's own fine-tune of the
    detector when its training validated it better than the model it started from and
    the classical finder (``model_checks.validated_better``), else the shipped one.

    Find damage offers no model list, so this is the one place a fine-tune can take
    over; one that is not known to be better never does (the job names its file).
    """
    if model_path is not None:
        return Path(model_path)
    from sdstudio.engine import catalog
    from sdstudio.engine.methods import MethodKind

    for method in catalog.list_methods(Task.DAMAGE, include_providers=False):
        own = method.kind is MethodKind.BUILTIN and method.path is not None
        if own and method.variant == PERSONAL_VARIANT and method.automatic:
            return method.path  # the user's models are listed before the shipped ones
    return default_model_path()


def threshold_for_sensitivity(sensitivity: float, operating: float = 0.5) -> float:
    """The probability above which a pixel is damage: ``operating`` at sensitivity 0.5,
    decreasing in ``sensitivity``."""
    if not 0.0 <= sensitivity <= 1.0 or math.isnan(sensitivity):
        raise UserFacingError(f"Sensitivity must be between 0 and 1, not {sensitivity}.")
    operating = min(max(operating, 1e-3), 1 - 1e-3)
    logit = math.log(operating / (1 - operating)) - _SENSITIVITY_SPREAD * (sensitivity - 0.5)
    return 1.0 / (1.0 + math.exp(-logit))


def operating_threshold(info) -> float:
    """The probability threshold a damage model file names for sensitivity 0.5."""
    try:
        value = float(info.metadata.get("operating_threshold", "0.5"))
    except ValueError:
        raise ModelLoadError(f"{info.path.name}: operating_threshold is not a number.") from None
    if not 0.0 < value < 1.0:
        raise ModelLoadError(f"{info.path.name}: operating_threshold must lie in (0, 1).")
    return value


def network_input(
    rgb: np.ndarray, *, in_channels: int, cue_kernel: int, cues: np.ndarray | None = None
) -> np.ndarray:
    """float32 (H, W, in_channels): RGB / 255, then the cue channels when the network
    takes them. ``cues`` (uint8, from ``cue_channels``) may be given for a tile cut from a
    whole photo's cues. The trainer builds its batches with this same function."""
    rgb = np.ascontiguousarray(rgb[..., :3])
    planes = rgb.astype(np.float32) / 255.0
    if in_channels == 3:
        return planes
    if cues is None:
        cues = cue_channels(rgb, cue_kernel)
    return np.concatenate([planes, cues.astype(np.float32) / CUE_DIVISOR], axis=2)


def _axis_spans(length: int, most: int, overlap: int, multiple: int) -> list[tuple[int, int]]:
    """(start, end) of as few tiles as cover ``length`` with tiles of at most ``most`` px
    sharing at least ``overlap``; tiles as short as that allows, starts on ``multiple``."""
    cells = -(-length // multiple)
    most_cells = max(1, most // multiple)
    overlap_cells = min(-(-overlap // multiple), most_cells - 1)
    if cells <= most_cells:
        return [(0, length)]
    count = -(-(cells - overlap_cells) // (most_cells - overlap_cells))
    size = min(most_cells, -(-(cells + (count - 1) * overlap_cells) // count))
    starts = [round(i * (cells - size) / (count - 1)) for i in range(count)]
    return [(start * multiple, min((start + size) * multiple, length)) for start in starts]


def aligned_tiles(
    height: int, width: int, tile_size: int, overlap: int, multiple: int
) -> list[Tile]:
    """Tiles (row-major, as ``TileBlender`` wants) of at most ``tile_size`` px, each
    starting on a multiple of ``multiple`` pixels and no bigger than needed.

    The detector folds 2x2 pixels into channels and downsamples by 2 three times, so it
    sees a shifted picture the same way only when the shift is a multiple of its total
    stride: tiles on that grid give the whole photo's probabilities away from their
    borders. Sizing tiles to the photo (rather than always ``tile_size`` square) keeps
    the work within ~15 % of the photo's own area. The last row / column is cut at the
    photo's edge (the network pads it).
    """
    rows = _axis_spans(height, tile_size, overlap, multiple)
    cols = _axis_spans(width, tile_size, overlap, multiple)
    tiles = []
    for row, (y0, y1) in enumerate(rows):
        for col, (x0, x1) in enumerate(cols):
            tiles.append(
                Tile(
                    y0, y1, x0, x1, row, col,
                    overlap_top=rows[row - 1][1] - y0 if row else 0,
                    overlap_bottom=y1 - rows[row + 1][0] if row + 1 < len(rows) else 0,
                    overlap_left=cols[col - 1][1] - x0 if col else 0,
                    overlap_right=x1 - cols[col + 1][0] if col + 1 < len(cols) else 0,
                )
            )  # fmt: skip
    return tiles


def _load_detector(model_path: str | Path | None, device):
    from sdstudio.engine.model_cache import cached_network
    from sdstudio.engine.model_file import read_model_info

    path = detector_path(model_path)
    if not path.exists():
        raise ModelLoadError(f"No damage detector model is installed ({path.name} was not found).")
    info = read_model_info(path)
    if info.task != "damage":
        raise ModelLoadError(f"{path.name} is a {info.task} model, not a damage detector.")
    network, dtype = cached_network(info, device)
    return info, network, dtype


def iter_damage_probability(
    image: np.ndarray,
    *,
    model_path: str | Path | None = None,
    device: str = "cpu",
    tile_size: int = TILE_SIZE,
    overlap: int = TILE_OVERLAP,
) -> Generator[Progress, None, np.ndarray]:
    """Yield Progress per tile; return uint8 (H, W) damage probability x 255."""
    import torch

    from sdstudio.engine.devices import resolve_device

    if image.ndim != 3 or image.shape[2] not in (3, 4) or image.dtype != np.uint8:
        raise UserFacingError("Damage detection needs an 8-bit RGB or RGBA image.")
    torch_device = resolve_device(device)
    _, network, dtype = _load_detector(model_path, torch_device)
    height, width = image.shape[:2]
    # Cues from the whole photo (uint8, small), so no tile sees a cut-off neighbourhood;
    # float inputs are made per tile, so memory stays bounded for any photo size.
    cues = cue_channels(image, network.cue_kernel) if network.in_channels == 5 else None
    stride = network.size_multiple
    tile_size = max(stride * 2, tile_size // stride * stride)
    tiles = aligned_tiles(height, width, tile_size, min(overlap, tile_size // 3), stride)
    blender = TileBlender(height, width, 1)
    for index, tile in enumerate(tiles):
        rows, cols = slice(tile.y0, tile.y1), slice(tile.x0, tile.x1)
        patch = network_input(
            image[rows, cols], in_channels=network.in_channels, cue_kernel=network.cue_kernel,
            cues=None if cues is None else cues[rows, cols],
        )  # fmt: skip
        tensor = torch.from_numpy(np.ascontiguousarray(patch.transpose(2, 0, 1)))[None]
        with torch.inference_mode():
            logits = network(tensor.to(device=torch_device, dtype=dtype))
        probability = torch.sigmoid(logits.float())[0, 0].cpu().numpy()
        blender.add(tile, probability)
        suffix = f" (tile {index + 1} of {len(tiles)})" if len(tiles) > 1 else ""
        yield Progress((index + 1) / len(tiles), "Finding damage" + suffix)
    return blender.result()[..., 0]


def mask_from_probability(
    probability: np.ndarray, sensitivity: float = 0.5, operating: float = 0.5
) -> np.ndarray:
    """uint8 (H, W) 0/255 mask from a uint8 probability map (x 255)."""
    threshold = threshold_for_sensitivity(sensitivity, operating) * 255.0
    return np.where(probability.astype(np.float32) > threshold, 255, 0).astype(np.uint8)


def iter_detect_damage(
    image: np.ndarray,
    *,
    sensitivity: float = 0.5,
    model_path: str | Path | None = None,
    device: str = "cpu",
    tile_size: int = TILE_SIZE,
) -> Generator[Progress, None, np.ndarray]:
    """The generator form (yields Progress per tile, returns the mask) for jobs."""
    from sdstudio.engine.model_file import read_model_info

    threshold_for_sensitivity(sensitivity)  # fail before any work
    model_path = detector_path(model_path)  # once: the map and its threshold agree
    probability = yield from iter_damage_probability(
        image, model_path=model_path, device=device, tile_size=tile_size
    )
    info = read_model_info(model_path)
    return mask_from_probability(probability, sensitivity, operating_threshold(info))


def detect_damage(
    image_uint8: np.ndarray,
    *,
    sensitivity: float = 0.5,
    model_path: str | Path | None = None,
    device: str = "cpu",
    progress: Callable[[Progress], None] | None = None,
    tile_size: int = TILE_SIZE,
) -> np.ndarray:
    """uint8 (H, W) mask, 255 where the detector proposes damage.

    Raises :class:`UserFacingError` (``ModelLoadError``) for a missing or bad model file.
    """
    work = iter_detect_damage(
        image_uint8, sensitivity=sensitivity, model_path=model_path, device=device,
        tile_size=tile_size,
    )  # fmt: skip
    while True:
        try:
            update = next(work)
        except StopIteration as finished:
            return finished.value
        if progress is not None:
            progress(update)


def run_damage_job(job: DamageJob) -> Generator[Progress, None, JobResult]:
    """A DamageJob: the photo unchanged, the proposed mask and its probability map."""
    from sdstudio.engine.model_file import read_model_info

    threshold_for_sensitivity(job.sensitivity)  # fail before any work
    model_path = detector_path(job.options.get("model_path"))  # once, as above
    probability = yield from iter_damage_probability(
        job.image[..., :3], model_path=model_path, device=job.device
    )
    info = read_model_info(model_path)
    operating = operating_threshold(info)
    mask = mask_from_probability(probability, job.sensitivity, operating)
    return JobResult(
        image=job.image, mask=mask, probability=probability,
        params={"operating_threshold": operating, "sensitivity": job.sensitivity,
                "model": info.path.name},
    )  # fmt: skip
