"""MedMNIST: the official AUC and ACC of the MedMNIST benchmark, as an `evaluate` metric.

The computation lives in ``medmnist_scoring.py`` next to this file (numpy only), which
``evaluate.load`` copies along with this module; the ``medmnist_hub.metrics`` Python API
runs the same file, so there is one implementation.
"""

import datasets
import evaluate

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


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Medmnist(evaluate.Metric):
    """The official MedMNIST AUC and ACC; the config name picks the task type or subset.

    Named so that evaluate derives the module name "medmnist", the name of this folder.
    """

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
