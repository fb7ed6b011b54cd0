"""Per-sample fingerprints computed while a split streams by: exact digest, perceptual descriptor, blankness.

Only these small per-sample records are kept in memory (16 bytes of digest, a few
hundred bytes of descriptor, three numbers), never the pixels, so an audit's memory is
bounded by the number of samples, not by the file size.

The perceptual descriptor is the block of the lowest ``k`` x ``k`` (2D) or ``k`` x ``k``
x ``k`` (3D) DCT-II coefficients of the grey image (RGB averaged), with the DC term
dropped and the rest scaled to unit length:

* dropping DC makes it blind to a brightness offset, and the unit length to a contrast
  factor (both exact except where pixels clip at 0 or 255);
* low frequencies barely move under JPEG re-encoding;
* a shift by one pixel is handled at comparison time (:mod:`.near`): on the coefficient
  block it is, to a very good approximation, a fixed linear map, so the stored
  descriptor of one sample can be shifted without its pixels;
* the same ``k`` at every image size covers the same band of spatial frequencies
  relative to the image, so the 28 and 224 px files of a subset are described alike.

``k`` and the similarity threshold were chosen with the numbers in
``results/audit/calibration.md`` (``python -m medmnist_hub.audit.calibration``).
The functions here need only numpy and run in worker processes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

#: DCT frequencies kept per axis: 16 x 16 for 2D (255 numbers), 8 x 8 x 8 for 3D (511).
K_2D = 16
K_3D = 8
#: Bytes of the per-sample BLAKE2b digest of the raw pixel bytes (collisions: ~2^-64 per pair).
DIGEST_BYTES = 16
#: A sample is "nearly blank" when at least this fraction of its values equal its most common value
#: (a 3D mask with a handful of foreground voxels) ...
BLANK_FRACTION = 0.999
#: ... or when all its values lie within this many grey levels (a flat image with faint noise).
BLANK_RANGE = 2


@lru_cache(maxsize=32)
def dct_basis(n: int, k: int) -> np.ndarray:
    """The first ``k`` rows of the orthonormal DCT-II matrix of size ``n`` (float32, (k, n))."""
    x = np.arange(n, dtype=np.float64)
    f = np.arange(k, dtype=np.float64)[:, None]
    basis = np.cos(np.pi * (x + 0.5) * f / n) * np.sqrt(2.0 / n)
    basis[0] /= np.sqrt(2.0)
    return basis.astype(np.float32)


def descriptor_k(is_3d: bool, size: int) -> int:
    return min(K_3D if is_3d else K_2D, size)


@dataclass
class BlockDescriptors:
    """What is kept of one block of samples."""

    digests: np.ndarray  # (n, DIGEST_BYTES) uint8
    coefs: np.ndarray  # (n, k**dims) float16, scaled to unit non-DC length (all zero for a constant sample)
    minimum: np.ndarray  # (n,) uint8
    maximum: np.ndarray  # (n,) uint8
    mode_fraction: np.ndarray  # (n,) float32: share of values equal to the most common one (1.0 if constant)


def digests(block: np.ndarray) -> np.ndarray:
    """BLAKE2b-128 of each row's raw bytes."""
    out = np.empty((len(block), DIGEST_BYTES), np.uint8)
    for i, row in enumerate(block):
        out[i] = np.frombuffer(hashlib.blake2b(np.ascontiguousarray(row).data, digest_size=DIGEST_BYTES).digest(), np.uint8)
    return out


def low_frequency_coefs(block: np.ndarray, is_3d: bool) -> np.ndarray:
    """The low-frequency DCT block of each sample (float32, (n, k, k) or (n, k, k, k)), before normalising.

    RGB is summed over channels (the scale does not matter: descriptors are normalised);
    each axis is one large matrix product (``tensordot``), not one small product per sample.
    """
    if not is_3d and block.ndim == 4:  # channel by channel: 7x faster than a sum over the last axis
        x = block[..., 0].astype(np.float32)
        for c in range(1, block.shape[-1]):
            x += block[..., c]
    else:
        x = block.astype(np.float32)
    size = x.shape[1]
    basis = dct_basis(size, descriptor_k(is_3d, size))
    for _ in range(x.ndim - 1):  # contract the last axis, which then moves to the front of the sample axes
        x = np.tensordot(x, basis, axes=([1], [1]))
    return x


def normalise(coefs: np.ndarray) -> np.ndarray:
    """Flatten and scale so that the non-DC coefficients have unit length (float32, (n, d)).

    The DC term is kept (scaled alike) although comparisons ignore it: a shift moves some
    of the mean's energy into the low AC coefficients at the edges, and :mod:`.near`
    needs it to predict the shifted descriptor.  All zero for a constant sample.
    """
    flat = coefs.reshape(len(coefs), -1).astype(np.float32, copy=True)
    norm = np.linalg.norm(flat[:, 1:], axis=1, keepdims=True)
    out = np.divide(flat, norm, out=np.zeros_like(flat), where=norm > 1e-3)
    return np.clip(out, -60000.0, 60000.0)  # stays finite in float16


def mode_fractions(block: np.ndarray, maybe: np.ndarray) -> np.ndarray:
    """Share of each row's values equal to its most common value, computed only where ``maybe`` (else 0)."""
    flat = block.reshape(len(block), -1)
    out = np.zeros(len(block), np.float32)
    rows = np.flatnonzero(maybe)
    if len(rows):
        sub = flat[rows].astype(np.int64) + (np.arange(len(rows), dtype=np.int64) * 256)[:, None]
        counts = np.bincount(sub.ravel(), minlength=len(rows) * 256).reshape(len(rows), 256)
        out[rows] = counts.max(axis=1) / flat.shape[1]
    return out


def describe(block: np.ndarray, is_3d: bool) -> BlockDescriptors:
    """Every fingerprint of a block of samples (a worker's whole job)."""
    n = len(block)
    flat = block.reshape(n, -1)
    minimum, maximum = flat.min(axis=1), flat.max(axis=1)
    # A row with >= BLANK_FRACTION of its values equal has std <= 255 * sqrt(1 - BLANK_FRACTION);
    # the (costly) histogram is only taken for rows under that bound.
    std = flat.std(axis=1, dtype=np.float32) if n else np.zeros(0)
    maybe = std <= 255.0 * np.sqrt(1.0 - BLANK_FRACTION) + 1e-6
    return BlockDescriptors(
        digests=digests(block),
        coefs=normalise(low_frequency_coefs(block, is_3d)).astype(np.float16),
        minimum=minimum,
        maximum=maximum,
        mode_fraction=mode_fractions(block, maybe),
    )
