"""Write a file so that it appears whole or not at all: the one way the package replaces a file.

A reader (another process, a later run, an upload) must never see half a manifest, a
truncated record or a partial ``.npz`` where a good one is expected.  Every writer
therefore goes through :func:`atomic_open`: the bytes go to a temporary file in the
same folder (same filesystem, so the rename is atomic), are flushed and fsynced, and
the file is renamed over the target with ``os.replace``.  If anything fails on the way
the temporary file is removed and the target is left as it was.

The temporary file is created with the process umask, like any ``open(path, "w")``,
and its name (``.<name>.<pid>.<random>.tmp``) is hidden and unique, so concurrent
writers of one target never write into each other's temporary file: the last rename
wins, whole.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


def _create_temp(path: Path) -> tuple[int, Path]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:  # pragma: no cover - 32 random bits collided
            continue


@contextmanager
def atomic_open(path: os.PathLike | str, mode: str = "wb", *, encoding: str | None = None) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on a clean exit it replaces ``path``.

    ``mode`` is ``"wb"`` or ``"w"`` (text, with ``encoding``).  The parent folder must
    exist.  Use it for content written piece by piece (``np.savez``, a ``ZipFile``)::

        with atomic_open(path) as f:
            np.savez_compressed(f, **arrays)
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_open writes a whole new file: mode must be 'wb' or 'w', got {mode!r}")
    path = Path(path)
    fd, tmp = _create_temp(path)
    try:
        with os.fdopen(fd, mode, encoding=encoding if mode == "w" else None) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: os.PathLike | str, data: bytes, *, only_if_changed: bool = False) -> bool:
    """Replace ``path`` by ``data`` atomically; returns whether the file was written.

    With ``only_if_changed`` a file that already holds exactly ``data`` is left untouched
    (same mtime), so re-running a step or re-uploading a folder sees no change.
    """
    path = Path(path)
    if only_if_changed and path.is_file() and path.read_bytes() == data:
        return False
    with atomic_open(path, "wb") as f:
        f.write(data)
    return True


def atomic_write_text(
    path: os.PathLike | str, text: str, *, encoding: str = "utf-8", only_if_changed: bool = False
) -> bool:
    """:func:`atomic_write_bytes` for text (``encoding``, UTF-8 by default)."""
    return atomic_write_bytes(path, text.encode(encoding), only_if_changed=only_if_changed)
