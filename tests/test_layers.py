"""Lower layers never import Qt, and the package root imports neither torch nor Qt."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import sys, importlib, pkgutil
import {package} as root
names = [root.__name__]
if hasattr(root, "__path__"):
    names += [m.name for m in pkgutil.walk_packages(root.__path__, root.__name__ + ".")]
for name in names:
    importlib.import_module(name)
bad = sorted(m for m in sys.modules if m.split(".")[0] in {forbidden!r})
print(",".join(bad))
"""


def _forbidden_imports(package: str, forbidden: set[str]) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(package=package, forbidden=forbidden)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return [name for name in out.split(",") if name]


def test_package_root_is_light():
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, sdstudio, sdstudio.jobs, sdstudio.paths, "
            "sdstudio.errors; print(sorted(m for m in sys.modules "
            "if m.split('.')[0] in {'torch', 'PySide6', 'cv2'}))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out == "[]"


def test_imaging_uses_neither_qt_nor_torch():
    assert _forbidden_imports("sdstudio.imaging", {"PySide6", "torch", "cv2"}) == []


@pytest.mark.parametrize("package", ["sdstudio.engine", "sdstudio.training", "sdstudio.session"])
def test_engine_and_training_never_import_qt(package):
    assert _forbidden_imports(package, {"PySide6", "shiboken6"}) == []
