"""TFDS's own command line (``tfds build``) on the builder we ship, the way a catalog contributor checks it.

Runs in ``.venv-tfds`` (see :mod:`tfds_cli_venv`), with ``PYTHONPATH=src`` because the
shipped builder imports medmnist_hub: ``tfds build src/medmnist_hub/tfds_builders/medmnist
--config breastmnist --manual_dir <official files>`` for both file formats, then every split,
sorted by id, must equal the official arrays and labels.
"""

from __future__ import annotations

import pytest
from support.real_data import real_file_or_skip
from tfds_cli_venv import REPO, assert_built_equals_official, run, tfds_venv

SHIPPED_FOLDER = REPO / "src" / "medmnist_hub" / "tfds_builders" / "medmnist"


@pytest.mark.parametrize("file_format", ["tfrecord", "array_record"])
def test_tfds_build_cli_on_the_shipped_builder(tmp_path, file_format):
    venv = tfds_venv()
    real = real_file_or_skip("breastmnist")
    data_dir = tmp_path / "data"
    proc = run(
        [venv / "bin" / "tfds", "build", SHIPPED_FOLDER, "--config", "breastmnist", "--manual_dir", real.parent,
         "--data_dir", data_dir, "--file_format", file_format],
        PYTHONPATH=str(REPO / "src"),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    builder_dir = data_dir / "medmnist" / "breastmnist" / "3.1.0"
    assert (builder_dir / "dataset_info.json").is_file()
    [result] = assert_built_equals_official(venv, (builder_dir, real, file_format))
    assert result["counts"] == {"train": 546, "validation": 78, "test": 156}
    assert result["label_names"] == ["malignant", "normal, benign"]
