"""What a ``sdstudio repair|style|enhance|extend`` command will do, checked before any work.

``plan_work`` pairs every input with its output (and mask), refuses to replace an input
or a mask unless ``--overwrite`` is given, and checks the style name and the extend
borders, so a mistake is reported at once instead of after torch has loaded. A folder of
photos takes a folder of masks (matched by name) or one mask file for all of them; that
mask file is never one of the inputs, even inside the folder. Nothing here imports torch
or Qt.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from sdstudio.errors import UnknownNameError, UserFacingError


@dataclass
class WorkItem:
    source: Path
    output: Path
    mask: Path | None
    mask_is_shared: bool = False  # one mask file for every photo of the folder


def plan_work(args: argparse.Namespace) -> list[WorkItem]:
    """The files to process; UserFacingError for anything that would fail or destroy data."""
    if args.command == "style":
        check_style_name(args.style, with_model=bool(args.model))
    if args.command == "extend":
        check_extend_borders(args)
    source = Path(args.input).expanduser()
    output = Path(args.output).expanduser()
    mask = Path(args.mask).expanduser() if getattr(args, "mask", None) else None
    if not source.exists():
        raise UserFacingError(f"The input '{source}' does not exist.")
    if mask is not None and not mask.exists():
        raise UserFacingError(f"The mask '{mask}' does not exist.")
    if source.is_dir():
        if mask is not None and output.is_dir() and output.samefile(mask) and not args.overwrite:
            raise UserFacingError(
                f"The output folder '{output}' is the mask folder, so the results would "
                "replace the masks; choose another output folder (or add --overwrite)."
            )
        items = _plan_folder(source, output, mask)
    else:
        if mask is not None and mask.is_dir():
            raise UserFacingError(f"The input is one file, so --mask must be a file, not '{mask}'.")
        if output.is_dir():
            output = output / source.name
        items = [WorkItem(source, output, mask)]
    if not args.overwrite:
        _refuse_replacing_inputs(items, mask)
    check_output_folders(items)
    return items


def check_output_folders(items: list[WorkItem]) -> None:
    """Refuses a plan whose results would go into a folder that does not exist."""
    for item in items:
        if not item.output.parent.is_dir():
            raise UserFacingError(f"The output folder '{item.output.parent}' does not exist.")


def check_extend_borders(args: argparse.Namespace) -> None:
    sides = (args.left, args.top, args.right, args.bottom)
    if args.aspect is not None and any(sides):
        raise UserFacingError("Give either --aspect or the sides (--left/--right/...), not both.")
    if args.aspect is None and not any(sides):
        raise UserFacingError(
            "Say how much canvas to add: --left, --right, --top, --bottom (pixels) or --aspect."
        )


def check_style_name(name: str, *, with_model: bool) -> None:
    """UnknownNameError naming the valid styles when ``name`` is not one (torch-free)."""
    from sdstudio.engine.style.presets_info import (
        DIFFUSION_STYLE_PRESETS,
        STYLE_PRESETS,
        check_diffusion_preset,
        check_preset,
    )

    if with_model:
        if name in STYLE_PRESETS:
            raise UnknownNameError(
                f"'{name}' is a built-in style, not a Stable Diffusion one: leave out --model, "
                f"or choose one of: {', '.join(DIFFUSION_STYLE_PRESETS)}."
            )
        check_diffusion_preset(name)
    else:
        if name in DIFFUSION_STYLE_PRESETS:
            raise UnknownNameError(
                f"'{name}' is a Stable Diffusion style: add --model with a Stable Diffusion "
                "model id (see 'sdstudio models')."
            )
        check_preset(name)


def _plan_folder(source: Path, output: Path, mask: Path | None) -> list[WorkItem]:
    from sdstudio.imaging.image_io import OPEN_EXTENSIONS

    if output.exists() and not output.is_dir():
        raise UserFacingError(f"The input is a folder, so the output '{output}' must be a folder.")
    shared_mask = mask is not None and not mask.is_dir()
    mask_identity = _identity(mask) if shared_mask and mask is not None else None
    images = sorted(
        path for path in source.iterdir()
        if path.is_file() and not path.name.startswith(".")
        and path.suffix.lower() in OPEN_EXTENSIONS
        and (mask_identity is None or _identity(path) != mask_identity)  # the mask is no photo
    )  # fmt: skip
    if not images:
        raise UserFacingError(f"The folder '{source}' has no images SD Studio can open.")
    if shared_mask:
        output.mkdir(parents=True, exist_ok=True)
        return [WorkItem(path, output / path.name, mask, mask_is_shared=True) for path in images]
    masks: dict[str, Path] = {}
    for path in sorted(mask.iterdir()) if mask is not None else []:
        if path.is_file() and not path.name.startswith("."):
            masks.setdefault(path.stem, path)
    output.mkdir(parents=True, exist_ok=True)
    # A missing mask gets a path that does not exist: reported when the batch reaches it.
    return [
        WorkItem(path, output / path.name, masks.get(path.stem, mask / f"{path.stem}.*"))
        if mask is not None else WorkItem(path, output / path.name, None)
        for path in images
    ]  # fmt: skip


def _refuse_replacing_inputs(items: list[WorkItem], mask: Path | None) -> None:
    """Refuses an output that is an input photo or any mask file (also via links)."""
    # Every file of a mask folder counts, not only the matched one: a result named like
    # another mask would still destroy it.
    mask_files = [mask] if mask is not None and mask.is_file() else []
    if mask is not None and mask.is_dir():
        mask_files = [path for path in mask.iterdir() if path.is_file()]
    masks_by_identity = {_identity(path): path for path in mask_files}
    for item in items:
        target = _identity(item.output)
        if target is None:
            continue  # a new file replaces nothing
        if target == _identity(item.source):
            raise UserFacingError(
                f"The output '{item.output}' is the input file; choose another output "
                "(or add --overwrite to replace the original)."
            )
        if target in masks_by_identity:
            raise UserFacingError(
                f"The output '{item.output}' is the mask file '{masks_by_identity[target]}'; "
                "choose another output (or add --overwrite to replace the mask)."
            )


def _identity(path: Path) -> tuple[int, int] | None:
    """The file ``path`` names after links (device, inode), None when there is none."""
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_dev, info.st_ino)
