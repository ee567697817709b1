"""The canvas: shows the document's photo and mask, zooms, pans and paints the mask.

Scene coordinates are image pixels. The photo is drawn from a QPixmap built once per image
change (partial changes repaint only their rect into it); the mask overlay and the brush
outline are drawn on top per exposed rect, so panning and painting a 24 MP photo never
convert or copy the whole image.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPixmap, QTransform
from PySide6.QtWidgets import QFrame, QGraphicsScene, QGraphicsView, QWidget

from sdstudio.app.canvas_input import TOOL_BRUSH, TOOL_ERASER, ZOOM_STEP, CanvasInput
from sdstudio.app.canvas_tools import CanvasTool
from sdstudio.app.compare import SplitCompare
from sdstudio.app.document import Document
from sdstudio.app.mask_overlay import MaskOverlay, paint_brush_outline
from sdstudio.app.mask_tools import BrushSettings, MaskStroke
from sdstudio.app.qimage_views import checkerboard_pixmap, qimage_from_mask, qimage_from_rgb

MIN_ZOOM = 0.01
MAX_ZOOM = 32.0
# The brush's diameter on screen, with the photo fitted to the view, until the person
# picks one: large enough to see on any photo, small enough for a scratch.
DEFAULT_BRUSH_SIZE_AT_FIT = 40.0
BACKGROUND = QColor(38, 38, 40)

# The tool names live with the input code that uses them; the rest of the app imports
# them from here, with the canvas.
__all__ = ["Canvas", "TOOL_BRUSH", "TOOL_ERASER", "ZOOM_STEP"]


class Canvas(CanvasInput, QGraphicsView):
    zoom_changed = Signal(float)  # 1.0 = one image pixel per screen pixel
    brush_changed = Signal()
    tool_changed = Signal(str)
    compare_changed = Signal()

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.brush = BrushSettings()
        self.tool = TOOL_BRUSH
        self.overlay = MaskOverlay(self)
        self.split = SplitCompare(self)
        self.showing_original = False  # while the compare key is held
        self._pixmap = QPixmap()
        self._original_pixmap: QPixmap | None = None
        self._mask_image = QImage()
        self._stroke: MaskStroke | None = None
        self._tools: dict[str, CanvasTool] = {}  # by tool name; see register_tool
        self._pan_from: QPointF | None = None
        self._space_held = False
        self._cursor_pos: QPointF | None = None  # viewport coordinates
        # The photo shown (width, height), so a new one can scale the brush from it.
        self._shown_size: tuple[int, int] | None = None
        # The brush's on-screen size at fit for the next photo when none is shown yet.
        self._size_at_fit_for_next = DEFAULT_BRUSH_SIZE_AT_FIT

        self.setScene(QGraphicsScene(self))
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setBackgroundBrush(BACKGROUND)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setMouseTracking(True)
        self.viewport().setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        # Drops go to the main window, which knows how to open files.
        self.setAcceptDrops(False)
        self.viewport().setAcceptDrops(False)
        self._update_cursor()

        document.document_replaced.connect(self._on_document_replaced)
        document.image_changed.connect(self._on_image_changed)
        document.mask_changed.connect(self._on_mask_changed)
        self.overlay.changed.connect(self.viewport().update)
        self.split.changed.connect(self.viewport().update)

    # -- zoom ---------------------------------------------------------------------------
    def zoom(self) -> float:
        """Image pixels per physical screen pixel (high-DPI aware): 1.0 means 100 %."""
        return self.transform().m11() * self.devicePixelRatioF()

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        """Zooms keeping the image point under ``anchor`` (viewport coords) in place."""
        zoom = min(max(zoom, MIN_ZOOM), MAX_ZOOM)
        if anchor is None:
            anchor = QPointF(self.viewport().rect().center())
        image_point = self.map_to_image(anchor)
        scale = zoom / self.devicePixelRatioF()
        self.setTransform(QTransform.fromScale(scale, scale))
        moved = self.viewportTransform().map(image_point) - anchor
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + round(moved.x()))
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + round(moved.y()))
        self.viewport().update()
        self.zoom_changed.emit(self.zoom())

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom() * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom() / ZOOM_STEP)

    def zoom_actual_size(self) -> None:
        self.set_zoom(1.0)

    def fit_to_window(self) -> None:
        """Shows the whole photo as large as the view allows (Ctrl+0), small photos too."""
        self._fit(enlarge=True)

    def _fit(self, enlarge: bool) -> None:
        width, height = self.document.size()
        scale = self.fit_scale(width, height)
        if scale is None:
            return
        zoom = scale * self.devicePixelRatioF()
        self.set_zoom(zoom if enlarge else min(zoom, 1.0))
        self.centerOn(width / 2, height / 2)

    def fit_scale(self, width: int, height: int) -> float | None:
        """The view scale (screen pixels per photo pixel) that fits a width x height photo."""
        area = self.viewport().rect()
        if width <= 0 or height <= 0 or area.isEmpty():
            return None
        return min(area.width() / width, area.height() / height)

    def map_to_image(self, viewport_pos: QPointF) -> QPointF:
        inverse, _ = self.viewportTransform().inverted()
        return inverse.map(QPointF(viewport_pos))

    def map_from_image(self, image_pos: QPointF) -> QPointF:
        return self.viewportTransform().map(QPointF(image_pos))

    # -- document observers -------------------------------------------------------------
    def _on_document_replaced(self) -> None:
        width, height = self.document.size()
        self.setSceneRect(QRectF(0, 0, width, height))
        self._mask_image = qimage_from_mask(self.document.mask) if width else QImage()
        self._original_pixmap = None
        self._stroke = None
        for tool in self._tools.values():
            tool.cancel()  # a shape drawn on the old photo means nothing on the new one
        self._carry_brush_size_to(width, height)
        # A small photo opens at 100 %: its real pixels, not an enlarged blur; Ctrl+0
        # fills the view when the person asks for it.
        self._fit(enlarge=False)

    # -- brush size across photos -------------------------------------------------------
    def brush_size_at_fit(self) -> float:
        """The brush's diameter on screen (pixels) when the photo is fitted to the view."""
        scale = self.fit_scale(*self._shown_size) if self._shown_size else None
        if scale is None:
            return self._size_at_fit_for_next
        return self.brush.size * scale

    def brush_size_on_screen(self) -> float:
        """The brush's diameter on screen at the current zoom, as its outline shows it."""
        return self.brush.size * self.transform().m11()

    def set_brush_size_at_fit(self, size_on_screen: float) -> None:
        """Sizes the brush by its look at fit: now, or for the first photo that opens."""
        scale = self.fit_scale(*self._shown_size) if self._shown_size else None
        if scale is None:
            self._size_at_fit_for_next = max(float(size_on_screen), 1.0)
        else:
            self.set_brush(size=size_on_screen / scale)

    def _carry_brush_size_to(self, width: int, height: int) -> None:
        """The brush keeps its look from one photo to the next: as large a part of the view
        with the new photo fitted as it was of the old one (image pixels alone would make
        a 50 px brush a dot on 22 MP and a blob on a small photo). An upscale is a new
        size too: the brush then covers the same part of the picture as before."""
        size_at_fit = self.brush_size_at_fit()
        self._shown_size = (width, height) if width and height else None
        if self._shown_size is not None and self.fit_scale(width, height) is not None:
            self.set_brush_size_at_fit(size_at_fit)

    def _on_image_changed(self, rect: QRect) -> None:
        image = self.document.image
        if image is None:
            self._pixmap = QPixmap()
        elif rect.contains(self.document.full_rect()) or self._pixmap.isNull():
            self._pixmap = QPixmap.fromImage(qimage_from_rgb(image))
        else:
            # Only the changed rect is converted and copied into the pixmap.
            patch = image[rect.y() : rect.bottom() + 1, rect.x() : rect.right() + 1]
            painter = QPainter(self._pixmap)
            painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Source)
            painter.drawImage(rect.topLeft(), qimage_from_rgb(patch))
            painter.end()
        self._update_scene_rect(rect)

    def _on_mask_changed(self, rect: QRect) -> None:
        if not self._mask_image.isNull():
            self._update_scene_rect(rect)

    def _update_scene_rect(self, rect: QRect) -> None:
        on_screen = self.viewportTransform().mapRect(QRectF(rect)).toAlignedRect()
        self.viewport().update(on_screen.adjusted(-2, -2, 2, 2))

    def original_pixmap(self) -> QPixmap:
        """Built on first use: most sessions never compare, and it costs a full copy."""
        if self._original_pixmap is None:
            original = self.document.original
            self._original_pixmap = (
                QPixmap.fromImage(qimage_from_rgb(original)) if original is not None else QPixmap()
            )
        return self._original_pixmap

    # -- drawing ------------------------------------------------------------------------
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        painter.fillRect(rect, BACKGROUND)
        if self._pixmap.isNull():
            return
        image_rect = QRectF(self._pixmap.rect())
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.zoom() < 1.0)
        if self.document.image is not None and self.document.image.shape[2] == 4:
            painter.fillRect(rect & image_rect, QBrush(checkerboard_pixmap()))
        if self.showing_original:
            self._draw_original(painter, image_rect)
            return
        exposed = rect & image_rect
        painter.drawPixmap(exposed, self._pixmap, exposed)
        if self.split.enabled:
            divider = self.split.fraction * image_rect.width()
            left = QRectF(0, 0, divider, image_rect.height()) & exposed
            if not left.isEmpty():
                self._draw_original(painter, left)

    def _draw_original(self, painter: QPainter, target: QRectF) -> None:
        original = self.original_pixmap()
        if original.isNull():
            return
        # The original may differ in size (after an upscale): stretch it over the image.
        sx = original.width() / max(self._pixmap.width(), 1)
        sy = original.height() / max(self._pixmap.height(), 1)
        source = QRectF(target.x() * sx, target.y() * sy, target.width() * sx, target.height() * sy)
        painter.drawPixmap(target, original, source)

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        if self._pixmap.isNull():
            return
        if not self.showing_original:
            if self.split.enabled:
                painter.save()
                divider = self.split.fraction * self._pixmap.width()
                painter.setClipRect(QRectF(divider, 0, self._pixmap.width(), self._pixmap.height()))
                self.overlay.paint(painter, rect, self._mask_image)
                painter.restore()
            else:
                self.overlay.paint(painter, rect, self._mask_image)
        painter.save()
        painter.resetTransform()
        # Divider and labels span the photo on screen, not the empty margin around it.
        shown = self.viewportTransform().mapRect(QRectF(self._pixmap.rect())).toAlignedRect()
        shown = shown.intersected(self.viewport().rect())
        if self.split.enabled and not self.showing_original:
            self.split.paint(painter, self._divider_x(), shown)
        if self.showing_original:
            self.split.paint_label(painter, "Original", shown)
        tool = self.tool_object()
        if tool is not None:
            tool.paint(painter)
        self._paint_brush_outline(painter)
        painter.restore()

    def _paint_brush_outline(self, painter: QPainter) -> None:
        if self._cursor_pos is not None and self._brush_active() and self.tool_object() is None:
            radius = self.brush.size / 2 * self.transform().m11()
            paint_brush_outline(painter, self._cursor_pos, radius, self.brush.hardness)

    def _outline_rect(self, pos: QPointF | None) -> QRect:
        """The brush outline's area on screen; empty while another tool is current."""
        if pos is None or self.tool_object() is not None:
            return QRect()
        radius = self.brush.size / 2 * self.transform().m11() + 4
        return QRectF(pos.x() - radius, pos.y() - radius, 2 * radius, 2 * radius).toAlignedRect()

    def _divider_x(self) -> float:
        return self.map_from_image(QPointF(self.split.fraction * self._pixmap.width(), 0)).x()

    def scrollContentsBy(self, dx: int, dy: int) -> None:  # noqa: N802
        super().scrollContentsBy(dx, dy)  # blits the photo; only the new strip is drawn
        if (
            self.split.enabled
            or self.showing_original
            or ((tool := self.tool_object()) is not None and tool.busy())
        ):
            # Divider and labels are fixed on screen; a tool's rubber band ends at the
            # cursor, which stays where it is while the photo moves.
            self.viewport().update()
        elif self._cursor_pos is not None:
            outline = self._outline_rect(self._cursor_pos)
            self.viewport().update(outline.translated(dx, dy))  # the blitted copy
            self.viewport().update(outline)

    # -- tools --------------------------------------------------------------------------
    def set_tool(self, tool: str) -> None:
        if tool != self.tool:
            self.viewport().update(self._outline_rect(self._cursor_pos))  # the old outline
            previous = self.tool_object()
            if previous is not None:
                previous.cancel()
            self.tool = tool
            self._update_cursor()
            self.tool_changed.emit(tool)

    def set_brush(self, size: float | None = None, hardness: float | None = None) -> None:
        old = self._outline_rect(self._cursor_pos)
        if size is not None:
            self.brush.size = size
        if hardness is not None:
            self.brush.hardness = hardness
        self.brush.clamp()
        self.viewport().update(old.united(self._outline_rect(self._cursor_pos)))
        self.brush_changed.emit()

    def adjust_brush(self, change: str) -> None:
        """``grow``, ``shrink``, ``harder`` or ``softer``: one step of [ ] { }."""
        probe = replace(self.brush)
        getattr(probe, change)()
        self.set_brush(size=probe.size, hardness=probe.hardness)

    def set_showing_original(self, showing: bool) -> None:
        if showing != self.showing_original:
            self.showing_original = showing
            self.viewport().update()
            self.compare_changed.emit()

    def _brush_active(self) -> bool:
        return self.document.has_image() and not self._space_held and not self.showing_original

    def _update_cursor(self) -> None:
        if self._pan_from is not None:
            shape = Qt.CursorShape.ClosedHandCursor
        elif self._space_held:
            shape = Qt.CursorShape.OpenHandCursor
        elif self._cursor_pos is not None and self.split.hit(self._cursor_pos, self._divider_x()):
            shape = Qt.CursorShape.SplitHCursor
        else:
            shape = Qt.CursorShape.CrossCursor
        self.viewport().setCursor(shape)
