"""Community restoration model files (LaMa, ESRGAN, Compact, SCUNet, GFPGAN...) via spandrel.

spandrel recognises the network from the weights alone. We open the file ourselves so that
pickles never run code: ``.pth``/``.ckpt``/``.pt`` go through
``torch.load(weights_only=True)`` (torch's restricted unpickler, which only rebuilds tensors
and plain containers), ``.safetensors`` through safetensors, and TorchScript ``.pt``
archives through ``torch.jit.load`` of which only the weights are kept.

Architectures from ``spandrel_extra_arches`` (MAT, CodeFormer, SRFormer, Restormer, ...)
carry non-commercial or copyleft-with-restrictions licences that do not fit SD Studio's
GPL licence, so they are never installed into spandrel's registry; when that package is
present it is only used to name such a file in the refusal message (docs/decisions.md).
"""

from __future__ import annotations

import pickle
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sdstudio.errors import ModelLoadError, UserFacingError

COMMUNITY_SUFFIXES = (".pth", ".pt", ".ckpt", ".safetensors")

# spandrel's purpose -> (our task, what the panels say it does)
PURPOSE_TASKS: dict[str, tuple[str, str]] = {
    "Inpainting": ("repair", "inpainting"),
    "SR": ("enhance", "upscaling"),
    "Restoration": ("enhance", "restoration (denoise / deblur)"),
    "FaceSR": ("enhance", "face restoration"),
}

# Licences of spandrel_extra_arches' networks, as its README and the upstream projects state.
EXTRA_ARCH_LICENCES: dict[str, str] = {
    "MAT": "CC BY-NC 4.0, non-commercial",
    "CodeFormer": "NTU S-Lab License 1.0, non-commercial",
    "SRFormer": "non-commercial",
    "DDColor": "non-commercial",
    "AdaCode": "CC BY-NC-SA 4.0, non-commercial",
    "FeMaSR": "CC BY-NC-SA 4.0, non-commercial",
    "M3SNet": "non-commercial, copyleft",
    "Restormer": "Academic Public License, non-commercial",
    "MPRNet": "Academic Public License, non-commercial",
    "MIRNet2": "Academic Public License, non-commercial",
}


@dataclass(frozen=True)
class SpandrelModelInfo:
    """What a community file is, as far as the panels need to know (cached on disk)."""

    architecture: str
    purpose: str  # spandrel's: "SR", "FaceSR", "Restoration", "Inpainting"
    task: str  # ours: "repair" or "enhance"
    scale: int
    input_channels: int
    supports_half: bool
    tags: tuple[str, ...] = ()

    @property
    def is_face_model(self) -> bool:
        return self.purpose == "FaceSR"

    def describe(self) -> str:
        what = PURPOSE_TASKS[self.purpose][1]
        scale = f" x{self.scale}" if self.scale > 1 else ""
        return f"{self.architecture}{scale} {what}"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["tags"] = list(self.tags)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SpandrelModelInfo:
        return cls(**{**data, "tags": tuple(data.get("tags", ()))})


def _refuse_code(path: Path, error: Exception) -> ModelLoadError:
    detail = str(error).split("\n")
    culprit = next((line.strip() for line in detail if "GLOBAL" in line), "")
    culprit = f" ({culprit})" if culprit else ""
    return ModelLoadError(
        f"{path.name} was refused: besides weights it asks to run Python code or build "
        f"Python objects when opened{culprit}. SD Studio never runs code from model files. "
        "Use a .safetensors version of this model, or a .pth file that holds only weights."
    )


def _damaged(path: Path, error: Exception) -> ModelLoadError:
    # The first sentence is the cause; libraries append paragraphs of generic advice.
    reason = str(error).strip().split("\n")[0].split(". ")[0][:200] or type(error).__name__
    return ModelLoadError(
        f"{path.name} could not be read: the file is damaged, incomplete (an interrupted "
        f"download?) or not a model file. Details: {reason}"
    )


