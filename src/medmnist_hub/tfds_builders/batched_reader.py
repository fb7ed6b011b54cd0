"""``tf.data`` reading with a batched parse: TFDS's records, parsed a batch at a time instead of one by one.

TFDS's reader (``tensorflow_datasets.core.reader.Reader.read_files``) maps one
``tf.io.parse_single_example`` + decode over every record. At 28 px the image is raw bytes,
so the work per example is tiny and the fixed cost of one ``tf.data`` map call per element
dominates (about 15 us here: 3D AdrenalMNIST3D read at ~27k volumes/s on one thread, the
official loader at ~42k). :class:`BatchedReader` reads the same records as TFDS — same
files, split slicing (``"train[:10%]"``, ``"train+test"``), ``shuffle_files`` +
``shuffle_seed``, interleave settings, ``input_context`` sharding, ``tf.data.Options``,
cardinality — through TFDS's own record reading (``reader._read_files``), then parses and
decodes many records per map call (``tf.io.parse_example`` + one ``decode_raw`` for all
images). Two shapes of output:

* examples (``as_dataset`` without ``batch_size``, and whenever TFDS auto-caches): batches of
  :data:`PARSE_BATCH`, unbatched again; the elements, their order and ``len(ds)`` are the stock
  reader's;
* batches (``as_dataset(batch_size=n)``): the records batched by ``n`` and parsed as such, the
  batches TFDS's ``padded_batch`` makes from the stock reader's examples (a variable-length
  feature, ChestMNIST's multi-label ``label``, 0-padded to the longest in the batch), without
  unbatching and batching every image again.

A split that is one file (every 28 px split) with nothing that acts on files (sharding,
repeat, a sort function, the ordering guard) is read from TFDS's file adapter with the
instruction's skip/take, TFDS's cardinality and options, i.e. what ``_read_files`` yields for
one file, minus its ``interleave``, which costs ~5 us per 22 kB record (a quarter of a 3D read).

Private TFDS used (``tensorflow-datasets`` is pinned in constraints.txt;
``tests/tfds/test_tfds_batched_reader.py`` checks every case against the stock reader and pins
the signatures): ``reader._read_files``; ``reader.Reader.read_files`` (overridden);
``file_adapters.ADAPTER_FOR_FORMAT``; in the builder, ``DatasetBuilder._build_single_dataset``
(overridden) and ``_should_cache_ds`` (called).

Only features whose decoded value needs no per-example work are accepted (:func:`supports`):
a raw-bytes ``Tensor`` image, ``ClassLabel``, ``Text``, ``Sequence(ClassLabel)``. The builder
decides when to use this (``Builder._batched_reader``); everything else goes to the stock reader.
"""

from __future__ import annotations

import warnings

import tensorflow as tf
import tensorflow_datasets as tfds
from tensorflow_datasets.core import file_adapters
from tensorflow_datasets.core import reader as reader_lib

from .metadata import is_raw_tensor

#: Records parsed per map call: large enough that the per-call cost vanishes, small enough
#: that the first batch comes quickly and 2 threads each get work.
PARSE_BATCH = 128


def supports(features: tfds.features.FeaturesDict, raw_keys: frozenset[str]) -> bool:
    """Whether every feature can be parsed and decoded in batches with the same result.

    ``raw_keys`` names the ``Tensor`` features stored as raw bytes (decoded with
    ``decode_raw`` + reshape); every other feature must decode to what it parses to.
    """
    for key, feature in features.items():
        if key in raw_keys:
            if not is_raw_tensor(feature):
                return False
        elif isinstance(feature, tfds.features.Sequence):
            if not isinstance(feature.feature, (tfds.features.ClassLabel,)):
                return False
        elif not isinstance(feature, (tfds.features.ClassLabel, tfds.features.Text)):
            return False
    return True


def _batch_spec(info: tfds.features.TensorInfo):
    """The ``tf.io.parse_example`` spec of one serialized field (TFDS stores ints as int64)."""
    if info.tf_dtype == tf.string:
        dtype = tf.string
    elif info.tf_dtype.is_integer or info.tf_dtype == tf.bool:
        dtype = tf.int64
    else:
        dtype = tf.float32
    if info.shape == (None,):
        return tf.io.RaggedFeature(dtype=dtype, row_splits_dtype=tf.int64)
    return tf.io.FixedLenFeature(shape=info.shape, dtype=dtype, default_value=info.default_value)


