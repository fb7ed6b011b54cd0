"""Helpers shared by the TFDS tests: official arrays, sorting by id, subprocess runs."""

from __future__ import annotations

import importlib
import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from support.real_data import in_ci

from medmnist_hub.catalog import SPLITS, iter_files
from medmnist_hub.npz_reader import NpzReader
from medmnist_hub.synthetic import write_synthetic

#: Tiny synthetic splits: every config builds and reads back in well under a second.
TINY_SPLITS = {"train": 4, "val": 2, "test": 3}
TFDS_SPLIT = {"train": "train", "val": "validation", "test": "test"}


def missing_dependency(message: str):
    """Skip (module-level too) with ``message``, except under ``CI=true``, where every extra is
    installed and a missing dependency is a failure, never a silent skip."""
    if in_ci():
        pytest.fail(f"{message}, but CI=true installs every extra", pytrace=False)
    pytest.skip(message, allow_module_level=True)


def require_module(name: str, reason: str):
    """Import ``name`` for a test module or test; without it skip with ``reason`` (fail under CI=true)."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        missing_dependency(f"{reason}: {name} is not importable ({exc})")


def require_installed(names: tuple[str, ...], reason: str) -> None:
    """Like :func:`require_module`, but only looks the modules up (nothing is imported in this process)."""
    absent = [n for n in names if importlib.util.find_spec(n) is None]
    if absent:
        missing_dependency(f"{reason}: {', '.join(absent)} not installed")


def write_synthetic_set(out: Path, split_sizes=TINY_SPLITS) -> dict[str, Path]:
    return {f.config_name: write_synthetic(out, f.subset, f.size, split_sizes=split_sizes) for f in iter_files()}


def official_split(path: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels of an official split, read with the streaming reader."""
    with NpzReader(path) as r:
        return r.read(f"{split}_images"), r.read(f"{split}_labels")


def official_label_names() -> dict[str, list[str]]:
    """Label names from the official ``medmnist`` package's ``info.py`` (loaded alone, without torch)."""
    spec = importlib.util.find_spec("medmnist")
    if spec is None:
        return {}
    info_path = Path(spec.submodule_search_locations[0]) / "info.py"
    module_spec = importlib.util.spec_from_file_location("_official_medmnist_info", info_path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return {k: [v["label"][str(i)] for i in range(len(v["label"]))] for k, v in module.INFO.items()}


def as_official_arrays(examples: list[dict], subset) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Decoded TFDS examples (any order) -> (images, labels, ids) in official order, official shapes."""
    examples = sorted(examples, key=lambda e: _text(e["id"]))
    ids = [_text(e["id"]) for e in examples]
    images = np.stack([np.asarray(e["image"]) for e in examples])
    if not subset.is_3d and subset.channels == 1:
        assert images.shape[-1] == 1, images.shape
        images = images[..., 0]
    if subset.is_multilabel:
        labels = np.zeros((len(examples), subset.num_classes), dtype=np.uint8)
        for i, e in enumerate(examples):
            labels[i, np.asarray(e["label"], dtype=np.int64)] = 1
    else:
        labels = np.array([int(e["label"]) for e in examples], dtype=np.uint8).reshape(-1, 1)
    return images, labels, ids


def expected_ids(split: str, n: int) -> list[str]:
    return [f"{split}-{i:06d}" for i in range(n)]


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def run_python(code: str, *, python: str = sys.executable, env: dict | None = None, timeout: float = 240):
    """Run ``code`` in a fresh interpreter with this session's (isolated) environment."""
    full_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    return subprocess.run(
        [python, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        check=False,
    )


#: Code for a subprocess in which TensorFlow is not installed, as far as Python can tell:
#: every import finder is wrapped so that ``tensorflow`` (and keras) are never found,
#: and ``importlib.util.find_spec("tensorflow")`` returns None, exactly as without TF.
HIDE_TENSORFLOW = """
import importlib.abc, sys
class _HideTensorFlow(importlib.abc.MetaPathFinder):
    def __init__(self, inner):
        self.inner = inner
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("tensorflow", "keras", "tf_keras"):
            return None
        find = getattr(self.inner, "find_spec", None)
        return find(name, path, target) if find else None
    def invalidate_caches(self):
        inv = getattr(self.inner, "invalidate_caches", None)
        if inv:
            inv()
sys.meta_path[:] = [_HideTensorFlow(f) for f in sys.meta_path]
"""

__all__ = ["SPLITS"]
