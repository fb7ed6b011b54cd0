"""Fixtures for the TFDS builder tests.

The first thing this file does is import ``medmnist_hub.tfds_builders``, which loads
triton's native library before any test can import TensorFlow: the whole suite runs
in one process, and torch/timm tests that load triton after TensorFlow would
otherwise kill it with SIGSEGV (see ``medmnist_hub.tfds_builders.import_order``).
TensorFlow itself is imported only by the tests that need it (fixture ``tf``).
"""

from __future__ import annotations

import importlib.util

import pytest

if importlib.util.find_spec("tensorflow_datasets") is not None:
    import medmnist_hub.tfds_builders  # noqa: F401  (preload triton; register the builder)

from tfds_helpers import TINY_SPLITS, write_synthetic_set  # noqa: E402


@pytest.fixture(scope="session")
def tf():
    """TensorFlow, imported once (after the triton preload above)."""
    return pytest.importorskip("tensorflow", reason="TensorFlow ([tf] extra) is needed for tfds.load / tf.data")


@pytest.fixture(scope="session")
def tfds():
    mod = pytest.importorskip("tensorflow_datasets", reason="the [tfds] extra is not installed")
    mod.disable_progress_bar()
    return mod


@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory):
    """All 60 configs as synthetic files in the official format, with tiny splits."""
    out = tmp_path_factory.mktemp("synthetic")
    write_synthetic_set(out, split_sizes=TINY_SPLITS)
    return out


@pytest.fixture(scope="session")
def session_data_dir(tmp_path_factory):
    """A TFDS data_dir shared by read-only tests (each config is built once)."""
    return tmp_path_factory.mktemp("tfds-data")
