"""Checksums of files, read in blocks: the one hashing loop of the package.

MD5 (the official release's checksums), SHA-256 (export manifests, ``checksums.tsv``,
Hub LFS pointers, content fingerprints) and the git blob id of the Hub all hash a file
the same way: in fixed-size blocks, so a 16 GB file costs a few MB of memory.
:func:`file_digests` computes several digests in one pass when a caller needs more than
one of the same file.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence

#: Bytes read per block.
BLOCK_SIZE = 1 << 20


def update_from_file(path: os.PathLike | str, *hashes, block_size: int = BLOCK_SIZE) -> None:
    """Feed the bytes of ``path`` to every hash object in ``hashes`` (one read of the file)."""
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(block_size), b""):
            for h in hashes:
                h.update(block)


def file_digests(
    path: os.PathLike | str, algorithms: Sequence[str] = ("md5", "sha256"), *, block_size: int = BLOCK_SIZE
) -> dict[str, str]:
    """``{algorithm: hex digest}`` of ``path`` for each ``hashlib`` algorithm name, in one pass."""
    hashes = {name: hashlib.new(name) for name in algorithms}
    update_from_file(path, *hashes.values(), block_size=block_size)
    return {name: h.hexdigest() for name, h in hashes.items()}


def file_digest(path: os.PathLike | str, algorithm: str = "sha256", *, block_size: int = BLOCK_SIZE) -> str:
    """Hex digest of ``path`` with one ``hashlib`` algorithm (``"md5"``, ``"sha256"``, ...)."""
    return file_digests(path, (algorithm,), block_size=block_size)[algorithm]
