"""Epoch iteration through our HF export and its in-memory paths, against the official loader.

The cases, the baseline (official ``medmnist`` 3.0.2 ``Dataset`` + ``DataLoader``, ToTensor +
Normalize), the normalisation every side applies and the parallelism rules (1 thread; 2
DataLoader workers, on both sides) are :mod:`bench.loading_common`'s.  Ours, from the
``export-hf`` Parquet files of the same real file read back with ``load_dataset``:

* ``with_format("numpy")`` / ``with_format("torch")`` through a ``DataLoader``, images decoded
  as they are read: the plain one (``datasets``' ``__getitems__`` gathers the batch's rows one
  by one), and one whose sampler hands out one ``range`` per batch (``batch_size=None``), which
  ``datasets`` reads as a contiguous slice; the collate function normalises, in the workers;
* in memory: :func:`~medmnist_hub.hf_builders.decode_images` once, then the same loaders (numpy);
* the training path: ``dataset_to_tensors`` once, then ``TensorSplitDataset`` +
  ``BatchCollator`` (what ``transformers.Trainer`` is given) through a ``DataLoader``; at
  2-way parallelism it runs as the Trainer runs it (``dataloader_num_workers=0``: the data is
  in memory already), in the main process on 2 torch threads, nothing forked;
* at 1 thread, a bound: the official maths alone over the decoded uint8 split, batch by
  batch, with numpy or torch, whichever is faster (no reading, no DataLoader): a side that
  reads anything and produces these float32 batches cannot beat it (3D: 88 KB a volume);
* at 2 workers, a bound: a ``DataLoader(num_workers=2)`` whose workers only copy a ready batch
  of the output's shape (no reading, no decoding): forking and handing over cost this much for
  every worker-based side here, so the official loader's time over it is the best ratio any
  2-worker ``DataLoader`` side can reach;
* 2D only, the storage we did not choose: the same split written by ``datasets`` as Parquet
  with a fixed-shape uint8 ``image`` column (``Array2D``/``Array3D``, what :func:`decode_images`
  gives) and read back with ``load_dataset("parquet")``, contiguous slices in both formats;
  the notes give both layouts' Parquet size (the export's train shards against this file).

The one-off decoding of the in-memory paths is timed apart and given in the notes.  Every
path's first batch is checked equal to the official one (pixels and labels) before timing.
The TFDS rows are :mod:`bench.bench_loading_tfds`'s.
"""

from __future__ import annotations

import glob
import os
import time

import numpy as np

from .common import Row
from .loading_common import (
    BATCH,
    WORKERS,
    check_same,
    dataloader,
    epoch_of,
    loading_row,
    normalise,
    normalise_torch,
    official_loader,
    print_rows,
    real_file,
    run_cases,
    time_epoch,
)


class _Collate:
    """Rows of a formatted dataset, or one formatted batch -> ``(normalised images, labels)`` torch
    tensors (runs in the workers)."""

    def __init__(self, is_3d: bool, torch_format: bool, channels_first: bool):
        self.is_3d, self.torch_format, self.channels_first = is_3d, torch_format, channels_first

    def __call__(self, rows):
        if self.torch_format:
            import torch

            if isinstance(rows, dict):  # a batch read as one slice
                x, y = rows["image"], rows["label"]
            else:
                x, y = torch.stack([r["image"] for r in rows]), torch.stack([r["label"] for r in rows])
            return normalise_torch(x, self.is_3d, self.channels_first), y
        if isinstance(rows, dict):
            x, y = rows["image"], rows["label"]
        else:
            x, y = np.stack([r["image"] for r in rows]), np.stack([r["label"] for r in rows])
        import torch

        # handed back as tensors, as default_collate would: a worker passes them in shared memory,
        # where numpy arrays would be pickled through a pipe
        return torch.from_numpy(normalise(x, self.is_3d)), torch.from_numpy(np.asarray(y))


