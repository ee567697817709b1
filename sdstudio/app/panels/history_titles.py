"""History titles that say what ran: "Repair (PatchMatch)", "Enhance x2 (…), sharpen 30 %".

A bare "Repair" in the History panel did not tell two tries apart. The titles are built
from the settings the job recorded (``job_params`` plus what the engine reports it
actually used), so an "auto" choice is named by the method that really ran.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sdstudio.jobs import EnhanceJob, Job, RepairJob, StyleJob

# Parenthesised qualifiers worth keeping in a short name; the rest ("OpenCV",
# "classical", "content-aware fill") only explain the method in the combo box.
_KEPT_QUALIFIERS = {"automatic": "auto", "detail": "detail"}
_QUALIFIED = re.compile(r"^(?P<name>.*\S)\s*\((?P<qualifier>[^()]*)\)$")
_PROMPT_CHARACTERS = 32


def short_method_name(display_name: str) -> str:
    """ "PatchMatch (content-aware fill)" → "PatchMatch"; "… x2 (detail)" → "… x2, detail"."""
    match = _QUALIFIED.match(display_name.strip())
    if match is None:
        return display_name.strip()
    kept = _KEPT_QUALIFIERS.get(match["qualifier"].strip().lower())
    return f"{match['name']}, {kept}" if kept else match["name"]


def percent(fraction: float) -> str:
    return f"{round(float(fraction) * 100)} %"


def history_title(job: Job, params: Mapping[str, Any], method_names: Mapping[str, str]) -> str:
    """The undo step's title for ``job``; ``method_names`` maps method ids to names."""
    if isinstance(job, RepairJob):
        return repair_title(job, params, method_names)
    if isinstance(job, EnhanceJob):
        return enhance_title(job, params, method_names)
    if isinstance(job, StyleJob):
        return style_title(job, params)
    return job.title


def _name(method_id: str | None, method_names: Mapping[str, str]) -> str:
    if not method_id:
        return ""
    return short_method_name(method_names.get(method_id, method_id))


def repair_title(job: RepairJob, params: Mapping[str, Any], method_names: Mapping[str, str]) -> str:
    ran = str(params.get("method") or job.method)  # the engine reports what "auto" chose
    details = [_name(ran, method_names)]
    if (job.method or "auto").lower() == "auto" and ran.lower() != "auto":
        details.append("auto")
    if params.get("method_kind") == "diffusion" or job.prompt:
        if job.prompt:
            prompt = job.prompt
            if len(prompt) > _PROMPT_CHARACTERS:  # cut at a word: History rows are narrow
                prompt = prompt[:_PROMPT_CHARACTERS].rsplit(" ", 1)[0].rstrip(" ,") + "…"
            details.append(f"“{prompt}”")
        if "steps" in job.options:
            details.append(f"{job.options['steps']} steps")
        details.append(f"seed {job.seed}")
    return f"Repair ({', '.join(details)})"


def enhance_title(
    job: EnhanceJob, params: Mapping[str, Any], method_names: Mapping[str, str]
) -> str:
    title = f"Enhance x{job.scale}" if job.scale > 1 else "Enhance"
    upscaler = params.get("upscaler") if "upscaler" in params else job.model
    if upscaler and str(upscaler).lower() != "auto":
        title += f" ({_name(str(upscaler), method_names)})"
    elif job.scale > 1:
        title += " (automatic)"
    adjustments = [
        f"{name} {percent(value)}"
        for name, value in (
            ("denoise", job.denoise),
            ("sharpen", job.sharpen),
            ("contrast", job.contrast),
        )
        if value > 0
    ]
    return ", ".join([title, *adjustments])


def style_title(job: StyleJob, params: Mapping[str, Any]) -> str:
    details = [job.title, percent(params.get("strength", job.strength))]
    if job.mask is not None:
        details.append("painted area")
    return ", ".join(details)
