"""Check that an ``.npz`` file has exactly the official layout of a given subset and size.

Everything is checked against the catalog: key set, dtype (uint8), image and label
shapes, split sizes, and (streamed, so bounded memory) that every label is in range
for the task.  Errors name the file, the key and the offending value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from .catalog import SPLITS, Subset, get_subset
from .errors import FormatError
from .npz_reader import NpzReader

EXPECTED_KEYS = tuple(f"{s}_{part}" for s in SPLITS for part in ("images", "labels"))


@dataclass
class SplitSummary:
    count: int
    label_counts: list[int]
    pixel_mean: float


@dataclass
class FileSummary:
    path: str
    subset: str
    size: int
    splits: dict[str, SplitSummary] = field(default_factory=dict)


def check_layout(
    reader: NpzReader, subset: Subset, size: int, split_sizes: Mapping[str, int] | None = None
) -> None:
    """Keys, dtypes and shapes (headers only: no pixel is read).

    ``split_sizes`` defaults to the catalog's; pass the sizes of a synthetic file
    (or ``{}`` to accept any row count) to relax only that check.
    """
    path = reader.path
    keys = set(reader.arrays)
    missing = [k for k in EXPECTED_KEYS if k not in keys]
    if missing:
        raise FormatError(path, f"missing key(s) {missing}; an official file has exactly {list(EXPECTED_KEYS)}")
    extra = sorted(keys - set(EXPECTED_KEYS))
    if extra:
        raise FormatError(path, f"unexpected key(s) {extra}; an official file has exactly {list(EXPECTED_KEYS)}")
    expected_counts = dict(subset.split_sizes) if split_sizes is None else dict(split_sizes)
    image_shape = subset.image_shape(size)
    for split in SPLITS:
        images = reader.info(f"{split}_images")
        labels = reader.info(f"{split}_labels")
        for arr in (images, labels):
            if arr.dtype != np.uint8:
                raise FormatError(path, f"dtype is {arr.dtype}, expected uint8", key=arr.key)
        if images.row_shape != image_shape or not images.shape:
            raise FormatError(
                path,
                f"shape is {images.shape}, expected (N, {', '.join(map(str, image_shape))}) for "
                f"{subset.key} at size {size}",
                key=images.key,
            )
        if labels.shape != (images.rows, subset.label_width):
            raise FormatError(
                path, f"shape is {labels.shape}, expected ({images.rows}, {subset.label_width})", key=labels.key
            )
        if split in expected_counts and images.rows != expected_counts[split]:
            raise FormatError(
                path,
                f"has {images.rows} examples, the catalog says {subset.key} {split} has {expected_counts[split]}",
                key=images.key,
            )


def check_label_block(
    path: os.PathLike | str, subset: Subset, key: str, block: np.ndarray, first_row: int
) -> None:
    """Check that every label of ``block`` (rows ``first_row...`` of ``key``) is in range for ``subset``.

    The one label check: the file validator and the builders that stream labels block by
    block all call it, so a bad file is reported with the same words (file, key, value,
    row and column) whichever tool reads it.
    """
    limit = 2 if subset.is_multilabel else subset.num_classes
    bad = np.argwhere(block >= limit)
    if len(bad):
        r, c = bad[0]
        what = "0 or 1 (multi-hot)" if subset.is_multilabel else f"in [0, {subset.num_classes - 1}]"
        raise FormatError(
            path,
            f"label {int(block[r, c])} at row {first_row + int(r)}, column {int(c)} is out of range: expected {what}",
            key=key,
        )


def check_labels(reader: NpzReader, subset: Subset, split: str, chunk_rows: int = 65536) -> list[int]:
    """Stream a split's labels, check their range, return per-class (or per-label) counts."""
    key = f"{split}_labels"
    counts = np.zeros(subset.num_classes, dtype=np.int64)
    row = 0
    for block in reader.iter_chunks(key, chunk_rows):
        check_label_block(reader.path, subset, key, block, row)
        if subset.is_multilabel:
            counts += block.sum(axis=0, dtype=np.int64)
        else:
            counts += np.bincount(block[:, 0], minlength=subset.num_classes)
        row += len(block)
    return counts.tolist()


def validate_file(
    path: os.PathLike | str,
    subset: str | Subset,
    size: int = 28,
    split_sizes: Mapping[str, int] | None = None,
    pixel_stats: bool = True,
) -> FileSummary:
    """Full check of a file (streamed); returns per-split counts, label counts, mean pixel."""
    subset = get_subset(subset) if isinstance(subset, str) else subset
    summary = FileSummary(path=str(path), subset=subset.key, size=size)
    with NpzReader(path) as reader:
        check_layout(reader, subset, size, split_sizes)
        for split in SPLITS:
            label_counts = check_labels(reader, subset, split)
            total, n = 0, 0
            if pixel_stats:
                for block in reader.iter_chunks(f"{split}_images"):
                    total += int(block.sum(dtype=np.uint64))
                    n += block.size
            summary.splits[split] = SplitSummary(
                count=reader.info(f"{split}_images").rows,
                label_counts=label_counts,
                pixel_mean=(total / n) if n else float("nan"),
            )
    return summary
