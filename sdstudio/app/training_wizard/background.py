"""Work the wizard does off the UI thread: scanning a folder, finding the devices.

Each runs on a short-lived Python thread and reports through Qt signals, which Qt
delivers on the UI thread (queued, since they are emitted from another thread).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

THUMBNAIL_COUNT = 12
THUMBNAIL_SIDE = 72


class FolderScan(QObject):
    """Scans one folder; ``finished(token, report, thumbnails)`` or ``failed(token, message)``."""

    progress = Signal(int, int, int)  # token, done, total
    finished = Signal(int, object, object)  # token, FolderReport, list[np.ndarray]
    failed = Signal(int, str)

    def start(self, token: int, folder: str, crop: int) -> None:
        threading.Thread(
            target=self._run, args=(token, folder, crop), name="training-folder-scan", daemon=True
        ).start()

    def _run(self, token: int, folder: str, crop: int) -> None:
        from sdstudio.errors import UserFacingError
        from sdstudio.training.datasets import scan_folder

        try:
            report = scan_folder(
                folder, crop, progress=lambda i, n: self.progress.emit(token, i, n)
            )
            thumbnails = [_thumbnail(path) for path in report.images[:THUMBNAIL_COUNT]]
        except UserFacingError as error:
            self.failed.emit(token, str(error))
            return
        except Exception as error:  # a scan must never take the wizard down
            self.failed.emit(token, f"The folder could not be scanned: {error}")
            return
        self.finished.emit(token, report, [t for t in thumbnails if t is not None])


def _thumbnail(path: Path) -> np.ndarray | None:
    from PIL import Image, ImageOps

    try:
        with Image.open(path) as image:
            image.draft("RGB", (THUMBNAIL_SIDE * 2, THUMBNAIL_SIDE * 2))
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
            return np.ascontiguousarray(np.asarray(image))
    except Exception:  # the scan already decoded it; a thumbnail is only decoration
        return None


class DeviceProbe(QObject):
    """Finds the devices PyTorch can use (importing torch here, not on the UI thread)."""

    found = Signal(object)  # list of (device choice, label)

    def start(self) -> None:
        threading.Thread(target=self._run, name="training-device-probe", daemon=True).start()

    def _run(self) -> None:
        devices = [("cpu", "CPU")]
        try:
            import torch

            if torch.cuda.is_available():
                devices.insert(0, ("cuda", f"GPU: {torch.cuda.get_device_name(0)}"))
            mps = getattr(torch.backends, "mps", None)
            if mps is not None and mps.is_available():
                devices.insert(0, ("mps", "Apple GPU (Metal)"))
        except Exception:  # no usable torch build: the CPU entry still explains itself
            pass
        self.found.emit(devices)
