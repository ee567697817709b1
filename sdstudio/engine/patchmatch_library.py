"""Whether the optional PatchMatch library (``pypatchmatch``) works on this machine.

Both the classical fill (``sdstudio.engine.classical``) and the listing of classical
methods (``sdstudio.engine.backends.classical``) ask; the probe imports neither cv2 nor
torch, so listing the methods stays cheap.
"""

from __future__ import annotations

import importlib.util


def patchmatch_available() -> bool:
    """True when pypatchmatch is installed and its compiled library loads."""
    if importlib.util.find_spec("patchmatch") is None:
        return False
    try:
        from patchmatch import patch_match
    except (ImportError, OSError):
        return False
    return bool(patch_match.patchmatch_available)
