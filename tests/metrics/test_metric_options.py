"""Options beyond the official two: bootstrap intervals, extra metrics, config names, catalog facts."""

from __future__ import annotations

import numpy as np
import pytest

from medmnist_hub import metrics
from medmnist_hub.catalog import SUBSETS, TASKS, config_names
from medmnist_hub.metrics.medmnist import medmnist_scoring


def test_subset_table_equals_the_catalog():
    """The module cannot import medmnist_hub, so it carries a copy of these facts; it must equal the catalog."""
    expected = {key: (s.task, s.num_classes, s.sizes) for key, s in SUBSETS.items()}
    assert medmnist_scoring.SUBSETS == expected
    assert list(medmnist_scoring.SUBSETS) == list(SUBSETS)  # same order, so the error lists read the same
    assert set(medmnist_scoring.TASKS) == set(TASKS)


def test_every_config_name_resolves_to_its_subset():
    for config in config_names():
        spec = metrics.resolve_config(config)
        subset = SUBSETS[spec.subset]
        assert config.startswith(subset.key) and (spec.task, spec.num_classes) == (subset.task, subset.num_classes)
    assert metrics.resolve_config("ChestMNIST").subset == "chestmnist"
    for name, task in [
        ("multi-class", "multi-class"),
        ("binary-class", "binary-class"),
        ("multi-label", "multi-label, binary-class"),
        ("multi-label, binary-class", "multi-label, binary-class"),
        ("ordinal_regression", "ordinal-regression"),
    ]:
        spec = metrics.resolve_config(name)
        assert spec.task == task and spec.num_classes is None and spec.subset is None


def _model_like(n=400, classes=5, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, size=(n, 1))
    logits = rng.normal(size=(n, classes))
    logits[np.arange(n), y.ravel()] += 1.5  # better than chance
    return y, metrics.scores_from_logits("multi-class", logits)


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    y, s = _model_like()
    a = metrics.compute("retinamnist", y, s, bootstrap=200, seed=7)
    b = metrics.compute("retinamnist", y, s, bootstrap=200, seed=7)
    c = metrics.compute("retinamnist", y, s, bootstrap=200, seed=8)
    assert a == b and a["ci"] != c["ci"]
    assert a["bootstrap"] == {"method": "percentile", "confidence": 0.95, "resamples": 200, "used": 200, "seed": 7}
    for key in ("auc", "acc"):
        lo, hi = a["ci"][key]
        assert lo < a[key] < hi and hi - lo < 0.2
    narrow = metrics.compute("retinamnist", y, s, bootstrap=200, seed=7, confidence=0.5)["ci"]["auc"]
    assert a["ci"]["auc"][0] < narrow[0] < narrow[1] < a["ci"]["auc"][1]


def test_bootstrap_interval_is_the_percentile_of_resampled_official_values():
    """Re-derive one interval by hand: same rng stream, same resamples, official values, np.quantile."""
    y, s = _model_like(n=60, classes=3, seed=1)
    result = metrics.compute("multi-class", y, s, bootstrap=50, seed=3, confidence=0.9)
    rng = np.random.default_rng(3)
    aucs = []
    for _ in range(50):
        idx = rng.integers(0, 60, size=60)
        yy, ss = y[idx], s[idx]
        if all(np.any(yy == c) for c in range(3)):
            aucs.append(metrics.compute("multi-class", yy, ss)["auc"])
    assert result["bootstrap"]["used"] == len(aucs)
    tail = (1 - 0.9) / 2  # the code's own arithmetic (0.04999...): same quantile positions
    assert result["ci"]["auc"] == list(np.quantile(aucs, [tail, 1 - tail]))


def test_bootstrap_skips_resamples_where_auc_is_undefined():
    y = np.zeros((30, 1), dtype=np.uint8)
    y[0] = 1  # one positive: many resamples miss it
    s = np.linspace(0, 1, 30)
    result = metrics.compute("breastmnist", y, s, bootstrap=100, seed=0)
    assert 40 < result["bootstrap"]["used"] < 90


def test_extra_metrics_single_label_equal_sklearn():
    from sklearn.metrics import balanced_accuracy_score, f1_score, matthews_corrcoef, precision_score, recall_score

    y, s = _model_like(classes=5)
    result = metrics.compute("retinamnist", y, s, extra=True)
    assert set(result) == {"auc", "acc", "extra"}  # the official two stay apart
    pred, yt = np.argmax(s, axis=1), y.ravel()
    extra = result["extra"]
    assert extra["balanced_accuracy"] == balanced_accuracy_score(yt, pred)
    assert extra["macro_f1"] == f1_score(yt, pred, average="macro")
    assert extra["mcc"] == matthews_corrcoef(yt, pred)
    assert extra["precision"] == list(precision_score(yt, pred, average=None))
    assert extra["recall"] == list(recall_score(yt, pred, average=None))
    assert extra["mae"] == float(np.mean(np.abs(pred - yt)))  # ordinal regression only
    assert "mae" not in metrics.compute("multi-class", y, s, extra=True)["extra"]


