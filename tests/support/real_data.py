"""Where the official files shared with this project live, and how tests ask for them.

A test that needs a real file skips with a reason when it is missing, except under
``CI=true``: CI has the files, so their absence there is a failure, not a skip.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(os.environ.get("MEDMNIST_SHARED_DATA", REPO_ROOT.parent / "shared" / "data" / "medmnist"))

#: (config name, subset, size) of every real file the project is given.
REAL_CONFIGS = [
    ("breastmnist", "breastmnist", 28),
    ("pneumoniamnist", "pneumoniamnist", 28),
    ("retinamnist", "retinamnist", 28),
    ("adrenalmnist3d", "adrenalmnist3d", 28),
    ("adrenalmnist3d_64", "adrenalmnist3d", 64),
    ("vesselmnist3d", "vesselmnist3d", 28),
    ("vesselmnist3d_64", "vesselmnist3d", 64),
]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def real_file_or_skip(config: str) -> Path:
    path = SHARED_DATA / f"{config}.npz"
    if not path.is_file():
        message = f"real file {path} is not present"
        if in_ci():
            pytest.fail(f"{message}, but CI=true requires the shared data")
        pytest.skip(message)
    return path


def require(module: str):
    """Import an optional dependency of a test; skip without it, except under CI=true (fail)."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        message = f"{module} is not importable ({exc})"
        if in_ci():
            pytest.fail(f"{message}, but CI=true installs every extra")
        pytest.skip(message, allow_module_level=True)
