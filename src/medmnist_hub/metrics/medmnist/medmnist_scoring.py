"""MedMNIST's official AUC and ACC, computed exactly and fast with numpy alone.

This file is the one implementation behind both the ``evaluate`` module (``medmnist.py``
in this folder, which imports it) and the ``medmnist_hub.metrics`` Python API.  It needs
only numpy, so the package API does not pay for ``import evaluate`` (which pulls in
transformers and torch), and it is copied next to ``medmnist.py`` when ``evaluate.load``
runs the module or when the folder is published as a Space.  It must not import
``medmnist_hub``: the facts it needs about the subsets are the literal table below, which
a test checks against ``medmnist_hub.catalog``.

Semantics (those of the official ``medmnist`` evaluator, v3.0.2, ``getAUC``/``getACC``):

* multi-label, binary-class (ChestMNIST): AUC is the mean over labels of the per-label
  ROC AUC; ACC is the mean over labels of the per-label accuracy of ``score > 0.5``.
* binary-class: scores are (N,) or (N, 2) (the last column is the positive class);
  AUC is the ROC AUC, ACC the accuracy of ``score > 0.5``.
* multi-class and ordinal-regression: AUC is the unweighted mean over class columns of
  the one-vs-rest ROC AUC (scores need not sum to 1); ACC is the accuracy of the argmax
  (the first maximum on ties).

ROC AUC here is the Mann-Whitney statistic with tied scores counted as one half, which
is the area under the trapezoidal ROC curve that scikit-learn integrates; it is computed
from integer rank sums, so each AUC is the correctly rounded value of the exact
fraction.  scikit-learn's trapezoid sum rounds at every step, so the two may differ in
the last bits (measured: at most a few 1e-16).  Means over labels/classes are summed in
the same order as the official code, so ACC is bit-identical.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

MULTI_CLASS = "multi-class"
BINARY_CLASS = "binary-class"
MULTI_LABEL = "multi-label, binary-class"
ORDINAL_REGRESSION = "ordinal-regression"
TASKS = (MULTI_CLASS, BINARY_CLASS, MULTI_LABEL, ORDINAL_REGRESSION)

#: Config names of the four task types (the official task strings, plus "multi-label").
TASK_CONFIGS = {
    "multi-class": MULTI_CLASS,
    "binary-class": BINARY_CLASS,
    "multi-label": MULTI_LABEL,
    "multi-label, binary-class": MULTI_LABEL,
    "ordinal-regression": ORDINAL_REGRESSION,
}

#: subset -> (task, number of classes (labels for ChestMNIST), image sizes).
#: A copy of facts from ``medmnist_hub.catalog``; ``tests/metrics`` asserts equality.
SUBSETS = {
    "pathmnist": (MULTI_CLASS, 9, (28, 64, 128, 224)),
    "chestmnist": (MULTI_LABEL, 14, (28, 64, 128, 224)),
    "dermamnist": (MULTI_CLASS, 7, (28, 64, 128, 224)),
    "octmnist": (MULTI_CLASS, 4, (28, 64, 128, 224)),
    "pneumoniamnist": (BINARY_CLASS, 2, (28, 64, 128, 224)),
    "retinamnist": (ORDINAL_REGRESSION, 5, (28, 64, 128, 224)),
    "breastmnist": (BINARY_CLASS, 2, (28, 64, 128, 224)),
    "bloodmnist": (MULTI_CLASS, 8, (28, 64, 128, 224)),
    "tissuemnist": (MULTI_CLASS, 8, (28, 64, 128, 224)),
    "organamnist": (MULTI_CLASS, 11, (28, 64, 128, 224)),
    "organcmnist": (MULTI_CLASS, 11, (28, 64, 128, 224)),
    "organsmnist": (MULTI_CLASS, 11, (28, 64, 128, 224)),
    "organmnist3d": (MULTI_CLASS, 11, (28, 64)),
    "nodulemnist3d": (BINARY_CLASS, 2, (28, 64)),
    "adrenalmnist3d": (BINARY_CLASS, 2, (28, 64)),
    "fracturemnist3d": (MULTI_CLASS, 3, (28, 64)),
    "vesselmnist3d": (BINARY_CLASS, 2, (28, 64)),
    "synapsemnist3d": (BINARY_CLASS, 2, (28, 64)),
}

#: Every config name ``evaluate.load(path, name)`` accepts (``<subset>_<size>`` too).
CONFIG_NAMES = ("multi-class", "binary-class", "multi-label", "ordinal-regression", *SUBSETS)

#: Score above which a binary or per-label prediction counts as positive (official).
THRESHOLD = 0.5

SINGLE_CLASS_CHOICES = ("raise", "nan")


class MedMNISTMetricError(ValueError):
    """Inputs the MedMNIST metric cannot score; the message says what was expected and received."""


@dataclass(frozen=True)
class MetricSpec:
    """What a config name fixes: the task, and for a subset its number of classes."""

    config_name: str
    task: str
    num_classes: int | None = None  # None: taken from the score columns (task configs)
    subset: str | None = None

    @property
    def is_multilabel(self) -> bool:
        return self.task == MULTI_LABEL

    def describe(self) -> str:
        if self.subset is None:
            return f"task {self.task!r}"
        unit = "labels" if self.is_multilabel else "classes"
        return f"{self.subset}: {self.task}, {self.num_classes} {unit}"


_SIZED_CONFIG = re.compile(r"^([a-z0-9]+)_(\d+)$")


def resolve_config(config_name: str | None) -> MetricSpec:
    """Map a config name (task type, subset, or ``<subset>_<size>``) to a :class:`MetricSpec`."""
    if not isinstance(config_name, str) or not config_name.strip() or config_name.strip().lower() == "default":
        raise MedMNISTMetricError(
            f"the MedMNIST metric needs a config name; received {config_name!r}. Expected a task type "
            f"({', '.join(CONFIG_NAMES[:4])}) or a subset ({', '.join(SUBSETS)}), "
            "e.g. evaluate.load(<path>, 'chestmnist')."
        )
    key = config_name.strip().lower()
    task = TASK_CONFIGS.get(key) or TASK_CONFIGS.get(key.replace("_", "-"))
    if task is not None:
        return MetricSpec(config_name=key, task=task)
    subset, size = key, None
    match = _SIZED_CONFIG.match(key)
    if match and match.group(1) in SUBSETS:
        subset, size = match.group(1), int(match.group(2))
    if subset not in SUBSETS:
        raise MedMNISTMetricError(
            f"unknown MedMNIST metric config {config_name!r}. Expected a task type "
            f"({', '.join(CONFIG_NAMES[:4])}) or a subset ({', '.join(SUBSETS)})."
        )
    task, num_classes, sizes = SUBSETS[subset]
    if size is not None and (size not in sizes or size == 28):
        raise MedMNISTMetricError(
            f"config {config_name!r}: {subset} has no size-suffixed config for {size} px; "
            f"expected {subset!r} or one of {', '.join(f'{subset}_{s}' for s in sizes if s != 28)}."
        )
    return MetricSpec(config_name=key, task=task, num_classes=num_classes, subset=subset)


# --------------------------------------------------------------------------- inputs


def _fail(spec: MetricSpec, message: str) -> MedMNISTMetricError:
    return MedMNISTMetricError(f"MedMNIST metric [{spec.describe()}]: {message}")


def as_numeric_array(values, what: str, spec: MetricSpec) -> np.ndarray:
    """A numpy view of lists, numpy arrays or (CPU/GPU, any dtype) torch tensors."""
    if hasattr(values, "detach") and hasattr(values, "cpu"):  # torch.Tensor, without importing torch
        values = values.detach().cpu()
        if str(getattr(values, "dtype", "")) == "torch.bfloat16":
            values = values.float()
        values = values.numpy()
    try:
        array = np.asarray(values)
    except ValueError as exc:  # ragged nested lists
        raise _fail(spec, f"{what} must be a rectangular array; received rows of different lengths ({exc})") from None
    if array.dtype == object and array.ndim == 0:  # None, a dict, a string wrapped as an object
        raise _fail(spec, f"{what} must be an array of numbers; received {type(values).__name__}")
    if array.dtype == object:  # e.g. a list of per-example arrays, or a pandas object column
        try:
            array = np.stack([np.asarray(row, dtype=np.float64) for row in array]) if len(array) else array
        except (ValueError, TypeError):
            lengths = sorted({np.size(row) for row in array})
            raise _fail(
                spec, f"{what} must be a rectangular numeric array; received rows of lengths {lengths}"
            ) from None
    if array.dtype.kind not in "biuf" and not (array.dtype == object and array.size == 0):
        raise _fail(spec, f"{what} must be numeric; received dtype {array.dtype}")
    return array


def _first_bad(mask: np.ndarray) -> str:
    index = tuple(int(i) for i in np.argwhere(mask)[0])
    return f"row {index[0]}" + (f", column {index[1]}" if len(index) > 1 else "")


def _check_finite(spec: MetricSpec, scores: np.ndarray, what: str = "predictions") -> None:
    if not np.isfinite(scores).all():
        bad = ~np.isfinite(scores)
        raise _fail(
            spec,
            f"{what} must be finite numbers; received {int(bad.sum())} NaN/inf value(s), the first at "
            f"{_first_bad(bad)} ({scores[tuple(np.argwhere(bad)[0])].item()!r})",
        )


def _labels(spec: MetricSpec, refs: np.ndarray, low: int, high: int, meaning: str, dtype=np.int64) -> np.ndarray:
    """Integer labels in [low, high] as ``dtype``; floats are accepted only when integer-valued."""
    if refs.dtype.kind == "f":
        bad = ~np.isfinite(refs) | (refs != np.round(refs))
        if bad.any():
            raise _fail(
                spec,
                f"references must be integer {meaning}; received {refs[tuple(np.argwhere(bad)[0])].item()!r} at "
                f"{_first_bad(bad)}",
            )
    bad = (refs < low) | (refs > high)
    if bad.any():
        raise _fail(
            spec,
            f"references must be {meaning} in {low}..{high}; received {refs[tuple(np.argwhere(bad)[0])].item()!r} "
            f"at {_first_bad(bad)} ({int(bad.sum())} value(s) out of range)",
        )
    return refs.astype(dtype, copy=False)


def normalize_inputs(spec: MetricSpec, references, predictions) -> tuple[np.ndarray, np.ndarray]:
    """Validate and bring inputs to one layout per task.

    Returns ``(y, s)``: multi-label ``(N, C)`` uint8 0/1 labels and ``(N, C)`` scores;
    binary ``(N,)`` int64 labels and ``(N,)`` positive-class scores; multi-class and
    ordinal ``(N,)`` int64 class indices and ``(N, C)`` scores.  Scores stay float16/32/64
    as given (other numeric types become float64).
    """
    s = as_numeric_array(predictions, "predictions", spec)
    y = as_numeric_array(references, "references", spec)
    if s.ndim == 0 or y.ndim == 0:
        raise _fail(spec, "predictions and references must be arrays with one row per example; received scalars")
    if s.shape[0] != y.shape[0]:
        raise _fail(
            spec,
            f"predictions and references must have the same number of examples; received {s.shape[0]} "
            f"predictions (shape {s.shape}) and {y.shape[0]} references (shape {y.shape})",
        )
    if s.shape[0] == 0:
        raise _fail(spec, "received 0 examples; AUC and ACC need at least one example of each class")
    if s.dtype.kind != "f" or s.dtype.itemsize > 8:  # float16/32/64 are scored as given (their order is exact)
        s = s.astype(np.float64)
    n = s.shape[0]

    if spec.task == MULTI_LABEL:
        width = spec.num_classes
        if s.ndim != 2 or (width is not None and s.shape[1] != width):
            want = f"(N, {width})" if width else "(N, C)"
            raise _fail(spec, f"predictions must have shape {want}, one score per label; received shape {s.shape}")
        if y.shape != s.shape:
            raise _fail(
                spec,
                f"references must be the multi-hot label array of shape {(n, s.shape[1])}, like predictions; "
                f"received shape {y.shape}",
            )
        _check_finite(spec, s)
        return _labels(spec, y, 0, 1, "0/1 label indicators", np.uint8), s

    if y.ndim > 2 or (y.ndim == 2 and y.shape[1] != 1):
        raise _fail(spec, f"references must be class indices of shape (N,) or (N, 1); received shape {y.shape}")
    y = y.reshape(n)

    if spec.task == BINARY_CLASS:
        if s.ndim == 1:
            pass
        elif s.ndim == 2 and s.shape[1] in (1, 2):
            s = s[:, -1]
        else:
            raise _fail(
                spec,
                "predictions must be positive-class scores of shape (N,) or (N, 1), or two class scores of "
                f"shape (N, 2) whose last column is the positive class; received shape {s.shape}",
            )
        _check_finite(spec, s)
        return _labels(spec, y, 0, 1, "class indices"), np.ascontiguousarray(s)

    width = spec.num_classes
    if s.ndim != 2 or (width is not None and s.shape[1] != width) or (width is None and s.shape[1] < 2):
        want = f"(N, {width})" if width else "(N, C) with C >= 2"
        raise _fail(spec, f"predictions must have shape {want}, one score per class; received shape {s.shape}")
    _check_finite(spec, s)
    return _labels(spec, y, 0, s.shape[1] - 1, "class indices"), s


# --------------------------------------------------------------------------- metrics


def roc_auc_columns(scores: np.ndarray, positive: np.ndarray | None = None, labels: np.ndarray | None = None):
    """ROC AUC of each column of ``scores`` (N, K), as ``sklearn.metrics.roc_auc_score`` defines it.

    The positives of column k are ``positive[:, k]`` (a boolean (N, K) array) or, for
    one-vs-rest, ``labels == k`` (class indices (N,)).  The AUC is the Mann-Whitney
    statistic U / (n1 n0), where U counts the (positive, negative) pairs ordered
    correctly plus one half per tied pair: exactly the area under the trapezoidal ROC
    curve scikit-learn integrates.  2U is an integer computed without rounding, so each
    AUC is the correctly rounded value of the exact fraction.  NaN where a column holds
    a single class (AUC undefined).  Columns are processed one at a time so temporary
    arrays stay small and get reused: fresh multi-MB arrays cost page faults that
    would dominate the run time.
    """
    n, k = scores.shape
    aucs = np.empty(k, dtype=np.float64)
    all_nonnegative = bool(scores.min() >= 0)  # -0.0 counts as non-negative
    for col in range(k):
        is_pos = positive[:, col] if labels is None else labels == col
        twice_u, n_pos = _twice_u(scores[:, col], is_pos, all_nonnegative)
        denominator = 2 * n_pos * (n - n_pos)
        aucs[col] = twice_u / denominator if denominator else np.nan
    return aucs


def _twice_u(scores: np.ndarray, is_pos: np.ndarray, nonnegative: bool = False) -> tuple[int, int]:
    """2U (twice the Mann-Whitney U) and n1 for one column of finite float scores.

    The IEEE-754 bits of a float, read as an unsigned integer of the same width and
    shifted left by one, sort like the magnitude of the float: the sign bit falls off
    (so -0.0 meets +0.0) and the freed lowest bit takes the label.  For scores >= 0
    that is the order of the scores.  Scores of both signs never tie across zero, so
    the column splits into its scores >= 0 and its scores < 0 (sorted by magnitude,
    i.e. in reverse, which turns U into n1 n0 - U), plus the pairs across the two
    sides, where every positive >= 0 beats every negative example < 0.
    """
    keys = scores.view(f"u{scores.dtype.itemsize}") << 1
    keys |= is_pos
    if nonnegative or scores.min() >= 0:
        return _twice_u_of_keys(keys)
    below = scores < 0
    pad = np.iinfo(keys.dtype).max - 1  # even (a negative) and above every finite score's key
    twice_u_above, pos_above = _twice_u_of_keys(np.where(below, pad, keys))
    twice_u_reversed, pos_below = _twice_u_of_keys(np.where(below, keys, pad))
    neg_below = int(np.count_nonzero(below)) - pos_below
    twice_u_below = 2 * pos_below * neg_below - twice_u_reversed
    return twice_u_above + twice_u_below + 2 * pos_above * neg_below, pos_above + pos_below


def _twice_u_of_keys(keys: np.ndarray) -> tuple[int, int]:
    """2U and n1 from (score magnitude << 1 | label) keys; sorts ``keys`` in place.

    After sorting, each group of tied scores lists its negatives before its positives,
    and a positive at sorted position i has i - j negatives before it (j: positives
    before it).  So 2U = 2 * sum(i over positives) - n1 (n1 - 1) - the sum over tie
    groups of positives x negatives, where only groups holding both classes count;
    each shows up once, as neighbouring keys that differ in the label bit alone.
    Padding keys (even, above every real key) may follow the real ones: they hold no
    positive and tie with none.
    """
    keys.sort()
    work = keys & 1
    n_pos = int(np.count_nonzero(work))
    index_sum = int(work.astype(np.int64, copy=False) @ np.arange(keys.size, dtype=np.int64))
    twice_u = 2 * index_sum - n_pos * (n_pos - 1)
    np.bitwise_xor(keys[1:], keys[:-1], out=work[1:])
    last_neg = np.flatnonzero(work[1:] == 1)  # last negative of each tie group holding both classes
    if last_neg.size:
        group_key = keys[last_neg]  # even: the key of the group's negatives
        start = np.searchsorted(keys, group_key, "left")
        stop = np.searchsorted(keys, group_key | 1, "right")
        twice_u -= int(((last_neg + 1 - start) * (stop - last_neg - 1)).sum())
    return twice_u, n_pos


def _ordered_mean(values) -> float:
    """Mean with the official evaluator's summation order (a Python loop from 0)."""
    total = 0
    values = list(values)
    for v in values:
        total += v
    return total / len(values)


