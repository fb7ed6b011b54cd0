"""Epoch iteration: our HF export and our TFDS build against the official package.

For a 2D gray (PneumoniaMNIST), a 2D RGB (RetinaMNIST) and a 3D (AdrenalMNIST3D) set, one
pass over the training split in batches of 128, producing the same float32 tensors on
every side: ``(x / 255 - 0.5) / 0.5`` channels-first for 2D (the official
``ToTensor + Normalize(0.5, 0.5)``), ``x / 255`` for 3D (what the official 3D dataset
returns).  Baseline: the official ``medmnist`` 3.0.2 ``Dataset`` + torch ``DataLoader`` on
the same file.  Ours:

* HF export (``export-hf`` Parquet, read back with ``load_dataset``), ``with_format("torch")``
  and ``with_format("numpy")`` batched slices, PNG images decoded as they are read;
* TFDS build (tfrecord), ``tf.data`` batches through ``tfds.as_numpy``;
* TFDS ``data_source`` (array_record), random-access reads gathered into batches.

The first batch of every side is checked equal to the official one before timing.
Everything runs single-threaded (``torch.set_num_threads(1)``), as in a DataLoader worker.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import numpy as np

import medmnist_hub.tfds_builders  # noqa: F401  registers "medmnist"; loads triton's library before TensorFlow can

from .common import WORK_DIR, Row, real_or_none, timed

CASES = [("pneumoniamnist", "2D gray"), ("retinamnist", "2D RGB"), ("adrenalmnist3d", "3D")]
BATCH = 128


def _normalise(x: np.ndarray, is_3d: bool) -> np.ndarray:
    """uint8 batch in the official layout -> float32 channels-first, the official transform's maths."""
    x = x.astype(np.float32) / 255.0
    if is_3d:
        return x[:, None]
    x = x[:, None] if x.ndim == 3 else x.transpose(0, 3, 1, 2)
    return (x - 0.5) / 0.5


def _official(config: str, root: str):
    import medmnist
    from torchvision import transforms

    from medmnist_hub.catalog import get_subset

    subset = get_subset(config)
    cls = getattr(medmnist, subset.name)
    if subset.is_3d:
        return cls(split="train", root=root, download=False)
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean=[0.5] * subset.channels, std=[0.5] * subset.channels)])
    return cls(split="train", root=root, transform=tf, download=False)


def _rows_for(config: str, label: str, path, tmp: str) -> list[Row]:
    import tensorflow_datasets as tfds
    import torch
    from datasets import load_dataset
    from torch.utils.data import DataLoader

    from medmnist_hub.catalog import get_subset
    from medmnist_hub.hf_builders import export_hub_repo

    is_3d = get_subset(config).is_3d
    official = _official(config, str(path.parent))
    first_official = next(iter(DataLoader(official, batch_size=BATCH)))[0].float().numpy()

    def official_epoch():
        return sum(len(x) for x, _ in DataLoader(official, batch_size=BATCH, shuffle=False, num_workers=0))

    # HF export, read back from the Parquet files
    export_hub_repo(os.path.join(tmp, "hub"), [config], npz_paths={config: path}, progress=False)
    hf = load_dataset(os.path.join(tmp, "hub"), config, split="train", cache_dir=os.path.join(tmp, "hf-cache"))
    hf_torch = hf.with_format("torch", columns=["image", "label"], dtype=torch.uint8)
    hf_numpy = hf.with_format("numpy", columns=["image", "label"], dtype=np.uint8)

    def hf_epoch(fmt):
        def epoch():
            n = 0
            for start in range(0, len(hf), BATCH):
                x = fmt[start : start + BATCH]["image"]
                if isinstance(x, torch.Tensor):
                    x = x.float().div_(255)
                    x = x.unsqueeze(1) if (is_3d or x.ndim == 3) else x
                    x = x if is_3d else x.sub_(0.5).div_(0.5)
                else:
                    x = _normalise(x, is_3d)
                n += len(x)
            return n

        return epoch

    # TFDS: tfrecord for tf.data, array_record for data_source
    builder = tfds.builder(f"medmnist/{config}", data_dir=os.path.join(tmp, "tfds-rec"), npz_path=str(path), file_format="tfrecord")
    builder.download_and_prepare()
    source = tfds.data_source(
        f"medmnist/{config}", data_dir=os.path.join(tmp, "tfds-ar"),
        builder_kwargs={"npz_path": str(path), "file_format": "array_record"},
    )["train"]

    def tfds_image(x):
        return x[..., 0] if (not is_3d and x.shape[-1] == 1) else x

    def tfdata_epoch():
        n = 0
        ds = builder.as_dataset(split="train", shuffle_files=False).batch(BATCH)
        for batch in tfds.as_numpy(ds):
            n += len(_normalise(tfds_image(batch["image"]), is_3d))
        return n

    def source_epoch():
        n = 0
        for start in range(0, len(source), BATCH):
            items = source.__getitems__(range(start, min(start + BATCH, len(source))))
            n += len(_normalise(tfds_image(np.stack([it["image"] for it in items])), is_3d))
        return n

    # same data, same transform (TFDS batches are in its hashed order: compare as sets of ids)
    assert np.allclose(_normalise(hf_numpy[0:BATCH]["image"], is_3d), first_official, atol=1e-6), config
    by_id = {it["id"].decode(): it["image"] for it in source.__getitems__(range(len(source)))}
    tfds_first = np.stack([tfds_image(by_id[f"train-{i:06d}"]) for i in range(BATCH)])
    assert np.allclose(_normalise(tfds_first, is_3d), first_official, atol=1e-6), config

    torch.set_num_threads(1)
    t_off, n = timed(official_epoch, repeat=2)
    results = [
        ("HF export, with_format('torch') batches", timed(hf_epoch(hf_torch), repeat=2)[0]),
        ("HF export, with_format('numpy') batches", timed(hf_epoch(hf_numpy), repeat=2)[0]),
        ("TFDS tfrecord, tf.data batches (tfds.as_numpy)", timed(tfdata_epoch, repeat=2)[0]),
        ("TFDS array_record, tfds.data_source reads", timed(source_epoch, repeat=2)[0]),
    ]
    unit = "volumes/s" if is_3d else "images/s"
    return [
        Row(
            benchmark="loading epoch",
            case=f"{config} ({label}) train, {n:,}: {what}",
            ours=n / t,
            baseline=n / t_off,
            unit=unit,
            baseline_name="medmnist 3.0.2 Dataset + DataLoader",
            data="real",
            notes=f"epoch {t:.2f}s vs {t_off:.2f}s, batch {BATCH}, 1 thread",
        )
        for what, t in results
    ]


def run() -> list[Row]:
    rows: list[Row] = []
    for config, label in CASES:
        path = real_or_none(config)
        if path is None:
            raise FileNotFoundError(f"bench_loading needs the real {config}.npz in the shared data folder")
        tmp = tempfile.mkdtemp(prefix=f"bench-loading-{config}-", dir=str(WORK_DIR) if WORK_DIR.exists() else None)
        try:
            rows += _rows_for(config, label, path, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return rows


if __name__ == "__main__":
    for r in run():
        print(f"{r.case}: ours {r.ours:,.0f} vs {r.baseline:,.0f} {r.unit} -> {r.ratio:.2f}x")
