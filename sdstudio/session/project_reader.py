"""Reading ``.sdsproj`` files defensively (the layout is described in ``project_file``).

Nothing is trusted: sizes are checked before anything is decompressed (zip bombs), every
image against the size the manifest promised, and replaying the history must give
``current.png`` exactly. Every problem becomes a :class:`ProjectFileError`.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from sdstudio.session.project_errors import ProjectFileError
from sdstudio.session.project_migration import migrate
from sdstudio.session.project_model import HistoryStep, Project, SourceInfo

MAX_SIDE = 32767
MAX_PIXELS = 250_000_000
MAX_ENTRIES = 1000
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
MAX_BLOB_BYTES = 64 * 1024 * 1024  # EXIF / ICC
MAX_TOTAL_BYTES = 16 * 1024**3
MAX_DEFLATE_RATIO = 200  # no honest entry (PNGs are stored, JSON is text) compresses more
_MODES = {1: "L", 3: "RGB", 4: "RGBA"}

# What damaged zip, PNG and JSON data raise inside zipfile, zlib, struct and Pillow.
_DAMAGE = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    struct.error,
    EOFError,
    ValueError,
    KeyError,
    TypeError,
    IndexError,
    AttributeError,
    SyntaxError,
    NotImplementedError,
    OverflowError,
    UnicodeDecodeError,
    RecursionError,
    MemoryError,
    Image.DecompressionBombError,
)


def read_project(path: Path | str) -> Project:
    """Open a project file; ProjectFileError (with a reason) for anything wrong."""
    path = Path(path)
    name = path.name or str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            return _ProjectReader(archive).read()
    except ProjectFileError as exc:
        raise ProjectFileError(f"'{name}' cannot be opened: {exc}") from None
    except FileNotFoundError:
        raise ProjectFileError(f"The project file '{path}' does not exist.") from None
    except IsADirectoryError:
        raise ProjectFileError(f"'{path}' is a folder, not a project file.") from None
    except zipfile.BadZipFile:
        raise ProjectFileError(
            f"'{name}' is not an SD Studio project, or it is damaged (not a valid zip file)."
        ) from None
    except OSError as exc:
        raise ProjectFileError(f"Cannot read '{path}': {exc.strerror or exc}.") from exc
    except _DAMAGE as exc:
        raise ProjectFileError(
            f"'{name}' is damaged and cannot be opened ({type(exc).__name__})."
        ) from exc


def read_manifest(path: Path | str) -> dict[str, Any]:
    """Only the (migrated) manifest: cheap, for listing autosaves. ProjectFileError if bad."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            return _ProjectReader(archive).manifest()
    except ProjectFileError:
        raise
    except (OSError, *_DAMAGE) as exc:
        raise ProjectFileError(f"'{path.name}' is damaged ({type(exc).__name__}).") from exc


