"""Turn blocks of official rows into Arrow record batches of the HF schema, vectorised.

The builder and the Hub export both write these batches (:func:`record_batches`), so
they produce the same bytes: 2D images as :func:`~medmnist_hub.examples.encode_hf_image`
writes them (netpbm up to 28 px, PNG above: lossless, opened by ``datasets.Image``), the
rest as ``datasets`` itself encodes it, which a test checks.

Image encoding is the only expensive step; :func:`encode_images` needs only numpy and
PIL so that worker processes start fast.  The image encoder and the id format are the
ones of :mod:`medmnist_hub.examples`, shared with the builders.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

import numpy as np

from ..catalog import Subset
from ..examples import encode_hf_image, example_id
from ..npz_reader import NpzReader

__all__ = ["FORMAT_VERSION", "encode_images", "id_column", "image_column", "label_column", "parquet_schema",
           "record_batch", "record_batches"]

#: What the bytes written for a config mean: columns and features, image and label encoding, ids,
#: the export's Parquet layout and options.  It keys the HF builder's cache and is recorded in the
#: export manifest (an export of another version is rewritten).  Bump it when a change makes either
#: write different bytes; never for a refactor or a comment, so caches and exports survive those.
FORMAT_VERSION = "3.2"


def encode_images(images: np.ndarray) -> list[bytes]:
    """The ``image`` column's bytes of every image of a block (runs in worker processes)."""
    return [encode_hf_image(image) for image in images]


def parquet_schema(features):
    """The Arrow schema the Parquet files are written with: ``features.arrow_schema`` with every
    extension type (``Array3D``) replaced by its plain storage type, the ``huggingface`` metadata kept.

    Why: a stored ``datasets.features.features.Array3DExtensionType`` is rebuilt as a Python type by
    every reader that has imported ``datasets``: pandas then sees an extension dtype that
    mlcroissant cannot read (``PandasArrayExtensionDtype``), and pyarrow's scanner threads may
    release that Python type after the interpreter began to exit (apache/arrow#45214).  Loading the
    export (``load_dataset(repo, config)``) still gives ``Array3D``: the card's ``dataset_info``
    declares it and ``datasets`` casts the lists in the calling thread.  (Reading the Parquet files
    alone, ``load_dataset("parquet", ...)``, gives nested ``List`` features instead.)
    """
    import pyarrow as pa

    schema = features.arrow_schema
    fields = [
        pa.field(f.name, f.type.storage_type if isinstance(f.type, pa.ExtensionType) else f.type, f.nullable, f.metadata)
        for f in schema
    ]
    return pa.schema(fields, metadata=schema.metadata)


def image_column(images: np.ndarray, encoded: list[bytes] | None, feature_type):
    """The ``image`` column: ``{bytes, path}`` structs of the encoded images for 2D; for 3D the ``Array3D`` storage (nested lists),
    wrapped in the extension type when ``feature_type`` is one."""
    import pyarrow as pa

    if encoded is not None:
        return pa.StructArray.from_arrays(
            [pa.array(encoded, type=pa.binary()), pa.nulls(len(encoded), type=pa.string())], names=["bytes", "path"]
        )
    # Array3D's storage is list<list<list<uint8>>>; build it from offsets, no Python loop.
    n, d, h, w = images.shape
    values = pa.array(np.ascontiguousarray(images).reshape(-1), type=pa.uint8())
    rows = pa.ListArray.from_arrays(pa.array(np.arange(0, n * d * h * w + 1, w, dtype=np.int32)), values)
    planes = pa.ListArray.from_arrays(pa.array(np.arange(0, n * d * h + 1, h, dtype=np.int32)), rows)
    volumes = pa.ListArray.from_arrays(pa.array(np.arange(0, n * d + 1, d, dtype=np.int32)), planes)
    if not isinstance(feature_type, pa.ExtensionType):
        return volumes.cast(feature_type)
    return pa.ExtensionArray.from_storage(feature_type, volumes.cast(feature_type.storage_type))


def label_column(labels: np.ndarray, multilabel: bool):
    """Official (n, 1) class indices -> int64; (n, 14) multi-hot -> list<int64> of positives."""
    import pyarrow as pa

    if not multilabel:
        return pa.array(labels[:, 0].astype(np.int64), type=pa.int64())
    cols = np.nonzero(labels)[1]  # row-major order: indices ascend within each row
    offsets = np.zeros(len(labels) + 1, dtype=np.int32)
    np.cumsum(np.count_nonzero(labels, axis=1), out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(cols.astype(np.int64)))


def id_column(official_split: str, start: int, n: int):
    import pyarrow as pa

    return pa.array([example_id(official_split, i) for i in range(start, start + n)], type=pa.string())


def record_batch(schema, official_split: str, start: int, images: np.ndarray, labels: np.ndarray,
                 encoded: list[bytes] | None, multilabel: bool):
    """One record batch with exactly ``schema`` (the features' Arrow schema)."""
    import pyarrow as pa

    image_type = schema.field("image").type
    columns = [
        image_column(images, encoded, image_type),
        label_column(labels, multilabel).cast(schema.field("label").type),
        id_column(official_split, start, len(labels)),
    ]
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def record_batches(reader: NpzReader, schema, subset: Subset, official_split: str, chunk_rows: int, *,
                   start: int = 0, stop: int | None = None, pool=None, depth: int = 1) -> Iterator:
    """Record batches (``schema``) of rows ``[start, stop)`` of a split, in order, ``chunk_rows`` at a time.

    With ``pool`` (an executor) the images of up to ``depth`` blocks are encoded there while
    the next blocks are read, so memory stays bounded whatever the file size.
    """
    pending: deque = deque()
    for images, labels in reader.iter_split(official_split, chunk_rows, start, stop):
        if subset.is_3d:
            pending.append((start, images, labels, None))
        else:  # the raw 2D images are dropped once encoded
            pending.append((start, None, labels, encode_images(images) if pool is None else pool.submit(encode_images, images)))
        start += len(labels)
        while len(pending) > (0 if pool is None else depth):
            yield _batch(schema, subset, official_split, *pending.popleft())
    while pending:
        yield _batch(schema, subset, official_split, *pending.popleft())


def _batch(schema, subset: Subset, official_split: str, start: int, images, labels, encoded):
    encoded = encoded.result() if hasattr(encoded, "result") else encoded  # a future from the pool
    return record_batch(schema, official_split, start, images, labels, encoded, subset.is_multilabel)

