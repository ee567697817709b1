"""``sdstudio``: open the app, or run Repair / Style / Enhance / Extend on files and folders.

``sdstudio [IMAGE ...]`` starts the GUI; ``sdstudio repair|style|enhance|extend INPUT ...``
runs the same jobs as the app (``engine.runner.run_job``, driven by ``cli_jobs``) and saves
the result with the input's EXIF, ICC profile and DPI (``detect-damage``, in ``cli_damage``,
writes a proposed damage mask instead; ``restore``, in ``cli_restore``, finds the damage,
repairs it and enhances gently). INPUT may be a folder: masks are
then matched by file name in the MASK folder, or one MASK file serves every photo (a
watermark on a series), and results go to the OUTPUT folder. Errors print one line,
``sdstudio: error: <reason>``, and exit non-zero (1 for bad input, 2 for bad arguments,
3 for a bug, 130 when interrupted). Importing this module loads neither torch nor Qt.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import traceback

from sdstudio import APP_NAME, __version__
from sdstudio.cli_jobs import print_error as _print_error
from sdstudio.cli_jobs import run_job_command
from sdstudio.errors import UserFacingError
from sdstudio.tasks import Task

PROG = "sdstudio"
COMMANDS = (
    "repair", "style", "enhance", "extend", "detect-damage", "restore", "models", "train",
)  # fmt: skip
EXIT_USER_ERROR, EXIT_USAGE, EXIT_BUG, EXIT_INTERRUPTED = 1, 2, 3, 130


class CliParser(argparse.ArgumentParser):
    """argparse that reports a usage mistake on one line, like every other error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{PROG}: error: {message} (see '{self.prog} --help')\n")
        raise SystemExit(EXIT_USAGE)


