"""Near-duplicate search over the perceptual descriptors, without comparing every pair.

Similarity of samples ``a`` and ``b``: the best, over one-pixel (one-voxel) shifts
``s`` of ``a``, of the cosine between ``centre(T_s c_a)`` and ``centre(c_b)``, where
``c`` is the unit low-frequency DCT descriptor of :mod:`.descriptors`, ``T_s`` the
shift expressed on the coefficient block (``B S B^T`` per axis, ``B`` the truncated
DCT basis, ``S`` the shift with the edge row repeated) and ``centre`` subtracts the
file's mean descriptor and rescales to unit length.  Centring matters for MedMNIST:
the images of one subset share most of their low-frequency content (every fundus is
an orange disc, every chest X-ray the same silhouette), so raw cosines of distinct
images crowd near 1; after centring they compare what differs from the typical image.

Search: random-hyperplane LSH (SimHash).  Every representative is filed under
``BANDS`` keys of ``BAND_BITS`` sign bits of its centred descriptor; each shifted
version of each representative is looked up in those tables, and only the pairs that
share a key are compared exactly.  Two samples at cosine ``t`` agree on one bit with
probability ``1 - acos(t)/pi``; at the default threshold 0.95 a band matches with
probability 0.15 and one of the 32 bands with 0.995 (more, for shifted pairs, which both
samples' queries can find), and more closely similar pairs are found with certainty in
practice, while distinct samples (cosine near 0) collide in a band with probability
2^-18: work grows with the number of samples, not with its square.  With 24 bands of 20
bits one pair of each real VesselMNIST3D file was missed; the tests check the search
against the all-pairs comparison on real files.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import product

import numpy as np

from .descriptors import dct_basis

#: Default similarity threshold (``--near``); chosen in results/audit/calibration.md.
DEFAULT_THRESHOLD = 0.95
BANDS = 32
BAND_BITS = 18
#: Candidate pairs verified per numpy batch (bounds the search's working memory).
PAIR_BATCH = 1 << 21
QUERY_CHUNK = 8192
_SEED = 20241


@dataclass(frozen=True)
class NearPair:
    a: int  # sample indices (positions in the whole file's sample order)
    b: int
    similarity: float
    shift: tuple[int, ...]  # the shift of ``a`` that matched best


def shifts(is_3d: bool) -> list[tuple[int, ...]]:
    """No shift first, then every one-pixel shift (2D, diagonals too) or one-voxel shift along one axis (3D)."""
    if is_3d:
        out = [(0, 0, 0)]
        for axis in range(3):
            for d in (-1, 1):
                s = [0, 0, 0]
                s[axis] = d
                out.append(tuple(s))
        return out
    return [(0, 0)] + [s for s in product((-1, 0, 1), repeat=2) if s != (0, 0)]


@lru_cache(maxsize=64)
def shift_operator(n: int, k: int, d: int) -> np.ndarray:
    """``B S B^T`` (k x k): a shift by ``d`` pixels (edge repeated) seen on the first ``k`` DCT coefficients."""
    basis = dct_basis(n, k)
    source = np.clip(np.arange(n) - d, 0, n - 1)
    shifted_basis = np.zeros_like(basis)
    np.add.at(shifted_basis.T, source, basis.T)  # (B S)[f, j] = sum_i B[f, i] S[i, j], S[i, source[i]] = 1
    return (shifted_basis @ basis.T).astype(np.float32)


def apply_shift(coefs: np.ndarray, shift: tuple[int, ...], n: int) -> np.ndarray:
    """Shift descriptors (``(m, d)``, flattened ``k^dims`` blocks) by ``shift`` pixels per axis."""
    dims = len(shift)
    k = round(coefs.shape[1] ** (1.0 / dims))
    x = coefs.astype(np.float32).reshape((len(coefs),) + (k,) * dims)
    if dims == 2:
        ty, tx = shift_operator(n, k, shift[0]), shift_operator(n, k, shift[1])
        x = ty @ x @ tx.T
    else:
        tz, ty, tx = (shift_operator(n, k, d) for d in shift)
        x = np.einsum("iz,nzyx->niyx", tz, x, optimize=True)
        x = np.einsum("jy,niyx->nijx", ty, x, optimize=True)
        x = np.einsum("kx,nijx->nijk", tx, x, optimize=True)
    return x.reshape(len(coefs), -1)


def _unit(x: np.ndarray) -> np.ndarray:
    x = x.copy()
    x[:, 0] = 0.0
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norm, out=np.zeros_like(x), where=norm > 1e-6)


class NearIndex:
    """LSH tables over the centred descriptors of the samples to compare."""

    def __init__(self, coefs: np.ndarray, n: int, is_3d: bool, threshold: float = DEFAULT_THRESHOLD):
        self.coefs = coefs  # (m, d) float16, see descriptors.normalise
        self.n = n
        self.is_3d = is_3d
        self.threshold = float(threshold)
        self.mean = _unit(coefs.astype(np.float32)).mean(axis=0) if len(coefs) else np.zeros(coefs.shape[1], np.float32)
        self.base = self.centre(coefs).astype(np.float16)
        rng = np.random.default_rng(_SEED)
        self.planes = rng.standard_normal((BANDS * BAND_BITS, coefs.shape[1])).astype(np.float32)
        keys = self.keys(self.base)
        self.order = np.argsort(keys, axis=0, kind="stable").astype(np.int32)  # (m, BANDS)
        self.sorted_keys = np.take_along_axis(keys, self.order, axis=0)

    def centre(self, coefs: np.ndarray) -> np.ndarray:
        out = _unit(coefs.astype(np.float32)) - self.mean
        norm = np.linalg.norm(out, axis=1, keepdims=True)
        return np.divide(out, norm, out=np.zeros_like(out), where=norm > 1e-6)

    def keys(self, units: np.ndarray) -> np.ndarray:
        """(m, BANDS) uint32 band keys of centred descriptors."""
        bits = (units.astype(np.float32) @ self.planes.T) > 0
        weights = (1 << np.arange(BAND_BITS, dtype=np.uint32)).astype(np.uint32)
        return (bits.reshape(len(units), BANDS, BAND_BITS) * weights).sum(axis=2, dtype=np.uint32)

    def _candidates(self, keys: np.ndarray, band: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Pairs (query row, base row) sharing band ``band``, in batches of at most PAIR_BATCH."""
        column = self.sorted_keys[:, band]
        left = np.searchsorted(column, keys[:, band], side="left")
        right = np.searchsorted(column, keys[:, band], side="right")
        counts = right - left
        ends = np.cumsum(counts)
        start_q = 0
        while start_q < len(keys):
            base_total = ends[start_q - 1] if start_q else 0
            stop_q = int(np.searchsorted(ends, base_total + PAIR_BATCH, side="right"))
            stop_q = max(stop_q, start_q + 1)
            q = np.repeat(np.arange(start_q, stop_q), counts[start_q:stop_q])
            if len(q):
                offsets = np.arange(len(q)) - np.repeat(ends[start_q:stop_q] - counts[start_q:stop_q] - base_total,
                                                        counts[start_q:stop_q])
                positions = np.repeat(left[start_q:stop_q], counts[start_q:stop_q]) + offsets
                yield q, self.order[positions, band]
            start_q = stop_q

    def search(self) -> list[NearPair]:
        """Every pair of distinct samples at similarity >= threshold (each pair once, best shift)."""
        m = len(self.base)
        best: dict[tuple[int, int], tuple[float, tuple[int, ...]]] = {}
        base32 = self.base.astype(np.float32)
        for shift in shifts(self.is_3d):
            for q0 in range(0, m, QUERY_CHUNK):
                queries = self.centre(apply_shift(self.coefs[q0 : q0 + QUERY_CHUNK], shift, self.n))
                keys = self.keys(queries)
                for band in range(BANDS):
                    for q, b in self._candidates(keys, band):
                        a = q + q0
                        keep = a != b
                        q, a, b = q[keep], a[keep], b[keep]
                        sims = np.einsum("ij,ij->i", queries[q], base32[b])
                        hit = sims >= self.threshold
                        for ai, bi, si in zip(a[hit].tolist(), b[hit].tolist(), sims[hit].tolist()):
                            key = (ai, bi) if ai < bi else (bi, ai)
                            s = shift if ai < bi else tuple(-d for d in shift)
                            if key not in best or si > best[key][0]:
                                best[key] = (si, s)
        return [NearPair(a, b, min(1.0, sim), s) for (a, b), (sim, s) in sorted(best.items())]


def brute_force_pairs(coefs: np.ndarray, n: int, is_3d: bool, threshold: float) -> set[tuple[int, int]]:
    """Every pair at similarity >= threshold by comparing all pairs: the reference the LSH search is checked against."""
    index = NearIndex(coefs, n, is_3d, threshold)
    base = index.base.astype(np.float32)
    found: set[tuple[int, int]] = set()
    for shift in shifts(is_3d):
        queries = index.centre(apply_shift(coefs, shift, n))
        sims = queries @ base.T
        np.fill_diagonal(sims, -1.0)
        for a, b in zip(*np.nonzero(sims >= threshold)):
            found.add((int(min(a, b)), int(max(a, b))))
    return found
