"""The start method of every worker pool of the package (the export's encoders, the audit's descriptors)."""

from __future__ import annotations

import multiprocessing
import os
import sys


def pool_context():
    """``spawn`` (safe beside torch/TensorFlow threads); ``fork`` only when spawn cannot
    re-import ``__main__`` (a script read from stdin)."""
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if main_file and not os.path.exists(main_file):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")
