"""The metric as an `evaluate` module: offline loading, configs, batches, imports, card, widget, doctests."""

from __future__ import annotations

import ast
import doctest
import re
import runpy
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import yaml

from medmnist_hub import metrics
from medmnist_hub.catalog import SUBSETS, get_subset
from medmnist_hub.synthetic import synthetic_labels

MODULE_DIR = metrics.MODULE_DIR
MODULE_FILES = ("medmnist.py", "medmnist_scoring.py", "app.py")
REPO_ROOT = Path(__file__).resolve().parents[2]
DOCTEST_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def example(subset: str, n: int = 64, seed: int = 0):
    sub = get_subset(subset)
    rng = np.random.default_rng(seed)
    y = synthetic_labels(sub, n, rng)
    width = 2 if sub.task == "binary-class" else sub.num_classes
    s = metrics.scores_from_logits(subset, rng.normal(size=(n, width))).astype(np.float32)
    return y, s


def test_module_folder_layout():
    for name in (*MODULE_FILES, "README.md", "requirements.txt"):
        assert (MODULE_DIR / name).is_file(), name
    assert MODULE_DIR == REPO_ROOT / "src" / "medmnist_hub" / "metrics" / "medmnist"


@pytest.mark.parametrize("config", [*metrics.CONFIG_NAMES, "bloodmnist_64", "multi-label, binary-class"])
def test_load_offline_every_config(evaluate_lib, config, tmp_path):
    metric = evaluate_lib.load(str(MODULE_DIR), config, cache_dir=str(tmp_path))
    assert type(metric).__name__ == "Medmnist" and metric.name == "medmnist" and metric.config_name == config
    spec = metrics.resolve_config(config)
    subset = spec.subset or {
        "multi-class": "bloodmnist",
        "binary-class": "breastmnist",
        "ordinal-regression": "retinamnist",
    }.get(spec.config_name, "chestmnist")
    y, s = example(subset)
    assert metric.compute(references=y, predictions=s) == metrics.compute(config, y, s)


def test_package_load_is_evaluate_load(evaluate_lib):
    metric = metrics.load("chestmnist")
    assert isinstance(metric, evaluate_lib.EvaluationModule) and metric.name == "medmnist"
    assert "official" in metric.description and "yang2023medmnistv2" in metric.citation
    with pytest.raises(metrics.MetricInputError, match="unknown MedMNIST metric config 'chest'"):
        metrics.load("chest")


def test_default_config_is_rejected_with_the_list_of_names(evaluate_lib):
    with pytest.raises(ValueError, match="needs a config name; received 'default'.*chestmnist"):
        evaluate_lib.load(str(MODULE_DIR))


@pytest.mark.parametrize("subset", ["chestmnist", "pathmnist", "breastmnist", "retinamnist"])
def test_add_batch_then_compute_equals_one_shot(evaluate_lib, subset):
    y, s = example(subset, n=150, seed=2)
    metric = metrics.load(subset)
    for start in range(0, 150, 40):
        metric.add_batch(references=y[start : start + 40], predictions=s[start : start + 40])
    batched = metric.compute(per_class=True, bootstrap=20, seed=1, extra=True)
    assert batched == metrics.compute(subset, y, s, per_class=True, bootstrap=20, seed=1, extra=True)
    one = metrics.load(subset)
    for yi, si in zip(y, s):
        one.add(reference=yi, prediction=si)
    assert one.compute() == metrics.compute(subset, y, s)


def test_binary_input_layouts_through_evaluate(evaluate_lib):
    y, s = example("pneumoniamnist", n=50)
    expected = metrics.compute("pneumoniamnist", y, s)
    for refs, preds in [(y, s), (y.ravel(), s[:, 1]), (y.ravel().tolist(), s[:, 1:].tolist())]:
        assert metrics.load("pneumoniamnist").compute(references=refs, predictions=preds) == expected