@dataclass
class OfficialValues:
    auc_columns: np.ndarray  # the values the official AUC averages (one for binary)
    correct: np.ndarray  # per label (multi-label) or overall (one entry) counts of correct predictions
    n: int

    @property
    def auc(self) -> float:
        return float(_ordered_mean(self.auc_columns.tolist()))

    @property
    def acc(self) -> float:
        return float(_ordered_mean([c / self.n for c in self.correct.tolist()]))


def predicted_labels(task: str, s: np.ndarray) -> np.ndarray:
    """The hard predictions behind ACC: ``score > 0.5`` (binary, multi-label) or argmax."""
    if task in (BINARY_CLASS, MULTI_LABEL):
        return (s > THRESHOLD).astype(np.int64)
    return np.argmax(s, axis=1)


def _column_counts(mask: np.ndarray) -> np.ndarray:
    """True values per column of a boolean (N, K) array.

    A float32 matrix-vector product is exact while the counts stay below 2**24 and runs
    several times faster than a boolean reduction along axis 0.
    """
    if mask.shape[0] < 2**24:
        return (np.ones(mask.shape[0], dtype=np.float32) @ mask.astype(np.float32)).astype(np.int64)
    return np.count_nonzero(mask, axis=0)


def official_values(task: str, y: np.ndarray, s: np.ndarray) -> OfficialValues:
    """Per-column AUCs and correct counts from normalized inputs (see :func:`normalize_inputs`)."""
    n = y.shape[0]
    if task == MULTI_LABEL:
        positive = y == 1
        aucs = roc_auc_columns(s, positive)
        correct = _column_counts((s > THRESHOLD) == positive)
    elif task == BINARY_CLASS:
        positive = y == 1
        aucs = roc_auc_columns(s.reshape(n, 1), positive.reshape(n, 1))
        correct = np.array([np.count_nonzero((s > THRESHOLD) == positive)])
    else:
        aucs = roc_auc_columns(s, labels=y)
        correct = np.array([np.count_nonzero(np.argmax(s, axis=1) == y)])
    return OfficialValues(aucs, correct, n)


