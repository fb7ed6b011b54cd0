"""Synthetic fixtures are in exactly the official format, for all 60 configs."""

from __future__ import annotations

import numpy as np
import pytest

from medmnist_hub.catalog import SPLITS, get_subset, iter_files
from medmnist_hub.cli import main
from medmnist_hub.synthetic import DEFAULT_SPLIT_SIZES, write_synthetic
from medmnist_hub.validate import validate_file


@pytest.mark.parametrize("file", list(iter_files()), ids=lambda f: f.config_name)
def test_synthetic_file_is_official_format(tmp_path, file):
    subset = get_subset(file.subset)
    path = write_synthetic(tmp_path, file.subset, file.size)
    assert path.name == file.filename
    summary = validate_file(path, subset, file.size, split_sizes=DEFAULT_SPLIT_SIZES, pixel_stats=False)
    with np.load(path, allow_pickle=False) as z:
        for split in SPLITS:
            images, labels = z[f"{split}_images"], z[f"{split}_labels"]
            assert images.dtype == labels.dtype == np.uint8
            assert images.shape == (DEFAULT_SPLIT_SIZES[split],) + subset.image_shape(file.size)
            assert labels.shape == (DEFAULT_SPLIT_SIZES[split], subset.label_width)
            if subset.is_multilabel:
                assert set(np.unique(labels)) == {0, 1}
            else:
                # every class is present in every split (so AUC is defined per class)
                assert summary.splits[split].label_counts == np.bincount(labels[:, 0], minlength=subset.num_classes).tolist()
                assert min(summary.splits[split].label_counts) >= 1


def test_synth_cli(tmp_path, capsys):
    # plain subset names + --sizes: each subset at each of those sizes it has (3D has no 128/224)
    args = ["--subsets", "chestmnist", "nodulemnist3d", "--sizes", "28", "64", "128", "224", "--rows", "4,2,3"]
    assert main(["synth", str(tmp_path), *args]) == 0
    written = capsys.readouterr().out.split()
    assert len(written) == 4 + 2
    # config names are exactly those files; a plain name alone is its 28 px file
    assert main(["synth", str(tmp_path / "cfg"), "--subsets", "breastmnist", "vesselmnist3d_64", "--rows", "4,2,3"]) == 0
    assert sorted(p.name for p in (tmp_path / "cfg").iterdir()) == ["breastmnist.npz", "vesselmnist3d_64.npz"]
    capsys.readouterr()
    assert main(["validate", "chestmnist", "--size", "128", "--file", str(tmp_path / "chestmnist_128.npz"), "--any-counts"]) == 0
    assert "format checked" in capsys.readouterr().out
