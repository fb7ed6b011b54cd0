"""Reliability: whatever is thrown at the metric, it returns valid scores or raises its
documented error (``MetricInputError``, a ``ValueError``) - never another exception, a
NaN, or a value outside [0, 1]."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from medmnist_hub import metrics
from medmnist_hub.metrics import MetricInputError

CONFIGS = ["chestmnist", "breastmnist", "octmnist", "retinamnist", "organmnist3d_64", "multi-class", "binary-class",
           "multi-label", "ordinal-regression"]

_dtypes = st.sampled_from([np.float64, np.float32, np.float16, np.int64, np.uint8, np.bool_, np.int8])
_shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=16)
_floats = st.floats(allow_nan=True, allow_infinity=True, width=32)


@st.composite
def arrays(draw):
    dtype = draw(_dtypes)
    shape = draw(_shapes)
    if np.dtype(dtype).kind == "f":
        return draw(hnp.arrays(dtype, shape, elements=_floats))
    return draw(hnp.arrays(dtype, shape))


@st.composite
def plausible(draw):
    """Inputs of roughly the right shape (labels and scores agree on N), to go past the first checks."""
    n = draw(st.integers(0, 40))
    width = draw(st.sampled_from([1, 2, 4, 5, 11, 14]))
    labels = draw(hnp.arrays(np.int64, (n, draw(st.sampled_from([1, width]))), elements=st.integers(-1, 15)))
    scores = draw(hnp.arrays(np.float64, (n, width) if draw(st.booleans()) else (n,), elements=st.floats(-5, 5) | _floats))
    return labels, scores


def _check(config, y_true, y_score, **options):
    try:
        result = metrics.compute(config, y_true, y_score, **options)
    except MetricInputError as exc:
        assert str(exc), "an error without a message"
        return
    for key in ("auc", "acc"):
        value = result[key]
        assert isinstance(value, float) and math.isfinite(value) and 0.0 <= value <= 1.0, (key, value)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=st.sampled_from(CONFIGS), y_true=arrays(), y_score=arrays())
def test_arbitrary_arrays(config, y_true, y_score):
    _check(config, y_true, y_score)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=st.sampled_from(CONFIGS), pair=plausible(), per_class=st.booleans(), extra=st.booleans())
def test_plausible_but_wrong_inputs(config, pair, per_class, extra):
    labels, scores = pair
    _check(config, labels, scores, per_class=per_class, extra=extra)


@settings(max_examples=100, deadline=None)
@given(
    config=st.sampled_from(CONFIGS),
    y_true=st.recursive(st.integers(-3, 20) | st.floats() | st.text(max_size=2) | st.none(), lambda c: st.lists(c, max_size=5), max_leaves=20),
    y_score=st.recursive(st.floats() | st.integers() | st.text(max_size=2) | st.none(), lambda c: st.lists(c, max_size=5), max_leaves=20),
)
def test_ragged_and_non_numeric_python_objects(config, y_true, y_score):
    _check(config, y_true, y_score)


@pytest.mark.parametrize("option", [{"bootstrap": -1}, {"confidence": 2.0}, {"single_class": "maybe"}, {"nonsense": 1}])
def test_bad_options_are_documented_errors(option):
    with pytest.raises((MetricInputError, TypeError)):
        metrics.compute("breastmnist", [[0], [1]], [0.2, 0.8], **option)
