"""The Hub repo export: exact round trips through ``load_dataset``, layout, determinism, increments."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import datasets
import numpy as np
import pyarrow.parquet as pq
import pytest
from hf_helpers import SYNTHETIC_SPLITS, assert_matches_official, official_arrays
from support.real_data import REAL_CONFIGS, real_file_or_skip

from medmnist_hub.catalog import config_names, parse_config_name
from medmnist_hub.errors import FormatError
from medmnist_hub.examples import encode_hf_image
from medmnist_hub.hf_builders import encoding, export_shards
from medmnist_hub.hf_builders import export as export_mod
from medmnist_hub.hf_builders.export import ExportError, export_hub_repo, select_configs
from medmnist_hub.hf_builders.export_manifest import MANIFEST_NAME
from medmnist_hub.hf_builders.export_shards import layout_for
from medmnist_hub.hf_builders.export_swap import PREVIOUS_DIR, STAGING_DIR
from medmnist_hub.synthetic import write_synthetic


def _tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# -- acceptance: exact round trips ------------------------------------------------------------
@pytest.mark.parametrize("config", config_names())
def test_every_config_round_trips_on_synthetic_files(config, synthetic_export, synthetic_dir, tmp_path):
    ds = datasets.load_dataset(str(synthetic_export), config, cache_dir=str(tmp_path / "cache"))
    official = official_arrays(synthetic_dir / f"{config}.npz")
    assert_matches_official(ds, config, official)
    subset, size = parse_config_name(config)
    assert {k: len(v) for k, v in ds.items()} == {"train": 5, "validation": 3, "test": 4}
    assert ds["train"].features["image"] == (
        datasets.Array3D(shape=(size,) * 3, dtype="uint8") if subset.is_3d else datasets.Image()
    )


@pytest.mark.parametrize("config", [c for c, _, _ in REAL_CONFIGS])
def test_real_files_round_trip_exactly(config, real_export, tmp_path):
    path = real_file_or_skip(config)
    ds = datasets.load_dataset(str(real_export), config, cache_dir=str(tmp_path / "cache"))
    assert_matches_official(ds, config, official_arrays(path))
    manifest = json.loads((real_export / MANIFEST_NAME).read_text())
    subset, size = parse_config_name(config)
    assert manifest["configs"][config]["source"] == {
        "file": f"{config}.npz", "identity": f"md5:{subset.file(size).md5}", "verified": True
    }


def test_literal_load_dataset_medmnist_from_a_folder_in_the_cwd(real_export, tmp_path):
    """``load_dataset("medmnist", cfg)`` resolves ./medmnist; HF_HOME is a fresh temp folder."""
    path = real_file_or_skip("breastmnist")
    work = tmp_path / "work"
    shutil.copytree(real_export, work / "medmnist")
    hf_home = tmp_path / "hf-home"
    code = f"""
import numpy as np
from datasets import load_dataset
ds = load_dataset("medmnist", "breastmnist")
with np.load({str(path)!r}, allow_pickle=False) as z:
    for split, hf in (("train", "train"), ("val", "validation"), ("test", "test")):
        x = np.stack([np.asarray(im) for im in ds[hf]["image"]])
        assert np.array_equal(x, z[split + "_images"]), split
        assert np.array_equal(np.asarray(ds[hf]["label"][:]), z[split + "_labels"][:, 0]), split
        assert ds[hf][7]["id"] == f"{{split}}-000007"
