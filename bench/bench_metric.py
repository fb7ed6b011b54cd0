"""Speed of the MedMNIST metric vs the official evaluator's getAUC + getACC, same run, same inputs.

Cases: the ChestMNIST (22,433 x 14) and PathMNIST (7,180 x 9) test-split shapes, with
official-format labels from the catalog (``medmnist_hub.synthetic``) and model-like scores
(sigmoid/softmax of random logits) as float32, as float64, and rounded to two decimals
(tie-heavy); plus the real label arrays of the test splits we have.  Every row checks
that the values agree (ACC bit-identical, AUC within 1e-12) and reports the largest AUC
difference; a disagreement fails the benchmark instead of printing a ratio.

The same two test shapes are also scored the ways users call the metric, each against the
official evaluator in the same run: ``evaluate.load(<module>, subset).compute(...)`` in one
call, 100 ``add_batch`` calls then ``compute()``, and the Trainer's ``compute_metrics``
(``metrics.make_compute_metrics``) on an ``EvalPrediction`` of float32 logits, against a
numpy softmax/sigmoid plus getAUC + getACC.  Those rows must also equal the core's values
exactly (``medmnist_hub.metrics.compute`` on the same scores).
"""

from __future__ import annotations

import os
import time
import warnings

import numpy as np

from medmnist_hub import metrics
from medmnist_hub.catalog import get_subset
from medmnist_hub.npz_reader import NpzReader
from medmnist_hub.synthetic import synthetic_labels

from .common import Row, real_or_none

TOLERANCE = 1e-12


def _official():
    # the official package is a test/benchmark-only reference (dev extra); it imports torch
    from medmnist.evaluator import getACC, getAUC

    def both(y, s, task):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return getAUC(y, s, task), getACC(y, s, task)

    return both


def _scores(subset: str, n: int, rng: np.random.Generator, flavour: str) -> np.ndarray:
    logits = rng.normal(0.0, 2.0, size=(n, get_subset(subset).num_classes if subset != "breastmnist" else 2))
    s = metrics.scores_from_logits(subset, logits)
    return {"float32": s.astype(np.float32), "float64": s, "ties": np.round(s, 2)}[flavour]


def _best(fn, *args, repeat: int = 1):
    """Best wall and best CPU time of ``repeat`` calls, and the last result."""
    wall = cpu = float("inf")
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        result = fn(*args)
        wall, cpu = min(wall, time.perf_counter() - w0), min(cpu, time.process_time() - c0)
    return wall, cpu, result


def _case(official, label: str, subset: str, y: np.ndarray, s: np.ndarray, data: str, rounds: int) -> Row:
    """The core (``medmnist_hub.metrics.compute``) against the official evaluator on the same scores."""
    task = get_subset(subset).task
    return _timed_row(
        label, lambda: metrics.compute(subset, y, s), lambda: official(y, s, task), s.shape, data, rounds, repeat=3
    )


def _timed_row(label: str, ours_fn, official_fn, shape, data: str, rounds: int, repeat: int, exact=None) -> Row:
    """Best time of each over ``rounds`` interleaved rounds, so both see the same machine load.

    Wall time is the figure; CPU time (which a busy machine inflates less) goes in the notes.
    ``exact``: the core's result, which ``ours`` must equal key for key (the entry points).
    """
    wall_ours = cpu_ours = wall_official = cpu_official = float("inf")
    for _ in range(rounds):
        w, c, ours = _best(ours_fn, repeat=repeat)
        wall_ours, cpu_ours = min(wall_ours, w), min(cpu_ours, c)
        w, c, (auc, acc) = _best(official_fn)
        wall_official, cpu_official = min(wall_official, w), min(cpu_official, c)
    diff = abs(ours["auc"] - auc)
    if diff > TOLERANCE or ours["acc"] != acc:
        raise AssertionError(f"{label}: values differ: ours {ours}, official auc={auc!r} acc={acc!r}")
    if exact is not None and ours != exact:
        raise AssertionError(f"{label}: differs from the core: {ours} vs medmnist_hub.metrics.compute {exact}")
    cpu_ratio = cpu_official / cpu_ours if cpu_ours else float("inf")
    same = "; identical to medmnist_hub.metrics.compute" if exact is not None else ""
    return Row(
        benchmark="metric",
        case=label,
        ours=wall_ours * 1e3,
        baseline=wall_official * 1e3,
        unit="ms",
        baseline_name="medmnist 3.0.2 getAUC+getACC",
        higher_is_better=False,
        data=data,
        notes=f"CPU-time ratio {cpu_ratio:.1f}x; AUC {ours['auc']:.6f} (|diff| {diff:.1e}), "
        f"ACC {ours['acc']:.6f} (identical){same}",
        extra={
            "auc_abs_diff": diff,
            "acc_identical": True,
            "shape": list(shape),
            "rounds": rounds,
            "cpu_ms": {"ours": cpu_ours * 1e3, "official": cpu_official * 1e3},
        },
    )


