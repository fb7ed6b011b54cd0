"""Beam generation (the path for the 224 px configs on a cluster), run locally with the DirectRunner.

apache-beam cannot live in the project's environment (it requires pillow<13, protobuf<7
and pyarrow<26, all pinned higher in constraints.txt), so it has its own virtual
environment, ``.venv-beam`` (``make beam-venv``; or point ``MEDMNIST_HUB_BEAM_PYTHON`` at a
Python with apache-beam, tensorflow-datasets and this package).  The test runs there, in a
subprocess: it builds a real file and a synthetic 224 px file through Beam, split into
many row-range work items, and checks every example against the file.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from support.real_data import in_ci, real_file_or_skip
from tfds_helpers import run_python

from medmnist_hub.synthetic import write_synthetic

REPO = Path(__file__).resolve().parents[2]


def beam_python() -> str:
    candidate = os.environ.get("MEDMNIST_HUB_BEAM_PYTHON") or str(REPO / ".venv-beam" / "bin" / "python")
    ok = Path(candidate).is_file() and (
        subprocess.run(
            [candidate, "-c", "import apache_beam, tensorflow_datasets, medmnist_hub"], capture_output=True, check=False
        ).returncode
        == 0
    )
    if not ok:
        message = (
            f"no Python with apache-beam + tensorflow-datasets + medmnist_hub at {candidate} "
            "(create it with `make beam-venv`, or set MEDMNIST_HUB_BEAM_PYTHON)"
        )
        if in_ci():
            pytest.fail(message + "; CI must run the Beam path")
        pytest.skip(message)
    return candidate


CHECK = """
import json, sys
import numpy as np
import medmnist_hub.tfds_builders
import tensorflow_datasets as tfds
from apache_beam.options.pipeline_options import PipelineOptions
from medmnist_hub.catalog import parse_config_name
from medmnist_hub.npz_reader import NpzReader

tfds.disable_progress_bar()
out = {}
for config, kwargs in CASES:
    subset, size = parse_config_name(config)
    builder = tfds.builder(f"medmnist/{config}", data_dir=DATA_DIR, file_format="array_record", beam_rows_per_shard=ROWS, **kwargs)
    # Beam options in the DownloadConfig are what `tfds build --beam_pipeline_options=...` passes.
    options = PipelineOptions(["--runner=DirectRunner", "--direct_num_workers=1"])
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig(beam_options=options))
    assert builder._use_beam is True
    path = kwargs.get("npz_path") or f"{kwargs['source_dirs'][0]}/{subset.file(size).filename}"
    sources = builder.as_data_source()
    counts = {}
    with NpzReader(path) as r:
        for tfds_split, split in (("train", "train"), ("validation", "val"), ("test", "test")):
            records = sources[tfds_split]
            examples = sorted((records[i] for i in range(len(records))), key=lambda e: e["id"])
            images = np.stack([e["image"] for e in examples])
            if not subset.is_3d and subset.channels == 1:
                images = images[..., 0]
            labels = np.array([int(e["label"]) for e in examples]).reshape(-1, 1)
            assert [e["id"].decode() for e in examples] == [f"{split}-{i:06d}" for i in range(len(examples))]
            assert np.array_equal(images, r.read(f"{split}_images")), (config, split)
            assert np.array_equal(labels, r.read(f"{split}_labels")), (config, split)
            counts[tfds_split] = len(examples)
    out[config] = counts
print("RESULT", json.dumps(out))
print("BEAM_USED", "apache_beam.runners" in sys.modules)
print("TF_LOADED", "tensorflow" in sys.modules)
"""


def test_beam_direct_runner_builds_exactly_the_file(tmp_path):
    python = beam_python()
    breast = real_file_or_skip("breastmnist")
    big = write_synthetic(tmp_path / "synthetic", "pathmnist", 224, split_sizes={"train": 11, "val": 3, "test": 4})
    cases = [
        ("breastmnist", {"source_dirs": [str(breast.parent)]}),
        ("pathmnist_224", {"npz_path": str(big)}),
    ]
    code = f"CASES = {cases!r}\nDATA_DIR = {str(tmp_path / 'tfds')!r}\nROWS = 97\n" + CHECK
    proc = run_python(code, python=python, timeout=400)
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = json.loads(proc.stdout.split("RESULT", 1)[1].splitlines()[0])
    assert result == {
        "breastmnist": {"train": 546, "validation": 78, "test": 156},
        "pathmnist_224": {"train": 11, "validation": 3, "test": 4},
    }
    assert "BEAM_USED True" in proc.stdout
    assert "TF_LOADED False" in proc.stdout  # the Beam environment has no TensorFlow at all
