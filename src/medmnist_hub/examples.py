"""What one MedMNIST example is, whatever ecosystem publishes it: id, label value, image bytes.

The Hugging Face builder, the Parquet export and the TFDS builder all turn official
``.npz`` rows into examples; they share these definitions so that an example reads the
same everywhere (same id, same label value, same pixels) and a change happens in one
place:

* ``id``: the official position ``"{official split}-{index:06d}"`` (``train-000042``,
  ``val-000003``), so predictions can be aligned with the official order even after
  shuffling, filtering or TFDS's key-hash ordering;
* ``label``: the class index, or for the multi-label ChestMNIST the list of the
  positive findings' indices; :func:`multi_hot` turns such lists back into the official
  multi-hot matrix;
* 2D images: :func:`encode_png` (PIL's defaults, lossless; mode ``L`` for gray, ``RGB`` for
  colour) for TFDS; the Hugging Face ``image`` column stores :func:`encode_hf_image`'s bytes,
  netpbm up to :data:`NETPBM_MAX_SIDE` px, PNG above (lossless either way, same modes).

Only numpy is imported here (PIL when an image is encoded), so worker processes and
Beam workers that need these helpers start fast, and the core install stays light.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

import numpy as np

from .catalog import SPLITS, Subset


def example_id(official_split: str, index: int) -> str:
    """Stable id of an example: its official split and its row in that split, e.g. ``train-000042``."""
    if official_split not in SPLITS:
        raise ValueError(f"unknown official split {official_split!r}; expected one of {list(SPLITS)}")
    return f"{official_split}-{index:06d}"


def label_values(subset: Subset, labels: np.ndarray) -> list:
    """Official label rows ``(n, width)`` -> the ``label`` values: ints, or index lists for ChestMNIST."""
    if subset.is_multilabel:
        return [np.flatnonzero(row).tolist() for row in labels]
    return labels[:, 0].astype(np.int64).tolist()


def multi_hot(label_indices: Iterable[Sequence[int]], num_labels: int) -> np.ndarray:
    """Lists of positive label indices (one per example) -> the official ``(N, num_labels)`` uint8 matrix."""
    rows = list(label_indices)
    out = np.zeros((len(rows), num_labels), dtype=np.uint8)
    for i, row in enumerate(rows):
        out[i, list(row)] = 1
    return out


#: Images up to this side are stored as netpbm in the HF ``image`` column, larger ones as PNG.
#: Why: at 28 px the per-image cost of reading a PNG is PIL's Python chunk parsing, and
#: ``datasets`` decodes every image it hands out; a netpbm header is three numbers, so a 28 px
#: image decodes in ~18 us instead of 33 us (gray) or 45-55 us (RGB), for Parquet files 1.3x (gray) to 1.5x (RGB)
#: the PNG size.  At 224 px netpbm still decodes ~3.5x faster but makes files 4-6x the PNG size
#: (gigabytes per config), so the MedMNIST+ sizes stay PNG (README, "Loading fast").
NETPBM_MAX_SIDE = 28


def _encode(image: np.ndarray, fmt: str) -> bytes:
    import PIL.Image

    buf = io.BytesIO()
    PIL.Image.fromarray(image).save(buf, format=fmt)
    return buf.getvalue()


def encode_png(image: np.ndarray) -> bytes:
    """One uint8 image, (H, W) -> PNG mode L, (H, W, 3) -> PNG mode RGB (PIL's default settings)."""
    return _encode(image, "PNG")


def encode_hf_image(image: np.ndarray) -> bytes:
    """The bytes of one image in the HF ``image`` column: netpbm -- PGM (mode L) for (H, W), PPM
    (mode RGB) for (H, W, 3) -- when both sides are at most :data:`NETPBM_MAX_SIDE`, else PNG.

    Any PIL-based reader opens both (``datasets.Image``, the Hub's dataset viewer, mlcroissant).
    """
    return _encode(image, "PPM" if max(image.shape[:2]) <= NETPBM_MAX_SIDE else "PNG")
