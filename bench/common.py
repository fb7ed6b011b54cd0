"""What every benchmark shares: result rows, timing, peak-RSS measurement, data lookup.

A row always pairs our figure with a baseline measured in the same run on the same
machine, and the ratio is what we publish; absolute numbers vary between machines,
ratios much less.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("MEDMNIST_SHARED_DATA", REPO_ROOT.parent / "shared" / "data" / "medmnist"))
WORK_DIR = Path(os.environ.get("BENCH_WORK_DIR", REPO_ROOT / "out" / "bench"))


@dataclass
class Row:
    """One benchmark result: ``ours`` vs ``baseline`` in ``unit``; ``ratio`` is oriented so >1 means we win."""

    benchmark: str
    case: str
    ours: float
    baseline: float
    unit: str
    baseline_name: str
    higher_is_better: bool = True
    data: str = ""  # "real" or "synthetic (official format)"
    notes: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        if self.higher_is_better:
            return self.ours / self.baseline if self.baseline else float("inf")
        return self.baseline / self.ours if self.ours else float("inf")

    def as_dict(self) -> dict:
        d = asdict(self)
        d["ratio"] = self.ratio
        return d


def timed(fn, *args, repeat: int = 1, **kwargs) -> tuple[float, object]:
    """Best wall time of ``repeat`` calls (seconds) and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - t0)
    return best, result


def peak_rss_of(code: str, env: dict | None = None, stderr_hook=None) -> tuple[float, str]:
    """Run ``code`` in a fresh interpreter; return its peak RSS in MiB and its stdout.

    A fresh process per measurement: ``ru_maxrss`` only ever grows, so measuring two
    things in one process would hide the smaller one.
    """
    # VmHWM belongs to the process's own address space; ru_maxrss would carry over the
    # parent's peak through fork+exec and inflate small figures.
    wrapper = (
        code
        + "\nimport sys\nprint('__PEAK_RSS_KB__', [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0], file=sys.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", wrapper], capture_output=True, text=True, env={**os.environ, **(env or {})}, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark subprocess failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    kb = next(int(line.split()[1]) for line in proc.stderr.splitlines() if line.startswith("__PEAK_RSS_KB__"))
    if stderr_hook is not None:
        stderr_hook(proc.stderr)
    return kb / 1024, proc.stdout


# Started before the measured code: polls the VmHWM (peak RSS since exec) of every direct child
# process, so that worker pools (spawned: each child has its own address space) are counted too.
_WATCH_CHILDREN = """
import os as _os, threading as _threading, time as _time
_child_peaks_kb = {}
_watch_stop = _threading.Event()

with open("/proc/self/cmdline", "rb") as _f:
    _own_cmdline = _f.read()

def _poll_children():
    me = _os.getpid()
    for entry in _os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) != me:
                    continue
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if f.read() == _own_cmdline:  # forked but not yet exec'd: still our memory, not its own
                    continue
            with open(f"/proc/{entry}/status") as f:
                kb = next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))
        except (OSError, ValueError, IndexError, StopIteration):
            continue
        _child_peaks_kb[entry] = max(_child_peaks_kb.get(entry, 0), kb)

def _watch_children():
    while not _watch_stop.is_set():
        _poll_children()
        _time.sleep(0.1)

_watcher = _threading.Thread(target=_watch_children, daemon=True)
_watcher.start()
"""

_REPORT_CHILDREN = """
_watch_stop.set()
_watcher.join()
import sys as _sys
print("__CHILD_PEAKS_KB__", *sorted(_child_peaks_kb.values()), file=_sys.stderr)
"""


def peak_rss_with_children(code: str, env: dict | None = None) -> tuple[float, list[float], str]:
    """:func:`peak_rss_of`, plus the peak RSS (MiB) of each child process ``code`` started.

    Children are sampled every 0.1 s while they live (their VmHWM is a high-water mark, so a
    sample late in their life holds their peak); the sum parent + children bounds the total
    footprint from above (the peaks need not coincide).
    """
    proc_peaks: list[float] = []

    def grab(stderr: str) -> None:
        for line in stderr.splitlines():
            if line.startswith("__CHILD_PEAKS_KB__"):
                proc_peaks.extend(int(v) / 1024 for v in line.split()[1:])

    parent, stdout = peak_rss_of(_WATCH_CHILDREN + code + _REPORT_CHILDREN, env=env, stderr_hook=grab)
    return parent, proc_peaks, stdout


def big_file_layout(config: str, train_gib: float, min_rows: int):
    """(subset, image shape, rows per split) of a synthetic ``config`` file with ``train_gib`` GiB of train images.

    The other splits keep the official proportions to train; every split has at least ``min_rows``.
    """
    import math

    from medmnist_hub.catalog import parse_config_name

    subset, size = parse_config_name(config)
    shape = subset.image_shape(size)
    train = max(min_rows, int(train_gib * 2**30 // math.prod(shape)))
    official = subset.split_sizes
    rows = {split: max(min_rows, round(train * official[split] / official["train"])) for split in official}
    rows["train"] = train
    return subset, shape, rows


def real_or_none(config: str) -> Path | None:
    path = SHARED_DATA / f"{config}.npz"
    return path if path.is_file() else None


def real_or_synthetic(config: str, folder: str) -> tuple[Path, str]:
    """The real file of ``config``, else a synthetic one with the official split sizes (from the catalog).

    Returns the path and what it is (``"real"`` or ``"synthetic (official format)"``), for the
    rows' ``data`` field; synthetic files are written once under ``WORK_DIR / folder``.
    """
    from medmnist_hub.catalog import parse_config_name
    from medmnist_hub.synthetic import write_synthetic

    real = real_or_none(config)
    if real is not None:
        return real, "real"
    subset, size = parse_config_name(config)
    path = write_synthetic(WORK_DIR / folder, subset.key, size, dict(subset.split_sizes))
    return path, "synthetic (official format)"


def retina_28_train():
    """RetinaMNIST 28 px training images and labels, and whether they are real.

    The real file where present, else 512 synthetic official-format rows.  The 224 px
    benchmark files are made from these images (see :func:`upsample_224`): real 224 px
    images are smooth, which PNG rewards, and noise would not be representative.
    """
    from medmnist_hub.npz_reader import NpzReader
    from medmnist_hub.synthetic import synthetic_arrays

    real = real_or_none("retinamnist")
    if real is not None:
        with NpzReader(real) as r:
            return r.read("train_images"), r.read("train_labels"), True
    arrays = synthetic_arrays("retinamnist", 28, {"train": 512, "val": 1, "test": 1})
    return arrays["train_images"], arrays["train_labels"], False


def upsample_224(images):
    """Images ``(n, h, w[, c])`` resized to 224 x 224 with PIL's bilinear filter, stacked."""
    import numpy as np
    import PIL.Image

    return np.stack(
        [np.asarray(PIL.Image.fromarray(x).resize((224, 224), PIL.Image.Resampling.BILINEAR)) for x in images]
    )


def write_json(rows: list[Row], path: Path) -> None:
    from medmnist_hub.atomic import atomic_write_text

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps([r.as_dict() for r in rows], indent=2))
