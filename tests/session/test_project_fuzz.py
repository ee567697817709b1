"""Damaged project files: truncations and byte flips end in a clear error or a project."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sdstudio.session.project_file import (
    ProjectFileError,
    project_entries,
    read_project,
)
from tests.session.project_samples import sample_project_with_mask_steps

_VALID: bytes | None = None


def _valid_bytes() -> bytes:
    global _VALID
    if _VALID is None:
        import zipfile

        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, data in project_entries(sample_project_with_mask_steps()[0]).items():
                method = zipfile.ZIP_DEFLATED if name.endswith(".json") else zipfile.ZIP_STORED
                archive.writestr(name, data, compress_type=method)
        _VALID = buffer.getvalue()
    return _VALID


@st.composite
def damaged(draw) -> bytes:
    data = bytearray(_valid_bytes())
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data) - 1))]
    flips = draw(st.lists(st.tuples(st.integers(0, 10**9), st.integers(1, 255)), max_size=6))
    for position, xor in flips:
        if data:
            data[position % len(data)] ^= xor
    return bytes(data)


@settings(
    max_examples=50, deadline=5000, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(data=damaged())
def test_damaged_project_gives_a_clear_error_or_a_consistent_project(tmp_path_factory, data):
    path = Path(tmp_path_factory.mktemp("fuzz")) / "damaged.sdsproj"
    path.write_bytes(data)
    try:
        project = read_project(path)
    except ProjectFileError as exc:
        assert "damaged.sdsproj" in str(exc) or "cannot" in str(exc).lower()
        return
    states = [(image, mask) for _step, image, mask in project.replay()]
    final_image, final_mask = states[-1] if states else (project.base, project.base_mask)
    assert np.array_equal(final_image, project.current)
    assert np.array_equal(final_mask, project.mask)
    assert project.mask.shape == project.current.shape[:2]