def unit_interval(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def pixels(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of pixels") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative")
    return value


def aspect_ratio(text: str) -> float:
    """``16:9``, ``3:2`` or a plain number (width / height)."""
    width, _, height = text.partition(":")
    try:
        ratio = float(width) / float(height) if height else float(width)
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a ratio like 16:9") from None
    if not 0.01 <= ratio <= 100:
        raise argparse.ArgumentTypeError(f"{text} is not a usable ratio")
    return ratio


def _add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    if importlib.util.find_spec("sdstudio.selftest") is not None:
        parser.add_argument(
            "--self-test", action="store_true", help="check this installation and exit"
        )


MASK_HELP = {
    "required": "mask image (white = repair): for a folder of photos, one mask for all of "
    "them (same size) or a folder of masks with the same file names",
    "optional": "limit the effect to the white area (a mask file, or a folder of masks)",
}


def _add_job_io(parser: argparse.ArgumentParser, mask: str | None) -> None:
    parser.add_argument("input", metavar="INPUT", help="image file, or a folder of images")
    if mask:
        parser.add_argument("--mask", required=mask == "required", help=MASK_HELP[mask])
    parser.add_argument("-o", "--output", required=True, help="output file or folder")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    parser.add_argument("--quality", type=int, default=92, help="JPEG/WebP quality (1-100)")
    parser.add_argument(
        "--overwrite", action="store_true", help="allow replacing INPUT or the mask"
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")


def build_parser(include_train: bool = True) -> argparse.ArgumentParser:
    parser = CliParser(
        prog=PROG,
        description=f"{APP_NAME}: AI photo editor. Run without a command to open the app.",
        epilog=f"'{PROG} [IMAGE ...]' opens the app with the images. "
        f"'{PROG} COMMAND --help' explains a command.",
    )
    _add_common_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    repair = commands.add_parser("repair", help="fill the masked area of a photo")
    _add_job_io(repair, mask="required")
    repair.add_argument("--method", default="auto", help="method or model id (see 'models')")
    repair.add_argument("--prompt", default="", help="what to paint (diffusion models only)")
    repair.add_argument("--seed", type=int, default=0)
    repair.add_argument("--steps", type=int, help="denoising steps (diffusion models, default 25)")
    repair.add_argument("--guidance", type=float, help="prompt guidance (diffusion, default 7.5)")

    style = commands.add_parser("style", help="turn a photo into a painting or drawing")
    _add_job_io(style, mask="optional")
    from sdstudio.engine.style.presets_info import DIFFUSION_STYLE_PRESETS, STYLE_PRESETS

    style.add_argument(
        "--style", required=True, metavar="NAME",
        help=", ".join(STYLE_PRESETS) + "; with --model: " + ", ".join(DIFFUSION_STYLE_PRESETS),
    )  # fmt: skip
    style.add_argument("--strength", type=unit_interval, default=1.0, help="0..1 (default 1)")
    style.add_argument("--seed", type=int, default=0)
    style.add_argument(
        "--model", metavar="ID", help="a Stable Diffusion model (see 'models') for sd_* styles"
    )
    style.add_argument("--prompt", default="", help="replaces the sd_* style's prompt")
    style.add_argument("--steps", type=int, help="denoising steps (with --model, default 25)")
    style.add_argument(
        "--change", type=unit_interval, help="how far SD may move from the photo (default 0.6)"
    )
    style.add_argument(
        "--filters", action="store_true",
        help="use the procedural preset even where a trained style model backs it",
    )  # fmt: skip

    enhance = commands.add_parser("enhance", help="upscale, denoise, sharpen, fix contrast")
    _add_job_io(enhance, mask=None)
    enhance.add_argument("--scale", type=int, choices=(1, 2, 4), default=2)
    enhance.add_argument("--denoise", type=unit_interval, default=0.0)
    enhance.add_argument("--sharpen", type=unit_interval, default=0.0)
    enhance.add_argument("--contrast", type=unit_interval, default=0.0)
    enhance.add_argument("--model", default="auto", help="upscaler id (see 'models')")

    extend = commands.add_parser(
        "extend", help="add canvas around a photo, filled to continue it (outpaint)"
    )
    _add_job_io(extend, mask=None)
    for side in ("left", "right", "top", "bottom"):
        extend.add_argument(f"--{side}", type=pixels, default=0, metavar="PX",
                            help=f"pixels of new canvas on the {side}")  # fmt: skip
    extend.add_argument(
        "--aspect", type=aspect_ratio, metavar="W:H",
        help="instead of the sides: add canvas evenly until the photo is W:H (e.g. 16:9)",
    )  # fmt: skip
    extend.add_argument("--method", default="auto", help="repair method or model id to fill with")
    extend.add_argument("--seed", type=int, default=0)

    from sdstudio.cli_damage import add_detect_damage_parser

    add_detect_damage_parser(commands, unit_interval)
    from sdstudio.cli_restore import add_restore_parser

    add_restore_parser(commands, unit_interval)

    models = commands.add_parser("models", help="list the methods and models for every task")
    models.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    if include_train:
        try:
            from sdstudio.training.cli_command import add_train_parser
        except ImportError:
            pass  # a build without the trainer still edits photos
        else:
            add_train_parser(commands)
    return parser


def build_gui_parser() -> argparse.ArgumentParser:
    parser = CliParser(prog=PROG, add_help=False)
    _add_common_options(parser)
    parser.add_argument("-h", "--help", action="store_true")
    parser.add_argument("images", nargs="*", metavar="IMAGE")
    return parser


def _command_in(argv: list[str]) -> str | None:
    for arg in argv:
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        if _command_in(argv) is None:
            args = build_gui_parser().parse_args(argv)
            if args.help:
                build_parser().print_help()
                return 0
            if getattr(args, "self_test", False):
                from sdstudio.selftest import main as self_test

                return int(self_test())
            from sdstudio.app.main import launch

            return int(launch(list(args.images)))
        args = build_parser(include_train=_command_in(argv) == "train").parse_args(argv)
        if args.command == "models":
            return list_models()
        if args.command == "train":
            from sdstudio.training.cli_command import run_train

            return int(run_train(args))
        if args.command == "detect-damage":
            from sdstudio.cli_damage import run_detect_damage

            return run_detect_damage(args)
        if args.command == "restore":
            from sdstudio.cli_restore import run_restore

            return run_restore(args)
        return run_job_command(args)
    except UserFacingError as error:
        _print_error(str(error))
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        sys.stderr.write(f"\n{PROG}: cancelled\n")
        return EXIT_INTERRUPTED
    except MemoryError:
        _print_error("not enough memory for this image; try a smaller one or close other programs")
        return EXIT_USER_ERROR
    except Exception as error:  # a bug: one line, the traceback only when asked for
        if debug:
            traceback.print_exc()
        _print_error(
            f"unexpected {type(error).__name__}: {error}"
            + ("" if debug else " (run again with --debug for details)")
        )
        return EXIT_BUG


def list_models() -> int:
    """Print every method per task (classical, trained, community) and the problem files."""
    from sdstudio.engine.catalog import scan_catalog
    from sdstudio.engine.style import style_names_and_descriptions

    catalog = scan_catalog()
    out = sys.stdout
    for task in ("repair", "style", "enhance"):
        out.write(f"{task.capitalize()}:\n")
        rows = [("ID", "NAME", "KIND", "SCALE", "SIZE", "SOURCE / FILE")]
        for method in catalog.for_task(task):
            where = str(method.path) if method.path else method.source
            rows.append(
                (
                    method.id + (f" (style: {method.style})" if method.style else ""),
                    method.display_name, method.kind,
                    f"x{method.scale}" if method.scale else "any" if task == Task.ENHANCE else "-",
                    f"{method.size_bytes / 2**20:.1f} MB" if method.size_bytes else "-", where,
                )
            )  # fmt: skip
        if task == Task.STYLE:
            for preset in style_names_and_descriptions():
                rows.append((preset.id, preset.name, "preset", "-", "-", "built in (filters)"))
            from sdstudio.engine.style.presets_info import diffusion_style_presets

            for sd_preset in diffusion_style_presets():
                rows.append((sd_preset.id, sd_preset.name, "prompt", "-", "-",
                             "needs --model <a Stable Diffusion repair id>"))  # fmt: skip
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            out.write("  " + "  ".join(cells) + "  " + row[-1] + "\n")
        out.write("\n")
    if catalog.problems:
        out.write("Problem files (not offered):\n")
        for problem in catalog.problems:
            out.write(f"  {problem.path}: {' '.join(problem.message.split())}\n")
    else:
        out.write("Problem files: none\n")
    return 0
