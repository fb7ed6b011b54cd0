"""The fast reading recipes of the README ("Reading it fast"), on the real files: exactly the official arrays.

* ``tf.data``: ``as_dataset(split, batch_size=128, read_config=...)`` with the parallelism pinned
  (``tf.data.Options`` threadpool 1 or 2, decode calls 1 or 2) and ``try_autocache=False``;
* ``tfds.data_source``: a torch ``DataLoader`` with 2 ``forkserver`` workers over the source
  (one batched ``__getitems__`` read per batch; forked workers would crash, see test_tfds_pytorch.py).

The 28 px configs store ``image`` as raw bytes; every row of the training split, found by ``id``
(TFDS stores examples in key-hash order), must equal the official file's pixels and labels.
"""

from __future__ import annotations

import numpy as np
import pytest
from support.real_data import real_file_or_skip
from tfds_helpers import expected_ids, official_split, require_module

from medmnist_hub.catalog import get_subset

require_module("tensorflow_datasets", "the [tfds] extra is not installed")

CONFIGS = ["pneumoniamnist", "retinamnist", "adrenalmnist3d"]  # 2D gray, 2D RGB, 3D: the benchmark's cases


def _kwargs(config):
    return {"source_dirs": [str(real_file_or_skip(config).parent)]}


def read_config(tf, tfds, threads: int):
    """The README's ReadConfig for one pass at ``threads`` threads."""
    options = tf.data.Options()
    options.threading.private_threadpool_size = threads
    options.threading.max_intra_op_parallelism = 1
    return tfds.ReadConfig(options=options, num_parallel_calls_for_decode=threads, try_autocache=False)


def _assert_official(config, images, labels, ids):
    subset = get_subset(config)
    want_images, want_labels = official_split(real_file_or_skip(config), "train")
    ids = [i.decode() if isinstance(i, bytes) else i for i in ids]
    order = np.argsort(ids)
    assert [ids[i] for i in order] == expected_ids("train", len(want_labels))
    images = np.asarray(images)[order]
    if not subset.is_3d and subset.channels == 1:
        images = images[..., 0]
    assert images.dtype == np.uint8 and np.array_equal(images, want_images), config
    assert np.array_equal(np.asarray(labels)[order], want_labels[:, 0]), config


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("config", CONFIGS)
def test_tf_data_recipe_returns_the_official_arrays(tf, tfds, session_data_dir, config, threads):
    builder = tfds.builder(f"medmnist/{config}", data_dir=session_data_dir / "tfrecord", file_format="tfrecord",
                           **_kwargs(config))
    builder.download_and_prepare()
    image = builder.info.features["image"]
    assert isinstance(image, tfds.features.Tensor) and image._encoding == tfds.features.Encoding.BYTES
    ds = builder.as_dataset(split="train", batch_size=128, read_config=read_config(tf, tfds, threads))
    batches = list(tfds.as_numpy(ds))
    assert all(len(b["image"]) == 128 for b in batches[:-1])
    _assert_official(config, *(np.concatenate([b[k] for b in batches]) for k in ("image", "label", "id")))


@pytest.mark.parametrize("config", CONFIGS)
def test_data_source_in_a_dataloader_returns_the_official_arrays(tfds, session_data_dir, config):
    torch_data = require_module("torch.utils.data", "the data_source recipe uses torch's DataLoader")
    source = tfds.data_source(f"medmnist/{config}", data_dir=session_data_dir / "array_record",
                              builder_kwargs={"file_format": "array_record", **_kwargs(config)})["train"]
    loader = torch_data.DataLoader(source, batch_size=128, num_workers=2, collate_fn=_collate,
                                   multiprocessing_context="forkserver")
    images, labels, ids = zip(*loader)
    _assert_official(config, np.concatenate(images), np.concatenate(labels), [i for b in ids for i in b])


def _collate(examples):
    """Stack one ``__getitems__`` batch (module level: DataLoader workers may need to pickle it)."""
    return (np.stack([e["image"] for e in examples]), np.array([e["label"] for e in examples]),
            [e["id"] for e in examples])


