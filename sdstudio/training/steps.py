"""One adversarial training step: discriminator update, then generator update.

The tasks differ only in what the generator sees, what the discriminator judges and
which reconstruction losses apply, which their objectives (``sdstudio.training.objectives``)
say; the update order, R1, clipping and mixed precision are shared.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch
from torch import nn

from sdstudio.training import losses
from sdstudio.training.distributed import DistributedContext, average_gradients
from sdstudio.training.objectives import TrainingObjective
from sdstudio.training.stability_guard import StepStats


@dataclass
class Networks:
    generator: nn.Module
    discriminator: nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    nce: losses.PatchNCE | None = None
    opt_nce: torch.optim.Optimizer | None = None


def autocast_for(device: torch.device, enabled: bool):
    """bf16 autocast on GPUs that support it; fp32 elsewhere (no loss scaler needed)."""
    if enabled and device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _per_image_std(images: torch.Tensor) -> float:
    return float(images.detach().float().flatten(1).std(dim=1).mean())


class GanStep:
    """One step of any task: what the task contributes comes from its ``objective``."""

    def __init__(
        self, objective: TrainingObjective, device: torch.device, context: DistributedContext
    ) -> None:
        self.objective, self.config = objective, objective.config
        self.device, self.context = device, context

    def run(self, nets: Networks, batch: dict[str, torch.Tensor], step: int) -> StepStats:
        c = self.config
        adversarial = c.adv_weight > 0 and step >= c.adv_start_step
        with autocast_for(self.device, c.amp):
            output = nets.generator(batch["input"])
        output = output.float()
        fake, real = self.objective.judged(batch, output)

        # Discriminator: non-saturating loss, lazy R1 on real data.
        d_terms: dict[str, torch.Tensor] = {}
        real_accuracy = fake_accuracy = None
        if adversarial:
            nets.discriminator.requires_grad_(True)
            apply_r1 = c.r1_weight > 0 and step % c.r1_every == 0
            real_in = real.detach().requires_grad_(apply_r1)
            with autocast_for(self.device, c.amp):
                real_logits, _ = nets.discriminator(real_in)
                fake_logits, _ = nets.discriminator(fake.detach())
            d_terms["d_adv"] = losses.d_loss_nonsaturating(real_logits.float(), fake_logits.float())
            if apply_r1:
                d_terms["r1"] = c.r1_weight * c.r1_every * losses.r1_penalty(real_logits, real_in)
            d_total = sum(d_terms.values())
            nets.opt_d.zero_grad(set_to_none=True)
            d_total.backward()
            average_gradients(self.context, nets.discriminator)
            nn.utils.clip_grad_norm_(nets.discriminator.parameters(), c.grad_clip)
            nets.opt_d.step()
            real_accuracy = float((real_logits.detach() > 0).float().mean())
            fake_accuracy = float((fake_logits.detach() < 0).float().mean())
            nets.discriminator.requires_grad_(False)

        # Generator: reconstruction + adversarial + feature matching.
        g_terms = self.objective.reconstruction(nets, batch, output)
        if adversarial:
            with autocast_for(self.device, c.amp):
                fake_logits, fake_features = nets.discriminator(fake)
                with torch.no_grad():
                    _, real_features = nets.discriminator(real)
            g_terms["g_adv"] = c.adv_weight * losses.g_loss_nonsaturating(fake_logits.float())
            if c.fm_weight > 0:
                g_terms["fm"] = c.fm_weight * self.objective.feature_matcher()(
                    [f.float() for f in fake_features], [f.float() for f in real_features]
                )
        g_total = sum(g_terms.values())
        nets.opt_g.zero_grad(set_to_none=True)
        if nets.opt_nce is not None:
            nets.opt_nce.zero_grad(set_to_none=True)
        g_total.backward()
        trained = [nets.generator] + ([nets.nce] if nets.nce is not None else [])
        average_gradients(self.context, *trained)
        nn.utils.clip_grad_norm_([p for m in trained for p in m.parameters()], c.grad_clip)
        nets.opt_g.step()
        if nets.opt_nce is not None:
            nets.opt_nce.step()

        values = {name: float(value.detach()) for name, value in g_terms.items()}
        values.update({name: float(value.detach()) for name, value in d_terms.items()})
        values["g_total"] = float(g_total.detach())
        if d_terms:
            values["d_total"] = float(sum(d_terms.values()).detach())
        reference = self.objective.reference(batch)
        return StepStats(
            losses=values,
            d_real_accuracy=real_accuracy,
            d_fake_accuracy=fake_accuracy,
            output_std=_per_image_std(output),
            target_std=_per_image_std(reference),
        )