def _single_class_error(spec: MetricSpec, y: np.ndarray, aucs: np.ndarray) -> MedMNISTMetricError:
    bad = [int(i) for i in np.flatnonzero(np.isnan(aucs))]
    n = y.shape[0]
    if spec.task == MULTI_LABEL:
        details = [f"label {i}: all {n} references are {int(y[0, i])}" for i in bad]
        where = "a label column"
    elif spec.task == BINARY_CLASS:
        details = [f"all {n} references are class {int(y[0])}"]
        where = "the label column"
    else:
        details = [f"class {i}: no example among {n} references" for i in bad]
        where = "a class column"
    shown = "; ".join(details[:5]) + (f"; and {len(details) - 5} more" if len(details) > 5 else "")
    return _fail(
        spec,
        f"ROC AUC is undefined when {where} holds a single class ({shown}). Expected both classes in every "
        "column the official AUC averages. Pass single_class='nan' to get NaN for such columns (and for the "
        "mean), which is what the official evaluator returns with scikit-learn >= 1.6.",
    )


def check_options(spec: MetricSpec, bootstrap=0, confidence=0.95, single_class="raise") -> None:
    """Reject option values :func:`compute` cannot honour, naming the option and the value."""
    if single_class not in SINGLE_CLASS_CHOICES:
        raise _fail(spec, f"single_class must be one of {SINGLE_CLASS_CHOICES}; received {single_class!r}")
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, (int, np.integer)) or bootstrap < 0:
        raise _fail(spec, f"bootstrap must be a number of resamples >= 0; received {bootstrap!r}")
    if not (isinstance(confidence, (float, int)) and 0 < confidence < 1):
        raise _fail(spec, f"confidence must be a level in (0, 1), e.g. 0.95; received {confidence!r}")


