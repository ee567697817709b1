"""Driving the training generator in tests."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import torch

from sdstudio.engine.architectures import default_architecture
from sdstudio.engine.model_file import build_network, save_model
from tests.training.conftest import TINY_NETWORKS


def run_to_end(run: Generator) -> tuple[list, str]:
    events = []
    while True:
        try:
            events.append(next(run))
        except StopIteration as done:
            return events, done.value


def of_type(events: list, kind: type) -> list:
    return [event for event in events if isinstance(event, kind)]


def save_tiny_base(path: Path, task: str, seed: int = 0) -> Path:
    torch.manual_seed(seed)
    params = dict(TINY_NETWORKS[task])
    network = build_network(default_architecture(task).id, params)
    save_model(
        path,
        network,
        task=task,
        architecture=default_architecture(task).id,
        hyperparameters=params,
        name=f"Tiny {task} base",
        scale=params.get("scale"),
        style="oil_painting" if task == "style" else None,
    )
    return path
