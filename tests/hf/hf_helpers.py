"""Helpers shared by the Hugging Face tests (imported as ``hf_helpers``)."""

from __future__ import annotations

from pathlib import Path

import datasets
import numpy as np

from medmnist_hub.catalog import SPLITS, parse_config_name
from medmnist_hub.npz_reader import NpzReader

#: Tiny split sizes: every config in a few seconds, odd numbers to catch off-by-ones.
SYNTHETIC_SPLITS = {"train": 5, "val": 3, "test": 4}

def official_arrays(path: Path) -> dict[str, np.ndarray]:
    """Every member of an official-format file (read with our streaming reader)."""
    with NpzReader(path) as r:
        return {k: r.read(k) for k in r.arrays}


def hf_arrays(ds: datasets.Dataset, subset) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(images uint8, labels in the official layout, ids) of a loaded split."""
    if subset.is_3d:
        images = ds.with_format("numpy", dtype=np.uint8)["image"][:]
    else:
        images = np.stack([np.asarray(im) for im in ds["image"]]) if len(ds) else np.zeros((0,))
    labels = ds["label"][:]
    if subset.is_multilabel:
        official = np.array([np.bincount(lab, minlength=subset.num_classes) for lab in labels], dtype=np.uint8)
    else:
        official = np.asarray(labels, dtype=np.uint8).reshape(-1, 1)
    return np.asarray(images), official, list(ds["id"][:])


def assert_matches_official(dsdict, config: str, official: dict[str, np.ndarray]) -> None:
    """Pixels, labels, ids, order, class names and image modes equal the official file's."""
    subset, size = parse_config_name(config)
    assert list(dsdict) == ["train", "validation", "test"]
    for split, hf_name in zip(SPLITS, ("train", "validation", "test")):
        ds = dsdict[hf_name]
        names = ds.features["label"].feature.names if subset.is_multilabel else ds.features["label"].names
        assert names == list(subset.label_names)
        images, labels, ids = hf_arrays(ds, subset)
        expected_images = official[f"{split}_images"]
        assert images.dtype == np.uint8 and images.shape == expected_images.shape, (config, split, images.shape)
        assert np.array_equal(images, expected_images), f"{config} {split}: pixels differ"
        assert np.array_equal(labels, official[f"{split}_labels"]), f"{config} {split}: labels differ"
        assert ids == [f"{split}-{i:06d}" for i in range(len(ds))]
        if not subset.is_3d and len(ds):
            assert ds[0]["image"].mode == ("L" if subset.channels == 1 else "RGB")
