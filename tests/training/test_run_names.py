"""A run's name maps to one run folder and one model file, for the CLI and the wizard."""

from __future__ import annotations

from sdstudio.paths import user_models_dir
from sdstudio.training.run_names import (
    find_run_dir,
    name_problem,
    run_dir_for,
    run_slug,
    runs_dir,
    suggest_run_name,
    unique_model_path,
)


def test_a_name_becomes_a_safe_folder_and_file_stem():
    assert run_slug("  My repair model / v2 ") == "My-repair-model-v2"
    assert run_slug("...") == "model"
    assert run_dir_for("My run") == runs_dir() / "My-run"


def test_a_folder_copied_under_its_own_name_is_found_by_that_name():
    (runs_dir() / "copy of run").mkdir()
    assert find_run_dir("copy of run") == runs_dir() / "copy of run"
    assert find_run_dir("../outside") == run_dir_for("../outside")


def test_an_export_never_overwrites_another_model_file():
    first = unique_model_path("Look")
    assert first == user_models_dir() / "Look.safetensors"
    first.write_bytes(b"taken")
    assert unique_model_path("Look") == user_models_dir() / "Look-2.safetensors"
    assert unique_model_path("Look", previous=str(first)) == first  # its own earlier export


def test_suggested_names_skip_taken_ones_and_problems_say_why():
    assert suggest_run_name("repair") == "My repair model"
    run_dir_for("My repair model").mkdir(parents=True)
    (user_models_dir() / "My-repair-model-2.safetensors").write_bytes(b"taken")
    assert suggest_run_name("repair") == "My repair model 3"
    assert name_problem("") == "Give the model a name."
    assert "already exists" in name_problem("My repair model 2")
    assert name_problem("My repair model 3") == ""