def compute(
    config_name: str | MetricSpec,
    references,
    predictions,
    *,
    per_class: bool = False,
    bootstrap: int = 0,
    confidence: float = 0.95,
    seed: int | None = 0,
    extra: bool = False,
    single_class: str = "raise",
) -> dict:
    """Official MedMNIST AUC and ACC of ``predictions`` (scores) against ``references`` (labels).

    Returns ``{"auc": float, "acc": float}`` and, on request:

    * ``per_class=True``: ``auc_per_class``, the values the official AUC averages (one
      per class column; one per label for ChestMNIST; a single value for binary tasks),
      and ``acc_per_class``: per-label accuracy for ChestMNIST (the values ACC
      averages), otherwise the accuracy within each class (its recall).
    * ``bootstrap=B``: ``ci = {"auc": [lo, hi], "acc": [lo, hi]}``, percentile intervals
      at ``confidence`` from B resamples of the examples with replacement drawn by
      ``numpy.random.default_rng(seed)``, and ``bootstrap`` with the settings and the
      number of resamples used (those where some AUC column has a single class are
      skipped: AUC is undefined there).
    * ``extra=True``: ``extra``, metrics outside the official protocol (see
      :func:`extra_metrics`), computed from the same hard predictions as ACC.

    ``single_class`` says what happens when a column the AUC averages has a single
    class: ``"raise"`` (default) raises :class:`MedMNISTMetricError`; ``"nan"`` gives
    NaN for that column and for ``auc``.
    """
    spec = config_name if isinstance(config_name, MetricSpec) else resolve_config(config_name)
    check_options(spec, bootstrap, confidence, single_class)
    y, s = normalize_inputs(spec, references, predictions)
    values = official_values(spec.task, y, s)
    if single_class == "raise" and np.isnan(values.auc_columns).any():
        raise _single_class_error(spec, y, values.auc_columns)
    result: dict = {"auc": values.auc, "acc": values.acc}
    if per_class:
        result["auc_per_class"] = [float(v) for v in values.auc_columns]
        result["acc_per_class"] = per_class_accuracy(spec.task, y, s)
    if bootstrap:
        result.update(bootstrap_ci(spec.task, y, s, int(bootstrap), float(confidence), seed))
    if extra:
        result["extra"] = extra_metrics(spec.task, y, s)
    return result


