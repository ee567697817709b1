"""The targets of issue 18, each model's verdict against them, and the printed tables.

Every gain is measured against a method that ran in the same run on the same photos, so
a verdict never depends on numbers from another machine or another day.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from benchmarks.quality_cases import DEGRADED, EnhanceCase, Score

# (case, method) -> one score per photo, in the order of the photos
Scores = dict[tuple[str, str], list[Score]]

ENHANCE_BASELINE = "bicubic"
REPAIR_BASELINE = "telea"  # the delta column of the repair table, as before issue 18
WORST_PHOTO_FLOOR_DB = -0.3  # no photo further below bicubic than this


@dataclass(frozen=True)
class Target:
    reference: str  # the method the gain is measured against
    min_gain_db: float  # the mean PSNR gain over the reference
    ssim_at_least_reference: bool = False
    min_detail: float | None = None  # mean detail ratio (1.0 = as crisp as the original)
    worst_photo_floor_db: float | None = None  # the least gain allowed on any one photo

    def describe(self) -> str:
        parts = [f">= {self.reference} {self.min_gain_db:+.1f} dB"]
        if self.ssim_at_least_reference:
            parts.append(f"SSIM >= {self.reference}")
        if self.min_detail is not None:
            parts.append(f"detail >= {self.min_detail:.2f}")
        if self.worst_photo_floor_db is not None:
            parts.append(f"every photo >= {self.worst_photo_floor_db:+.1f} dB")
        return ", ".join(parts)


def enhance_target(case: EnhanceCase) -> Target | None:
    if case.downscaler == DEGRADED:
        return Target(ENHANCE_BASELINE, 1.2, worst_photo_floor_db=WORST_PHOTO_FLOOR_DB)
    if case.scale == 2:
        return Target(
            ENHANCE_BASELINE, 0.5, ssim_at_least_reference=True,
            worst_photo_floor_db=WORST_PHOTO_FLOOR_DB,
        )  # fmt: skip
    if case.scale == 4:
        return Target(ENHANCE_BASELINE, 1.2, worst_photo_floor_db=WORST_PHOTO_FLOOR_DB)
    return None


def repair_target(kind: str) -> Target:
    """Thin scratches: the diffusion fill is already near perfect there, so matching it is
    the bar; objects: a network must beat copying texture (PatchMatch) and stay crisp."""
    if kind == "scratches":
        return Target("navier_stokes", 0.0)
    return Target("patchmatch", 1.0, min_detail=0.75)


@dataclass
class Verdict:
    case: str
    method: str
    target: str  # Target.describe()
    gain_db: float | None = None  # mean PSNR over the reference's
    gain_ssim: float | None = None
    detail: float = 0.0
    worst_photo: str = ""
    worst_gain_db: float | None = None
    misses: list[str] = field(default_factory=list)  # what fell short; empty = passed
    checked: bool = True  # False when the reference did not run (PatchMatch not installed)

    @property
    def passed(self) -> bool | None:
        return None if not self.checked else not self.misses

    def verdict_text(self) -> str:
        if not self.checked:
            return "n/a: " + "; ".join(self.misses)
        return "yes" if not self.misses else "no: " + "; ".join(self.misses)


def mean_of(values: Sequence[Score], index: int) -> float:
    return statistics.fmean(value[index] for value in values)


def judge(
    scores: Scores, case: str, method: str, target: Target, photo_names: Sequence[str]
) -> Verdict:
    """``method`` on ``case`` against ``target``, and its worst photo against the reference."""
    ours = scores[(case, method)]
    verdict = Verdict(case, method, target.describe(), detail=mean_of(ours, 2))
    reference = scores.get((case, target.reference))
    if not reference:
        verdict.checked = False
        verdict.misses.append(f"{target.reference} did not run")
        return verdict
    verdict.gain_db = mean_of(ours, 0) - mean_of(reference, 0)
    verdict.gain_ssim = mean_of(ours, 1) - mean_of(reference, 1)
    gains = [mine[0] - theirs[0] for mine, theirs in zip(ours, reference, strict=True)]
    worst = min(range(len(gains)), key=gains.__getitem__)
    verdict.worst_photo, verdict.worst_gain_db = photo_names[worst], gains[worst]
    if verdict.gain_db < target.min_gain_db:
        verdict.misses.append(f"gain {verdict.gain_db:+.2f} dB")
    if target.ssim_at_least_reference and verdict.gain_ssim < 0:
        verdict.misses.append(f"SSIM {verdict.gain_ssim:+.4f}")
    if target.min_detail is not None and verdict.detail < target.min_detail:
        verdict.misses.append(f"detail {verdict.detail:.2f}")
    floor = target.worst_photo_floor_db
    if floor is not None and verdict.worst_gain_db < floor:
        verdict.misses.append(f"{verdict.worst_photo} {verdict.worst_gain_db:+.2f} dB")
    return verdict


def enhance_verdicts(
    scores: Scores, cases: Sequence[EnhanceCase], models: Sequence[str], photos: Sequence[str]
) -> list[Verdict]:
    verdicts = []
    for case in cases:
        target = enhance_target(case)
        for model in models:
            if target is not None and (case.name, model) in scores:
                verdicts.append(judge(scores, case.name, model, target, photos))
    return verdicts


def repair_verdicts(
    scores: Scores, kinds: Sequence[str], models: Sequence[str], photos: Sequence[str]
) -> list[Verdict]:
    return [
        judge(scores, kind, model, repair_target(kind), photos)
        for kind in kinds
        for model in models
        if (kind, model) in scores
    ]


# ----- tables -----
Cell = Callable[[list[Score], list[Score] | None], str]


def psnr_ssim_cell(values: list[Score], baseline: list[Score] | None) -> str:
    text = f"{mean_of(values, 0):.2f} / {mean_of(values, 1):.4f}"
    if baseline is None or values is baseline:
        return text
    return f"{text} ({mean_of(values, 0) - mean_of(baseline, 0):+.2f})"


def detail_cell(values: list[Score], baseline: list[Score] | None) -> str:
    return f"{mean_of(values, 2):.2f}"


def matrix(
    scores: Scores,
    cases: Sequence[EnhanceCase],
    methods: Sequence[str],
    cell: Cell,
    verdicts: Sequence[Verdict] = (),
) -> list[str]:
    """Rows: the cases (downscalers of one scale); columns: the methods that ran on them;
    with ``verdicts``, a last column with each judged model's pass or fail."""
    shown = [m for m in methods if any((case.name, m) in scores for case in cases)]
    if not shown:
        return []
    head = ["downscaler", *shown] + (["target", "pass"] if verdicts else [])
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * len(shown)]
    if verdicts:
        lines[1] += "---|---|"
    for case in cases:
        baseline = scores.get((case.name, ENHANCE_BASELINE))
        row = [case.name]
        for method in shown:
            values = scores.get((case.name, method))
            row.append(cell(values, baseline) if values else "-")
        if verdicts:
            mine = [v for v in verdicts if v.case == case.name]
            row.append(mine[0].target if mine else "-")
            passes = [f"{v.method} {'yes' if v.passed else 'no'}" for v in mine]
            row.append(", ".join(passes) or "-")
        lines.append("| " + " | ".join(row) + " |")
    return lines


