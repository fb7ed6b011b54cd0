"""A montage per subset, rendered from the exported Parquet itself.

One row per class (per finding for ChestMNIST, the images where it is present), up to
:data:`PER_CLASS` training examples each, in official order; 3D volumes show their
middle axial slice.  Reading our own export back (not the ``.npz``) makes the picture
in the card a view of exactly what users download.  Rendering uses only fixed PIL
operations, so the PNG is deterministic.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from ..atomic import atomic_write_bytes
from ..catalog import get_subset

IMAGES_DIR = "images"  # in the export folder, beside data/
PER_CLASS = 8
CELL = 56
GAP = 2
MAX_ROWS_SCANNED = 50_000
BACKGROUND = (255, 255, 255)


def _cells(subset, files: list[Path]) -> list[list[np.ndarray]]:
    """Up to PER_CLASS example images (uint8 arrays) per class, from the train shards."""
    import PIL.Image
    import pyarrow.parquet as pq

    rows: list[list[np.ndarray]] = [[] for _ in subset.label_names]
    scanned = 0
    for path in files:
        pf = pq.ParquetFile(path)
        for batch in pf.iter_batches(batch_size=512, columns=["image", "label"]):
            labels = batch.column("label").to_pylist()
            images = batch.column("image")
            for i, label in enumerate(labels):
                wanted = [c for c in (label if subset.is_multilabel else [label]) if len(rows[c]) < PER_CLASS]
                if not wanted:
                    continue
                if subset.is_3d:
                    picture = _middle_slice(images, i)
                else:
                    picture = np.asarray(PIL.Image.open(io.BytesIO(images[i]["bytes"].as_py())))
                for c in wanted:
                    rows[c].append(picture)
            scanned += len(labels)
            if all(len(r) >= PER_CLASS for r in rows) or scanned >= MAX_ROWS_SCANNED:
                return rows
    return rows


def _middle_slice(column, i: int) -> np.ndarray:
    """Middle axial slice of row ``i`` of an Array3D column (extension or plain nested lists)."""
    import pyarrow as pa

    storage = column.storage if isinstance(column, pa.ExtensionArray) else column
    one = storage.slice(i, 1)
    depth = len(one.flatten())
    flat = one.flatten().flatten().flatten().to_numpy(zero_copy_only=False).astype(np.uint8, copy=False)
    volume = flat.reshape(depth, -1)
    side = int(round(volume.shape[1] ** 0.5))
    return volume[depth // 2].reshape(side, side)


def render_montage(subset_key: str, train_files: list[Path]):
    """The montage as a PIL image (RGB)."""
    import PIL.Image

    subset = get_subset(subset_key)
    rows = _cells(subset, train_files)
    width = PER_CLASS * CELL + (PER_CLASS + 1) * GAP
    height = len(rows) * CELL + (len(rows) + 1) * GAP
    canvas = PIL.Image.new("RGB", (width, height), BACKGROUND)
    for r, pictures in enumerate(rows):
        for c, picture in enumerate(pictures[:PER_CLASS]):
            tile = PIL.Image.fromarray(picture).convert("RGB")
            resample = PIL.Image.Resampling.NEAREST if tile.width <= CELL else PIL.Image.Resampling.BOX
            tile = tile.resize((CELL, CELL), resample)
            canvas.paste(tile, (GAP + c * (CELL + GAP), GAP + r * (CELL + GAP)))
    return canvas


def montage_source(manifest: dict, subset_key: str) -> str | None:
    """The config a subset's montage is drawn from: its smallest exported size."""
    candidates = [(e["size"], c) for c, e in manifest["configs"].items() if e["subset"] == subset_key]
    return min(candidates)[1] if candidates else None


def write_montages(out_dir: Path, manifest: dict, changed: set[str]) -> None:
    """(Re)draw the montage of every exported subset whose source config changed."""
    montages = manifest.setdefault("montages", {})
    subsets = sorted({e["subset"] for e in manifest["configs"].values()})
    for key in list(montages):
        if key not in subsets:
            (out_dir / montages.pop(key)["path"]).unlink(missing_ok=True)
    for key in subsets:
        config = montage_source(manifest, key)
        rel = f"{IMAGES_DIR}/{key}.png"
        current = montages.get(key)
        if current and current["from"] == config and config not in changed and (out_dir / rel).is_file():
            continue
        files = [out_dir / f["path"] for f in manifest["configs"][config]["splits"]["train"]["files"]]
        image = render_montage(key, files)
        (out_dir / IMAGES_DIR).mkdir(exist_ok=True)
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        atomic_write_bytes(out_dir / rel, buf.getvalue())
        montages[key] = {"path": rel, "from": config}
