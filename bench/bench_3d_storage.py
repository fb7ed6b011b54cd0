"""How the 3D column is stored: ``Array3D`` (what we ship) vs a fixed-length nested ``List``.

The Hub's own Croissant generator (huggingface/dataset-viewer, ``croissant_utils``) describes
a fixed-length ``List`` as ``isArray``/``arrayShape`` and skips ``Array3D``; our own
``croissant.json`` describes the volumes either way.  Before switching the stored format for
the Hub's sake, this measures what a user pays on the path they take: ``load_dataset`` of the
export folder (Arrow cache preparation), then one epoch of ``with_format("numpy",
dtype=np.uint8)`` batches of 32.  Array3D: the export as it is (``load_dataset(export, config)``,
features from its card).  Fixed-length List: the same Parquet files rewritten with the image
column as ``List(List(List(uint8, D), H), W)`` and the matching ``huggingface`` features,
loaded as a folder (features from the Parquet metadata).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from .common import WORK_DIR, Row, real_or_synthetic, timed

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
CONFIG = "vesselmnist3d_64"


def _as_fixed_lists(src: Path, dst: Path, shape: tuple[int, int, int]) -> None:
    """Copy ``src``'s Parquet files to ``dst`` with the image column as fixed-size nested lists."""
    import datasets
    import pyarrow as pa
    import pyarrow.parquet as pq

    d, h, w = shape
    feature = datasets.List(datasets.List(datasets.List(datasets.Value("uint8"), length=w), length=h), length=d)
    for f in sorted(src.glob("*.parquet")):
        pf = pq.ParquetFile(f)
        table = pf.read()
        hf = json.loads(pf.schema_arrow.metadata[b"huggingface"])
        features = datasets.Features.from_dict(hf["info"]["features"])
        features["image"] = feature
        schema = features.arrow_schema
        table = table.cast(pa.schema([pa.field(n, schema.field(n).type) for n in schema.names],
                                     metadata=schema.metadata))
        pq.write_table(table, dst / f.name, row_group_size=pf.metadata.row_group(0).num_rows, compression="zstd")


def _load_and_epoch(folder: Path, config: str | None, rows: int) -> tuple[float, float, np.ndarray, str]:
    import datasets

    cache = Path(tempfile.mkdtemp(prefix="bench-3d-cache-", dir=WORK_DIR))
    t_load, ds = timed(lambda: datasets.load_dataset(str(folder), config, split="train", cache_dir=str(cache)))
    ds = ds.select(range(min(rows, len(ds)))).with_format("numpy", dtype=np.uint8)

    def epoch():
        for start in range(0, len(ds), 32):
            x = ds[start : start + 32]["image"]
        return x

    t_epoch, last = timed(epoch)
    kind = type(ds.features["image"]).__name__
    shutil.rmtree(cache, ignore_errors=True)
    return t_load, t_epoch, np.asarray(last, dtype=np.uint8), kind


def run() -> list[Row]:
    import datasets

    from medmnist_hub.catalog import parse_config_name
    from medmnist_hub.hf_builders.export import export_hub_repo
    from medmnist_hub.npz_reader import NpzReader

    datasets.disable_progress_bars()
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    path, data = real_or_synthetic(CONFIG, "hf-synthetic")
    subset, size = parse_config_name(CONFIG)
    work = Path(tempfile.mkdtemp(prefix="bench-3d-storage-", dir=WORK_DIR))
    try:
        export_hub_repo(work / "export", [CONFIG], npz_paths={CONFIG: path}, progress=False)
        fixed = work / "fixed-list"
        fixed.mkdir()
        _as_fixed_lists(work / "export" / "data" / CONFIG, fixed, subset.image_shape(size))
        rows = max(32, int(384 * SCALE))
        with NpzReader(path) as r:
            expected = r.read("train_images", stop=rows)
        out = {}
        # The export as users load it (its card declares Array3D); the rewritten files on their own.
        for name, folder, config in (("Array3D", work / "export", CONFIG), ("fixed-length List", fixed, None)):
            t_load, t_epoch, last, kind = _load_and_epoch(folder, config, rows)
            assert np.array_equal(last, expected[(len(expected) - 1) // 32 * 32:]), f"{name}: volumes differ"
            size_mib = sum(f.stat().st_size for f in folder.rglob("*.parquet")) / 2**20
            out[name] = (t_load, t_epoch, kind, size_mib)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    (la, ea, ka, sa), (ll, el, kl, sl) = out["Array3D"], out["fixed-length List"]
    n = len(expected)
    return [Row(
        benchmark="hf 3D storage",
        case=f"{CONFIG} export, load_dataset + numpy epoch over {n} train volumes: Array3D vs fixed-length List",
        ours=n / ea, baseline=n / el, unit="volumes/s", baseline_name="List(List(List(uint8, 64), 64), 64)",
        data=data,
        notes=(f"epoch {ea:.3f}s vs {el:.2f}s; load_dataset (whole train split) {la:.1f}s vs {ll:.1f}s; "
               f"features read back: {ka} vs {kl}; Parquet {sa:.2f} vs {sl:.2f} MiB"),
    )]


if __name__ == "__main__":
    for r in run():
        print(f"{r.case}\n  ours {r.ours:.1f} {r.unit}, {r.baseline_name}: {r.baseline:.1f}, ratio {r.ratio:.2f}x; "
              f"{r.notes}")
