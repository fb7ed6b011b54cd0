"""MedMNIST: the official AUC and ACC of the MedMNIST benchmark, as an `evaluate` metric.

The computation lives in ``medmnist_scoring.py`` next to this file (numpy only), which
``evaluate.load`` copies along with this module; the ``medmnist_hub.metrics`` Python API
runs the same file, so there is one implementation.

In one process, batches stay in memory as numpy arrays instead of going through
evaluate's per-row Arrow encoding (see ``Medmnist``); distributed runs use evaluate's
own machinery unchanged.
"""

import io

import datasets
import evaluate
import numpy as np
from datasets.arrow_writer import ArrowWriter
from datasets.utils.py_utils import temp_seed

from .medmnist_scoring import BINARY_CLASS, MULTI_LABEL, compute, resolve_config

_CITATION = """\
@article{yang2023medmnistv2,
  title     = {{MedMNIST v2} -- A large-scale lightweight benchmark for {2D} and {3D} biomedical image classification},
  author    = {Yang, Jiancheng and Shi, Rui and Wei, Donglai and Liu, Zequan and Zhao, Lin and Ke, Bilian and Pfister, Hanspeter and Ni, Bingbing},
  journal   = {Scientific Data},
  volume    = {10},
  number    = {1},
  pages     = {41},
  year      = {2023},
  doi       = {10.1038/s41597-022-01721-8}
}

@inproceedings{yang2021medmnistv1,
  title     = {{MedMNIST} Classification Decathlon: A Lightweight {AutoML} Benchmark for Medical Image Analysis},
  author    = {Yang, Jiancheng and Shi, Rui and Ni, Bingbing},
  booktitle = {IEEE 18th International Symposium on Biomedical Imaging (ISBI)},
  pages     = {191--195},
  year      = {2021},
  doi       = {10.1109/ISBI48211.2021.9434062}
}
"""

