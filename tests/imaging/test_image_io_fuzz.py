"""Damaged files: load_image returns a valid image or raises ImageLoadError, nothing else."""

from __future__ import annotations

import io
import signal
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from sdstudio.errors import ImageLoadError
from sdstudio.imaging.image_io import MAX_SIDE, load_image
from tests.imaging.files import cmyk_icc_profile, png_16bit_rgb


def _encode(image: Image.Image, file_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, file_format, **options)
    return buffer.getvalue()


def _seed_files() -> dict[str, bytes]:
    rng = np.random.default_rng(7)
    photo = Image.fromarray(rng.integers(0, 256, (24, 32, 3), dtype=np.uint8))
    exif = Image.Exif()
    exif[0x0112] = 6
    palette = photo.convert("P")
    cmyk = Image.new("CMYK", (16, 12), (10, 200, 30, 0))
    return {
        "png": _encode(photo, "PNG"),
        "png-rgba": _encode(photo.convert("RGBA"), "PNG"),
        "png-palette": _encode(palette, "PNG", transparency=3),
        "png-16bit": png_16bit_rgb([[(i * 4000, 65535 - i * 4000, 30000) for i in range(8)]] * 4),
        "jpeg": _encode(photo, "JPEG", quality=80, exif=exif),
        "jpeg-cmyk": _encode(cmyk, "JPEG", icc_profile=cmyk_icc_profile((50, -60, 40))),
        "webp": _encode(photo, "WEBP", quality=80),
        "tiff": _encode(photo, "TIFF"),
    }


SEEDS = _seed_files()


class Hang(Exception):
    pass


@contextmanager
def time_limit(seconds: int):
    """Fail instead of hanging (where the platform has SIGALRM)."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def alarm(signum, frame):
        raise Hang(f"load_image took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


damage = st.fixed_dictionaries(
    {
        "seed": st.sampled_from(sorted(SEEDS)),
        "keep": st.floats(min_value=0.0, max_value=1.0),
        "flips": st.lists(
            st.tuples(st.floats(min_value=0.0, max_value=1.0), st.integers(1, 255)),
            max_size=6,
        ),
    }
)


@pytest.fixture(scope="module")
def scratch():
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


# No example database: nothing is written into the checkout.
@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(case=damage)
def test_damaged_files_open_or_fail_clearly(scratch, case):
    data = bytearray(SEEDS[case["seed"]])
    for where, xor in case["flips"]:
        index = min(int(where * len(data)), len(data) - 1)
        data[index] ^= xor
    data = data[: max(0, round(case["keep"] * len(data)))] if case["keep"] < 0.98 else data
    path = scratch / f"damaged.{case['seed'].split('-')[0]}"
    path.write_bytes(bytes(data))
    try:
        with time_limit(20):
            loaded = load_image(path)
    except ImageLoadError as error:
        assert str(error)  # a message the person can read
        return
    pixels = loaded.pixels
    assert pixels.dtype == np.uint8
    assert pixels.ndim == 3 and pixels.shape[2] in (3, 4)
    assert 0 < pixels.shape[0] <= MAX_SIDE and 0 < pixels.shape[1] <= MAX_SIDE
