"""Loaded networks, kept between jobs so the second job with a model starts at once."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path

import torch
from torch import nn

from sdstudio.engine.devices import inference_dtype
from sdstudio.engine.model_file import ModelInfo, load_network, read_model_info


class NetworkCache:
    """A small LRU of networks keyed by file (path, mtime, size) and device.

    Keying on mtime and size means a model file re-exported by the trainer is reloaded.
    """

    def __init__(self, capacity: int = 3) -> None:
        self.capacity = capacity
        self._networks: OrderedDict[tuple, nn.Module] = OrderedDict()
        self._lock = threading.Lock()
        self.loads = 0  # how many times a file was actually read (tests check reuse)

    def get(
        self, info_or_path: ModelInfo | str | os.PathLike[str], device: torch.device
    ) -> tuple[nn.Module, torch.dtype]:
        """The network on ``device`` in its inference dtype, loading it on first use."""
        info = (
            info_or_path if isinstance(info_or_path, ModelInfo) else read_model_info(info_or_path)
        )
        stat = Path(info.path).stat()
        key = (str(Path(info.path).resolve()), stat.st_mtime_ns, stat.st_size, str(device))
        with self._lock:
            network = self._networks.get(key)
            if network is not None:
                self._networks.move_to_end(key)
        if network is None:
            network = load_network(info, "cpu")
            self.loads += 1
            with self._lock:
                self._networks[key] = network
                while len(self._networks) > self.capacity:
                    self._networks.popitem(last=False)
        dtype = inference_dtype(device, network)
        # A no-op when already there; moves it back after an out-of-memory CPU fallback.
        network.to(device=device, dtype=dtype)
        return network, dtype

    def clear(self) -> None:
        with self._lock:
            self._networks.clear()


network_cache = NetworkCache()
