"""Where the builder's data comes from, and what happens with bad input.

TFDS ``manual_dir``, ``npz_path``, the core acquisition (``source_dirs``, ``~/.medmnist``,
our cache, a real HTTP download from a server on 127.0.0.1 with the MD5 check), the
size/SHA-256 of ``checksums.tsv``, and clear errors for damaged files, impossible
labels, missing files offline.  Builds use ``array_record`` (no TensorFlow needed).
"""

from __future__ import annotations

import logging
import shutil
import zipfile
from types import SimpleNamespace

import numpy as np
import pytest
from support.http_server import FileServer
from support.real_data import real_file_or_skip
from tfds_helpers import require_module

from medmnist_hub.catalog import get_subset
from medmnist_hub.errors import ChecksumError, FormatError, OfflineError
from medmnist_hub.synthetic import synthetic_arrays, write_synthetic

tfds = require_module("tensorflow_datasets", "the [tfds] extra is not installed")

from medmnist_hub.tfds_builders import source as source_lib  # noqa: E402

BREAST = get_subset("breastmnist")


@pytest.fixture
def breast():
    return real_file_or_skip("breastmnist")


def _build(data_dir, config="breastmnist", manual_dir=None, **builder_kwargs):
    builder = tfds.builder(f"medmnist/{config}", data_dir=data_dir, file_format="array_record", **builder_kwargs)
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=manual_dir))
    return builder


def _nothing_prepared(data_dir, config="breastmnist"):
    """No dataset, complete or half-written, under ``data_dir`` for ``config``."""
    config_dir = data_dir / "medmnist" / config
    return not config_dir.exists() or not any(p.is_file() for p in config_dir.rglob("*"))


# -- TFDS manual_dir and npz_path ---------------------------------------------------------
def test_manual_dir_with_the_official_file(isolated_cache, breast, tmp_path):
    manual = tmp_path / "manual"
    manual.mkdir()
    shutil.copy(breast, manual)
    builder = _build(tmp_path / "data", manual_dir=manual)
    meta = builder.info.metadata
    assert meta["source_origin"] == "manual_dir" and meta["official"] is True
    assert meta["source_md5"] == BREAST.file().md5
    assert meta["source_sha256"] == "3a22d2a4625e7dd8903f0f59030e81a3d0c222bece2e5e10927456cb50efdec1"
    assert str(tmp_path) not in str(dict(meta))  # no user path leaks into the dataset's metadata
    assert builder.info.splits["train"].num_examples == 546


def test_manual_dir_with_other_bytes_is_built_but_recorded_as_unofficial(isolated_cache, tmp_path, caplog):
    manual = tmp_path / "manual"
    synthetic = write_synthetic(manual, "breastmnist", split_sizes={"train": 5, "val": 2, "test": 3})
    with caplog.at_level(logging.WARNING):
        builder = _build(tmp_path / "data", manual_dir=manual)
    assert builder.info.metadata["official"] is False
    assert builder.info.metadata["source_md5"] != BREAST.file().md5
    assert f"differs from the official {BREAST.file().md5}" in caplog.text and str(synthetic) in caplog.text
    assert builder.info.splits["train"].num_examples == 5
    # Reloaded from disk, the dataset still says where it came from.
    again = tfds.builder("medmnist/breastmnist", data_dir=tmp_path / "data")
    assert again.info.metadata["official"] is False


def test_empty_manual_dir_falls_back_to_the_acquisition(isolated_cache, breast, tmp_path):
    manual = tmp_path / "manual"
    manual.mkdir()
    builder = _build(tmp_path / "data", manual_dir=manual, source_dirs=[str(breast.parent)])
    assert builder.info.metadata["source_origin"] == "acquisition" and builder.info.metadata["official"] is True


def test_npz_path_that_does_not_exist(isolated_cache, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"npz_path .*nowhere\.npz does not exist \(config breastmnist\)"):
        _build(tmp_path / "data", npz_path=str(tmp_path / "nowhere.npz"))
    assert _nothing_prepared(tmp_path / "data")


def test_remote_manual_dir_is_refused_clearly(breast):
    dl = SimpleNamespace(manual_dir="gs://bucket/manual")
    with pytest.raises(ValueError, match="local or mounted filesystem only"):
        source_lib.resolve(BREAST, 28, dl_manager=dl)


# -- the core acquisition ------------------------------------------------------------------
def test_source_dirs_skip_a_bad_copy_and_use_the_official_one(isolated_cache, breast, tmp_path):
    bad = tmp_path / "bad"
    write_synthetic(bad, "breastmnist")  # right name, wrong bytes
    resolved = source_lib.resolve(BREAST, 28, source_dirs=[bad, breast.parent], offline=True)
    assert resolved.path == breast and resolved.official and resolved.origin == "acquisition"


def test_official_package_folder_and_our_cache_are_searched(isolated_cache, breast, tmp_path):
    official_root = tmp_path / "home" / ".medmnist"  # isolated_cache made tmp_path/home the HOME
    official_root.mkdir()
    shutil.copy(breast, official_root)
    assert source_lib.resolve(BREAST, 28, offline=True).path == official_root / "breastmnist.npz"
    (official_root / "breastmnist.npz").unlink()
    (isolated_cache / "files").mkdir(parents=True)
    shutil.copy(breast, isolated_cache / "files")
    assert source_lib.resolve(BREAST, 28, offline=True).path == isolated_cache / "files" / "breastmnist.npz"


@pytest.fixture
def server(breast, monkeypatch):
    srv = FileServer(files={"/breastmnist.npz": breast.read_bytes()}).start()
    monkeypatch.setenv("MEDMNIST_HUB_MIRROR", srv.url)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    yield srv
    srv.stop()


