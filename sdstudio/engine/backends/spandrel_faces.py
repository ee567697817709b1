"""Face restoration (GFPGAN, RestoreFormer, ...): find faces, restore each, blend back.

Face models expect a face filling the middle of a 512 x 512 crop. Faces are found with
OpenCV's Haar cascade where the installed OpenCV ships it (``cv2.CascadeClassifier`` and
``cv2.data.haarcascades``, OpenCV 4). OpenCV 5 moved the cascades out of the main package
and its own detector (YuNet) needs a separate model file, so there the whole picture is
treated as one face crop and the person is told to crop to the face for best results.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from sdstudio.jobs import Progress

from .spandrel_files import call_model

Box = tuple[int, int, int, int]  # x0, y0, x1, y1
FACE_CROP = 512
# A detected face box is grown by this share on every side: face models were trained
# on crops where the face fills about the middle half.
FACE_MARGIN = 0.6
NO_DETECTOR_NOTE = (
    "This OpenCV has no face detector, so the whole picture was restored as one face. "
    "For a group photo, crop to one face first."
)
NO_FACE_NOTE = "No face was found, so the picture is unchanged."


def _cascade() -> Any | None:
    classifier = getattr(cv2, "CascadeClassifier", None)
    data = getattr(getattr(cv2, "data", None), "haarcascades", None)
    if classifier is None or not data:
        return None
    path = Path(data) / "haarcascade_frontalface_default.xml"
    if not path.is_file():
        return None
    cascade = classifier(str(path))
    return None if cascade.empty() else cascade


def face_detector_available() -> bool:
    return _cascade() is not None


def find_faces(rgb: np.ndarray) -> list[Box] | None:
    """Face boxes, largest first; None when no detector is available."""
    cascade = _cascade()
    if cascade is None:
        return None
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    minimum = max(24, min(gray.shape) // 20)
    found = cascade.detectMultiScale(gray, 1.1, 5, minSize=(minimum, minimum))
    boxes = [(int(x), int(y), int(x + w), int(y + h)) for x, y, w, h in found]
    return sorted(boxes, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]), reverse=True)


def face_crop_box(face: Box, height: int, width: int) -> Box:
    """A square around ``face`` with margin, shifted (not shrunk) to stay in the image."""
    x0, y0, x1, y1 = face
    side = int(max(x1 - x0, y1 - y0) * (1 + 2 * FACE_MARGIN))
    side = min(side, height, width)
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    left = min(max(0, cx - side // 2), width - side)
    top = min(max(0, cy - side // 2), height - side)
    return left, top, left + side, top + side


def _blend_weight(side_y: int, side_x: int) -> np.ndarray:
    """An ellipse that is 1 in the middle and fades to 0 at the crop's edge."""
    ys = (np.arange(side_y, dtype=np.float32) + 0.5) / side_y * 2 - 1
    xs = (np.arange(side_x, dtype=np.float32) + 0.5) / side_x * 2 - 1
    radius = np.sqrt(ys[:, None] ** 2 + xs[None, :] ** 2)
    return np.clip((1.0 - radius) / 0.25, 0.0, 1.0)[..., None]


def _restore_crop(descriptor: Any, crop: np.ndarray, device: torch.device) -> np.ndarray:
    height, width = crop.shape[:2]
    resized = cv2.resize(crop, (FACE_CROP, FACE_CROP), interpolation=cv2.INTER_CUBIC)
    tensor = torch.from_numpy(resized).to(device).permute(2, 0, 1)[None].float() / 255.0
    tensor = tensor.to(descriptor.dtype)
    with torch.inference_mode():
        output = call_model(descriptor, tensor)
    restored = (output[0].float().clamp(0, 1).permute(1, 2, 0).cpu().numpy() * 255).round()
    restored = restored.astype(np.uint8)
    interpolation = cv2.INTER_AREA if height < FACE_CROP else cv2.INTER_CUBIC
    return cv2.resize(restored, (width, height), interpolation=interpolation)


def restore_faces(
    descriptor: Any, rgb: np.ndarray, device: torch.device
) -> Generator[Progress, None, tuple[np.ndarray, list[str], torch.device]]:
    """Each face restored by ``descriptor`` (a spandrel FaceSR model) and blended back."""
    descriptor.to(device)
    if device.type == "cuda" and descriptor.supports_half:
        descriptor.half()
    else:
        descriptor.float()
    height, width = rgb.shape[:2]
    faces = find_faces(rgb)
    notes: list[str] = []
    if faces is None:
        notes.append(NO_DETECTOR_NOTE)
        boxes: list[Box] = [(0, 0, width, height)]
        whole = True
    else:
        boxes = [face_crop_box(face, height, width) for face in faces]
        whole = False
        if not boxes:
            yield Progress(1.0, "No face found")
            return rgb.copy(), [NO_FACE_NOTE], device
    output = rgb.astype(np.float32)
    for index, (x0, y0, x1, y1) in enumerate(boxes):
        restored = _restore_crop(descriptor, rgb[y0:y1, x0:x1], device).astype(np.float32)
        if whole:
            output = restored
        else:
            weight = _blend_weight(y1 - y0, x1 - x0)
            region = output[y0:y1, x0:x1]
            output[y0:y1, x0:x1] = region * (1 - weight) + restored * weight
        yield Progress((index + 1) / len(boxes), f"Restoring face {index + 1} of {len(boxes)}")
    if not whole:
        notes.append(f"Restored {len(boxes)} face(s).")
    return np.clip(output.round(), 0, 255).astype(np.uint8), notes, device
