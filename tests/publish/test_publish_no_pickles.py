"""Pickle-based files never leave the machine, whatever the publish target.

A ``Trainer`` ``checkpoint-*`` folder holds the safetensors weights next to
``optimizer.pt``, ``scheduler.pt``, ``rng_state.pth`` and ``training_args.bin`` (all
pickles: loading them runs code), and many model folders still carry a
``pytorch_model.bin`` beside ``model.safetensors``.  Publishing such a folder must send the
safetensors weights and the JSON files, list every pickle-based file as excluded (in the
dry run and in a real run), and never send one.
"""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from safetensors.numpy import save_file
from support.hub_upload_server import files_containing

from medmnist_hub.publish.hub import PICKLE_SUFFIXES, is_pickle_based

REPO = "testorg/checkpoint"
PICKLES = ["optimizer.pt", "scheduler.pt", "rng_state.pth", "training_args.bin", "pytorch_model.bin"]


@pytest.fixture
def trainer_checkpoint(tmp_path):
    d = tmp_path / "checkpoint-500"
    d.mkdir()
    (d / "config.json").write_text(json.dumps({"architecture": "resnet18", "num_classes": 2}) + "\n")
    (d / "trainer_state.json").write_text(json.dumps({"global_step": 500}) + "\n")
    save_file({"w": np.ones((8, 8), dtype=np.float32)}, str(d / "model.safetensors"))
    for name in PICKLES:
        (d / name).write_bytes(b"\x80\x04\x95 pickle stand-in " + name.encode())
    (d / "README.md").write_text("---\nlicense: apache-2.0\n---\n# ckpt\nNot for clinical use.\n")
    return d


def test_every_pickle_suffix_is_recognised_case_insensitively():
    for suffix in (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".joblib"):
        assert suffix in PICKLE_SUFFIXES
        assert is_pickle_based(f"sub/dir/x{suffix}") and is_pickle_based(f"X{suffix.upper()}")
    for safe in ("model.safetensors", "config.json", "data/train-0.parquet", "README.md", "binary.txt"):
        assert not is_pickle_based(safe)


@pytest.mark.network_local
def test_a_trainer_checkpoint_ships_only_safetensors_and_json(trainer_checkpoint, hub_server, run_cli):
    dry = run_cli("publish", "model", "--repo-id", REPO, "--folder", str(trainer_checkpoint), "--dry-run")
    assert dry.returncode == 0, dry.output
    for name in PICKLES:
        assert f"exclude   {name} (pickle-based" in dry.stdout
        assert f"add       {name}" not in dry.stdout
    assert "add       model.safetensors" in dry.stdout and "add       trainer_state.json" in dry.stdout

    out = run_cli("publish", "model", "--repo-id", REPO, "--folder", str(trainer_checkpoint))
    assert out.returncode == 0, out.output
    assert all(f"exclude   {name} (pickle-based" in out.stdout for name in PICKLES)
    assert set(hub_server.files("model", REPO)) == {
        ".gitattributes",
        "README.md",
        "config.json",
        "model.safetensors",
        "trainer_state.json",
    }
    # Nothing of them anywhere on the server: no LFS object, no git blob, no history entry.
    repo = hub_server.repo_dir("model", REPO)
    history = subprocess.run(["git", "-C", str(repo), "log", "-p", "--all"], capture_output=True, text=True).stdout
    assert "model.safetensors" in history and "pickle stand-in" not in history
    assert not any(name in history for name in PICKLES)
    assert files_containing(repo, "pickle stand-in") == []


@pytest.mark.network_local
def test_only_pickled_weights_are_refused(tmp_path, run_cli, hub_server):
    d = tmp_path / "old-model"
    d.mkdir()
    (d / "config.json").write_text("{}\n")
    (d / "pytorch_model.bin").write_bytes(b"\x80\x04 pickle")
    out = run_cli("publish", "model", "--repo-id", REPO, "--folder", str(d), "--dry-run")
    assert out.returncode == 2
    assert "no *.safetensors weights (found pytorch_model.bin: pickled weights are not published" in out.stderr


@pytest.mark.network_local
def test_the_metric_and_leaderboard_targets_exclude_pickles_too(tmp_path, run_cli, hub_server):
    metric = tmp_path / "metric"
    metric.mkdir()
    (metric / "README.md").write_text("---\ntitle: MedMNIST\nsdk: gradio\napp_file: app.py\n---\nx\n")
    (metric / "medmnist.py").write_text("import evaluate\n")
    (metric / "app.py").write_text("print('app')\n")
    (metric / "requirements.txt").write_text("evaluate\n")
    (metric / "cache.pkl").write_bytes(b"\x80\x04 pickle")
    (metric / "model.joblib").write_bytes(b"\x80\x04 pickle")
    out = run_cli("publish", "metric", "--repo-id", "testorg/metric", "--folder", str(metric))
    assert out.returncode == 0, out.output
    assert "exclude   cache.pkl (pickle-based" in out.stdout and "exclude   model.joblib (pickle-based" in out.stdout
    assert set(hub_server.files("space", "testorg/metric")) == {
        ".gitattributes",
        "README.md",
        "medmnist.py",
        "app.py",
        "requirements.txt",
    }
