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
import ctypes.util
import sys
from functools import cache


@cache
def _malloc_trim():
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c") or "libc.so.6"
    try:
        libc = ctypes.CDLL(name)
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release_freed_memory() -> bool:
    """Return freed heap pages to the OS; True if the allocator could."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