_DESCRIPTION = """\
The two numbers every MedMNIST result reports, computed exactly as the official `medmnist`
evaluator (v3.0.2, `getAUC`/`getACC`) computes them, for all four task types:

- multi-label, binary-class (ChestMNIST): AUC is the mean over the 14 labels of the per-label ROC AUC;
  ACC is the mean over labels of the per-label accuracy of `score > 0.5` (not exact-match accuracy).
- binary-class: scores of shape (N,) or (N, 2), where the last column is the positive class;
  AUC is the ROC AUC, ACC the accuracy of `score > 0.5`.
- multi-class and ordinal-regression: AUC is the unweighted mean of the one-vs-rest ROC AUC of every
  class column (scores need not sum to 1), ACC the accuracy of the argmax.

Ties in scores count one half, as in scikit-learn's `roc_auc_score`. The config name is a task type
(`multi-class`, `binary-class`, `multi-label`, `ordinal-regression`) or a subset name (`chestmnist`,
`bloodmnist_64`, ...), which fixes the task and the number of classes. Options add per-class values,
seeded bootstrap confidence intervals and extra metrics kept apart from the official two.
MedMNIST is a research benchmark: nothing computed here is fit for clinical use.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions: scores, one row per example: (N, C) for multi-class, ordinal-regression and
        multi-label tasks; (N,), (N, 1) or (N, 2) for binary-class tasks (the last column is the
        positive class). Probabilities as the paper uses them (softmax, or sigmoid for multi-label);
        any finite real scores are accepted, but ACC thresholds binary and multi-label scores at 0.5.
    references: labels in the official layout: class indices (N,) or (N, 1); multi-hot (N, C) for
        multi-label tasks. Integer-valued floats are accepted; anything else is an error.
    per_class (bool, default False): add `auc_per_class` (the values the official AUC averages) and
        `acc_per_class` (per-label accuracy for multi-label tasks, otherwise the accuracy within each
        class, i.e. its recall).
    bootstrap (int, default 0): number of bootstrap resamples for percentile confidence intervals
        (`ci` and `bootstrap` keys); resamples where an AUC column has a single class are skipped.
    confidence (float, default 0.95): level of the intervals.
    seed (int, default 0): seed of `numpy.random.default_rng` for the resamples.
    extra (bool, default False): add `extra`, metrics outside the official protocol (balanced accuracy,
        macro F1, MCC, per-class precision and recall; MAE for ordinal regression).
    single_class ("raise" or "nan", default "raise"): what to do when a column the AUC averages has a
        single class (AUC undefined): raise a ValueError, or return NaN for it and for `auc`.
Returns:
    auc (float): the official MedMNIST AUC.
    acc (float): the official MedMNIST ACC.
    plus the optional keys above.
Examples:

    Binary-class, official (N, 1) labels and (N, 2) softmax scores:

    >>> metric = evaluate.load("medmnist", "breastmnist")
    >>> results = metric.compute(
    ...     references=[[0], [1], [1], [0], [1]],
    ...     predictions=[[0.9, 0.1], [0.3, 0.7], [0.6, 0.4], [0.2, 0.8], [0.1, 0.9]],
    ... )
    >>> print({k: round(v, 4) for k, v in results.items()})
    {'auc': 0.6667, 'acc': 0.6}

    Multi-class (OCTMNIST, 4 classes), with per-class values:

    >>> metric = evaluate.load("medmnist", "octmnist")
    >>> results = metric.compute(
    ...     references=[0, 1, 2, 3, 1, 2],
    ...     predictions=[[0.7, 0.1, 0.1, 0.1], [0.2, 0.5, 0.2, 0.1], [0.1, 0.3, 0.4, 0.2],
    ...                  [0.1, 0.1, 0.3, 0.5], [0.3, 0.3, 0.2, 0.2], [0.2, 0.2, 0.5, 0.1]],
    ...     per_class=True,
    ... )
    >>> print(round(results["auc"], 4), round(results["acc"], 4), results["auc_per_class"])
    0.9844 0.8333 [1.0, 0.9375, 1.0, 1.0]

    Ordinal regression, as a task config (the number of classes comes from the score columns):

    >>> metric = evaluate.load("medmnist", "ordinal-regression")
    >>> results = metric.compute(
    ...     references=[[0], [1], [2], [2], [1], [0]],
    ...     predictions=[[0.6, 0.3, 0.1], [0.3, 0.4, 0.3], [0.1, 0.3, 0.6],
    ...                  [0.2, 0.5, 0.3], [0.5, 0.4, 0.1], [0.4, 0.4, 0.2]],
    ... )
    >>> print({k: round(v, 4) for k, v in results.items()})
    {'auc': 0.8125, 'acc': 0.6667}

    Multi-label (per-label AUC and per-label accuracy at 0.5), in batches:

    >>> metric = evaluate.load("medmnist", "multi-label")
    >>> metric.add_batch(references=[[1, 0, 0], [0, 1, 0]], predictions=[[0.8, 0.2, 0.1], [0.4, 0.7, 0.3]])
    >>> metric.add_batch(references=[[1, 1, 0], [0, 0, 1]], predictions=[[0.6, 0.4, 0.2], [0.3, 0.1, 0.9]])
    >>> results = metric.compute(per_class=True)
    >>> print(results["auc"], round(results["acc"], 4), results["acc_per_class"])
    1.0 0.9167 [1.0, 0.75, 1.0]
"""


def _features(task: str) -> list:
    """Input formats evaluate accepts, the first being the canonical one (used by the widget).

    References are float64, not int64: an int64 feature would silently truncate 1.5 to 1,
    while the metric itself rejects non-integer labels with a clear error.
    """
    score = datasets.Value("float64")
    scores = datasets.Sequence(datasets.Value("float64"))
    label = datasets.Value("float64")
    labels = datasets.Sequence(datasets.Value("float64"))
    if task == MULTI_LABEL:
        pairs = [(scores, labels)]
    elif task == BINARY_CLASS:
        pairs = [(score, label), (score, labels), (scores, label), (scores, labels)]
    else:
        pairs = [(scores, label), (scores, labels)]
    return [datasets.Features({"predictions": p, "references": r}) for p, r in pairs]


