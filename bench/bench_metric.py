"""Speed of the MedMNIST metric vs the official evaluator's getAUC + getACC, same run, same inputs.

Cases: the ChestMNIST (22,433 x 14) and PathMNIST (7,180 x 9) test-split shapes, with
official-format labels from the catalog (``medmnist_hub.synthetic``) and model-like scores
(sigmoid/softmax of random logits) as float32, as float64, and rounded to two decimals
(tie-heavy); plus the real label arrays of the test splits we have.  Every row checks
that the values agree (ACC bit-identical, AUC within 1e-12) and reports the largest AUC
difference; a disagreement fails the benchmark instead of printing a ratio.
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
    """Best time of each over ``rounds`` interleaved rounds, so both see the same machine load.

    Wall time is the figure; CPU time (which a busy machine inflates less) goes in the notes.
    """
    task = get_subset(subset).task
    wall_ours = cpu_ours = wall_official = cpu_official = float("inf")
    for _ in range(rounds):
        w, c, ours = _best(metrics.compute, subset, y, s, repeat=3)
        wall_ours, cpu_ours = min(wall_ours, w), min(cpu_ours, c)
        w, c, (auc, acc) = _best(official, y, s, task)
        wall_official, cpu_official = min(wall_official, w), min(cpu_official, c)
    diff = abs(ours["auc"] - auc)
    if diff > TOLERANCE or ours["acc"] != acc:
        raise AssertionError(f"{label}: values differ: ours {ours}, official auc={auc!r} acc={acc!r}")
    cpu_ratio = cpu_official / cpu_ours if cpu_ours else float("inf")
    return Row(
        benchmark="metric",
        case=label,
        ours=wall_ours * 1e3,
        baseline=wall_official * 1e3,
        unit="ms",
        baseline_name="medmnist 3.0.2 getAUC+getACC",
        higher_is_better=False,
        data=data,
        notes=f"CPU-time ratio {cpu_ratio:.1f}x; AUC {ours['auc']:.6f} (|diff| {diff:.1e}), ACC {ours['acc']:.6f} (identical)",
        extra={
            "auc_abs_diff": diff,
            "acc_identical": True,
            "shape": list(s.shape),
            "rounds": rounds,
            "cpu_ms": {"ours": cpu_ours * 1e3, "official": cpu_official * 1e3},
        },
    )


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