def test_download_with_md5_check_then_cached(isolated_cache, server, breast, tmp_path):
    builder = _build(tmp_path / "data", offline=False)
    assert [r.status for r in server.requests] == [200]
    assert (isolated_cache / "files" / "breastmnist.npz").read_bytes() == breast.read_bytes()
    assert builder.info.metadata["official"] is True and builder.info.splits["test"].num_examples == 156
    _build(tmp_path / "data2", offline=False)  # another data_dir: the cached file is reused
    assert len(server.requests) == 1


def test_downloaded_wrong_bytes_fail_and_leave_nothing(isolated_cache, server, tmp_path):
    server.add_fault("/breastmnist.npz", body=b"x" * 4000)
    with pytest.raises(ChecksumError, match=BREAST.file().md5):
        _build(tmp_path / "data", offline=False)
    assert not (isolated_cache / "files" / "breastmnist.npz").exists()
    assert _nothing_prepared(tmp_path / "data")


def test_offline_and_missing_names_url_md5_and_manual_dir(isolated_cache, monkeypatch, tmp_path):
    monkeypatch.setenv("MEDMNIST_HUB_OFFLINE", "1")
    f = get_subset("dermamnist").file(224)
    with pytest.raises(OfflineError) as err:
        _build(tmp_path / "data", config="dermamnist_224")
    assert f.md5 in str(err.value) and "dermamnist_224.npz" in str(err.value)
    assert "manual_dir" in str(err.value)
    assert _nothing_prepared(tmp_path / "data", "dermamnist_224")


# -- checksums.tsv on top of the MD5 ----------------------------------------------------------
def test_registered_sha256_is_checked(breast):
    good = source_lib.resolve(BREAST, 28, source_dirs=[breast.parent], offline=True, url_infos=_url_infos())
    assert good.sha256 == _url_infos()[BREAST.file().url].checksum
    wrong = {BREAST.file().url: SimpleNamespace(size=breast.stat().st_size, checksum="0" * 64)}
    with pytest.raises(ChecksumError, match=r"SHA-256 registered in checksums.tsv"):
        source_lib.resolve(BREAST, 28, source_dirs=[breast.parent], offline=True, url_infos=wrong)
    wrong_size = {BREAST.file().url: SimpleNamespace(size=1, checksum=good.sha256)}
    with pytest.raises(ChecksumError, match="size"):
        source_lib.resolve(BREAST, 28, source_dirs=[breast.parent], offline=True, url_infos=wrong_size)


def _url_infos():
    from medmnist_hub.tfds_builders import Builder

    return Builder.url_infos


# -- bad files -----------------------------------------------------------------------------
def test_truncated_file_fails_with_its_name(isolated_cache, breast, tmp_path):
    manual = tmp_path / "manual"
    manual.mkdir()
    (manual / "breastmnist.npz").write_bytes(breast.read_bytes()[: breast.stat().st_size // 2])
    with pytest.raises(FormatError, match=r"breastmnist\.npz: not a readable \.npz"):
        _build(tmp_path / "data", manual_dir=manual)
    assert _nothing_prepared(tmp_path / "data")
    assert (manual / "breastmnist.npz").stat().st_size == breast.stat().st_size // 2  # user file untouched


def test_impossible_label_names_the_row(isolated_cache, tmp_path):
    arrays = synthetic_arrays("breastmnist", 28, {"train": 6, "val": 2, "test": 2})
    arrays["train_labels"][4, 0] = 7  # BreastMNIST has classes 0 and 1
    path = tmp_path / "breastmnist.npz"
    with zipfile.ZipFile(path, "w") as zf:
        for key, value in arrays.items():
            with zf.open(f"{key}.npy", "w") as f:
                np.lib.format.write_array(f, value)
    with pytest.raises(
        FormatError, match=r"\[train_labels\]: label 7 at row 4, column 0 is out of range: expected in \[0, 1\]"
    ):
        _build(tmp_path / "data", npz_path=str(path))
    assert _nothing_prepared(tmp_path / "data")


def test_wrong_layout_names_the_key(isolated_cache, tmp_path):
    path = write_synthetic(tmp_path, "bloodmnist", 28, split_sizes={"train": 3, "val": 2, "test": 2})
    with pytest.raises(FormatError, match=r"\[train_images\]: shape is \(3, 28, 28, 3\), expected \(N, 28, 28\)"):
        _build(tmp_path / "data", config="breastmnist", npz_path=str(path))


def test_label_member_crc_is_checked(isolated_cache, tmp_path):
    """Intact bytes but a wrong CRC-32 for the labels member: the build fails and names the member."""
    import struct

    arrays = synthetic_arrays("breastmnist", 28, {"train": 6000, "val": 2, "test": 2})
    path = tmp_path / "breastmnist.npz"
    np.savez_compressed(path, **arrays)
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("train_labels.npy")
    raw = bytearray(path.read_bytes())
    # Wrong CRC-32 in the central directory entry of train_labels.npy (the data itself is intact).
    eocd = raw.rindex(b"PK\x05\x06")
    (entry,) = struct.unpack("<I", raw[eocd + 16 : eocd + 20])  # offset of the central directory
    while True:
        name_len, extra_len, comment_len = struct.unpack("<HHH", raw[entry + 28 : entry + 34])
        if raw[entry + 46 : entry + 46 + name_len] == info.filename.encode():
            break
        entry += 46 + name_len + extra_len + comment_len
    struct.pack_into("<I", raw, entry + 16, info.CRC ^ 0xFFFF)
    path.write_bytes(bytes(raw))
    with pytest.raises(FormatError, match=r"\[train_labels\]: damaged data \(Bad CRC-32"):
        _build(tmp_path / "data", npz_path=str(path))
    assert _nothing_prepared(tmp_path / "data")
