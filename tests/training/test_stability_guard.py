from __future__ import annotations

import math

import pytest

from sdstudio.training.stability_guard import (
    GuardSettings,
    StabilityGuard,
    StepStats,
    TrainingUnstable,
)


def _ok(loss: float = 1.0) -> StepStats:
    return StepStats({"g_total": loss, "d_total": 1.3}, 0.6, 0.6, 0.2, 0.2)


def test_healthy_steps_pass():
    guard = StabilityGuard()
    assert all(guard.check(_ok(1.0 + 0.01 * i)) is None for i in range(100))


def test_nan_and_inf_are_caught_at_once():
    guard = StabilityGuard()
    assert guard.check(StepStats({"g_total": math.nan})).kind == "non_finite"
    assert guard.check(StepStats({"d_total": math.inf})).kind == "non_finite"


def test_an_exploding_loss_is_caught_after_warmup():
    guard = StabilityGuard(GuardSettings(loss_factor=10), warmup_steps=5)
    assert guard.check(_ok(500.0)) is None  # no history yet: nothing to compare with
    guard = StabilityGuard(GuardSettings(loss_factor=10), warmup_steps=5)
    for _ in range(5):
        guard.check(_ok(1.0))
    assert guard.check(_ok(50.0)).kind == "exploding_loss"


def test_a_discriminator_that_always_wins_is_caught():
    guard = StabilityGuard(GuardSettings(d_win_steps=5))
    stats = StepStats({"g_total": 1.0}, 1.0, 1.0, 0.2, 0.2)
    results = [guard.check(stats) for _ in range(5)]
    assert results[:4] == [None] * 4 and results[4].kind == "discriminator_wins"


def test_collapsed_outputs_are_caught_but_flat_targets_are_not():
    guard = StabilityGuard(GuardSettings(collapse_steps=3))
    assert [guard.check(StepStats({}, output_std=0.001, target_std=0.001)) for _ in range(5)] == [
        None
    ] * 5
    flat = [guard.check(StepStats({}, output_std=0.001, target_std=0.2)) for _ in range(3)]
    assert flat[-1].kind == "collapse"


def test_repeated_failures_stop_with_an_explanation():
    guard = StabilityGuard(GuardSettings(max_failures=3))
    problem = guard.check(StepStats({"g_total": math.nan}))
    guard.record(10, problem, 5, 1e-4)
    guard.record(12, problem, 5, 5e-5)
    with pytest.raises(TrainingUnstable, match="unstable 3 times .*non_finite.*learning rate"):
        guard.record(14, problem, 5, 2.5e-5)
    assert [entry["step"] for entry in guard.history] == [10, 12, 14]
    restored = StabilityGuard()
    restored.load_state(guard.state())
    assert restored.failures == 3


def test_a_run_config_keeps_its_guard_settings_through_json():
    from sdstudio.training.config import TrainingConfig

    config = TrainingConfig(
        task="repair", data_dir="", name="g", guard=GuardSettings(lr_factor=0.25)
    )
    again = TrainingConfig.from_json(config.to_json())
    assert again.guard == GuardSettings(lr_factor=0.25)
    assert StabilityGuard(again.guard).settings.lr_factor == 0.25


def test_an_older_run_config_with_flat_guard_keys_is_read():
    import json

    from sdstudio.training.config import TrainingConfig

    stored = json.loads(TrainingConfig(task="enhance", data_dir="", name="old").to_json())
    del stored["guard"]
    stored.update(guard_max_failures=2, guard_collapse_std=0.05)
    config = TrainingConfig.from_json(json.dumps(stored))
    assert config.guard == GuardSettings(max_failures=2, collapse_std=0.05)