class BatchedReader(reader_lib.Reader):
    """A TFDS ``Reader`` whose ``read_files`` parses and decodes the records in batches.

    With ``batch_size`` it returns batches of that size (what TFDS's ``padded_batch`` after
    the stock reader gives: a variable-length feature is padded with 0 to the longest in the
    batch); without, single examples.
    """

    def __init__(self, features: tfds.features.FeaturesDict, raw_keys: frozenset[str], file_format,
                 batch_size: int | None = None):
        serialized = features.get_serialized_info()
        super().__init__(example_specs=serialized, file_format=file_format)
        self._format = tfds.core.FileFormat.from_value(file_format)
        self._batch_size = batch_size
        self._infos = dict(serialized)
        self._specs = {key: _batch_spec(info) for key, info in self._infos.items()}
        self._shapes = {key: tuple(features[key].shape) for key in raw_keys}
        self._dtypes = {key: features[key].tf_dtype for key in raw_keys}
        self._ragged = tuple(key for key, spec in self._specs.items() if isinstance(spec, tf.io.RaggedFeature))

    def read_files(self, file_instructions, *, read_config, shuffle_files, disable_shuffling=False, decode_fn=None):
        if decode_fn is not None:  # the builder never passes one: decoding is this class's job
            raise ValueError("BatchedReader decodes the records itself; it takes no decode_fn")
        records = self._records(file_instructions, read_config, shuffle_files, disable_shuffling)
        calls = read_config.num_parallel_calls_for_decode
        if self._batch_size:
            return records.batch(self._batch_size).map(self._padded_batch, num_parallel_calls=calls)
        cardinality = tf.get_static_value(records.cardinality())
        ds = records.batch(PARSE_BATCH).map(self._parse_and_decode, num_parallel_calls=calls).unbatch()
        if self._ragged:
            # Unbatched ragged rows are RaggedTensorSpec(ragged_rank=0) elements, which padded_batch
            # refuses; passing them through a function makes them the plain tensors TFDS yields.
            ds = ds.map(_plain, num_parallel_calls=calls)
        if cardinality is not None and cardinality >= 0:  # known exactly when TFDS asserted it
            ds = ds.apply(tf.data.experimental.assert_cardinality(cardinality))
        return ds

    def _records(self, file_instructions, read_config, shuffle_files, disable_shuffling):
        """The serialized records TFDS's reader would read (files, skip/take, interleave, shuffling, sharding)."""
        if not file_instructions:
            raise ValueError(f"Instruction {file_instructions} corresponds to no data!")
        if _is_one_plain_file(file_instructions, read_config, disable_shuffling):
            return self._one_file(file_instructions[0], read_config)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "The `deterministic` argument has no effect")
            return reader_lib._read_files(
                file_instructions=file_instructions,
                read_config=read_config,
                shuffle_files=shuffle_files,
                disable_shuffling=disable_shuffling,
                file_format=self._format,
            )

    def _one_file(self, instruction, read_config):
        """What ``reader._read_files`` yields for one file, without its interleave.

        Every 28 px split is one file. TFDS reads it through ``interleave`` (shuffling or sharding
        one file is a no-op), and passing through a nested dataset costs ~5 us per record of
        22 kB, a quarter of the whole 3D read; the file adapter's dataset with the same
        skip/take, cardinality and options gives the same records.
        """
        ds = file_adapters.ADAPTER_FOR_FORMAT[self._format].make_tf_data(
            instruction.filename, buffer_size=read_config.override_buffer_size
        )
        if instruction.skip > 0:
            ds = ds.skip(instruction.skip)
        if not instruction.takes_all:
            ds = ds.take(instruction.take)
        if read_config.assert_cardinality:
            ds = ds.apply(tf.data.experimental.assert_cardinality(instruction.take))
        return ds.with_options(read_config.options)

    def _parse_and_decode(self, serialized):
        parsed = tf.io.parse_example(serialized, self._specs)
        example = {}
        for key, value in parsed.items():
            if key in self._shapes:
                # the batch's own length first: a record of the wrong size fails, as in TFDS's decode
                rows = tf.shape(value)[:1]
                value = tf.reshape(tf.io.decode_raw(value, self._dtypes[key]), tf.concat([rows, self._shapes[key]], 0))
            elif value.dtype != self._infos[key].tf_dtype:
                value = tf.cast(value, self._infos[key].tf_dtype)
            example[key] = value
        return example

    def _padded_batch(self, serialized):
        example = self._parse_and_decode(serialized)
        for key in self._ragged:
            example[key] = example[key].to_tensor()  # 0-padded, as padded_batch pads
        return example


def _is_one_plain_file(file_instructions, read_config, disable_shuffling) -> bool:
    """One file and nothing that would make TFDS's reading of it differ from the file itself."""
    return (
        len(file_instructions) == 1
        and not read_config.input_context  # sharding: TFDS validates and may refuse
        and read_config.experimental_interleave_sort_fn is None
        and not read_config.repeat_filenames
        and not disable_shuffling  # TFDS checks the ordering guard
    )


def _plain(example):
    return dict(example)


__all__ = ["PARSE_BATCH", "BatchedReader", "supports"]
