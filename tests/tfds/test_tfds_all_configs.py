"""All 60 configs, on synthetic files in the official format (tiny splits, so this stays fast).

For each config: the features follow the catalog (shapes, dtype, class names, the
multi-label feature, supervised keys), and ``tfds.load`` then sorting by ``id`` - and
``tfds.data_source`` random access - return exactly the arrays and labels in the file.
"""

from __future__ import annotations

import numpy as np
import pytest
from tfds_helpers import TFDS_SPLIT, TINY_SPLITS, as_official_arrays, expected_ids, official_split, require_module

from medmnist_hub import catalog
from medmnist_hub.catalog import SPLITS

tfds_mod = require_module("tensorflow_datasets", "the [tfds] extra is not installed")

CONFIGS = catalog.config_names()


def test_the_builder_has_exactly_the_60_catalog_configs():
    from medmnist_hub.tfds_builders import Builder

    names = [c.name for c in Builder.BUILDER_CONFIGS]
    assert names == CONFIGS and len(names) == 60
    assert "medmnist" in tfds_mod.list_builders(with_community_datasets=False)
    assert str(Builder.VERSION) == "3.1.0" and "10519652" in Builder.RELEASE_NOTES["3.0.0"]
    assert "raw bytes" in Builder.RELEASE_NOTES["3.1.0"]


def test_config_names_are_the_hugging_face_builders():
    """The contract with the HF builder: the same 60 names, in the same order."""
    hf = require_module("medmnist_hub.hf_builders.builder", "the [hf] extra is not installed")
    assert [c.name for c in hf.MedMNIST.BUILDER_CONFIGS] == CONFIGS


@pytest.mark.parametrize("config", CONFIGS)
def test_features_follow_the_catalog(tfds, config):
    subset, size = catalog.parse_config_name(config)
    info = tfds.builder(f"medmnist/{config}").info
    image, label = info.features["image"], info.features["label"]
    assert image.shape == ((size,) * 3 if subset.is_3d else (size, size, subset.channels)) and image.np_dtype == np.uint8
    if size == 28:  # raw bytes: faster to read than PNG or zlib at this size
        assert isinstance(image, tfds.features.Tensor) and image._encoding == tfds.features.Encoding.BYTES
    elif subset.is_3d:
        assert isinstance(image, tfds.features.Tensor)
        assert image._encoding == tfds.features.Encoding.ZLIB  # not int64 varints
    else:
        assert isinstance(image, tfds.features.Image)
    if subset.is_multilabel:
        assert isinstance(label, tfds.features.Sequence)
        assert label.feature.names == list(subset.label_names)
    else:
        assert isinstance(label, tfds.features.ClassLabel)
        assert label.names == list(subset.label_names)
    assert isinstance(info.features["id"], tfds.features.Text)
    assert info.supervised_keys == ("image", "label")
    assert subset.license in info.redistribution_info.license and subset.license in info.config_description
    assert "not for clinical use" in info.config_description
    assert "yang2023medmnistv2" in info.citation
    assert all(key in info.citation for key in subset.source_citations)


@pytest.fixture(scope="module")
def built_all(tf, tfds, synthetic_dir, tmp_path_factory):
    """Every config built from its synthetic file, once as tfrecord and once as array_record."""
    data_dir = tmp_path_factory.mktemp("tfds-all")
    builders = {}
    for config in CONFIGS:
        subset, size = catalog.parse_config_name(config)
        npz = synthetic_dir / subset.file(size).filename
        for fmt in ("tfrecord", "array_record"):
            b = tfds.builder(f"medmnist/{config}", data_dir=data_dir / fmt, npz_path=str(npz), file_format=fmt)
            b.download_and_prepare()
            builders[config, fmt] = b
    return builders


@pytest.mark.parametrize("config", CONFIGS)
def test_tfds_load_sorted_by_id_equals_the_file(tf, tfds, built_all, synthetic_dir, config):
    subset, size = catalog.parse_config_name(config)
    npz = synthetic_dir / subset.file(size).filename
    builder = built_all[config, "tfrecord"]
    assert builder.info.metadata["official"] is False  # synthetic bytes are never passed off as official
    assert {s: builder.info.splits[s].num_examples for s in TFDS_SPLIT.values()} == {
        TFDS_SPLIT[s]: n for s, n in TINY_SPLITS.items()
    }
    datasets = builder.as_dataset()
    for split in SPLITS:
        examples = list(tfds.as_numpy(datasets[TFDS_SPLIT[split]]))
        images, labels, ids = as_official_arrays(examples, subset)
        want_images, want_labels = official_split(npz, split)
        assert ids == expected_ids(split, TINY_SPLITS[split])
        assert np.array_equal(images, want_images) and np.array_equal(labels, want_labels), (config, split)


@pytest.mark.parametrize("config", CONFIGS)
def test_data_source_random_access_equals_the_file(built_all, synthetic_dir, config):
    subset, size = catalog.parse_config_name(config)
    npz = synthetic_dir / subset.file(size).filename
    sources = built_all[config, "array_record"].as_data_source()
    for split in SPLITS:
        records = sources[TFDS_SPLIT[split]]
        want_images, want_labels = official_split(npz, split)
        for i in reversed(range(len(records))):  # any order: the id says which row it is
            ex = records[i]
            images, labels, ids = as_official_arrays([ex], subset)
            row = int(ids[0].split("-")[1])
            assert ids[0].startswith(split)
            assert np.array_equal(images[0], want_images[row]) and np.array_equal(labels[0], want_labels[row])


def test_multi_label_round_trip_helper(built_all, synthetic_dir):
    from medmnist_hub.tfds_builders import multi_hot

    records = built_all["chestmnist", "array_record"].as_data_source()["train"]
    examples = sorted((records[i] for i in range(len(records))), key=lambda e: e["id"])
    _, want_labels = official_split(synthetic_dir / "chestmnist.npz", "train")
    assert np.array_equal(multi_hot([e["label"] for e in examples]), want_labels)


def test_multi_hot_width_comes_from_the_catalog(monkeypatch):
    import dataclasses

    from medmnist_hub.tfds_builders import examples

    chest = catalog.get_subset("chestmnist")
    assert examples.multi_hot([[0], []]).shape == (2, chest.num_classes)
    assert examples.multi_hot([[0], []], num_labels=3).shape == (2, 3)
    # one source of truth: a catalog with other findings changes the default width with it
    fewer = dataclasses.replace(chest, label_names=chest.label_names[:5])
    monkeypatch.setattr(examples, "get_subset", lambda name: fewer if name == "chestmnist" else catalog.get_subset(name))
    assert examples.multi_hot([[4], [0, 1]]).tolist() == [[0, 0, 0, 0, 1], [1, 1, 0, 0, 0]]


def test_multi_label_batches_in_tf_data(tf, tfds, built_all):
    """The documented tf.data recipe turns the list of findings into the official multi-hot vector."""
    builder = built_all["chestmnist", "tfrecord"]
    n = builder.info.features["label"].feature.num_classes
    assert n == catalog.get_subset("chestmnist").num_classes
    ds = builder.as_dataset(split="train", as_supervised=True)
    ds = ds.map(lambda image, label: (image, tf.reduce_max(tf.one_hot(label, n, dtype=tf.uint8), axis=0)))
    images, labels = next(iter(tfds.as_numpy(ds.batch(TINY_SPLITS["train"]))))
    assert images.shape == (TINY_SPLITS["train"], 28, 28, 1) and labels.shape == (TINY_SPLITS["train"], n)
    assert set(np.unique(labels)) <= {0, 1}
