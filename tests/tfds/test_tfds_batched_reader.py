"""The batched ``tf.data`` reader (``batched_reader.BatchedReader``) against TFDS's stock reader.

Same data_dir, two builders: the default one (batched parse for the 28 px configs) and one with
``stock_readers=True`` (TFDS's per-example reader). Every element must be the same: every
feature, dtype, shape, value, and the order, for whole splits, a slice, ``"train+test"``,
shuffled files with a fixed seed, 1 and 2 decode threads, with and without ``batch_size``;
``len(ds)`` and the element spec too. The files are synthetic, in the official format; splits
longer than TFDS's interleave block (16) and than one parse batch (128), so file interleaving
and batch boundaries are exercised. Configs the batched reader cannot serve exactly (PNG
images, custom ``decoders``, ``add_tfds_id``) must go to the stock reader.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from tfds_helpers import require_module

from medmnist_hub import catalog
from medmnist_hub.synthetic import write_synthetic

require_module("tensorflow_datasets", "the [tfds] extra is not installed")

SPLIT_SIZES = {"train": 300, "val": 7, "test": 40}
#: 2D gray, 2D RGB, 3D, multi-label (a variable-length label).
BATCHED = ["pneumoniamnist", "retinamnist", "adrenalmnist3d", "chestmnist"]
STOCK_ONLY = "pneumoniamnist_64"  # PNG images: decoding is the cost, the stock reader keeps it


@pytest.fixture(scope="module")
def data(tf, tfds, tmp_path_factory):
    """Each config built once from a synthetic official-format file; returns its data_dir."""
    src, data_dir = tmp_path_factory.mktemp("npz"), tmp_path_factory.mktemp("tfds-batched")
    for config in [*BATCHED, STOCK_ONLY]:
        subset, size = catalog.parse_config_name(config)
        npz = write_synthetic(src, subset.key, size, split_sizes=SPLIT_SIZES)
        tfds.builder(f"medmnist/{config}", data_dir=data_dir, npz_path=str(npz),
                     file_format="tfrecord").download_and_prepare()
    return data_dir


@pytest.fixture
def reads(monkeypatch):
    """The ``batch_size`` of every dataset the batched reader builds (None: single examples), so a
    silent fallback to the stock reader cannot pass."""
    from medmnist_hub.tfds_builders import batched_reader

    calls = []
    original = batched_reader.BatchedReader.read_files

    def counting(self, *args, **kwargs):
        calls.append(self._batch_size)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(batched_reader.BatchedReader, "read_files", counting)
    return calls


def _read_config(tf, tfds, threads=1, **kwargs):
    options = tf.data.Options()
    options.threading.private_threadpool_size = threads
    options.threading.max_intra_op_parallelism = 1
    return tfds.ReadConfig(options=options, num_parallel_calls_for_decode=threads, try_autocache=False, **kwargs)


def _pair(tfds, data_dir, config, **as_dataset):
    """(stock dataset, batched dataset) of one ``as_dataset`` call."""
    stock = tfds.builder(f"medmnist/{config}", data_dir=data_dir, stock_readers=True)
    ours = tfds.builder(f"medmnist/{config}", data_dir=data_dir)
    return stock.as_dataset(**as_dataset), ours.as_dataset(**as_dataset)


def _assert_same(tf, tfds, stock, ours) -> int:
    assert ours.element_spec == stock.element_spec
    assert int(ours.cardinality()) == int(stock.cardinality())
    want, got = list(tfds.as_numpy(stock)), list(tfds.as_numpy(ours))
    assert len(got) == len(want)
    for a, b in zip(want, got):
        if not isinstance(a, dict):  # as_supervised
            a, b = dict(enumerate(a)), dict(enumerate(b))
        assert a.keys() == b.keys()
        for key in a:
            x, y = np.asarray(a[key]), np.asarray(b[key])
            assert (x.dtype, x.shape) == (y.dtype, y.shape), key
            assert np.array_equal(x, y), key
    return len(want)


CASES = {
    "whole split": dict(split="train"),
    "batched": dict(split="train", batch_size=128),
    "slice": dict(split="train[10:75%]", batch_size=32),
    "two splits": dict(split="train+test"),
    "supervised": dict(split="test", batch_size=16, as_supervised=True),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("config", BATCHED)
def test_batched_reader_yields_the_stock_elements(tf, tfds, data, reads, config, case):
    kwargs = CASES[case]
    stock, ours = _pair(tfds, data, config, read_config=_read_config(tf, tfds), **kwargs)
    n = _assert_same(tf, tfds, stock, ours)
    assert n > 0 and reads == [kwargs.get("batch_size")]


@pytest.mark.parametrize("config", ["retinamnist", "chestmnist"])
def test_shuffled_files_with_a_seed_and_two_threads_keep_the_stock_order(tf, tfds, data, reads, config):
    """``train+test`` is two files: the seed decides which comes first, interleaved in blocks of 16."""
    orders = set()
    for seed in (0, 1, 2, 3):
        rc = _read_config(tf, tfds, threads=2, shuffle_seed=seed)
        stock, ours = _pair(tfds, data, config, split="train+test", shuffle_files=True, read_config=rc,
                            batch_size=50)
        _assert_same(tf, tfds, stock, ours)
        orders.add(tuple(i for b in tfds.as_numpy(ours) for i in b["id"]))
    assert reads == [50] * 4 and len(orders) > 1, "the seeds should give different file orders, or this test shows nothing"


@pytest.mark.parametrize("option", ["shuffled", "no cardinality", "small buffer", "interleave settings"])
def test_one_file_read_honours_the_read_config(tf, tfds, data, reads, option):
    """A one-file split is read from the file adapter's dataset, not through TFDS's interleave:
    the read_config must still act as in TFDS (cardinality known or not, buffer, shuffling a no-op)."""
    extra = {"no cardinality": {"assert_cardinality": False}, "small buffer": {"override_buffer_size": 1024},
             "interleave settings": {"interleave_cycle_length": 1, "interleave_block_length": 3}}.get(option, {})
    rc = _read_config(tf, tfds, threads=2, **extra)
    kwargs = {"split": "train[5:90%]", "shuffle_files": option == "shuffled", "read_config": rc}
    for batch_size in (None, 64):
        stock, ours = _pair(tfds, data, "adrenalmnist3d", batch_size=batch_size, **kwargs)
        _assert_same(tf, tfds, stock, ours)
    if option == "no cardinality":
        assert int(ours.cardinality()) == int(tf.data.UNKNOWN_CARDINALITY)
    assert reads == [None, 64]


def test_default_read_config_and_cardinality(tf, tfds, data, reads):
    """No ReadConfig (what ``tfds.load(name, split=...)`` gives): TFDS auto-caches these small splits,
    so examples are read (the cache holds examples) and TFDS batches them; same elements, known length."""
    stock, ours = _pair(tfds, data, "adrenalmnist3d", split="train[:50%]")
    assert len(ours) == len(stock) == SPLIT_SIZES["train"] // 2
    _assert_same(tf, tfds, stock, ours)
    stock, ours = _pair(tfds, data, "chestmnist", split="train", batch_size=64)
    assert len(ours) == len(stock) == 5
    _assert_same(tf, tfds, stock, ours)
    assert reads == [None, None]


def test_whole_split_as_one_batch(tf, tfds, data, reads):
    """``batch_size=-1`` (TFDS's "everything as arrays") stays TFDS's: examples read, then batched by TFDS."""
    stock = tfds.builder("medmnist/chestmnist", data_dir=data, stock_readers=True)
    ours = tfds.builder("medmnist/chestmnist", data_dir=data)
    want = tfds.as_numpy(stock.as_dataset(split="test", batch_size=-1))
    got = tfds.as_numpy(ours.as_dataset(split="test", batch_size=-1))
    assert want.keys() == got.keys() and len(got["id"]) == SPLIT_SIZES["test"]
    for key in want:
        assert want[key].dtype == got[key].dtype and np.array_equal(want[key], got[key]), key
    assert reads == [None]


def test_png_config_custom_decoders_and_tfds_ids_use_the_stock_reader(tf, tfds, data, reads):
    stock, ours = _pair(tfds, data, STOCK_ONLY, split="test", batch_size=8)
    _assert_same(tf, tfds, stock, ours)
    # Custom decoders decode one example at a time: SkipDecoding must give the stored bytes.
    skip = {"image": tfds.decode.SkipDecoding()}
    stock, ours = _pair(tfds, data, "pneumoniamnist", split="test", decoders=skip)
    assert ours.element_spec["image"].dtype.name == "string"
    _assert_same(tf, tfds, stock, ours)
    # add_tfds_id pairs an id with each record.
    rc = _read_config(tf, tfds, add_tfds_id=True)
    stock, ours = _pair(tfds, data, "adrenalmnist3d", split="test", read_config=rc)
    assert "tfds_id" in ours.element_spec
    _assert_same(tf, tfds, stock, ours)
    assert reads == []


def test_the_private_tfds_surface_is_where_we_expect_it(tfds):
    """The private TFDS names the batched reader relies on (tfds is pinned in constraints.txt): fail
    loudly here, not with a silent fallback or a wrong call, when an upgrade moves them."""
    from tensorflow_datasets.core import dataset_builder, file_adapters
    from tensorflow_datasets.core import reader as reader_lib

    def params(fn):
        return list(inspect.signature(fn).parameters)

    assert params(reader_lib._read_files) == [
        "file_instructions", "read_config", "shuffle_files", "disable_shuffling", "file_format"]
    assert params(reader_lib.Reader.read_files) == [
        "self", "file_instructions", "read_config", "shuffle_files", "disable_shuffling", "decode_fn"]
    assert params(dataset_builder.DatasetBuilder._build_single_dataset) == [
        "self", "split", "batch_size", "shuffle_files", "decoders", "read_config", "as_supervised"]
    assert params(dataset_builder.DatasetBuilder._should_cache_ds) == ["self", "split", "shuffle_files", "read_config"]
    assert tfds.core.FileFormat.TFRECORD in file_adapters.ADAPTER_FOR_FORMAT
