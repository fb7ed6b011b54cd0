"""Acquisition: local lookup order, MD5 checks, offline mode, and real HTTP downloads
against a server on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import shutil
import time

import pytest
from support.http_server import FileServer
from support.real_data import real_file_or_skip

from medmnist_hub.acquisition import cache_dir, fetch, is_verified, resolve
from medmnist_hub.catalog import get_subset
from medmnist_hub.cli import main
from medmnist_hub.download import MAX_RESTARTS
from medmnist_hub.errors import ChecksumError, DownloadError, OfflineError
from medmnist_hub.synthetic import write_synthetic

FAST = dict(backoff=0.01, timeout=5, progress=False)


@pytest.fixture
def breast():
    return real_file_or_skip("breastmnist")


@pytest.fixture
def server(breast, monkeypatch):
    srv = FileServer(files={"/breastmnist.npz": breast.read_bytes()}).start()
    monkeypatch.setenv("MEDMNIST_HUB_MIRROR", srv.url)
    monkeypatch.delenv("HF_HUB_OFFLINE")  # the mirror is local: downloads may run
    yield srv
    srv.stop()


def _cache_leftovers(cache):
    files = cache / "files"
    return sorted(p.name for p in files.iterdir() if not p.name.endswith(".lock")) if files.exists() else []


# -- local lookup ------------------------------------------------------------------------
def test_source_dir_is_used_in_place(isolated_cache, breast):
    assert fetch("breastmnist", source_dirs=[breast.parent], offline=True) == breast
    assert not (isolated_cache / "files").exists()  # nothing copied


def test_env_dir_and_official_package_root(isolated_cache, breast, tmp_path, monkeypatch):
    env_dir = tmp_path / "envdir"
    env_dir.mkdir()
    shutil.copy(breast, env_dir)
    monkeypatch.setenv("MEDMNIST_DIR", str(env_dir))
    assert fetch("breastmnist", offline=True) == env_dir / "breastmnist.npz"
    monkeypatch.delenv("MEDMNIST_DIR")
    official = tmp_path / "home" / ".medmnist"
    official.mkdir()
    shutil.copy(breast, official)
    assert fetch("breastmnist", offline=True) == official / "breastmnist.npz"


def test_bad_copy_in_source_dir_is_skipped_and_kept(isolated_cache, breast, tmp_path, caplog):
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    (bad_dir / "breastmnist.npz").write_bytes(b"not the file")
    got = fetch("breastmnist", source_dirs=[bad_dir, breast.parent], offline=True)
    assert got == breast
    assert (bad_dir / "breastmnist.npz").read_bytes() == b"not the file"  # user files are never touched
    assert "differs from the official" in caplog.text


def test_verification_is_remembered_until_the_file_changes(isolated_cache, breast, tmp_path, monkeypatch):
    copy = tmp_path / "breastmnist.npz"
    shutil.copy(breast, copy)
    md5 = get_subset("breastmnist").file().md5
    assert is_verified(copy, md5)
    calls = []
    import medmnist_hub.acquisition as fetch_mod

    monkeypatch.setattr(fetch_mod, "md5sum", lambda p: calls.append(p) or "0" * 32)
    assert is_verified(copy, md5) and calls == []  # marker hit, no re-hash
    copy.write_bytes(copy.read_bytes()[:-1] + b"\x00")
    assert not is_verified(copy, md5) and calls == [copy]


def test_a_named_file_is_checked_and_marked_official_or_not(isolated_cache, breast, tmp_path, monkeypatch, caplog):
    """The one resolver every adapter uses: a named file's MD5 decides ``official`` and ``identity``."""
    import medmnist_hub.acquisition as acq

    subset, md5 = get_subset("breastmnist"), get_subset("breastmnist").file().md5
    copy = tmp_path / "copy" / "breastmnist.npz"
    copy.parent.mkdir()
    shutil.copy(breast, copy)
    src = resolve(subset, 28, npz_path=copy)
    assert (src.origin, src.md5, src.official, src.identity) == ("npz_path", md5, True, f"md5:{md5}")
    assert src.split_sizes == dict(subset.split_sizes)
    monkeypatch.setattr(acq, "md5sum", lambda p: pytest.fail(f"{p} hashed again"))
    assert resolve(subset, 28, npz_path=copy).official  # remembered: an unchanged file is not re-hashed
    monkeypatch.undo()
    synthetic = write_synthetic(tmp_path / "synth", "breastmnist", split_sizes={"train": 5, "val": 2, "test": 3})
    other = resolve(subset, 28, npz_path=synthetic, origin="manual_dir")
    assert not other.official and other.md5 != md5 and other.identity.startswith("sha256:")
    assert other.split_sizes == {"train": 5, "val": 2, "test": 3}
    assert f"manual_dir {synthetic}: MD5 {other.md5} differs from the official {md5}" in caplog.text
    with pytest.raises(FileNotFoundError, match=r"npz_path .*nowhere\.npz does not exist \(config breastmnist\)"):
        resolve(subset, 28, npz_path=tmp_path / "nowhere.npz")


