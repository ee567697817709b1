"""Scores on held-out photos and the sample grid the wizard shows.

The validation inputs are fixed once (seeded masks and degradations), so scores at
different steps, of the base model and of the classical method are comparable. Repair is
scored inside the hole (PSNR) and on the whole image (SSIM) against OpenCV Telea; enhance
against bicubic upscaling; style has no target, so it reports how much of the content's
structure survives (SSIM of the luminance) beside how far the output moved from it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from sdstudio.training.damage_masks import damage_mask
from sdstudio.training.degradation_profiles import fixed_degradation_for
from sdstudio.training.pairs import repair_input, to_chw

VALIDATION_MASK_KINDS = ("blobs", "boxes", "scratches", "strokes", "dust", "cracks")
GRID_ROWS = 4

RunNetwork = Callable[[np.ndarray], np.ndarray]  # (N, C, H, W) float32 -> (N, 3, H', W')


def psnr(output: np.ndarray, target: np.ndarray, where: np.ndarray | None = None) -> float:
    """PSNR in dB of uint8-range images, optionally only where ``where`` is true."""
    diff = output.astype(np.float64) - target.astype(np.float64)
    if where is not None:
        diff = diff[where.astype(bool)]
    mse = float(np.mean(diff**2)) if diff.size else 0.0
    return 100.0 if mse <= 1e-10 else float(10 * np.log10(255.0**2 / mse))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Structural similarity (Wang et al., 2004) of the luminance, Gaussian window 11/1.5."""

    def grey(image: np.ndarray) -> np.ndarray:
        if image.ndim == 3:
            image = cv2.cvtColor(image.astype(np.uint8), cv2.COLOR_RGB2GRAY)
        return image.astype(np.float64)

    x, y = grey(a), grey(b)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    blur = lambda image: cv2.GaussianBlur(image, (11, 11), 1.5)  # noqa: E731
    mu_x, mu_y = blur(x), blur(y)
    sigma_x = blur(x * x) - mu_x**2
    sigma_y = blur(y * y) - mu_y**2
    sigma_xy = blur(x * y) - mu_x * mu_y
    numerator = (2 * mu_x * mu_y + c1) * (2 * sigma_xy + c2)
    denominator = (mu_x**2 + mu_y**2 + c1) * (sigma_x + sigma_y + c2)
    return float(np.mean(numerator / denominator))


def centre_square(image: np.ndarray, size: int) -> np.ndarray:
    height, width = image.shape[:2]
    short = min(height, width)
    top, left = (height - short) // 2, (width - short) // 2
    square = image[top : top + short, left : left + short]
    interpolation = cv2.INTER_AREA if short > size else cv2.INTER_CUBIC
    return np.ascontiguousarray(cv2.resize(square, (size, size), interpolation=interpolation))


def to_uint8(chw: np.ndarray) -> np.ndarray:
    return (np.clip(chw.transpose(1, 2, 0), 0, 1) * 255.0 + 0.5).astype(np.uint8)


class Validator:
    def __init__(
        self,
        task: str,
        images: list[np.ndarray],
        size: int,
        scale: int = 2,
        seed: int = 0,
        style_examples: list[np.ndarray] | None = None,
        guided: bool = False,  # repair: the network takes the classical fills
        degradation: str | None = None,  # enhance: the profile the inputs are made with
    ) -> None:
        if task == "enhance":
            size -= size % (4 * scale)
        self.task, self.scale = task, scale
        self.targets = [centre_square(image, size) for image in images]
        self.style_examples = [centre_square(image, size) for image in (style_examples or [])]
        self.masks: list[np.ndarray] = []
        inputs = []
        for index, target in enumerate(self.targets):
            rng = np.random.default_rng(seed * 1000 + index)
            if task == "repair":
                kind = VALIDATION_MASK_KINDS[index % len(VALIDATION_MASK_KINDS)]
                mask = damage_mask(rng, size, size, kind)
                self.masks.append(mask)
                inputs.append(repair_input(target, mask, guided))
            elif task == "enhance":
                clean = target.astype(np.float32) / 255.0
                low = fixed_degradation_for(degradation, clean, scale, seed * 1000 + index)
                inputs.append(low.transpose(2, 0, 1).astype(np.float32))
            else:
                inputs.append(to_chw(target))
        self.inputs = np.stack(inputs) if inputs else np.zeros((0, 3, size, size), np.float32)
        self.classical = self._score([self._classical(i) for i in range(len(self.targets))])

    def _classical(self, index: int) -> np.ndarray:
        target = self.targets[index]
        if self.task == "repair":
            damaged = np.where(self.masks[index][..., None] > 0, 0, target).astype(np.uint8)
            return cv2.inpaint(damaged, self.masks[index], 3, cv2.INPAINT_TELEA)
        if self.task == "enhance":
            low = to_uint8(self.inputs[index])
            height, width = target.shape[:2]
            return cv2.resize(low, (width, height), interpolation=cv2.INTER_CUBIC)
        return target.copy()

    def outputs(self, run: RunNetwork) -> list[np.ndarray]:
        """The network's results on the validation inputs, as uint8 images (holes pasted)."""
        results = []
        for index in range(len(self.targets)):
            output = to_uint8(run(self.inputs[index : index + 1])[0])
            if self.task == "repair":
                hole = self.masks[index][:, :, None] > 0
                output = np.where(hole, output, self.targets[index])
            results.append(output)
        return results

    def _score(self, outputs: list[np.ndarray]) -> dict[str, float]:
        if not outputs:
            return {}
        pairs = list(zip(outputs, self.targets, strict=True))
        mean_ssim = float(np.mean([ssim(o, t) for o, t in pairs]))
        mean_psnr = float(np.mean([psnr(o, t) for o, t in pairs]))
        if self.task == "repair":
            holes = [np.repeat(m[:, :, None], 3, axis=2) > 0 for m in self.masks]
            hole_psnr = [psnr(o, t, h) for (o, t), h in zip(pairs, holes, strict=True)]
            return {"psnr_hole": float(np.mean(hole_psnr)), "ssim": mean_ssim}
        if self.task == "enhance":
            return {"psnr": mean_psnr, "ssim": mean_ssim}
        return {"structure_ssim": mean_ssim, "change_psnr": mean_psnr}

    def score(self, run: RunNetwork) -> tuple[dict[str, float], list[np.ndarray]]:
        outputs = self.outputs(run)
        return self._score(outputs), outputs

    def grid(self, outputs: list[np.ndarray]) -> np.ndarray:
        """Rows of input / output / target (style: content / output / a style example)."""
        rows = []
        for index, output in enumerate(outputs[:GRID_ROWS]):
            target = self.targets[index]
            height, width = target.shape[:2]
            if self.task == "repair":
                shown_input = target.copy()
                shown_input[self.masks[index] > 0] = (255, 0, 255)
            elif self.task == "enhance":
                low = to_uint8(self.inputs[index])
                shown_input = cv2.resize(low, (width, height), interpolation=cv2.INTER_NEAREST)
            else:
                shown_input = target
            last = target
            if self.task == "style" and self.style_examples:
                last = self.style_examples[index % len(self.style_examples)]
            rows.append(np.concatenate([shown_input, output, last], axis=1))
        return np.concatenate(rows, axis=0)


def save_png(path: Path, image: np.ndarray) -> Path:
    """Writes an RGB image as PNG atomically (the wizard may read it at any moment)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ok, encoded = cv2.imencode(".png", np.ascontiguousarray(image[:, :, ::-1]))
    if not ok:
        raise OSError(f"cannot encode {path.name}")
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(encoded.tobytes())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return path
