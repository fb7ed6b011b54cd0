"""The ``datasets`` builder: configs, exact data from real and synthetic files, cache identity, streaming."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest
from hf_helpers import SYNTHETIC_SPLITS, assert_matches_official, official_arrays
from support.real_data import SHARED_DATA, real_file_or_skip, require

from medmnist_hub.catalog import config_names, get_subset
from medmnist_hub.errors import FormatError, OfflineError
from medmnist_hub.hf_builders import MedMNIST, load_medmnist, multi_hot
from medmnist_hub.hf_builders import builder as builder_mod
from medmnist_hub.synthetic import write_synthetic


def test_one_config_per_official_file():
    names = [c.name for c in MedMNIST.BUILDER_CONFIGS]
    assert names == config_names() and len(names) == 60
    assert MedMNIST.builder_configs["organmnist3d_64"].subset.key == "organmnist3d"
    assert MedMNIST.builder_configs["organmnist3d_64"].size == 64
    with pytest.raises(ValueError, match="Config name is missing"):
        MedMNIST()
    with pytest.raises(ValueError, match="not found"):
        MedMNIST(config_name="bloodmnist_32")


@pytest.mark.parametrize("config", ["breastmnist", "retinamnist", "vesselmnist3d"])
def test_real_files_through_the_builder(config, tmp_path):
    path = real_file_or_skip(config)
    ds = load_medmnist(config, source_dirs=[SHARED_DATA], cache_dir=tmp_path)
    assert_matches_official(ds, config, official_arrays(path))
    subset = get_subset(config)
    info = ds["train"].info
    assert info.license == subset.license_id and "yang2023medmnistv2" in info.citation
    assert ds["train"].info.dataset_name == "medmnist"
    single = load_medmnist(config, "val", source_dirs=[SHARED_DATA], cache_dir=tmp_path)
    assert single.split == "validation" and single["id"][:2] == ["val-000000", "val-000001"]


def test_uint8_gotcha_is_real_and_dtype_fixes_it(tmp_path):
    path = real_file_or_skip("adrenalmnist3d")
    ds = load_medmnist("adrenalmnist3d", "test", source_dirs=[SHARED_DATA], cache_dir=tmp_path)
    assert ds.with_format("numpy")[:4]["image"].dtype == np.int64  # the upcast users trip over
    x = ds.with_format("numpy", dtype=np.uint8)[:]["image"]
    assert x.dtype == np.uint8 and np.array_equal(x, official_arrays(path)["test_images"])
    torch = require("torch")

    t = ds.with_format("torch", dtype=torch.uint8)[:4]
    assert t["image"].dtype == torch.uint8 and tuple(t["image"].shape) == (4, 28, 28, 28)
    assert t["label"].dtype == torch.uint8  # dtype= reaches the labels too (documented: .long() them)
    # PNG images need no dtype: PIL hands out uint8, labels stay int64
    flat = load_medmnist("breastmnist", "test", source_dirs=[SHARED_DATA], cache_dir=tmp_path).with_format("torch")[:4]
    assert flat["image"].dtype == torch.uint8 and tuple(flat["image"].shape) == (4, 1, 28, 28)
    assert flat["label"].dtype == torch.int64


def test_npz_path_uses_that_file_and_keys_the_cache_by_content(tmp_path):
    npz = write_synthetic(tmp_path / "npz", "chestmnist", 64, {"train": 7, "val": 2, "test": 3}, seed=1)
    ds = load_medmnist("chestmnist_64", npz_path=npz, cache_dir=tmp_path / "cache")
    official = official_arrays(npz)
    assert_matches_official(ds, "chestmnist_64", official)
    assert ds["train"].features["label"].feature.names == list(get_subset("chestmnist").label_names)
    assert np.array_equal(multi_hot(ds["test"]), official["test_labels"])

    # same file again: served from the cache (no regeneration)
    b = MedMNIST(config_name="chestmnist_64", npz_path=npz, cache_dir=str(tmp_path / "cache"))
    arrow_files = sorted((tmp_path / "cache").rglob("*.arrow"))
    stamps = [f.stat().st_mtime_ns for f in arrow_files]
    b.download_and_prepare()
    assert [f.stat().st_mtime_ns for f in sorted((tmp_path / "cache").rglob("*.arrow"))] == stamps

    # new content at the same path: a new cache entry, never the stale one
    write_synthetic(tmp_path / "npz", "chestmnist", 64, {"train": 4, "val": 2, "test": 3}, seed=2)
    b2 = MedMNIST(config_name="chestmnist_64", npz_path=npz, cache_dir=str(tmp_path / "cache"))
    assert b2.cache_dir != b.cache_dir
    fresh = load_medmnist("chestmnist_64", npz_path=npz, cache_dir=tmp_path / "cache")
    assert len(fresh["train"]) == 4
    assert_matches_official(fresh, "chestmnist_64", official_arrays(npz))
    # and it differs from the official-file config's cache entry
    assert MedMNIST(config_name="chestmnist_64", cache_dir=str(tmp_path / "cache")).cache_dir not in (b.cache_dir, b2.cache_dir)


def test_num_proc_shards_keep_the_official_order(tmp_path, monkeypatch):
    npz = write_synthetic(tmp_path / "npz", "pneumoniamnist", 28, {"train": 50, "val": 11, "test": 9}, seed=4)
    monkeypatch.setattr(builder_mod, "SHARD_RAW_BYTES", 10 * 28 * 28)  # 10-row generation shards
    ds = load_medmnist("pneumoniamnist", npz_path=npz, cache_dir=tmp_path / "cache", num_proc=2)
    assert_matches_official(ds, "pneumoniamnist", official_arrays(npz))


def test_streaming_straight_from_the_npz(tmp_path):
    npz = write_synthetic(tmp_path / "npz", "organmnist3d", 28, SYNTHETIC_SPLITS, seed=5)
    b = MedMNIST(config_name="organmnist3d", npz_path=npz, cache_dir=str(tmp_path / "cache"))
    rows = list(b.as_streaming_dataset(split="test"))
    official = official_arrays(npz)
    assert [r["id"] for r in rows] == [f"test-{i:06d}" for i in range(4)]
    assert np.array_equal(np.stack([np.asarray(r["image"], dtype=np.uint8) for r in rows]), official["test_images"])
    assert [r["label"] for r in rows] == official["test_labels"][:, 0].tolist()


def test_load_medmnist_maps_val_inside_slices(tmp_path):
    npz = write_synthetic(tmp_path / "npz", "breastmnist", 28, {"train": 6, "val": 5, "test": 4}, seed=3)
    official = official_arrays(npz)
    head = load_medmnist("breastmnist", "val[:3]", npz_path=npz, cache_dir=tmp_path / "cache")
    assert head["id"] == ["val-000000", "val-000001", "val-000002"]
    assert np.array_equal(np.stack([np.asarray(im) for im in head["image"]]), official["val_images"][:3])
    both = load_medmnist("breastmnist", "train[:2]+val[-1:]", npz_path=npz, cache_dir=tmp_path / "cache")
    assert both["id"] == ["train-000000", "train-000001", "val-000004"]


def test_builder_and_export_write_the_same_image_bytes(tmp_path):
    from medmnist_hub.hf_builders.export import export_hub_repo

    npz = write_synthetic(tmp_path / "npz", "dermamnist", 28, SYNTHETIC_SPLITS, seed=6)
    ds = load_medmnist("dermamnist", "train", npz_path=npz, cache_dir=tmp_path / "cache")
    export_hub_repo(tmp_path / "repo", ["dermamnist"], npz_paths={"dermamnist": npz}, progress=False)
    exported = pq.read_table(next((tmp_path / "repo" / "data" / "dermamnist").glob("train-*.parquet")))
    built = ds.with_format("arrow")[:]
    assert exported.column("image").to_pylist() == built.column("image").to_pylist()
    assert exported.column("id").to_pylist() == built.column("id").to_pylist()


def test_errors_name_the_file(tmp_path):
    with pytest.raises(OfflineError, match="bloodmnist_128.npz"):
        load_medmnist("bloodmnist_128", cache_dir=tmp_path / "cache")  # tests run offline, file absent
    with pytest.raises(FileNotFoundError, match="nowhere.npz"):
        MedMNIST(config_name="bloodmnist", npz_path=tmp_path / "nowhere.npz", cache_dir=str(tmp_path))
    wrong = write_synthetic(tmp_path / "npz", "bloodmnist", 64, SYNTHETIC_SPLITS)  # a 64 px file ...
    with pytest.raises(FormatError, match=r"bloodmnist_64\.npz.*shape"):
        load_medmnist("bloodmnist", npz_path=wrong, cache_dir=tmp_path / "cache")  # ... for the 28 px config
    assert not list((tmp_path / "cache").rglob("*.arrow"))


def test_decode_images_gives_the_official_arrays(tmp_path):
    torch = require("torch")

    from medmnist_hub.hf_builders import decode_images

    for config, subset_key, size in (("retinamnist_64", "retinamnist", 64), ("octmnist", "octmnist", 28)):
        npz = write_synthetic(tmp_path / "npz", subset_key, size, SYNTHETIC_SPLITS, seed=8)
        ds = decode_images(load_medmnist(config, npz_path=npz, cache_dir=tmp_path / "cache"))
        official = official_arrays(npz)
        x = ds["train"].with_format("torch", dtype=torch.uint8)[:]["image"]
        assert x.dtype == torch.uint8 and np.array_equal(x.numpy(), official["train_images"])
        assert ds["test"]["id"][:] == [f"test-{i:06d}" for i in range(4)]
    vol = load_medmnist("organmnist3d", "train", npz_path=write_synthetic(tmp_path / "npz", "organmnist3d", 28,
                                                                         SYNTHETIC_SPLITS), cache_dir=tmp_path / "cache")
    assert decode_images(vol) is vol  # 3D: already arrays
