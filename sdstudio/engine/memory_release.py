"""Give the memory a finished job freed back to the operating system.

A repair, style or enhance job allocates and frees hundreds of megabytes of numpy and torch
buffers. glibc keeps freed heap memory in its arenas (one per thread that allocated, and the
job worker is a thread), so the process's resident size stays at the largest job's high-water
mark and creeps up as fragmented arenas are reused. ``malloc_trim(0)`` returns the free pages
of every arena; it costs a few milliseconds, so the job worker calls it once per finished job
(issue 13: the 15-minute GUI soak's RSS must stay flat). Elsewhere (macOS, Windows, musl) the
allocator returns memory its own way and this does nothing.
"""

from __future__ import annotations

import ctypes
import sys
from functools import cache

# mallopt parameters (glibc malloc.h)
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
# Buffers of this size and more (a 1000 x 1000 photo's channel; every tile, mask and
# network activation of a job) get their own mapping, returned to the OS the moment
# they are freed. A fixed value also stops glibc raising the threshold after each freed
# large buffer, which is what lets job temporaries pile up in the heap arenas.
_OWN_MAPPING_BYTES = 1 << 20
_ARENAS = 4  # the UI thread, the job worker, and torch's / OpenCV's helpers


@cache
def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        # The process's own symbols include the C library's; no library search (which
        # would start ``ldconfig`` at every app start).
        libc = ctypes.CDLL(None)
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    except (OSError, AttributeError):  # not glibc
        return None
    return libc


def configure_allocator() -> bool:
    """Set glibc's allocator up for a long editing session (call once, at start, before
    the worker threads); True if it could."""
    libc = _libc()
    if libc is None:
        return False
    libc.mallopt(_M_MMAP_THRESHOLD, _OWN_MAPPING_BYTES)
    libc.mallopt(_M_ARENA_MAX, _ARENAS)
    return True


def release_freed_memory() -> bool:
    """Return freed heap pages to the OS; True if the allocator could."""
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True
