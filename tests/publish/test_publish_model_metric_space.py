"""Models with their eval results (both Hub formats), read back into the leaderboard; metric and leaderboard Spaces."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from huggingface_hub import ModelCard
from safetensors.numpy import save_file
from support.hub_mirror import require_olah, start_hub_mirror
from support.hub_upload_server import EVALUATION_FRAMEWORKS, commit_files

from medmnist_hub.catalog import SUBSETS_2D
from medmnist_hub.publish.eval_results import card_with_model_index, write_eval_results
from medmnist_hub.results.hub_format import eval_yaml
from medmnist_hub.results.records import make_record, write_record

BENCH = "testorg/medmnist"


def _model_folder(path, name="ResNet-18 (28)"):
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"architecture": "resnet18", "num_classes": 2}))
    save_file({"w": np.zeros((4, 4), dtype=np.float32)}, str(path / "model.safetensors"))
    card = f"---\nlicense: apache-2.0\nlibrary_name: timm\n---\n# {name}\n\nNot for clinical use.\n"
    (path / "README.md").write_text(card)
    return path


def _records(model_id, subsets, auc=0.9, acc=0.8):
    return [
        make_record(
            model_id=model_id,
            config=s,
            runs=[{"seed": k, "auc": auc + 0.01 * k, "acc": acc} for k in range(3)],
            created="2025-03-01",
            source="test",
        )
        for s in subsets
    ]


def test_write_eval_results_merges_and_card_keeps_other_results(tmp_path):
    recs = _records("lab/m", ["breastmnist", "pneumoniamnist"])
    path = write_eval_results(recs[0], tmp_path, dataset_repo_id=BENCH)
    write_eval_results(recs[1], tmp_path, dataset_repo_id=BENCH)
    entries = yaml.safe_load(path.read_text())
    assert [e["dataset"]["task_id"] for e in entries] == [
        "breastmnist_auc",
        "breastmnist_acc",
        "pneumoniamnist_auc",
        "pneumoniamnist_acc",
    ]
    assert entries[0]["value"] == pytest.approx(0.91) and entries[0]["dataset"]["id"] == BENCH
    assert entries[0]["notes"].startswith("AUC on the test split of breastmnist; mean of 3 runs, std 0.0100")
    write_eval_results(_records("lab/m", ["breastmnist"], auc=0.5)[0], tmp_path, dataset_repo_id=BENCH)
    entries = yaml.safe_load(path.read_text())
    assert len(entries) == 4 and entries[-2]["value"] == pytest.approx(0.51)  # replaced, not duplicated

    other = "---\nmodel-index:\n- name: m\n  results:\n  - task: {type: image-classification}\n    dataset: {type: other/bench, name: X}\n    metrics:\n    - {type: accuracy, value: 0.5}\n---\nBody text.\n"
    text = card_with_model_index(other, recs, dataset_repo_id=BENCH, model_name="lab/m")
    card = ModelCard(text)
    assert "Body text." in text
    assert len(card.data.eval_results) == 1 + 4
    mine = [r for r in card.data.eval_results if r.dataset_type == BENCH]
    assert {(r.dataset_config, r.metric_type) for r in mine} == {
        ("breastmnist", "roc_auc"),
        ("breastmnist", "accuracy"),
        ("pneumoniamnist", "roc_auc"),
        ("pneumoniamnist", "accuracy"),
    }


@pytest.mark.network_local
def test_publish_models_then_rank_them_from_the_hub(hub_server, run_cli, tmp_path):
    results = tmp_path / "results"
    complete = _records("lab/resnet18-28", SUBSETS_2D, auc=0.93, acc=0.83)
    partial = _records("local-name", ["breastmnist"], auc=0.8, acc=0.7)
    for r in complete + partial:
        write_record(r, results)
    m1 = _model_folder(tmp_path / "m1")
    m2 = _model_folder(tmp_path / "m2")

    out = run_cli(
        "publish",
        "model",
        "--repo-id",
        "lab/resnet18-28",
        "--folder",
        str(m1),
        "--results",
        str(results),
        "--benchmark",
        BENCH,
    )
    assert out.returncode == 0, out.output
    assert "add       .eval_results/medmnist.yaml" in out.stdout
    missing = run_cli(
        "publish",
        "model",
        "--repo-id",
        "lab/other",
        "--folder",
        str(m2),
        "--results",
        str(results),
        "--benchmark",
        BENCH,
    )
    assert missing.returncode == 2 and "no records with model.id 'lab/other'" in missing.stderr
    out = run_cli(
        "publish",
        "model",
        "--repo-id",
        "lab/other",
        "--folder",
        str(m2),
        "--results",
        str(results),
        "--record-model-id",
        "local-name",
        "--benchmark",
        BENCH,
    )
    assert out.returncode == 0, out.output

    stored = hub_server.files("model", "lab/resnet18-28")
    entries = yaml.safe_load(stored[".eval_results/medmnist.yaml"])
    assert len(entries) == 24 and {e["dataset"]["id"] for e in entries} == {BENCH}
    card = ModelCard(stored["README.md"].decode())
    assert card.data.model_name == "lab/resnet18-28" and len(card.data.eval_results) == 24
    assert "Not for clinical use." in stored["README.md"].decode()
    assert (m1 / "README.md").read_text().count("model-index") == 0  # the local folder is untouched
    assert not (m1 / ".eval_results").exists()

    # The benchmark's Hub leaderboard lists both models (the upload server aggregates .eval_results) once the
    # dataset repo declares the benchmark (eval.yaml) and Hugging Face allow-listed it (hub-docs eval-results.md).
    status, answer = commit_files(
        hub_server, "dataset", BENCH, {"eval.yaml": eval_yaml(SUBSETS_2D, framework=EVALUATION_FRAMEWORKS[0])}
    )
    assert status == 200, answer
    hub_server.allow_benchmark(BENCH)

    # Read everything back through the real mirror serving the uploaded repos, and rank.
    require_olah()
    with start_hub_mirror(hub_server.root) as mirror:
        code = (
            "import json\n"
            "from medmnist_hub.leaderboard.hub_source import discover_models, hub_records\n"
            f"models = discover_models({BENCH!r}, endpoint={hub_server.url!r})\n"
            f"recs = hub_records(models, benchmark={BENCH!r})\n"
            "print('RECS' + json.dumps({'models': models, 'recs': [r.to_dict() for r in recs]}))\n"
        )
        proc = mirror.run_python(code, hf_home=tmp_path / "reader")
        assert proc.returncode == 0, proc.stderr[-3000:] + mirror.log_tail()
        got = json.loads(proc.stdout.split("RECS", 1)[1])
        assert got["models"] == ["lab/other", "lab/resnet18-28"] or sorted(got["models"]) == [
            "lab/other",
            "lab/resnet18-28",
        ]
        by_key = {(r["model"]["id"], r["dataset"]["config"]): r for r in got["recs"]}
        assert len(by_key) == 13
        for r in complete:
            hub = by_key[("lab/resnet18-28", r.dataset.config)]
            assert hub["metrics"]["auc"] == pytest.approx(r.metrics.auc, abs=1e-6)
            assert hub["metrics"]["acc"] == pytest.approx(r.metrics.acc, abs=1e-6)
            assert hub["model"]["url"] == f"{mirror.endpoint}/lab/resnet18-28"

        board = mirror.run_python(
            "import sys\nfrom medmnist_hub.cli import main\n"
            f"sys.exit(main(['leaderboard', 'show', '--hub-model', 'lab/resnet18-28', '--hub-model', 'lab/other', "
            f"'--benchmark', {BENCH!r}]))\n",
            hf_home=tmp_path / "reader2",
        )
        assert board.returncode == 0, board.stderr[-3000:]
    md = board.stdout
    assert "| 1 | lab/resnet18-28 |  | 0.940 | 0.830 | 12/12 | complete |" in md
    assert "| incomplete | lab/other |  | — | — | 1/12 | incomplete: 1/12 datasets |" in md


@pytest.mark.network_local
def test_publish_metric_and_leaderboard_spaces(hub_server, run_cli, tmp_path):
    metric = tmp_path / "metric"
    metric.mkdir()
    (metric / "README.md").write_text(
        "---\ntitle: MedMNIST\nsdk: gradio\napp_file: app.py\ntags: [evaluate, metric]\n---\nx\n"
    )
    (metric / "medmnist.py").write_text("import evaluate\n")
    (metric / "app.py").write_text("print('app')\n")
    (metric / "requirements.txt").write_text("evaluate\n")
    out = run_cli("publish", "metric", "--repo-id", "testorg/medmnist-metric", "--folder", str(metric))
    assert out.returncode == 0, out.output
    assert "create_repo space testorg/medmnist-metric (public, Space SDK gradio)" in out.stdout
    assert set(hub_server.files("space", "testorg/medmnist-metric")) == {
        ".gitattributes",
        "README.md",
        "medmnist.py",
        "app.py",
        "requirements.txt",
    }
    (metric / "app.py").unlink()
    bad = run_cli("publish", "metric", "--repo-id", "testorg/x", "--folder", str(metric), "--dry-run")
    assert bad.returncode == 2 and "not an evaluate metric module folder (missing app.py)" in bad.stderr

    results = tmp_path / "results"
    for r in _records("lab/m", SUBSETS_2D):
        write_record(r, results)
    out = run_cli("publish", "leaderboard", "--repo-id", "testorg/leaderboard", "--records", str(results))
    assert out.returncode == 0, out.output
    files = hub_server.files("space", "testorg/leaderboard")
    assert "app.py" in files and "medmnist_hub/leaderboard/aggregate.py" in files
    assert len([f for f in files if f.startswith("records/")]) == 12
    assert b"sdk: gradio" in files["README.md"]
    again = run_cli("publish", "leaderboard", "--repo-id", "testorg/leaderboard", "--records", str(results))
    assert "nothing to upload" in again.stdout


def test_the_installed_metric_module_stages_as_a_gradio_space(tmp_path):
    from medmnist_hub.publish.artifacts import default_metric_folder, stage_metric

    folder, sdk = stage_metric(None, tmp_path / "staged")
    assert sdk == "gradio"
    names = {p.name for p in folder.iterdir()}
    assert {"README.md", "app.py", "requirements.txt", "medmnist.py", "medmnist_scoring.py"} <= names
    assert (folder / "medmnist.py").resolve() == (default_metric_folder() / "medmnist.py").resolve()
