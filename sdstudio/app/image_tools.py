"""The Image menu: crop, straighten, rotate, flip, resize and extend the canvas.

Each edit is one undo step that moves the photo and its mask together: an
``Document.apply_result`` given the new mask, so undo, redo, project files and autosave
restore both. Crop and straighten are canvas tools (``crop_tool``, ``straighten_tool``)
with their options in a bar above the canvas; Extend Canvas runs as a job through the job
controller (progress, Cancel), so its result is an undo step like a repair's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import QApplication, QDialog, QMenu

from sdstudio.app.crop_tool import TOOL_CROP, CropTool
from sdstudio.app.document import Document
from sdstudio.app.image_dialogs import ExtendChoice, ExtendDialog, ResizeChoice, ResizeDialog
from sdstudio.app.image_tool_bar import ORIGINAL, ImageToolBar
from sdstudio.app.menu_items import make_action
from sdstudio.app.straighten_tool import TOOL_STRAIGHTEN, StraightenTool
from sdstudio.imaging import geometry
from sdstudio.imaging.image_io import MAX_PIXELS, MAX_SIDE
from sdstudio.jobs import ExtendJob, Job

if TYPE_CHECKING:
    from sdstudio.app.window import MainWindow

EXTEND_OWNER = "extend"
_IMAGE_TOOLS = (TOOL_CROP, TOOL_STRAIGHTEN)


def apply_geometry(
    document: Document, title: str, image: np.ndarray, mask: np.ndarray, params: dict[str, Any]
) -> None:
    """One undo step that replaces the photo and its mask (crop, turn, flip, resize)."""
    document.apply_result(title, image, {"task": "geometry", **params}, mask=mask)


class _WaitCursor:
    """A busy cursor for the second a large photo takes to turn or resize."""

    def __enter__(self) -> None:
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)

    def __exit__(self, *_exc) -> None:
        QApplication.restoreOverrideCursor()


class ImageTools(QObject):
    def __init__(self, window: MainWindow, menu: QMenu, tool_group: QActionGroup) -> None:
        super().__init__(window)
        self.window = window
        self.document: Document = window.document
        self.canvas = window.canvas
        self.tool_group = tool_group
        self._previous_tool = self.canvas.tool
        self.bar = ImageToolBar(window)
        self._bar_added = False
        self.crop_tool = CropTool(
            self.canvas, self._crop_changed, self.apply_crop, self.finish_tool, self._tool_ended
        )
        self.straighten_tool = StraightenTool(
            self.canvas, self._angle_changed, self.apply_straighten, self.finish_tool,
            self._tool_ended,
        )  # fmt: skip
        self.canvas.register_tool(TOOL_CROP, self.crop_tool)
        self.canvas.register_tool(TOOL_STRAIGHTEN, self.straighten_tool)
        self.bar.ratio_chosen.connect(self._set_crop_ratio)
        self.bar.angle_chosen.connect(self.straighten_tool.set_angle)
        self.bar.apply_clicked.connect(self._apply_current)
        self.bar.cancel_clicked.connect(self.finish_tool)
        self.actions = self._build_actions(menu)
        self.document.document_replaced.connect(self._update_enabled)
        self._update_enabled()

    def _build_actions(self, menu: QMenu) -> dict[str, Any]:
        window = self.window
        specs = (
            ("crop", "&Crop", self.start_crop, "C", "Drag the part of the photo to keep"),
            ("straighten", "S&traighten", self.start_straighten, None,
             "Drag along a line that should be level; the photo turns to match"),
            None,
            ("rotate_left", "Rotate 90° &Left", lambda: self.rotate(-1), "Ctrl+[",
             "Turn the photo a quarter turn anticlockwise"),
            ("rotate_right", "Rotate 90° &Right", lambda: self.rotate(1), "Ctrl+]",
             "Turn the photo a quarter turn clockwise"),
            ("flip_horizontal", "Flip &Horizontal", lambda: self.flip(True), None,
             "Mirror the photo left to right"),
            ("flip_vertical", "Flip &Vertical", lambda: self.flip(False), None,
             "Mirror the photo top to bottom"),
            None,
            ("resize", "Re&size...", self.resize, "Ctrl+Alt+I",
             "Change the photo's size in pixels or per cent"),
            ("extend", "&Extend Canvas...", self.extend, "Ctrl+Alt+C",
             "Add canvas around the photo, filled so it continues the photo"),
        )  # fmt: skip
        actions = {}
        for spec in specs:
            if spec is None:
                menu.addSeparator()
                continue
            key, text, slot, shortcut, tip = spec
            action = make_action(window, text, lambda _checked=False, s=slot: s(), shortcut, tip)
            action.setObjectName(f"image_{key}")
            menu.addAction(action)
            actions[key] = action
        return actions

    def _update_enabled(self) -> None:
        for action in self.actions.values():
            action.setEnabled(self.document.has_image())

    # -- questions to the person (tests replace these) ---------------------------------
    def ask_resize(self, width: int, height: int) -> ResizeChoice | None:
        return _choice_of(ResizeDialog(self.window, width, height))

    def ask_extend(self, width: int, height: int) -> ExtendChoice | None:
        return _choice_of(ExtendDialog(self.window, width, height))

    # -- crop and straighten (canvas tools) --------------------------------------------
    def start_crop(self) -> None:
        if self._start_tool(TOOL_CROP):
            self.crop_tool.start()
            self._set_crop_ratio(self.bar.ratio.currentData())
            self.bar.show_for_crop()

    def start_straighten(self) -> None:
        if self._start_tool(TOOL_STRAIGHTEN):
            self.straighten_tool.start()
            self.bar.show_for_straighten()

    def _start_tool(self, name: str) -> bool:
        if not self.document.has_image():
            return False
        if self.canvas.tool in _IMAGE_TOOLS:
            self.finish_tool()
        self._previous_tool = self.canvas.tool
        checked = self.tool_group.checkedAction()
        if checked is not None:
            checked.setChecked(False)  # no mask tool is current; choosing one ends this
        self.canvas.set_tool(name)
        if not self._bar_added:
            self.window.addToolBarBreak()
            self.window.addToolBar(self.bar)
            self._bar_added = True
        self.canvas.setFocus()
        return True

    def finish_tool(self) -> None:
        """Leaves crop or straighten for the tool used before (Apply, Cancel, Esc)."""
        if self.canvas.tool in _IMAGE_TOOLS:
            self.canvas.set_tool(self._previous_tool)

    def _tool_ended(self) -> None:
        self.bar.hide()
        # A new photo ends the tool without choosing another; go back to the one before
        # once the canvas has finished switching (it may be choosing one right now).
        QTimer.singleShot(0, self, self.finish_tool)  # dropped if the window goes first

    def _apply_current(self) -> None:
        if self.canvas.tool == TOOL_CROP:
            self.apply_crop()
        elif self.canvas.tool == TOOL_STRAIGHTEN:
            self.apply_straighten()

    def _set_crop_ratio(self, ratio: object) -> None:
        if ratio == ORIGINAL:
            width, height = self.document.size()
            ratio = width / height if height else None
        self.crop_tool.set_ratio(ratio)  # type: ignore[arg-type]

    def _crop_changed(self) -> None:
        box = self.crop_tool.pixel_box()
        self.bar.set_can_apply(box is not None)
        text = f"Keeps {box[2] - box[0]} × {box[3] - box[1]} px" if box else ""
        self.bar.size_label.setText(text)

    def _angle_changed(self, degrees: float) -> None:
        self.bar.set_angle(degrees)
        self.bar.set_can_apply(degrees != 0)

    def apply_crop(self) -> None:
        box = self.crop_tool.pixel_box()
        self.finish_tool()
        if box is None or box == (0, 0, *self.document.size()):
            return
        image, mask = (
            geometry.crop(self.document.image, box),
            geometry.crop(self.document.mask, box),
        )
        width, height = box[2] - box[0], box[3] - box[1]
        apply_geometry(self.document, f"Crop to {width} × {height}", image, mask,
                       {"operation": "crop", "box": list(box)})  # fmt: skip

    def apply_straighten(self) -> None:
        angle = self.straighten_tool.angle
        self.finish_tool()
        if angle == 0 or not self.document.has_image():
            return
        with _WaitCursor():
            image, mask = geometry.straighten(self.document.image, self.document.mask, angle)
        apply_geometry(self.document, f"Straighten {angle:+.2f}°", image, mask,
                       {"operation": "straighten", "degrees": angle})  # fmt: skip

    # -- one-click edits -----------------------------------------------------------------
    def rotate(self, turns_clockwise: int) -> None:
        if not self.document.has_image():
            return
        self.finish_tool()
        with _WaitCursor():
            image = geometry.rotate_quarter(self.document.image, turns_clockwise)
            mask = geometry.rotate_quarter(self.document.mask, turns_clockwise)
        title = "Rotate 90° right" if turns_clockwise > 0 else "Rotate 90° left"
        apply_geometry(self.document, title, image, mask,
                       {"operation": "rotate", "quarter_turns": turns_clockwise})  # fmt: skip

    def flip(self, horizontal: bool) -> None:
        if not self.document.has_image():
            return
        self.finish_tool()
        image = geometry.flip(self.document.image, horizontal)
        mask = geometry.flip(self.document.mask, horizontal)
        title = "Flip horizontal" if horizontal else "Flip vertical"
        apply_geometry(self.document, title, image, mask,
                       {"operation": "flip", "horizontal": horizontal})  # fmt: skip

    def resize(self) -> None:
        if not self.document.has_image():
            return
        self.finish_tool()
        width, height = self.document.size()
        choice = self.ask_resize(width, height)
        if choice is None or (choice.width, choice.height) == (width, height):
            return
        if not self._size_allowed(choice.width, choice.height):
            return
        with _WaitCursor():
            image = geometry.resize(self.document.image, choice.width, choice.height,
                                    choice.resampling)  # fmt: skip
            mask = geometry.resize_mask(self.document.mask, choice.width, choice.height)
        name = geometry.RESAMPLING_NAMES[choice.resampling]
        apply_geometry(
            self.document, f"Resize to {choice.width} × {choice.height} ({name})", image, mask,
            {"operation": "resize", "width": choice.width, "height": choice.height,
             "resampling": choice.resampling},
        )  # fmt: skip

    def _size_allowed(self, width: int, height: int) -> bool:
        if max(width, height) <= MAX_SIDE and width * height <= MAX_PIXELS:
            return True
        self.window.show_error(
            "Too large",
            f"{width} × {height} pixels is more than SD Studio works with (at most "
            f"{MAX_SIDE} pixels on a side and {MAX_PIXELS // 1_000_000} megapixels).",
        )
        return False

    # -- extend canvas (a job) -----------------------------------------------------------
    def extend(self) -> None:
        if not self.document.has_image():
            return
        self.finish_tool()
        width, height = self.document.size()
        choice = self.ask_extend(width, height)
        if choice is None or not any((choice.left, choice.top, choice.right, choice.bottom)):
            return
        new_width = width + choice.left + choice.right
        new_height = height + choice.top + choice.bottom
        if not self._size_allowed(new_width, new_height):
            return
        document = self.document

        def make_job() -> Job:
            assert document.image is not None
            return ExtendJob(image=document.image.copy(), left=choice.left, top=choice.top,
                             right=choice.right, bottom=choice.bottom)  # fmt: skip

        self.window.job_controller.run(EXTEND_OWNER, make_job, describe=describe_extend)


def describe_extend(job: Job, params: Mapping[str, Any]) -> str:
    """ "Extend canvas to 1920 × 1080" plus the sides that grew, for History."""
    assert isinstance(job, ExtendJob)
    height, width = job.image.shape[:2]
    sides = [f"{name} {value}" for name, value in
             (("left", job.left), ("top", job.top), ("right", job.right),
              ("bottom", job.bottom)) if value]  # fmt: skip
    new_size = f"{width + job.left + job.right} × {height + job.top + job.bottom}"
    return f"Extend canvas to {new_size} ({', '.join(sides)} px)"


def _choice_of(dialog: ResizeDialog | ExtendDialog) -> Any:
    """What the person chose in the modal ``dialog``, or None when they cancelled it."""
    try:
        return dialog.choice() if dialog.exec() == QDialog.DialogCode.Accepted else None
    finally:
        dialog.deleteLater()
