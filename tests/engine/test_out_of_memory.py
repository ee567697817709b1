"""The one out-of-memory fallback: each fallback once, in order, then the error."""

from __future__ import annotations

import pytest
import torch

from sdstudio.engine.out_of_memory import steps_with_memory_fallbacks, with_memory_fallbacks
from sdstudio.jobs import Progress
from tests.engine.helpers import drive


def _short_of_memory(times: int):
    calls = []

    def attempt():
        calls.append(1)
        if len(calls) <= times:
            raise torch.cuda.OutOfMemoryError("simulated")
        return "done"

    return attempt, calls


def test_fallbacks_are_used_in_order_each_once():
    attempt, calls = _short_of_memory(2)
    used = []
    fallbacks = [lambda: used.append("lighter") or True, lambda: used.append("cpu") or True]
    assert with_memory_fallbacks(attempt, fallbacks) == "done"
    assert used == ["lighter", "cpu"] and len(calls) == 3


def test_a_fallback_that_cannot_help_is_skipped_and_none_left_raises():
    attempt, _ = _short_of_memory(5)
    used = []
    fallbacks = [lambda: used.append("already on the cpu") or False]
    with pytest.raises(torch.cuda.OutOfMemoryError):
        with_memory_fallbacks(attempt, fallbacks)
    assert used == ["already on the cpu"]


def test_work_that_yields_starts_over_after_a_fallback():
    tries = []

    def attempt():
        tries.append(1)
        yield Progress(0.5, f"try {len(tries)}")
        if len(tries) == 1:
            raise torch.cuda.OutOfMemoryError("simulated")
        return "styled"

    result, progress = drive(steps_with_memory_fallbacks(attempt, [lambda: True]))
    assert result == "styled" and [p.message for p in progress] == ["try 1", "try 2"]