print("OK", ds["train"].features["label"].names, ds["train"].cache_files[0]["filename"])
"""
    env = {**os.environ, "HF_HOME": str(hf_home), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, "-c", code], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "OK ['malignant', 'normal, benign']" in proc.stdout
    assert str(hf_home) in proc.stdout  # built into the temporary HF_HOME, not a stale cache


def test_streaming_from_the_export_matches_the_official_order(real_export, synthetic_export, synthetic_dir):
    official = official_arrays(synthetic_dir / "chestmnist.npz")
    stream = datasets.load_dataset(str(synthetic_export), "chestmnist", split="validation", streaming=True)
    rows = list(stream)
    assert [r["id"] for r in rows] == [f"val-{i:06d}" for i in range(SYNTHETIC_SPLITS["val"])]
    assert np.array_equal(np.stack([np.asarray(r["image"]) for r in rows]), official["val_images"])
    hot = np.array([np.bincount(r["label"], minlength=14) for r in rows], dtype=np.uint8)
    assert np.array_equal(hot, official["val_labels"])


# -- layout ---------------------------------------------------------------------------------
def test_shards_and_row_groups_follow_the_layout(tmp_path):
    src = write_synthetic(tmp_path / "npz", "pathmnist", 64, {"train": 300, "val": 20, "test": 10}, seed=3)
    out = tmp_path / "repo"
    shard_bytes, group_bytes = 100 * 64 * 64 * 3, 30 * 64 * 64 * 3  # 100-row shards of 64-row groups
    export_hub_repo(out, ["pathmnist_64"], npz_paths={"pathmnist_64": src}, max_shard_bytes=shard_bytes,
                    row_group_bytes=group_bytes, progress=False)
    group, shard = layout_for(parse_config_name("pathmnist_64")[0], 64, shard_bytes, group_bytes)
    assert (group, shard) == (64, 64)  # at least MIN_ROW_GROUP_ROWS, and whole groups per shard
    files = sorted((out / "data" / "pathmnist_64").glob("train-*.parquet"))
    assert [f.name for f in files] == [f"train-{i:05d}-of-00005.parquet" for i in range(5)]
    counts = [pq.ParquetFile(f).metadata.num_rows for f in files]
    assert counts == [64, 64, 64, 64, 44]
    md = pq.ParquetFile(files[0]).metadata
    assert md.num_row_groups == 1 and md.row_group(0).num_rows == 64
    assert b"huggingface" in pq.ParquetFile(files[0]).schema_arrow.metadata
    ds = datasets.load_dataset(str(out), "pathmnist_64", split="train", cache_dir=str(tmp_path / "c"))
    assert ds["id"][:] == [f"train-{i:06d}" for i in range(300)]
    official = official_arrays(src)
    assert np.array_equal(np.stack([np.asarray(im) for im in ds["image"]]), official["train_images"])


def test_small_encoding_blocks_are_regrouped_into_whole_row_groups(tmp_path, monkeypatch):
    # PNG bytes at 64 px, netpbm (examples.encode_hf_image) at 28 px: both must not depend on num_proc
    sources = {
        "pathmnist_64": write_synthetic(tmp_path / "npz", "pathmnist", 64, {"train": 300, "val": 20, "test": 10},
                                        seed=3),
        "bloodmnist": write_synthetic(tmp_path / "npz", "bloodmnist", 28, {"train": 200, "val": 20, "test": 10},
                                      seed=4),
    }
    configs = list(sources)
    kwargs = dict(npz_paths=sources, max_shard_bytes=100 * 64 * 64 * 3, row_group_bytes=30 * 64 * 64 * 3,
                  progress=False)
    export_hub_repo(tmp_path / "one", configs, num_proc=1, **kwargs)
    monkeypatch.setattr(export_mod, "POOL_MIN_BYTES", 0)
    # 7-row tasks for pathmnist_64's 64-row groups; 36-row tasks for bloodmnist's 156-row groups
    monkeypatch.setattr(export_shards, "ENCODE_BLOCK_BYTES", 7 * 64 * 64 * 3)
    export_hub_repo(tmp_path / "two", configs, num_proc=2, **kwargs)
    assert _tree_digest(tmp_path / "one") == _tree_digest(tmp_path / "two")
    first = pq.ParquetFile(tmp_path / "two" / "data" / "pathmnist_64" / "train-00000-of-00005.parquet").metadata
    assert first.num_row_groups == 1 and first.row_group(0).num_rows == 64
    blood = pq.ParquetFile(tmp_path / "two" / "data" / "bloodmnist" / "train-00000-of-00001.parquet")
    assert [blood.metadata.row_group(i).num_rows for i in range(blood.metadata.num_row_groups)] == [156, 44]
    stored = blood.read(columns=["image"]).column("image").to_pylist()
    assert {item["bytes"][:2] for item in stored} == {b"P6"}
    official = official_arrays(sources["bloodmnist"])["train_images"]
    assert [item["bytes"] for item in stored] == [encode_hf_image(image) for image in official]


def test_default_layout_gives_hub_sized_row_groups_for_large_images():
    from medmnist_hub.catalog import get_subset

    assert layout_for(get_subset("pathmnist"), 224, 500 * 10**6, 32 << 20)[0] == 222
    assert layout_for(get_subset("organmnist3d"), 64, 500 * 10**6, 32 << 20)[0] == 128
    assert layout_for(get_subset("pathmnist"), 28, 500 * 10**6, 32 << 20)[0] == 4096
    group, shard = layout_for(get_subset("pathmnist"), 224, 500 * 10**6, 32 << 20)
    assert shard * 224 * 224 * 3 <= 500 * 10**6 and shard % group == 0


# -- determinism and increments ---------------------------------------------------------------------
def test_same_inputs_give_byte_identical_repos_whatever_num_proc(synthetic_dir, tmp_path, monkeypatch):
    configs = ["chestmnist", "dermamnist_64", "nodulemnist3d"]
    export_hub_repo(tmp_path / "a", configs, npz_dir=synthetic_dir, num_proc=1, progress=False)
    monkeypatch.setattr(export_mod, "POOL_MIN_BYTES", 0)  # use the worker pool even for tiny files
    calls = []
    real_pool = export_mod.ProcessPoolExecutor
    monkeypatch.setattr(export_mod, "ProcessPoolExecutor", lambda *a, **k: calls.append(k) or real_pool(*a, **k))
    export_hub_repo(tmp_path / "b", configs, npz_dir=synthetic_dir, num_proc=2, progress=False)
    assert len(calls) == 1 and calls[0]["max_workers"] == 2
    a, b = _tree_digest(tmp_path / "a"), _tree_digest(tmp_path / "b")
    assert a == b
    assert any(name.endswith(".parquet") for name in a) and "README.md" in a and "images/chestmnist.png" in a


def test_rerun_is_incremental_and_keeps_other_configs(synthetic_dir, tmp_path):
    out = tmp_path / "repo"
    first = export_hub_repo(out, ["breastmnist"], npz_dir=synthetic_dir, progress=False)
    assert first.written == ["breastmnist"]
    before = _tree_digest(out)
    mtimes = {p: p.stat().st_mtime_ns for p in (out / "data").rglob("*.parquet")}

    again = export_hub_repo(out, ["breastmnist"], npz_dir=synthetic_dir, progress=False)
    assert again.written == [] and again.skipped == ["breastmnist"]
    assert {p: p.stat().st_mtime_ns for p in (out / "data").rglob("*.parquet")} == mtimes
    assert _tree_digest(out) == before

    more = export_hub_repo(out, ["organmnist3d"], npz_dir=synthetic_dir, progress=False)
    assert more.written == ["organmnist3d"]
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert sorted(manifest["configs"]) == ["breastmnist", "organmnist3d"]
    card = (out / "README.md").read_text()
    assert "config_name: breastmnist" in card and "config_name: organmnist3d" in card

    # a damaged shard and a changed source are both noticed
    victim = next((out / "data" / "breastmnist").glob("test-*.parquet"))
    victim.write_bytes(victim.read_bytes()[:100])
    changed = write_synthetic(tmp_path / "changed", "organmnist3d", 28, SYNTHETIC_SPLITS, seed=99)
    fixed = export_hub_repo(out, ["breastmnist", "organmnist3d"], npz_paths={"organmnist3d": changed},
                            npz_dir=synthetic_dir, progress=False)
    assert fixed.written == ["breastmnist", "organmnist3d"]
    assert _tree_digest(out)[str(victim.relative_to(out))] == before[str(victim.relative_to(out))]


def test_an_interrupted_export_leaves_the_previous_one_intact(synthetic_dir, tmp_path, monkeypatch):
    out = tmp_path / "repo"
    export_hub_repo(out, ["bloodmnist"], npz_dir=synthetic_dir, progress=False)
    before = _tree_digest(out)
    calls = {"n": 0}
    real = encoding.record_batch

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("simulated interruption")
        return real(*args, **kwargs)

    monkeypatch.setattr(encoding, "record_batch", failing)
    with pytest.raises(KeyboardInterrupt):
        export_hub_repo(out, ["bloodmnist"], npz_dir=synthetic_dir, force=True, progress=False)
    assert _tree_digest(out) == before
    assert not (out / STAGING_DIR).exists()


# Runs an export that dies (os._exit: no except/finally runs) at a chosen point of the swap.
CRASHING_EXPORT = """
import os, sys
from pathlib import Path
from medmnist_hub.hf_builders import export as export_mod

