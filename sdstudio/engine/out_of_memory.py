"""What every network does when the GPU runs out of memory: lighten the load, then retry.

Each caller lists its fallbacks in order (smaller tiles, sliced attention, the CPU); a
fallback is a callable that prepares the next try and returns True, or returns False
when it cannot help (the network already runs on the CPU). The first fallback that
helps is used up, so a second out-of-memory moves on to the next one; when none is
left the error goes to the caller. The GPU's cached blocks are released before each
fallback so the retry starts from what the failed try left free.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import TypeVar

import torch

from sdstudio.jobs import Progress

log = logging.getLogger(__name__)

Result = TypeVar("Result")
Fallback = Callable[[], bool]

CPU_FALLBACK_NOTE = "GPU ran out of memory; finished on the CPU."


def release_cuda_memory() -> None:
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _apply_next(remaining: Iterator[Fallback], error: torch.cuda.OutOfMemoryError) -> None:
    release_cuda_memory()
    if not any(fallback() for fallback in remaining):
        raise error


def with_memory_fallbacks(attempt: Callable[[], Result], fallbacks: Iterable[Fallback]) -> Result:
    """``attempt()``, tried again after each fallback while the GPU runs out of memory."""
    remaining = iter(fallbacks)
    while True:
        try:
            return attempt()
        except torch.cuda.OutOfMemoryError as error:
            _apply_next(remaining, error)


def steps_with_memory_fallbacks(
    attempt: Callable[[], Generator[Progress, None, Result]], fallbacks: Iterable[Fallback]
) -> Generator[Progress, None, Result]:
    """:func:`with_memory_fallbacks` for work that yields progress: each try starts over."""
    remaining = iter(fallbacks)
    while True:
        try:
            return (yield from attempt())
        except torch.cuda.OutOfMemoryError as error:
            _apply_next(remaining, error)


def note_once(notes: list[str], note: str) -> None:
    if note not in notes:
        notes.append(note)