def test_offline_fails_fast_with_instructions(isolated_cache):
    start = time.monotonic()
    with pytest.raises(OfflineError) as err:
        fetch("dermamnist", 224, offline=True)
    assert time.monotonic() - start < 2
    f = get_subset("dermamnist").file(224)
    msg = str(err.value)
    assert "dermamnist_224.npz" in msg and f.md5 in msg and "--source-dir" in msg and "dermamnist_224.npz" in msg


def test_hf_hub_offline_env_means_offline(isolated_cache, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("MEDMNIST_HUB_MIRROR")
    with pytest.raises(OfflineError, match="https://zenodo.org/records/10519652/files/octmnist.npz"):
        fetch("octmnist")


# -- downloads ---------------------------------------------------------------------------
def test_download_normal(isolated_cache, server, breast):
    path = fetch("breastmnist", offline=False, **FAST)
    assert path == cache_dir() / "files" / "breastmnist.npz"
    assert path.read_bytes() == breast.read_bytes()
    assert _cache_leftovers(isolated_cache) == ["breastmnist.npz"]
    assert [r.status for r in server.requests] == [200]
    # second call: found in the cache, no request
    assert fetch("breastmnist", offline=True) == path
    assert len(server.requests) == 1


def test_cut_connection_resumes_with_range(isolated_cache, server, breast):
    size = len(breast.read_bytes())
    server.add_fault("/breastmnist.npz", cut_after=size // 3)
    path = fetch("breastmnist", offline=False, **FAST)
    assert path.read_bytes() == breast.read_bytes()
    assert server.requests[0].range is None
    assert server.requests[1].range == f"bytes={size // 3}-" and server.requests[1].status == 206
    assert server.requests[1].if_range == server.etag("/breastmnist.npz")
    assert _cache_leftovers(isolated_cache) == ["breastmnist.npz"]


def test_interrupted_run_is_resumed_by_the_next_run(isolated_cache, server, breast):
    size = len(breast.read_bytes())
    for _ in range(3):
        server.add_fault("/breastmnist.npz", cut_after=1000)
    with pytest.raises(DownloadError, match="partial file .* is kept and the next run resumes it"):
        fetch("breastmnist", offline=False, retries=2, **FAST)
    partial = isolated_cache / "files" / "breastmnist.npz.incomplete"
    assert partial.stat().st_size == 3000
    assert not (isolated_cache / "files" / "breastmnist.npz").exists()
    path = fetch("breastmnist", offline=False, **FAST)
    assert path.read_bytes() == breast.read_bytes()
    assert server.requests[-1].range == "bytes=3000-" and size > 3000


def test_wrong_bytes_md5_mismatch_leaves_nothing(isolated_cache, server, breast):
    server.add_fault("/breastmnist.npz", body=b"x" * 5000)
    with pytest.raises(ChecksumError) as err:
        fetch("breastmnist", offline=False, **FAST)
    msg = str(err.value)
    assert get_subset("breastmnist").file().md5 in msg and server.url in msg and "deleted" in msg
    assert _cache_leftovers(isolated_cache) == []


def test_404_fails_at_once(isolated_cache, server):
    with pytest.raises(DownloadError, match=r"HTTP 404 .*retrying cannot help") as err:
        fetch("pneumoniamnist", offline=False, **FAST)
    msg = str(err.value)
    # names the URL, the expected MD5, and what to do without this server
    assert f"{server.url}/pneumoniamnist.npz" in msg
    assert get_subset("pneumoniamnist").file().md5 in msg
    assert "offline" in msg and "--source-dir" in msg and "MEDMNIST_DIR" in msg
    assert len(server.requests) == 1
    assert _cache_leftovers(isolated_cache) == []


def test_a_resume_answered_from_the_wrong_offset_restarts_from_zero(isolated_cache, server, breast):
    server.add_fault("/breastmnist.npz", cut_after=1000)
    server.add_fault("/breastmnist.npz", range_start=10)  # asked for 1000-, sent 10-
    path = fetch("breastmnist", offline=False, **FAST)
    assert path.read_bytes() == breast.read_bytes()
    assert [(r.range, r.status) for r in server.requests] == [(None, 200), ("bytes=1000-", 206), (None, 200)]


def test_restarts_from_zero_are_bounded(isolated_cache, server):
    server.add_fault("/breastmnist.npz", cut_after=1000)
    for _ in range(10):  # a server that always answers from byte 10, whatever is asked
        server.add_fault("/breastmnist.npz", range_start=10)
    with pytest.raises(DownloadError) as err:
        fetch("breastmnist", offline=False, **FAST)
    msg = str(err.value)
    assert f"{server.url}/breastmnist.npz" in msg and f"{MAX_RESTARTS} restarts" in msg
    assert get_subset("breastmnist").file().md5 in msg and "--source-dir" in msg
    assert len(server.requests) == 1 + 1 + MAX_RESTARTS  # the cut one, the first resume, the restarts
    assert _cache_leftovers(isolated_cache) == []


def test_body_without_content_length_downloads(isolated_cache, server, breast):
    server.add_fault("/breastmnist.npz", no_content_length=True)
    path = fetch("breastmnist", offline=False, **FAST)
    assert path.read_bytes() == breast.read_bytes()
    assert len(server.requests) == 1


def test_body_without_content_length_cut_short_is_downloaded_again(isolated_cache, server, breast):
    """Without Content-Length a cut connection looks like the end of the body: the MD5 catches the
    short file, and one more transfer from zero (not an error) follows."""
    size = len(breast.read_bytes())
    server.add_fault("/breastmnist.npz", no_content_length=True, cut_after=size // 3)
    path = fetch("breastmnist", offline=False, **FAST)
    assert path.read_bytes() == breast.read_bytes()
    assert [(r.range, r.status) for r in server.requests] == [(None, 200), (None, 200)]
    assert _cache_leftovers(isolated_cache) == ["breastmnist.npz"]


def test_body_without_content_length_cut_twice_is_a_clear_error(isolated_cache, server, breast):
    size = len(breast.read_bytes())
    for _ in range(3):
        server.add_fault("/breastmnist.npz", no_content_length=True, cut_after=size // 2)
    with pytest.raises(ChecksumError) as err:
        fetch("breastmnist", offline=False, **FAST)
    msg = str(err.value)
    assert get_subset("breastmnist").file().md5 in msg and "no Content-Length" in msg and "deleted" in msg
    assert len(server.requests) == 2  # retried once from zero, not forever
    assert _cache_leftovers(isolated_cache) == []


def test_503_is_retried_then_succeeds(isolated_cache, server, breast):
    server.add_fault("/breastmnist.npz", status=503)
    server.add_fault("/breastmnist.npz", status=503, retry_after="0")
    path = fetch("breastmnist", offline=False, **FAST)
    assert path.read_bytes() == breast.read_bytes()
    assert [r.status for r in server.requests] == [503, 503, 200]


def test_503_forever_gives_a_clear_error(isolated_cache, server):
    for _ in range(10):
        server.add_fault("/breastmnist.npz", status=503)
    with pytest.raises(DownloadError) as err:
        fetch("breastmnist", offline=False, retries=3, **FAST)
    msg = str(err.value)
    assert "after 4 attempts" in msg and "HTTP 503" in msg and "/breastmnist.npz" in msg
    assert get_subset("breastmnist").file().md5 in msg
    assert len(server.requests) == 4
    assert not (isolated_cache / "files" / "breastmnist.npz").exists()


def test_cli_fetch_prints_the_path(isolated_cache, server, capsys):
    assert main(["fetch", "breastmnist", "--no-progress"]) == 0
    assert capsys.readouterr().out.strip() == str(cache_dir() / "files" / "breastmnist.npz")


def test_cli_reports_errors_without_traceback(isolated_cache, capsys):
    assert main(["fetch", "bloodmnist", "--size", "64", "--offline"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: bloodmnist_64.npz is not available locally")
