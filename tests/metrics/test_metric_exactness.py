"""The metric equals the official evaluator (medmnist 3.0.2 getAUC/getACC) to 1e-12.

ACC must be bit-identical (same counts, same summation order); AUC may differ only by
rounding: ours is the correctly rounded rank statistic, sklearn integrates a trapezoid.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from metric_cases import TASKS, cases
from support.real_data import REAL_CONFIGS, real_file_or_skip

from medmnist_hub import metrics
from medmnist_hub.catalog import SPLITS, get_subset
from medmnist_hub.npz_reader import NpzReader
from medmnist_hub.synthetic import synthetic_labels

TOLERANCE = 1e-12
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def assert_official(official, task, y, s, config=None):
    get_auc, get_acc = official
    ours = metrics.compute(config or task, y, s)
    auc, acc = get_auc(y, s, task), get_acc(y, s, task)
    assert abs(ours["auc"] - auc) <= TOLERANCE, (ours["auc"], auc)
    assert ours["acc"] == acc, (ours["acc"], acc)
    assert type(ours["auc"]) is float and type(ours["acc"]) is float
    return ours


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("flavour", ["random", "continuous"])
@PROPERTY_SETTINGS
@given(data=st.data())
def test_random_scores_match_official(official, task, flavour, data):
    _, y, s = data.draw(cases(task, flavour))
    assert_official(official, task, y, s)


@pytest.mark.parametrize("task", TASKS)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_tie_heavy_scores_match_official(official, task, data):
    _, y, s = data.draw(cases(task, "ties"))
    assert_official(official, task, y, s)


@pytest.mark.parametrize("flavour", ["random", "continuous", "ties"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_binary_score_layouts_agree(official, flavour, data):
    """(N,), (N, 1) and (N, 2) with the positive class last are the same binary scores."""
    _, y, s = data.draw(cases("binary-class", flavour))
    positive = s if s.ndim == 1 else s[:, -1]
    expected = assert_official(official, "binary-class", y, positive)
    assert metrics.compute("breastmnist", y, positive.reshape(-1, 1)) == expected
    two = np.stack([positive[::-1], positive], axis=1)  # the first column is ignored
    assert metrics.compute("breastmnist", y.ravel(), two) == expected


@pytest.mark.parametrize("config,subset,size", REAL_CONFIGS)
@pytest.mark.parametrize("split", SPLITS)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(seed=st.integers(0, 2**32 - 1), flavour=st.sampled_from(["random", "float32", "ties", "logits"]))
def test_real_label_arrays_match_official(official, config, subset, size, split, seed, flavour):
    """The official label arrays of the real files, scored with random and tie-heavy predictions."""
    path = real_file_or_skip(config)
    with NpzReader(path) as reader:
        y = reader.read(f"{split}_labels")
    sub = get_subset(subset)
    assert y.shape == (sub.split_sizes[split], sub.label_width) and y.dtype == np.uint8
    rng = np.random.default_rng(seed)
    width = 2 if sub.task == "binary-class" else sub.num_classes
    logits = rng.normal(0.0, 3.0, size=(len(y), width))
    s = {
        "random": metrics.scores_from_logits(subset, logits),
        "float32": metrics.scores_from_logits(subset, logits).astype(np.float32),
        "ties": np.round(metrics.scores_from_logits(subset, logits), 1),
        "logits": logits,
    }[flavour]
    assert_official(official, sub.task, y, s, config=config)


@pytest.mark.parametrize(
    "subset,n", [("chestmnist", 22_433), ("pathmnist", 7_180), ("tissuemnist", 47_280), ("retinamnist", 400)]
)
def test_full_test_split_shapes_match_official(official, subset, n):
    """Official-format labels at the real test-split sizes; float32 model-like scores."""
    sub = get_subset(subset)
    rng = np.random.default_rng(n)
    y = synthetic_labels(sub, n, rng)
    logits = rng.normal(0.0, 2.0, size=(n, sub.num_classes)).astype(np.float32)
    s = metrics.scores_from_logits(subset, logits).astype(np.float32)
    ours = assert_official(official, sub.task, y, s, config=subset)
    ours_ties = assert_official(official, sub.task, y, np.round(s, 2), config=subset)
    assert 0.45 < ours["auc"] < 0.55 and 0.45 < ours_ties["auc"] < 0.55  # random scores: chance level


def test_per_class_values_are_sklearn_roc_auc_per_column():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(3)
    y = rng.integers(0, 4, size=(300, 1))
    s = np.round(rng.random((300, 4)), 2)
    result = metrics.compute("octmnist", y, s, per_class=True)
    expected = [roc_auc_score(y.ravel() == c, s[:, c]) for c in range(4)]
    np.testing.assert_allclose(result["auc_per_class"], expected, rtol=0, atol=TOLERANCE)
    recall = [np.mean(np.argmax(s[y.ravel() == c], axis=1) == c) for c in range(4)]
    assert result["acc_per_class"] == recall

    yml = (rng.random((300, 14)) < 0.2).astype(np.uint8)
    sml = rng.random((300, 14)).astype(np.float32)
    result = metrics.compute("chestmnist", yml, sml, per_class=True)
    expected = [roc_auc_score(yml[:, i], sml[:, i]) for i in range(14)]
    np.testing.assert_allclose(result["auc_per_class"], expected, rtol=0, atol=TOLERANCE)
    assert result["acc_per_class"] == [float(np.mean((sml[:, i] > 0.5) == yml[:, i])) for i in range(14)]
    assert result["acc"] == sum(result["acc_per_class"]) / 14
