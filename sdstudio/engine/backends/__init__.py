"""The backends that run methods: classical, SD Studio's networks, spandrel files, diffusion.

Each backend module builds one :class:`Backend`: the entries it finds in the models
folders and, per task, what runs one of its methods (a repair filler, an upscaler, a
styler). The task code asks ``backend_for(method)`` instead of switching on the method's
kind, and a backend without a task simply leaves it out (the job then says that the
method cannot do it). Importing this package is light (no torch, cv2, spandrel or
diffusers); a backend imports those when one of its methods runs. Backends never import
the catalog or the task modules: what they need from a task is passed in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sdstudio.engine.methods import MethodInfo, MethodKind
from sdstudio.errors import UserFacingError
from sdstudio.jobs import RepairJob

from . import builtin, classical, diffusion, spandrel
from .backend import Backend, Styler, Upscaler

if TYPE_CHECKING:
    from sdstudio.engine.region_fill import RegionFiller

BACKENDS: dict[MethodKind, Backend] = {
    backend.kind: backend
    for backend in (classical.BACKEND, builtin.BACKEND, spandrel.BACKEND, diffusion.BACKEND)
}
# The backends whose entries come from the models folders, in listing order (the
# classical methods need no folder: the catalog adds them to every listing), and those of
# them that describe a file from its header alone (``include_providers=False`` listings).
FOLDER_BACKENDS = (builtin.BACKEND, spandrel.BACKEND, diffusion.BACKEND)
HEADER_ONLY_BACKENDS = (builtin.BACKEND,)


def backend_for(method: MethodInfo) -> Backend:
    return BACKENDS[MethodKind(method.kind)]


def repair_filler_for(method: MethodInfo, job: RepairJob) -> RegionFiller:
    factory = backend_for(method).repair_filler
    if factory is None:
        raise UserFacingError(f"The method {method.display_name!r} cannot repair images.")
    return factory(method, job)


def upscaler_for(method: MethodInfo) -> Upscaler:
    upscaler = backend_for(method).upscaler
    if upscaler is None:
        raise UserFacingError(f"{method.display_name} cannot enhance images.")
    return upscaler


def styler_for(method: MethodInfo) -> Styler:
    styler = backend_for(method).styler
    if styler is None:
        raise UserFacingError(f"{method.display_name} cannot style images.")
    return styler
