"""The methods ``quality.py`` compares: classical baselines and SD Studio model files, each
run through the real job (``engine.runner``) the app and the CLI use; and the candidate
files named on the command line, copied where the catalog finds a user's own models."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from sdstudio.tasks import Task


@dataclass(frozen=True)
class Method:
    id: str  # what the job names; also the column in the tables
    kind: str  # "classical" or "model"
    scale: int | None = None  # enhance models: their own scale
    candidate: bool = False  # named with --models rather than shipped


def run_job(job) -> np.ndarray:
    from sdstudio.engine.runner import run_to_completion

    return run_to_completion(job).image


def trained_models(task: Task, shipped: bool) -> list[Method]:
    """The task's SD Studio model files: the candidates (copied into the private user
    folder), and the shipped ones unless ``shipped`` is False."""
    from sdstudio.engine import catalog

    methods = []
    for info in catalog.list_methods(task, include_providers=False):
        candidate = info.source == "your models"
        if info.kind == "builtin" and (candidate or shipped):
            methods.append(Method(info.id, "model", info.scale, candidate))
    return methods


def repair_methods(shipped: bool = True) -> list[Method]:
    from sdstudio.engine import catalog

    wanted = ["telea", "navier_stokes"]
    if catalog.patchmatch_available():
        wanted += ["patchmatch", "auto_classical"]  # auto_classical: the network-free default
    return [Method(name, "classical") for name in wanted] + trained_models(Task.REPAIR, shipped)


def enhance_methods(shipped: bool = True) -> list[Method]:
    classical = [Method("bicubic", "classical"), Method("lanczos", "classical")]
    return classical + trained_models(Task.ENHANCE, shipped)


def repair_with(method: Method, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    from sdstudio.jobs import RepairJob

    return run_job(RepairJob(image=image, mask=mask, method=method.id, device="cpu"))


def enhance_with(method: Method, small: np.ndarray, scale: int) -> np.ndarray:
    height, width = small.shape[:2]
    size = (width * scale, height * scale)
    if method.id == "bicubic":
        return cv2.resize(small, size, interpolation=cv2.INTER_CUBIC)
    if method.id == "lanczos":
        return cv2.resize(small, size, interpolation=cv2.INTER_LANCZOS4)
    from sdstudio.jobs import EnhanceJob

    return run_job(EnhanceJob(image=small, scale=scale, model=method.id, device="cpu"))


def style_models() -> list:
    from sdstudio.engine import catalog
    from sdstudio.engine.style.presets_info import STYLE_PRESETS

    return [
        info
        for info in catalog.list_methods(Task.STYLE, include_providers=False)
        if info.kind == "builtin" and info.style in STYLE_PRESETS
    ]


def style_with(preset: str, image: np.ndarray, renderer: str) -> np.ndarray:
    from sdstudio.jobs import StyleJob

    return run_job(
        StyleJob(image=image, preset=preset, device="cpu", options={"renderer": renderer})
    )


def copy_candidates(sources: list[Path], folder: Path) -> dict[Path, Path]:
    """Copy the named model files (or every ``.safetensors`` in a named folder) into the
    private models folder: a snapshot, so a training run that rewrites its checkpoint
    while this runs cannot change what is measured. Returns ``{copy: original}``."""
    folder.mkdir(parents=True, exist_ok=True)
    copied = {}
    for source in sources:
        files = sorted(source.glob("*.safetensors")) if source.is_dir() else [source]
        for path in files:
            if not path.is_file():
                raise SystemExit(f"No model file {path}.")
            target = folder / path.name
            if target.exists():  # two checkpoints of the same name from different runs
                target = folder / f"{path.parent.name}-{path.name}"
            shutil.copy2(path, target)
            copied[target] = path
    return copied


def model_lines(measured: list[str], scales: list[int], originals: dict[Path, Path]) -> list[str]:
    """Every model file measured (ids): task, shipped or candidate (``originals``: copy ->
    the file named), the file, its size against the 30 MB budget, and what "auto" picks."""
    from sdstudio.engine import catalog

    autos = {catalog.best_method(Task.REPAIR).id: "auto repair"}
    for scale in scales:
        autos.setdefault(catalog.best_method(Task.ENHANCE, scale=scale).id, f"auto x{scale}")
    infos = {
        info.id: info
        for task in (Task.REPAIR, Task.ENHANCE, Task.STYLE)
        for info in catalog.list_methods(task, include_providers=False)
    }
    lines = []
    for method_id in measured:
        info = infos[method_id]
        size = (info.size_bytes or 0) / 1e6
        notes = ["ok" if size < 30 else "over 30 MB", autos.get(method_id, "")]
        original = originals.get(info.path)
        origin = "shipped" if original is None else "candidate"
        lines.append(
            f"- {method_id}: {info.task}, {origin}, {original or info.path}, {size:.2f} MB "
            f"({', '.join(note for note in notes if note)})"
        )
    return lines or ["- no trained models"]
