"""Find damage: the Repair panel's button that proposes a mask of scratches, dust, cracks.

The detector runs as a ``DamageJob`` on the worker (progress, Esc cancels); its mask
becomes the document's ordinary, editable mask in one undo step ("Find damage
(sensitivity 50 %)"). The probability map of that run is kept while the photo is
unchanged, so the Sensitivity slider re-thresholds it on this thread (numpy, no second
run) once it settles: like Style's Strength, each settled change is one undo step, and
while the proposal is still the latest step it is replaced rather than stacked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QPushButton, QWidget

from sdstudio.app.document import Document
from sdstudio.app.job_controller import JobController
from sdstudio.app.panels.common import LabelledSlider
from sdstudio.app.panels.style_adjust import SliderSettle
from sdstudio.errors import MaskError
from sdstudio.jobs import DamageJob, Job, JobResult

OWNER = "damage"
SETTLE_DELAY_MS = 300


def proposal_title(sensitivity: float) -> str:
    return f"Find damage (sensitivity {round(sensitivity * 100)} %)"


@dataclass
class _Proposal:
    probability: np.ndarray  # uint8 (H, W), probability x 255, of the photo as it is
    operating: float  # the model's probability threshold at sensitivity 0.5
    sensitivity: float  # what the mask step shows
    step_index: int | None  # undo stack index just after the proposal step, if it pushed one
    title: str


class DamageFinder(QObject):
    """The Find damage button, the Sensitivity slider and the proposal they make."""

    def __init__(
        self, document: Document, controller: JobController, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.controller = controller
        self.find_button = QPushButton("Find damage")
        self.find_button.setToolTip(
            "Propose a mask over scratches, dust, cracks, stains and tears (one undo step); "
            "check and edit it, then Repair"
        )
        self.sensitivity = LabelledSlider(
            "Sensitivity", 50, "Higher marks more (fainter damage), lower marks less"
        )
        self._settle = SliderSettle(self.sensitivity.slider, SETTLE_DELAY_MS, self)
        self._proposal: _Proposal | None = None
        # Another action that runs the finder itself (Restore old photo) blocks the button
        # meanwhile: a second proposal would land in the middle of its steps.
        self.busy_elsewhere: Callable[[], bool] = lambda: False

        self.find_button.clicked.connect(self.find_damage)
        self._settle.settled.connect(self.sensitivity_settled)
        controller.mask_proposed.connect(self._on_proposed)
        controller.busy_changed.connect(self.update_state)
        document.image_changed.connect(self._forget)
        document.document_replaced.connect(self._forget)
        self.update_state()

    @Slot()
    def find_damage(self) -> None:
        """Runs the detector on the photo; its mask replaces the mask (one undo step)."""
        if not self.document.has_image() or self.controller.is_busy(OWNER):
            return
        if self.busy_elsewhere():
            return
        document, slider = self.document, self.sensitivity

        def make_job() -> DamageJob:
            if document.image is None:
                raise MaskError("Open a photo first.")
            return DamageJob(image=document.image.copy(), sensitivity=slider.fraction())

        self.controller.run(OWNER, make_job, describe=self._describe)

    def _describe(self, job: Job, params: Mapping[str, Any]) -> str:
        return proposal_title(float(params.get("sensitivity", 0.5)))

    @Slot(str, object)
    def _on_proposed(self, owner: str, result: JobResult) -> None:
        if owner != OWNER or result.probability is None:
            return
        sensitivity = float(result.params.get("sensitivity", 0.5))
        title = proposal_title(sensitivity)
        self._proposal = _Proposal(
            result.probability, float(result.params.get("operating_threshold", 0.5)),
            sensitivity, self._top_step_if(title), title,
        )  # fmt: skip
        if self.sensitivity.fraction() != sensitivity:
            self.sensitivity_settled()  # the slider moved while the detector ran

    def _top_step_if(self, title: str) -> int | None:
        stack = self.document.undo_stack
        index = stack.index()
        command = stack.command(index - 1) if index > 0 else None
        return index if command is not None and command.text() == title else None

    @Slot()
    def sensitivity_settled(self) -> None:
        """Re-thresholds the last proposal at the slider's sensitivity."""
        from sdstudio.engine.damage import mask_from_probability

        proposal = self._proposal
        sensitivity = self.sensitivity.fraction()
        if proposal is None or proposal.sensitivity == sensitivity:
            return  # nothing found yet: the slider only sets the next find's sensitivity
        if self.document.mask.shape != proposal.probability.shape:
            self._proposal = None
            return
        mask = mask_from_probability(proposal.probability, sensitivity, proposal.operating)
        title = proposal_title(sensitivity)
        stack = self.document.undo_stack
        latest = proposal.step_index == stack.index()
        if latest and self._top_step_if(proposal.title) is not None:
            stack.undo()  # the proposal is still the latest step: replace it
        self.document.set_mask(mask, title)
        proposal.sensitivity, proposal.title = sensitivity, title
        proposal.step_index = self._top_step_if(title)

    @Slot()
    def _forget(self) -> None:
        """The photo changed: the probabilities no longer describe it."""
        self._proposal = None
        self.update_state()

    def has_proposal(self) -> bool:
        return self._proposal is not None

    @Slot()
    def update_state(self, *_args: object) -> None:
        busy = self.controller.is_busy(OWNER)
        self.find_button.setEnabled(
            self.document.has_image() and not busy and not self.busy_elsewhere()
        )
        self.find_button.setText("Finding damage…" if busy else "Find damage")