def _weights_only_reason(error: Exception) -> Exception:
    """torch's own explanation starts with advice we must not give; keep the cause only."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    causes = [line for line in lines[1:] if not line.startswith(("Re-running", "Check the"))]
    return ValueError(causes[-1] if causes else "not a PyTorch weights file")


# How much of a file the pickle check below reads: the first pickle of a torch.save file
# is its magic number (a few bytes); a plain pickle may be larger, then the check trusts it.
_PICKLE_CHECK_BYTES = 1 << 20


def _starts_with_a_pickle(path: Path) -> bool:
    """Whether the file starts with a well-formed pickle (parsed, never run).

    torch's restricted loader says "Unsupported operand" both for a real pickle that uses
    more than tensors and containers and for random bytes; only the first is "refused".
    """
    import io
    import pickletools

    try:
        with open(path, "rb") as handle:
            data = handle.read(_PICKLE_CHECK_BYTES)
    except OSError:
        return False
    stream = io.BytesIO(data)
    try:
        for opcode, _argument, _position in pickletools.genops(stream):
            if opcode.name == "STOP":
                return True
    except Exception:  # noqa: BLE001 - whatever pickletools trips over is not a pickle
        pass
    # Running out of the bytes read is inconclusive only for a pickle longer than them.
    return len(data) == _PICKLE_CHECK_BYTES and stream.tell() >= len(data)


def _load_pickle_weights(path: Path) -> Any:
    import torch

    try:
        with open(path, "rb") as handle:
            start = handle.read(2)
    except OSError as error:
        raise _damaged(path, error) from None
    # torch.save writes a zip archive ("PK"); older files are a pickle (protocol byte 0x80).
    if not (start == b"PK" or start[:1] == b"\x80"):
        raise _damaged(path, ValueError("not a PyTorch weights file"))
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        if "GLOBAL" in str(error) or "global" in str(error):
            raise _refuse_code(path, error) from None
        if "Unsupported" not in str(error):
            raise _damaged(path, _weights_only_reason(error)) from None
        if not _starts_with_a_pickle(path):
            raise _damaged(path, ValueError("not a PyTorch weights file")) from None
        raise ModelLoadError(
            f"{path.name} was refused: its data uses pickle features beyond plain tensors "
            "and containers, which SD Studio does not accept from model files. Use a "
            ".safetensors version of this model."
        ) from None
    except RuntimeError as error:
        if "TorchScript" in str(error) and path.suffix.lower() == ".pt":
            return _load_torchscript_weights(path)
        raise _damaged(path, error) from None
    except (EOFError, KeyError, ValueError, OSError, zipfile.BadZipFile) as error:
        raise _damaged(path, error) from None
    except Exception as error:  # noqa: BLE001 - the unpickler trips over garbage in odd ways
        raise _damaged(path, error) from None


def _load_torchscript_weights(path: Path) -> dict[str, Any]:
    # TorchScript holds compiled graph code that never runs here: only the weights are kept.
    import torch

    try:
        return dict(torch.jit.load(str(path), map_location="cpu").state_dict())
    except Exception as error:  # noqa: BLE001 - any failure means an unusable archive
        raise _damaged(path, error) from None


def require_spandrel(path: Path) -> None:
    """Raises ModelLoadError when spandrel cannot be imported.

    spandrel imports torchvision for all its architectures, and the CPU-only build ships
    without torchvision (no CPU torchvision wheel fits its torch; docs/packaging.md).
    """
    try:
        import spandrel  # noqa: F401
    except ImportError as error:
        raise ModelLoadError(
            f"{Path(path).name}: community model files need spandrel and torchvision, which "
            f"this build of SD Studio does not include ({error}). Use the CUDA build or a "
            "source install with torchvision."
        ) from None


def load_state_dict(path: Path) -> dict[str, Any]:
    """The file's tensors, opened without ever running code from it."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in COMMUNITY_SUFFIXES:
        raise ModelLoadError(
            f"{path.name}: unsupported model file type '{suffix}'. "
            f"Use one of {', '.join(COMMUNITY_SUFFIXES)}."
        )
    if not path.is_file():
        raise ModelLoadError(f"Model file not found: {path}")
    if suffix == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            state = load_file(str(path), device="cpu")
        except (SafetensorError, OSError, ValueError) as error:
            raise _damaged(path, error) from None
    else:
        state = _load_pickle_weights(path)
    if not isinstance(state, dict) or not state:
        raise ModelLoadError(f"{path.name} holds no network weights SD Studio can use.")
    require_spandrel(path)
    from spandrel import canonicalize_state_dict

    return canonicalize_state_dict(state)


