"""Reliability: every download fault ends in a verified file or a clear error, never a
corrupt file under the final name in the cache.

Faults are produced by a real HTTP server on 127.0.0.1 (tests/support/http_server.py);
disk-full is a real ENOSPC from a tiny tmpfs mounted in a private mount namespace
(or, where namespaces are unavailable, from /dev/full).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from support.http_server import FileServer
from support.real_data import real_file_or_skip

from medmnist_hub.acquisition import cache_dir, fetch
from medmnist_hub.catalog import get_subset
from medmnist_hub.download import md5sum
from medmnist_hub.errors import ChecksumError, DownloadError

FAST = {"backoff": 0.01, "timeout": 5, "progress": False}
NAME = "breastmnist.npz"
PATH = f"/{NAME}"


@pytest.fixture
def payload():
    return real_file_or_skip("breastmnist").read_bytes()


@pytest.fixture
def server(payload, monkeypatch):
    srv = FileServer(files={PATH: payload}).start()
    monkeypatch.setenv("MEDMNIST_HUB_MIRROR", srv.url)
    monkeypatch.delenv("HF_HUB_OFFLINE")
    yield srv
    srv.stop()


def assert_cache_clean_or_verified(cache: Path) -> None:
    """The invariant: the final name holds the official bytes, or does not exist."""
    final = cache / "files" / NAME
    if final.exists():
        assert md5sum(final) == get_subset("breastmnist").file().md5


@pytest.mark.parametrize("cut_fraction", [0.0, 0.001, 0.25, 0.5, 0.999])
def test_cut_at_offset_then_resume(isolated_cache, server, payload, cut_fraction):
    cut = int(len(payload) * cut_fraction)
    server.add_fault(PATH, cut_after=cut)
    path = fetch("breastmnist", offline=False, **FAST)
    assert path.read_bytes() == payload
    if cut:
        assert server.requests[1].range == f"bytes={cut}-"


def test_repeated_cuts_progress_through_the_file(isolated_cache, server, payload):
    step = len(payload) // 6
    for _ in range(5):
        server.add_fault(PATH, cut_after=step)
    path = fetch("breastmnist", offline=False, retries=6, **FAST)
    assert path.read_bytes() == payload
    assert [r.range for r in server.requests[1:]] == [f"bytes={step * k}-" for k in range(1, 6)]


def test_slow_server_completes(isolated_cache, server, payload):
    server.files[PATH] = payload[:200_000]  # keep the test short
    server.add_fault(PATH, bytes_per_second=400_000)
    with pytest.raises(ChecksumError):  # the truncated stand-in is not the official file...
        fetch("breastmnist", offline=False, **FAST)
    assert_cache_clean_or_verified(isolated_cache)
    server.files[PATH] = payload
    server.add_fault(PATH, bytes_per_second=4_000_000)
    assert fetch("breastmnist", offline=False, **FAST).read_bytes() == payload  # ...the real one, slowly, is accepted


def test_stalled_server_times_out_and_retries(isolated_cache, server, payload):
    server.add_fault(PATH, delay=1.5)
    path = fetch("breastmnist", offline=False, retries=2, backoff=0.01, timeout=0.5, progress=False)
    assert path.read_bytes() == payload
    assert len(server.requests) >= 2


@pytest.mark.parametrize("statuses", [[500], [502, 503, 504], [429, 503, 500, 502]])
def test_5xx_bursts_are_survived(isolated_cache, server, payload, statuses):
    for status in statuses:
        server.add_fault(PATH, status=status)
    assert fetch("breastmnist", offline=False, retries=len(statuses), **FAST).read_bytes() == payload
    assert [r.status for r in server.requests] == statuses + [200]


def test_5xx_burst_longer_than_retries_is_a_clear_error(isolated_cache, server):
    for _ in range(4):
        server.add_fault(PATH, status=502)
    with pytest.raises(DownloadError, match=r"after 3 attempts: HTTP 502"):
        fetch("breastmnist", offline=False, retries=2, **FAST)
    assert_cache_clean_or_verified(isolated_cache)
    assert not (isolated_cache / "files" / NAME).exists()


@pytest.mark.parametrize("kind", ["garbage", "truncated", "one_byte_flipped"])
def test_wrong_bytes_never_reach_the_final_name(isolated_cache, server, payload, kind):
    body = {
        "garbage": os.urandom(len(payload)),
        "truncated": payload[:-10],
        "one_byte_flipped": payload[:1000] + bytes([payload[1000] ^ 1]) + payload[1001:],
    }[kind]
    server.add_fault(PATH, body=body)
    with pytest.raises(ChecksumError, match="expected 750601b1f35ba3300ea97c75c52ff8f6"):
        fetch("breastmnist", offline=False, **FAST)
    leftovers = sorted(p.name for p in (isolated_cache / "files").iterdir() if not p.name.endswith(".lock"))
    assert leftovers == []
    # and the next run starts clean and gets the real file
    assert fetch("breastmnist", offline=False, **FAST).read_bytes() == payload


def test_file_changes_between_attempts_is_restarted_not_spliced(isolated_cache, server, payload):
    old = payload[: len(payload) // 2] + os.urandom(len(payload) - len(payload) // 2)
    server.files[PATH] = old
    server.add_fault(PATH, cut_after=len(payload) // 4, replace_with=payload)  # cut, then the file is replaced
    path = fetch("breastmnist", offline=False, retries=3, **FAST)
    assert path.read_bytes() == payload
    second = server.requests[1]
    assert second.range == f"bytes={len(payload) // 4}-" and second.if_range == f'"{hashlib.md5(old).hexdigest()}"'
    assert second.status == 200  # If-Range no longer matches: the server sent the new file whole
    assert len(server.requests) == 2


def test_resume_of_a_stale_partial_is_caught_by_md5_and_redone(isolated_cache, server, payload):
    files = isolated_cache / "files"
    files.mkdir(parents=True)
    (files / f"{NAME}.incomplete").write_bytes(b"\x00" * 5000)  # left by an old run, no validator known
    (files / f"{NAME}.incomplete.json").write_text(json.dumps({"url": f"{server.url}{PATH}?download=1"}))
    path = fetch("breastmnist", offline=False, **FAST)
    assert path.read_bytes() == payload
    assert server.requests[0].range == "bytes=5000-" and server.requests[-1].range is None


# -- disk full -----------------------------------------------------------------------------
_FETCH_SCRIPT = textwrap.dedent(
    """
    import sys
    from medmnist_hub.acquisition import fetch
    from medmnist_hub.errors import DownloadError
    try:
        fetch("breastmnist", offline=False, backoff=0.01, timeout=5, progress=False)
    except DownloadError as exc:
        print("DOWNLOAD_ERROR:", exc)
        sys.exit(3)
    print("OK")
    """
)


def _run_in_small_tmpfs(cache: Path, env: dict) -> subprocess.CompletedProcess:
    """Run the fetch with the cache on a 300 KB tmpfs (the file is 560 KB)."""
    cache.mkdir(parents=True, exist_ok=True)
    script = f'mount -t tmpfs -o size=300k tmpfs "{cache}" && exec "{sys.executable}" -c "$0"'
    attempts = [["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script, _FETCH_SCRIPT]]
    if os.geteuid() == 0:
        attempts.append(["unshare", "--mount", "sh", "-c", script, _FETCH_SCRIPT])
    for cmd in attempts:
        if shutil.which(cmd[0]) is None:
            continue
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
        if "mount" not in proc.stderr.lower() and "unshare" not in proc.stderr.lower():
            return proc
    return None


def test_disk_full_is_a_clear_error_and_nothing_corrupt_is_left(isolated_cache, server, payload, tmp_path):
    env = {**os.environ, "MEDMNIST_HUB_CACHE": str(isolated_cache), "MEDMNIST_HUB_MIRROR": server.url}
    env.pop("HF_HUB_OFFLINE", None)
    proc = _run_in_small_tmpfs(isolated_cache / "files", env)
    if proc is None:
        # No mount namespace here: get a real ENOSPC from /dev/full instead.
        files = isolated_cache / "files"
        files.mkdir(parents=True, exist_ok=True)
        (files / f"{NAME}.incomplete").symlink_to("/dev/full")
        proc = subprocess.run([sys.executable, "-c", _FETCH_SCRIPT], capture_output=True, text=True, env=env, timeout=120)
        (files / f"{NAME}.incomplete").unlink()
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "no space left on the device" in proc.stdout
    assert "the download resumes" in proc.stdout or "breastmnist.npz.incomplete" in proc.stdout
    assert not (isolated_cache / "files" / NAME).exists()
    # after the space problem is gone, the same cache completes the download
    assert fetch("breastmnist", offline=False, **FAST).read_bytes() == payload


# -- two processes -------------------------------------------------------------------------
def test_two_processes_fetching_the_same_file(isolated_cache, server, payload):
    server.add_fault(PATH, bytes_per_second=2_000_000)  # the first transfer takes ~0.3 s
    env = {**os.environ, "MEDMNIST_HUB_CACHE": str(isolated_cache), "MEDMNIST_HUB_MIRROR": server.url}
    env.pop("HF_HUB_OFFLINE", None)
    code = "from medmnist_hub.acquisition import fetch; print(fetch('breastmnist', offline=False, progress=False))"
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    outs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert outs[0] == outs[1] == str(cache_dir() / "files" / NAME)
    assert Path(outs[0]).read_bytes() == payload
    assert sum(r.status == 200 for r in server.requests) == 1  # the second process waited and reused the file
