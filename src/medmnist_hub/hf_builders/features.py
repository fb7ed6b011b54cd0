"""The Hugging Face schema of a MedMNIST config, derived from the catalog.

One function, :func:`features_for`, decides the columns for every config, so the
builder, the Parquet export and the dataset card cannot disagree:

* ``image``: 2D -> ``datasets.Image()`` (netpbm at 28 px, PNG above; PIL mode ``L`` for gray, ``RGB`` for
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
  shuffling or filtering.

The id, the label values and the multi-hot matrix are defined once, in
:mod:`medmnist_hub.examples`, for this builder, the export and the TFDS builder alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import datasets
import numpy as np

from .. import examples as _examples
from ..catalog import OFFICIAL_SPLIT_NAMES, PUBLISHED_SPLIT_NAMES, Subset


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


def _hf_split_name(name: str, spec: str) -> str:
    if name in OFFICIAL_SPLIT_NAMES:
        return name
    if name in PUBLISHED_SPLIT_NAMES:
        return PUBLISHED_SPLIT_NAMES[name]
    where = "" if name == spec else f" in {spec!r}"
    raise ValueError(f"unknown split {name!r}{where}; expected one of {list(OFFICIAL_SPLIT_NAMES)} (or 'val')")


#: One term of ``datasets``' split syntax: a name, then an optional ``[from:to]`` and ``(rounding)``.
_SPLIT_TERM = re.compile(r"^\s*(?P<name>[^\[\(\s]+)\s*(?P<rest>(?:\[[^\]]*\])?\s*(?:\([^\)]*\))?)\s*$")


def hf_split(split: str) -> str:
    """Accept HF split names or the official ones (``val``) and return the HF names.

    Works inside ``datasets``' split syntax too, so the official name can be used
    everywhere: ``"val[:10]"`` -> ``"validation[:10]"``, ``"train[:10%]+val"`` ->
    ``"train[:10%]+validation"``; slices and rounding are passed through unchanged.
    """
    terms = []
    for term in split.split("+"):
        m = _SPLIT_TERM.match(term)
        if m is None:
            raise ValueError(f"cannot read the split {split!r}: expected names such as 'train', 'val[:10]', "
                             "'test[10%:]', joined with '+'")
        terms.append(_hf_split_name(m["name"], split) + m["rest"].replace(" ", ""))
    return "+".join(terms)


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
    return _examples.multi_hot(labels, num_labels)
