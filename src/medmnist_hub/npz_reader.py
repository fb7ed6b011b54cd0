"""Streaming reader for the official ``.npz`` files.

``np.load`` materialises a whole member in memory (PathMNIST_224's training images are
about 13.5 GB); this reader parses each ``.npy`` header inside the zip without
decompressing the payload, and then yields rows in chunks, so memory stays bounded by
the chunk size whatever the file size.  Stored and deflated members are both handled
(``zipfile`` decompresses incrementally).

Safety: nothing is ever unpickled.  Object dtypes are refused at the header, member
names are only ever used as dictionary keys (never as paths), declared shapes are
checked against the member's real byte count before anything is allocated, and the
zip CRC is checked when a member has been read to the end.
"""

from __future__ import annotations

import math
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import FormatError

#: Rows per chunk when the caller does not say: ~50 MB of 224x224x3 images.
DEFAULT_CHUNK_BYTES = 64 * 1024 * 1024
_MAX_HEADER_BYTES = 10_000


@dataclass(frozen=True)
class ArrayInfo:
    """What an ``.npy`` member declares, read from its header only."""

    key: str
    member: str
    shape: tuple[int, ...]
    dtype: np.dtype
    data_offset: int
    compressed: bool

    @property
    def rows(self) -> int:
        return self.shape[0] if self.shape else 0

    @property
    def row_shape(self) -> tuple[int, ...]:
        return self.shape[1:]

    @property
    def row_bytes(self) -> int:
        return math.prod(self.row_shape) * self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize


