"""``sdstudio detect-damage INPUT -o OUTPUT``: propose a damage mask for photos.

INPUT is a photo or a folder of photos; each mask is a greyscale PNG of the photo's size,
white where the damage finder (``engine.damage``) proposes scratches, dust, cracks,
stains or tears. A folder's masks go to the OUTPUT folder as ``<name>.png``. Files are
paired and checked first (``cli_plan``); a photo that fails is reported on one line and
the batch goes on. Importing this module loads neither torch nor Qt.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sdstudio.cli_jobs import run_batch
from sdstudio.cli_plan import WorkItem, _plan_folder, _refuse_replacing_inputs, check_output_folders
from sdstudio.errors import UserFacingError


def add_detect_damage_parser(commands, unit_interval) -> None:
    parser = commands.add_parser(
        "detect-damage", help="propose a damage mask (white = damage) for photos"
    )
    parser.add_argument("input", metavar="INPUT", help="image file, or a folder of images")
    parser.add_argument(
        "-o", "--output", required=True, help="mask file (.png), or a folder for a folder"
    )
    parser.add_argument(
        "--sensitivity", type=unit_interval, default=0.5,
        help="0..1: higher marks more, lower marks less (default 0.5)",
    )  # fmt: skip
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")


def plan_masks(args: argparse.Namespace) -> list[WorkItem]:
    """Each photo with the PNG its mask goes to; UserFacingError before any work."""
    source = Path(args.input).expanduser()
    output = Path(args.output).expanduser()
    if not source.exists():
        raise UserFacingError(f"The input '{source}' does not exist.")
    if source.is_dir():
        items = [
            WorkItem(item.source, item.output.with_suffix(".png"), None)
            for item in _plan_folder(source, output, None)
        ]
        seen: dict[Path, Path] = {}
        for item in items:
            if item.output in seen:
                raise UserFacingError(
                    f"'{seen[item.output].name}' and '{item.source.name}' would both write "
                    f"'{item.output.name}'; rename one of them."
                )
            seen[item.output] = item.source
    else:
        if output.is_dir():
            output = output / f"{source.stem}.png"
        elif output.suffix.lower() != ".png":
            raise UserFacingError(
                f"Masks are saved as PNG: name the output '{output.with_suffix('.png').name}'."
            )
        items = [WorkItem(source, output, None)]
    _refuse_replacing_inputs(items, None)
    check_output_folders(items)
    return items


def run_detect_damage(args: argparse.Namespace) -> int:
    items = plan_masks(args)
    return run_batch(items, lambda item, report: detect_one(args, item, report), "masks")


def detect_one(args: argparse.Namespace, item: WorkItem, report) -> list[str]:
    """Load, find the damage, save the mask; returns the notes. Nothing is written on error."""
    from sdstudio.engine.damage import iter_detect_damage
    from sdstudio.imaging.image_io import load_image
    from sdstudio.imaging.masks import save_mask

    loaded = load_image(item.source)
    work = iter_detect_damage(
        loaded.pixels[..., :3], sensitivity=args.sensitivity, device=args.device
    )
    while True:
        try:
            progress = next(work)
        except StopIteration as stop:
            mask = stop.value
            break
        report(progress.fraction, progress.message or "Finding damage")
    save_mask(mask, item.output)
    marked = float((mask > 0).mean()) * 100
    return list(loaded.notes) + [f"{marked:.1f} % of the photo marked as damage."]
