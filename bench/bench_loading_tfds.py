"""First-epoch loading through our TFDS build against the official loader, at 1 thread and at 2 workers.

The cases, the official baseline (``medmnist`` 3.0.2 ``Dataset`` + ``DataLoader``), the
normalisation both sides apply and the parallelism rules are :mod:`bench.loading_common`'s.
Ours, from the same real file, built and set up once outside the timing (as the official
dataset object and its DataLoader are):

* ``tf.data``: ``builder.as_dataset(split="train", batch_size=128, read_config=...)`` through
  ``tfds.as_numpy``, then the shared normalisation.  The ``tfds.ReadConfig`` pins the
  parallelism: ``tf.data.Options`` with ``private_threadpool_size`` = 1 or 2 and
  ``max_intra_op_parallelism`` = 1, ``num_parallel_calls_for_decode`` = 1 or 2, and
  ``try_autocache=False``, since this is one pass (the in-memory cache pays off from the
  second epoch on and costs a copy in the first): the README's recipe, which
  ``tests/tfds/test_tfds_fast_paths.py`` checks. Our builder parses the 28 px records in
  batches (``batched_reader``); the row "stock TFDS reader" is the same build read with
  ``stock_readers=True`` (TFDS's per-example parse), and the batched row's notes say how much
  faster than it the batched reader is, measured in the same run;
* ``tfds.data_source`` (array_record): a torch ``DataLoader`` (batch 128, 0 or 2 workers, a
  fresh one per epoch as on the official side) over the source, which reads each batch with
  one ``__getitems__`` call; the collate function stacks and normalises, in the workers.
  Workers start from a ``forkserver`` that has imported torch and TFDS (ArrayRecord's
  thread pool does not survive a plain ``fork``; see ``tests/tfds/test_tfds_pytorch.py``),
  so a worker costs a fork and opening the files, not an interpreter start. Our builder's
  source decodes each record with a lean decoder (``record_source``); the "stock TFDS decoder"
  row is the same build with ``stock_readers=True`` (TFDS's ``deserialize_example_np``).

Before anything is timed, every path's examples for the official first batch's rows
(found by ``id``: TFDS stores examples in key-hash order) are checked equal to the
official batch, pixels and labels.  Run: ``python -m bench --only loading_tfds``.
"""

from __future__ import annotations

import os

import numpy as np

import medmnist_hub.tfds_builders  # noqa: F401  registers "medmnist"; loads triton's library before TensorFlow can

from .common import Row
from .loading_common import (
    BATCH,
    WORKERS,
    as_numpy,
    check_same,
    epoch_of,
    loading_row,
    normalise,
    official_loader,
    print_rows,
    real_file,
    run_cases,
    time_epoch,
)

BATCHED = "TFDS tfrecord, tf.data (tfds.as_numpy)"
STOCK = "TFDS tfrecord, tf.data, stock TFDS reader (stock_readers=True)"
SOURCE = "TFDS array_record, tfds.data_source + DataLoader"
STOCK_SOURCE = "TFDS array_record, tfds.data_source + DataLoader, stock TFDS decoder (stock_readers=True)"
#: Our fast path -> the same path on TFDS's own reader, whose time the fast row's notes compare with.
STOCK_OF = {BATCHED: STOCK, SOURCE: STOCK_SOURCE}


def read_config(threads: int):
    """The README's ``tfds.ReadConfig`` at ``threads`` threads (see the module docstring)."""
    import tensorflow as tf
    import tensorflow_datasets as tfds

    options = tf.data.Options()
    options.threading.private_threadpool_size = threads
    options.threading.max_intra_op_parallelism = 1
    return tfds.ReadConfig(options=options, num_parallel_calls_for_decode=threads, try_autocache=False)


def _ids(values) -> list[str]:
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values]


class _Collate:
    """``DataLoader`` collate for data_source examples: normalised image and label tensors, and the ids.

    Torch tensors, as the official side returns: a worker hands them over in shared memory
    (a numpy batch would be pickled through a pipe, several times slower for 3D)."""

    def __init__(self, is_3d: bool):
        self.is_3d = is_3d

    def __call__(self, examples):
        import torch

        x = normalise(np.stack([e["image"] for e in examples]), self.is_3d)
        y = np.array([e["label"] for e in examples])
        return torch.from_numpy(x), torch.from_numpy(y), _ids(e["id"] for e in examples)


