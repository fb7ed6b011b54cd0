"""Official ``.npz`` rows -> TFDS examples, streamed: the one job shared by both generation paths.

The in-process generator and the Apache Beam workers both call :func:`iter_examples`,
which reads a row range of one split in bounded chunks (never the whole array) and
turns each row into the feature dict the builder declares:

* ``image``: 2D -> PNG bytes (PIL, lossless, default settings: the same bytes as the
  Hugging Face export); 3D -> the ``(s, s, s)`` uint8 volume, zlib-compressed by TFDS.
  Handing TFDS ready PNG bytes keeps TensorFlow out of generation (TFDS would otherwise
  encode arrays with a TF graph), so a ``tfds.data_source`` user never needs it.
* ``label``: the class index, or for the multi-label ChestMNIST the indices of the
  positive findings (a ``Sequence(ClassLabel)``, like the HF builder's list of labels).
* ``id``: ``"{official split}-{row:06d}"``, shared with the HF builder; it is also the
  example key, so TFDS's key-hash shuffling can always be undone by sorting on it.

Only numpy, PIL and the core reader are imported, so Beam workers start fast.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator

import numpy as np

from ..catalog import SPLITS, Subset, get_subset
from ..errors import FormatError
from ..npz_reader import NpzReader

#: Official split name -> TFDS split name.
TFDS_SPLIT_NAMES: dict[str, str] = {"train": "train", "val": "validation", "test": "test"}
#: TFDS split name -> official split name.
OFFICIAL_SPLIT_NAMES: dict[str, str] = {v: k for k, v in TFDS_SPLIT_NAMES.items()}

#: Rows per chunk read from the file: bounds generation memory (~40 MB of 224x224x3).
CHUNK_ROWS = 256


def example_id(official_split: str, index: int) -> str:
    """Stable id of an example: its official split and row, e.g. ``train-000042``."""
    if official_split not in SPLITS:
        raise ValueError(f"unknown official split {official_split!r}; expected one of {list(SPLITS)}")
    return f"{official_split}-{index:06d}"


def encode_png(image: np.ndarray) -> bytes:
    """One uint8 image, (H, W) -> PNG mode L, (H, W, 3) -> PNG mode RGB."""
    import PIL.Image

    buf = io.BytesIO()
    PIL.Image.fromarray(image).save(buf, format="PNG")
    return buf.getvalue()


def check_labels(path: os.PathLike | str, subset: Subset, key: str, labels: np.ndarray, first_row: int) -> None:
    """Every label must be a valid class (or 0/1 for multi-label); names the row at fault."""
    limit = 2 if subset.is_multilabel else subset.num_classes
    bad = np.argwhere(labels >= limit)
    if len(bad):
        row, col = (int(v) for v in bad[0])
        raise FormatError(
            path,
            f"row {first_row + row} holds label value {int(labels[row, col])}, but {subset.key} "
            + ("labels are 0/1 per finding" if subset.is_multilabel else f"has classes 0..{subset.num_classes - 1}"),
            key=key,
        )


def label_value(subset: Subset, row: np.ndarray) -> int | list[int]:
    if subset.is_multilabel:
        return np.flatnonzero(row).tolist()
    return int(row[0])


def iter_examples(
    path: os.PathLike | str,
    subset: str,
    size: int,
    official_split: str,
    start: int = 0,
    stop: int | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[tuple[str, dict]]:
    """Yield ``(key, example)`` for rows ``[start, stop)`` of ``official_split``.

    Memory is one chunk of ``chunk_rows`` rows, whatever the file size.  Labels are
    range-checked as they stream, so a damaged or foreign file fails with the row at
    fault instead of producing a dataset with impossible labels.
    """
    sub = get_subset(subset)
    images_key, labels_key = f"{official_split}_images", f"{official_split}_labels"
    with NpzReader(path) as reader:
        rows = reader.info(images_key).rows
        stop = rows if stop is None else min(stop, rows)
        label_chunks = reader.iter_chunks(labels_key, chunk_rows, start=start, stop=stop)
        index = start
        for images in reader.iter_chunks(images_key, chunk_rows, start=start, stop=stop):
            labels = next(label_chunks)
            check_labels(path, sub, labels_key, labels, index)
            for image, label in zip(images, labels):
                key = example_id(official_split, index)
                yield (
                    key,
                    {
                        "image": image if sub.is_3d else encode_png(image),
                        "label": label_value(sub, label),
                        "id": key,
                    },
                )
                index += 1
        for _ in label_chunks:  # run the labels' reader to its end, where it checks the zip CRC
            pass


def shard_ranges(rows: int, rows_per_shard: int) -> list[tuple[int, int]]:
    """Split ``rows`` into consecutive ``[start, stop)`` ranges for parallel workers."""
    if rows_per_shard < 1:
        raise ValueError(f"rows_per_shard must be >= 1, got {rows_per_shard}")
    return [(s, min(s + rows_per_shard, rows)) for s in range(0, rows, rows_per_shard)]


def examples_for_range(
    shard: tuple[str, int, int], *, path: str, subset: str, size: int, chunk_rows: int = CHUNK_ROWS
) -> Iterator[tuple[str, dict]]:
    """Beam ``FlatMap`` body: one ``(official_split, start, stop)`` work item -> its examples."""
    official_split, start, stop = shard
    yield from iter_examples(path, subset, size, official_split, start, stop, chunk_rows)


def multi_hot(label_indices, num_labels: int = 14) -> np.ndarray:
    """ChestMNIST ``label`` values (lists of positive indices) -> the official (N, 14) uint8 matrix.

    In a ``tf.data`` pipeline the same is
    ``tf.reduce_max(tf.one_hot(label, 14, dtype=tf.uint8), axis=0)`` per example.
    """
    rows = list(label_indices)
    out = np.zeros((len(rows), num_labels), dtype=np.uint8)
    for i, row in enumerate(rows):
        out[i, np.asarray(row, dtype=np.int64)] = 1
    return out
