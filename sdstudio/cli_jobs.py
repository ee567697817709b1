"""Running ``sdstudio repair|style|enhance|extend`` on the planned files: load, run, save.

``cli_plan`` decides which files are read and written before anything runs; this module
does the work, one file after another, with a progress bar on stderr. A file that fails
is reported on one line and the batch goes on. Importing it loads neither torch nor Qt.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from sdstudio.cli_plan import WorkItem, plan_work
from sdstudio.errors import MaskError, UserFacingError

PROG = "sdstudio"
EXIT_USER_ERROR = 1


def print_error(message: str) -> None:
    one_line = " ".join(message.split())
    sys.stderr.write(f"{PROG}: error: {one_line}\n")


class ProgressBar:
    """``[#####-----] 3/8 name`` on stderr: redrawn in place on a terminal, else a few lines."""

    WIDTH = 24

    def __init__(self) -> None:
        self.interactive = sys.stderr.isatty()
        self._last_printed: tuple[int, str] | None = None
        self._shown = False

    def update(self, fraction: float, label: str) -> None:
        fraction = min(max(fraction, 0.0), 1.0)
        filled = round(fraction * self.WIDTH)
        line = f"[{'#' * filled}{'-' * (self.WIDTH - filled)}] {label}"
        if self.interactive:
            sys.stderr.write("\r" + line[:119].ljust(119))
            self._shown = True
        else:
            key = (int(fraction * 10), label.split(" ")[0])
            if key != self._last_printed:
                self._last_printed = key
                sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def done(self) -> None:
        if self.interactive and self._shown:
            sys.stderr.write("\n")
            self._shown = False


class SharedMask:
    """One mask file for a whole folder (a watermark on a series): read once, and a photo
    of another size is skipped with a message naming both sizes."""

    def __init__(self, path: Path) -> None:
        from sdstudio.errors import ImageLoadError
        from sdstudio.imaging.image_io import load_image
        from sdstudio.imaging.masks import load_mask

        self.path = path
        try:
            height, width = load_image(path).pixels.shape[:2]
        except ImageLoadError as exc:
            raise MaskError(f"Cannot use '{path.name}' as a mask: {exc}") from exc
        self.mask, self.notes = load_mask(path, (width, height))

    def for_photo(self, photo_name: str, width: int, height: int) -> np.ndarray:
        if self.mask.shape != (height, width):
            raise MaskError(
                f"skipped: the mask '{self.path.name}' is {self.mask.shape[1]} x "
                f"{self.mask.shape[0]} pixels but the photo is {width} x {height}; one mask "
                "for a folder needs photos of its size."
            )
        return self.mask


def run_job_command(args: argparse.Namespace) -> int:
    items = plan_work(args)
    # Read before the first photo: an unreadable mask stops the batch with one message.
    shared = next((item.mask for item in items if item.mask_is_shared), None)
    shared_mask = SharedMask(shared) if shared is not None else None
    return run_batch(
        items, lambda item, report: process_item(args, item, report, shared_mask), "images"
    )


def run_batch(items: list[WorkItem], process_one, noun: str) -> int:
    """Runs ``process_one(item, report) -> notes`` over the items with one progress bar.

    One failing file is reported on its own line and the rest go on (a single file
    raises instead); the exit code says whether any failed.
    """
    bar = ProgressBar()
    failures = 0
    started = time.perf_counter()
    for index, item in enumerate(items):
        prefix = f"{index + 1}/{len(items)} {item.source.name}" if len(items) > 1 else ""

        def report(fraction: float, message: str, index: int = index, prefix: str = prefix):
            label = f"{prefix} {message}".strip()
            bar.update((index + fraction) / len(items), label)

        try:
            notes = process_one(item, report)
        except UserFacingError as error:
            bar.done()
            if len(items) == 1:
                raise
            failures += 1
            print_error(f"{item.source.name}: {error}")
            continue
        bar.done()
        for note in notes:
            sys.stderr.write(f"{PROG}: note: {item.source.name}: {' '.join(note.split())}\n")
    seconds = time.perf_counter() - started
    if len(items) == 1:
        sys.stderr.write(f"{PROG}: wrote {items[0].output} in {seconds:.1f} s\n")
    else:
        done = len(items) - failures
        sys.stderr.write(f"{PROG}: {done} of {len(items)} {noun} written in {seconds:.1f} s\n")
    return EXIT_USER_ERROR if failures else 0


def process_item(
    args: argparse.Namespace, item: WorkItem, report, shared_mask: SharedMask | None = None
) -> list[str]:
    """Load, run the job, save; returns the notes for the person. Nothing is written on error."""
    from sdstudio.engine.runner import run_job
    from sdstudio.imaging.image_io import format_for_path, load_image, save_image

    format_for_path(item.output)  # an unknown extension fails before the work, not after
    loaded = load_image(item.source)
    notes = list(loaded.notes)
    height, width = loaded.pixels.shape[:2]
    mask = None
    if item.mask is not None and item.mask_is_shared:
        shared_mask = shared_mask or SharedMask(item.mask)
        mask = shared_mask.for_photo(item.source.name, width, height)
        notes += shared_mask.notes
    elif item.mask is not None:
        if not item.mask.exists():
            raise UserFacingError(f"There is no mask named '{item.source.stem}.*' in the folder.")
        from sdstudio.imaging.masks import load_mask

        mask, mask_notes = load_mask(item.mask, (width, height))
        notes += mask_notes
    job = build_job(args, loaded.pixels, mask)
    work = run_job(job)
    while True:
        try:
            progress = next(work)
        except StopIteration as stop:
            result = stop.value
            break
        report(progress.fraction, progress.message or job.title)
    dpi = loaded.dpi
    scale = result.image.shape[1] / max(width, 1)
    if dpi is not None and scale != 1 and args.command == "enhance":
        dpi = (dpi[0] * scale, dpi[1] * scale)  # same print size, more detail
    save_image(
        result.image, item.output, quality=args.quality, exif=loaded.exif,
        icc_profile=loaded.icc_profile, dpi=dpi,
    )  # fmt: skip
    return notes + list(result.notes)


def build_job(args: argparse.Namespace, image: Any, mask: Any):
    from sdstudio.jobs import EnhanceJob, ExtendJob, RepairJob, StyleJob

    if args.command == "repair":
        return RepairJob(
            image=image, mask=mask, method=args.method, seed=args.seed, device=args.device,
            prompt=args.prompt, options=_given(steps=args.steps, guidance=args.guidance),
        )  # fmt: skip
    if args.command == "style":
        options = {"renderer": "filters"} if args.filters else {}
        if args.model:
            options = _given(method=args.model, prompt=args.prompt or None, steps=args.steps,
                             denoise=args.change)  # fmt: skip
        return StyleJob(
            image=image, preset=args.style, strength=args.strength, mask=mask, seed=args.seed,
            device=args.device, options=options,
        )  # fmt: skip
    if args.command == "extend":
        left, top, right, bottom = extend_borders(args, image.shape[1], image.shape[0])
        return ExtendJob(
            image=image, left=left, top=top, right=right, bottom=bottom, method=args.method,
            seed=args.seed, device=args.device,
        )  # fmt: skip
    return EnhanceJob(
        image=image, scale=args.scale, denoise=args.denoise, sharpen=args.sharpen,
        contrast=args.contrast, model=args.model, device=args.device,
    )  # fmt: skip


def extend_borders(args: argparse.Namespace, width: int, height: int) -> tuple[int, int, int, int]:
    """The borders ``extend`` adds to a ``width`` x ``height`` photo: the sides given, or
    what brings it to ``--aspect`` (split evenly between opposite sides)."""
    if args.aspect is not None:
        from sdstudio.imaging.geometry import borders_for_aspect

        left, top, right, bottom = borders_for_aspect(width, height, args.aspect)
        if not any((left, top, right, bottom)):
            raise UserFacingError("The photo already has that aspect ratio: nothing to add.")
        return left, top, right, bottom
    return args.left, args.top, args.right, args.bottom


def _given(**values: Any) -> dict[str, Any]:
    """Job options from the arguments that were given (the engine has the defaults)."""
    return {name: value for name, value in values.items() if value is not None}
