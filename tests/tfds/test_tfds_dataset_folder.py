"""The dataset folder itself: checksums.tsv, dummy_data, TAGS, CITATIONS, README, as TFDS expects them."""

from __future__ import annotations

import re

import numpy as np
import pytest
from support.real_data import REAL_CONFIGS, real_file_or_skip
from tfds_helpers import official_split, require_module

from medmnist_hub import catalog
from medmnist_hub.synthetic import write_synthetic

tfds = require_module("tensorflow_datasets", "the [tfds] extra is not installed")

from medmnist_hub.tfds_builders import Builder, checksums, dummy_data  # noqa: E402

FOLDER = checksums.CHECKSUMS_PATH.parent


def test_checksums_tsv_registers_every_real_file_with_its_measured_size_and_sha256(tmp_path):
    registered = Builder.url_infos  # parsed by TFDS itself
    by_url = {f.url: f for f in catalog.iter_files()}
    assert set(registered) <= set(by_url), "every registered URL is an official one"
    for config, subset, size in REAL_CONFIGS:
        path = real_file_or_skip(config)
        file = catalog.get_subset(subset).file(size)
        assert file.url in registered, f"{config} is measurable here but not in checksums.tsv"
        measured = checksums.measure([path])[file.url]
        assert registered[file.url] == measured  # size and SHA-256
        assert registered[file.url].filename == file.filename


def test_register_refuses_bytes_that_are_not_official(tmp_path):
    fake = write_synthetic(tmp_path, "breastmnist")
    with pytest.raises(ValueError, match="MD5 differs from the official"):
        checksums.register([fake], tmp_path / "checksums.tsv")
    assert not (tmp_path / "checksums.tsv").exists()
    other = tmp_path / "notmedmnist.npz"
    other.write_bytes(b"x")
    with pytest.raises(ValueError, match="not an official MedMNIST file name"):
        checksums.register([other], tmp_path / "checksums.tsv")


def test_register_writes_tfds_format(tmp_path):
    path = real_file_or_skip("breastmnist")
    out = tmp_path / "checksums.tsv"
    checksums.register([path], out)
    line = out.read_text().strip()
    url, size, sha, name = line.split("\t")
    assert (url, int(size), name) == (catalog.get_subset("breastmnist").file().url, path.stat().st_size, path.name)
    assert re.fullmatch(r"[0-9a-f]{64}", sha)


def test_register_never_leaves_a_torn_checksums_file(tmp_path, monkeypatch):
    from etils import epath

    path = real_file_or_skip("breastmnist")
    out = tmp_path / "checksums.tsv"
    checksums.register([path], out)
    good = out.read_bytes()
    real_write_text = epath.Path.write_text

    def dies_half_way(self, data, *args, **kwargs):  # TFDS rewrites the file: die in the middle
        real_write_text(self, data[: len(data) // 3], *args, **kwargs)
        raise KeyboardInterrupt("simulated interruption")

    monkeypatch.setattr(epath.Path, "write_text", dies_half_way)
    extra = tmp_path / "other" / "retinamnist.npz"  # a second official file forces a rewrite
    extra.parent.mkdir()
    extra.symlink_to(real_file_or_skip("retinamnist"))
    with pytest.raises(KeyboardInterrupt):
        checksums.register([extra], out)
    assert out.read_bytes() == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checksums.tsv", "other"]


def test_dummy_data_is_what_the_generator_writes_and_has_the_official_layout(tmp_path):
    from medmnist_hub.npz_reader import NpzReader
    from medmnist_hub.validate import check_layout

    for config in dummy_data.DUMMY_CONFIGS:
        subset, size = catalog.parse_config_name(config)
        committed = dummy_data.DUMMY_DIR / subset.file(size).filename
        fresh = dummy_data.write_dummy_file(config, tmp_path)
        assert committed.read_bytes() == fresh.read_bytes(), f"{committed} is stale: regenerate dummy_data"
        with NpzReader(committed) as r:
            check_layout(r, subset, size, split_sizes=dummy_data.DUMMY_SPLIT_SIZES)
        assert committed.stat().st_size < 16_000
        images, _ = official_split(committed, "train")
        assert len(np.unique(images.reshape(len(images), -1), axis=0)) == len(images)  # distinct examples
    kinds = [catalog.parse_config_name(c) for c in dummy_data.DUMMY_CONFIGS]
    assert any(s.channels == 1 and not s.is_3d for s, _ in kinds) and any(s.channels == 3 for s, _ in kinds)
    assert any(s.is_multilabel for s, _ in kinds) and any(s.is_3d for s, _ in kinds)
    assert {224, 64} <= {size for _, size in kinds}


def test_tags_citations_and_readme():
    metadata = Builder.get_metadata()
    assert set(metadata.tags) <= set(tfds.core.dataset_metadata.valid_tags())
    assert {"content.data-type.image", "content.data-type.3d", "ml.task.image-classification"} <= set(metadata.tags)
    bib = (FOLDER / "CITATIONS.bib").read_text()
    for key in catalog.MEDMNIST_CITATION_KEYS:
        assert f"{{{key}," in bib
    readme = (FOLDER / "README.md").read_text()
    assert "not for clinical use" in readme and "CC BY-NC 4.0" in readme and "CC BY 4.0" in readme
    assert metadata.description == readme


def test_folder_has_the_tfds_layout():
    for name in (
        "medmnist_dataset_builder.py",
        "medmnist_dataset_builder_test.py",
        "README.md",
        "CITATIONS.bib",
        "TAGS.txt",
        "checksums.tsv",
        "dummy_data",
    ):
        assert (FOLDER / name).exists(), name
    assert Builder.code_path.parent == FOLDER
    assert Builder.name == "medmnist"
