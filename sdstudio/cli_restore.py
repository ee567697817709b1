"""``sdstudio restore INPUT -o OUTPUT``: restore old photos in one go.

Each photo goes through the app's Restore old photo chain (``engine.restore_chain``):
find the damage, repair it, then a gentle enhance of the same size (``--no-enhance``
leaves it out). INPUT is a photo or a folder of photos; a folder's results go to the
OUTPUT folder under the photos' own names, with one progress bar. The input is never
replaced (there is no ``--overwrite``: a restore is a proposal to compare with the
original). A photo that fails is reported on one line and the batch goes on. The result
keeps the photo's EXIF, ICC profile and DPI. Importing this module loads neither torch
nor Qt.
"""

from __future__ import annotations

import argparse
from collections.abc import Generator
from typing import Any

from sdstudio.cli_jobs import run_batch
from sdstudio.cli_plan import WorkItem, plan_work


def add_restore_parser(commands, unit_interval) -> None:
    parser = commands.add_parser(
        "restore", help="restore old photos: find the damage, repair it, enhance gently"
    )
    parser.add_argument("input", metavar="INPUT", help="image file, or a folder of images")
    parser.add_argument("-o", "--output", required=True, help="output file, or a folder")
    chain = parser.add_argument_group("the three steps")
    chain.add_argument(
        "--sensitivity", type=unit_interval, default=0.5,
        help="find damage: 0..1, higher marks more (default 0.5)",
    )  # fmt: skip
    chain.add_argument("--method", default="auto", help="repair: method or model id ('models')")
    chain.add_argument(
        "--no-enhance", action="store_true", help="leave out the gentle denoise and sharpen"
    )
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    parser.add_argument("--quality", type=int, default=92, help="JPEG/WebP quality (1-100)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    parser.set_defaults(overwrite=False)  # no --overwrite: the original is never replaced


def run_restore(args: argparse.Namespace) -> int:
    # Files are paired and checked before any work; ``overwrite`` is always False here,
    # so an output that is an input is refused.
    items = plan_work(args)
    return run_batch(items, lambda item, report: restore_one(args, item, report), "photos")


def restore_one(args: argparse.Namespace, item: WorkItem, report) -> list[str]:
    """Load, restore, save; returns the notes. Nothing is written when a step fails."""
    from sdstudio.engine.restore_chain import RestoreSettings, iter_restore
    from sdstudio.imaging.image_io import format_for_path, load_image, save_image

    format_for_path(item.output)  # an unknown extension fails before the work, not after
    loaded = load_image(item.source)
    settings = RestoreSettings(
        sensitivity=args.sensitivity, enhance=not args.no_enhance, repair_method=args.method,
        device=args.device,
    )  # fmt: skip
    result = _reporting(iter_restore(loaded.pixels, settings), report)
    save_image(
        result.image, item.output, quality=args.quality, exif=loaded.exif,
        icc_profile=loaded.icc_profile, dpi=loaded.dpi,
    )  # fmt: skip
    marked = float((result.mask > 0).mean()) * 100
    found = [f"{marked:.1f} % of the photo was found damaged and repaired."] if marked else []
    return list(loaded.notes) + found + list(result.notes)


def _reporting(work: Generator[Any, None, Any], report) -> Any:
    """Drives ``work`` to its end, passing each Progress to ``report``; returns its value."""
    outcome: list[Any] = []

    def keep_result() -> Generator[Any, None, None]:
        outcome.append((yield from work))

    for progress in keep_result():
        report(progress.fraction, progress.message or "Restoring")
    return outcome[0]
