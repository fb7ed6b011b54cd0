"""``compute_metrics`` for ``transformers.Trainer``: logits in, the official AUC/ACC out.

Kept apart from the metric itself: it only adapts what the Trainer hands over
(``EvalPrediction`` objects, tuples of model outputs, torch tensors in batch mode) and
imports neither torch nor transformers.
"""

from __future__ import annotations

import numpy as np

from . import _wrapped
from .medmnist import medmnist_scoring as _scoring


class MedMNISTComputeMetrics:
    """Callable ``compute_metrics(eval_pred, compute_result=None)`` for one subset.

    Called with an ``EvalPrediction`` (or a ``(logits, label_ids)`` tuple) it scores the
    whole evaluation set.  With ``TrainingArguments(batch_eval_metrics=True)`` the Trainer
    passes ``compute_result``: batches are kept until it is True, then scored together
    (AUC is not an average of per-batch values) and the buffer is cleared.
    """

    def __init__(self, subset: str, single_class: str = "raise", extra: bool = False):
        self.spec = _wrapped(_scoring.resolve_config, subset)
        _wrapped(_scoring.check_options, self.spec, single_class=single_class)
        self.single_class = single_class
        self.extra = bool(extra)
        self._logits: list[np.ndarray] = []
        self._labels: list[np.ndarray] = []

    def __call__(self, eval_pred, compute_result: bool | None = None) -> dict:
        logits, labels = self._unpack(eval_pred)
        if compute_result is None:
            return self.score(logits, labels)
        self._logits.append(logits)
        self._labels.append(labels)
        if not compute_result:
            return {}
        logits, labels = np.concatenate(self._logits), np.concatenate(self._labels)
        self._logits, self._labels = [], []
        return self.score(logits, labels)

    def _unpack(self, eval_pred) -> tuple[np.ndarray, np.ndarray]:
        if hasattr(eval_pred, "predictions") and hasattr(eval_pred, "label_ids"):
            predictions, label_ids = eval_pred.predictions, eval_pred.label_ids
        else:
            predictions, label_ids = eval_pred[0], eval_pred[1]
        if isinstance(predictions, tuple):  # (logits, hidden states, ...): only the logits are scores
            predictions = predictions[0]
        as_array = _scoring.as_numeric_array
        return _wrapped(as_array, predictions, "logits", self.spec), _wrapped(
            as_array, label_ids, "label_ids", self.spec
        )

    def score(self, logits, labels) -> dict:
        """Scores from logits (softmax/sigmoid), then the official AUC and ACC (and extras)."""
        scores = _wrapped(_scoring.scores_from_logits, self.spec, logits)
        result = _wrapped(_scoring.compute, self.spec, labels, scores, single_class=self.single_class, extra=self.extra)
        metrics = {"auc": result["auc"], "acc": result["acc"]}
        for name, value in result.get("extra", {}).items():
            if isinstance(value, float):  # per-class lists do not fit the Trainer's scalar logs
                metrics[f"extra_{name}"] = value
        return metrics
