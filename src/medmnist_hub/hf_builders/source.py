"""Which ``.npz`` file feeds a config, and what identifies its content.

Two ways in, as the builder's config kwargs and the exporter's options say:

* the official file, found or downloaded by :func:`medmnist_hub.acquisition.fetch`
  (``source_dirs``, ``MEDMNIST_DIR``, ``~/.medmnist``, our cache, Zenodo) and always
  MD5-verified, so its identity is the catalog's MD5;
* an explicit file (``npz_path``), e.g. a synthetic file whose split sizes differ from
  the catalog: its layout and labels are checked against the catalog (split sizes
  excepted) but it is not MD5-checked, so its identity is a fingerprint of its bytes.

The identity goes into cache keys and the export manifest, so two different files
never share a cache entry and an unchanged file is not converted twice.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..acquisition import fetch
from ..catalog import SPLITS, Subset
from ..hashing import file_digests
from ..validate import validate_file

#: Files up to this size are fingerprinted by content; larger ones by path, size and mtime.
CONTENT_HASH_LIMIT = 256 * 1024 * 1024


@dataclass(frozen=True)
class SourceFile:
    """A resolved, checked source file for one config."""

    path: Path
    subset: str
    size: int
    identity: str  # "md5:<official md5>" or "sha256:<content>" / "stat:<...>" for unverified files
    verified: bool  # True when MD5-equal to the official release
    split_sizes: dict[str, int]


def _hashes(path: Path) -> tuple[str, str] | None:
    """(sha256, md5) of a file small enough to hash on every use, else None."""
    if path.stat().st_size > CONTENT_HASH_LIMIT:
        return None
    digests = file_digests(path, ("sha256", "md5"))
    return digests["sha256"], digests["md5"]


def fingerprint(path: os.PathLike | str) -> str:
    """Content identity of a file that is not MD5-checked against the catalog.

    Content hash up to :data:`CONTENT_HASH_LIMIT`; beyond, path + size + mtime (a file
    rewritten in place gets a new mtime), which avoids hashing many GB on every load.
    """
    path = Path(path)
    hashes = _hashes(path)
    if hashes is not None:
        return f"sha256:{hashes[0]}"
    st = path.stat()
    raw = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    return "stat:" + hashlib.sha256(raw.encode()).hexdigest()


def resolve_source(
    subset: Subset,
    size: int,
    *,
    source_dirs: Sequence[os.PathLike | str] = (),
    npz_path: os.PathLike | str | None = None,
    offline: bool | None = None,
) -> SourceFile:
    """Find (and check) the file for ``subset`` at ``size``.

    With ``npz_path`` the file is used as it is after a layout and label check (no MD5),
    otherwise the official file is fetched and MD5-verified.
    """
    if npz_path is not None:
        path = Path(npz_path).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"npz_path {path} does not exist (config {subset.file(size).config_name})")
        summary = validate_file(path, subset, size, split_sizes={}, pixel_stats=False)
        counts = {s: summary.splits[s].count for s in SPLITS}
        official_md5 = subset.file(size).md5
        hashes = _hashes(path)
        if hashes is not None and hashes[1] == official_md5:  # it is the official file after all
            return SourceFile(path, subset.key, size, f"md5:{official_md5}", True, counts)
        return SourceFile(path, subset.key, size, fingerprint(path), False, counts)
    path = fetch(subset.key, size, source_dirs=source_dirs, offline=offline)
    return SourceFile(path, subset.key, size, f"md5:{subset.file(size).md5}", True, dict(subset.split_sizes))
