"""Audit one official-format file: stream every split once, keep fingerprints, then find the problems.

Pass 1 (streamed, bounded memory): the splits are read in order by the project's
:class:`~medmnist_hub.npz_reader.NpzReader`; each block of rows goes to
:func:`.descriptors.describe`, in ``num_proc`` worker processes for files big enough to
repay their start-up, with at most ``2 * num_proc`` blocks in flight.  Labels are
checked against the task block by block (:func:`medmnist_hub.validate.check_label_block`)
and kept (at most 14 bytes a sample).

Pass 2 (in memory, fingerprints only): exact duplicates by digest, near duplicates by
:class:`.near.NearIndex` over one representative of each distinct digest (constant
samples excluded: they have no shape to compare), label conflicts, degenerate samples,
class counts, and the ids to leave out for a leak-free evaluation.  :mod:`.report`
turns the result into the versioned JSON report.
"""

from __future__ import annotations

import contextlib
import logging
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from ..catalog import SPLITS, Subset
from ..examples import example_id
from ..npz_reader import NpzReader
from ..process_pool import one_thread_per_worker, pool_context
from ..validate import check_label_block, check_layout
from .descriptors import BLANK_FRACTION, BLANK_RANGE, BlockDescriptors, describe
from .near import DEFAULT_THRESHOLD, NearIndex, NearPair

log = logging.getLogger(__name__)

#: Raw bytes of one block sent to a worker: ~110 rows of 224 x 224 x 3.
BLOCK_BYTES = 16 * 1024 * 1024
#: Below this much pixel data one process is faster than starting workers.
POOL_MIN_BYTES = 64 * 1024 * 1024

SPLIT_PAIRS: tuple[tuple[str, str], ...] = (("train", "val"), ("train", "test"), ("val", "test"))


@dataclass
class Fingerprints:
    """Everything pass 1 keeps, concatenated over the splits in official order."""

    split_names: list[str]
    split_counts: dict[str, int]
    labels: np.ndarray  # (N, width) uint8
    digests: np.ndarray
    coefs: np.ndarray
    minimum: np.ndarray
    maximum: np.ndarray
    mode_fraction: np.ndarray
    split_of: np.ndarray = field(default=None)  # (N,) int8 index into SPLITS
    local: np.ndarray = field(default=None)  # (N,) row within its split

    def ident(self, i: int) -> str:
        return example_id(SPLITS[self.split_of[i]], int(self.local[i]))


def fingerprint_file(reader: NpzReader, subset: Subset, size: int, num_proc: int = 2) -> Fingerprints:
    """Pass 1: stream every split once and keep only fingerprints and labels."""
    check_layout(reader, subset, size, split_sizes={})
    row_bytes = reader.info("train_images").row_bytes
    chunk_rows = max(1, BLOCK_BYTES // max(1, row_bytes))
    total_bytes = sum(reader.info(f"{s}_images").nbytes for s in SPLITS)
    use_pool = num_proc > 1 and total_bytes >= POOL_MIN_BYTES
    parts: list[BlockDescriptors] = []
    labels, counts = [], {}
    with contextlib.ExitStack() as stack:
        pool = None
        if use_pool:
            stack.enter_context(one_thread_per_worker())  # left last: the workers start inside it
            pool = ProcessPoolExecutor(num_proc, mp_context=pool_context())
            stack.callback(pool.shutdown, cancel_futures=True)
        pending: deque = deque()
        for split in SPLITS:
            row = 0
            for images, block_labels in reader.iter_split(split, chunk_rows):
                check_label_block(reader.path, subset, f"{split}_labels", block_labels, row)
                row += len(images)
                labels.append(block_labels)
                if pool is None:
                    parts.append(describe(images, subset.is_3d))
                    continue
                pending.append(pool.submit(describe, images, subset.is_3d))
                while len(pending) >= 2 * num_proc:
                    parts.append(pending.popleft().result())
            counts[split] = row
        while pending:
            parts.append(pending.popleft().result())

    def cat(name, dtype, tail=()):
        got = [getattr(p, name) for p in parts]
        return np.concatenate(got) if got else np.zeros((0, *tail), dtype)

    d = len(parts[0].coefs[0]) if parts and len(parts[0].coefs) else 1
    fp = Fingerprints(
        split_names=list(SPLITS),
        split_counts=counts,
        labels=np.concatenate(labels) if labels else np.zeros((0, subset.label_width), np.uint8),
        digests=cat("digests", np.uint8, (16,)),
        coefs=cat("coefs", np.float16, (d,)),
        minimum=cat("minimum", np.uint8),
        maximum=cat("maximum", np.uint8),
        mode_fraction=cat("mode_fraction", np.float32),
    )
    fp.split_of = np.repeat(np.arange(len(SPLITS), dtype=np.int8), [counts[s] for s in SPLITS])
    fp.local = np.concatenate([np.arange(counts[s]) for s in SPLITS])
    return fp


@dataclass
class Findings:
    exact_groups: list[np.ndarray]  # sample indices, ascending; groups ordered by their first member
    near_pairs: list[NearPair]  # between representatives (first member of their exact group)
    group_of: np.ndarray  # (N,) exact-group index, -1 for a sample without an exact copy
    constant: np.ndarray  # sample indices
    nearly_blank: np.ndarray
    threshold: float


def exact_groups(digests: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Groups of samples with the same digest (>= 2 members), each sample's group (-1: none), and representatives."""
    n = len(digests)
    if n == 0:
        return [], np.zeros(0, np.int64), np.zeros(0, np.int64)
    view = np.ascontiguousarray(digests).view(np.dtype((np.void, digests.shape[1]))).ravel()
    _, first, inverse, counts = np.unique(view, return_index=True, return_inverse=True, return_counts=True)
    group_of = np.full(n, -1, np.int64)
    dup = np.flatnonzero(counts >= 2)
    groups = []
    order = np.argsort(inverse, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    for u in dup[np.argsort(first[dup])]:
        members = np.sort(order[starts[u] : starts[u] + counts[u]])
        group_of[members] = len(groups)
        groups.append(members)
    return groups, group_of, np.sort(first)


def find(fp: Fingerprints, size: int, is_3d: bool, threshold: float = DEFAULT_THRESHOLD) -> Findings:
    """Pass 2: every finding, from fingerprints only."""
    groups, group_of, representatives = exact_groups(fp.digests)
    constant = np.flatnonzero(fp.minimum == fp.maximum)
    spread = fp.maximum.astype(np.int16) - fp.minimum
    nearly_blank = np.flatnonzero(((fp.mode_fraction >= BLANK_FRACTION) | (spread <= BLANK_RANGE)) & (spread > 0))
    shaped = representatives[fp.minimum[representatives] != fp.maximum[representatives]]
    pairs: list[NearPair] = []
    if len(shaped) >= 2:
        index = NearIndex(fp.coefs[shaped], size, is_3d, threshold)
        for p in index.search():
            pairs.append(NearPair(int(shaped[p.a]), int(shaped[p.b]), p.similarity, p.shift))
    return Findings(groups, pairs, group_of, constant, nearly_blank, threshold)


def members(findings: Findings, i: int) -> np.ndarray:
    """Sample ``i`` and its exact copies."""
    g = findings.group_of[i]
    return findings.exact_groups[g] if g >= 0 else np.array([i])
