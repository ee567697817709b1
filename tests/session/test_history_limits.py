from __future__ import annotations

import numpy as np
import pytest

from sdstudio.session.history_limits import (
    MAX_STEPS,
    MIN_STEPS,
    clamp_memory_mb,
    trim_history,
    undo_step_limit,
    worst_step_bytes,
)
from tests.session.project_samples import sample_project


def test_step_limit_follows_the_memory_budget():
    # 1000 x 1000: a worst step is 2 * 4 MB + 1 MB = 9 MB, so 900 MB hold 104 steps.
    assert worst_step_bytes(1000, 1000) == 9_000_000
    assert undo_step_limit(1000, 1000, 900) == 900 * 1024 * 1024 // 9_000_000
    assert undo_step_limit(6000, 4000, 1024) == MIN_STEPS  # 24 MP: a few steps at least
    assert undo_step_limit(64, 64, 1024) == MAX_STEPS
    assert undo_step_limit(1000, 1000, 2048) > undo_step_limit(1000, 1000, 1024)


def test_memory_setting_is_clamped():
    assert clamp_memory_mb(1) == 64 and clamp_memory_mb(10**9) == 64 * 1024


def test_trim_drops_the_oldest_steps_into_the_base():
    project = sample_project()
    trimmed = trim_history(project, 2)
    assert [s.title for s in trimmed.steps] == ["Enhance x2", "Style: oil_painting"]
    *_, (_step, last, last_mask) = trimmed.replay()
    assert np.array_equal(last, project.current)
    assert np.array_equal(last_mask, project.mask)
    assert np.array_equal(trimmed.original, project.original)
    assert "2 oldest" in trimmed.notes[-1]
    assert trim_history(project, 10) is project
    emptied = trim_history(project, 0)
    assert emptied.steps == [] and np.array_equal(emptied.base, project.current)
    with pytest.raises(ValueError):
        trim_history(project, -1)
