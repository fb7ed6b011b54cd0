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

from tfds_helpers import TINY_SPLITS, require_module, write_synthetic_set  # noqa: E402


@pytest.fixture(scope="session")
def tf():
    """TensorFlow, imported once (after the triton preload above)."""
    return require_module("tensorflow", "TensorFlow ([tf] extra) is needed for tfds.load / tf.data")


@pytest.fixture(scope="session")
def tfds():
    mod = require_module("tensorflow_datasets", "the [tfds] extra is not installed")
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


def pytest_collection_modifyitems(config, items):
    """Deselect ``tf.test.TestCase.test_session``, inherited by ``DatasetBuilderTestCase``: a
    deprecated context manager, not a test, which pytest would otherwise report as a skip
    ("Not a test.") in every run, CI included."""
    inherited = [
        item for item in items
        if item.name == "test_session"
        and getattr(getattr(item, "cls", None), "test_session", None) is not None
        and item.cls.test_session.__module__.startswith("tensorflow.")
    ]
    if inherited:
        config.hook.pytest_deselected(items=inherited)
        items[:] = [item for item in items if item not in inherited]
