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
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import numpy as np
from PIL import Image

from sdstudio.session.history import (
    IMAGE_CHANGES,
    MASK_CHANGES,
    ChangeKind,
    Edit,
    History,
    Rect,
    StepTarget,
    crop,
)
from sdstudio.session.project_errors import ProjectFileError
from sdstudio.session.project_migration import migrate
from sdstudio.session.project_model import Project, SourceInfo

MAX_SIDE = 32767
MAX_PIXELS = 250_000_000
MAX_ENTRIES = 1000
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
MAX_BLOB_BYTES = 64 * 1024 * 1024  # EXIF / ICC
MAX_TOTAL_BYTES = 16 * 1024**3
MAX_DEFLATE_RATIO = 200  # no honest entry (PNGs are stored, JSON is text) compresses more
_MODES = {1: "L", 3: "RGB", 4: "RGBA"}
T = TypeVar("T")

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
    return _read(path, lambda reader: reader.read())


def read_manifest(path: Path | str) -> dict[str, Any]:
    """Only the (migrated) manifest: cheap, for listing autosaves. ProjectFileError if bad."""
    return _read(path, lambda reader: reader.manifest())


def _read(path: Path | str, part: Callable[[_ProjectReader], T]) -> T:
    """``part`` of the project file at ``path``, every problem a ProjectFileError."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            return part(_ProjectReader(archive))
    except ProjectFileError as exc:
        raise ProjectFileError(f"'{path.name or path}' cannot be opened: {exc}") from None
    except (OSError, *_DAMAGE) as exc:
        raise _opening_error(exc, path) from exc


def _opening_error(exc: BaseException, path: Path) -> ProjectFileError:
    """What went wrong, in words: an exception's class name ("error" for zlib's) says nothing."""
    name = path.name or str(path)
    if isinstance(exc, FileNotFoundError):
        return ProjectFileError(f"The project file '{path}' does not exist.")
    if isinstance(exc, IsADirectoryError):
        return ProjectFileError(f"'{path}' is a folder, not a project file.")
    if isinstance(exc, zipfile.BadZipFile):  # from opening: entries are read in _bytes
        return ProjectFileError(
            f"'{name}' is not an SD Studio project, or it is damaged (not a valid zip file)."
        )
    if isinstance(exc, OSError):
        return ProjectFileError(f"Cannot read '{path}': {exc.strerror or exc}.")
    return ProjectFileError(
        f"The project file '{name}' is damaged and cannot be opened: {_damage_reason(exc)}."
    )


def _damage_reason(exc: BaseException) -> str:
    if isinstance(exc, zlib.error):
        return "part of its compressed data is corrupt"
    if isinstance(exc, zipfile.BadZipFile) and "CRC" in str(exc):
        return "part of its data does not match the checksum stored with it"
    if isinstance(exc, zipfile.BadZipFile):
        return "its zip structure is broken"
    if isinstance(exc, (EOFError, struct.error)):
        return "it is cut short"
    if isinstance(exc, MemoryError):
        return "there is not enough memory to read it"
    return "its content is not what SD Studio writes"


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

    def _bytes(self, entry: Any, limit: int, what: str) -> bytes:
        """The entry's data; ``what`` names it for the person ("the current image")."""
        if not isinstance(entry, str) or entry not in self.sizes:
            raise ProjectFileError(f"the entry {entry!r} is missing.")
        if self.sizes[entry] > limit:
            raise ProjectFileError(f"the entry '{entry}' is larger than allowed.")
        try:
            with self.archive.open(entry) as handle:
                data = handle.read(limit + 1)  # zipfile checks the CRC once it reaches the end
        except (zipfile.BadZipFile, zlib.error, EOFError, struct.error) as exc:
            raise ProjectFileError(
                f"it is damaged, so {what} cannot be read ({_damage_reason(exc)}; entry '{entry}')."
            ) from None
        if len(data) > limit:
            raise ProjectFileError(f"the entry '{entry}' is larger than allowed.")
        return data

    def manifest(self) -> dict[str, Any]:
        if self.sizes.get("manifest.json", MAX_MANIFEST_BYTES + 1) > MAX_MANIFEST_BYTES:
            raise ProjectFileError(
                "it is not an SD Studio project (manifest.json is missing or too large)."
            )
        what = "its manifest (the list of its images and edits)"
        try:
            manifest = json.loads(self._bytes("manifest.json", MAX_MANIFEST_BYTES, what))
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
        limit = width * height * count * 2 + 1024 * 1024
        data = self._bytes(record.get("entry"), limit, f"the {what}")
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

    def _blob(self, entry: Any, what: str) -> bytes | None:
        if entry is None:
            return None
        return self._bytes(entry, MAX_BLOB_BYTES, what)

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
        base_mask = self._mask(history.get("base_mask"), base.shape[:2], "history's first mask")
        steps = [
            self._step(record, number)
            for number, record in enumerate(_expect(history.get("steps"), list, "steps"), 1)
        ]
        edits = _replay(base, base_mask, steps, current, mask)
        project = Project(
            original=original,
            base=base,
            history=History(edits),
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
            base_mask=base_mask,
        )
        return project

    def _mask(self, record: Any, shape: tuple[int, ...], what: str) -> np.ndarray:
        """A whole mask: an image record, or "empty" (all zero) at ``shape``."""
        if record == "empty":
            return np.zeros(shape, np.uint8)
        mask = self._image(record, what, {1})
        if mask.shape != shape:
            raise ProjectFileError(f"the {what} and its image differ in size.")
        return mask

    def _step(self, record: Any, number: int) -> _StepRecord:
        record = _expect(record, dict, f"history step {number}")
        title = _expect(record.get("title"), str, f"step {number}'s title")
        params = _expect(record.get("params"), dict, f"step {number}'s settings")
        target = record.get("target")
        if target not in ("image", "mask"):
            raise ProjectFileError(f"history step {number} changes an unknown part {target!r}.")
        kind = record.get("change")
        if kind not in (IMAGE_CHANGES if target == "image" else MASK_CHANGES):
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
        if kind in ("patch", "replace"):
            channels = {1} if target == "mask" else None
            pixels = self._image(record.get("pixels"), f"pixels of history step {number}", channels)
            if rect is not None and pixels.shape[:2] != (rect[3], rect[2]):
                raise ProjectFileError(f"history step {number}'s pixels do not fit its rectangle.")
        mask_after = None
        if target == "image" and record.get("mask") is not None:
            if pixels is None or kind != "replace":
                raise ProjectFileError(f"history step {number} replaces the mask, not the image.")
            what = f"mask of history step {number}"
            mask_after = self._mask(record.get("mask"), pixels.shape[:2], what)
        return _StepRecord(title, params, kind, rect, pixels, target, mask_after)

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
            exif=self._blob(record.get("exif"), "the photo's EXIF data"),
            icc_profile=self._blob(record.get("icc"), "the photo's colour profile"),
            dpi=(float(dpi[0]), float(dpi[1])) if dpi else None,
        )


