"""The core definition of an example (id, label values, multi-hot, image bytes), on the core install alone."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import PIL.Image
import pytest
from support.real_data import require

from medmnist_hub.catalog import OFFICIAL_SPLIT_NAMES, PUBLISHED_SPLIT_NAMES, get_subset
from medmnist_hub.examples import (
    NETPBM_MAX_SIDE,
    encode_hf_image,
    encode_png,
    example_id,
    label_values,
    multi_hot,
)
from medmnist_hub.synthetic import synthetic_arrays


def test_ids_name_the_official_split_and_row():
    assert example_id("train", 42) == "train-000042"
    assert example_id("val", 3) == "val-000003"
    assert example_id("test", 123456) == "test-123456"
    with pytest.raises(ValueError, match=r"unknown official split 'validation'; expected one of \['train', 'val', 'test'\]"):
        example_id("validation", 0)


def test_published_split_names_round_trip():
    assert PUBLISHED_SPLIT_NAMES == {"train": "train", "val": "validation", "test": "test"}
    assert {OFFICIAL_SPLIT_NAMES[v]: v for v in PUBLISHED_SPLIT_NAMES.values()} == PUBLISHED_SPLIT_NAMES


def test_label_values_and_multi_hot_invert_each_other():
    chest = get_subset("chestmnist")
    labels = synthetic_arrays("chestmnist", 28, {"train": 40, "val": 1, "test": 1})["train_labels"]
    values = label_values(chest, labels)
    assert all(isinstance(v, list) and all(type(i) is int for i in v) for v in values)
    assert np.array_equal(multi_hot(values, 14), labels)
    assert multi_hot([], 14).shape == (0, 14)

    blood = get_subset("bloodmnist")
    rows = np.array([[0], [7], [3]], dtype=np.uint8)
    assert label_values(blood, rows) == [0, 7, 3]
    assert all(type(v) is int for v in label_values(blood, rows))


@pytest.mark.parametrize("subset_key,mode", [("breastmnist", "L"), ("bloodmnist", "RGB")])
def test_png_is_lossless_in_the_source_mode(subset_key, mode):
    image = synthetic_arrays(subset_key, 28, {"train": 1, "val": 1, "test": 1})["train_images"][0]
    decoded = PIL.Image.open(io.BytesIO(encode_png(image)))
    assert decoded.mode == mode
    assert np.array_equal(np.asarray(decoded), image)


@pytest.mark.parametrize("subset_key,size,mode,fmt", [
    ("breastmnist", 28, "L", "PPM"), ("bloodmnist", 28, "RGB", "PPM"),
    ("breastmnist", 64, "L", "PNG"), ("bloodmnist", 64, "RGB", "PNG"),
])
def test_hf_image_bytes_are_netpbm_up_to_28_px_and_png_above_lossless(subset_key, size, mode, fmt):
    images = synthetic_arrays(subset_key, size, {"train": 3, "val": 1, "test": 1})["train_images"]
    for image in images:
        data = encode_hf_image(image)
        decoded = PIL.Image.open(io.BytesIO(data))
        assert (decoded.format, decoded.mode) == (fmt, mode)
        assert np.array_equal(np.asarray(decoded), image)
        assert data.startswith(b"P5" if mode == "L" else b"P6") == (size <= NETPBM_MAX_SIDE)


def test_core_module_needs_neither_datasets_nor_tfds():
    code = (
        "import sys, medmnist_hub.examples\n"
        "bad = [m for m in ('datasets', 'tensorflow_datasets', 'tensorflow', 'torch', 'PIL') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_hf_names_are_the_core_definitions():
    require("datasets")
    from medmnist_hub import examples
    from medmnist_hub.hf_builders import encoding, features

    assert encoding.example_id is examples.example_id
    assert encoding.encode_hf_image is examples.encode_hf_image
    # the one split-name table (catalog) is what the HF split syntax maps to
    assert {s: features.hf_split(s) for s in PUBLISHED_SPLIT_NAMES} == PUBLISHED_SPLIT_NAMES
