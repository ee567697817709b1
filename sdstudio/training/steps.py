"""One adversarial training step for each task: discriminator update, then generator update.

The three tasks differ only in what the generator sees, what the discriminator judges and
which reconstruction losses apply; the update order, R1, clipping and mixed precision are
shared.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch
from torch import nn

from sdstudio.training import losses
from sdstudio.training.config import TrainingConfig
from sdstudio.training.distributed import DistributedContext, average_gradients
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


class TaskStep:
    def __init__(
        self, config: TrainingConfig, device: torch.device, context: DistributedContext
    ) -> None:
        self.config, self.device, self.context = config, device, context

    # What the discriminator sees for generated and for real images of this batch.
    def judged(
        self, batch: dict[str, torch.Tensor], output: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        task = self.config.task
        if task == "repair":
            mask = batch["mask"]
            composite = output * mask + batch["target"] * (1 - mask)
            return torch.cat([composite, mask], 1), torch.cat([batch["target"], mask], 1)
        if task == "enhance" or "target" in batch:  # a style learnt from paired renders
            return output, batch["target"]
        return output, batch["style"]

    def reconstruction(self, nets: Networks, batch, output) -> dict[str, torch.Tensor]:
        c, task = self.config, self.config.task
        if task == "repair":
            return {
                "l1": c.l1_weight
                * losses.masked_l1(output, batch["target"], batch["mask"], c.mask_l1_weight)
            }
        if task == "enhance" or "target" in batch:
            return {"l1": c.l1_weight * (output - batch["target"]).abs().mean()}
        terms = {"structure": c.structure_weight * losses.structure_loss(output, batch["input"])}
        if nets.nce is not None and c.nce_weight > 0:
            terms["nce"] = c.nce_weight * nets.nce(nets.generator, batch["input"], output)
        return terms

    def run(self, nets: Networks, batch: dict[str, torch.Tensor], step: int) -> StepStats:
        c = self.config
        adversarial = c.adv_weight > 0 and step >= c.adv_start_step
        with autocast_for(self.device, c.amp):
            output = nets.generator(batch["input"])
        output = output.float()
        fake, real = self.judged(batch, output)

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
        g_terms = self.reconstruction(nets, batch, output)
        if adversarial:
            with autocast_for(self.device, c.amp):
                fake_logits, fake_features = nets.discriminator(fake)
                with torch.no_grad():
                    _, real_features = nets.discriminator(real)
            g_terms["g_adv"] = c.adv_weight * losses.g_loss_nonsaturating(fake_logits.float())
            if c.fm_weight > 0:
                matcher = (
                    losses.feature_statistics_matching
                    if c.task == "style" and "target" not in batch
                    else losses.feature_matching
                )
                g_terms["fm"] = c.fm_weight * matcher(
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
        reference = batch["input"] if c.task == "style" else batch["target"]
        return StepStats(
            losses=values,
            d_real_accuracy=real_accuracy,
            d_fake_accuracy=fake_accuracy,
            output_std=_per_image_std(output),
            target_std=_per_image_std(reference),
        )
