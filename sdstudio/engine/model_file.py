"""SD Studio model files: ``.safetensors`` whose metadata says how to build the network.

Reading a file's metadata parses only the safetensors header (8-byte little-endian length
plus JSON), so listing models needs neither torch nor the weights. Loading builds the
network named by ``architecture`` with the JSON ``hyperparameters`` and loads the weights
strictly. Nothing here ever unpickles: safetensors files hold raw tensors only.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sdstudio.engine.architectures import architecture as architecture_record
from sdstudio.engine.model_verdicts import verdicts
from sdstudio.errors import ModelLoadError
from sdstudio.tasks import MODEL_TASKS, Task

if TYPE_CHECKING:
    import torch

FORMAT_KEY = "sdstudio.format"
FORMAT_VERSION = "1"
# safetensors itself refuses headers over 100 MB; ours are a few kB.
MAX_HEADER_BYTES = 100_000_000
# The tasks a model file's ``task`` metadata may name (what the architectures can do is
# in sdstudio.engine.architectures).
TASKS = MODEL_TASKS
_CORE_KEYS = {
    FORMAT_KEY,
    "task",
    "architecture",
    "hyperparameters",
    "name",
    "description",
    "version",
    "scale",
    "style",
}
_SAFETENSORS_DTYPES = {
    "BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64",
    "F8_E4M3", "F8_E5M2",
}  # fmt: skip


@dataclass(frozen=True)
class ModelInfo:
    """What a model file says about itself (read without torch)."""

    path: Path
    task: str
    architecture: str
    hyperparameters: dict[str, Any]
    name: str
    description: str
    version: str
    scale: int | None
    style: str | None
    provenance: dict[str, Any]
    size_bytes: int
    metadata: dict[str, str] = field(repr=False)

    @cached_property
    def sha256(self) -> str:
        """Hex digest of the whole file, computed on first use (files can be large)."""
        digest = hashlib.sha256()
        with open(self.path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()


# Headers already parsed, by (path, inode, mtime, size): a listing, the checks and the job that
# follows each ask for the same header, which is read from disk once until the file changes.
_headers: dict[tuple[str, int, int, int], dict[str, Any]] = {}
_HEADERS_KEPT = 512


def read_safetensors_header(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The parsed JSON header of a safetensors file, checked against the file's size.

    Raises :class:`ModelLoadError` for a missing, truncated, oversized or corrupt file.
    Each caller gets its own copy of the top level (a rewrite may replace the metadata);
    the tensor entries are shared, read-only.
    """
    try:
        stat = os.stat(path)
    except OSError as error:
        raise ModelLoadError(f"Cannot read the model file {Path(path).name}: {error}") from error
    # The inode too: a rewrite replaces the file, maybe within the clock's granularity.
    key = (os.path.abspath(path), stat.st_ino, stat.st_mtime_ns, stat.st_size)
    header = _headers.get(key)
    if header is None:
        header = _read_safetensors_header_from_disk(Path(path))
        if len(_headers) >= _HEADERS_KEPT:  # the oldest goes; another thread may race us
            _headers.pop(next(iter(_headers), None), None)
        _headers[key] = header
    return dict(header)


def _read_safetensors_header_from_disk(path: Path) -> dict[str, Any]:
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            prefix = handle.read(8)
            if len(prefix) < 8:
                raise ModelLoadError(f"{path.name} is not a model file: it is too short.")
            (header_len,) = struct.unpack("<Q", prefix)
            if header_len > MAX_HEADER_BYTES or header_len > size - 8:
                raise ModelLoadError(
                    f"{path.name} is damaged or not a safetensors model file "
                    f"(its header claims {header_len} bytes, the file has {size})."
                )
            raw = handle.read(header_len)
    except OSError as error:
        raise ModelLoadError(f"Cannot read the model file {path.name}: {error}") from error
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelLoadError(
            f"{path.name} is damaged or not a safetensors model file (bad header)."
        ) from error
    if not isinstance(header, dict):
        raise ModelLoadError(f"{path.name} is damaged: its header is not a JSON object.")
    _check_tensor_extents(path, header, data_bytes=size - 8 - header_len)
    return header


