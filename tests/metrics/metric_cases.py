"""Hypothesis strategies for metric inputs (imported as ``metric_cases``).

Every case has both classes in every column the official AUC averages (otherwise the
AUC is undefined; that case has its own tests).  Scores come in three flavours:
"random" (hypothesis floats of any sign and width: extremes, subnormals, repeats),
"continuous" (seeded normal draws, float64 or float32: the no-tie regime of real model
outputs) and "ties" (a handful of values, with -0.0 beside 0.0 and the 0.5 threshold
itself, so most scores tie).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from medmnist_hub.metrics.medmnist.medmnist_scoring import BINARY_CLASS, MULTI_CLASS, MULTI_LABEL, ORDINAL_REGRESSION

TASKS = (MULTI_CLASS, BINARY_CLASS, MULTI_LABEL, ORDINAL_REGRESSION)
TIE_VALUES = (-1.0, -0.5, -0.0, 0.0, 0.25, 0.5, 0.75, 1.0)


@st.composite
def scores(draw, shape, flavour):
    if flavour == "ties":
        values = draw(hnp.arrays(np.float64, shape, elements=st.sampled_from(TIE_VALUES)))
        return values if draw(st.booleans()) else np.abs(values)  # all >= 0, or both signs
    if flavour == "continuous":
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        values = rng.normal(0.0, 2.0, size=shape)
        if draw(st.booleans()):
            values = 1.0 / (1.0 + np.exp(-values))  # probabilities, all >= 0
        return values.astype(draw(st.sampled_from([np.float64, np.float32])))
    dtype = draw(st.sampled_from([np.float64, np.float64, np.float32, np.float16]))
    width = np.dtype(dtype).itemsize * 8
    bound = float(np.finfo(dtype).max) / 4  # representable at this width; sums of two stay finite
    low = draw(st.sampled_from([-bound, 0.0]))
    elements = st.floats(low, bound, allow_nan=False, allow_infinity=False, width=width)
    return draw(hnp.arrays(dtype, shape, elements=elements))


@st.composite
def labels(draw, task, n, c):
    """Official-layout labels with both classes in every AUC column, rows shuffled."""
    if task == MULTI_LABEL:
        y = draw(hnp.arrays(np.uint8, (n, c), elements=st.integers(0, 1)))
        y[0], y[1] = 1, 0
    elif task == BINARY_CLASS:
        y = draw(hnp.arrays(np.uint8, (n, 1), elements=st.integers(0, 1)))
        y[0], y[1] = 1, 0
    else:
        y = draw(hnp.arrays(np.uint8, (n, 1), elements=st.integers(0, c - 1)))
        y[:c, 0] = np.arange(c)
    order = np.array(draw(st.permutations(range(n))))
    return y[order]


@st.composite
def cases(draw, task, flavour):
    """(task, y_true, y_score) in the official layout for ``task``."""
    c = draw(st.integers(2, 6))
    n = draw(st.integers(max(2, c), 80))
    y = draw(labels(task, n, c))
    if task == BINARY_CLASS:
        shape = draw(st.sampled_from([(n,), (n, 2)]))
    else:
        shape = (n, c)
    return task, y, draw(scores(shape, flavour))
