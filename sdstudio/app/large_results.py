"""Whether a job's result is big enough to ask first, and what to tell the person.

A 4x upscale of a 3000 x 1875 photo is 12000 x 7500 = 90 MP: minutes of work and
gigabytes of memory, for a click that looks like any other. Before such a job starts
the person is told the size, the memory and the time it will take, and may cancel.
"""

from __future__ import annotations

from dataclasses import dataclass

from sdstudio.jobs import EnhanceJob, Job

# Asked from here: a result this size no longer fits comfortably in a desktop's memory
# beside the rest of the app, and takes minutes on a CPU.
LARGE_RESULT_PIXELS = 50_000_000
LARGE_RESULT_BYTES = 2 * 1024**3
# Peak bytes per result pixel while it is made and shown: the engine's result and one
# working copy (sharpen, levels: 3 + 3), the document's copy and the undo step's (3 + 3),
# the canvas pixmap and the QImage it is converted from (4 + 4).
BYTES_PER_RESULT_PIXEL = 20
# Output megapixels per second before SD Studio has timed a job of that kind on this
# computer: measured on a 2-core CPU (Lanczos 15, the shipped x2 / x4 networks 0.25 /
# 0.77). Once one has run, its measured speed replaces these.
DEFAULT_SPEED_MP_PER_S = {"classical": 15.0, "network": 0.3}


@dataclass(frozen=True)
class ResultEstimate:
    width: int
    height: int
    seconds: float

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def memory_bytes(self) -> int:
        return self.pixels * BYTES_PER_RESULT_PIXEL

    def is_large(self) -> bool:
        return self.pixels > LARGE_RESULT_PIXELS or self.memory_bytes > LARGE_RESULT_BYTES


def speed_key(job: Job) -> str:
    """What a measured speed is filed under: the choice as the panel makes it."""
    if isinstance(job, EnhanceJob):
        return enhance_speed_key(job.model, job.scale)
    return f"{job.task}:{getattr(job, 'method', '') or getattr(job, 'preset', '')}"


def enhance_speed_key(model: str, scale: int) -> str:
    return f"enhance:{model or 'auto'}:x{scale}"


class JobSpeeds:
    """Output megapixels per second measured per choice (:func:`speed_key`)."""

    def __init__(self) -> None:
        self._measured: dict[str, float] = {}

    def record(self, key: str, output_pixels: int, seconds: float) -> None:
        # Tiny jobs are all overhead (thread hand-over, model cache): they would make a
        # later large job look instant.
        if seconds >= 0.5 and output_pixels >= 1_000_000:
            self._measured[key] = output_pixels / 1e6 / seconds

    def speed(self, key: str, kind: str) -> float:
        measured = self._measured.get(key)
        if measured is not None:
            return measured
        return DEFAULT_SPEED_MP_PER_S["classical" if kind == "classical" else "network"]

    def estimate(self, width: int, height: int, key: str, kind: str) -> ResultEstimate:
        """``kind``: the method's catalog kind, for the default speed before one is timed."""
        seconds = width * height / 1e6 / self.speed(key, kind)
        return ResultEstimate(width, height, seconds)


def duration_text(seconds: float) -> str:
    if seconds < 60:
        return f"{max(1, round(seconds))} s"
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours} h {minutes} min"


def memory_text(size_bytes: int) -> str:
    gigabytes = size_bytes / 1024**3
    return f"{gigabytes:.1f} GB" if gigabytes >= 1 else f"{round(size_bytes / 1024**2)} MB"


def large_result_question(title: str, estimate: ResultEstimate) -> str:
    """What the person reads before a large job starts."""
    return (
        f"{title} will make a {estimate.width} x {estimate.height} pixel image "
        f"({estimate.pixels / 1e6:.0f} MP).\n\n"
        f"It needs about {memory_text(estimate.memory_bytes)} of memory and may take about "
        f"{duration_text(estimate.seconds)} on this computer. Other programs may slow down "
        "meanwhile; Cancel in the status bar stops it.\n\nStart it?"
    )
