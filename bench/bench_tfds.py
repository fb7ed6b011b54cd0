"""TFDS part: build time per image, tf.data throughput, random access and build memory, against the HF path.

Every figure is measured in the same run, on the same file, against the same work done
through the Hugging Face builder (``medmnist_hub.hf_builders.load_medmnist``):

* build time per image: ``download_and_prepare`` of the TFDS builder (``tfrecord``, the
  ``tfds.load`` format, and ``array_record``, the ``tfds.data_source`` format) against
  the HF builder's ``download_and_prepare`` (Arrow), both single-process, best of two interleaved runs,
  both from the same verified file, both encoding 2D images as PNG with PIL;
* ``tf.data`` iteration over the training split (decoded uint8 batches of 256):
  ``builder.as_dataset(...).batch(256).prefetch(AUTOTUNE)`` against HF's own way to a
  ``tf.data.Dataset``, ``Dataset.to_tf_dataset(batch_size=256)``;
* the same two figures against the Hub artifact itself: TFDS's build against ``export-hf``
  (Parquet + card, one process) on the same file, and its ``tf.data`` epoch against the export
  loaded back with ``load_dataset(<export folder>, config)`` then ``to_tf_dataset``;
* random access without TensorFlow: ``tfds.data_source`` ``records[i]`` at random
  indices against ``Dataset.with_format("numpy")[i]``;
* peak RSS of a build (fresh process, no TensorFlow: array_record) against the HF build.

Data: the real files where present (pneumoniamnist 2D, vesselmnist3d_64 3D), and a
224 px RGB file in the official layout made by upsampling real RetinaMNIST images (real
224 px images are smooth, which PNG rewards; noise would not be representative).
Outputs are checked equal (sorted by id) before anything is timed.

Run: ``python -m bench.bench_tfds`` (``BENCH_SCALE=0.25`` for a quick run).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from .common import WORK_DIR, Row, peak_rss_of, real_or_synthetic, retina_28_train, upsample_224

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
BATCH = 256
RANDOM_READS = 2000


# -- data ----------------------------------------------------------------------------------------
def _file(config: str) -> tuple[Path, str, dict]:
    """The real file, else a synthetic one with the catalog's split sizes; returns (path, data label, builder kwargs)."""
    path, data = real_or_synthetic(config, "tfds-synthetic")
    if data == "real":
        return path, data, {"source_dirs": [str(path.parent)]}
    return path, data, {"npz_path": str(path)}


