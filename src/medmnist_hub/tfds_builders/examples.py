"""Official ``.npz`` rows -> TFDS examples, streamed: the one job shared by both generation paths.

The in-process generator and the Apache Beam workers both call :func:`iter_examples`,
which reads a row range of one split in bounded chunks (never the whole array) and
turns each row into the feature dict the builder declares:

* ``image``: the uint8 array (gray 2D with a trailing channel axis), which TFDS stores as
  raw or zlib bytes (:func:`~.metadata.image_storage`); where the feature is a PNG
  ``Image``, the PNG bytes (PIL, lossless, default settings: the same bytes as the Hugging
  Face export). Handing TFDS ready bytes keeps TensorFlow out of generation (TFDS would
  otherwise encode image arrays with a TF graph), so a ``tfds.data_source`` user never needs it.
* ``label``: the class index, or for the multi-label ChestMNIST the indices of the
  positive findings (a ``Sequence(ClassLabel)``, like the HF builder's list of labels).
* ``id``: ``"{official split}-{row:06d}"``, shared with the HF builder; it is also the
  example key, so TFDS's key-hash shuffling can always be undone by sorting on it.

The id, label values, PNG encoder and multi-hot matrix are the core's
(:mod:`medmnist_hub.examples`), and labels are range-checked by the core's
:func:`medmnist_hub.validate.check_label_block`, so both ecosystems build the same
examples and report a bad file with the same words.

Only numpy, PIL and the core reader are imported, so Beam workers start fast.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np

from .. import examples as _examples
from ..catalog import get_subset
from ..examples import encode_png, example_id, label_values
from ..npz_reader import NpzReader
from ..validate import check_label_block
from .metadata import image_storage

__all__ = [
    "CHUNK_ROWS",
    "encode_png",
    "example_id",
    "examples_for_range",
    "iter_examples",
    "label_values",
    "multi_hot",
    "shard_ranges",
]


#: Rows per chunk read from the file: bounds generation memory (~40 MB of 224x224x3).
CHUNK_ROWS = 256


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

    Rows come through :meth:`NpzReader.iter_split` (the one place images and labels are
    paired); memory is one chunk of ``chunk_rows`` rows, whatever the file size.  Labels
    are range-checked as they stream, so a damaged or foreign file fails with the row at
    fault instead of producing a dataset with impossible labels.
    """
    sub = get_subset(subset)
    png = image_storage(sub, size) == "png"
    index = start
    with NpzReader(path) as reader:
        for images, labels in reader.iter_split(official_split, chunk_rows, start, stop):
            check_label_block(path, sub, f"{official_split}_labels", labels, index)
            if not (png or sub.is_3d) and sub.channels == 1:
                images = images[..., None]  # a raw gray tensor keeps the (s, s, 1) shape of the PNG feature
            for image, label in zip(images, label_values(sub, labels)):
                key = example_id(official_split, index)
                yield key, {"image": encode_png(image) if png else image, "label": label, "id": key}
                index += 1


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


def multi_hot(label_indices, num_labels: int | None = None) -> np.ndarray:
    """ChestMNIST ``label`` values (lists of positive indices) -> the official (N, L) uint8 matrix.

    ``L`` defaults to ChestMNIST's label count in the catalog (14 findings).  In a
    ``tf.data`` pipeline the same is, per example,
    ``tf.reduce_max(tf.one_hot(label, L, dtype=tf.uint8), axis=0)`` with
    ``L = info.features["label"].feature.num_classes``.
    """
    if num_labels is None:
        num_labels = get_subset("chestmnist").num_classes
    return _examples.multi_hot(label_indices, num_labels)