def _expect(value: Any, kind: type, what: str) -> Any:
    if not isinstance(value, kind):
        raise ProjectFileError(f"the manifest's {what} is missing or malformed.")
    return value


class _StepRecord(NamedTuple):
    """One step as the file holds it: what it left, not yet what it undoes."""

    title: str
    params: dict[str, Any]
    kind: ChangeKind
    rect: Rect | None
    pixels: np.ndarray | None  # "patch": the rect after; "replace": the whole image after
    target: StepTarget
    mask_after: np.ndarray | None  # image steps that replaced the mask: the mask after


def _replay(
    image: np.ndarray,
    mask: np.ndarray,
    steps: list[_StepRecord],
    current: np.ndarray,
    current_mask: np.ndarray,
) -> list[Edit]:
    """The edits, each with what it undoes, from replaying ``steps`` from the base.

    Replaying must give the current image and mask exactly; anything else is damage.
    """
    edits = []
    for number, step in enumerate(steps, 1):
        is_mask_step = step.target == "mask"
        changed = mask if is_mask_step else image
        if step.kind == "patch":
            assert step.rect is not None and step.pixels is not None
            x, y, w, h = step.rect
            height, width = changed.shape[:2]
            if x < 0 or y < 0 or w <= 0 or h <= 0 or x + w > width or y + h > height:
                raise ProjectFileError(f"history step {number} changes pixels outside the image.")
            if step.pixels.shape[2:] != changed.shape[2:]:
                raise ProjectFileError(f"history step {number} has the wrong number of channels.")
        after = step.pixels
        resized = (
            step.kind == "replace" and after is not None and after.shape[:2] != image.shape[:2]
        )
        if resized and step.mask_after is None:
            raise ProjectFileError(f"history step {number} resizes the image but not the mask.")
        edit = _edit(step, image, mask)
        image, mask = edit.apply(image, mask)
        edits.append(edit)
    if image.shape != current.shape or not np.array_equal(image, current):
        raise ProjectFileError("its edit history does not lead to its current image.")
    if mask.shape != current_mask.shape or not np.array_equal(mask, current_mask):
        raise ProjectFileError("its edit history does not lead to its current mask.")
    return edits


def _edit(step: _StepRecord, image: np.ndarray, mask: np.ndarray) -> Edit:
    """The edit that ``step`` is, given the image and mask it starts from."""
    title, params, kind, rect = step.title, step.params, step.kind, step.rect
    if kind == "invert":
        return Edit(title, params, "invert", target="mask")
    if kind == "patch":
        assert rect is not None
        before = crop(mask if step.target == "mask" else image, rect).copy()
        return Edit(title, params, "patch", rect, before, step.pixels, step.target)
    if kind == "replace":
        mask_before = None if step.mask_after is None else mask
        return Edit(
            title,
            params,
            "replace",
            None,
            image,
            step.pixels,
            "image",
            mask_before,
            step.mask_after,
        )
    return Edit(title, params)
