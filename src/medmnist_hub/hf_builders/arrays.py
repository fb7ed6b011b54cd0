"""Decode the image column once, for training loops that read every image every epoch.

The Hub format stores 2D images as encoded files (netpbm at 28 px, PNG above: a viewer that
shows them), so each epoch pays one PIL decode per image.  :func:`decode_images` pays it once: it maps
the ``image`` column to a fixed-shape ``uint8`` array feature in the official layout,
``(H, W)`` for grey and ``(H, W, 3)`` for colour subsets (the arrays then equal the
official ``.npz`` rows), cached by ``datasets`` like any ``map``.  Reading a batch is
then a zero-copy slice (``ds[i:j]``; a list of indices, as a ``DataLoader`` asks for,
is gathered row by row by ``datasets`` and is much slower); ``bench/bench_loading.py``
measures both.
3D configs are already arrays and are returned unchanged.
"""

from __future__ import annotations

import datasets
import numpy as np


def decode_images(
    ds: datasets.Dataset | datasets.DatasetDict, num_proc: int | None = None, batch_size: int = 1000
) -> datasets.Dataset | datasets.DatasetDict:
    """``ds`` with ``image`` as a uint8 array column (Array2D or Array3D), decoded once."""
    if isinstance(ds, datasets.DatasetDict):
        return datasets.DatasetDict({k: decode_images(v, num_proc, batch_size) for k, v in ds.items()})
    if not isinstance(ds.features["image"], datasets.Image):
        return ds
    first = np.asarray(ds[0]["image"]) if len(ds) else None
    if first is None:
        raise ValueError("cannot infer the image shape of an empty dataset")
    shape = first.shape
    array = datasets.Array2D(shape=shape, dtype="uint8") if len(shape) == 2 else datasets.Array3D(shape=shape, dtype="uint8")
    features = ds.features.copy()
    features["image"] = array

    def _decode(batch):
        images = [np.asarray(im, dtype=np.uint8) for im in batch["image"]]
        for im in images:
            if im.shape != shape:
                raise ValueError(f"image of shape {im.shape} in a dataset whose first image is {shape}")
        return {"image": images}

    return ds.map(_decode, batched=True, batch_size=batch_size, features=features, num_proc=num_proc,
                  desc="Decoding images")