def per_class_accuracy(task: str, y: np.ndarray, s: np.ndarray) -> list[float]:
    """Per-label accuracy (multi-label) or within-class accuracy, i.e. recall (otherwise)."""
    n = y.shape[0]
    if task == MULTI_LABEL:
        return [c / n for c in np.count_nonzero((s > THRESHOLD) == (y == 1), axis=0).tolist()]
    classes = 2 if task == BINARY_CLASS else s.shape[1]
    hits = predicted_labels(task, s) == y
    support = np.bincount(y, minlength=classes)
    correct = np.bincount(y[hits], minlength=classes)
    return [float(c / t) if t else float("nan") for c, t in zip(correct.tolist(), support.tolist())]


def bootstrap_ci(task: str, y: np.ndarray, s: np.ndarray, resamples: int, confidence: float, seed) -> dict:
    """Percentile bootstrap intervals for AUC and ACC (examples resampled with replacement)."""
    rng = np.random.default_rng(seed)
    n = y.shape[0]
    aucs, accs = [], []
    for _ in range(resamples):
        idx = rng.integers(0, n, size=n)
        values = official_values(task, y[idx], s[idx])
        if np.isnan(values.auc_columns).any():
            continue
        aucs.append(values.auc)
        accs.append(values.acc)
    tail = (1.0 - confidence) / 2.0

    def interval(samples: list[float]) -> list[float]:
        if not samples:
            return [float("nan"), float("nan")]
        lo, hi = np.quantile(np.asarray(samples), [tail, 1.0 - tail])
        return [float(lo), float(hi)]

    return {
        "ci": {"auc": interval(aucs), "acc": interval(accs)},
        "bootstrap": {
            "method": "percentile",
            "confidence": confidence,
            "resamples": resamples,
            "used": len(aucs),
            "seed": seed,
        },
    }


