"""A self-test of an installed or frozen SD Studio: ``sdstudio --self-test``.

It does what a person would do first, without a display: opens the bundled example
photo with the app's own loader, opens the main window offscreen and checks it shows the
photo, then runs a repair (on a generated mask), a style preset and a 2x enhance through
the real engine on the CPU, checking each result. It also runs two small networks saved
as user model files (so torch, safetensors and spandrel are exercised even when every
default method is classical) and starts a spawned process as training does. It prints
one line per step and returns 0, or prints the reason and returns 1. Release builds run
it on the frozen app (scripts/build_app.sh), so a missing bundled file, a module
PyInstaller did not collect or a broken torch shows up before users see it.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Callable

from sdstudio import APP_NAME, __version__, paths
from sdstudio.selftest.common import SelfTestFailure
from sdstudio.selftest.photo_checks import (
    check_enhance,
    check_main_window,
    check_repair,
    check_style,
    open_example_photo,
)
from sdstudio.selftest.runtime_checks import check_network, check_spawned_process

SELF_TEST_LOG = "self-test.log"

# What main() runs, in order; each step returns a one-line summary or raises.
STEPS: list[tuple[str, Callable[[dict[str, object]], str]]] = [
    ("example photo", open_example_photo),
    ("main window", check_main_window),
    ("repair", check_repair),
    ("style", check_style),
    ("enhance", check_enhance),
    ("network", check_network),
    ("training process", check_spawned_process),
]


def main(argv: list[str] | None = None) -> int:
    """Run every step; 0 when all pass. The report also goes to the user's log folder,
    because a windowed Windows/macOS build has no console to print to."""
    # The self-test must run on machines without a display (build servers, CI).
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    started = time.perf_counter()
    frozen = bool(getattr(sys, "frozen", False))
    report: list[str] = []

    def say(line: str) -> None:
        report.append(line)
        print(line, flush=True)

    say(f"{APP_NAME} {__version__} self-test (frozen: {frozen}, bundle: {paths.bundle_root()})")
    state: dict[str, object] = {}
    passed = True
    for name, step in STEPS:
        step_started = time.perf_counter()
        try:
            summary = step(state)
        except SelfTestFailure as failure:
            say(f"[FAIL] {name}: {failure}")
            passed = False
            break
        except Exception as error:  # noqa: BLE001 - any crash is a failed self-test
            say(f"[FAIL] {name}: {type(error).__name__}: {error}")
            details = traceback.format_exc()
            report.append(details)
            print(details, file=sys.stderr, flush=True)
            passed = False
            break
        say(f"[ok] {name}: {summary} ({time.perf_counter() - step_started:.1f} s)")
    if passed:
        say(f"Self-test passed in {time.perf_counter() - started:.1f} s")
    else:
        say("Self-test FAILED")
    log_path = paths.logs_dir() / SELF_TEST_LOG
    try:
        log_path.write_text("\n".join(report) + "\n", encoding="utf-8")
        print(f"Report written to {log_path}", flush=True)
    except OSError as error:
        print(f"Could not write {log_path}: {error}", file=sys.stderr, flush=True)
    return 0 if passed else 1
