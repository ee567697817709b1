"""Renaming a trained model: its display name lives in the file's metadata.

The safetensors header is rewritten and the tensor bytes are copied unchanged (no torch,
so the wizard can do it on the UI thread), into a temporary file that replaces the
original atomically. The file name (the catalog id) stays, so a resumed run still finds
its export.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
from pathlib import Path

from sdstudio.engine.model_file import ModelInfo, read_model_info, read_safetensors_header
from sdstudio.errors import UserFacingError


def rename_model(path: str | os.PathLike[str], new_name: str) -> ModelInfo:
    new_name = new_name.strip()
    if not new_name:
        raise UserFacingError("A model needs a name.")
    return rewrite_metadata(path, {"name": new_name})


def rewrite_metadata(path: str | os.PathLike[str], changes: dict[str, str]) -> ModelInfo:
    """Sets metadata keys of a model file; the tensor bytes are copied unchanged (how the
    shipped files got their ``recipe`` without being retrained)."""
    path = Path(path)
    header = read_safetensors_header(path)
    metadata = dict(header.get("__metadata__", {}))
    if all(metadata.get(key) == value for key, value in changes.items()):
        return read_model_info(path)
    metadata.update(changes)
    header["__metadata__"] = metadata
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * ((-len(encoded)) % 8)  # keep tensor data 8-byte aligned
    with open(path, "rb") as source:
        (old_length,) = struct.unpack("<Q", source.read(8))
        source.seek(8 + old_length)
        handle, temp_name = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
        )
        try:
            with os.fdopen(handle, "wb") as target:
                target.write(struct.pack("<Q", len(encoded)))
                target.write(encoded)
                while chunk := source.read(1 << 20):
                    target.write(chunk)
            os.replace(temp_name, path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
    return read_model_info(path)
