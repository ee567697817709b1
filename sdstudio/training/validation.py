"""Scores on held-out photos and the sample grid the wizard shows.

The validation inputs are fixed once (seeded masks and degradations), so scores at
different steps, of the base model and of the classical method are comparable. What a
task's inputs are and which scores it reports is its objective's
(``sdstudio.training.objectives``); the metrics and the grid are shared.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:
    from sdstudio.training.objectives import TrainingObjective

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


def mean_psnr_and_ssim(outputs: list[np.ndarray], targets: list[np.ndarray]) -> tuple[float, float]:
    pairs = list(zip(outputs, targets, strict=True))
    mean_psnr = float(np.mean([psnr(output, target) for output, target in pairs]))
    mean_ssim = float(np.mean([ssim(output, target) for output, target in pairs]))
    return mean_psnr, mean_ssim


def to_uint8(chw: np.ndarray) -> np.ndarray:
    return (np.clip(chw.transpose(1, 2, 0), 0, 1) * 255.0 + 0.5).astype(np.uint8)


class Validator:
    """The held-out photos of a run as fixed cases, scored and shown the way the run's
    objective (``sdstudio.training.objectives``) says."""

    def __init__(
        self,
        objective: TrainingObjective,
        images: list[np.ndarray],
        size: int,
        seed: int = 0,
        style_examples: list[np.ndarray] | None = None,
    ) -> None:
        self.objective = objective
        size = objective.validation_size(size)
        self.targets = [centre_square(image, size) for image in images]
        self.style_examples = [centre_square(image, size) for image in (style_examples or [])]
        self.cases = [
            objective.validation_case(target, index, seed * 1000 + index)
            for index, target in enumerate(self.targets)
        ]
        self.inputs = (
            np.stack([case.input for case in self.cases])
            if self.cases
            else np.zeros((0, 3, size, size), np.float32)
        )
        self.classical = self._score(
            [objective.classical(t, c) for t, c in zip(self.targets, self.cases, strict=True)]
        )

    def outputs(self, run: RunNetwork) -> list[np.ndarray]:
        """The network's results on the validation inputs, as uint8 images (holes pasted)."""
        results = []
        for index, (target, case) in enumerate(zip(self.targets, self.cases, strict=True)):
            output = to_uint8(run(self.inputs[index : index + 1])[0])
            results.append(self.objective.pasted(output, target, case))
        return results

    def _score(self, outputs: list[np.ndarray]) -> dict[str, float]:
        if not outputs:
            return {}
        return self.objective.scores(outputs, self.targets, self.cases)

    def score(self, run: RunNetwork) -> tuple[dict[str, float], list[np.ndarray]]:
        outputs = self.outputs(run)
        return self._score(outputs), outputs

    def grid(self, outputs: list[np.ndarray]) -> np.ndarray:
        """Rows of input / output / target (style from examples: a style example last)."""
        rows = []
        for index, output in enumerate(outputs[:GRID_ROWS]):
            target, case = self.targets[index], self.cases[index]
            last = target
            if self.style_examples:
                last = self.style_examples[index % len(self.style_examples)]
            shown_input = self.objective.shown_input(target, case)
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
