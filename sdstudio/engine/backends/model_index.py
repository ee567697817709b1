"""Which community files sit in the models folders, and what each one is.

Finding out what a ``.pth`` holds means loading it (seconds for a large file), so the
answer is kept in ``<user data>/cache/community-models.json`` keyed by the file's path,
modification time and size: listing the models again costs a ``stat`` per file. A file
that cannot be used is remembered too, with the message that says why, until it changes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from sdstudio.engine.json_cache import cache_file, read_entries, write_entries
from sdstudio.errors import ModelLoadError

from .spandrel_files import COMMUNITY_SUFFIXES, SpandrelModelInfo, inspect_file

log = logging.getLogger(__name__)

CACHE_FILE_NAME = "community-models.json"
# Bump when what we store (or how we classify) changes, so stale answers are dropped.
CACHE_VERSION = 1
DIFFUSION_KEY_PREFIXES = ("model.diffusion_model.", "conditioner.embedders.")


class FileKind(StrEnum):
    """What a community file turned out to be (a StrEnum: the cache stores the strings)."""

    SPANDREL = "spandrel"
    DIFFUSION = "diffusion"
    UNUSABLE = "unusable"
    PENDING = "pending"  # needs loading, which this thread may not do yet


@dataclass(frozen=True)
class CommunityFile:
    """One file (or diffusers folder) in a models folder and what it turned out to be."""

    path: Path
    kind: FileKind
    size_bytes: int
    spandrel: SpandrelModelInfo | None = None
    diffusion_variant: str | None = None  # "sd1", "sd2", "sdxl" (see diffusion_files.py)
    diffusion_inpainting: bool = False
    error: str | None = None


def _cache_path() -> Path:
    return cache_file(CACHE_FILE_NAME)


def _file_key(path: Path) -> tuple[str, dict[str, int]]:
    stat = path.stat()
    size = stat.st_size
    if path.is_dir():
        size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return str(path.resolve()), {"mtime_ns": stat.st_mtime_ns, "size": size}


class _MetadataCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()

    def _read(self) -> dict[str, Any]:
        return read_entries(_cache_path(), CACHE_VERSION)

    def _write(self, entries: dict[str, Any]) -> None:
        write_entries(_cache_path(), CACHE_VERSION, entries)

    def lookup_many(self, paths_and_keys: list[tuple[Path, str, dict[str, int]]]) -> list[Any]:
        with self._lock:
            entries = self._read()
        found = []
        for _path, key, stamp in paths_and_keys:
            entry = entries.get(key)
            ok = isinstance(entry, dict) and entry.get("stamp") == stamp
            found.append(entry["record"] if ok else None)
        return found

    def store_many(self, records: dict[str, dict[str, Any]]) -> None:
        if not records:
            return
        with self._lock:
            entries = self._read()
            entries.update(records)
            self._write(entries)


metadata_cache = _MetadataCache()


def _record_to_json(item: CommunityFile) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "size_bytes": item.size_bytes,
        "spandrel": item.spandrel.to_json() if item.spandrel else None,
        "diffusion_variant": item.diffusion_variant,
        "diffusion_inpainting": item.diffusion_inpainting,
        "error": item.error,
    }


def _record_from_json(path: Path, data: dict[str, Any]) -> CommunityFile:
    spandrel = data.get("spandrel")
    return CommunityFile(
        path=path,
        kind=FileKind(data["kind"]),
        size_bytes=int(data["size_bytes"]),
        spandrel=SpandrelModelInfo.from_json(spandrel) if spandrel else None,
        diffusion_variant=data.get("diffusion_variant"),
        diffusion_inpainting=bool(data.get("diffusion_inpainting")),
        error=data.get("error"),
    )


def _is_own_or_diffusion_safetensors(path: Path) -> tuple[str | None, dict[str, Any] | None]:
    """'sdstudio' for our own files, 'diffusion' for SD checkpoints, else None."""
    from sdstudio.engine.model_file import is_sdstudio_metadata, read_safetensors_header

    header = read_safetensors_header(path)
    metadata = header.get("__metadata__") or {}
    if is_sdstudio_metadata({str(k): str(v) for k, v in metadata.items()}):
        return "sdstudio", header
    if any(key.startswith(DIFFUSION_KEY_PREFIXES) for key in header):
        return "diffusion", header
    return None, header


def classify(path: Path, *, load: bool = True) -> CommunityFile | None:
    """Load ``path`` as needed to learn what it is; None for SD Studio's own model files
    (and for ``.safetensors`` whose header is unreadable, which the catalog reports).

    With ``load=False`` only headers are read (no torch); a file that would need loading
    comes back as kind "pending".
    """
    from .diffusion_files import describe_checkpoint_header, describe_diffusers_folder

    size = path.stat().st_size
    try:
        if path.is_dir():
            variant, inpainting = describe_diffusers_folder(path)
            _, stamp = _file_key(path)
            return CommunityFile(path, FileKind.DIFFUSION, stamp["size"], None, variant, inpainting)
        if path.suffix.lower() == ".safetensors":
            try:
                kind, header = _is_own_or_diffusion_safetensors(path)
            except ModelLoadError:
                return None  # the catalog's own scan reports unreadable .safetensors
            if kind == "sdstudio":
                return None
            if kind == "diffusion":
                try:
                    variant, inpainting = describe_checkpoint_header(header or {})
                except ModelLoadError as error:  # its messages do not know the file's name
                    raise ModelLoadError(f"{path.name}: {error}") from None
                return CommunityFile(path, FileKind.DIFFUSION, size, None, variant, inpainting)
        if not load:
            return CommunityFile(path, FileKind.PENDING, size)
        return CommunityFile(path, FileKind.SPANDREL, size, spandrel=inspect_file(path))
    except ModelLoadError as error:
        return CommunityFile(path, FileKind.UNUSABLE, size, error=str(error))


def candidate_paths(folders: Iterable[Path]) -> list[Path]:
    """Model files and diffusers folders in each folder and its subfolders, in a stable
    order; a symlinked folder is followed once, never round a loop (``folder_walk``)."""
    from sdstudio.engine.folder_walk import walk_model_folders

    return walk_model_folders(folders, COMMUNITY_SUFFIXES)


def inspect_safely(path: Path, *, load: bool = True) -> CommunityFile | None:
    """:func:`classify`, where any failure becomes this file's problem: one odd file
    (a header a library trips over, a loader bug) must never hide the others."""
    try:
        return classify(path, load=load)
    except Exception as error:  # noqa: BLE001 - reported to the person, with the file's name
        log.exception("inspecting the model file %s failed", path)
        try:
            size = path.stat().st_size
        except OSError:
            size = 0
        reason = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
        return CommunityFile(
            path, FileKind.UNUSABLE, size,
            error=f"{path.name} could not be read as a model file ({type(error).__name__}"
            f"{': ' + reason if reason else ''}). It is left out; the other models are offered.",
        )  # fmt: skip


def _cached_record(path: Path, record: dict[str, Any]) -> CommunityFile | None:
    try:
        return _record_from_json(path, record)
    except (KeyError, TypeError, ValueError):
        return None  # an entry from an older or damaged cache: check the file again


def scan(folders: Iterable[Path], *, load_new: bool = True) -> list[CommunityFile]:
    """Every community file in ``folders`` (SD Studio's own files are left out).

    ``load_new=False`` never imports torch: files not in the cache that need loading are
    returned as "pending" (and not cached) for a background check to settle.
    """
    candidates = []
    for path in candidate_paths(folders):
        try:
            key, stamp = _file_key(path)
        except OSError:
            continue  # vanished while we looked
        candidates.append((path, key, stamp))
    cached = metadata_cache.lookup_many(candidates)
    results: list[CommunityFile] = []
    new_records: dict[str, dict[str, Any]] = {}
    for (path, key, stamp), record in zip(candidates, cached, strict=True):
        if isinstance(record, dict) and record.get("kind") == "sdstudio":
            continue
        known = _cached_record(path, record) if isinstance(record, dict) else None
        if known is not None:
            results.append(known)
            continue
        item = inspect_safely(path, load=load_new)
        if item is None:
            new_records[key] = {"stamp": stamp, "record": {"kind": "sdstudio"}}
            continue
        if item.kind is FileKind.PENDING:
            results.append(item)
            continue
        if item.error:
            log.warning("model file not usable: %s", item.error)
        new_records[key] = {"stamp": stamp, "record": _record_to_json(item)}
        results.append(item)
    metadata_cache.store_many(new_records)
    return results


def remember(item: CommunityFile | None, path: Path) -> None:
    """Store what ``path`` is (``item`` from :func:`classify`; None = our own model file).

    Used after copying a file that was already checked, so listing need not load it again.
    """
    key, stamp = _file_key(path)
    if item is None:
        record: dict[str, Any] = {"kind": "sdstudio"}
    else:
        record = _record_to_json(
            CommunityFile(
                path,
                item.kind,
                item.size_bytes,
                item.spandrel,
                item.diffusion_variant,
                item.diffusion_inpainting,
                item.error,
            )  # fmt: skip
        )
    metadata_cache.store_many({key: {"stamp": stamp, "record": record}})
