"""The baseline every loading benchmark shares: the official ``medmnist`` 3.0.2 loader.

Both sides of a loading row produce the same thing, a float32 batch in the official
transform's maths -- ``(x / 255 - 0.5) / 0.5`` channels-first for 2D (``ToTensor`` +
``Normalize(0.5, 0.5)``), ``x / 255`` with a channel axis for 3D (the official 3D dataset's
values; it returns them as float64, which is what its users get, our sides as float32) --
with the labels, in file order, batches of :data:`BATCH`.  Each row is
measured at one parallelism, the same on both sides:

* ``0`` workers: everything in the main process, ``torch.set_num_threads(1)``;
* ``2`` workers: a ``DataLoader(num_workers=2)`` (its workers run one thread each); a
  ``tf.data`` side has no worker processes and runs on 2 threads instead (no fork to pay), and
  so does our training path (its data is decoded already: the Trainer runs it with
  ``dataloader_num_workers=0``), on 2 torch threads; such rows say "2 workers vs ours 2 threads".

Time is one epoch's, best of :data:`REPEAT`, in a fresh DataLoader with default options, so
with workers it includes forking them (~50 ms here, as much as a whole epoch of a small
subset, and the same on both sides); no side caches decoded images between epochs, so each
timed epoch decodes everything again.  :func:`official_loader` builds the baseline,
:meth:`OfficialLoader.reference` gives the first batch every other side is checked against
(:func:`check_same`) before it is timed, :func:`dataloader` is the one DataLoader set-up, and
:func:`loading_row` turns two timings into a :class:`bench.common.Row`.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass

import numpy as np

from .common import WORK_DIR, Row, real_or_none, timed

CASES = [("pneumoniamnist", "2D gray"), ("retinamnist", "2D RGB"), ("adrenalmnist3d", "3D")]
BATCH = 128
WORKERS = (0, 2)
REPEAT = 3
BASELINE_NAME = "medmnist 3.0.2 Dataset + DataLoader"


def parallelism(workers: int) -> str:
    return "1 thread" if workers == 0 else f"{workers} workers"


def real_file(config: str):
    path = real_or_none(config)
    if path is None:
        raise FileNotFoundError(f"the loading benchmarks need the real {config}.npz in the shared data folder")
    return path


def normalise(x: np.ndarray, is_3d: bool) -> np.ndarray:
    """A uint8 numpy batch in the official layout -> the official transform's float32 values, channels-first."""
    if is_3d:
        return np.divide(x, np.float32(255), dtype=np.float32)[:, None]
    x = x[:, None] if x.ndim == 3 else x.transpose(0, 3, 1, 2)
    out = np.empty(x.shape, dtype=np.float32)  # C-contiguous, as the official batch
    np.divide(x, np.float32(255), out=out)
    out -= np.float32(0.5)
    out /= np.float32(0.5)
    return out


def normalise_torch(x, is_3d: bool, channels_first: bool = False):
    """:func:`normalise` for a uint8 torch batch; ``channels_first``: 2D already (B, C, H, W), as
    ``datasets``' torch formatter gives PIL images."""
    if is_3d:
        return x.float().div_(255).unsqueeze(1)  # uint8 -> float, then divide: faster than one mixed-type div
    if not channels_first:
        x = x.unsqueeze(1) if x.ndim == 3 else x.permute(0, 3, 1, 2)
    return x.float().div_(255).sub_(0.5).div_(0.5).contiguous()


def as_numpy(x) -> np.ndarray:
    return x.numpy() if hasattr(x, "numpy") else np.asarray(x)


def dataloader(dataset, workers: int, collate_fn=None):
    """The one DataLoader set-up of every side: batches of :data:`BATCH`, in order, default options
    (so with workers, each epoch forks them again, as a user's default DataLoader does)."""
    from torch.utils.data import DataLoader

    return DataLoader(dataset, batch_size=BATCH, shuffle=False, num_workers=workers, collate_fn=collate_fn)


def batch_size_of(batch) -> int:
    """Rows in a batch: ``(images, labels, ...)`` tuples, or a dict with ``labels`` (the Trainer's batches)."""
    return len(batch["labels"]) if isinstance(batch, dict) else len(batch[0])


def epoch_of(make_batches):
    """``make_batches(workers)`` -> a fresh iterable of batches  ==>  ``epoch(workers)`` -> rows seen."""
    def epoch(workers: int) -> int:
        return sum(batch_size_of(b) for b in make_batches(workers))

    return epoch