def _file_224(rows: int) -> tuple[Path, str, dict]:
    """``retinamnist_224`` layout: real 28 px RetinaMNIST images upsampled to 224 px (deflated like the official)."""
    from medmnist_hub.atomic import atomic_open

    path = WORK_DIR / f"tfds-224-{rows}" / "retinamnist_224.npz"
    data = "real RetinaMNIST upsampled to 224 px (official layout)"
    if path.exists():
        return path, data, {"npz_path": str(path)}
    path.parent.mkdir(parents=True, exist_ok=True)
    small, labels, real = retina_28_train()
    if not real:
        data = "synthetic upsampled to 224 px (official layout)"

    def take(n: int, offset: int) -> tuple[np.ndarray, np.ndarray]:
        idx = (np.arange(n) + offset) % len(small)
        return upsample_224(small[idx]), labels[idx]

    splits = {"train": rows, "val": max(1, rows // 10), "test": max(1, rows // 5)}
    arrays = {}
    for offset, (split, n) in enumerate(splits.items()):
        arrays[f"{split}_images"], arrays[f"{split}_labels"] = take(n, offset * 7)
    order = [f"{s}_images" for s in splits] + [f"{s}_labels" for s in splits]
    with atomic_open(path, "wb") as f:
        np.savez_compressed(f, **{k: arrays[k] for k in order})
    return path, data, {"npz_path": str(path)}


# -- the two paths -------------------------------------------------------------------------------
def _build_tfds(config: str, kwargs: dict, file_format: str, data_dir: Path):
    import tensorflow_datasets as tfds

    builder = tfds.builder(f"medmnist/{config}", data_dir=str(data_dir), file_format=file_format, **kwargs)
    t0 = time.perf_counter()
    builder.download_and_prepare()
    return time.perf_counter() - t0, builder


def _build_hf(config: str, kwargs: dict, cache_dir: Path):
    from medmnist_hub.hf_builders import load_medmnist

    t0 = time.perf_counter()
    dd = load_medmnist(config, cache_dir=cache_dir, **kwargs)
    return time.perf_counter() - t0, dd


def _export_hf(config: str, path: Path, out: Path) -> float:
    """Seconds for ``export-hf`` of one config into ``out`` (one process, as the TFDS build)."""
    from medmnist_hub.hf_builders.export import export_hub_repo

    t0 = time.perf_counter()
    export_hub_repo(out, [config], npz_paths={config: path}, num_proc=1, progress=False)
    return time.perf_counter() - t0


def _dir_mib(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def _tf_epoch(ds) -> tuple[float, int]:
    t0 = time.perf_counter()
    n = 0
    for batch in ds:
        n += int(batch[1].shape[0])
    return time.perf_counter() - t0, n


def _check_same_data(tfds_builder, hf_train, subset) -> None:
    """TFDS (sorted by id) and HF give the same training images and labels."""
    import tensorflow_datasets as tfds

    ex = sorted(tfds.as_numpy(tfds_builder.as_dataset(split="train")), key=lambda e: e["id"])
    hf = hf_train.with_format("numpy")
    for i in (0, len(ex) // 2, len(ex) - 1):
        a = ex[i]["image"]
        b = hf[i]["image"]
        assert ex[i]["id"].decode() == hf[i]["id"], (ex[i]["id"], hf[i]["id"])
        assert np.array_equal(a.reshape(b.shape), b), "TFDS and HF images differ"
        if not subset.is_multilabel:
            assert int(ex[i]["label"]) == int(hf[i]["label"])


def _case_rows(config: str, path: Path, data: str, kwargs: dict) -> list[Row]:
    import tensorflow as tf
    import tensorflow_datasets as tfds

    from medmnist_hub.catalog import parse_config_name

    subset, _ = parse_config_name(config)
    path.read_bytes()  # warm the page cache: both builds then read from memory
    rows: list[Row] = []
    scratch = Path(tempfile.mkdtemp(prefix="bench-tfds-", dir=WORK_DIR))
    try:
        # Best of two builds each, interleaved, so that load from other processes hits both alike.
        t_rec = t_arr = t_hf = t_exp = float("inf")
        for attempt in range(2):
            export_dir = scratch / f"export-{attempt}"
            t_exp = min(t_exp, _export_hf(config, path, export_dir))
            t, rec_builder = _build_tfds(config, kwargs, "tfrecord", scratch / f"tfds-tfrecord-{attempt}")
            t_rec = min(t_rec, t)
            t, hf = _build_hf(config, kwargs, scratch / f"hf-{attempt}")
            t_hf = min(t_hf, t)
            t, arr_builder = _build_tfds(config, kwargs, "array_record", scratch / f"tfds-array_record-{attempt}")
            t_arr = min(t_arr, t)
        n_images = sum(s.num_examples for s in rec_builder.info.splits.values())
        assert n_images == sum(len(d) for d in hf.values())
        _check_same_data(rec_builder, hf["train"], subset)
        per = 1e3 / n_images
        hf_mib = sum(Path(c["filename"]).stat().st_size for d in hf.values() for c in d.cache_files) / 2**20
        common = dict(unit="ms/image", baseline_name="HF builder (Arrow)", higher_is_better=False, data=data)
        for fmt, t, builder in (("tfrecord", t_rec, rec_builder), ("array_record", t_arr, arr_builder)):
            mib = _dir_mib(Path(builder.data_dir))
            rows.append(
                Row(
                    "tfds",
                    f"{config}: build time per image, {fmt} ({n_images:,} images)",
                    t * per,
                    t_hf * per,
                    **common,
                    notes=f"{t:.1f}s vs {t_hf:.1f}s; on disk {mib:.1f} MiB vs {hf_mib:.1f} MiB",
                )
            )
        exp_mib = _dir_mib(export_dir / "data")
        rows.append(
            Row(
                "tfds",
                f"{config}: build time per image, tfrecord vs the Hub export ({n_images:,} images)",
                t_rec * per,
                t_exp * per,
                unit="ms/image",
                baseline_name="export-hf (Parquet + card, 1 process)",
                higher_is_better=False,
                data=data,
                notes=f"{t_rec:.1f}s vs {t_exp:.1f}s; on disk {_dir_mib(Path(rec_builder.data_dir)):.1f} MiB vs "
                f"{exp_mib:.1f} MiB of Parquet",
            )
        )

        # tf.data throughput over the training split, one warm-up pass each, best of two timed passes.
        # No auto-cache: TFDS would keep small datasets in memory after the first pass, which
        # would time a memory copy instead of reading and decoding.
        read_config = tfds.ReadConfig(try_autocache=False)
        ours_ds = rec_builder.as_dataset(split="train", as_supervised=True, read_config=read_config)
        ours_ds = ours_ds.batch(BATCH).prefetch(tf.data.AUTOTUNE)
        import datasets

        exported = datasets.load_dataset(str(export_dir), config, split="train", cache_dir=str(scratch / "hf-load"))
        baselines = [  # (case, baseline name, HF dataset, note)
            (f"tf.data epoch over train, batches of {BATCH}", "HF Dataset.to_tf_dataset", hf["train"],
             "HF yields int64 tensors, TFDS uint8"),
            (f"tf.data epoch over train vs the Hub export, batches of {BATCH}", "load_dataset(export).to_tf_dataset",
             exported, "the Parquet export read back as users load it from the Hub"),
        ]
        their_ds = [d.to_tf_dataset(columns="image", label_cols="label", batch_size=BATCH) for _, _, d, _ in baselines]
        for ds in (ours_ds, *their_ds):  # warm-up
            _tf_epoch(ds)
        t_ours, n_ours = min(_tf_epoch(ours_ds) for _ in range(2))
        assert n_ours == rec_builder.info.splits["train"].num_examples
        for (case, name, _, note), ds in zip(baselines, their_ds):
            t_base, n_base = min(_tf_epoch(ds) for _ in range(2))
            assert n_base == n_ours
            rows.append(
                Row(
                    "tfds",
                    f"{config}: {case}",
                    n_ours / t_ours,
                    n_base / t_base,
                    unit="images/s",
                    baseline_name=name,
                    data=data,
                    notes=f"{t_ours:.2f}s vs {t_base:.2f}s; {note}",
                )
            )

        # Random access, numpy out (the no-TensorFlow path).
        records = arr_builder.as_data_source(split="train")
        hf_np = hf["train"].with_format("numpy")
        idx = np.random.default_rng(0).integers(0, len(records), RANDOM_READS)
        records[int(idx[0])], hf_np[int(idx[0])]
        t0 = time.perf_counter()
        for i in idx:
            records[int(i)]
        t_src = time.perf_counter() - t0
        t0 = time.perf_counter()
        for i in idx:
            hf_np[int(i)]
        t_hf_ra = time.perf_counter() - t0
        rows.append(
            Row(
                "tfds",
                f"{config}: random access, {RANDOM_READS} reads of train",
                RANDOM_READS / t_src,
                RANDOM_READS / t_hf_ra,
                unit="reads/s",
                baseline_name="HF with_format('numpy')[i]",
                data=data,
                notes="tfds.data_source, array_record, no TensorFlow involved",
            )
        )
        del tfds
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return rows


# -- memory ----------------------------------------------------------------------------------------
BUILD_TFDS = """
import medmnist_hub.tfds_builders, tensorflow_datasets as tfds
tfds.disable_progress_bar()
b = tfds.builder({name!r}, data_dir={out!r}, file_format="array_record", npz_path={path!r})
b.download_and_prepare()
print(sum(s.num_examples for s in b.info.splits.values()))
"""

BUILD_HF = """
import datasets
datasets.disable_progress_bars()
from medmnist_hub.hf_builders import load_medmnist
dd = load_medmnist({config!r}, npz_path={path!r}, cache_dir={out!r})
print(sum(len(d) for d in dd.values()))
"""


def _memory_row(path: Path, config: str, data: str) -> Row:
    scratch = Path(tempfile.mkdtemp(prefix="bench-tfds-mem-", dir=WORK_DIR))
    try:
        ours, out_ours = peak_rss_of(
            BUILD_TFDS.format(name=f"medmnist/{config}", out=str(scratch / "t"), path=str(path))
        )
        base, out_base = peak_rss_of(BUILD_HF.format(config=config, out=str(scratch / "h"), path=str(path)))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    assert out_ours.split()[-1] == out_base.split()[-1]
    from medmnist_hub.npz_reader import NpzReader

    with NpzReader(path) as r:
        raw = r.info("train_images").nbytes / 2**20
    return Row(
        "tfds",
        f"{config}: peak RSS of a build (fresh process, array_record)",
        ours,
        base,
        unit="MiB",
        baseline_name="HF builder",
        higher_is_better=False,
        data=data,
        notes=f"train images {raw:.0f} MiB raw; ours = reader chunk (256 rows) + TFDS's shuffle buffer (<= 1 GiB)",
    )


def run() -> list[Row]:
    from medmnist_hub.tfds_builders import preload_before_tensorflow

    preload_before_tensorflow()  # before TensorFlow is imported (see tfds_builders.import_order)

    import datasets
    import tensorflow as tf  # noqa: F401  (imported up front: its ~6 s import is not a build cost)
    import tensorflow_datasets as tfds

    tfds.disable_progress_bar()
    datasets.disable_progress_bars()
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    cases = [
        ("pneumoniamnist", *_file("pneumoniamnist")),
        ("vesselmnist3d_64", *_file("vesselmnist3d_64")),
        ("retinamnist_224", *_file_224(int(600 * SCALE))),
    ]
    for config, path, data, kwargs in cases:
        rows += _case_rows(config, path, data, kwargs)
    config, path, data, _ = cases[-1]
    rows.append(_memory_row(path, config, data))
    return rows


if __name__ == "__main__":
    for r in run():
        print(
            f"{r.case:<75} ours {r.ours:10.3f} {r.unit:<9} {r.baseline_name}: {r.baseline:10.3f}  "
            f"ratio {r.ratio:5.2f}x  [{r.data}] {r.notes}"
        )