def extra_metrics(task: str, y: np.ndarray, s: np.ndarray) -> dict:
    """Metrics outside the official protocol, from the hard predictions behind ACC.

    Single-label tasks: ``balanced_accuracy``, ``macro_f1``, ``mcc`` (multi-class
    Matthews correlation) and per-class ``precision``/``recall``; ordinal regression adds
    ``mae`` (mean absolute error of the predicted grade).  Multi-label (ChestMNIST):
    every value is computed per label as a binary problem; ``balanced_accuracy``,
    ``macro_f1`` and ``mcc`` are the unweighted means over labels.  Undefined divisions
    (a class never predicted) count as 0, scikit-learn's ``zero_division=0``.
    """
    # scikit-learn is imported here, not at the top: the official two need numpy only.
    try:
        from sklearn.metrics import (
            balanced_accuracy_score,
            f1_score,
            matthews_corrcoef,
            precision_recall_fscore_support,
        )
    except ModuleNotFoundError as exc:  # the same exception, with a message that says what to install
        raise ModuleNotFoundError(
            f"extra=True needs scikit-learn, which is not installed (no module {exc.name!r}): pip install scikit-learn",
            name=exc.name,
        ) from None

    pred = predicted_labels(task, s)
    if task == MULTI_LABEL:
        labels = range(y.shape[1])
        precision, recall, f1, _ = precision_recall_fscore_support(y, pred, average=None, zero_division=0)
        return {
            "balanced_accuracy": float(_ordered_mean(balanced_accuracy_score(y[:, i], pred[:, i]) for i in labels)),
            "macro_f1": float(np.mean(f1)),
            "mcc": float(_ordered_mean(matthews_corrcoef(y[:, i], pred[:, i]) for i in labels)),
            "precision": [float(v) for v in precision],
            "recall": [float(v) for v in recall],
        }
    classes = list(range(2 if task == BINARY_CLASS else s.shape[1]))
    precision, recall, f1, _ = precision_recall_fscore_support(y, pred, labels=classes, average=None, zero_division=0)
    result = {
        "balanced_accuracy": float(balanced_accuracy_score(y, pred)),
        "macro_f1": float(f1_score(y, pred, labels=classes, average="macro", zero_division=0)),
        "mcc": float(matthews_corrcoef(y, pred)),
        "precision": [float(v) for v in precision],
        "recall": [float(v) for v in recall],
    }
    if task == ORDINAL_REGRESSION:
        result["mae"] = float(np.mean(np.abs(pred - y)))
    return result