def _formatted(ds, fmt: str, is_3d: bool, slices: bool = False):
    """``make_batches(workers)`` over ``ds.with_format(fmt)``: a plain DataLoader (rows gathered by
    ``__getitems__``), or with ``slices`` one ``range`` per batch (``batch_size=None``), which
    ``datasets`` reads as one contiguous slice."""
    import datasets
    import torch
    from torch.utils.data import DataLoader

    dtype = torch.uint8 if fmt == "torch" else np.uint8
    formatted = ds.with_format(fmt, columns=["image", "label"], dtype=dtype)
    # datasets' torch formatter turns PIL images into (C, H, W) tensors; array columns keep the official layout
    channels_first = fmt == "torch" and isinstance(ds.features["image"], datasets.Image)
    collate = _Collate(is_3d, fmt == "torch", channels_first)
    if not slices:
        return lambda workers: dataloader(formatted, workers, collate)
    ranges = [range(i, min(i + BATCH, len(ds))) for i in range(0, len(ds), BATCH)]
    return lambda workers: DataLoader(formatted, batch_size=None, sampler=ranges, num_workers=workers, collate_fn=collate)


class _ReadyBatches:
    """Every batch is already made: a worker only copies it (the floor of a worker-based side)."""

    def __init__(self, reference: tuple[np.ndarray, np.ndarray], n: int):
        import torch

        self.x, self.y, self.n = torch.from_numpy(reference[0]), torch.from_numpy(reference[1]), n

    def __len__(self) -> int:
        return self.n

    def __getitems__(self, indices):
        return self.x[: len(indices)].clone(), self.y[: len(indices)].clone()


def _as_is(batch):
    return batch


def _training(split, spec):
    """``make_batches(workers)`` of the training path (what the Trainer is given)."""
    from medmnist_hub.training.data import BatchCollator, TensorSplitDataset

    data, collate = TensorSplitDataset(split), BatchCollator(spec)
    return lambda workers: dataloader(data, workers, collate)


def _as_official(batch, spec) -> tuple[np.ndarray, np.ndarray]:
    """A training batch's ``pixel_values`` in the official layout: (x - mean) / std undone to
    the official transform (2D: mean = std = 0.5, gray repeated to 3 channels; 3D: x / 255 / std)."""
    pv, labels = batch["pixel_values"].numpy(), batch["labels"].numpy()
    if spec.subset.is_3d:
        return pv * np.asarray(spec.std, dtype=np.float32).reshape(1, -1, 1, 1, 1), labels
    assert spec.mean == spec.std == (0.5, 0.5, 0.5), spec
    return (pv[:, :1] if spec.subset.channels == 1 else pv), labels


def _mib(paths) -> str:
    return f"{sum(os.path.getsize(p) for p in paths) / 2**20:.2f} MiB"


def _array_layout(decoded, hub: str, config: str, tmp: str):
    """The train split stored with a fixed-shape uint8 ``image`` column (the layout the export
    does not use), read back as a user would, and a note comparing both layouts' Parquet size."""
    from datasets import load_dataset

    from medmnist_hub.catalog import PUBLISHED_SPLIT_NAMES

    path = os.path.join(tmp, "array-layout", "train.parquet")
    os.makedirs(os.path.dirname(path))
    decoded.to_parquet(path)
    ours = glob.glob(os.path.join(hub, "**", config, f"{PUBLISHED_SPLIT_NAMES['train']}-*.parquet"), recursive=True)
    assert ours, f"no export-hf train shards of {config} under {hub}"
    arrays = load_dataset("parquet", data_files={"train": path}, split="train", cache_dir=os.path.join(tmp, "hf-cache"))
    kind = type(arrays.features["image"]).__name__
    return arrays, f"Parquet train split: {kind} {_mib([path])}, the export's Image column {_mib(ours)}"


def _maths_alone(uint8: np.ndarray, is_3d: bool):
    """``make_batches`` of the official maths alone over a decoded split: the faster of numpy and torch."""
    import torch

    ways = {
        "numpy": lambda workers: ((normalise(uint8[i:i + BATCH], is_3d),) for i in range(0, len(uint8), BATCH)),
        "torch": lambda workers: ((normalise_torch(torch.from_numpy(uint8[i:i + BATCH]), is_3d),)
                                  for i in range(0, len(uint8), BATCH)),
    }
    best = min(ways, key=lambda way: time_epoch(epoch_of(ways[way]), 0)[0])
    return best, ways[best]


