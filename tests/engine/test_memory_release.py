"""The job worker gives freed memory back to the OS (issue 13: flat RSS over a session)."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

from sdstudio.engine.memory_release import configure_allocator, release_freed_memory


def _rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * 4096


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_a_finished_jobs_buffers_leave_the_process():
    assert configure_allocator()
    before = _rss_bytes()

    def job() -> None:  # a job's temporaries: large buffers among many small ones
        buffers = [np.ones((1500, 1500, 3), np.float32) for _ in range(4)]
        small = [np.ones(100 + i) for i in range(2000)]
        del buffers, small

    worker = threading.Thread(target=job)
    worker.start()
    worker.join()
    assert release_freed_memory()
    assert _rss_bytes() - before < 20 * 1024 * 1024  # the ~100 MB of buffers went back


def test_elsewhere_it_does_nothing(monkeypatch):
    import sdstudio.engine.memory_release as memory

    memory._libc.cache_clear()
    monkeypatch.setattr(memory.sys, "platform", "darwin")
    try:
        assert not memory.configure_allocator()
        assert not memory.release_freed_memory()
    finally:
        memory._libc.cache_clear()
