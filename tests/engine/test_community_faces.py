"""Face restoration: faces are cropped, restored at 512 px and blended back in place.

Real face models (GFPGAN, 330 MB at random init) are too big for a unit test, so the
restorer here is spandrel's Compact network declared as a "FaceSR" model with GFPGAN's
size requirement: the same descriptor type spandrel returns for GFPGAN files.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sdstudio.engine.backends import spandrel_faces as faces


@pytest.fixture
def face_model():
    from spandrel import ImageModelDescriptor, SizeRequirements
    from spandrel.architectures.Compact import Compact, CompactArch

    torch.manual_seed(0)
    network = Compact(num_in_ch=3, num_out_ch=3, num_feat=4, num_conv=1, upscale=1)
    return ImageModelDescriptor(
        network, network.state_dict(), architecture=CompactArch(), purpose="FaceSR", tags=[],
        supports_half=False, supports_bfloat16=True, scale=1, input_channels=3,
        output_channels=3, size_requirements=SizeRequirements(minimum=512),
    )  # fmt: skip


def _photo() -> np.ndarray:
    ys, xs = np.mgrid[0:120, 0:160]
    return np.stack([xs, ys, (xs + ys) // 2], axis=-1).astype(np.uint8)


def _drain(work):
    while True:
        try:
            next(work)
        except StopIteration as stop:
            return stop.value


def test_face_crop_is_square_with_margin_and_inside_the_image():
    box = faces.face_crop_box((140, 10, 160, 30), height=120, width=160)
    x0, y0, x1, y1 = box
    assert x1 - x0 == y1 - y0 == int(20 * (1 + 2 * faces.FACE_MARGIN))
    assert 0 <= x0 and x1 <= 160 and 0 <= y0 and y1 <= 120


def test_only_the_found_faces_change(face_model, monkeypatch):
    monkeypatch.setattr(faces, "find_faces", lambda rgb: [(20, 20, 50, 50)])
    image = _photo()
    restored, notes, _device = _drain(faces.restore_faces(face_model, image, torch.device("cpu")))
    x0, y0, x1, y1 = faces.face_crop_box((20, 20, 50, 50), 120, 160)
    outside = np.ones(image.shape[:2], bool)
    outside[y0:y1, x0:x1] = False
    assert np.array_equal(restored[outside], image[outside])
    assert not np.array_equal(restored[30:40, 30:40], image[30:40, 30:40])
    assert notes == ["Restored 1 face(s)."]


def test_no_face_found_leaves_the_picture_alone(face_model, monkeypatch):
    monkeypatch.setattr(faces, "find_faces", lambda rgb: [])
    image = _photo()
    restored, notes, _ = _drain(faces.restore_faces(face_model, image, torch.device("cpu")))
    assert np.array_equal(restored, image) and notes == [faces.NO_FACE_NOTE]


def test_without_a_detector_the_whole_picture_is_one_face(face_model, monkeypatch):
    monkeypatch.setattr(faces, "find_faces", lambda rgb: None)
    image = _photo()
    restored, notes, _ = _drain(faces.restore_faces(face_model, image, torch.device("cpu")))
    assert restored.shape == image.shape and not np.array_equal(restored, image)
    assert notes == [faces.NO_DETECTOR_NOTE]


def test_opencv_without_cascades_reports_no_detector():
    import cv2

    if hasattr(cv2, "CascadeClassifier"):
        pytest.skip("this OpenCV still ships the Haar cascade")
    assert not faces.face_detector_available()
    assert faces.find_faces(_photo()) is None