class _TFData:
    """``tf.data`` pipelines of one build, one per parallelism, each built once (like the official dataset)."""

    def __init__(self, builder, is_3d: bool):
        self.builder, self.is_3d, self.pipelines = builder, is_3d, {}

    def batches(self, workers: int):
        import tensorflow_datasets as tfds

        if workers not in self.pipelines:
            rc = read_config(max(1, workers))
            self.pipelines[workers] = self.builder.as_dataset(split="train", batch_size=BATCH, read_config=rc)
        for batch in tfds.as_numpy(self.pipelines[workers]):
            yield normalise(batch["image"], self.is_3d), batch["label"], batch["id"]


def _source_loader(source, is_3d: bool, workers: int):
    import multiprocessing

    from torch.utils.data import DataLoader

    context = None
    if workers:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["torch", "tensorflow_datasets", __name__])  # effective when it starts
    return DataLoader(source, batch_size=BATCH, shuffle=False, num_workers=workers, collate_fn=_Collate(is_3d),
                      multiprocessing_context=context)


def _check(what: str, batches, reference) -> None:
    """Gather the official first batch's rows by id from one pass and compare them with it."""
    want = [f"train-{i:06d}" for i in range(len(reference[0]))]
    found: dict[str, tuple] = {}
    for x, y, ids in batches:
        x, y = as_numpy(x), as_numpy(y)
        for i, key in enumerate(_ids(ids)):
            found[key] = (x[i], y[i])
    missing = [k for k in want if k not in found]
    if missing:
        raise AssertionError(f"{what}: ids {missing[:3]}... not found")
    check_same(what, reference, np.stack([found[k][0] for k in want]), np.stack([found[k][1] for k in want]))


def _rows_for(config: str, label: str, tmp: str) -> list[Row]:
    import tensorflow_datasets as tfds

    from medmnist_hub.catalog import parse_config_name
    from medmnist_hub.tfds_builders.metadata import image_storage

    path = real_file(config)
    official = official_loader(config, path)
    is_3d = official.is_3d
    reference = official.reference()
    builder = tfds.builder(f"medmnist/{config}", data_dir=os.path.join(tmp, "tfrecord"), npz_path=str(path),
                           file_format="tfrecord")
    builder.download_and_prepare()
    source = tfds.data_source(f"medmnist/{config}", data_dir=os.path.join(tmp, "array_record"),
                              builder_kwargs={"npz_path": str(path), "file_format": "array_record"})["train"]
    stock_source = tfds.data_source(f"medmnist/{config}", data_dir=os.path.join(tmp, "array_record"),
                                    builder_kwargs={"file_format": "array_record", "stock_readers": True})["train"]
    stock = tfds.builder(f"medmnist/{config}", data_dir=os.path.join(tmp, "tfrecord"), stock_readers=True)
    paths = {
        BATCHED: _TFData(builder, is_3d).batches,
        STOCK: _TFData(stock, is_3d).batches,
        SOURCE: lambda w: _source_loader(source, is_3d, w),
        STOCK_SOURCE: lambda w: _source_loader(stock_source, is_3d, w),
    }
    for what, make in paths.items():
        _check(what, make(0), reference)
    storage = image_storage(*parse_config_name(config))
    rows = []
    for workers in WORKERS:
        t_official, n = time_epoch(official.epoch, workers)
        times = {}
        for what, make in paths.items():
            times[what], n_ours = time_epoch(epoch_of(make), workers)
            assert n_ours == n, (what, n_ours, n)
        for what, t_ours in times.items():
            notes = f"image stored as {storage}"
            if what in STOCK_OF:
                how = "batched parse" if what == BATCHED else "lean record decoder"
                notes += f"; {how}, {times[STOCK_OF[what]] / t_ours:.2f}x the stock TFDS reader"
            threads = "tf.data" in what  # tf.data has no workers: its parallelism is threads in one process
            if workers:
                notes += f"; threadpool and decode calls {workers}" if threads else "; DataLoader workers (forkserver)"
            rows.append(loading_row(config, label, what, n, t_ours, t_official, workers, is_3d, notes=notes,
                                    in_process=threads))
    return rows


def run() -> list[Row]:
    import tensorflow_datasets as tfds

    tfds.disable_progress_bar()
    return run_cases(_rows_for, "bench-loading-tfds")


if __name__ == "__main__":
    print_rows(run())
