"""TFDS's part of finding a build's ``.npz`` file: ``manual_dir``, ``checksums.tsv``, metadata.

The file is found and checked by the core :func:`medmnist_hub.acquisition.resolve`, in
this order: the builder kwarg ``npz_path``; TFDS's ``manual_dir`` (``<data_dir>/downloads/manual``
or ``DownloadConfig(manual_dir=...)``) holding the file under its official name (TFDS never
checksums ``manual_dir``); the core acquisition (``source_dirs``, ``MEDMNIST_DIR``,
``~/.medmnist``, our cache, a download checked against the official MD5). A named file
whose MD5 differs is built from with a warning and recorded as unofficial in
``info.metadata``.

On top of the MD5, when the builder's ``checksums.tsv`` registers a size and SHA-256
for the official file (every file whose bytes we could measure), those are checked too,
the way TFDS's own download manager would.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from .. import acquisition
from ..catalog import DataFile, Subset
from ..errors import ChecksumError, OfflineError
from ..hashing import file_digest


def metadata(resolved: acquisition.Source, file: DataFile) -> dict:
    """What goes into ``info.metadata``: provenance without the user's paths."""
    return {
        "source_file": file.filename,
        "source_origin": resolved.origin,
        "source_md5": resolved.md5,
        "official_md5": file.md5,
        "official": resolved.official,
        "source_sha256": resolved.sha256 or "",
        "official_url": file.url,
    }


def verify_registered(path: Path, file: DataFile, url_infos: Mapping | None) -> str | None:
    """Check size and SHA-256 against ``checksums.tsv`` (TFDS ``UrlInfo``s); returns the SHA-256 checked, if any."""
    info = (url_infos or {}).get(file.url)
    if info is None:
        return None
    actual_size = path.stat().st_size
    if info.size is not None and int(info.size) != actual_size:
        raise ChecksumError(
            f"{path} (size)", str(info.size), str(actual_size), "The checksums.tsv entry and the file disagree."
        )
    actual = file_digest(path, "sha256")
    if actual != info.checksum:
        raise ChecksumError(
            f"{path} (SHA-256 registered in checksums.tsv)",
            info.checksum,
            actual,
            "Delete the file and fetch it again.",
        )
    return actual


def _local(path_like) -> Path:
    text = os.fspath(path_like)
    if "://" in text:
        raise ValueError(
            f"{text}: the MedMNIST builder reads .npz files from a local or mounted filesystem only; "
            "copy the file to a local folder (or mount the bucket) and point manual_dir/npz_path there"
        )
    return Path(text).expanduser()


def manual_file(dl_manager, file: DataFile) -> Path | None:
    """``<manual_dir>/<official name>`` if the user put it there, else None."""
    try:
        manual_dir = dl_manager.manual_dir
    except (AssertionError, ValueError):  # not enabled, missing or empty: not an error here
        return None
    candidate = _local(manual_dir) / file.filename
    return candidate if candidate.is_file() else None


def resolve(
    subset: Subset,
    size: int,
    *,
    dl_manager=None,
    npz_path: os.PathLike | str | None = None,
    source_dirs: Sequence[os.PathLike | str] = (),
    offline: bool | None = None,
    url_infos: Mapping | None = None,
) -> acquisition.Source:
    """Find and check the file for ``subset`` at ``size`` (see the module docstring)."""
    file = subset.file(size)
    origin = "npz_path"
    if npz_path is not None:
        npz_path = _local(npz_path)
    elif dl_manager is not None:
        npz_path, origin = manual_file(dl_manager, file), "manual_dir"
    try:
        resolved = acquisition.resolve(
            subset, size, npz_path=npz_path, origin=origin, source_dirs=source_dirs, offline=offline
        )
    except OfflineError as exc:
        raise OfflineError(
            f"{exc} For TFDS you can also put {file.filename} into the builder's manual_dir "
            "(default <data_dir>/downloads/manual/, or DownloadConfig(manual_dir=...))."
        ) from None
    if not resolved.official:
        return resolved
    return dataclasses.replace(resolved, sha256=verify_registered(resolved.path, file, url_infos))
