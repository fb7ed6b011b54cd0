"""The Hugging Face schema of a MedMNIST config, derived from the catalog.

One function, :func:`features_for`, decides the columns for every config, so the
builder, the Parquet export and the dataset card cannot disagree:

* ``image``: 2D -> ``datasets.Image()`` (PNG; PIL mode ``L`` for gray, ``RGB`` for
  colour, exactly as in the source); 3D -> ``Array3D((D, H, W), "uint8")``, which reads
  back as one contiguous array: a batched uint8 read of 64^3 volumes is thousands of
  times faster than with nested lists, for the same Parquet size (bench_hf).
* ``label``: ``ClassLabel`` with the official names (multi-class, binary, ordinal);
  for the multi-label ChestMNIST a list of ``ClassLabel`` indices, the positive
  findings of the image, so the 14 names stay machine-readable
  (``ds.features["label"].feature.names``) and :func:`multi_hot` rebuilds the
  official (N, 14) uint8 matrix.
* ``id``: the official position ``"{official split}-{index:06d}"`` (``train-000042``,
  ``val-000003``), so predictions can be aligned with the official order even after
  shuffling or filtering.  The TFDS builder uses the same ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import datasets
import numpy as np

from ..catalog import Subset

#: Official split name -> Hugging Face split name.
HF_SPLIT_NAMES: dict[str, str] = {"train": "train", "val": "validation", "test": "test"}
#: Hugging Face split name -> official split name.
OFFICIAL_SPLIT_NAMES: dict[str, str] = {v: k for k, v in HF_SPLIT_NAMES.items()}


def features_for(subset: Subset, size: int) -> datasets.Features:
    """The ``datasets.Features`` of ``subset`` at ``size`` px (same for builder and export)."""
    if subset.is_3d:
        image = datasets.Array3D(shape=subset.image_shape(size), dtype="uint8")
    else:
        subset.file(size)  # raises for a size the subset does not have
        image = datasets.Image()
    names = list(subset.label_names)
    label = datasets.List(datasets.ClassLabel(names=names)) if subset.is_multilabel else datasets.ClassLabel(names=names)
    return datasets.Features({"image": image, "label": label, "id": datasets.Value("string")})


def example_id(official_split: str, index: int) -> str:
    """Stable id of an example: its official split and its row in that split."""
    if official_split not in HF_SPLIT_NAMES:
        raise ValueError(f"unknown official split {official_split!r}; expected one of {list(HF_SPLIT_NAMES)}")
    return f"{official_split}-{index:06d}"


def hf_split(split: str) -> str:
    """Accept an HF split name or an official one (``val``) and return the HF name."""
    if split in OFFICIAL_SPLIT_NAMES:
        return split
    if split in HF_SPLIT_NAMES:
        return HF_SPLIT_NAMES[split]
    raise ValueError(f"unknown split {split!r}; expected one of {list(OFFICIAL_SPLIT_NAMES)} (or 'val')")


def label_values(subset: Subset, labels: np.ndarray) -> list:
    """Official label rows -> the ``label`` column values (ints, or index lists for ChestMNIST)."""
    if subset.is_multilabel:
        return [np.flatnonzero(row).tolist() for row in labels]
    return labels[:, 0].astype(np.int64).tolist()


def multi_hot(labels: datasets.Dataset | Iterable[Sequence[int]], num_labels: int | None = None) -> np.ndarray:
    """The official multi-hot ``(N, num_labels)`` uint8 matrix of a multi-label split.

    Accepts a ChestMNIST ``Dataset`` (its ``label`` column and label count are used) or
    any iterable of index lists.  The equivalent one-liner, for users who do not want
    this package at run time, is::

        y = np.array([np.bincount(l, minlength=14) for l in ds["label"]], dtype=np.uint8)
    """
    if isinstance(labels, datasets.Dataset):
        feature = labels.features["label"]
        if not isinstance(feature, (datasets.List, datasets.Sequence)):
            raise ValueError(f"multi_hot needs a multi-label dataset; this one's label feature is {feature}")
        num_labels = feature.feature.num_classes if num_labels is None else num_labels
        import pyarrow as pa
        import pyarrow.compute as pc

        column = labels.with_format("arrow")["label"]  # honours select/filter/shuffle views
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()

        parents = pc.list_parent_indices(column).to_numpy()
        values = pc.list_flatten(column).to_numpy()
        out = np.zeros((len(labels), num_labels), dtype=np.uint8)
        out[parents, values] = 1
        return out
    if num_labels is None:
        raise ValueError("num_labels is required when labels is not a Dataset")
    rows = list(labels)
    out = np.zeros((len(rows), num_labels), dtype=np.uint8)
    for i, row in enumerate(rows):
        out[i, list(row)] = 1
    return out
