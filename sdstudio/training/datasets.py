"""Training photos from a folder: scanning with a report, an in-memory pool, augmentation.

A folder is scanned once before anything starts: every candidate file is decoded, so a
broken file is found here (skipped and listed), not at step 3,000. An empty folder or one
without a single usable photo raises :class:`TrainingDataError` with a message that says
what was found. A run's scan keeps what it decoded (downscaled, within a memory budget),
and the pool and the validation photos start from those images instead of decoding
every file again.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sdstudio.errors import TrainingDataError

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp"})
MIN_SIDE = 16  # below this a file is not a photo we can learn anything from
RECOMMENDED_COUNT = 20
KEPT_BYTES = 2 << 30  # decoded photos a run keeps in memory (scan and pool alike)


@dataclass
class FolderReport:
    folder: Path
    images: list[Path] = field(default_factory=list)
    sizes: list[tuple[int, int]] = field(default_factory=list)  # (width, height) per image
    unreadable: list[tuple[Path, str]] = field(default_factory=list)
    too_small: list[tuple[Path, tuple[int, int]]] = field(default_factory=list)  # (w, h)
    smaller_than_crop: list[Path] = field(default_factory=list)
    ignored_count: int = 0  # files that are not images by their name
    # The usable images as decoded, downscaled to scan_folder's ``keep_side``, within
    # KEPT_BYTES; empty unless asked for.
    kept: dict[Path, np.ndarray] = field(default_factory=dict, repr=False)
    kept_side: int = 0
    # What a task's objective found about the folder (a damage run: marked scans)
    notes: list[str] = field(default_factory=list)

    def image(self, path: Path) -> np.ndarray:
        """The image at ``path`` downscaled to ``kept_side``: the kept one, else decoded."""
        kept = self.kept.get(path)
        return kept if kept is not None else fit_max_side(decode_image(path), self.kept_side)

    @property
    def count(self) -> int:
        return len(self.images)

    def warnings(self) -> list[str]:
        notes = list(self.notes)
        if 0 < self.count < RECOMMENDED_COUNT:
            notes.append(
                f"Only {self.count} usable image(s); training still works (random crops, "
                f"flips and colour changes), but {RECOMMENDED_COUNT} or more adapt better."
            )
        if self.smaller_than_crop:
            notes.append(
                f"{len(self.smaller_than_crop)} image(s) are smaller than the training crop "
                "and will be enlarged."
            )
        if self.unreadable:
            names = _first_names([path.name for path, _ in self.unreadable])
            notes.append(f"{len(self.unreadable)} file(s) cannot be read and are skipped: {names}.")
        if self.too_small:
            names = _first_names([f"{path.name} ({w}x{h})" for path, (w, h) in self.too_small])
            notes.append(
                f"{len(self.too_small)} image(s) are too small to learn from (under "
                f"{MIN_SIDE}x{MIN_SIDE} pixels) and are skipped: {names}."
            )
        return notes

    def skipped(self) -> list[tuple[Path, str]]:
        """Every image file left out, with the reason."""
        small = [
            (path, f"too small ({w}x{h} pixels; the minimum is {MIN_SIDE}x{MIN_SIDE})")
            for path, (w, h) in self.too_small
        ]
        return self.unreadable + small

    def absorb_skipped(self, other: FolderReport) -> None:
        """Adds the files ``other`` skipped (a run reports both of its folders' together)."""
        self.unreadable += other.unreadable
        self.too_small += other.too_small

    def raise_if_unusable(self, role: str = "photo") -> None:
        if self.count:
            return
        if not self.unreadable and not self.too_small and not self.ignored_count:
            raise TrainingDataError(f"The {role} folder {self.folder} contains no files.")
        supported = ", ".join(sorted(s.lstrip(".").upper() for s in IMAGE_SUFFIXES))
        small = (
            f", {len(self.too_small)} image(s) smaller than {MIN_SIDE}x{MIN_SIDE} pixels"
            if self.too_small
            else ""
        )
        raise TrainingDataError(
            f"The {role} folder {self.folder} has no usable image: "
            f"{len(self.unreadable)} unreadable image file(s){small} and {self.ignored_count} "
            f"other file(s). Supported types: {supported}."
        )


def _first_names(names: list[str], shown: int = 5) -> str:
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def decode_image(path: Path) -> np.ndarray:
    """An image file as ``uint8 (H, W, 3)`` RGB, upright (EXIF orientation applied)."""
    from sdstudio.imaging.image_io import load_image

    image = load_image(path).pixels
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    return np.ascontiguousarray(image[:, :, :3])


def candidate_files(folder: Path) -> tuple[list[Path], int]:
    """Image files under ``folder`` (recursive, sorted, hidden files skipped) and the
    number of other files."""
    images, others = [], 0
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or any(
            part.startswith(".") for part in path.relative_to(folder).parts
        ):
            continue
        if path.suffix.lower() in IMAGE_SUFFIXES:
            images.append(path)
        else:
            others += 1
    return images, others


def scan_folder(
    folder: str | Path,
    crop: int = 0,
    progress: Callable[[int, int], None] | None = None,
    *,
    keep_side: int | None = None,
) -> FolderReport:
    """Decodes every image under ``folder`` and reports what is usable. With
    ``keep_side`` the usable images are kept, downscaled to it (0: full size)."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise TrainingDataError(f"The folder {folder} does not exist or is not a folder.")
    candidates, others = candidate_files(folder)
    report = FolderReport(folder=folder, ignored_count=others, kept_side=keep_side or 0)
    kept_bytes = 0
    for index, path in enumerate(candidates):
        if progress is not None:
            progress(index, len(candidates))
        try:
            image = decode_image(path)
        except Exception as error:  # any decoder failure means "skip and list it"
            report.unreadable.append((path, str(error) or type(error).__name__))
            continue
        height, width = image.shape[:2]
        if min(height, width) < MIN_SIDE:
            report.too_small.append((path, (width, height)))
            continue
        report.images.append(path)
        report.sizes.append((width, height))
        if crop and min(height, width) < crop:
            report.smaller_than_crop.append(path)
        if keep_side is not None and kept_bytes < KEPT_BYTES:
            report.kept[path] = fit_max_side(image, keep_side)
            kept_bytes += report.kept[path].nbytes
    return report


def fit_max_side(image: np.ndarray, max_side: int) -> np.ndarray:
    import cv2

    height, width = image.shape[:2]
    longest = max(height, width)
    if not max_side or longest <= max_side:
        return image
    factor = max_side / longest
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


class ImagePool:
    """Decoded photos (downscaled to ``max_side``), kept in memory up to a byte budget.

    ``decoded``: images of these paths decoded already at ``max_side`` (a scan's
    ``kept``); the pool starts with them."""

    def __init__(
        self,
        paths: list[Path],
        max_side: int,
        cache_bytes: int = KEPT_BYTES,
        decoded: dict[Path, np.ndarray] | None = None,
    ) -> None:
        if not paths:
            raise TrainingDataError("No usable images to train on.")
        self.paths = list(paths)
        self.max_side = max_side
        self.cache_bytes = cache_bytes
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._cached_bytes = 0
        for index, path in enumerate(self.paths):
            image = (decoded or {}).get(path)
            if image is not None and self._cached_bytes + image.nbytes <= cache_bytes:
                self._cache[index] = image
                self._cached_bytes += image.nbytes

    def __len__(self) -> int:
        return len(self.paths)

    def get(self, index: int) -> np.ndarray:
        image = self._cache.get(index)
        if image is not None:
            self._cache.move_to_end(index)
            return image
        image = fit_max_side(decode_image(self.paths[index]), self.max_side)
        self._cache[index] = image
        self._cached_bytes += image.nbytes
        while self._cached_bytes > self.cache_bytes and len(self._cache) > 1:
            _, dropped = self._cache.popitem(last=False)
            self._cached_bytes -= dropped.nbytes
        return image

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        return self.get(int(rng.integers(len(self.paths))))


def to_chw(image: np.ndarray) -> np.ndarray:
    """``uint8 (H, W, 3)`` -> ``float32 (3, H, W)`` in 0..1."""
    return np.ascontiguousarray(image.transpose(2, 0, 1), dtype=np.float32) / 255.0


def random_crop(
    rng: np.random.Generator, image: np.ndarray, size: int, zoom: float = 2.0
) -> np.ndarray:
    """A ``size`` x ``size`` crop; small images are enlarged first, large ones sometimes
    cropped wider and shrunk (scale augmentation, at most ``zoom`` x)."""
    import cv2

    height, width = image.shape[:2]
    short = min(height, width)
    if short < size:
        factor = size / short
        image = cv2.resize(
            image,
            (max(size, round(width * factor)), max(size, round(height * factor))),
            interpolation=cv2.INTER_CUBIC,
        )
        height, width = image.shape[:2]
        short = min(height, width)
    window = int(rng.uniform(size, max(size, min(short, size * zoom))) + 0.5)
    window = min(window, short)
    top = int(rng.integers(0, height - window + 1))
    left = int(rng.integers(0, width - window + 1))
    patch = image[top : top + window, left : left + window]
    if window != size:
        patch = cv2.resize(patch, (size, size), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(patch)


def augment(rng: np.random.Generator, patch: np.ndarray, jitter: float) -> np.ndarray:
    """Random horizontal flip and small brightness / contrast / saturation changes."""
    if rng.random() < 0.5:
        patch = patch[:, ::-1]
    if jitter <= 0:
        return np.ascontiguousarray(patch)
    values = patch.astype(np.float32)
    brightness = 1.0 + rng.uniform(-jitter, jitter)
    contrast = 1.0 + rng.uniform(-jitter, jitter)
    saturation = 1.0 + rng.uniform(-jitter, jitter)
    mean = values.mean()
    values = (values - mean) * contrast + mean * brightness
    grey = values.mean(axis=2, keepdims=True)
    values = (values - grey) * saturation + grey
    return np.clip(values + 0.5, 0, 255).astype(np.uint8)


def split_validation(paths: list[Path], count: int, seed: int) -> tuple[list[Path], list[Path]]:
    """(train, validation). Validation images are held out when the folder has at least
    ``2 * count`` images; smaller folders validate on (fixed crops of) training images."""
    if count <= 0:
        return list(paths), []
    order = np.random.default_rng(seed).permutation(len(paths))
    if len(paths) >= 2 * count:
        held = sorted(int(i) for i in order[:count])
        held_set = set(held)
        return [p for i, p in enumerate(paths) if i not in held_set], [paths[i] for i in held]
    return list(paths), [paths[int(i)] for i in order[: min(count, len(paths))]]
