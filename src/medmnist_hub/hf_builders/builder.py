"""``datasets`` builder for MedMNIST v3.0: one config per official file, 60 in all.

``datasets`` 4+ no longer runs loading scripts, so this builder is meant to be used
directly from Python (the Hub artifact is the Parquet export, see :mod:`.export`)::

    from medmnist_hub.hf_builders import MedMNIST, load_medmnist
    ds = load_medmnist("bloodmnist_64")                    # DatasetDict train/validation/test
    b = MedMNIST(config_name="organmnist3d", cache_dir=...); b.download_and_prepare(); b.as_dataset()
    MedMNIST(config_name="chestmnist").as_streaming_dataset(split="train")   # straight from the .npz

Files come from :func:`medmnist_hub.acquisition.fetch` (your folders, ``~/.medmnist``,
our cache, then Zenodo; MD5-verified), or from ``npz_path`` for a file used as it is
(synthetic files whose split sizes differ from the catalog).  Like ``datasets``' own
Parquet loader it is an ``ArrowBasedBuilder``: it yields whole Arrow tables, built by the
same vectorised code as the Hub export (:func:`.encoding.record_batches`), block by block
from the streaming reader, so memory stays bounded for the 224 px files, in the official order.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import datasets
import pyarrow as pa
from datasets.builder import Key

from ..acquisition import fingerprint, resolve
from ..catalog import HOMEPAGE, PUBLISHED_SPLIT_NAMES, SPLITS, Subset, bibtex, iter_files, parse_config_name
from ..errors import MedMNISTHubError
from ..npz_reader import NpzReader
from .encoding import FORMAT_VERSION, record_batches
from .features import features_for, hf_split

#: The MedMNIST release the configs describe (the cache is keyed by ``encoding.FORMAT_VERSION`` too).
VERSION = datasets.Version("3.0.0")
#: Target raw size of one generation shard (a unit of work for ``num_proc``).
SHARD_RAW_BYTES = 1 << 30
#: Raw bytes of pixels per table read, encoded and written at a time (16 to 1000 rows).
TABLE_RAW_BYTES = 64 << 20


@dataclass
class MedMNISTConfig(datasets.BuilderConfig):
    """A config named like the official file (``bloodmnist``, ``bloodmnist_64``, ...).

    Extra keyword arguments (pass them to ``MedMNIST(...)`` or ``load_medmnist``):
      source_dirs: folders searched first for the official file (then ``MEDMNIST_DIR``,
        ``~/.medmnist``, the cache, the download).
      npz_path: use exactly this file, checked against the catalog's layout and label
        ranges but not its MD5 or split sizes (synthetic files).  The file's content
        fingerprint is part of the cache key, so a changed file is never served stale.
    """

    source_dirs: tuple[str, ...] = ()
    npz_path: str | None = None

    @property
    def subset(self) -> Subset:
        return parse_config_name(self.name)[0]

    @property
    def size(self) -> int:
        return parse_config_name(self.name)[1]

    def create_config_id(self, config_kwargs: dict, custom_features=None) -> str:
        kwargs = dict(config_kwargs)
        if kwargs.get("npz_path") is not None:
            path = Path(kwargs["npz_path"]).expanduser().resolve()
            if not path.is_file():
                raise FileNotFoundError(f"npz_path {path} does not exist (config {self.name})")
            kwargs["npz_path"] = str(path)
            kwargs["npz_identity"] = fingerprint(path)
        if kwargs.get("source_dirs"):
            kwargs["source_dirs"] = tuple(str(Path(d).expanduser().resolve()) for d in kwargs["source_dirs"])
        return super().create_config_id(kwargs, custom_features)


def _configs() -> list[MedMNISTConfig]:
    out = []
    for f in iter_files():
        subset, size = parse_config_name(f.config_name)
        out.append(
            MedMNISTConfig(
                name=f.config_name,
                version=VERSION,
                description=f"{subset.name} at {size} px ({subset.dimension}D, {subset.task}): {subset.description}",
            )
        )
    return out


class MedMNIST(datasets.ArrowBasedBuilder):
    """MedMNIST v3.0 (2D and 3D biomedical images), every subset at every size.

    Not for clinical use.  Licences: CC BY 4.0, except DermaMNIST (CC BY-NC 4.0).
    """

    VERSION = VERSION
    BUILDER_CONFIG_CLASS = MedMNISTConfig
    BUILDER_CONFIGS = _configs()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("dataset_name", "medmnist")
        kwargs.setdefault("hash", FORMAT_VERSION)  # a cache written in another format is never reused
        config_name = kwargs.get("config_name")
        if kwargs.get("writer_batch_size") is None and isinstance(config_name, str) and config_name in self.builder_configs:
            # One table (and Arrow record batch) holds at most ~64 MB of raw pixels (3D/224 px configs).
            kwargs["writer_batch_size"] = _table_rows(*parse_config_name(config_name))
        if kwargs.get("source_dirs") is not None:
            kwargs["source_dirs"] = tuple(str(d) for d in kwargs["source_dirs"])
        if kwargs.get("npz_path") is not None:
            kwargs["npz_path"] = str(kwargs["npz_path"])
        super().__init__(*args, **kwargs)

    def _info(self) -> datasets.DatasetInfo:
        subset, size = self.config.subset, self.config.size
        return datasets.DatasetInfo(
            description=self.config.description,
            features=features_for(subset, size),
            homepage=HOMEPAGE,
            citation=bibtex(subset.citation_keys()),
            license=subset.license_id,
        )

    def _split_generators(self, dl_manager) -> list[datasets.SplitGenerator]:
        subset, size = self.config.subset, self.config.size
        source = resolve(subset, size, source_dirs=self.config.source_dirs, npz_path=self.config.npz_path)
        row_bytes = max(1, _row_bytes(subset, size))
        rows_per_shard = max(1, SHARD_RAW_BYTES // row_bytes)
        generators = []
        for official in SPLITS:
            n = source.split_sizes[official]
            ranges = [(start, min(n, start + rows_per_shard)) for start in range(0, n, rows_per_shard)] or [(0, 0)]
            generators.append(
                datasets.SplitGenerator(
                    name=PUBLISHED_SPLIT_NAMES[official],
                    gen_kwargs={"path": str(source.path), "official_split": official, "ranges": ranges},
                )
            )
        return generators

    def _generate_tables(self, path: str, official_split: str, ranges: Sequence[tuple[int, int]]) -> Iterator:
        subset = self.config.subset
        rows = self._writer_batch_size or _table_rows(subset, self.config.size)
        schema = self.info.features.arrow_schema
        with NpzReader(path) as reader:
            for i, (start, stop) in enumerate(_merge_contiguous(ranges)):
                batches = record_batches(reader, schema, subset, official_split, rows, start=start, stop=stop)
                for j, batch in enumerate(batches):
                    yield Key(i, j), pa.Table.from_batches([batch])


def _row_bytes(subset: Subset, size: int) -> int:
    return math.prod(subset.image_shape(size))


def _table_rows(subset: Subset, size: int) -> int:
    return max(16, min(1000, TABLE_RAW_BYTES // _row_bytes(subset, size)))


def _merge_contiguous(ranges: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Consecutive shards handed to one job are read as one stream (one seek, not many)."""
    merged: list[list[int]] = []
    for start, stop in ranges:
        if merged and merged[-1][1] == start:
            merged[-1][1] = stop
        else:
            merged.append([start, stop])
    return [(a, b) for a, b in merged if b > a]


