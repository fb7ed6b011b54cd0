"""Which ``.npz`` file a TFDS build reads, how it was checked, and what is recorded about it.

Three ways in, in this order:

1. ``npz_path`` (builder kwarg): one file the caller names;
2. TFDS's ``manual_dir`` (``<data_dir>/downloads/manual`` or
   ``DownloadConfig(manual_dir=...)``) holding the file under its official name;
3. the core acquisition, :func:`medmnist_hub.acquisition.fetch`: ``source_dirs``,
   ``MEDMNIST_DIR``, ``~/.medmnist``, our cache, then a download from Zenodo (or
   ``MEDMNIST_HUB_MIRROR``), where only a copy whose MD5 equals the official one counts.

Files of ways 1 and 2 are placed by the user on purpose (TFDS never checksums
``manual_dir``): their MD5 is compared with the official one, and a file that differs
(a synthetic fixture, a re-packed private copy) is still accepted, but only after the
layout check and the streamed label check, with a warning, and the build records it
as unofficial in ``info.metadata`` (so a dataset built from it can always be told apart).

On top of the MD5, when the builder's ``checksums.tsv`` registers a size and SHA-256
for the file (every file whose bytes we could measure), those are checked too, the
way TFDS's own download manager would.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..acquisition import fetch
from ..catalog import DataFile, Subset
from ..download import md5sum
from ..errors import ChecksumError, OfflineError
from ..hashing import file_digest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResolvedFile:
    """The file a build reads, and what is known about its bytes."""

    path: Path
    origin: str  # "npz_path", "manual_dir" or "acquisition"
    md5: str
    official: bool  # MD5 equal to the official release's
    sha256: str | None = None  # set when checksums.tsv registers the file

    def metadata(self, file: DataFile) -> dict:
        """What goes into ``info.metadata``: provenance without the user's paths."""
        return {
            "source_file": file.filename,
            "source_origin": self.origin,
            "source_md5": self.md5,
            "official_md5": file.md5,
            "official": self.official,
            "source_sha256": self.sha256 or "",
            "official_url": file.url,
        }


def registered(file: DataFile, url_infos: Mapping | None):
    """The ``checksums.tsv`` entry (TFDS ``UrlInfo``) of ``file``, or None."""
    if not url_infos:
        return None
    return url_infos.get(file.url)


def verify_registered(path: Path, file: DataFile, url_infos: Mapping | None) -> str | None:
    """Check size and SHA-256 against ``checksums.tsv``; returns the SHA-256 checked, if any."""
    info = registered(file, url_infos)
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


def _user_file(path: Path, origin: str, subset: Subset, file: DataFile, url_infos) -> ResolvedFile:
    if not path.is_file():
        raise FileNotFoundError(f"{origin} {path} does not exist (config {file.config_name})")
    actual = md5sum(path)
    official = actual == file.md5
    if not official:
        log.warning(
            "%s %s: MD5 %s differs from the official %s for %s; building from it as an unofficial file "
            "(layout and labels are checked; info.metadata['official'] will be False)",
            origin,
            path,
            actual,
            file.md5,
            file.filename,
        )
        return ResolvedFile(path, origin, actual, False)
    return ResolvedFile(path, origin, actual, True, verify_registered(path, file, url_infos))


def resolve(
    subset: Subset,
    size: int,
    *,
    dl_manager=None,
    npz_path: os.PathLike | str | None = None,
    source_dirs: Sequence[os.PathLike | str] = (),
    offline: bool | None = None,
    url_infos: Mapping | None = None,
) -> ResolvedFile:
    """Find and check the file for ``subset`` at ``size`` (see the module docstring)."""
    file = subset.file(size)
    if npz_path is not None:
        return _user_file(_local(npz_path), "npz_path", subset, file, url_infos)
    if dl_manager is not None:
        in_manual = manual_file(dl_manager, file)
        if in_manual is not None:
            return _user_file(in_manual, "manual_dir", subset, file, url_infos)
    try:
        path = fetch(subset.key, size, source_dirs=source_dirs, offline=offline)  # MD5-verified or raises
    except OfflineError as exc:
        raise OfflineError(
            f"{exc} For TFDS you can also put {file.filename} into the builder's manual_dir "
            "(default <data_dir>/downloads/manual/, or DownloadConfig(manual_dir=...))."
        ) from None
    return ResolvedFile(path, "acquisition", file.md5, True, verify_registered(path, file, url_infos))
