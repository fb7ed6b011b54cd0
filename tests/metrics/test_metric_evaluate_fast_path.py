"""The `evaluate` module's in-memory path gives what evaluate's own Arrow path gives, and skips it.

``Medmnist`` keeps one-process batches in memory instead of encoding every row through
``datasets`` and writing Arrow (see its docstring).  Here every scenario a user may try —
one call, batches, single examples, every input layout, every mistake — runs twice, once
on that path and once with ``_fast_path = False`` (evaluate 0.4.6's code throughout), and
must end the same way: the same result, or the same exception with the same message.
Distributed runs (``num_process=2``) go through evaluate's files and locks and must give
process 0 the values of one process on the whole data.
"""

from __future__ import annotations

import multiprocessing
import warnings
from pathlib import Path

import numpy as np
import pytest

from medmnist_hub import metrics
from medmnist_hub.catalog import get_subset
from medmnist_hub.synthetic import synthetic_labels


def example(subset: str, n: int = 60, seed: int = 0, dtype=np.float32):
    sub = get_subset(subset)
    rng = np.random.default_rng(seed)
    y = synthetic_labels(sub, n, rng)
    width = 2 if sub.task == "binary-class" else sub.num_classes
    return y, metrics.scores_from_logits(subset, rng.normal(size=(n, width))).astype(dtype)