def test_errors_through_evaluate_are_clear(evaluate_lib):
    metric = metrics.load("pathmnist")
    y, s = example("pathmnist")
    with pytest.raises(ValueError, match=r"shape \(N, 9\), one score per class; received shape \(64, 8\)"):
        metric.compute(references=y, predictions=s[:, :8])
    with pytest.raises(ValueError, match="must be integer class indices; received 2.5 at row 0"):
        metrics.load("pathmnist").compute(references=[2.5] + [0] * 63, predictions=s)
    y[y == 3] = 4
    with pytest.raises(ValueError, match="class 3: no example among 64 references"):
        metrics.load("pathmnist").compute(references=y, predictions=s)


# --- the module is self-contained and scanned correctly by evaluate --------------------------------


def _top_level_imports(path: Path) -> list[ast.stmt]:
    return [node for node in ast.parse(path.read_text()).body if isinstance(node, (ast.Import, ast.ImportFrom))]


@pytest.mark.parametrize("name", MODULE_FILES)
def test_one_import_per_line_and_no_package_import(name):
    path = MODULE_DIR / name
    for node in _top_level_imports(path):
        if isinstance(node, ast.Import):
            assert len(node.names) == 1, f"{name}:{node.lineno}: one module per import line (evaluate scans lines)"
        assert node.end_lineno == node.lineno, f"{name}:{node.lineno}: keep each import on one line"
    for node in ast.walk(ast.parse(path.read_text())):  # lazy imports included
        modules = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        modules += [node.module or ""] if isinstance(node, ast.ImportFrom) else []
        assert not any(m.startswith("medmnist_hub") for m in modules), f"{name} must stay publishable on its own"


def test_evaluate_finds_the_dependencies(evaluate_lib):
    from evaluate.loading import get_imports

    found = {(kind, name) for kind, name, *_ in get_imports(str(MODULE_DIR / "medmnist.py"))}
    found = {(kind, name) for kind, name in found if name not in sys.stdlib_module_names}
    assert found == {
        ("library", "datasets"),
        ("library", "evaluate"),
        ("library", "numpy"),
        ("internal", "medmnist_scoring"),
    }
    found = {(kind, name) for kind, name, *_ in get_imports(str(MODULE_DIR / "medmnist_scoring.py"))}
    assert {(kind, name) for kind, name in found if name not in sys.stdlib_module_names} == {("library", "numpy")}