# --- tfds.data_source: the lean record decoder (record_source.LeanArrayRecordSource) against TFDS's ---

LEAN = ["pneumoniamnist", "retinamnist", "adrenalmnist3d", "chestmnist"]  # gray, RGB, 3D, multi-label


@pytest.fixture(scope="module")
def array_record_dir(tfds, tmp_path_factory):
    """Synthetic official-format files (with the 64 px PNG config), built as array_record."""
    from medmnist_hub import catalog
    from medmnist_hub.synthetic import write_synthetic

    src, data_dir = tmp_path_factory.mktemp("npz-ar"), tmp_path_factory.mktemp("tfds-ar")
    for config in [*LEAN, "pneumoniamnist_64"]:
        subset, size = catalog.parse_config_name(config)
        npz = write_synthetic(src, subset.key, size, split_sizes={"train": 150, "val": 5, "test": 20})
        tfds.builder(f"medmnist/{config}", data_dir=data_dir, npz_path=str(npz),
                     file_format="array_record").download_and_prepare()
    return data_dir


def _sources(tfds, data_dir, config, **kwargs):
    def make(stock):
        return tfds.data_source(f"medmnist/{config}", data_dir=data_dir,
                                builder_kwargs={"file_format": "array_record", "stock_readers": stock}, **kwargs)
    return make(True), make(False)


def _assert_same_example(want: dict, got: dict):
    assert list(got) == list(want)
    for key, value in want.items():
        assert type(got[key]) is type(value), key
        if isinstance(value, np.ndarray):
            assert (got[key].dtype, got[key].shape, got[key].flags.writeable) == (
                value.dtype, value.shape, value.flags.writeable), key
            assert np.array_equal(got[key], value), key
        else:
            assert got[key] == value, key
            if isinstance(value, list):  # ChestMNIST's label: TFDS gives a list of np.int64
                assert [type(v) for v in got[key]] == [type(v) for v in value], key


@pytest.mark.parametrize("config", LEAN)
def test_lean_data_source_returns_tfds_examples(tfds, array_record_dir, config):
    import pickle

    from medmnist_hub.tfds_builders.record_source import LeanArrayRecordSource

    stock, lean = _sources(tfds, array_record_dir, config, split=None)
    assert stock.keys() == lean.keys() == {"train", "validation", "test"}
    for split in stock:
        assert isinstance(lean[split], LeanArrayRecordSource) and len(lean[split]) == len(stock[split])
        for i in range(len(stock[split])):
            _assert_same_example(stock[split][i], lean[split][i])
    keys = [7, 3, 3, 149, 0]
    for want, got in zip(stock["train"].__getitems__(keys), lean["train"].__getitems__(keys)):
        _assert_same_example(want, got)
    stock_slice, lean_slice = _sources(tfds, array_record_dir, config, split="train[10:50%]")
    assert len(lean_slice) == len(stock_slice) == 60  # rows 10 to 50% of the synthetic split, as TFDS reads the slice
    _assert_same_example(stock_slice[59], lean_slice[59])
    again = pickle.loads(pickle.dumps(lean_slice))  # what a DataLoader worker gets
    _assert_same_example(stock_slice[5], again[5])


def test_png_configs_decoders_and_stock_readers_keep_tfds_data_source(tfds, array_record_dir):
    from tensorflow_datasets.core.data_sources.array_record import ArrayRecordDataSource

    stock, ours = _sources(tfds, array_record_dir, "pneumoniamnist_64", split="test")
    assert type(ours) is ArrayRecordDataSource and type(stock) is ArrayRecordDataSource
    skip = {"image": tfds.decode.SkipDecoding()}
    stock, ours = _sources(tfds, array_record_dir, "adrenalmnist3d", split="test", decoders=skip)
    assert type(ours) is ArrayRecordDataSource and isinstance(ours[0]["image"], bytes)
    _assert_same_example(stock[0], ours[0])