def _check_tensor_extents(path: Path, header: dict[str, Any], *, data_bytes: int) -> None:
    """A truncated download keeps a valid header but loses tensor data: catch that here."""
    for name, entry in header.items():
        if name == "__metadata__":
            if not isinstance(entry, dict):
                raise ModelLoadError(f"{path.name} is damaged: bad metadata block.")
            continue
        offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(isinstance(v, int) for v in offsets)
            or entry.get("dtype") not in _SAFETENSORS_DTYPES
        ):
            raise ModelLoadError(f"{path.name} is damaged: tensor {name!r} is malformed.")
        if not 0 <= offsets[0] <= offsets[1] <= data_bytes:
            raise ModelLoadError(
                f"{path.name} is truncated or damaged: tensor {name!r} lies beyond the end "
                "of the file. Copy or download it again."
            )


def read_metadata(path: str | os.PathLike[str]) -> dict[str, str]:
    """The ``__metadata__`` block (string to string) of a safetensors file; {} when absent."""
    metadata = read_safetensors_header(path).get("__metadata__", {})
    return {str(key): str(value) for key, value in metadata.items()}


def is_sdstudio_metadata(metadata: dict[str, str]) -> bool:
    return FORMAT_KEY in metadata


def read_model_info(path: str | os.PathLike[str]) -> ModelInfo:
    """Read and check an SD Studio model file's metadata. Raises :class:`ModelLoadError`."""
    path = Path(path)
    metadata = read_metadata(path)
    if not is_sdstudio_metadata(metadata):
        raise ModelLoadError(
            f"{path.name} is not an SD Studio model (its metadata has no {FORMAT_KEY!r})."
        )
    if metadata[FORMAT_KEY] != FORMAT_VERSION:
        raise ModelLoadError(
            f"{path.name} uses model format {metadata[FORMAT_KEY]}, this version of SD Studio "
            f"reads format {FORMAT_VERSION}."
        )
    missing = [key for key in ("task", "architecture", "hyperparameters") if key not in metadata]
    if missing:
        raise ModelLoadError(f"{path.name} lacks the metadata {', '.join(missing)}.")
    task = metadata["task"]
    if task not in TASKS:
        raise ModelLoadError(f"{path.name} is for an unknown task {task!r}.")
    try:
        hyperparameters = json.loads(metadata["hyperparameters"])
    except json.JSONDecodeError as error:
        raise ModelLoadError(f"{path.name} has unreadable hyperparameters.") from error
    if not isinstance(hyperparameters, dict):
        raise ModelLoadError(f"{path.name}: hyperparameters must be a JSON object.")
    scale = _optional_int(path, metadata, "scale")
    if task == Task.ENHANCE and scale not in (1, 2, 4):
        raise ModelLoadError(f"{path.name}: an enhance model needs a scale of 1, 2 or 4.")
    provenance = {
        key: _maybe_json(value) for key, value in metadata.items() if key not in _CORE_KEYS
    }
    return ModelInfo(
        path=path,
        task=task,
        architecture=metadata["architecture"],
        hyperparameters=hyperparameters,
        name=metadata.get("name") or path.stem,
        description=metadata.get("description", ""),
        version=metadata.get("version", ""),
        scale=scale,
        style=metadata.get("style") or None,
        provenance=provenance,
        size_bytes=path.stat().st_size,
        metadata=metadata,
    )


def _optional_int(path: Path, metadata: dict[str, str], key: str) -> int | None:
    if not metadata.get(key):
        return None
    try:
        return int(metadata[key])
    except ValueError as error:
        raise ModelLoadError(f"{path.name}: {key} must be a whole number.") from error