point, out, source = sys.argv[1:4]
real_replace, real_write_manifest = os.replace, export_mod.write_manifest

def replace(src, dst):
    renaming_staging_into_data = Path(src).parent.name == export_mod.STAGING_DIR and Path(dst).parent.name == "data"
    if point == "between-renames" and renaming_staging_into_data:
        os._exit(17)
    return real_replace(src, dst)

def write_manifest(out_dir, manifest):
    if point == "before-manifest":
        os._exit(17)
    real_write_manifest(out_dir, manifest)
    if point == "before-discard":
        os._exit(17)

export_mod.os.replace = replace
export_mod.write_manifest = write_manifest
export_mod.export_hub_repo(out, ["breastmnist"], npz_paths={"breastmnist": source}, force=True, progress=False)
"""


@pytest.mark.parametrize("crash_point", ["between-renames", "before-manifest", "before-discard"])
def test_a_crash_during_the_swap_is_repaired_by_the_next_run(crash_point, synthetic_dir, tmp_path):
    out = tmp_path / "repo"
    export_hub_repo(out, ["breastmnist"], npz_dir=synthetic_dir, progress=False)
    before = _tree_digest(out)
    # a new source with another train size, so its shards differ from the exported ones
    changed = write_synthetic(tmp_path / "changed", "breastmnist", 28, {**SYNTHETIC_SPLITS, "train": 9}, seed=99)
    proc = subprocess.run([sys.executable, "-c", CRASHING_EXPORT, crash_point, str(out), str(changed)],
                          capture_output=True, text=True)
    assert proc.returncode == 17, proc.stderr[-3000:]
    assert (out / PREVIOUS_DIR / "breastmnist").is_dir()  # the previous export, parked outside the staging folder
    assert (out / "data" / "breastmnist").exists() == (crash_point != "between-renames")

    if crash_point == "before-discard":
        # the new export was complete and recorded: the next run keeps it and drops the parked copy
        again = export_hub_repo(out, ["breastmnist"], npz_paths={"breastmnist": changed}, progress=False)
        expected = official_arrays(changed)
    else:
        # the manifest still describes the previous export: the next run restores it, and it is up to date
        again = export_hub_repo(out, ["breastmnist"], npz_dir=synthetic_dir, progress=False)
        assert _tree_digest(out) == before
        expected = official_arrays(synthetic_dir / "breastmnist.npz")
    assert again.skipped == ["breastmnist"] and again.written == []
    assert not (out / PREVIOUS_DIR).exists() and not (out / STAGING_DIR).exists()
    ds = datasets.load_dataset(str(out), "breastmnist", cache_dir=str(tmp_path / "cache"))
    assert_matches_official(ds, "breastmnist", expected)


def test_bad_source_files_are_refused_with_the_file_named(tmp_path):
    bad = tmp_path / "npz" / "breastmnist.npz"
    bad.parent.mkdir()
    arrays = {f"{s}_{k}": np.zeros((2, 28, 27) if k == "images" else (2, 1), np.uint8)
              for s in ("train", "val", "test") for k in ("images", "labels")}
    np.savez(bad, **arrays)
    with pytest.raises(FormatError, match=r"breastmnist\.npz.*train_images.*shape"):
        export_hub_repo(tmp_path / "repo", ["breastmnist"], npz_dir=bad.parent, progress=False)
    assert not (tmp_path / "repo" / "data").exists()


def test_selection_rules():
    assert len(select_configs()) == 60
    assert select_configs(["organmnist3d"], [28, 128]) == ["organmnist3d"]
    assert select_configs(None, [224]) == [c for c in config_names() if c.endswith("_224")]
    with pytest.raises(ExportError, match="organmnist3d has none of the sizes"):
        select_configs(["organmnist3d"], [128])
    with pytest.raises(KeyError, match="unknown MedMNIST subset"):
        select_configs(["nosuchmnist"])


def test_missing_official_file_offline_fails_clearly(tmp_path, isolated_cache):
    from medmnist_hub.errors import OfflineError

    with pytest.raises(OfflineError, match="bloodmnist_64.npz"):
        export_hub_repo(tmp_path / "repo", ["bloodmnist_64"], offline=True, progress=False)


# -- CLI ------------------------------------------------------------------------------------
def test_cli_export_hf(synthetic_dir, tmp_path, capsys):
    from medmnist_hub.cli import main

    out = tmp_path / "repo"
    rc = main(["export-hf", str(out), "--subsets", "retinamnist", "adrenalmnist3d", "--sizes", "28",
               "--npz-dir", str(synthetic_dir), "--num-proc", "1", "--no-progress", "--repo-id", "acme/medmnist"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "exported 2 config(s)" in text and "wrote   retinamnist" in text
    assert 'load_dataset("acme/medmnist", "retinamnist")' in (out / "README.md").read_text()
    rc = main(["export-hf", str(out), "--subsets", "adrenalmnist3d", "--sizes", "128", "--no-progress"])
    assert rc == 2
    assert "adrenalmnist3d has none of the sizes" in capsys.readouterr().err


def test_cli_help_does_not_import_heavy_libraries():
    code = ("import sys; from medmnist_hub.cli import build_parser; build_parser(); "
            "print(sorted(m for m in ('datasets', 'pyarrow', 'torch', 'tensorflow', 'PIL') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"
    proc = subprocess.run([sys.executable, "-m", "medmnist_hub", "export-hf", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "--num-proc" in proc.stdout and "--npz-dir" in proc.stdout


def test_a_config_whose_files_vanished_is_dropped_from_the_card(synthetic_dir, tmp_path):
    out = tmp_path / "repo"
    export_hub_repo(out, ["breastmnist", "bloodmnist"], npz_dir=synthetic_dir, progress=False)
    shutil.rmtree(out / "data" / "bloodmnist")
    result = export_hub_repo(out, ["breastmnist"], npz_dir=synthetic_dir, progress=False)
    assert result.dropped == ["bloodmnist"] and result.skipped == ["breastmnist"]
    card = (out / "README.md").read_text()
    assert "config_name: bloodmnist" not in card and "config_name: breastmnist" in card
    assert not (out / "images" / "bloodmnist.png").exists()


def test_cli_unknown_subset_is_a_clean_error(tmp_path, capsys):
    from medmnist_hub.cli import main

    assert main(["export-hf", str(tmp_path / "repo"), "--subsets", "nosuchmnist", "--no-progress"]) == 2
    assert "unknown MedMNIST subset 'nosuchmnist'" in capsys.readouterr().err