def _numeric_array(values, copy: bool):
    """``values`` as a numeric numpy array (a copy if asked), or None to leave them to evaluate."""
    if values is None:
        return None
    try:
        array = np.array(values) if copy else np.asarray(values)
    except (ValueError, TypeError, RuntimeError):  # ragged lists, GPU or grad tensors, bfloat16, ...
        return None
    return array if array.dtype.kind in "biuf" else None


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Medmnist(evaluate.Metric):
    """The official MedMNIST AUC and ACC; the config name picks the task type or subset.

    Named so that evaluate derives the module name "medmnist", the name of this folder.

    Why ``add``, ``add_batch`` and ``compute`` are overridden: evaluate 0.4.6 encodes every
    row through ``datasets`` features and writes an Arrow file, which costs far more than
    the metric (about 0.4 s for the ChestMNIST test split, whose AUC/ACC take a few ms).
    One process (``num_process == 1``) needs no file: numeric batches are kept in memory
    as numpy arrays and scored together.  Everything else runs evaluate's own code as is:

    * distributed runs (``num_process > 1``), which gather through Arrow files and locks;
    * inputs the in-memory path does not vouch for (strings, ragged lists, tensors numpy
      cannot read, a batch laid out unlike the earlier ones, ...): the batches kept so
      far are first replayed to evaluate in order, so it accepts or refuses what it would have.

    The first row of each new layout goes through evaluate's feature inference, encoding
    and Arrow writer (in memory), so a layout evaluate refuses gets evaluate's message.
    The values are identical: Arrow would store the inputs as float64, a widening that
    keeps the order, ties and threshold comparisons of the scores.  Semantics are
    evaluate's: ``compute()`` scores what was added and starts over, ``len()`` counts
    examples, ``compute()`` with nothing added raises evaluate's error.  Setting
    ``_fast_path = False`` on an instance runs evaluate's path throughout (tests compare).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._fast_path = self.num_process == 1
        # (first layout, layout) -> the features evaluate writes such a row with, or None if it
        # refuses it. A layout is (added with `add`?, dtype kinds, trailing shapes): what evaluate's
        # verdict depends on for numeric arrays, so verdicts are kept across computes.
        self._verdicts = {}
        self._reset_kept()

    def _reset_kept(self):
        self._kept = []  # (added with `add`?, predictions, references), in order
        self._first_layout = None  # the layout of the first of them, which fixes evaluate's features

    def __len__(self):
        return super().__len__() + sum(len(preds) for _, preds, _ in self._kept)

    def add_batch(self, *, predictions=None, references=None, **kwargs):
        """Add a batch of predictions and references (evaluate's ``add_batch``; kept in memory in one process)."""
        if kwargs or not self._keep(predictions, references, one_example=False):
            if not kwargs:  # evaluate refuses unknown inputs before touching its state
                self._hand_over()
            super().add_batch(predictions=predictions, references=references, **kwargs)

    def add(self, *, prediction=None, reference=None, **kwargs):
        """Add one prediction and reference (evaluate's ``add``; kept in memory in one process)."""
        if kwargs or not self._keep(prediction, reference, one_example=True):
            if not kwargs:
                self._hand_over()
            super().add(prediction=prediction, reference=reference, **kwargs)

    def compute(self, *, predictions=None, references=None, **kwargs):
        """Compute the metric (evaluate's ``compute``; in one process, on the batches kept in memory)."""
        if predictions is not None or references is not None:
            if self._keep(predictions, references, one_example=False, copy=False):
                predictions = references = None  # now the last kept batch
            else:
                self._hand_over()
        if self.writer is not None or not self._kept:  # evaluate's data, or nothing (evaluate's error)
            return super().compute(predictions=predictions, references=references, **kwargs)
        preds, refs = self._take()
        with temp_seed(self.seed):  # as evaluate runs _compute
            return self._compute(predictions=preds, references=refs, **kwargs)

    def _keep(self, predictions, references, one_example: bool, copy: bool = True) -> bool:
        """Keep inputs in memory if evaluate would take them; False leaves them to evaluate's own path."""
        if not self._fast_path or self.writer is not None:
            return False
        preds, refs = _numeric_array(predictions, copy), _numeric_array(references, copy)
        if preds is None or refs is None:
            return False
        if one_example:
            preds, refs = preds[None], refs[None]
        if preds.ndim not in (1, 2) or refs.ndim not in (1, 2) or len(preds) != len(refs) or len(preds) == 0:
            return False
        layout = (one_example, preds.dtype.kind, refs.dtype.kind, preds.shape[1:], refs.shape[1:])
        first = self._first_layout or layout
        if layout[3:] != first[3:]:
            return False  # evaluate may take it (in Arrow every row is a list), numpy cannot stack it
        if (first, layout) not in self._verdicts:
            fixed = self._verdicts.get((first, first)) if layout != first else None
            self._verdicts[first, layout] = self._evaluate_takes(preds[:1], refs[:1], one_example, fixed)
        if self._verdicts[first, layout] is None:
            return False
        self._first_layout = first
        self._kept.append((one_example, preds, refs))
        return True

    def _evaluate_takes(self, preds, refs, one_example: bool, features):
        """The features evaluate's ``add``/``add_batch`` would write this one row with, or None if it would refuse it.

        The same steps as evaluate: feature inference (unless already fixed by an earlier
        batch), the string check, the encoding and an Arrow writer, here writing to memory.
        """
        try:
            if one_example:
                example = {"predictions": preds[0], "references": refs[0]}
                features = features or self._infer_feature_from_example(example)
                self._enforce_nested_string_type(features, example)
                rows, write = features.encode_example(example), "write"
            else:
                batch = {"predictions": preds, "references": refs}
                features = features or self._infer_feature_from_batch(batch)
                for key, column in batch.items():
                    self._enforce_nested_string_type(features[key], column[0])
                rows, write = features.encode_batch(batch), "write_batch"
            writer = ArrowWriter(features=features, stream=io.BytesIO())
            getattr(writer, write)(rows)
            writer.finalize()
        except (ValueError, TypeError):  # pyarrow's ArrowInvalid/ArrowTypeError are among these
            return None
        return features

    def _take(self):
        """The kept inputs as one (predictions, references) pair; the memory starts over."""
        kept = self._kept
        self._reset_kept()
        if len(kept) == 1:
            return kept[0][1], kept[0][2]
        return np.concatenate([p for _, p, _ in kept]), np.concatenate([r for _, _, r in kept])

    def _hand_over(self):
        """Replay the kept inputs, in order and as they were added, to evaluate's own writer."""
        kept = self._kept
        self._reset_kept()
        for one_example, preds, refs in kept:
            if one_example:
                super().add(prediction=preds[0], reference=refs[0])
            else:
                super().add_batch(predictions=preds, references=refs)

    def _info(self):
        spec = resolve_config(self.config_name)  # fails early, with the list of valid names
        return evaluate.MetricInfo(
            module_type="metric",
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=_features(spec.task),
            homepage="https://medmnist.com/",
            reference_urls=[
                "https://github.com/MedMNIST/MedMNIST/blob/main/medmnist/evaluator.py",
                "https://doi.org/10.1038/s41597-022-01721-8",
            ],
        )

    def _compute(
        self,
        predictions,
        references,
        per_class=False,
        bootstrap=0,
        confidence=0.95,
        seed=0,
        extra=False,
        single_class="raise",
    ):
        return compute(
            self.config_name,
            references,
            predictions,
            per_class=per_class,
            bootstrap=bootstrap,
            confidence=confidence,
            seed=seed,
            extra=extra,
            single_class=single_class,
        )