def load_medmnist(
    config: str,
    split: str | None = None,
    *,
    source_dirs: Sequence[os.PathLike | str] = (),
    npz_path: os.PathLike | str | None = None,
    cache_dir: os.PathLike | str | None = None,
    num_proc: int | None = None,
) -> datasets.DatasetDict | datasets.Dataset:
    """Build (once, cached) and load one config: a ``DatasetDict``, or a ``Dataset`` for ``split``.

    ``split`` takes the HF names (``train``, ``validation``, ``test``), the official
    ``val``, or the slicing syntax of ``datasets`` (``"train[:10%]"``).
    """
    kwargs: dict = {"source_dirs": source_dirs} if source_dirs else {}  # MedMNIST() makes them strings
    if npz_path is not None:
        kwargs["npz_path"] = npz_path
    builder = MedMNIST(config_name=config, cache_dir=None if cache_dir is None else str(cache_dir), **kwargs)
    try:
        builder.download_and_prepare(num_proc=num_proc)
    except datasets.exceptions.DatasetGenerationError as exc:
        # datasets wraps errors raised while generating; ours already say which file, key and
        # row are at fault, so surface them instead of the generic wrapper.
        if isinstance(exc.__cause__, MedMNISTHubError):
            raise exc.__cause__ from None
        raise
    if isinstance(split, str):  # official names too, also inside slices: "val[:10]" -> "validation[:10]"
        split = hf_split(split)
    return builder.as_dataset(split=split)
