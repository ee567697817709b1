"""The status bar's job display and its "about 12 s left" estimate."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from sdstudio.job_queue import JobQueue

# The estimate is shown from the second progress update after the first that moved:
# one update alone gives no rate, and the first one also carries the job's setup time
# (loading a model), which would inflate the estimate.
UPDATES_BEFORE_ESTIMATE = 2
# How much each new raw estimate moves the shown one: enough to follow a job that
# speeds up, little enough that one slow tile does not make the number jump.
SMOOTHING = 0.3


class TimeLeftEstimate:
    """Seconds left from the progress rate so far, smoothed; None until it can tell."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.reset()

    def reset(self) -> None:
        self._reference: tuple[float, float] | None = None  # (time, fraction) of the first move
        self._updates = 0
        self._smoothed: float | None = None
        self._smoothed_at = 0.0

    def update(self, fraction: float) -> float | None:
        now = self._clock()
        if fraction <= 0.0:
            return None
        if self._reference is None:
            self._reference = (now, fraction)
            return None
        start_time, start_fraction = self._reference
        done = fraction - start_fraction
        if done <= 0.0 or now <= start_time:
            return self.seconds_left(now)
        self._updates += 1
        raw = (now - start_time) * (1.0 - fraction) / done
        if self._smoothed is None:
            self._smoothed = raw
        else:
            # The previous estimate has run down since it was made; blend from there.
            counted_down = max(0.0, self._smoothed - (now - self._smoothed_at))
            self._smoothed = counted_down + SMOOTHING * (raw - counted_down)
        self._smoothed_at = now
        return self.seconds_left(now)

    def seconds_left(self, now: float | None = None) -> float | None:
        if self._smoothed is None or self._updates < UPDATES_BEFORE_ESTIMATE:
            return None
        now = self._clock() if now is None else now
        return max(0.0, self._smoothed - (now - self._smoothed_at))


def time_left_text(seconds: float | None) -> str:
    """ "about 12 s left", "about 3 min left"; "" when there is no estimate yet."""
    if seconds is None:
        return ""
    if seconds < 5:
        return "a few seconds left"
    if seconds < 60:
        return f"about {round(seconds)} s left"
    if seconds < 3600:
        return f"about {max(1, round(seconds / 60))} min left"
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"about {hours} h {minutes} min left" if minutes else f"about {hours} h left"


class JobStatusWidget(QWidget):
    """Name and message, progress bar, time left and Cancel, in the status bar."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jobStatus")
        self.label = QLabel()
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setMaximumWidth(180)
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setFormat("%p%")
        self.time_left_label = QLabel()
        self.time_left_label.setObjectName("jobTimeLeft")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the running job (Esc); the photo stays as it was")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.time_left_label)
        layout.addWidget(self.cancel_button)
        self.hide()

    def show_queue(self, queue: JobQueue[Any], time_left: str = "") -> None:
        """Shows the queue's foreground job (running, or next) and how many wait; hides
        when there is none. Background jobs are never shown."""
        current = queue.foreground_job()
        if current is None or current.job is None:
            self.hide()
            return
        self.show_job(
            current.job.title,
            current.fraction,
            current.message,
            queue.waiting_to_build(),
            time_left,
        )

    def show_job(
        self, title: str, fraction: float, message: str, queued: int, time_left: str = ""
    ) -> None:
        text = f"{title}: {message}" if message else title
        if queued:
            text += f"  (+{queued} queued)"
        self.label.setText(text)
        self.progress_bar.setValue(round(max(0.0, min(1.0, fraction)) * 1000))
        self.time_left_label.setText(time_left)
        self.time_left_label.setVisible(bool(time_left))
        self.show()
