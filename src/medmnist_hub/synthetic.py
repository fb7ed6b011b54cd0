"""Synthetic files in exactly the official ``.npz`` format, generated from the catalog.

Only 7 of the 60 official files are available to our tests; these fixtures stand in
for the rest.  They have the official keys, uint8 dtype, image/label shapes, label
ranges (multi-hot for ChestMNIST) and compressed members, with small split sizes.
Images carry a label-dependent brightness so a model can learn something from them,
which makes end-to-end training tests meaningful.

:func:`write_npz_streaming` writes an ``.npz`` member by member and chunk by chunk, so
benchmark files of many GB can be produced without holding them in memory.
"""

from __future__ import annotations

import math
import os
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

import numpy as np

from .atomic import atomic_open
from .catalog import SPLITS, Subset, get_subset

#: Small default split sizes: every class appears in every split for all subsets.
DEFAULT_SPLIT_SIZES: Mapping[str, int] = {"train": 33, "val": 14, "test": 22}


def synthetic_labels(subset: Subset, n: int, rng: np.random.Generator) -> np.ndarray:
    if subset.is_multilabel:
        labels = (rng.random((n, subset.num_classes)) < 0.3).astype(np.uint8)
        if n >= 2:  # both values present in every column, so per-label AUC is defined
            labels[0] = 1
            labels[1] = 0
        return labels
    classes = np.arange(n) % subset.num_classes
    rng.shuffle(classes)
    return classes.astype(np.uint8).reshape(n, 1)


def synthetic_images(subset: Subset, size: int, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    shape = (len(labels),) + subset.image_shape(size)
    if subset.is_multilabel:
        level = labels[:, 0].astype(np.float32)
    else:
        level = labels[:, 0].astype(np.float32) / max(1, subset.num_classes - 1)
    base = 40.0 + 150.0 * level
    noise = rng.normal(0.0, 20.0, size=shape).astype(np.float32)
    images = base.reshape((-1,) + (1,) * (len(shape) - 1)) + noise
    return np.clip(images, 0, 255).astype(np.uint8)


def synthetic_arrays(
    subset: str | Subset, size: int = 28, split_sizes: Mapping[str, int] | None = None, seed: int = 0
) -> dict[str, np.ndarray]:
    subset = get_subset(subset) if isinstance(subset, str) else subset
    split_sizes = dict(DEFAULT_SPLIT_SIZES if split_sizes is None else split_sizes)
    rng = np.random.default_rng([seed, size, sum(map(ord, subset.key))])
    arrays: dict[str, np.ndarray] = {}
    for split in SPLITS:
        labels = synthetic_labels(subset, split_sizes[split], rng)
        arrays[f"{split}_images"] = synthetic_images(subset, size, labels, rng)
        arrays[f"{split}_labels"] = labels
    return arrays


def write_synthetic(
    out_dir: os.PathLike | str,
    subset: str,
    size: int = 28,
    split_sizes: Mapping[str, int] | None = None,
    seed: int = 0,
) -> Path:
    """Write ``<out_dir>/<official file name>`` with synthetic content; returns its path."""
    sub = get_subset(subset)
    path = Path(out_dir) / sub.file(size).filename
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = synthetic_arrays(sub, size, split_sizes, seed)
    with atomic_open(path, "wb") as f:
        np.savez_compressed(f, **{k: arrays[k] for k in _official_member_order()})
    return path


def _official_member_order() -> list[str]:
    return [f"{s}_images" for s in SPLITS] + [f"{s}_labels" for s in SPLITS]


ChunkSource = Callable[[], Iterable[np.ndarray]]


def write_npz_streaming(
    path: os.PathLike | str,
    members: Mapping[str, tuple[tuple[int, ...], ChunkSource]],
    compressed: bool = False,
) -> Path:
    """Write an ``.npz`` whose members arrive as chunks of rows (uint8 only).

    ``members`` maps a key to ``(shape, make_chunks)``; ``make_chunks()`` yields arrays
    whose rows concatenate to ``shape``.  Memory use is one chunk.
    """
    path = Path(path)
    mode = zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED
    with atomic_open(path, "wb") as out, zipfile.ZipFile(out, "w", compression=mode, allowZip64=True) as zf:
        for key, (shape, make_chunks) in members.items():
            header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.uint8)), "fortran_order": False, "shape": tuple(shape)}
            with zf.open(f"{key}.npy", "w", force_zip64=True) as f:
                np.lib.format.write_array_header_1_0(f, header) if _fits_v1(header) else np.lib.format.write_array_header_2_0(f, header)
                written = 0
                for chunk in make_chunks():
                    chunk = np.ascontiguousarray(chunk, dtype=np.uint8)
                    f.write(chunk.tobytes())
                    written += chunk.size
                if written != math.prod(shape):
                    raise ValueError(f"{key}: chunks held {written} values, shape {shape} needs {math.prod(shape)}")
    return path


def _fits_v1(header: dict) -> bool:
    return len(repr(header)) < 65000


def iter_synthetic_chunks(
    shape: tuple[int, ...], chunk_rows: int, seed: int = 0, high: int = 256
) -> Iterator[np.ndarray]:
    """Random uint8 rows of ``shape`` in blocks of ``chunk_rows`` (for big benchmark files)."""
    rng = np.random.default_rng(seed)
    for start in range(0, shape[0], chunk_rows):
        n = min(chunk_rows, shape[0] - start)
        yield rng.integers(0, high, size=(n,) + tuple(shape[1:]), dtype=np.uint8)
