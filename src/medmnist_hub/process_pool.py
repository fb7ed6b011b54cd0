"""How the package's worker pools start (the export's encoders, the audit's descriptors)."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
from collections.abc import Iterator

#: The thread-count variables of the BLAS and OpenMP runtimes numpy may load; each reads its
#: variable once, when the library loads in a fresh (spawned) worker.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def pool_context():
    """``spawn`` (safe beside torch/TensorFlow threads); ``fork`` only when spawn cannot
    re-import ``__main__`` (a script read from stdin)."""
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if main_file and not os.path.exists(main_file):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


@contextlib.contextmanager
def one_thread_per_worker() -> Iterator[None]:
    """Workers started inside this block run their BLAS/OpenMP on one thread.

    A pool already puts one process on each core; a BLAS that also starts a thread per core in
    every worker oversubscribes them (OpenBLAS threads spin while they wait): on 2 cores the
    audit's 2 workers were slower than 1 process until each got one thread. A variable the user
    has set is left alone; the ones set here are removed again at the end of the block (the
    pool starts its workers lazily, on the first submissions, so the block spans the pool's use).
    """
    added = [name for name in THREAD_VARIABLES if name not in os.environ]
    for name in added:
        os.environ[name] = "1"
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)