def _maybe_json(value: str) -> Any:
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def save_model(
    path: str | os.PathLike[str],
    network: torch.nn.Module,
    *,
    task: str,
    architecture: str,
    hyperparameters: dict[str, Any],
    name: str,
    description: str = "",
    version: str = "1",
    scale: int | None = None,
    style: str | None = None,
    extra_metadata: dict[str, Any] | None = None,
) -> ModelInfo:
    """Write ``network``'s weights and metadata atomically (temp file + ``os.replace``).

    ``extra_metadata`` holds provenance (base_model, steps, date, seed, config,
    validation...); non-string values are stored as JSON.
    """
    from safetensors.torch import save_file

    try:
        network_class = architecture_record(architecture).load()
    except ModelLoadError:
        raise ValueError(f"unknown architecture {architecture!r}") from None
    if not isinstance(network, network_class):
        raise ValueError(f"network is a {type(network).__name__}, not a {architecture}")
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}")
    metadata: dict[str, str] = {}
    for key, value in (extra_metadata or {}).items():
        metadata[key] = value if isinstance(value, str) else json.dumps(value)
    metadata.update(
        {
            FORMAT_KEY: FORMAT_VERSION,
            "task": task,
            "architecture": architecture,
            "hyperparameters": json.dumps(hyperparameters, sort_keys=True),
            "name": name,
            "description": description,
            "version": str(version),
        }
    )
    if scale is not None:
        metadata["scale"] = str(int(scale))
    if style is not None:
        metadata["style"] = style
    # Clone: safetensors refuses shared or non-contiguous storage.
    tensors = {
        key: value.detach().to("cpu").contiguous().clone()
        for key, value in network.state_dict().items()
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        save_file(tensors, temp_name, metadata=metadata)
        # mkstemp makes the file private; a model is readable like any file the user saves.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp_name, 0o666 & ~umask)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    info = read_model_info(path)
    # torch is loaded already: compare weights and metadata now, so listing this file never
    # needs torch for it.
    compare_weights_now(info)
    return info


def compare_weights_now(info: ModelInfo) -> str | None:
    """Build the described network on the meta device and compare it with the file's
    tensors; the problem for the person, or None. Imports torch. The verdict is kept."""
    try:
        check_weights_match(info)
        problem = None
    except ModelLoadError as error:
        problem = str(error)
    except Exception as error:  # noqa: BLE001 - whatever hostile metadata trips stays with it
        problem = f"{info.path.name} cannot be built from its metadata: {error}"
    verdicts.store(info.path, problem)
    return problem


def build_network(architecture: str, hyperparameters: dict[str, Any]) -> torch.nn.Module:
    """A freshly initialised network of a registered architecture."""
    return architecture_record(architecture).load()(**hyperparameters)


def load_network(
    info_or_path: ModelInfo | str | os.PathLike[str], device: torch.device | str = "cpu"
) -> torch.nn.Module:
    """Build the network a model file describes and load its weights (strict), in eval mode."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    info = info_or_path if isinstance(info_or_path, ModelInfo) else read_model_info(info_or_path)
    name = info.path.name
    check_weights_match(info)
    try:
        network = build_network(info.architecture, info.hyperparameters)
    except ModelLoadError as error:
        raise ModelLoadError(f"{name}: {error}") from error
    except (TypeError, ValueError) as error:
        raise ModelLoadError(
            f"{name} has hyperparameters this version cannot use: {error}"
        ) from error
    try:
        state = load_file(info.path, device="cpu")
    except (SafetensorError, OSError, ValueError) as error:
        raise ModelLoadError(f"{name} is damaged and cannot be loaded: {error}") from error
    try:
        network.load_state_dict(state, strict=True)
    except RuntimeError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise ModelLoadError(
            f"{name} does not match its declared architecture {info.architecture!r}: {first_line}"
        ) from error
    return network.to(device).eval()


# A constructor given hostile values can fail in many ways (asserts, index and arithmetic
# errors): each is that file's problem, not a crash.
_CONSTRUCTOR_ERRORS = (
    TypeError, ValueError, RuntimeError, AssertionError, LookupError, ArithmeticError
)  # fmt: skip


def check_weights_match(info: ModelInfo) -> None:
    """Compare the network the metadata describes with the file's tensors, on the meta
    device: damaged or hostile metadata (say, a billion channels) fails here, before any
    memory is allocated for it. Raises :class:`ModelLoadError` naming the file."""
    import torch

    name = info.path.name
    try:
        with torch.device("meta"):
            probe = build_network(info.architecture, info.hyperparameters)
    except ModelLoadError as error:
        raise ModelLoadError(f"{name}: {error}") from error
    except _CONSTRUCTOR_ERRORS as error:
        raise ModelLoadError(
            f"{name} has hyperparameters this version cannot use: {error}"
        ) from error
    expected = {key: list(value.shape) for key, value in probe.state_dict().items()}
    header = read_safetensors_header(info.path)
    stored = {key: entry.get("shape") for key, entry in header.items() if key != "__metadata__"}
    if expected == stored:
        return
    missing = sorted(set(expected) - set(stored))
    unexpected = sorted(set(stored) - set(expected))
    wrong = sorted(k for k in set(expected) & set(stored) if expected[k] != stored[k])
    detail = "; ".join(
        f"{label}: {', '.join(keys[:3])}{' ...' if len(keys) > 3 else ''}"
        for label, keys in (
            ("missing", missing), ("unexpected", unexpected), ("different shape", wrong)
        )
        if keys
    )  # fmt: skip
    raise ModelLoadError(
        f"{name} does not match its declared architecture {info.architecture!r} ({detail})."
    )