def _restricted_architecture_name(state_dict: dict[str, Any]) -> str | None:
    try:
        from spandrel_extra_arches import EXTRA_REGISTRY
    except ImportError:
        return None
    for support in EXTRA_REGISTRY:
        try:
            if support.architecture.detect(state_dict):
                return support.architecture.name
        except Exception:  # noqa: BLE001 - a detector that trips means "not this one"
            continue
    return None


def _unsupported(path: Path, state_dict: dict[str, Any]) -> ModelLoadError:
    restricted = _restricted_architecture_name(state_dict)
    if restricted:
        licence = EXTRA_ARCH_LICENCES.get(restricted, "restrictive")
        return ModelLoadError(
            f"{path.name} is a {restricted} model. {restricted}'s licence ({licence}) does "
            "not allow its use in SD Studio, so it is not loaded."
        )
    keys = [key for key in state_dict if isinstance(key, str)]
    if any(key.startswith("model.diffusion_model.") for key in keys):
        return ModelLoadError(
            f"{path.name} is a Stable Diffusion checkpoint, not a restoration model. "
            'Stable Diffusion needs the optional extra: pip install "sdstudio[diffusion]".'
        )
    from spandrel import MAIN_REGISTRY

    known = ", ".join(sorted({support.architecture.name for support in MAIN_REGISTRY}))
    sample = ", ".join(keys[:3])
    return ModelLoadError(
        f"{path.name}: unknown network architecture (first weights: {sample}). "
        f"SD Studio reads these architectures: {known}."
    )


def load_descriptor(path: Path, state_dict: dict[str, Any] | None = None) -> Any:
    """The spandrel ModelDescriptor (on the CPU, eval mode) for a community file."""
    require_spandrel(path)
    from spandrel import MAIN_REGISTRY, UnsupportedModelError

    path = Path(path)
    if state_dict is None:
        state_dict = load_state_dict(path)
    try:
        descriptor = MAIN_REGISTRY.load(state_dict)
    except UnsupportedModelError:
        raise _unsupported(path, state_dict) from None
    except (KeyError, RuntimeError, ValueError, AssertionError, IndexError) as error:
        # Detected, but the weights do not fit the architecture (a modified or broken file).
        raise ModelLoadError(
            f"{path.name} looks like a spandrel model but its weights do not fit the "
            f"detected architecture: {str(error).splitlines()[0][:200]}"
        ) from None
    if descriptor.purpose not in PURPOSE_TASKS:
        raise ModelLoadError(
            f"{path.name} is a {descriptor.architecture.name} model for "
            f"'{descriptor.purpose}', which SD Studio has no panel for."
        )
    return descriptor.eval()


def info_from_descriptor(descriptor: Any) -> SpandrelModelInfo:
    task = PURPOSE_TASKS[descriptor.purpose][0]
    return SpandrelModelInfo(
        architecture=descriptor.architecture.name,
        purpose=descriptor.purpose,
        task=task,
        scale=int(descriptor.scale),
        input_channels=int(descriptor.input_channels),
        supports_half=bool(descriptor.supports_half),
        tags=tuple(str(tag) for tag in descriptor.tags),
    )


def inspect_file(path: Path) -> SpandrelModelInfo:
    """Load the file once to learn what it is; raises ModelLoadError with a clear message.

    The loaded model stays in the model cache, so a job right after this (the usual case
    after adding a file) does not read it again.
    """
    return info_from_descriptor(loaded_descriptor(Path(path)))


def call_model(descriptor: Any, *inputs: Any) -> Any:
    """Run a spandrel model; a file whose weights do not fit its inputs is a clear error."""
    import torch

    try:
        return descriptor(*inputs)
    except torch.cuda.OutOfMemoryError:
        raise  # handled by the caller (smaller tiles, then the CPU)
    except (RuntimeError, ValueError) as error:
        first = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
        raise UserFacingError(
            f"The {descriptor.architecture.name} model failed on this image ({first}). "
            "The file may be a modified or unusual variant SD Studio cannot run."
        ) from None


def loaded_descriptor(path: Path) -> Any:
    """The file's spandrel descriptor (CPU, eval mode), kept in the shared model cache."""
    from sdstudio.engine.model_cache import model_cache

    path = Path(path)
    return model_cache.get(path, lambda: load_descriptor(path))
