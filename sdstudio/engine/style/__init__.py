"""Style presets: one click turns a photo into a painting, drawing or print.

Importing this package stays light (no torch): a UI can list the presets at once with
:func:`style_names_and_descriptions`; :func:`run_style` loads the torch code on first use.
"""

from __future__ import annotations

from collections.abc import Generator

from sdstudio.engine.style.presets_info import (
    STYLE_PRESETS,
    StylePreset,
    check_preset,
    style_names_and_descriptions,
)
from sdstudio.jobs import JobResult, Progress, StyleJob

__all__ = [
    "STYLE_PRESETS",
    "StylePreset",
    "check_preset",
    "run_style",
    "style_names_and_descriptions",
]


def run_style(job: StyleJob) -> Generator[Progress, None, JobResult]:
    """Apply ``job.preset`` to ``job.image``; yields Progress per tile, returns a JobResult."""
    from sdstudio.engine.style.run import run_style as run

    return (yield from run(job))
