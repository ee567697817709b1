"""A style step stays adjustable: Strength or another preset re-renders it.

Photo editors treat a filter as something you tune, not a layer of paint: after a style
is applied, moving Strength or clicking another preset redoes that step from the photo
as it was *before* it, instead of styling the styled picture again. Each re-render is a
new undo step (so Undo goes back to the previous strength); "Apply on top" starts a new
step from the current picture instead.

The adjuster remembers the picture before the first step of a *chain* of such steps and
the undo commands the chain produced. The newest image edit in the undo history decides:
when it is one of the chain's commands (mask strokes above it do not count: they change
where the style goes, not the picture), a new render starts from the remembered source;
after any other edit (a repair, an enhance, a crop) the chain is over and a new one starts
from the current picture.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtGui import QUndoCommand
from PySide6.QtWidgets import QSlider

from sdstudio.app.document import Document
from sdstudio.app.job_controller import JobController
from sdstudio.app.undo_commands import is_image_step, is_mask_step
from sdstudio.jobs import StyleJob


@dataclass
class StyleStep:
    """One applied style result: its undo command and what it was rendered with."""

    command: QUndoCommand
    preset: str
    strength: float


@dataclass
class _Chain:
    source: np.ndarray  # the picture before the chain's first step (never written to)
    steps: list[StyleStep] = field(default_factory=list)

    def owns(self, command: QUndoCommand) -> StyleStep | None:
        return next((step for step in self.steps if step.command is command), None)


@dataclass
class _Expected:
    """A style job on its way: which chain its result extends (None: a new one)."""

    job_id: int
    chain: _Chain | None
    source: np.ndarray
    preset: str
    strength: float


class StyleAdjuster(QObject):
    """Builds style jobs from the right picture and records the steps they become."""

    steps_changed = Signal()  # a style step was recorded (the adjustable state may differ)

    def __init__(
        self, document: Document, controller: JobController, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.document = document
        self._chain: _Chain | None = None
        self._expected: _Expected | None = None
        controller.result_applied.connect(self._on_result_applied)

    # -- what the panel asks ---------------------------------------------------------------

    def adjustable_step(self) -> StyleStep | None:
        """The style step a new render replaces, or None when it would go on top.

        It is the chain's step when that step is the newest image edit in the history
        (only mask strokes above it).
        """
        if self._chain is None:
            return None
        for command in self._done_commands_newest_first():
            step = self._chain.owns(command)
            if step is not None:
                return step if self._chain.source.shape == self._image_shape() else None
            if not is_mask_step(command):  # a style step below strokes is still the newest
                return None  # another edit came after the style
        return None

    def latest_step(self) -> StyleStep | None:
        """The chain's newest step still in the done part of the history (not undone)."""
        if self._chain is None:
            return None
        for command in self._done_commands_newest_first():
            step = self._chain.owns(command)
            if step is not None:
                return step
        return None

    def source_image(self) -> np.ndarray | None:
        """The picture the adjustable step was rendered from (None when not adjustable)."""
        return self._chain.source if self.adjustable_step() is not None else None

    def build_job(
        self,
        preset: str,
        strength: float,
        on_top: bool,
        mask: np.ndarray | None,
        options: dict[str, Any],
    ) -> StyleJob:
        """The style job for ``preset``: from the picture before the adjustable step, or,
        with ``on_top`` or when no step is adjustable, from the current picture."""
        image = self.document.image
        assert image is not None
        chain = None if on_top or self.adjustable_step() is None else self._chain
        source = chain.source if chain is not None else image.copy()
        job = StyleJob(source.copy(), preset, strength=strength, mask=mask, options=options)
        self._expected = _Expected(job.job_id, chain, source, preset, strength)
        return job

    # -- recording -------------------------------------------------------------------------

    @Slot(int, str)
    def _on_result_applied(self, job_id: int, _title: str) -> None:
        expected, self._expected = self._expected, None
        if expected is None or expected.job_id != job_id:
            self._expected = expected  # another panel's job; ours may still come
            return
        stack = self.document.undo_stack
        command = stack.command(stack.index() - 1) if stack.index() > 0 else None
        if not is_image_step(command):
            return
        chain = expected.chain
        if chain is None:
            chain = _Chain(expected.source)
            expected.source.flags.writeable = False  # shared by every re-render
            self._chain = chain
        chain.steps.append(StyleStep(command, expected.preset, expected.strength))
        self.steps_changed.emit()

    def _done_commands_newest_first(self) -> Iterator[QUndoCommand]:
        stack = self.document.undo_stack
        if not shiboken6.isValid(stack):
            return  # the window is closing: a late hint update may find the stack gone
        for index in range(stack.index() - 1, -1, -1):
            yield stack.command(index)

    def _image_shape(self) -> tuple[int, ...] | None:
        image = self.document.image
        return None if image is None else image.shape


class SliderSettle(QObject):
    """Emits ``settled`` once a slider comes to rest: at release when dragged with the
    mouse, else ``delay_ms`` after the last change (keys, wheel, setValue)."""

    settled = Signal()

    def __init__(self, slider: QSlider, delay_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._slider = slider
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self.settled)
        slider.valueChanged.connect(self._changed)
        slider.sliderReleased.connect(self._released)

    @Slot()
    def _changed(self) -> None:
        if self._slider.isSliderDown():
            self._timer.stop()  # still held: the release settles it
        else:
            self._timer.start()

    @Slot()
    def _released(self) -> None:
        self._timer.stop()
        self.settled.emit()
