"""What ``evaluate`` refuses or flags: partial test sets (--limit), label orders, split names.

Real files (BreastMNIST, RetinaMNIST) and timm's tiny ``test_resnet`` exported in the
baselines' format; every score is compared with the same model evaluated the plain way.
"""

from __future__ import annotations

import yaml
from evaluation_support import timm_checkpoint
from support.real_data import SHARED_DATA, real_file_or_skip, require

torch = require("torch")
timm = require("timm")

from medmnist_hub.cli import main  # noqa: E402
from medmnist_hub.results.records import read_records  # noqa: E402


def _evaluate(model_dir, out, *extra: str) -> int:
    return main(
        ["evaluate", str(model_dir), "--subsets", "breastmnist", "--source-dir", str(SHARED_DATA), "--offline",
         "--out", str(out), "--model-id", "lab/tiny", *extra]
    )  # fmt: skip


def test_limit_keeps_a_flagged_local_record_and_writes_no_eval_results(tmp_path, capsys):
    real_file_or_skip("breastmnist")
    model_dir, _ = timm_checkpoint(tmp_path, "breastmnist")
    out = tmp_path / "partial"
    assert _evaluate(model_dir, out, "--limit", "20") == 0
    printed = capsys.readouterr().out
    (rec,) = read_records(out, schema_only=True)
    assert rec.dataset.n_examples == 20 and rec.is_partial
    assert rec.extra["partial"] is True
    assert rec.extra["notes"] == "evaluated on the first 20 of the 156 test examples (--limit 20): not a benchmark result"
    assert not (out / "lab--tiny" / ".eval_results").exists()
    assert "no .eval_results written: breastmnist: evaluated on 20 of the 156 examples" in printed
    assert "to submit" not in printed

    # A limit at least as large as the split is the whole split: a normal, publishable result.
    full = tmp_path / "full"
    assert _evaluate(model_dir, full, "--limit", "1000") == 0
    (rec,) = read_records(full, schema_only=True)
    assert rec.dataset.n_examples == 156 and not rec.is_partial and "extra" not in rec.to_dict()
    entries = yaml.safe_load((full / "lab--tiny" / ".eval_results" / "medmnist.yaml").read_text())
    assert [e["dataset"]["task_id"] for e in entries] == ["breastmnist_auc", "breastmnist_acc"]


def _lm(model_dir):
    from medmnist_hub.evaluation.runner import load_model

    return load_model(str(model_dir))


def test_a_model_with_another_label_order_is_scored_in_the_catalog_order(tmp_path):
    from medmnist_hub.catalog import get_subset
    from medmnist_hub.evaluation.runner import evaluate_config

    real_file_or_skip("retinamnist")
    names = get_subset("retinamnist").label_names
    reference, _ = timm_checkpoint(tmp_path / "a", "retinamnist")
    # The same network with its output units in another order, named accordingly:
    # column j of the new model is column perm[j] of the reference, i.e. label names[perm[j]].
    perm = [2, 0, 4, 1, 3]
    shuffled, _ = timm_checkpoint(tmp_path / "b", "retinamnist", permutation=perm, label_names=[names[i] for i in perm])
    expected = evaluate_config(_lm(reference), "retinamnist", source_dirs=[SHARED_DATA], batch_size=200)
    assert expected.notes == []
    got = evaluate_config(_lm(shuffled), "retinamnist", source_dirs=[SHARED_DATA], batch_size=200)
    assert (got.auc, got.acc) == (expected.auc, expected.acc) or (
        abs(got.auc - expected.auc) < 1e-9 and abs(got.acc - expected.acc) < 1e-12
    )
    assert got.notes == [
        "label order: the model's outputs ['2', '0', '4', '1', '3'] were reordered to RetinaMNIST's order "
        "['0', '1', '2', '3', '4'] before scoring"
    ]


def test_label_names_that_differ_are_refused_and_generic_ones_pass_with_a_warning(tmp_path, caplog):
    import pytest

    from medmnist_hub.evaluation.runner import EvaluationError, evaluate_config

    real_file_or_skip("breastmnist")
    wrong, _ = timm_checkpoint(tmp_path / "a", "breastmnist", label_names=["benign", "malignant"])
    with pytest.raises(EvaluationError) as err:
        evaluate_config(_lm(wrong), "breastmnist", source_dirs=[SHARED_DATA], limit=8)
    assert str(err.value) == (
        f"{wrong}: its label names ['benign', 'malignant'] are not BreastMNIST's ['malignant', 'normal, benign'] "
        "(not the same labels in any order): it was not trained for breastmnist"
    )

    named, _ = timm_checkpoint(tmp_path / "b", "breastmnist")
    generic, _ = timm_checkpoint(tmp_path / "c", "breastmnist", label_names=["LABEL_0", "LABEL_1"])
    expected = evaluate_config(_lm(named), "breastmnist", source_dirs=[SHARED_DATA])
    with caplog.at_level("WARNING"):
        got = evaluate_config(_lm(generic), "breastmnist", source_dirs=[SHARED_DATA])
    assert (got.auc, got.acc) == (expected.auc, expected.acc)
    note = (
        "label order: the model's label names ['LABEL_0', 'LABEL_1'] are generic; assumed to follow BreastMNIST's "
        "order ['malignant', 'normal, benign']"
    )
    assert got.notes == [note] and note in caplog.text


def test_validation_is_accepted_as_the_val_split(tmp_path, capsys):
    from medmnist_hub.evaluation.runner import evaluate_config

    real_file_or_skip("breastmnist")
    model_dir, _ = timm_checkpoint(tmp_path, "breastmnist")
    lm = _lm(model_dir)
    res = evaluate_config(lm, "breastmnist", split="validation", source_dirs=[SHARED_DATA])
    assert res.split == "val" and res.n_examples == 78 and not res.partial
    val = evaluate_config(lm, "breastmnist", split="val", source_dirs=[SHARED_DATA])
    assert (res.auc, res.acc) == (val.auc, val.acc)

    out = tmp_path / "out"
    assert _evaluate(model_dir, out, "--split", "validation") == 0
    (rec,) = read_records(out, schema_only=True)
    assert rec.dataset.split == "val" and rec.dataset.n_examples == 78
    assert rec.metrics.auc == val.auc
    assert not (out / "lab--tiny" / ".eval_results").exists()  # the benchmark's tasks are test-split tasks