# --------------------------------------------------------------------------- logits


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) for x >= 0 and exp(x) / (1 + exp(x)) below, which never overflows.

    Both branches from one ``exp(-|x|)`` and one division, without boolean indexing
    (which copies): the same operations on the same operands as the two formulas, so the
    same bits, in a quarter of the time.
    """
    e = np.abs(x)
    np.negative(e, out=e)  # in place: fresh temporaries of this size cost page faults
    np.exp(e, out=e)
    out = np.where(x >= 0, 1.0, e)
    e += 1.0
    out /= e
    return out


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def scores_from_logits(config_name: str | MetricSpec, logits) -> np.ndarray:
    """Model outputs to the scores MedMNIST evaluates, as the paper's training code does.

    Softmax over classes for single-label tasks and sigmoid per label for ChestMNIST,
    in float64.  A binary model with a single output column (a BCE head) gets a sigmoid.
    """
    spec = config_name if isinstance(config_name, MetricSpec) else resolve_config(config_name)
    x = as_numeric_array(logits, "logits", spec).astype(np.float64, copy=False)
    if x.ndim == 0:
        raise _fail(spec, "logits must have one row per example; received a scalar")
    _check_finite(spec, x, "logits")
    if spec.task == MULTI_LABEL:
        return _sigmoid(x)
    if spec.task == BINARY_CLASS and (x.ndim == 1 or x.shape[1] == 1):
        return _sigmoid(x.reshape(-1))
    if x.ndim != 2:
        raise _fail(spec, f"logits must have shape (N, C); received shape {x.shape}")
    return _softmax(x)
