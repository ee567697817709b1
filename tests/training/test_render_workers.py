"""Batches rendered by worker processes: the run's own batch maker, seeded per worker,
taken round-robin, and a worker's failure reported with its reason."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sdstudio.training.objectives import objective_for
from sdstudio.training.render_workers import InlineBatches, WorkerBatches, batch_source
from tests.training.conftest import tiny_config


def test_no_render_workers_renders_in_the_training_process(photo_folder: Path):
    config = tiny_config("enhance", photo_folder, "inline")
    objective = objective_for(config)
    pairs = object()
    source = batch_source(pairs, objective)
    assert isinstance(source, InlineBatches) and source.pairs is pairs


@pytest.mark.slow
def test_workers_make_the_runs_batches_with_seeds_of_their_own(photo_folder: Path):
    config = tiny_config("enhance", photo_folder, "workers", render_workers=2, crop=32)
    objective = objective_for(config)
    both = batch_source(None, objective)
    alone = WorkerBatches(objective, 1)  # the same seed as the first of both
    try:
        assert isinstance(both, WorkerBatches)
        batches = [both.make_batch(None, config.batch_size) for _ in range(4)]
        first_alone = alone.make_batch(None, config.batch_size)
        with pytest.raises(ValueError):  # a batch of another size than the workers make
            both.make_batch(None, config.batch_size + 1)
    finally:
        both.close()
        alone.close()
    assert batches[0]["target"].shape == (2, 3, 32, 32)
    assert batches[0]["input"].shape == (2, 3, 16, 16)
    assert batches[0]["target"].dtype == np.float32
    # Round-robin: batches 0 and 2 come from worker 0, 1 and 3 from worker 1.
    assert not np.array_equal(batches[0]["target"], batches[1]["target"])
    np.testing.assert_array_equal(batches[0]["target"], first_alone["target"])
    np.testing.assert_array_equal(batches[0]["input"], first_alone["input"])


@pytest.mark.slow
def test_a_worker_that_cannot_start_fails_the_run_with_its_reason(tmp_path: Path):
    config = tiny_config("enhance", tmp_path / "missing", "broken", render_workers=1)
    source = WorkerBatches(objective_for(config), 1)
    try:
        with pytest.raises(RuntimeError, match="does not exist"):
            source.make_batch(None, config.batch_size)
    finally:
        source.close()
