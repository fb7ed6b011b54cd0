"""Every real official file: tfds.load and tfds.data_source give back exactly the official data.

For each of the real files in ``../shared/data/medmnist`` the dataset is built twice
(``tfrecord`` for ``tfds.load``/``tf.data``, ``array_record`` for ``tfds.data_source``)
from the file found by the core acquisition, and every split, sorted by ``id``, must
equal the official arrays and labels bit for bit, with the official class names.
"""

from __future__ import annotations

import numpy as np
import pytest
from support.real_data import REAL_CONFIGS, real_file_or_skip
from tfds_helpers import (
    TFDS_SPLIT,
    as_official_arrays,
    expected_ids,
    missing_dependency,
    official_label_names,
    official_split,
    require_module,
)

from medmnist_hub.catalog import SPLITS, get_subset

require_module("tensorflow_datasets", "the [tfds] extra is not installed")


@pytest.fixture(scope="module")
def official_names():
    names = official_label_names()
    if not names:
        missing_dependency("the official medmnist package (dev extra) is not installed")
    return names


def _builder(tfds, config, data_dir, real_path, file_format):
    builder = tfds.builder(
        f"medmnist/{config}", data_dir=data_dir, source_dirs=[str(real_path.parent)], file_format=file_format
    )
    builder.download_and_prepare()
    return builder


@pytest.mark.parametrize("config,subset_key,size", REAL_CONFIGS, ids=[c for c, _, _ in REAL_CONFIGS])
def test_tfds_load_sorted_by_id_equals_the_official_file(
    tf, tfds, session_data_dir, official_names, config, subset_key, size
):
    path = real_file_or_skip(config)
    subset = get_subset(subset_key)
    builder = _builder(tfds, config, session_data_dir / "tfrecord", path, "tfrecord")

    assert builder.info.metadata["official"] is True
    assert builder.info.metadata["source_md5"] == subset.file(size).md5
    assert builder.info.metadata["source_sha256"], "real files are registered in checksums.tsv and must be checked"
    assert builder.info.features["label"].names == official_names[subset_key] == list(subset.label_names)

    for split in SPLITS:
        ds = tfds.load(f"medmnist/{config}", split=TFDS_SPLIT[split], data_dir=session_data_dir / "tfrecord")
        examples = list(tfds.as_numpy(ds))
        images, labels, ids = as_official_arrays(examples, subset)
        want_images, want_labels = official_split(path, split)
        assert ids == expected_ids(split, len(want_labels))
        assert images.dtype == np.uint8 and images.shape == want_images.shape
        assert np.array_equal(images, want_images), f"{config} {split}: images differ"
        assert np.array_equal(labels, want_labels), f"{config} {split}: labels differ"


@pytest.mark.parametrize("config,subset_key,size", REAL_CONFIGS, ids=[c for c, _, _ in REAL_CONFIGS])
def test_data_source_random_access_equals_the_official_file(tfds, session_data_dir, config, subset_key, size):
    path = real_file_or_skip(config)
    subset = get_subset(subset_key)
    source = tfds.data_source(
        f"medmnist/{config}",
        data_dir=session_data_dir / "array_record",
        builder_kwargs={"file_format": "array_record", "source_dirs": [str(path.parent)]},
    )
    rng = np.random.default_rng(0)
    for split in SPLITS:
        records = source[TFDS_SPLIT[split]]
        want_images, want_labels = official_split(path, split)
        assert len(records) == len(want_labels)
        # Random access, in random order: each record names its row through its id.
        for i in rng.permutation(len(records))[:64]:
            ex = records[int(i)]
            row = int(ex["id"].decode().split("-")[1])
            assert ex["id"].decode().startswith(f"{split}-")
            image = ex["image"][..., 0] if (not subset.is_3d and subset.channels == 1) else ex["image"]
            assert np.array_equal(image, want_images[row])
            assert int(ex["label"]) == int(want_labels[row, 0])
        # And the whole split, in full: same as the file.
        images, labels, ids = as_official_arrays([records[i] for i in range(len(records))], subset)
        assert ids == expected_ids(split, len(want_labels))
        assert np.array_equal(images, want_images) and np.array_equal(labels, want_labels)


@pytest.mark.parametrize("config", ["retinamnist", "vesselmnist3d"])
def test_as_supervised_batches_in_2d_and_3d(tf, tfds, session_data_dir, config):
    path = real_file_or_skip(config)
    subset = get_subset(config)
    ds = tfds.load(
        f"medmnist/{config}",
        split="test",
        as_supervised=True,
        data_dir=session_data_dir / "tfrecord",
        builder_kwargs={"source_dirs": [str(path.parent)]},
    )
    images, labels = next(iter(tfds.as_numpy(ds.batch(32))))
    assert images.shape == (32,) + (subset.image_shape(28) if subset.is_3d else (28, 28, subset.channels))
    assert images.dtype == np.uint8 and labels.dtype == np.int64 and labels.shape == (32,)
    assert set(np.unique(labels)) <= set(range(subset.num_classes))
