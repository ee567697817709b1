"""Data-parallel training across processes started by ``torchrun``.

``torchrun --nproc_per_node=N -m sdstudio train ...`` sets ``WORLD_SIZE``, ``RANK`` and
``LOCAL_RANK``; each process then trains on its own random crops and the gradients are
averaged across processes after every backward pass (NCCL on GPUs, gloo on CPUs).

Gradients are averaged with an explicit all-reduce rather than by wrapping the networks
in ``DistributedDataParallel``: the R1 penalty differentiates the discriminator twice and
the style loss runs the generator twice per step, both of which DDP's bucketed hooks do
not support; the result (identical averaged gradients on every rank, identical weights
from the same start) is the same. Only rank 0 writes checkpoints, samples and the model.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch
    from torch import nn


@dataclass(frozen=True)
class DistributedContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def launched_by_torchrun() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def init_distributed(device: torch.device) -> DistributedContext:
    """Joins the process group when started by torchrun; a no-op context otherwise."""
    if not launched_by_torchrun():
        return DistributedContext()
    import torch.distributed as dist

    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend=backend)
    return DistributedContext(
        rank=dist.get_rank(),
        world_size=dist.get_world_size(),
        local_rank=int(os.environ.get("LOCAL_RANK", "0")),
    )


def device_for_rank(requested: torch.device) -> torch.device:
    """Each torchrun process on a multi-GPU machine uses its own GPU."""
    import torch

    if requested.type == "cuda" and launched_by_torchrun():
        index = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(index)
        return torch.device("cuda", index)
    return requested


def broadcast_parameters(context: DistributedContext, *modules: nn.Module) -> None:
    """Start every rank from rank 0's weights (and buffers, e.g. spectral-norm vectors)."""
    if not context.enabled:
        return
    import torch.distributed as dist

    for module in modules:
        for tensor in list(module.parameters()) + list(module.buffers()):
            dist.broadcast(tensor.data, src=0)


def average_gradients(context: DistributedContext, *modules: nn.Module) -> None:
    """All-reduce and average gradients in one flat buffer per call."""
    if not context.enabled:
        return
    import torch
    import torch.distributed as dist

    grads = [p.grad for m in modules for p in m.parameters() if p.grad is not None]
    if not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat /= context.world_size
    offset = 0
    for grad in grads:
        count = grad.numel()
        grad.copy_(flat[offset : offset + count].view_as(grad))
        offset += count


def any_rank(context: DistributedContext, flag: bool, device: torch.device) -> bool:
    """True when ``flag`` is true on any rank (so every rank rolls back together)."""
    if not context.enabled:
        return flag
    import torch
    import torch.distributed as dist

    value = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item() > 0)


def check_in_sync(context: DistributedContext, module: nn.Module, device: torch.device) -> None:
    """Every rank must hold the same weights; a difference means gradients were not shared."""
    if not context.enabled:
        return
    import torch
    import torch.distributed as dist

    total = torch.stack([p.detach().double().sum() for p in module.parameters()]).sum()
    local = total.reshape(1).to(device)
    smallest, largest = local.clone(), local.clone()
    dist.all_reduce(smallest, op=dist.ReduceOp.MIN)
    dist.all_reduce(largest, op=dist.ReduceOp.MAX)
    if not torch.allclose(smallest, largest, rtol=1e-9, atol=1e-9):
        raise RuntimeError("Training processes hold different weights; gradients were not shared.")


def barrier(context: DistributedContext) -> None:
    if context.enabled:
        import torch.distributed as dist

        dist.barrier()


def shutdown(context: DistributedContext) -> None:
    if context.enabled:
        import torch.distributed as dist

        if dist.is_initialized():
            dist.destroy_process_group()
