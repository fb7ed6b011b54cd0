"""The HF schema derived from the catalog, and the vectorised encoders that must agree with ``datasets``."""

from __future__ import annotations

import datasets
import numpy as np
import pyarrow as pa
import pytest

from medmnist_hub.catalog import SUBSETS, config_names, get_subset, parse_config_name
from medmnist_hub.examples import encode_png, example_id, label_values
from medmnist_hub.hf_builders import features_for, multi_hot
from medmnist_hub.hf_builders.encoding import record_batch
from medmnist_hub.hf_builders.features import hf_split
from medmnist_hub.synthetic import synthetic_arrays


@pytest.mark.parametrize("config", config_names())
def test_features_follow_the_catalog(config):
    subset, size = parse_config_name(config)
    f = features_for(subset, size)
    assert list(f) == ["image", "label", "id"]
    assert f["id"] == datasets.Value("string")
    if subset.is_3d:
        assert f["image"] == datasets.Array3D(shape=(size, size, size), dtype="uint8")
    else:
        assert f["image"] == datasets.Image()
    if subset.is_multilabel:
        assert isinstance(f["label"], datasets.List)
        assert f["label"].feature == datasets.ClassLabel(names=list(subset.label_names))
    else:
        assert f["label"] == datasets.ClassLabel(names=list(subset.label_names))
    # the YAML form that goes into the card reads back to the same features
    assert datasets.Features._from_yaml_list(f._to_yaml_list()) == f


def test_features_refuse_a_size_the_subset_lacks():
    with pytest.raises(KeyError, match="organmnist3d has no size 128"):
        features_for(get_subset("organmnist3d"), 128)


def test_ids_and_split_names():
    assert example_id("train", 42) == "train-000042"
    assert example_id("val", 3) == "val-000003"
    assert example_id("test", 155) == "test-000155"
    with pytest.raises(ValueError, match="validation"):
        example_id("validation", 1)
    assert [hf_split(s) for s in ("train", "val", "validation", "test")] == ["train", "validation", "validation", "test"]
    with pytest.raises(ValueError, match="unknown split"):
        hf_split("dev")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("val[:10]", "validation[:10]"),
        ("val[10:20]", "validation[10:20]"),
        ("validation[-5:]", "validation[-5:]"),
        ("val[:33%](pct1_dropremainder)", "validation[:33%](pct1_dropremainder)"),
        ("train[:10%]+val", "train[:10%]+validation"),
        ("train + val[:3] + test", "train+validation[:3]+test"),
    ],
)
def test_official_split_names_work_inside_the_slicing_syntax(given, expected):
    assert hf_split(given) == expected


@pytest.mark.parametrize("bad", ["dev[:10]", "train+dev", "val[:10", "[:10]"])
def test_unknown_names_inside_the_slicing_syntax_are_named(bad):
    with pytest.raises(ValueError, match=r"unknown split 'dev' in|cannot read the split"):
        hf_split(bad)


@pytest.mark.parametrize("subset_key", ["breastmnist", "bloodmnist"])
def test_png_bytes_equal_what_datasets_itself_encodes(subset_key):
    images = synthetic_arrays(subset_key, 28, {"train": 6, "val": 1, "test": 1})["train_images"]
    for image in images:
        assert encode_png(image) == datasets.Image().encode_example(image)["bytes"]


@pytest.mark.parametrize("subset_key,size", [("chestmnist", 28), ("dermamnist", 64), ("synapsemnist3d", 28)])
def test_record_batches_equal_datasets_own_encoding(subset_key, size):
    subset = get_subset(subset_key)
    arrays = synthetic_arrays(subset, size, {"train": 9, "val": 1, "test": 1})
    images, labels = arrays["train_images"], arrays["train_labels"]
    features = features_for(subset, size)
    ours = pa.Table.from_batches(
        [record_batch(features.arrow_schema, "train", 10, images, labels,
                      None if subset.is_3d else [encode_png(x) for x in images], subset.is_multilabel)]
    )
    theirs = datasets.Dataset.from_dict(
        {"image": list(images), "label": label_values(subset, labels), "id": [f"train-{10 + i:06d}" for i in range(9)]},
        features=features,
    ).data.table
    assert ours.schema.remove_metadata() == theirs.schema.remove_metadata()
    assert ours.to_pylist() == theirs.to_pylist()


def test_multi_hot_rebuilds_the_official_matrix():
    subset = SUBSETS["chestmnist"]
    labels = synthetic_arrays(subset, 28, {"train": 40, "val": 1, "test": 1})["train_labels"]
    labels[5] = 0  # an image with no finding
    ds = datasets.Dataset.from_dict({"label": label_values(subset, labels)},
                                    features=datasets.Features({"label": features_for(subset, 28)["label"]}))
    assert ds[5]["label"] == []
    assert multi_hot(ds).dtype == np.uint8
    assert np.array_equal(multi_hot(ds), labels)
    # the documented one-liner
    assert np.array_equal(np.array([np.bincount(lab, minlength=14) for lab in ds["label"]], dtype=np.uint8), labels)
    # views (select/shuffle) are honoured
    order = [7, 3, 30, 5]
    assert np.array_equal(multi_hot(ds.select(order)), labels[order])
    assert np.array_equal(multi_hot(ds["label"][:], num_labels=14), labels)
    with pytest.raises(ValueError, match="multi-label"):
        multi_hot(datasets.Dataset.from_dict({"label": [0, 1]},
                                             features=datasets.Features({"label": datasets.ClassLabel(num_classes=2)})))
