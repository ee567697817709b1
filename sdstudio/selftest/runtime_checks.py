"""Self-test steps for what the frozen app loads on demand: model files, torch, spawn."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from sdstudio import paths
from sdstudio.imaging.image_io import LoadedImage
from sdstudio.jobs import EnhanceJob
from sdstudio.selftest.common import SelfTestFailure, run_to_result

PROCESS_TIMEOUT_S = 120.0  # a cold frozen start imports torch from disk
NETWORK_CROP = 96  # px: enough for the network's padding, quick on any CPU


@contextlib.contextmanager
def _temporary_user_data(folder: str) -> Iterator[None]:
    previous = os.environ.get("SDSTUDIO_DATA_DIR")
    os.environ["SDSTUDIO_DATA_DIR"] = folder
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SDSTUDIO_DATA_DIR", None)
        else:
            os.environ["SDSTUDIO_DATA_DIR"] = previous


def check_network(state: dict[str, object]) -> str:
    """torch, safetensors, spandrel and user model files work, even with no trained default.

    Two small x2 networks are saved into a throwaway user folder (never the person's
    own): one as SD Studio's training saves its models, one as a community Compact
    (Real-ESRGAN) file that spandrel recognises. Each is found through the catalog and
    run by its id.
    """
    import torch

    from sdstudio.engine.catalog import model_problems

    loaded = state["loaded"]
    assert isinstance(loaded, LoadedImage)
    crop = np.ascontiguousarray(loaded.pixels[:NETWORK_CROP, :NETWORK_CROP])
    with (
        tempfile.TemporaryDirectory(prefix="sdstudio-selftest-") as folder,
        _temporary_user_data(folder),
    ):
        torch.manual_seed(0)
        own_file = _save_own_model(paths.user_models_dir() / "selftest_x2.safetensors")
        if not community_models_expected():
            _check_community_refused(paths.user_models_dir() / "selftest-compact-x2.pth")
            _run_saved_upscaler(own_file, crop)
            height, width = crop.shape[:2]
            return (
                f"torch {torch.__version__} (CPU-only, no torchvision): an SD Studio x2 model "
                f"file was found in the catalog and ran on a {width}x{height} crop; a "
                "community (spandrel) file is refused with a clear message"
            )
        community_file = _save_community_model(paths.user_models_dir() / "selftest-compact-x2.pth")
        # With only these two files in the user folder, any problem is the app's own
        # (a bundled model that does not load, a model backend missing from the build).
        problems = model_problems()
        if problems:
            listed = "; ".join(f"{p.path.name}: {p.message}" for p in problems)
            raise SelfTestFailure(f"model files could not be offered: {listed}")
        for model_file in (own_file, community_file):
            _run_saved_upscaler(model_file, crop)
    height, width = crop.shape[:2]
    return (
        f"torch {torch.__version__}: an SD Studio and a community (spandrel) x2 model "
        f"file were found in the catalog and ran on a {width}x{height} crop"
    )


def community_models_expected() -> bool:
    """False only in the CPU-only build without torchvision (spandrel cannot import).

    A CUDA build, or any build that has torchvision, must run community models, so a
    torchvision left out of such a build still fails the self-test.
    """
    import importlib.util

    import torch

    return torch.version.cuda is not None or importlib.util.find_spec("torchvision") is not None


def _check_community_refused(path: Path) -> None:
    """Without torchvision a community file must be listed as a problem, not crash the scan."""
    import torch

    from sdstudio.engine.catalog import model_problems

    torch.save({"params": {"body.0.weight": torch.zeros(8, 3, 3, 3)}}, path)
    problems = model_problems()
    messages = [p.message for p in problems if p.path.name == path.name]
    others = [f"{p.path.name}: {p.message}" for p in problems if p.path.name != path.name]
    if others:
        raise SelfTestFailure(f"model files could not be offered: {'; '.join(others)}")
    if len(messages) != 1 or "torchvision" not in messages[0]:
        raise SelfTestFailure(
            f"a community file without torchvision gave {messages!r}, not a clear refusal"
        )
    path.unlink()


def _save_own_model(path: Path) -> Path:
    from sdstudio.engine.model_file import build_network, save_model

    hyperparameters = {"scale": 2, "features": 8, "convs": 2}
    network = build_network("compact_sr", hyperparameters)
    save_model(
        path,
        network,
        task="enhance",
        architecture="compact_sr",
        hyperparameters=hyperparameters,
        name="Self-test x2",
        scale=2,
    )
    return path


def _save_community_model(path: Path) -> Path:
    """A pickle-free .pth state dict, as community Real-ESRGAN Compact files come."""
    import torch
    from spandrel.architectures.Compact.__arch.SRVGG import SRVGGNetCompact

    network = SRVGGNetCompact(num_in_ch=3, num_out_ch=3, num_feat=8, num_conv=2, upscale=2)
    torch.save({"params": network.state_dict()}, path)
    return path


def _run_saved_upscaler(model_file: Path, crop: np.ndarray) -> None:
    from sdstudio.engine.catalog import list_methods

    methods = [m for m in list_methods("enhance") if m.path == model_file]
    if not methods:
        raise SelfTestFailure(f"the catalog does not offer {model_file.name}")
    method_id = methods[0].id
    result = run_to_result(EnhanceJob(image=crop, scale=2, model=method_id, device="cpu"))
    height, width, channels = crop.shape
    if result.image.shape != (height * 2, width * 2, channels):
        raise SelfTestFailure(f"{model_file.name} returned {result.image.shape} for {crop.shape}")
    used = result.params.get("upscaler") or result.params.get("model")
    if used != method_id:
        raise SelfTestFailure(f"the job ran {used!r}, not {method_id!r}")


def check_spawned_process(state: dict[str, object]) -> str:
    """Training runs in a spawned process: in a frozen app that works only when
    ``multiprocessing.freeze_support()`` runs first in the entry script."""
    import multiprocessing
    import queue

    context = multiprocessing.get_context("spawn")
    answers = context.Queue()
    child = context.Process(target=spawned_process_probe, args=(answers,), daemon=True)
    child.start()
    try:
        answer = answers.get(timeout=PROCESS_TIMEOUT_S)
    except queue.Empty:
        raise SelfTestFailure(
            f"a spawned process did not answer in {PROCESS_TIMEOUT_S:.0f} s"
        ) from None
    finally:
        child.join(timeout=10)
        if child.is_alive():
            child.kill()
    if child.exitcode != 0:
        raise SelfTestFailure(f"the spawned process exited with code {child.exitcode}")
    return f"a spawned process (pid {answer['pid']}) ran torch {answer['torch']}: {answer['sum']}"


def spawned_process_probe(answers: object) -> None:
    """Runs in the child: imports torch and computes something small."""
    import torch

    total = float(torch.arange(10, dtype=torch.float32).sum())
    answers.put({"pid": os.getpid(), "torch": torch.__version__, "sum": f"0+1+...+9 = {total:g}"})
