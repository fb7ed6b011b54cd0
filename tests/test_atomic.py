"""Atomic replacement of a file: whole new content or the old file untouched, never a leftover temp file."""

from __future__ import annotations

import os
import stat

import pytest

from medmnist_hub.atomic import atomic_open, atomic_write_bytes, atomic_write_text


def test_replaces_the_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text("old")
    assert atomic_write_text(path, "new ü\n") is True
    assert path.read_bytes() == "new ü\n".encode()
    assert os.listdir(tmp_path) == ["manifest.json"]


def test_only_if_changed_keeps_the_mtime(tmp_path):
    path = tmp_path / "record.json"
    assert atomic_write_bytes(path, b"same", only_if_changed=True) is True
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    assert atomic_write_bytes(path, b"same", only_if_changed=True) is False
    assert path.stat().st_mtime_ns == 1_000_000_000
    assert atomic_write_bytes(path, b"other", only_if_changed=True) is True
    assert path.read_bytes() == b"other"


def test_a_failure_midway_keeps_the_old_file_and_removes_the_temp(tmp_path):
    path = tmp_path / "data.npz"
    path.write_bytes(b"good")
    with pytest.raises(RuntimeError, match="disk on fire"):
        with atomic_open(path) as f:
            f.write(b"half")
            raise RuntimeError("disk on fire")
    assert path.read_bytes() == b"good"
    assert os.listdir(tmp_path) == ["data.npz"]


def test_permissions_follow_the_umask_like_open(tmp_path):
    atomic_write_bytes(tmp_path / "a", b"x")
    (tmp_path / "b").write_bytes(b"x")
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == stat.S_IMODE((tmp_path / "b").stat().st_mode)


def test_missing_folder_and_bad_mode_are_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        atomic_write_bytes(tmp_path / "no" / "such" / "file", b"x")
    with pytest.raises(ValueError, match="mode must be 'wb' or 'w'"):
        with atomic_open(tmp_path / "f", "ab"):
            pass
    assert os.listdir(tmp_path) == []
