"""Community models: load time and speed per kind, beside the built-in defaults.

    .venv/bin/python benchmarks/community_models.py            # ~2-4 minutes on 2 CPU cores
    .venv/bin/python benchmarks/community_models.py --quick    # 128 px, a few seconds each
    .venv/bin/python benchmarks/community_models.py --size 512 --device cuda

Each kind of community model is built at its published size with random weights (speed
does not depend on the weights), saved as a file the way people share them, and run
through the real jobs (``run_job``): ESRGAN x4 (RRDBNet 23 blocks), Real-ESRGAN Compact
x4, SCUNet, DRUNet and LaMa; Stable Diffusion checkpoints found in your models folder
are added with ``--sd PATH``. The reference rows, measured in the same run on the same
image, are the built-in defaults at their default size (``compact_sr`` x2/x4 for
Enhance, ``ffc_inpaint`` for Repair) and the classical methods (Lanczos, Telea). Columns:
load seconds (file to ready network), then milliseconds per megapixel of input (the
second, warm run), and the ratio to the built-in default of the same task.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _photo(size: int) -> np.ndarray:
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    rng = np.random.default_rng(0)
    image = np.stack([xs / size, ys / size, 0.5 + 0.5 * np.sin(xs / 13.0)], -1) * 255
    return np.clip(image + rng.normal(0, 8, image.shape), 0, 255).astype(np.uint8)


def _save(network, path: Path) -> Path:
    import torch
    from safetensors.torch import save_file

    state = {k: v.contiguous() for k, v in network.state_dict().items()}
    if path.suffix == ".safetensors":
        save_file(state, str(path))
    else:
        torch.save(state, path)
    return path


def build_community_models(folder: Path) -> dict[str, tuple[str, Path]]:
    """name -> (task, file) at the published sizes, random weights."""
    from spandrel.architectures.Compact import Compact
    from spandrel.architectures.DRUNet import DRUNet
    from spandrel.architectures.ESRGAN import ESRGAN
    from spandrel.architectures.LaMa import LaMa
    from spandrel.architectures.SCUNet import SCUNet

    return {
        "ESRGAN x4 (RRDBNet 23x64)": ("enhance", _save(ESRGAN(scale=4), folder / "esrgan-x4.pth")),
        "Real-ESRGAN Compact x4": (
            "enhance", _save(Compact(upscale=4), folder / "compact-x4.safetensors"),
        ),
        "SCUNet (denoise)": ("enhance", _save(SCUNet(), folder / "scunet.pth")),
        "DRUNet (denoise)": (
            "enhance", _save(DRUNet(in_nc=4, out_nc=3), folder / "drunet.safetensors"),
        ),
        "LaMa (big-lama)": (
            "repair", _save(LaMa(in_nc=4, out_nc=3), folder / "big-lama.safetensors"),
        ),
    }  # fmt: skip


def build_builtin_defaults(folder: Path) -> dict[str, tuple[str, Path]]:
    from sdstudio.engine.model_file import save_model
    from sdstudio.engine.networks import CompactSRNet, FFCInpaintGenerator

    rows = {}
    for scale in (2, 4):
        path = folder / f"builtin-x{scale}.safetensors"
        save_model(
            path, CompactSRNet(scale=scale), task="enhance", architecture="compact_sr",
            hyperparameters={"scale": scale}, name=f"built-in x{scale}", scale=scale,
        )  # fmt: skip
        rows[f"built-in compact_sr x{scale}"] = ("enhance", path)
    path = folder / "builtin-repair.safetensors"
    save_model(path, FFCInpaintGenerator(), task="repair", architecture="ffc_inpaint",
               hyperparameters={}, name="built-in repair")  # fmt: skip
    rows["built-in ffc_inpaint"] = ("repair", path)
    return rows


def _job(task: str, method_id: str, image: np.ndarray, scale: int, device: str):
    from sdstudio.jobs import EnhanceJob, RepairJob

    if task == "repair":
        mask = np.zeros(image.shape[:2], np.uint8)
        side = image.shape[0]
        mask[side // 3 : side // 2, side // 4 : 3 * side // 4] = 255
        return RepairJob(image=image, mask=mask, method=method_id, device=device)
    return EnhanceJob(image=image, scale=scale, model=method_id, device=device)


def _load_seconds(path: Path, kind: str) -> float:
    started = time.perf_counter()
    if kind == "community":
        from sdstudio.engine.backends.spandrel_files import load_descriptor

        load_descriptor(path)
    elif kind == "builtin":
        from sdstudio.engine.model_file import load_network

        load_network(path)
    return time.perf_counter() - started


def measure(name: str, method, image: np.ndarray, device: str) -> tuple[float, float, int]:
    from sdstudio.engine.runner import run_to_completion

    task = method.task
    scale = method.scale or (2 if task == "enhance" else 1)
    load = _load_seconds(method.path, method.kind) if method.path else 0.0
    run_to_completion(_job(task, method.id, image, scale, device))  # warm: load + caches
    started = time.perf_counter()
    run_to_completion(_job(task, method.id, image, scale, device))
    return load, time.perf_counter() - started, scale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256, help="square test image side (px)")
    parser.add_argument("--quick", action="store_true", help="128 px image")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda", "mps"])
    parser.add_argument(
        "--sd", type=Path, action="append", default=[],
        help="a Stable Diffusion checkpoint (file or diffusers folder) to add",
    )  # fmt: skip
    args = parser.parse_args()
    size = 128 if args.quick else args.size
    data_dir = Path(tempfile.mkdtemp(prefix="sdstudio-bench-"))
    os.environ["SDSTUDIO_DATA_DIR"] = str(data_dir)

    import torch

    from sdstudio import paths
    from sdstudio.engine import catalog

    models = paths.user_models_dir()
    torch.manual_seed(0)
    built = {**build_builtin_defaults(models), **build_community_models(models)}
    for checkpoint in args.sd:
        target = models / checkpoint.name
        os.symlink(checkpoint.resolve(), target, target_is_directory=checkpoint.is_dir())
        built[f"Stable Diffusion {checkpoint.name}"] = ("repair", target)
    methods = {m.path.resolve(): m for task in ("repair", "enhance")
               for m in catalog.list_methods(task) if m.path is not None}  # fmt: skip
    classical = {m.id: m for task in ("repair", "enhance") for m in catalog.list_methods(task)}
    image = _photo(size)
    megapixels = size * size / 1e6
    rows = []
    for name, (_task, path) in built.items():
        method = methods.get(path.resolve())
        if method is None:
            rows.append((name, "-", "-", float("nan"), float("nan"), "not listed"))
            continue
        load, seconds, scale = measure(name, method, image, args.device)
        rows.append((name, method.task, f"x{scale}", load, seconds, method.kind))
    for method_id in ("lanczos", "telea"):
        _load, seconds, scale = measure(method_id, classical[method_id], image, args.device)
        rows.append((f"classical {method_id}", classical[method_id].task, f"x{scale}",
                     0.0, seconds, "classical"))  # fmt: skip

    reference = {row[1]: row[4] for row in rows if row[0].startswith("built-in") and
                 (row[1] == "repair" or row[2] == "x2")}  # fmt: skip
    print(f"\nCommunity models, {size}x{size} px input, device {args.device}, "
          f"torch threads {torch.get_num_threads()}\n")  # fmt: skip
    header = f"{'model':34} {'task':8} {'scale':5} {'load s':>7} {'ms/MP':>10} {'vs built-in':>11}"
    print(header)
    print("-" * len(header))
    for name, task, scale, load, seconds, _kind in rows:
        ms_per_mp = 1000 * seconds / megapixels
        ratio = seconds / reference[task] if task in reference else float("nan")
        print(f"{name:34} {task:8} {scale:5} {load:7.2f} {ms_per_mp:10.0f} {ratio:10.1f}x")
    print(
        f"\nvs built-in: time relative to the built-in default of the same task "
        f"(Enhance: compact_sr x2; Repair: ffc_inpaint) on the same image.\n"
        f"Repair rows fill a {size // 2}x{size // 6} px hole; ms/MP is per input MP."
    )


if __name__ == "__main__":
    main()