def test_requirements_cover_every_import():
    required = {
        re.split(r"[<>=!~ \[]", line)[0].strip().lower()
        for line in (MODULE_DIR / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    pip_name = {"sklearn": "scikit-learn"}
    imported = set()
    for name in ("medmnist.py", "medmnist_scoring.py"):
        for node in ast.walk(ast.parse((MODULE_DIR / name).read_text())):  # lazy imports too (sklearn)
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.add(node.module.split(".")[0])
    third_party = {m for m in imported if m not in sys.stdlib_module_names}
    assert third_party == {"numpy", "datasets", "evaluate", "sklearn"}
    assert {pip_name.get(m, m) for m in third_party} <= required


def test_package_api_imports_neither_evaluate_nor_torch_nor_sklearn():
    code = (
        "import sys, numpy as np; from medmnist_hub import metrics; from medmnist_hub.metrics import trainer; "
        "metrics.compute('pathmnist', np.arange(18) % 9, np.random.default_rng(0).random((18, 9))); "
        "print(sorted(m for m in ('evaluate', 'torch', 'sklearn', 'transformers', 'datasets') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# --- documentation: card, docstring examples, docs section ----------------------------------------


def _front_matter(text: str) -> dict:
    match = re.match(r"---\n(.*?)\n---\n", text, re.S)
    assert match, "the card starts with a YAML block"
    return yaml.safe_load(match.group(1))


def test_card_yaml_is_a_valid_space_header():
    meta = _front_matter((MODULE_DIR / "README.md").read_text())
    assert meta["sdk"] == "gradio" and (MODULE_DIR / meta["app_file"]).is_file()
    # evaluate's launch_gradio_widget uses gr.inputs/gr.outputs, which gradio 4 removed
    assert int(str(meta["sdk_version"]).split(".")[0]) == 3
    assert {"evaluate", "metric"} <= set(meta["tags"]) and meta["title"] == "MedMNIST"
    assert meta["license"] == "apache-2.0" and len(meta["description"]) > 50


def _run_doctests(text: str, name: str, globs: dict) -> doctest.TestResults:
    parser = doctest.DocTestParser()
    test = parser.get_doctest(text, globs, name, name, 0)
    assert test.examples, f"no examples found in {name}"
    runner = doctest.DocTestRunner(optionflags=DOCTEST_FLAGS)
    runner.run(test)
    return runner.summarize(verbose=False)


def test_card_examples_run(evaluate_lib, monkeypatch):
    monkeypatch.chdir(MODULE_DIR.parent)  # evaluate.load("medmnist", ...) resolves this folder
    result = _run_doctests((MODULE_DIR / "README.md").read_text(), "README.md", {"evaluate": evaluate_lib})
    assert result.failed == 0 and result.attempted >= 15


def test_module_docstring_examples_run(evaluate_lib, monkeypatch):
    monkeypatch.chdir(MODULE_DIR.parent)
    metric = evaluate_lib.load("medmnist", "breastmnist")
    module = sys.modules[type(metric).__module__]
    result = doctest.testmod(module, extraglobs={"evaluate": evaluate_lib}, optionflags=DOCTEST_FLAGS)
    assert result.failed == 0 and result.attempted >= 12


def test_readme_metrics_section_examples_run():
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("\n## Metrics", 1)[1].split("\n## ", 1)[0]
    result = _run_doctests(section, "README.md (Metrics)", {})
    assert result.failed == 0 and result.attempted >= 15


def test_package_docstring_example_runs():
    result = doctest.testmod(sys.modules["medmnist_hub.metrics"], optionflags=DOCTEST_FLAGS)
    assert result.failed == 0 and result.attempted >= 2


# --- app.py: the standard widget, driven by a stand-in gradio 3 API -------------------------------


def _fake_gradio(calls: dict) -> types.ModuleType:
    gr = types.ModuleType("gradio")

    class Interface:
        def __init__(self, **kwargs):
            calls["interface"] = kwargs

        def launch(self):
            calls["launched"] = True

    gr.Interface = Interface
    gr.inputs = types.SimpleNamespace(Dataframe=lambda **kw: ("Dataframe", kw))
    gr.outputs = types.SimpleNamespace(Textbox=lambda **kw: ("Textbox", kw))
    return gr


@pytest.mark.parametrize("config", [None, "breastmnist"])
def test_app_launches_the_widget(evaluate_lib, monkeypatch, config):
    import pandas as pd

    calls: dict = {}
    monkeypatch.setitem(sys.modules, "gradio", _fake_gradio(calls))
    monkeypatch.setattr(sys, "path", [str(MODULE_DIR), *sys.path])  # a Space runs app.py from its folder
    if config:
        monkeypatch.setenv("MEDMNIST_CONFIG", config)
    else:
        monkeypatch.delenv("MEDMNIST_CONFIG", raising=False)
    runpy.run_path(str(MODULE_DIR / "app.py"), run_name="__main__")
    assert calls["launched"]
    interface = calls["interface"]
    kind, table = interface["inputs"]
    assert kind == "Dataframe" and list(table["headers"]) == ["predictions", "references"]
    assert interface["title"] == "Metric: medmnist" and "Metric Card for MedMNIST" in interface["article"]
    # what gradio hands the function: a table of strings (JSON for sequences) and numbers
    if config is None:
        assert table["datatype"] == ["str", "number"]
        data = pd.DataFrame(
            {
                "predictions": ["[0.7, 0.2, 0.1]", "[0.1, 0.8, 0.1]", "[0.2, 0.3, 0.5]", "[0.6, 0.3, 0.1]"],
                "references": [0, 1, 2, 1],
            }
        )
        expected = metrics.compute(
            "multi-class", [0, 1, 2, 1], [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]
        )
    else:
        assert table["datatype"] == ["number", "number"]
        data = pd.DataFrame({"predictions": [0.9, 0.2, 0.6, 0.4], "references": [1, 0, 1, 0]})
        expected = metrics.compute("breastmnist", [1, 0, 1, 0], [0.9, 0.2, 0.6, 0.4])
    assert interface["fn"](data) == expected


def test_subsets_cover_the_catalog():
    assert set(metrics.CONFIG_NAMES) - {"multi-class", "binary-class", "multi-label", "ordinal-regression"} == set(
        SUBSETS
    )
