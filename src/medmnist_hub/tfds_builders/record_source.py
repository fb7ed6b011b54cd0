"""``tfds.data_source`` for the raw-bytes (28 px) configs with a lean record decoder.

TFDS's ``ArrayRecordDataSource`` turns each record into an example with
``features.deserialize_example_np``: a generic walk over every feature (ragged row lengths,
dtype lookups, ``np.array`` copies, per-feature decode calls), ~23 us per 3D example here,
more than reading the record (~13 us). Our features are few and fixed (a raw-bytes image, a
class label or a list of them, a text id), so :class:`LeanArrayRecordSource` parses the
``tf.train.Example`` with TFDS's own proto class and builds the same example directly
(~8 us): the same types, dtypes, shapes and values (the image a read-only view of the
record's bytes, as TFDS's ``np.frombuffer`` gives). Reading, splits, slicing, ``len`` and
pickling (``DataLoader`` workers) are TFDS's; only ``__getitem__``/``__getitems__`` change.

No TensorFlow needed (this is the path that works without it).
"""

from __future__ import annotations

import numpy as np
import tensorflow_datasets as tfds
from tensorflow_datasets.core.data_sources import array_record
from tensorflow_datasets.proto import tf_example_pb2

from .metadata import is_raw_tensor


def _plan(features) -> dict[str, str] | None:
    """How each feature is read from the proto, or None if one is not of a kind we know."""
    plan = {}
    for key, feature in features.items():
        if key == "image" and is_raw_tensor(feature):
            plan[key] = "raw"
        elif isinstance(feature, tfds.features.ClassLabel):
            plan[key] = "int"
        elif isinstance(feature, tfds.features.Text):
            plan[key] = "bytes"
        elif isinstance(feature, tfds.features.Sequence) and isinstance(feature.feature, tfds.features.ClassLabel):
            plan[key] = "ints"
        else:
            return None
    return dict(sorted(plan.items()))  # TFDS's examples come with their keys sorted


class LeanArrayRecordSource(array_record.ArrayRecordDataSource):
    """TFDS's array_record data source; each record decoded straight from its proto."""

    def __post_init__(self):
        super().__post_init__()
        features = self.dataset_info.features
        self._plan = _plan(features)
        self._shape = tuple(features["image"].shape)
        self._dtype = np.dtype(features["image"].np_dtype)

    def __getitem__(self, key):
        return self._example(self.data_source[key.__index__()])

    def __getitems__(self, keys):
        if not keys:
            return []
        records = self.data_source.__getitems__(keys)
        if len(records) != len(keys):
            raise IndexError(f"Requested {len(keys)} records but got {len(records)} records.")
        return [self._example(record) for record in records]

    def _example(self, record: bytes) -> dict:
        feature = tf_example_pb2.Example.FromString(record).features.feature
        if feature.keys() != self._plan.keys():  # e.g. a field TFDS left out: let TFDS decide
            return self.dataset_info.features.deserialize_example_np(record)
        example = {}
        for key, kind in self._plan.items():
            if kind == "raw":
                (value,) = feature[key].bytes_list.value
                example[key] = np.frombuffer(value, dtype=self._dtype).reshape(self._shape)
            elif kind == "int":
                (example[key],) = feature[key].int64_list.value
            elif kind == "bytes":
                (example[key],) = feature[key].bytes_list.value
            else:
                example[key] = list(np.array(feature[key].int64_list.value, dtype=np.int64))  # TFDS: list of int64
        return example


def lean_sources(sources):
    """``as_data_source``'s result (one source, or a dict/list of them) with lean sources where they apply."""
    if isinstance(sources, dict):
        return {k: lean_sources(v) for k, v in sources.items()}
    if isinstance(sources, (list, tuple)):
        return type(sources)(lean_sources(v) for v in sources)
    if type(sources) is not array_record.ArrayRecordDataSource or _plan(sources.dataset_info.features) is None:
        return sources
    return LeanArrayRecordSource(
        sources.dataset_info, split=sources.split, decoders=None, deserialize_method=sources.deserialize_method
    )
