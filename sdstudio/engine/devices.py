"""Which device runs the networks: CUDA, then Apple MPS, then the CPU, or the user's choice."""

from __future__ import annotations

import torch
from torch import nn

from sdstudio.errors import UnknownNameError, UserFacingError

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def cuda_available() -> bool:
    return torch.cuda.is_available()


def mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def resolve_device(choice: str = "auto") -> torch.device:
    """The ``torch.device`` for a user choice ("auto" | "cpu" | "cuda" | "mps").

    An explicit choice that this computer cannot honour is an error rather than a silent
    fallback, so a person who asked for the GPU learns that it is not being used.
    """
    choice = (choice or "auto").lower()
    if choice not in DEVICE_CHOICES:
        raise UnknownNameError(
            f"Unknown device {choice!r}: choose one of {', '.join(DEVICE_CHOICES)}."
        )
    if choice == "auto":
        if cuda_available():
            return torch.device("cuda")
        if mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if choice == "cuda" and not cuda_available():
        raise UserFacingError(
            "No CUDA GPU is available (no NVIDIA GPU, or PyTorch was installed without CUDA). "
            "Choose the device 'auto' or 'cpu'."
        )
    if choice == "mps" and not mps_available():
        raise UserFacingError(
            "Apple Metal (MPS) is not available on this computer. Choose 'auto' or 'cpu'."
        )
    return torch.device(choice)


def inference_dtype(device: torch.device, network: nn.Module) -> torch.dtype:
    """fp16 on CUDA for networks that declare ``supports_half``; fp32 everywhere else.

    MPS and CPU half precision are slower or less accurate than fp32 for these small
    convolutional networks, so they stay in fp32.
    """
    if device.type == "cuda" and getattr(network, "supports_half", False):
        return torch.float16
    return torch.float32


def describe_device(device: torch.device) -> str:
    """A short name for notes and logs, e.g. "CPU" or "CUDA (NVIDIA H100)"."""
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"CUDA ({torch.cuda.get_device_name(index)})"
    if device.type == "mps":
        return "Apple GPU (MPS)"
    return "CPU"
