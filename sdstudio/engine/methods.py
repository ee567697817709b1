"""What a method is: the values the catalog lists, jobs name and the backends run.

A *method* is one way to do a task: a classical algorithm, one of SD Studio's trained
networks, a community (spandrel) file or a Stable Diffusion checkpoint. Its ``kind``
names the backend that runs it (``sdstudio.engine.backends``). This module holds only
plain values, so anything may import it without loading torch or the models folders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, StrEnum
from pathlib import Path

from sdstudio.tasks import Task

# Ids of files that are not SD Studio's own start with their backend's prefix, so a
# community file never takes the id of one of our models.
COMMUNITY_PREFIX = "community:"
DIFFUSION_PREFIX = "sd:"


class MethodKind(StrEnum):
    """Which backend runs a method; a StrEnum, so it still equals the strings that project
    files and job parameters (``method_kind``) have always stored."""

    CLASSICAL = "classical"
    BUILTIN = "builtin"  # SD Studio's own .safetensors networks
    COMMUNITY = "community"  # restoration files spandrel reads
    DIFFUSION = "diffusion"  # Stable Diffusion checkpoints (optional extra)


@dataclass(frozen=True)
class MethodInfo:
    id: str  # what jobs name (RepairJob.method, EnhanceJob.model) and the CLI accepts
    task: str
    display_name: str
    description: str
    kind: MethodKind | str
    path: Path | None = None  # the model file; None for classical methods
    scale: int | None = None  # enhance: output scale; None = any scale (classical)
    style: str | None = None  # style models: the preset id they back
    size_bytes: int | None = None
    source: str = "built in"  # "built in", "bundled models", "your models", ...
    version: str = ""
    architecture: str | None = None
    # A second choice beside the task's default model (e.g. "detail": the adversarial
    # enhance), from the file's "variant" metadata; "auto" never picks one over a default.
    variant: str = ""
    # Style models that learnt a preset before its finish: the finish the engine adds
    # after the network (``engine.style.effects.FINISHES``), from the "finish" metadata.
    finish: str = ""
    # Whether "auto" may pick it: shipped, or its training validation beat classical and
    # its base (``model_checks.chosen_automatically``). Others are chosen by name only.
    automatic: bool = False

    def __post_init__(self) -> None:
        # Plug-ins may still spell the kind as a string; the backends look it up as a member.
        object.__setattr__(self, "kind", MethodKind(self.kind))


@dataclass(frozen=True)
class ModelProblem:
    path: Path
    message: str  # for the person: what is wrong and what to do


@dataclass
class Catalog:
    methods: list[MethodInfo] = field(default_factory=list)
    problems: list[ModelProblem] = field(default_factory=list)

    def for_task(self, task: Task | str) -> list[MethodInfo]:
        return [method for method in self.methods if method.task == task]


class Resolution(Enum):
    """A task's method not resolved yet: the task code finds it from the job. The runner
    resolves once and passes the method (or None, where a task may run without one)."""

    FROM_JOB = "from the job"


FROM_JOB = Resolution.FROM_JOB


def source_name(shipped: bool) -> str:
    """Where a model file lives, as the panels name it."""
    return "bundled models" if shipped else "your models"