class _ProjectReader:
    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise ProjectFileError(f"it holds {len(infos)} entries, more than a project can.")
        total = 0
        self.sizes: dict[str, int] = {}
        for info in infos:
            if info.flag_bits & 0x1:
                raise ProjectFileError("it is encrypted.")
            ratio = info.file_size / max(1, info.compress_size)
            if info.file_size > 1024 * 1024 and ratio > MAX_DEFLATE_RATIO:
                raise ProjectFileError(f"'{info.filename}' unpacks to an implausible size.")
            total += info.file_size
            self.sizes[info.filename] = info.file_size
        if total > MAX_TOTAL_BYTES:
            raise ProjectFileError("it would unpack to more data than any project holds.")

    def _bytes(self, entry: Any, limit: int) -> bytes:
        if not isinstance(entry, str) or entry not in self.sizes:
            raise ProjectFileError(f"the entry {entry!r} is missing.")
        if self.sizes[entry] > limit:
            raise ProjectFileError(f"the entry '{entry}' is larger than allowed.")
        with self.archive.open(entry) as handle:
            data = handle.read(limit + 1)  # zipfile checks the CRC once it reaches the end
        if len(data) > limit:
            raise ProjectFileError(f"the entry '{entry}' is larger than allowed.")
        return data

    def manifest(self) -> dict[str, Any]:
        try:
            manifest = json.loads(self._bytes("manifest.json", MAX_MANIFEST_BYTES))
        except ProjectFileError:
            raise ProjectFileError(
                "it is not an SD Studio project (manifest.json is missing or too large)."
            ) from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ProjectFileError(f"its manifest is not valid JSON ({exc}).") from None
        if not isinstance(manifest, dict):
            raise ProjectFileError("its manifest is not a JSON object.")
        return migrate(manifest)

    def _image(self, record: Any, what: str, channels: set[int] | None = None) -> np.ndarray:
        if not isinstance(record, dict):
            raise ProjectFileError(f"the manifest does not describe the {what}.")
        width, height, count = (record.get(k) for k in ("width", "height", "channels"))
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (width, height, count)):
            raise ProjectFileError(f"the {what}'s size in the manifest is not a number.")
        if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE) or width * height > MAX_PIXELS:
            raise ProjectFileError(f"the {what} is {width} x {height}, outside SD Studio's limits.")
        if count not in (channels or {3, 4}):
            raise ProjectFileError(f"the {what} has {count} channels, which is not allowed here.")
        data = self._bytes(record.get("entry"), width * height * count * 2 + 1024 * 1024)
        try:
            with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
                if image.size != (width, height) or image.mode != _MODES[count]:
                    raise ProjectFileError(
                        f"the {what} is {image.size[0]} x {image.size[1]} {image.mode}, but "
                        f"the manifest says {width} x {height} {_MODES[count]}."
                    )
                image.load()
                return np.array(image, dtype=np.uint8)
        except (OSError, *_DAMAGE) as exc:  # Pillow reports bad PNG data as OSError
            raise ProjectFileError(f"the {what} is damaged ({exc}).") from None

    def _blob(self, entry: Any) -> bytes | None:
        if entry is None:
            return None
        return self._bytes(entry, MAX_BLOB_BYTES)

    def read(self) -> Project:
        manifest = self.manifest()
        notes = list(manifest.pop("_migration_notes", []))
        original = self._image(manifest.get("original"), "original image")
        current = self._image(manifest.get("current"), "current image")
        mask = self._image(manifest.get("mask"), "mask", {1})
        if mask.shape != current.shape[:2]:
            raise ProjectFileError("the mask and the current image differ in size.")
        history = _expect(manifest.get("history"), dict, "history")
        base = self._image(history.get("base"), "history's first image")
        steps = [
            self._step(record, number)
            for number, record in enumerate(_expect(history.get("steps"), list, "steps"), 1)
        ]
        project = Project(
            original=original,
            base=base,
            steps=steps,
            current=current,
            mask=mask,
            source=self._source(manifest.get("source")),
            created=str(manifest.get("created") or ""),
            modified=str(manifest.get("modified") or ""),
            app_version=str(manifest.get("app_version") or ""),
            legacy_history=[
                item for item in manifest.get("legacy_history") or [] if isinstance(item, dict)
            ],
            notes=notes,
        )
        _check_replay(project)
        return project

    def _step(self, record: Any, number: int) -> HistoryStep:
        record = _expect(record, dict, f"history step {number}")
        title = _expect(record.get("title"), str, f"step {number}'s title")
        params = _expect(record.get("params"), dict, f"step {number}'s settings")
        kind = record.get("change")
        if kind not in ("patch", "replace", "none"):
            raise ProjectFileError(f"history step {number} has an unknown kind {kind!r}.")
        rect = None
        pixels = None
        if kind == "patch":
            raw = record.get("rect")
            if not (
                isinstance(raw, list)
                and len(raw) == 4
                and all(isinstance(v, int) and not isinstance(v, bool) for v in raw)
            ):
                raise ProjectFileError(f"history step {number} has no valid rectangle.")
            rect = (raw[0], raw[1], raw[2], raw[3])
        if kind != "none":
            pixels = self._image(record.get("pixels"), f"pixels of history step {number}")
            if rect is not None and pixels.shape[:2] != (rect[3], rect[2]):
                raise ProjectFileError(f"history step {number}'s pixels do not fit its rectangle.")
        return HistoryStep(title, params, kind, rect, pixels)

    def _source(self, record: Any) -> SourceInfo:
        record = _expect(record or {}, dict, "source")
        dpi = record.get("dpi")
        if not (
            isinstance(dpi, list)
            and len(dpi) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in dpi)
        ):
            dpi = None
        path, fmt = record.get("path"), record.get("format")
        return SourceInfo(
            path=path if isinstance(path, str) else None,
            format=fmt if isinstance(fmt, str) else None,
            exif=self._blob(record.get("exif")),
            icc_profile=self._blob(record.get("icc")),
            dpi=(float(dpi[0]), float(dpi[1])) if dpi else None,
        )


def _expect(value: Any, kind: type, what: str) -> Any:
    if not isinstance(value, kind):
        raise ProjectFileError(f"the manifest's {what} is missing or malformed.")
    return value


def _check_replay(project: Project) -> None:
    """Replaying the history from the base must give the current image exactly."""
    image = project.base
    for number, step in enumerate(project.steps, 1):
        if step.kind == "patch":
            assert step.rect is not None and step.pixels is not None
            x, y, w, h = step.rect
            height, width = image.shape[:2]
            if x < 0 or y < 0 or w <= 0 or h <= 0 or x + w > width or y + h > height:
                raise ProjectFileError(f"history step {number} changes pixels outside the image.")
            if step.pixels.shape[2] != image.shape[2]:
                raise ProjectFileError(f"history step {number} has the wrong number of channels.")
        image = step.apply(image)
    if image.shape != project.current.shape or not np.array_equal(image, project.current):
        raise ProjectFileError("its edit history does not lead to its current image.")