def test_extra_metrics_binary_and_multilabel():
    from sklearn.metrics import balanced_accuracy_score, f1_score, matthews_corrcoef

    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 200)
    s = np.clip(y * 0.3 + rng.random(200) * 0.7, 0, 1)
    extra = metrics.compute("pneumoniamnist", y, s, extra=True)["extra"]
    pred = (s > 0.5).astype(int)
    assert extra["mcc"] == matthews_corrcoef(y, pred) and extra["macro_f1"] == f1_score(y, pred, average="macro")
    assert len(extra["precision"]) == len(extra["recall"]) == 2

    y = (rng.random((200, 14)) < 0.3).astype(np.uint8)
    s = np.clip(y * 0.4 + rng.random((200, 14)) * 0.6, 0, 1)
    extra = metrics.compute("chestmnist", y, s, extra=True)["extra"]
    pred = (s > 0.5).astype(int)
    per_label_ba = [balanced_accuracy_score(y[:, i], pred[:, i]) for i in range(14)]
    assert extra["balanced_accuracy"] == pytest.approx(np.mean(per_label_ba), abs=1e-15)
    assert extra["macro_f1"] == pytest.approx(f1_score(y, pred, average="macro"), abs=1e-15)
    assert extra["mcc"] == pytest.approx(
        np.mean([matthews_corrcoef(y[:, i], pred[:, i]) for i in range(14)]), abs=1e-15
    )
    assert len(extra["precision"]) == 14


def test_scores_from_logits_softmax_sigmoid():
    logits = np.array([[2.0, 0.0, -1.0], [1000.0, 0.0, -1000.0]])
    p = metrics.scores_from_logits("multi-class", logits)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(p[0], np.exp(logits[0]) / np.exp(logits[0]).sum())
    assert np.isfinite(p).all() and p[1, 0] == 1.0
    q = metrics.scores_from_logits("chestmnist", np.array([[0.0, 800.0, -800.0] + [0.0] * 11]))
    assert q[0, 0] == 0.5 and q[0, 1] == 1.0 and q[0, 2] == 0.0
    b = metrics.scores_from_logits("breastmnist", np.array([[0.0], [3.0]]))
    assert b.shape == (2,) and b[0] == 0.5  # a single-output binary head gets a sigmoid
    two = metrics.scores_from_logits("breastmnist", np.array([[0.0, 3.0]]))
    np.testing.assert_allclose(two[0, 1], 1 / (1 + np.exp(-3.0)))  # softmax of two logits = sigmoid of the difference
    with pytest.raises(metrics.MetricInputError, match="logits must be finite"):
        metrics.scores_from_logits("breastmnist", np.array([np.nan, 1.0]))


def test_sigmoid_has_the_bits_of_the_two_textbook_formulas():
    rng = np.random.default_rng(0)
    x = np.concatenate(
        [
            rng.normal(0.0, 3.0, 20_006),
            rng.normal(0.0, 300.0, 2_002),
            [0.0, -0.0, 5e-324, -5e-324, 1e-300, -1e-300, 36.7, -36.7, 709.0, -709.0, 745.0, -745.0, 1e308, -1e308],
        ]
    ).reshape(-1, 14)  # ChestMNIST's 14 labels
    with np.errstate(over="ignore", invalid="ignore"):
        expected = np.where(x >= 0, 1.0 / (1.0 + np.exp(-x)), np.exp(x) / (1.0 + np.exp(x)))
    got = metrics.scores_from_logits("chestmnist", x)
    assert np.array_equal(got.view(np.uint64), expected.view(np.uint64))


def test_citations_are_the_catalogs():
    """The module's citation and the card's BibTeX are the catalog's entries, not drifting copies."""
    import re

    from medmnist_hub import catalog
    from medmnist_hub.metrics import MODULE_DIR

    module_text = (MODULE_DIR / "medmnist.py").read_text()
    citation = re.search(r'_CITATION = """\\\n(.*?)"""', module_text, re.S).group(1)
    assert citation.strip() == catalog.bibtex(catalog.MEDMNIST_CITATION_KEYS).strip()
    card = (MODULE_DIR / "README.md").read_text()
    block = re.search(r"## Citation\n\n```bibtex\n(.*?)```", card, re.S).group(1)
    keys = list(catalog.MEDMNIST_CITATION_KEYS)
    for subset in catalog.SUBSETS.values():
        keys += [k for k in subset.source_citations if k not in keys]
    assert block == catalog.bibtex(keys)