def _plain_link(subset: str, logits: np.ndarray) -> np.ndarray:
    """What a user of the official evaluator writes in compute_metrics: sigmoid (ChestMNIST) or softmax."""
    x = logits.astype(np.float64)
    if get_subset(subset).is_multilabel:
        return 1.0 / (1.0 + np.exp(-x))
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _entry_point_rows(official, subset: str, n: int, rounds: int) -> list[Row]:
    """The metric as users call it: evaluate's compute (one call; 100 add_batch calls) and the Trainer's."""
    import evaluate
    from transformers import EvalPrediction

    evaluate.logging.set_verbosity_error()
    sub = get_subset(subset)
    rng = np.random.default_rng(n + 1)
    y = synthetic_labels(sub, n, rng)
    logits = rng.normal(0.0, 2.0, size=(n, sub.num_classes)).astype(np.float32)  # the baselines' heads
    s = metrics.scores_from_logits(subset, logits).astype(np.float32)
    exact = metrics.compute(subset, y, s)
    metric = evaluate.load(str(metrics.MODULE_DIR), subset)
    parts = [slice(i * n // 100, (i + 1) * n // 100) for i in range(100)]

    def batches():
        for part in parts:
            metric.add_batch(predictions=s[part], references=y[part])
        return metric.compute()

    shape = f"{subset} test shape {n:,} x {s.shape[1]}"
    data = "synthetic labels (official format)"
    rows = [
        _timed_row(
            f"{shape}: evaluate.load(...).compute, float32 scores",
            lambda: metric.compute(predictions=s, references=y),
            lambda: official(y, s, sub.task),
            s.shape, data, rounds, repeat=3, exact=exact,
        ),
        _timed_row(
            f"{shape}: evaluate add_batch x100 + compute()",
            batches, lambda: official(y, s, sub.task), s.shape, data, rounds, repeat=3, exact=exact,
        ),
    ]
    label_ids = y.astype(np.float32) if sub.is_multilabel else y[:, 0].astype(np.int64)  # as a Trainer collates
    compute_metrics = metrics.make_compute_metrics(subset)
    prediction = EvalPrediction(predictions=logits, label_ids=label_ids)
    rows.append(
        _timed_row(
            f"{shape}: Trainer compute_metrics(EvalPrediction), float32 logits",
            lambda: compute_metrics(prediction),
            lambda: official(y, _plain_link(subset, logits), sub.task),
            logits.shape, data, rounds, repeat=3,
            exact=metrics.compute(subset, y, metrics.scores_from_logits(subset, logits)),
        )
    )
    return rows


def run(rounds: int = 7) -> list[Row]:
    official = _official()
    rows: list[Row] = []
    for subset, n in (("chestmnist", 22_433), ("pathmnist", 7_180)):
        rng = np.random.default_rng(n)
        y = synthetic_labels(get_subset(subset), n, rng)
        for flavour in ("float32", "float64", "ties"):
            s = _scores(subset, n, rng, flavour)
            label = f"{subset} test shape {s.shape[0]:,} x {s.shape[1]}, {flavour} scores"
            rows.append(_case(official, label, subset, y, s, "synthetic labels (official format)", rounds))
        rows += _entry_point_rows(official, subset, n, rounds)
    for config in ("pneumoniamnist", "retinamnist"):
        path = real_or_none(config)
        if path is None:
            continue
        with NpzReader(path) as reader:
            y = reader.read("test_labels")
        s = _scores(config, len(y), np.random.default_rng(0), "float32")
        rows.append(
            _case(official, f"{config} real test labels ({len(y)}), float32 scores", config, y, s, "real", rounds)
        )
    return rows


if __name__ == "__main__":
    for r in run(int(os.environ.get("BENCH_ROUNDS", "7"))):
        cpu = r.extra["cpu_ms"]
        print(
            f"{r.case:<58} wall: ours {r.ours:7.3f} ms, official {r.baseline:7.2f} ms ({r.ratio:5.1f}x) | "
            f"CPU: ours {cpu['ours']:7.3f} ms, official {cpu['official']:7.2f} ms | {r.notes}"
        )
