"""Loaded models kept between jobs, all in one memory budget.

SD Studio's networks (megabytes), community spandrel models (up to a few hundred
megabytes) and Stable Diffusion pipelines (gigabytes) share one cache, so keeping a
pipeline loaded makes room by dropping the networks used longest ago instead of holding
both beside each other. An entry is keyed by its file's (path, mtime, size), so a file
re-exported by the trainer or replaced by the person is loaded again, and by a variant
(the device, the dtype) where one file gives different objects. Its cost is the file's
size on disk, which is close to the memory its weights take once loaded.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sdstudio.errors import ModelLoadError

if TYPE_CHECKING:
    import torch
    from torch import nn

    from sdstudio.engine.model_file import ModelInfo

Loaded = TypeVar("Loaded")

# Enough for an SDXL pipeline (about 7 GB in fp16) or many smaller models; the most
# recently used model always stays, even when it alone is larger.
DEFAULT_BUDGET_BYTES = 8 * 1024**3
BUDGET_VARIABLE = "SDSTUDIO_MODEL_CACHE_MB"


def _budget_from_environment() -> int:
    value = os.environ.get(BUDGET_VARIABLE, "")
    return int(value) * 1024**2 if value.isdigit() else DEFAULT_BUDGET_BYTES


def file_cost(path: Path) -> int:
    """Bytes on disk: the file, or every file in a diffusers folder."""
    if path.is_dir():
        return sum(part.stat().st_size for part in path.rglob("*") if part.is_file())
    return path.stat().st_size


@dataclass
class _Entry:
    model: Any
    cost: int


class ModelCache:
    """An LRU of loaded models whose summed file sizes stay within ``budget_bytes``."""

    def __init__(self, budget_bytes: int | None = None) -> None:
        self.budget_bytes = _budget_from_environment() if budget_bytes is None else budget_bytes
        self._entries: OrderedDict[tuple, _Entry] = OrderedDict()
        self._lock = threading.RLock()
        self.loads = 0  # how many times a file was actually read (tests check reuse)

    def get(self, path: Path, load: Callable[[], Loaded], variant: Hashable = None) -> Loaded:
        """The model ``load()`` makes from ``path``, loading it only when not cached."""
        path = Path(path)
        try:
            stat = path.stat()
            cost = file_cost(path)
        except OSError:
            raise ModelLoadError(f"The model file {path} is no longer there.") from None
        key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size, variant)
        with self._lock:  # one load at a time: two copies of a pipeline would not fit
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                return entry.model
            self._make_room(cost)
            model = load()
            self.loads += 1
            self._entries[key] = _Entry(model, cost)
            return model

    def _make_room(self, cost: int) -> None:
        """Drop the models used longest ago until ``cost`` more fits (or none is left),
        before loading, so the old weights are freed before the new ones arrive."""
        while self._entries and self.used_bytes() + cost > self.budget_bytes:
            self._entries.popitem(last=False)

    def forget(self, path: Path) -> None:
        """Drop every variant of ``path`` (e.g. its GPU copy after moving to the CPU)."""
        resolved = str(Path(path).resolve())
        with self._lock:
            for key in [key for key in self._entries if key[0] == resolved]:
                del self._entries[key]

    def used_bytes(self) -> int:
        with self._lock:
            return sum(entry.cost for entry in self._entries.values())

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


model_cache = ModelCache()


def cached_network(
    info_or_path: ModelInfo | str | os.PathLike[str], device: torch.device
) -> tuple[nn.Module, torch.dtype]:
    """An SD Studio network on ``device`` in its inference dtype, loaded on first use."""
    from sdstudio.engine.devices import inference_dtype
    from sdstudio.engine.model_file import ModelInfo, load_network, read_model_info

    info = info_or_path if isinstance(info_or_path, ModelInfo) else read_model_info(info_or_path)
    network = model_cache.get(info.path, lambda: load_network(info, "cpu"), variant=str(device))
    dtype = inference_dtype(device, network)
    # A no-op when already there; moves it back after an out-of-memory CPU fallback.
    network.to(device=device, dtype=dtype)
    return network, dtype
