"""Cut connections and killed uploads resume; the token is used but never shown or stored.

The model folder here is small but real in format: ``config.json`` and three
safetensors shards (binary, so the server routes them through git-LFS, as the Hub does).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess

import numpy as np
import pytest
from safetensors.numpy import save_file
from support.hub_upload_server import files_containing, start_cli

REPO = "testorg/tiny-model"


@pytest.fixture
def model_dir(tmp_path):
    d = tmp_path / "model"
    d.mkdir()
    (d / "config.json").write_text(json.dumps({"architecture": "resnet18", "num_classes": 2}) + "\n")
    rng = np.random.default_rng(0)
    for i in range(3):
        save_file(
            {"w": rng.standard_normal((64, 1024), dtype=np.float32)}, str(d / f"model-0000{i + 1}-of-00003.safetensors")
        )
    (d / "README.md").write_text("---\nlicense: apache-2.0\nlibrary_name: timm\n---\n# tiny\nNot for clinical use.\n")
    return d


def _oid(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _shards(model_dir):
    return sorted(model_dir.glob("*.safetensors"))


@pytest.mark.network_local
def test_a_cut_connection_is_retried_within_the_run(model_dir, hub_server, run_cli):
    shard = _shards(model_dir)[1]
    hub_server.add_fault("PUT", _oid(shard), cut_after=50_000)  # drop the connection 50 kB into the body
    out = run_cli("publish", "model", "--repo-id", REPO, "--folder", str(model_dir))
    assert out.returncode == 0, out.output
    puts = [r for r in hub_server.requests if r.method == "PUT" and _oid(shard) in r.path]
    assert [r.cut for r in puts] == [True, False] and puts[0].body_bytes == 50_000
    assert hub_server.files("model", REPO)[shard.name] == shard.read_bytes()


@pytest.mark.network_local
def test_a_killed_upload_resumes_without_resending_what_arrived(model_dir, hub_server, run_cli):
    shards = _shards(model_dir)
    stuck = shards[2]
    fault = hub_server.add_fault("PUT", _oid(stuck), hang_after=100_000)
    proc = start_cli(hub_server, run_cli.hf_home, "publish", "model", "--repo-id", REPO, "--folder", str(model_dir))
    try:
        assert fault.started.wait(60), "the upload never reached the third shard"
        # Let the other shards finish, then kill the client in the middle of the third one.
        for _ in range(100):
            if len(hub_server.lfs_objects("model", REPO)) >= 2:
                break
            subprocess.run(["sleep", "0.1"])
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        fault.release.set()
    arrived = hub_server.lfs_objects("model", REPO)
    assert arrived == {_oid(s) for s in shards[:2]}
    assert hub_server.commits("model", REPO) == ["initial commit"]  # nothing committed

    hub_server.clear_requests()
    out = run_cli("publish", "model", "--repo-id", REPO, "--folder", str(model_dir))
    assert out.returncode == 0, out.output
    sent = [r.path.rsplit("/", 1)[1] for r in hub_server.requests if r.method == "PUT"]
    assert sent == [_oid(stuck)]  # only the shard that had not arrived
    files = hub_server.files("model", REPO)
    assert all(files[s.name] == s.read_bytes() for s in shards)
    assert len(hub_server.commits("model", REPO)) == 2


@pytest.mark.network_local
def test_a_commit_whose_answer_was_lost_is_not_repeated(model_dir, hub_server, run_cli):
    hub_server.add_fault("POST", r"/commit/", apply_then_cut=True)
    lost = run_cli("publish", "model", "--repo-id", REPO, "--folder", str(model_dir))
    assert lost.returncode == 2 and "run the same command again to resume" in lost.stderr
    assert len(hub_server.commits("model", REPO)) == 2  # it was applied
    hub_server.clear_requests()
    again = run_cli("publish", "model", "--repo-id", REPO, "--folder", str(model_dir))
    assert again.returncode == 0, again.output
    assert "nothing to upload" in again.stdout
    assert [r for r in hub_server.requests if r.method in ("POST", "PUT")] == []


@pytest.mark.network_local
def test_token_from_standard_places_never_printed_or_stored(model_dir, hub_server, run_cli, tmp_path):
    # No token anywhere: a clear error, and not a single request.
    none = run_cli("publish", "model", "--repo-id", REPO, "--folder", str(model_dir), token=False)
    assert none.returncode == 2 and "no Hugging Face token found: set HF_TOKEN or run `hf auth login`" in none.stderr
    assert hub_server.requests == []

    # The token file `hf auth login` writes (HF_HOME/token), with full debug logging on.
    (run_cli.hf_home / "token").write_text(hub_server.token)
    out = run_cli("-vv", "publish", "model", "--repo-id", REPO, "--folder", str(model_dir), token=False)
    assert out.returncode == 0, out.output
    assert "DEBUG" in out.stderr  # the debug log was on, and (checked by run_cli) holds no token
    writes = [r for r in hub_server.requests if r.method in ("POST", "PUT") and "lfs-objects" not in r.path]
    assert writes and all(r.authorized for r in writes)
    (run_cli.hf_home / "token").unlink()

    # Nowhere on disk: not in the model folder, the client's HF_HOME, nor the uploaded repo (files and history).
    assert files_containing(model_dir, hub_server.token) == []
    assert files_containing(run_cli.hf_home, hub_server.token) == []
    repo = hub_server.repo_dir("model", REPO)
    history = subprocess.run(["git", "-C", str(repo), "log", "-p", "--all"], capture_output=True, text=True).stdout
    assert "config.json" in history and hub_server.token not in history
    assert files_containing(repo / ".git" / "lfs", hub_server.token) == []

    # A wrong token is refused by the server, and the error does not echo it.
    bad = run_cli(
        "publish",
        "model",
        "--repo-id",
        "testorg/other",
        "--folder",
        str(model_dir),
        env_extra={"HF_TOKEN": "hf_wrong_token_abcdef"},
    )
    assert bad.returncode == 2 and "hf_wrong_token_abcdef" not in bad.output
    assert "publishing to" in bad.stderr and "401" in bad.stderr and "Traceback" not in bad.stderr


def test_unreachable_hub_is_a_clear_error(model_dir, run_cli):
    out = run_cli(
        "publish",
        "model",
        "--repo-id",
        REPO,
        "--folder",
        str(model_dir),
        "--dry-run",
        env_extra={"HF_ENDPOINT": "http://127.0.0.1:9"},
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert f"cannot read {REPO} on http://127.0.0.1:9: ConnectError" in out.stderr