@dataclass
class OfficialLoader:
    """The official train split of ``config`` with the official transform, and its epochs."""

    config: str
    is_3d: bool
    dataset: object  # medmnist.<Subset>(split="train", ...)

    def __len__(self) -> int:
        return len(self.dataset)

    def batches(self, workers: int):
        return dataloader(self.dataset, workers)

    def epoch(self, workers: int) -> int:
        """One pass over the split in a fresh DataLoader; returns the number of images seen."""
        return sum(len(x) for x, _ in self.batches(workers))

    def reference(self) -> tuple[np.ndarray, np.ndarray]:
        """The first batch: float32 images and the official (B, L) int labels."""
        x, y = next(iter(self.batches(0)))
        return x.float().numpy(), y.numpy()


def official_loader(config: str, path) -> OfficialLoader:
    import medmnist
    from torchvision import transforms

    from medmnist_hub.catalog import parse_config_name

    subset, size = parse_config_name(config)
    cls = getattr(medmnist, subset.name)
    kwargs = dict(split="train", root=str(path.parent), download=False, size=size)
    if not subset.is_3d:
        mean = [0.5] * subset.channels
        kwargs["transform"] = transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean=mean, std=mean)])
    return OfficialLoader(config, subset.is_3d, cls(**kwargs))


def check_same(what: str, reference: tuple[np.ndarray, np.ndarray], images, labels=None) -> None:
    """Refuse to time a side whose first batch differs from the official one (pixels, and labels if given)."""
    ref_x, ref_y = reference
    x = as_numpy(images)
    if x.shape != ref_x.shape or not np.allclose(x, ref_x, atol=1e-6):
        raise AssertionError(f"{what}: first batch differs from the official loader's (shape {x.shape} vs {ref_x.shape})")
    if labels is not None and not np.array_equal(as_numpy(labels).reshape(len(ref_y), -1), ref_y):
        raise AssertionError(f"{what}: first batch's labels differ from the official loader's")


def time_epoch(epoch, workers: int, threads: int = 1) -> tuple[float, int]:
    """Best time of :data:`REPEAT` calls of ``epoch(workers)`` (the main process on ``threads``
    torch threads) and its row count.

    One untimed call first warms lazy imports and the page cache; nothing decoded is kept
    between calls on either side, so every timed epoch decodes again.
    """
    import torch

    torch.set_num_threads(threads)
    try:
        epoch(workers)
        return timed(epoch, workers, repeat=REPEAT)
    finally:
        torch.set_num_threads(1)


IN_PROCESS = "official: {w} forked workers; ours: one process on {w} threads, nothing forked"


def loading_row(config: str, label: str, what: str, n: int, t_ours: float, t_official: float, workers: int,
                is_3d: bool, notes: str = "", in_process: bool = False) -> Row:
    """One row; ``in_process``: at ``workers`` > 0 our side ran in the main process on that many threads."""
    in_process = in_process and workers > 0
    both = IN_PROCESS.format(w=workers) if in_process else f"{parallelism(workers)} both sides"
    how = f"{parallelism(workers)} vs ours {workers} threads" if in_process else parallelism(workers)
    return Row(
        benchmark="loading epoch",
        case=f"{config} ({label}) train, {n:,}, {how}: {what}",
        ours=n / t_ours,
        baseline=n / t_official,
        unit="volumes/s" if is_3d else "images/s",
        baseline_name=BASELINE_NAME,
        data="real",
        notes=f"epoch {t_ours:.2f}s vs {t_official:.2f}s, batch {BATCH}, {both}"
        + (f"; {notes}" if notes else ""),
    )


def run_cases(rows_for, prefix: str) -> list[Row]:
    """``rows_for(config, label, tmp)`` for every case of :data:`CASES`, each with a scratch folder
    (under ``WORK_DIR``, ``prefix``-named) that is removed afterwards."""
    rows: list[Row] = []
    for config, label in CASES:
        tmp = tempfile.mkdtemp(prefix=f"{prefix}-{config}-", dir=str(WORK_DIR) if WORK_DIR.exists() else None)
        try:
            rows += rows_for(config, label, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return rows


def print_rows(rows: list[Row]) -> None:
    for r in rows:
        print(f"{r.case}: ours {r.ours:,.0f} vs {r.baseline:,.0f} {r.unit} -> {r.ratio:.2f}x ({r.notes})")