def outcome(fn, metric):
    """What a scenario ends with: its return value, or the exception's type and message."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numpy's deprecation of float(1-element array), in evaluate's encoding
        try:
            return ("ok", fn(metric))
        except Exception as exc:  # noqa: BLE001 - the point is to compare whatever happens
            return (type(exc).__name__, str(exc))


def both_paths(evaluate_lib, tmp_path: Path, config: str, fn):
    results = []
    for fast in (True, False):
        metric = evaluate_lib.load(str(metrics.MODULE_DIR), config, cache_dir=str(tmp_path / f"fast-{fast}"))
        assert metric._fast_path is True  # one process: the in-memory path is the default
        metric._fast_path = fast
        results.append(outcome(fn, metric))
    return results


def batches(y, s, k):
    def run(metric):
        for i in range(k):
            part = slice(i * len(y) // k, (i + 1) * len(y) // k)
            metric.add_batch(predictions=s[part], references=y[part])
        assert len(metric) == len(y)
        return metric.compute(per_class=True)

    return run


def rows(y, s):
    def run(metric):
        for yi, si in zip(y, s):
            metric.add(prediction=si, reference=yi)
        return metric.compute()

    return run


def mixed(first, second):
    """Two add_batch calls (pairs of (predictions, references)), then compute()."""

    def run(metric):
        metric.add_batch(predictions=first[0], references=first[1])
        try:
            metric.add_batch(predictions=second[0], references=second[1])
        finally:
            length = len(metric)
        return metric.compute(), length

    return run


def ok_cases():
    yc, sc = example("chestmnist", 200, 1)
    yp, sp = example("pathmnist", 90, 2, np.float64)
    yb, sb = example("breastmnist", 50, 3)
    yr, sr = example("retinamnist", 40, 4, np.float16)
    import torch

    return {
        "chestmnist one call, float32": ("chestmnist", lambda m: m.compute(predictions=sc, references=yc)),
        "pathmnist one call with options": (
            "pathmnist",
            lambda m: m.compute(predictions=sp, references=yp, per_class=True, bootstrap=15, seed=2, extra=True),
        ),
        "pathmnist ties": ("pathmnist", lambda m: m.compute(predictions=np.round(sp, 1), references=yp.ravel())),
        "retinamnist float16": ("retinamnist", lambda m: m.compute(predictions=sr, references=yr)),
        "binary (N, 2)": ("breastmnist", lambda m: m.compute(predictions=sb, references=yb)),
        "binary (N,)": ("breastmnist", lambda m: m.compute(predictions=sb[:, 1], references=yb.ravel())),
        "binary (N, 1)": ("breastmnist", lambda m: m.compute(predictions=sb[:, 1:], references=yb)),
        "binary lists": ("binary-class", lambda m: m.compute(predictions=sb[:, 1].tolist(), references=yb.tolist())),
        "torch tensors": (
            "chestmnist",
            lambda m: m.compute(predictions=torch.from_numpy(sc), references=torch.from_numpy(yc)),
        ),
        "bool multi-hot labels": ("multi-label", lambda m: m.compute(predictions=sc[:, :3], references=yc[:, :3] > 0)),
        "integer scores": ("pathmnist", lambda m: m.compute(predictions=(sp * 10).astype(int), references=yp)),
        "100 batches": ("chestmnist", batches(yc, sc, 100)),
        "7 batches, task config": ("multi-class", batches(yp, sp, 7)),
        "one example at a time": ("retinamnist", rows(yr, sr)),
        "add, add_batch, then compute with inputs": (
            "breastmnist",
            lambda m: (
                m.add(prediction=sb[0], reference=yb[0]),
                m.add_batch(predictions=sb[1:30], references=yb[1:30]),
                m.compute(predictions=sb[30:], references=yb[30:]),
            )[-1],
        ),
        "string labels (evaluate casts them)": (
            "breastmnist",
            lambda m: m.compute(predictions=sb[:, 1], references=[str(int(v)) for v in yb.ravel()]),
        ),
        "another layout after compute": (
            "pathmnist",
            lambda m: [m.compute(predictions=sp, references=refs) for refs in (yp.ravel(), yp, yp.ravel().tolist())],
        ),
        "int labels, then float labels": (
            "breastmnist",
            lambda m: (
                m.add_batch(predictions=sb[:25], references=yb[:25]),
                m.add_batch(predictions=sb[25:], references=yb[25:].astype(np.float32)),
                m.compute(),
            )[-1],
        ),
        "two computes": (
            "chestmnist",
            lambda m: (m.compute(predictions=sc[:100], references=yc[:100]), m.compute(predictions=sc, references=yc)),
        ),
    }


def error_cases():
    yp, sp = example("pathmnist", 30, 5)
    yb, sb = example("breastmnist", 20, 6)
    yc, sc = example("chestmnist", 30, 7)
    return {
        "lengths differ": ("pathmnist", lambda m: m.compute(predictions=sp, references=yp[:-1])),
        "binary (N,) then (N, 2)": ("breastmnist", mixed((sb[:10, 1], yb[:10, 0]), (sb[10:], yb[10:, 0]))),
        "labels (N,) then (N, 1)": ("pathmnist", mixed((sp[:15], yp[:15, 0]), (sp[15:], yp[15:]))),
        "labels (N, 1) then (N,)": ("pathmnist", mixed((sp[:15], yp[:15]), (sp[15:], yp[15:, 0]))),
        "fewer columns in a later batch": ("chestmnist", mixed((sc[:15], yc[:15]), (sc[15:, :13], yc[15:, :13]))),
        "1-D scores for a multi-class task": ("pathmnist", lambda m: m.compute(predictions=sp[:, 0], references=yp)),
        "3-D scores": ("pathmnist", lambda m: m.compute(predictions=sp[:, :, None], references=yp)),
        "empty batch": ("pathmnist", lambda m: m.compute(predictions=sp[:0], references=yp[:0])),
        "predictions only": ("pathmnist", lambda m: m.compute(predictions=sp)),
        "nothing added": ("pathmnist", lambda m: m.compute()),
        "compute twice": (
            "pathmnist",
            lambda m: (m.add_batch(predictions=sp, references=yp), m.compute(), m.compute()),
        ),
        "unknown add_batch input": ("pathmnist", lambda m: m.add_batch(predictions=sp, references=yp, weights=yp)),
        "unknown compute option": ("pathmnist", lambda m: m.compute(predictions=sp, references=yp, average="macro")),
        "ragged rows": (
            "pathmnist",
            lambda m: m.compute(predictions=[[0.1] * 9] * 8 + [[0.1] * 8], references=list(range(9))),
        ),
        "text scores": ("breastmnist", lambda m: m.compute(predictions=["high"] * 20, references=yb)),
        "NaN score": (
            "pathmnist",
            lambda m: m.compute(predictions=np.where(np.eye(30, 9) > 0, np.nan, sp), references=yp),
        ),
        "label 2.5": ("pathmnist", lambda m: m.compute(predictions=sp, references=np.full(30, 2.5))),
        "a class missing": ("pathmnist", lambda m: m.compute(predictions=sp, references=np.minimum(yp, 7))),
    }


@pytest.mark.parametrize("name", list(ok_cases()))
def test_same_result_as_evaluates_own_path(evaluate_lib, tmp_path, name):
    config, fn = ok_cases()[name]
    fast, arrow = both_paths(evaluate_lib, tmp_path, config, fn)
    assert fast[0] == "ok", fast
    assert fast == arrow


@pytest.mark.parametrize("name", list(error_cases()))
def test_same_error_as_evaluates_own_path(evaluate_lib, tmp_path, name):
    config, fn = error_cases()[name]
    fast, arrow = both_paths(evaluate_lib, tmp_path, config, fn)
    assert fast[0] != "ok", fast
    assert fast == arrow


def test_after_a_refused_batch_the_earlier_ones_still_count(evaluate_lib, tmp_path):
    y, s = example("pathmnist", 40, 8)
    results = []
    for fast in (True, False):
        metric = evaluate_lib.load(str(metrics.MODULE_DIR), "pathmnist", cache_dir=str(tmp_path / str(fast)))
        metric._fast_path = fast
        metric.add_batch(predictions=s[:20], references=y[:20])
        with pytest.raises(ValueError, match="don't match the expected format"):
            metric.add_batch(predictions=s[20:], references=y[20:, 0])  # (N,) after (N, 1)
        metric.add_batch(predictions=s[20:], references=y[20:])
        results.append((len(metric), metric.compute()))
    assert results[0] == results[1] == (40, metrics.compute("pathmnist", y, s))


def test_in_memory_path_encodes_one_row_and_writes_no_file(evaluate_lib, tmp_path, monkeypatch):
    import datasets

    encoded = []
    original = datasets.Features.encode_batch
    def counting(self, batch):
        encoded.append(len(batch["predictions"]))
        return original(self, batch)

    monkeypatch.setattr(datasets.Features, "encode_batch", counting)
    y, s = example("chestmnist", 1000, 9)
    metric = evaluate_lib.load(str(metrics.MODULE_DIR), "chestmnist", cache_dir=str(tmp_path))
    for i in range(0, 1000, 10):
        metric.add_batch(predictions=s[i : i + 10], references=y[i : i + 10])
    assert metric.compute() == metrics.compute("chestmnist", y, s)
    assert encoded == [1]  # the first row, checked against evaluate's features; then nothing
    assert not list(tmp_path.rglob("*.arrow"))
    assert metric.compute(predictions=s, references=y) == metrics.compute("chestmnist", y, s)
    assert encoded == [1]  # the same layout again: evaluate's verdict on it is already known


def test_batches_are_copied_when_added(evaluate_lib):
    y, s = example("chestmnist", 100, 10)
    expected = metrics.compute("chestmnist", y, s)
    metric = metrics.load("chestmnist")
    buffer_s, buffer_y = s.copy(), y.copy()
    metric.add_batch(predictions=buffer_s, references=buffer_y)
    buffer_s[:] = 0.5  # a caller reusing its buffers (the Trainer does)
    buffer_y[:] = 0
    assert metric.compute() == expected


# --- distributed: evaluate's Arrow files and file locks, unchanged ----------------------------------


def _distributed_worker(cache_dir, process_id, y, s, queue):
    import evaluate

    evaluate.logging.set_verbosity_error()
    metric = evaluate.load(
        str(metrics.MODULE_DIR), "chestmnist", num_process=2, process_id=process_id, experiment_id="fast-path-test",
        cache_dir=cache_dir, timeout=60,
    )
    share = slice(process_id, None, 2)  # each process sees every other row, in batches of 25
    ys, ss = y[share], s[share]
    for i in range(0, len(ys), 25):
        metric.add_batch(predictions=ss[i : i + 25], references=ys[i : i + 25])
    queue.put((process_id, metric._fast_path, metric.compute(per_class=True)))


def test_distributed_two_processes_gather_through_evaluate(evaluate_lib, tmp_path):
    y, s = example("chestmnist", 300, 11)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [
        context.Process(target=_distributed_worker, args=(str(tmp_path), pid, y, s, queue)) for pid in (0, 1)
    ]
    for w in workers:
        w.start()
    got = dict((pid, (fast, result)) for pid, fast, result in (queue.get(timeout=120) for _ in workers))
    for w in workers:
        w.join(timeout=60)
        assert w.exitcode == 0
    # process 0 sees the rows in process order (0's rows, then 1's): the same multiset, so the same values
    order = np.concatenate([np.arange(0, 300, 2), np.arange(1, 300, 2)])
    one_process = metrics.load("chestmnist").compute(predictions=s[order], references=y[order], per_class=True)
    assert got[0] == (False, one_process) and got[1] == (False, None)
    assert one_process == metrics.compute("chestmnist", y, s, per_class=True)
    assert not list(tmp_path.rglob("*.arrow"))  # evaluate removes its cache files after computing
