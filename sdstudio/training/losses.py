"""Training losses: pixel, adversarial, feature matching, R1, and the style losses.

No pretrained feature network is used anywhere (nothing to download, nothing whose
licence or bias we inherit): texture comes from the discriminator, and the style task
keeps a photo's structure with a patch-wise contrastive loss on the generator's own
encoder features (CUT, Park et al. 2020) plus a coarse luminance-edge loss.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def masked_l1(
    output: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, hole_weight: float
) -> torch.Tensor:
    """L1 over the whole image with the hole counted ``1 + hole_weight`` times: the hole is
    what is learnt, the rest keeps colours anchored."""
    weight = 1.0 + hole_weight * mask
    return (weight * (output - target).abs()).mean() / (1.0 + hole_weight * mask.mean()).clamp(
        min=1e-6
    )


def d_loss_nonsaturating(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def g_loss_nonsaturating(fake_logits: torch.Tensor) -> torch.Tensor:
    return F.softplus(-fake_logits).mean()


def feature_matching(
    fake_features: list[torch.Tensor], real_features: list[torch.Tensor]
) -> torch.Tensor:
    """Paired: the discriminator's activations for the output follow those for the target
    at the same positions (pix2pixHD / LaMa)."""
    pairs = zip(fake_features, real_features, strict=True)
    losses = [F.l1_loss(fake, real.detach()) for fake, real in pairs]
    return torch.stack(losses).mean()


def feature_statistics_matching(
    fake_features: list[torch.Tensor], real_features: list[torch.Tensor]
) -> torch.Tensor:
    """Unpaired (style): per-channel mean and standard deviation of the activations match,
    since positions in a content crop and a style crop do not correspond."""
    losses = []
    for fake, real in zip(fake_features, real_features, strict=False):
        real = real.detach()
        losses.append(F.l1_loss(fake.mean(dim=(0, 2, 3)), real.mean(dim=(0, 2, 3))))
        losses.append(F.l1_loss(fake.std(dim=(0, 2, 3)), real.std(dim=(0, 2, 3))))
    return torch.stack(losses).mean()


def r1_penalty(real_logits: torch.Tensor, real_input: torch.Tensor) -> torch.Tensor:
    """Squared gradient norm of the discriminator at real data (Mescheder et al., 2018).

    A patch discriminator has one logit per patch; the gradient of their sum grows with
    the number of patches, so the penalty is divided by it: the same weight then means
    the same thing at every crop size (LaMa's 0.001 on a summed 256 px map is about
    0.1 here).
    """
    (gradient,) = torch.autograd.grad(real_logits.float().sum(), real_input, create_graph=True)
    patches = real_logits[0].numel()
    return 0.5 * gradient.pow(2).flatten(1).sum(dim=1).mean() / patches


def _luminance(image: torch.Tensor) -> torch.Tensor:
    weights = image.new_tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    return (image * weights).sum(dim=1, keepdim=True)


def _edges(image: torch.Tensor) -> torch.Tensor:
    grey = F.avg_pool2d(_luminance(image), 4) if min(image.shape[-2:]) >= 16 else _luminance(image)
    dx = grey[..., :, 1:] - grey[..., :, :-1]
    dy = grey[..., 1:, :] - grey[..., :-1, :]
    magnitude = torch.sqrt(dx[..., :-1, :] ** 2 + dy[..., :, :-1] ** 2 + 1e-8)
    return magnitude / magnitude.mean(dim=(1, 2, 3), keepdim=True).clamp(min=1e-4)


def structure_loss(output: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """Coarse (4x-downsampled) luminance edges of the output follow the content's; finer
    texture and all colour are left to the style."""
    return F.l1_loss(_edges(output), _edges(content).detach())


class PatchNCE(nn.Module):
    """CUT's patch-wise contrastive loss using activations of the generator's encoder.

    A patch of the output should be closer to the patch of the input at the same place
    than to other patches of the input. Activations come from forward hooks on a few early
    convolutions of the generator (so no pretrained network is needed); small MLP heads
    project them to an embedding and are trained with the generator.
    """

    def __init__(
        self,
        generator: nn.Module,
        sample_input: torch.Tensor,
        *,
        layers: int = 4,
        embed: int = 128,
        patches: int = 64,
        temperature: float = 0.07,
    ) -> None:
        super().__init__()
        self.patches, self.temperature = patches, temperature
        convs = [m for m in generator.modules() if isinstance(m, nn.Conv2d)]
        early = convs[: max(1, len(convs) // 2)]
        step = max(1, len(early) // layers)
        self._layers = early[::step][:layers]
        self._captured: list[torch.Tensor] = []
        self._capturing = False
        self._handles = [layer.register_forward_hook(self._hook) for layer in self._layers]
        with torch.no_grad():
            features = self.encode(generator, sample_input[:1])
        self.heads = nn.ModuleList(
            nn.Sequential(nn.Linear(f.shape[1], embed), nn.ReLU(), nn.Linear(embed, embed))
            for f in features
        ).to(sample_input.device)

    def _hook(self, module: nn.Module, inputs, output: torch.Tensor) -> None:
        if self._capturing:
            self._captured.append(output)

    def encode(self, generator: nn.Module, image: torch.Tensor) -> list[torch.Tensor]:
        self._captured, self._capturing = [], True
        try:
            generator(image)
        finally:
            self._capturing = False
        captured, self._captured = self._captured, []
        return captured

    def forward(
        self, generator: nn.Module, content: torch.Tensor, output: torch.Tensor
    ) -> torch.Tensor:
        with torch.no_grad():
            keys = self.encode(generator, content)
        queries = self.encode(generator, output)
        losses = []
        for head, key, query in zip(self.heads, keys, queries, strict=False):
            batch, channels, height, width = key.shape
            count = min(self.patches, height * width)
            index = torch.randperm(height * width, device=key.device)[:count]
            k = key.flatten(2)[:, :, index].permute(0, 2, 1).float()  # (B, P, C)
            q = query.flatten(2)[:, :, index].permute(0, 2, 1).float()
            k = F.normalize(head(k), dim=-1)
            q = F.normalize(head(q), dim=-1)
            logits = torch.bmm(q, k.detach().transpose(1, 2)) / self.temperature  # (B, P, P)
            labels = torch.arange(count, device=key.device).expand(batch, count)
            losses.append(F.cross_entropy(logits.reshape(-1, count), labels.reshape(-1)))
        return torch.stack(losses).mean()

    def remove_hooks(self) -> None:
        for handle in self._handles:
            handle.remove()
