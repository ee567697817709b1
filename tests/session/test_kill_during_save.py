"""SIGKILL a process in the middle of saving a project: the previous file stays readable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sdstudio.session.project_file import read_project

ROOT = Path(__file__).resolve().parents[2]

WRITER = """
import sys
import numpy as np
from sdstudio.session.project_file import write_project
from sdstudio.session.history import Edit
from sdstudio.session.project_model import SourceInfo, build_project

path = sys.argv[1]
rng = np.random.default_rng(0)
original = rng.integers(0, 256, (700, 1000, 3), dtype=np.uint8)
mask = np.zeros((700, 1000), np.uint8)
iteration = 0
while True:
    iteration += 1
    print("start", iteration, flush=True)
    current = original.copy()
    current[100:700, 100:900] = rng.integers(0, 256, (600, 800, 3), dtype=np.uint8)
    edit = Edit("Repair", {"task": "repair", "iteration": iteration}, "patch",
                (100, 100, 800, 600), original[100:700, 100:900].copy(),
                current[100:700, 100:900].copy())
    project = build_project(original, current, mask, [edit], SourceInfo(path="/p/x.png"))
    write_project(path, project, compress_level=1)
    print("done", iteration, flush=True)
"""


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")
def test_killed_while_saving_leaves_the_previous_project_intact(tmp_path):
    path = tmp_path / "big.sdsproj"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for delay in (0.0, 0.12, 0.25):
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            assert child.stdout is not None
            lines = [child.stdout.readline().split() for _ in range(3)]
            # One whole write is done and the second has begun: kill it part-way through.
            assert lines == [["start", "1"], ["done", "1"], ["start", "2"]]
            time.sleep(delay)
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(10)
        assert child.returncode == -signal.SIGKILL
        project = read_project(path)  # never a half-written file
        assert project.steps[0].params["iteration"] in (1, 2)
        assert project.current.shape == (700, 1000, 3)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != path.name]
    assert all(name.startswith(".big.sdsproj.") and name.endswith(".part") for name in leftovers)
