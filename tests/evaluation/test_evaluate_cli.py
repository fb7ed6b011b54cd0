"""The submission path end to end, with a Hub model id.

A timm checkpoint is published to the upload server (``publish model``), evaluated by its
Hub id through the olah mirror serving the uploaded repo (``evaluate``), its
``.eval_results`` opened as a pull request with ``hf upload --create-pr`` (the README's
three commands), and the resulting records ranked (``leaderboard build``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support.hub_mirror import require_olah, start_hub_mirror
from support.hub_upload_server import client_env, start_upload_server
from support.real_data import SHARED_DATA, real_file_or_skip, require

from medmnist_hub.results.records import read_records

torch = require("torch")
timm = require("timm")


@pytest.mark.network_local
@pytest.mark.slow
def test_publish_evaluate_by_hub_id_and_rank(tmp_path):
    real_file_or_skip("breastmnist")
    require_olah()
    from medmnist_hub.training.export import export_timm_checkpoint
    from medmnist_hub.training.protocol import model_spec

    spec = model_spec("breastmnist", "resnet18", "28", input_size=56)
    torch.manual_seed(1)
    m = timm.create_model("test_resnet", pretrained=False, num_classes=2, in_chans=3)
    m.pretrained_cfg = {"architecture": "test_resnet", "num_classes": 2, **spec.data_config()}
    model_dir = export_timm_checkpoint(m, spec, tmp_path / "model")
    (model_dir / "README.md").write_text(
        "---\nlibrary_name: timm\nlicense: apache-2.0\n---\n# test\nNot for clinical use.\n"
    )

    server = start_upload_server(tmp_path / "hub")
    try:
        env = client_env(server, tmp_path / "hf-writer")
        pub = subprocess.run(
            [
                sys.executable,
                "-m",
                "medmnist_hub",
                "publish",
                "model",
                "--repo-id",
                "lab/tiny-breast",
                "--folder",
                str(model_dir),
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert pub.returncode == 0, pub.stdout + pub.stderr
        with start_hub_mirror(server.root) as mirror:
            out = tmp_path / "results"
            cmd = [
                sys.executable,
                "-m",
                "medmnist_hub",
                "evaluate",
                "lab/tiny-breast",
                "--subsets",
                "breastmnist",
                "--source-dir",
                str(SHARED_DATA),
                "--offline",
                "--out",
                str(out),
                "--benchmark",
                "lab/medmnist",
                "--name",
                "Tiny test ResNet",
                "--method",
                "lab/tiny",
            ]
            ev = subprocess.run(
                cmd, capture_output=True, text=True, env=mirror.env(tmp_path / "hf-reader"), timeout=300
            )
            assert ev.returncode == 0, ev.stdout + ev.stderr + mirror.log_tail()
        # Third command: open the pull request with huggingface_hub's own CLI, as printed by `evaluate`.
        hf = Path(sys.executable).with_name("hf")
        pr = subprocess.run(
            [
                str(hf),
                "upload",
                "lab/tiny-breast",
                str(out / "lab--tiny-breast" / ".eval_results"),
                ".eval_results",
                "--create-pr",
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert pr.returncode == 0, pr.stdout + pr.stderr
        on_pr = server.files("model", "lab/tiny-breast", rev="refs/pr/1")
        assert (
            on_pr[".eval_results/medmnist.yaml"]
            == (out / "lab--tiny-breast" / ".eval_results" / "medmnist.yaml").read_bytes()
        )
        assert ".eval_results/medmnist.yaml" not in server.files("model", "lab/tiny-breast")  # main: untouched
    finally:
        server.stop()
    assert (
        f"to submit: hf upload lab/tiny-breast {out / 'lab--tiny-breast' / '.eval_results'} .eval_results" in ev.stdout
    )
    (rec,) = read_records(out, schema_only=True)
    assert rec.model.id == "lab/tiny-breast" and rec.model.name == "Tiny test ResNet"
    assert rec.model.method == "lab/tiny"
    assert rec.model.url == f"{mirror.endpoint}/lab/tiny-breast"
    assert rec.model.extra["revision"] == server.head(server.repo_dir("model", "lab/tiny-breast"), "main")
    assert rec.dataset.n_examples == 156
    entries = yaml.safe_load((out / "lab--tiny-breast" / ".eval_results" / "medmnist.yaml").read_text())
    assert [e["dataset"]["task_id"] for e in entries] == ["breastmnist_auc", "breastmnist_acc"]
    assert entries[0]["value"] == round(rec.metrics.auc, 6)
    line = next(ln for ln in ev.stdout.splitlines() if ln.startswith("breastmnist "))
    assert f"{rec.metrics.auc:.3f}" in line and f"{rec.metrics.acc:.3f}" in line

    board = subprocess.run(
        [
            sys.executable,
            "-m",
            "medmnist_hub",
            "leaderboard",
            "build",
            "--records",
            str(out),
            "--out",
            str(tmp_path / "lb"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert board.returncode == 0, board.stderr
    data = json.loads((tmp_path / "lb" / "leaderboard.json").read_text())
    row = next(r for r in data["boards"]["2d"] if r["model"]["id"] == "lab/tiny")
    assert row["complete"] is False and row["rank"] is None and row["n_datasets"] == 1
    assert row["scores"]["breastmnist"]["auc"] == rec.metrics.auc
