"""The short version of benchmarks/gui_soak.py: the real window survives a busy session."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SOAK_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gui_soak.py"


def _gui_soak():
    spec = importlib.util.spec_from_file_location("gui_soak", SOAK_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_a_short_soak_survives_with_none_steady():
    soak = _gui_soak()
    # 20 s: hundreds of strokes with zooms and pans, a job every 6 s (the first loads
    # torch), and a training run on the wizard's live page all along.
    report = soak.run_in_child(minutes=1 / 3, job_every_s=6.0, tiny_training=True)
    assert soak.verdict(report) == [], report.get("stderr_tail")
    assert int(report["strokes"]) > 100 and int(report["jobs"]) >= 1
    assert int(report["training_steps"]) > 0 and report["training_ran_throughout"]
