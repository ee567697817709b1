"""scripts/train_on_gpu.py rehearsed on the CPU with tiny settings: the photos packed into
one file, a recipe trained in chunks with render workers, and an out folder the device
tool can bring back (a loadable model, the summary, the log)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from sdstudio.engine.model_file import read_model_info
from tests.script_loading import load_script
from tests.training.conftest import synthetic_photo

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
DEVICE_FILE_LIMIT = 8  # files the device tool brings back from $OUT, at most 2 folders down


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(3)
    for index in range(4):
        cv2.imwrite(str(folder / f"photo_{index}.jpg"), synthetic_photo(rng, 120, 160)[:, :, ::-1])
    cv2.imwrite(str(folder / "drawing.png"), synthetic_photo(rng, 200, 1400)[:, :, ::-1])
    (folder / "SOURCES.tsv").write_text("file\tlicence\nphoto_0.jpg\tCC0\n")
    return folder


def test_pack_keeps_small_jpegs_as_they_are_and_shrinks_the_rest(photos: Path, tmp_path: Path):
    packer = load_script("pack_training_photos")
    pack_file = tmp_path / "pack.tar"
    manifest = packer.pack(photos, pack_file, max_side=1024)
    by_source = {entry["source"]: entry for entry in manifest["photos"]}
    assert sorted(by_source) == ["drawing.png"] + [f"photo_{i}.jpg" for i in range(4)]
    assert by_source["drawing.png"]["file"] == "drawing.jpg"
    assert max(by_source["drawing.png"]["size"]) == 1024
    with tarfile.open(pack_file) as archive:
        kept = archive.extractfile("photos/photo_1.jpg").read()
    assert kept == (photos / "photo_1.jpg").read_bytes()
    folder, unpacked = packer.unpack(pack_file, tmp_path / "unpacked")
    assert unpacked == manifest
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        by_source[s]["file"] for s in by_source
    )
    assert (folder.parent / "SOURCES.tsv").read_text().startswith("file\tlicence")
    assert packer.main([str(photos), "--out", str(tmp_path / "big.tar"), "--limit-mib", "0"]) == 1
    assert not (tmp_path / "big.tar").exists()


def test_the_damage_job_is_a_command_its_own_script_accepts(tmp_path: Path):
    gpu = load_script("train_on_gpu")
    damage = load_script("train_damage_detector")
    args = gpu.parse_args(["--data", "x", "--out", str(tmp_path / "out"), "--damage"])
    command = gpu.damage_command(args, tmp_path / "photos", tmp_path / "work", 8.0, 3)
    parsed = damage.parse_args(command[2:])
    assert parsed.render_workers == 3 and 0 < parsed.minutes < 8
    assert Path(parsed.export).parent == tmp_path / "out" / "models"


@pytest.mark.slow
def test_rehearses_the_gpu_command_on_the_cpu(photos: Path, tmp_path: Path):
    pack_file = tmp_path / "pack" / "photos.tar"
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    pack = [sys.executable, str(SCRIPTS / "pack_training_photos.py"), str(photos)]
    subprocess.run([*pack, "--out", str(pack_file)], check=True, env=environment)
    out = tmp_path / "out"
    command = [
        sys.executable, str(SCRIPTS / "train_on_gpu.py"), "--data", str(pack_file),
        "--out", str(out), "--only", "enhance-x2", "--device", "cpu", "--minutes", "5",
        "--steps", "4", "--batch-size", "2", "--render-workers", "2",
        "--work", str(tmp_path / "work"),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=environment)
    assert done.returncode == 0, done.stdout + done.stderr
    state = json.loads((out / "summary.json").read_text())["jobs"]["enhance-x2"]
    assert state["finished"] and state["exit_code"] == 0 and state["steps"] == 4
    assert [chunk["to_step"] for chunk in state["chunks"]] == [2, 4]  # resumed once
    assert (state["batch_size"], state["render_workers"]) == (2, 2)
    assert "psnr" in json.dumps(state["validation"])
    info = read_model_info(out / "models" / "sdstudio-enhance-x2.safetensors")
    assert (info.task, info.scale, info.name) == ("enhance", 2, "SD Studio Enhance x2")
    assert info.metadata["steps"] == "4"
    assert "2 render workers" in info.provenance["hardware"]
    assert "5 packed photos" in info.provenance["training_data"]
    assert "enhance-x2 exported" in (out / "train.log").read_text()
    files = [path for path in out.rglob("*") if path.is_file()]
    assert len(files) <= DEVICE_FILE_LIMIT
    assert all(len(path.relative_to(out).parts) <= 3 for path in files)