def _bounds(workers: int, reference, decoded, is_3d: bool) -> dict:
    """The bound row of this parallelism (see the module docstring), as a ``paths`` entry."""
    unchecked = "nothing read or decoded: not checked against the official batch"
    if not workers:
        uint8 = np.asarray(decoded.with_format("numpy", columns=["image"], dtype=np.uint8)["image"])
        way, make = _maths_alone(uint8, is_3d)
        what = f"bound at 1 thread: the official maths alone on the decoded uint8 split ({way}, the faster)"
        return {what: (make, unchecked, False)}
    ready = _ReadyBatches(reference, len(decoded))
    what = f"bound at {workers} workers: a DataLoader whose workers only copy a ready batch"
    return {what: (lambda w: dataloader(ready, w, _as_is), unchecked, False)}


def _rows_for(config: str, label: str, tmp: str) -> list[Row]:
    from datasets import load_dataset

    from medmnist_hub.hf_builders import decode_images, export_hub_repo
    from medmnist_hub.training.data import dataset_to_tensors
    from medmnist_hub.training.protocol import model_spec

    path = real_file(config)
    official = official_loader(config, path)
    is_3d = official.is_3d
    reference = official.reference()
    hub = os.path.join(tmp, "hub")
    export_hub_repo(hub, [config], npz_paths={config: path}, progress=False)
    hf = load_dataset(hub, config, split="train", cache_dir=os.path.join(tmp, "hf-cache"))

    t0 = time.perf_counter()
    decoded = decode_images(hf)
    t_decode = time.perf_counter() - t0
    spec = model_spec(config, architecture="resnet18_3d" if is_3d else "resnet18", input_size=None if is_3d else 28)
    t0 = time.perf_counter()
    split = dataset_to_tensors(hf, spec)
    t_tensors = time.perf_counter() - t0
    decode_note = f"decode once {t_decode:.2f}s (decode_images), not in the epoch"
    gather, slices = "DataLoader gathering rows (__getitems__)", f"DataLoader of contiguous slices ds[i:i+{BATCH}]"
    paths = {
        f"HF export, with_format('torch'), {gather}": (_formatted(hf, "torch", is_3d), "", False),
        f"HF export, with_format('numpy'), {gather}": (_formatted(hf, "numpy", is_3d), "", False),
        f"HF export, with_format('torch'), {slices}": (_formatted(hf, "torch", is_3d, slices=True), "", False),
        f"HF export, with_format('numpy'), {slices}": (_formatted(hf, "numpy", is_3d, slices=True), "", False),
        f"in memory: decode_images(), with_format('numpy'), {gather}": (
            _formatted(decoded, "numpy", is_3d), decode_note, False),
        f"in memory: decode_images(), with_format('numpy'), {slices}": (
            _formatted(decoded, "numpy", is_3d, slices=True), decode_note, False),
        "training path: TensorSplitDataset + BatchCollator + DataLoader": (
            _training(split, spec), f"decode once {t_tensors:.2f}s (dataset_to_tensors), not in the epoch; "
            f"pixel_values of {spec.architecture} at {spec.input_size} px" + ("" if is_3d else ", gray as 3 channels"),
            True),  # in process: at N-way parallelism, the main process on N threads, as the Trainer runs it
    }
    if not is_3d:
        arrays, size_note = _array_layout(decoded, hub, config, tmp)
        alt = f"2D storage alternative: Parquet {type(arrays.features['image']).__name__} uint8 column"
        for fmt in ("torch", "numpy"):
            paths[f"{alt}, with_format('{fmt}'), {slices}"] = (_formatted(arrays, fmt, is_3d, slices=True), size_note, False)
    for what, (make, *_) in paths.items():
        first = next(iter(make(0)))
        if isinstance(first, dict):
            first = _as_official(first, spec)
        check_same(what, reference, *first)

    rows = []
    for workers in WORKERS:
        t_official, n = time_epoch(official.epoch, workers)
        for what, (make, notes, in_process) in {**paths, **_bounds(workers, reference, decoded, is_3d)}.items():
            in_process = in_process and workers > 0
            t_ours, n_ours = time_epoch(epoch_of(make), 0 if in_process else workers, threads=workers if in_process else 1)
            assert n_ours == n, (what, n_ours, n)
            rows.append(loading_row(config, label, what, n, t_ours, t_official, workers, is_3d, notes=notes,
                                    in_process=in_process))
    return rows


def run() -> list[Row]:
    return run_cases(_rows_for, "bench-loading")


if __name__ == "__main__":
    print_rows(run())
