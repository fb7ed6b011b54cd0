"""Shared, session-scoped data for the Hugging Face tests.

The expensive things are made once: a tiny synthetic official-format file for each of
the 60 configs, one export of all 60 into one repo folder, and one export of the real
files we have.  Tests then load from those folders, each into its own ``cache_dir``.
"""

from __future__ import annotations

from pathlib import Path

import datasets
import pytest
from hf_helpers import SYNTHETIC_SPLITS
from support.real_data import REAL_CONFIGS, SHARED_DATA

from medmnist_hub.catalog import config_names, parse_config_name
from medmnist_hub.synthetic import write_synthetic

datasets.disable_progress_bars()

@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synthetic-npz")
    for config in config_names():
        subset, size = parse_config_name(config)
        write_synthetic(out, subset.key, size, SYNTHETIC_SPLITS, seed=7)
    return out


@pytest.fixture(scope="session")
def synthetic_export(tmp_path_factory, synthetic_dir) -> Path:
    """One repo folder holding all 60 configs, exported from the synthetic files."""
    from medmnist_hub.hf_builders.export import export_hub_repo

    out = tmp_path_factory.mktemp("export-synthetic")
    result = export_hub_repo(out, config_names(), npz_dir=synthetic_dir, num_proc=1, progress=False)
    assert sorted(result.written) == sorted(config_names())
    return out


@pytest.fixture(scope="session")
def real_export(tmp_path_factory) -> Path:
    """One repo folder holding every real config present in the shared data folder."""
    from medmnist_hub.hf_builders.export import export_hub_repo

    present = [c for c, _, _ in REAL_CONFIGS if (SHARED_DATA / f"{c}.npz").is_file()]
    out = tmp_path_factory.mktemp("export-real")
    if present:
        export_hub_repo(out, present, source_dirs=[SHARED_DATA], num_proc=2, progress=False)
    return out