def verdict_table(verdicts: Sequence[Verdict]) -> list[str]:
    """One row per case and model: its gain over the target's reference, detail, worst
    photo (name and its gain) and the verdict with what fell short."""
    lines = [
        "| case | model | ΔPSNR dB | ΔSSIM | detail | worst photo (ΔPSNR dB) | target | pass |",
        "|---|---|---:|---:|---:|---|---|---|",
    ]
    for v in verdicts:
        gain = "-" if v.gain_db is None else f"{v.gain_db:+.2f}"
        gain_ssim = "-" if v.gain_ssim is None else f"{v.gain_ssim:+.4f}"
        worst = "-" if v.worst_gain_db is None else f"{v.worst_photo} ({v.worst_gain_db:+.2f})"
        lines.append(
            f"| {v.case} | {v.method} | {gain} | {gain_ssim} | {v.detail:.2f} | {worst} | "
            f"{v.target} | {v.verdict_text()} |"
        )
    return lines


def repair_table(scores: Scores, kinds: Sequence[str]) -> list[str]:
    """Every repair method per mask kind: PSNR / SSIM and detail inside the hole, and the
    delta over Telea."""
    base = REPAIR_BASELINE
    lines = [
        f"| mask | method | PSNR dB | SSIM | detail | ΔPSNR vs {base} | ΔSSIM vs {base} |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for kind in kinds:
        baseline = scores.get((kind, base))
        for (row_kind, method), values in scores.items():
            if row_kind != kind:
                continue
            psnr, ssim, detail = (mean_of(values, index) for index in range(3))
            delta = delta_ssim = ""
            if baseline and method != base:
                delta = f"{psnr - mean_of(baseline, 0):+.2f}"
                delta_ssim = f"{ssim - mean_of(baseline, 1):+.4f}"
            lines.append(
                f"| {kind} | {method} | {psnr:.2f} | {ssim:.4f} | {detail:.2f} | {delta} | "
                f"{delta_ssim} |"
            )
    return lines


def style_table(scores: Scores) -> list[str]:
    lines = [
        "| preset | model | PSNR dB vs preset | SSIM vs preset |",
        "|---|---|---:|---:|",
    ]
    for (preset, model), values in scores.items():
        lines.append(
            f"| {preset} | {model} | {mean_of(values, 0):.2f} | {mean_of(values, 1):.4f} |"
        )
    return lines
