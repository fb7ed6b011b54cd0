"""What one MedMNIST example is, whatever ecosystem publishes it: id, label value, PNG bytes.

The Hugging Face builder, the Parquet export and the TFDS builder all turn official
``.npz`` rows into examples; they share these definitions so that an example reads the
same everywhere (same id, same label value, same PNG bytes) and a change happens in one
place:

* ``id``: the official position ``"{official split}-{index:06d}"`` (``train-000042``,
  ``val-000003``), so predictions can be aligned with the official order even after
  shuffling, filtering or TFDS's key-hash ordering;
* ``label``: the class index, or for the multi-label ChestMNIST the list of the
  positive findings' indices; :func:`multi_hot` turns such lists back into the official
  multi-hot matrix;
* 2D images are stored as PNG with PIL's defaults (lossless; mode ``L`` for gray,
  ``RGB`` for colour), which is also what ``datasets.Image`` writes for an array.

Only numpy is imported here (PIL when an image is encoded), so worker processes and
Beam workers that need these helpers start fast, and the core install stays light.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

import numpy as np

from .catalog import SPLITS, Subset



def example_id(official_split: str, index: int) -> str:
    """Stable id of an example: its official split and its row in that split, e.g. ``train-000042``."""
    if official_split not in SPLITS:
        raise ValueError(f"unknown official split {official_split!r}; expected one of {list(SPLITS)}")
    return f"{official_split}-{index:06d}"


def label_values(subset: Subset, labels: np.ndarray) -> list:
    """Official label rows ``(n, width)`` -> the ``label`` values: ints, or index lists for ChestMNIST."""
    if subset.is_multilabel:
        return [np.flatnonzero(row).tolist() for row in labels]
    return labels[:, 0].astype(np.int64).tolist()


def multi_hot(label_indices: Iterable[Sequence[int]], num_labels: int) -> np.ndarray:
    """Lists of positive label indices (one per example) -> the official ``(N, num_labels)`` uint8 matrix."""
    rows = list(label_indices)
    out = np.zeros((len(rows), num_labels), dtype=np.uint8)
    for i, row in enumerate(rows):
        out[i, list(row)] = 1
    return out


def encode_png(image: np.ndarray) -> bytes:
    """One uint8 image, (H, W) -> PNG mode L, (H, W, 3) -> PNG mode RGB (PIL's default settings)."""
    import PIL.Image

    buf = io.BytesIO()
    PIL.Image.fromarray(image).save(buf, format="PNG")
    return buf.getvalue()