class NpzReader:
    """Random-access-by-key, streaming-by-rows view of an ``.npz`` archive.

    Use as a context manager; ``arrays`` maps each key (``train_images``, ...) to its
    :class:`ArrayInfo`.
    """

    def __init__(self, path: os.PathLike | str):
        self.path = Path(path)
        try:
            self._zip = zipfile.ZipFile(self.path)
        except FileNotFoundError:
            raise
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
            raise FormatError(
                self.path,
                f"not a readable .npz (zip) archive ({exc}); the file is probably truncated or damaged: "
                "delete it and fetch it again",
            ) from None
        try:
            self.arrays: dict[str, ArrayInfo] = {}
            for info in self._zip.infolist():
                key = self._key_of(info)
                if key in self.arrays:
                    raise FormatError(self.path, f"the archive holds member {info.filename!r} twice", key=key)
                self.arrays[key] = self._read_header(info, key)
        except BaseException:
            self._zip.close()
            raise

    # -- context management -------------------------------------------------------
    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> NpzReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- headers -----------------------------------------------------------------------
    def _key_of(self, info: zipfile.ZipInfo) -> str:
        name = info.filename
        if info.is_dir() or not name.endswith(".npy"):
            raise FormatError(self.path, f"unexpected member {name!r}: an .npz holds only .npy arrays")
        key = name[: -len(".npy")]
        if not key or "/" in key or "\\" in key or key.startswith(".") or "\x00" in key:
            raise FormatError(self.path, f"refusing member with a path-like name {name!r}")
        return key

    def _open_member(self, info_or_name, key: str):
        try:
            return self._zip.open(info_or_name)
        except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError) as exc:
            raise FormatError(self.path, f"cannot open member ({exc})", key=key) from None

    def _read_header(self, info: zipfile.ZipInfo, key: str) -> ArrayInfo:
        with self._open_member(info, key) as f:
            try:
                version = np.lib.format.read_magic(f)
                if version == (1, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_1_0(f, max_header_size=_MAX_HEADER_BYTES)
                elif version in ((2, 0), (3, 0)):
                    shape, fortran, dtype = np.lib.format.read_array_header_2_0(f, max_header_size=_MAX_HEADER_BYTES)
                else:
                    raise ValueError(f"unsupported .npy format version {version}")
            except (ValueError, EOFError, SyntaxError, zipfile.BadZipFile, OSError) as exc:
                raise FormatError(self.path, f"invalid .npy header ({exc})", key=key) from None
            offset = f.tell()
        if dtype.hasobject:
            raise FormatError(
                self.path,
                f"holds Python objects (dtype {dtype!s}); reading it would mean unpickling, which this "
                "package never does. Official MedMNIST files hold uint8 arrays only",
                key=key,
            )
        if fortran:
            raise FormatError(self.path, "is stored in Fortran order; official files are C-ordered", key=key)
        if any((not isinstance(d, int)) or d < 0 for d in shape):
            raise FormatError(self.path, f"declares an invalid shape {shape}", key=key)
        arr = ArrayInfo(key, info.filename, tuple(shape), np.dtype(dtype), offset, info.compress_type != zipfile.ZIP_STORED)
        if offset + arr.nbytes != info.file_size:
            raise FormatError(
                self.path,
                f"declares shape {arr.shape} of {arr.dtype} ({arr.nbytes} bytes of data) but the member "
                f"holds {info.file_size - offset} bytes of data",
                key=key,
            )
        return arr

    def info(self, key: str) -> ArrayInfo:
        try:
            return self.arrays[key]
        except KeyError:
            raise FormatError(self.path, f"missing key {key!r}; the archive has {sorted(self.arrays)}") from None

    # -- data --------------------------------------------------------------------------
    def default_chunk_rows(self, key: str) -> int:
        return max(1, DEFAULT_CHUNK_BYTES // max(1, self.info(key).row_bytes))

    def iter_chunks(self, key: str, chunk_rows: int | None = None, start: int = 0, stop: int | None = None) -> Iterator[np.ndarray]:
        """Yield consecutive blocks of at most ``chunk_rows`` rows of ``key``.

        Each block is a fresh, writable array; memory use is one block at a time.
        When the whole member is read, the zip CRC is verified.
        """
        a = self.info(key)
        chunk_rows = chunk_rows or self.default_chunk_rows(key)
        if chunk_rows < 1:
            raise ValueError(f"chunk_rows must be >= 1, got {chunk_rows}")
        stop = a.rows if stop is None else min(stop, a.rows)
        if not 0 <= start <= stop:
            raise ValueError(f"invalid row range [{start}, {stop}) for {key} with {a.rows} rows")
        with self._open_member(a.member, key) as f:
            try:
                f.seek(a.data_offset + start * a.row_bytes)
                row = start
                while row < stop:
                    n = min(chunk_rows, stop - row)
                    block = np.empty((n,) + a.row_shape, dtype=a.dtype)
                    view = memoryview(block).cast("B")
                    got = f.readinto(view)
                    while got < len(view):
                        more = f.readinto(view[got:])
                        if not more:
                            break
                        got += more
                    if got != len(view):
                        raise FormatError(self.path, f"data ends early at row {row + got // max(1, a.row_bytes)} of {a.rows}", key=key)
                    yield block
                    row += n
                if stop == a.rows:
                    f.read(1)  # reach EOF so zipfile checks the CRC-32
            except (zipfile.BadZipFile, EOFError, OSError) as exc:
                raise FormatError(self.path, f"damaged data ({exc}); delete the file and fetch it again", key=key) from None

    def read(self, key: str, start: int = 0, stop: int | None = None) -> np.ndarray:
        """The rows ``[start, stop)`` of ``key`` as one array (the whole member by default)."""
        a = self.info(key)
        stop = a.rows if stop is None else min(stop, a.rows)
        out = np.empty((stop - start,) + a.row_shape, dtype=a.dtype)
        pos = 0
        for block in self.iter_chunks(key, start=start, stop=stop):
            out[pos : pos + len(block)] = block
            pos += len(block)
        return out

    def iter_split(
        self, split: str, chunk_rows: int | None = None, start: int = 0, stop: int | None = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield aligned ``(images, labels)`` blocks of rows ``[start, stop)`` of an official split.

        This is the one place that pairs image and label chunks: the HF builder, the Hub
        export, the TFDS builder and the evaluation runner all read a split through it.
        Reading a split to its end also drains the labels, so both members' CRCs are checked.
        """
        images_key, labels_key = f"{split}_images", f"{split}_labels"
        rows = self.info(images_key).rows
        if self.info(labels_key).rows != rows:
            raise FormatError(
                self.path, f"{images_key} has {rows} rows but {labels_key} has {self.info(labels_key).rows}", key=labels_key
            )
        chunk_rows = chunk_rows or self.default_chunk_rows(images_key)
        labels = self.iter_chunks(labels_key, chunk_rows, start=start, stop=stop)
        for images in self.iter_chunks(images_key, chunk_rows, start=start, stop=stop):
            yield images, next(labels)
        for _ in labels:  # drain so the labels' CRC is checked too
            pass
