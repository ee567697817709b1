"""Stable Diffusion checkpoints (optional extra) for Repair (inpainting).

Everything loads offline: ``HF_HUB_OFFLINE=1``, ``local_files_only=True``, the diffusers
configuration for single-file checkpoints comes from ``resources/diffusion_configs/`` and
the CLIP tokenizer is built from the BPE vocabulary shipped there (OpenAI CLIP, MIT). The
pipeline runs on a helper thread so that this generator can yield a :class:`Progress`
after every denoising step; closing the generator (Cancel) stops the pipeline at the next
step.
"""

from __future__ import annotations

import gzip
import os
import queue
import threading
from collections.abc import Callable, Generator
from functools import lru_cache
from pathlib import Path
from typing import Any

from sdstudio.errors import ModelLoadError, UserFacingError
from sdstudio.jobs import Progress

from .diffusion_files import (
    ENABLE_HINT,
    config_folder,
    describe_checkpoint_header,
    describe_diffusers_folder,
    diffusers_available,
    tokenizer_vocabulary_path,
)

# Never reach for a model hub, whatever the user's environment says.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

DEFAULT_STEPS = 25
DEFAULT_GUIDANCE = 7.5


def require_diffusers() -> None:
    if not diffusers_available():
        raise UserFacingError(ENABLE_HINT)


def checkpoint_kind(path: Path) -> tuple[str, bool]:
    """``(variant, is_inpainting)`` for a single file or a diffusers folder."""
    if path.is_dir():
        return describe_diffusers_folder(path)
    from sdstudio.engine.model_file import read_safetensors_header

    return describe_checkpoint_header(read_safetensors_header(path))


def _bytes_to_unicode() -> dict[int, str]:
    # GPT-2/CLIP byte-level BPE alphabet: printable bytes map to themselves, the rest above 255.
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("\xa1"), ord("\xac") + 1),
        *range(ord("\xae"), ord("\xff") + 1),
    ]
    codes = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            codes.append(256 + extra)
            extra += 1
    return dict(zip(printable, (chr(code) for code in codes), strict=True))


@lru_cache(maxsize=2)
def clip_tokenizer(pad_token: str = "<|endoftext|>") -> Any:
    """CLIP's tokenizer from the shipped BPE file; SD 2.x and SDXL's second one pad with "!"."""
    from transformers import CLIPTokenizer

    lines = gzip.open(tokenizer_vocabulary_path()).read().decode("utf-8").split("\n")
    merges = [tuple(line.split()) for line in lines[1 : 49152 - 256 - 2 + 1]]
    alphabet = list(_bytes_to_unicode().values())
    vocabulary = alphabet + [symbol + "</w>" for symbol in alphabet]
    vocabulary += ["".join(merge) for merge in merges]
    vocabulary += ["<|startoftext|>", "<|endoftext|>"]
    return CLIPTokenizer(
        vocab={token: index for index, token in enumerate(vocabulary)},
        merges=merges,
        bos_token="<|startoftext|>",
        eos_token="<|endoftext|>",
        unk_token="<|endoftext|>",
        pad_token=pad_token,
        model_max_length=77,
    )


def _pipeline_class(variant: str) -> Any:
    import diffusers

    # The inpainting pipelines also drive plain text-to-image UNets (4 input channels).
    if variant == "sdxl":
        return diffusers.StableDiffusionXLInpaintPipeline
    return diffusers.StableDiffusionInpaintPipeline


def _tokenizers(variant: str, folder: Path | None) -> dict[str, Any]:
    """Our tokenizers for whichever the checkpoint does not bring itself."""
    wanted = {"tokenizer": "!" if variant == "sd2" else "<|endoftext|>"}
    if variant == "sdxl":
        wanted["tokenizer_2"] = "!"
    return {
        name: clip_tokenizer(pad)
        for name, pad in wanted.items()
        if folder is None or not (folder / name / "vocab.json").is_file()
    }


def load_pipeline(path: Path, device: Any, dtype: Any) -> Any:
    """The diffusers inpainting pipeline for ``path``, loaded offline."""
    require_diffusers()
    variant, inpainting = checkpoint_kind(path)
    from diffusers.utils import logging as diffusers_logging
    from transformers.utils import logging as transformers_logging

    diffusers_logging.disable_progress_bar()
    diffusers_logging.set_verbosity_error()
    transformers_logging.set_verbosity_error()
    cls = _pipeline_class(variant)
    extra: dict[str, Any] = {}
    if variant != "sdxl":
        extra.update(safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    try:
        if path.is_dir():
            pipe = cls.from_pretrained(
                str(path), local_files_only=True, torch_dtype=dtype,
                **_tokenizers(variant, path), **extra,
            )  # fmt: skip
        else:
            pipe = cls.from_single_file(
                str(path), config=str(config_folder(variant, inpainting)),
                local_files_only=True, torch_dtype=dtype, **_tokenizers(variant, None), **extra,
            )  # fmt: skip
    except (OSError, ValueError, KeyError, RuntimeError) as error:
        first = str(error).strip().splitlines()[0][:300] if str(error).strip() else ""
        raise ModelLoadError(
            f"Could not load the Stable Diffusion model {path.name}: {first}"
        ) from None
    pipe.set_progress_bar_config(disable=True)
    return pipe.to(device)


def pipeline(path: Path, device: Any, dtype: Any) -> Any:
    """The pipeline for ``path`` on ``device``, kept in the shared model cache (they are
    gigabytes: the cache's budget drops older models to make room)."""
    from sdstudio.engine.model_cache import model_cache

    return model_cache.get(
        path, lambda: load_pipeline(path, device, dtype), variant=(str(device), str(dtype))
    )


class _Stop(Exception):
    """Raised inside the pipeline's step callback when the job is cancelled."""


def run_with_step_progress(
    call: Callable[[Callable[..., dict]], Any], total_steps: int, message: str
) -> Generator[Progress, None, Any]:
    """Run ``call(callback)`` on a helper thread, yielding Progress after each step.

    Closing this generator sets a flag that the step callback turns into an exception, so
    the pipeline stops after the step in progress; the helper thread is joined either way.
    """
    events: queue.Queue[tuple[str, Any]] = queue.Queue()
    stop = threading.Event()
    done_steps = 0

    def on_step_end(pipe: Any, step: int, timestep: Any, kwargs: dict) -> dict:
        nonlocal done_steps
        if stop.is_set():
            raise _Stop
        done_steps += 1
        events.put(("step", done_steps))
        return kwargs

    def work() -> None:
        try:
            events.put(("done", call(on_step_end)))
        except _Stop:
            events.put(("stopped", None))
        except BaseException as error:  # noqa: BLE001 - handed to the generator's thread
            events.put(("error", error))

    thread = threading.Thread(target=work, name="diffusion-steps", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = events.get()
            if kind == "step":
                fraction = min(value / max(total_steps, 1), 1.0)
                of_total = f" of {total_steps}" if value <= total_steps else ""
                yield Progress(fraction, f"{message}: step {value}{of_total}")
            elif kind == "done":
                return value
            elif kind == "error":
                raise value
            else:
                raise UserFacingError("Stable Diffusion stopped unexpectedly.")
    finally:
        stop.set()
        thread.join()
