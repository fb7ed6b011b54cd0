"""Write one config's splits as Hub-sized Parquet shards (the export's only heavy step).

* Streaming: rows come from the reader one block at a time (:func:`.encoding.record_batches`,
  the builder's code too), so memory stays bounded (a few blocks in flight) for the 224 px files.
* Both cores: with a pool, images are encoded in worker processes in small blocks, which are
  re-cut here into whole row groups, in order; the bytes do not depend on the pool.
* Hub-friendly shards: at most ``max_shard_bytes`` of raw pixels per file and row groups of
  about ``row_group_bytes`` (a few hundred rows for 224 px and 3D 64 px), so the viewer and
  streaming read small pieces, with ``datasets``' own Parquet options (:func:`_parquet_options`).
* Streaming that exits: every 3D file is one row group (:func:`layout_for`), and ``Array3D`` is
  stored as its plain nested lists (:func:`.encoding.parquet_schema`).
* Deterministic: no timestamps, fixed shard boundaries; the same inputs with the same library
  versions give byte-identical files.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..acquisition import Source
from ..catalog import PUBLISHED_SPLIT_NAMES, SPLITS, Subset, parse_config_name
from ..hashing import file_digest
from ..npz_reader import NpzReader
from .encoding import FORMAT_VERSION, parquet_schema, record_batches
from .export_manifest import DATA_DIR, ExportError
from .features import features_for

if TYPE_CHECKING:
    from .export import ExportOptions

DEFAULT_MAX_SHARD_BYTES = 500 * 1000 * 1000
DEFAULT_ROW_GROUP_BYTES = 32 * 1024 * 1024
MIN_ROW_GROUP_ROWS = 64
MAX_ROW_GROUP_ROWS = 4096
#: Raw pixels per encoding task sent to a worker (a row group is re-assembled from several).
ENCODE_BLOCK_BYTES = 8 * 1024 * 1024


def layout_for(subset: Subset, size: int, max_shard_bytes: int, row_group_bytes: int) -> tuple[int, int]:
    """(rows per row group, rows per shard); a shard holds whole row groups."""
    row_bytes = math.prod(subset.image_shape(size))
    group = int(min(MAX_ROW_GROUP_ROWS, max(MIN_ROW_GROUP_ROWS, row_group_bytes // row_bytes)))
    shard = max(group, (max_shard_bytes // row_bytes) // group * group)
    if subset.is_3d:
        # One row group per 3D file: a partial streaming read (``next(iter(ds))``, ``.take(3)``)
        # then leaves no row-group read of pyarrow's in flight at exit, which hangs the process
        # (apache/arrow#45214; tests/hf/test_streaming_exit.py).
        shard = group
    return group, shard


def _parquet_options(features, schema, is_3d: bool) -> dict:
    """``datasets``' own Parquet options (image bytes stored as they are, content-defined
    chunking, page index), except for 3D volumes: zstd (2.4x smaller than snappy) and
    no content-defined chunking, which costs 2.4x the write time on 262k-value rows."""
    from datasets import config as ds_config
    from datasets.arrow_writer import get_parquet_column_options

    options = get_parquet_column_options(features, schema)
    if is_3d:
        options["compression"] = {
            leaf: ("zstd" if leaf.startswith("image") else codec) for leaf, codec in options["compression"].items()
        }
    else:
        options["use_content_defined_chunking"] = dict(ds_config.DEFAULT_CDC_OPTIONS)
    options["write_page_index"] = True
    return options


def _row_groups(batches: Iterable, rows: int, schema) -> Iterator:
    """Re-cut consecutive record batches into contiguous tables of exactly ``rows`` rows (the last may be short)."""
    import pyarrow as pa

    held = pa.Table.from_batches([], schema)
    for batch in batches:
        held = pa.concat_tables([held, pa.Table.from_batches([batch])])
        while held.num_rows >= rows:
            yield held.slice(0, rows).combine_chunks()
            held = held.slice(rows)
    if held.num_rows:
        yield held.combine_chunks()


def write_config(config: str, source: Source, staging: Path, options: ExportOptions, pool=None) -> tuple[dict, int]:
    """Write every split of ``config`` under ``staging`` (images encoded on ``pool`` when given);
    return its manifest entry and image count."""
    import pyarrow.parquet as pq
    from tqdm.auto import tqdm

    subset, size = parse_config_name(config)
    features = features_for(subset, size)
    schema = parquet_schema(features)  # Array3D stored as its plain lists: see parquet_schema
    parquet_options = _parquet_options(features, schema, subset.is_3d)
    group_rows, shard_rows = layout_for(subset, size, options.max_shard_bytes, options.row_group_bytes)
    # Encode in small blocks on the pool (bounded memory in flight), write whole row groups.
    block_rows = group_rows if pool is None else max(1, min(group_rows, ENCODE_BLOCK_BYTES // math.prod(subset.image_shape(size))))
    splits: dict[str, dict] = {}
    with NpzReader(source.path) as reader:
        for official in SPLITS:
            name, n = PUBLISHED_SPLIT_NAMES[official], source.split_sizes[official]
            num_shards = max(1, math.ceil(n / shard_rows))
            paths = [staging / f"{name}-{i:05d}-of-{num_shards:05d}.parquet" for i in range(num_shards)]
            counts, num_bytes, writer, open_shard = [0] * num_shards, 0, None, -1
            batches = record_batches(reader, schema, subset, official, block_rows, pool=pool, depth=options.num_proc + 1)
            with tqdm(total=n, desc=f"{config} {name}", unit="img", disable=not options.progress, leave=False) as bar:
                try:
                    for group in _row_groups(batches, group_rows, schema):
                        shard = sum(counts) // shard_rows
                        if shard != open_shard:  # shards are written one after the other
                            if writer is not None:
                                writer.close()
                            writer, open_shard = pq.ParquetWriter(paths[shard], schema, **parquet_options), shard
                        writer.write_table(group, row_group_size=group.num_rows)
                        counts[shard] += group.num_rows
                        num_bytes += group.nbytes
                        bar.update(group.num_rows)
                finally:
                    if writer is not None:
                        writer.close()
            for path in paths:  # empty splits and shards still get a valid file
                if not path.exists():
                    pq.ParquetWriter(path, schema, **parquet_options).close()
            if sum(counts) != n:
                raise ExportError(f"{source.path}: wrote {sum(counts)} rows of {official}, expected {n}")
            files = [{"path": f"{DATA_DIR}/{config}/{p.name}", "num_examples": c, "size": p.stat().st_size,
                      "sha256": file_digest(p, "sha256")} for p, c in zip(paths, counts)]
            splits[name] = {"num_examples": n, "num_bytes": num_bytes, "files": files}
    entry = {
        "subset": subset.key,
        "size": size,
        "source": {"file": source.path.name, "identity": source.identity, "verified": source.official},
        "format_version": FORMAT_VERSION,
        "layout": {"max_shard_bytes": options.max_shard_bytes, "row_group_bytes": options.row_group_bytes,
                   "row_group_rows": group_rows, "shard_rows": shard_rows},
        "splits": splits,
    }
    return entry, sum(split["num_examples"] for split in splits.values())
