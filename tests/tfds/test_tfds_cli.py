"""``python -m medmnist_hub.tfds_builders``: build and register-checksums."""

from __future__ import annotations

import subprocess
import sys

from support.real_data import real_file_or_skip
from tfds_helpers import require_module

require_module("tensorflow_datasets", "the [tfds] extra is not installed")

from medmnist_hub.tfds_builders.cli import main  # noqa: E402


def test_help_of_every_command():
    for argv in (["--help"], ["build", "--help"], ["register-checksums", "--help"]):
        proc = subprocess.run(
            [sys.executable, "-m", "medmnist_hub.tfds_builders", *argv], capture_output=True, text=True
        )
        assert proc.returncode == 0 and "usage:" in proc.stdout, proc.stderr


def test_build_prints_where_and_what(isolated_cache, tmp_path, capsys):
    real = real_file_or_skip("retinamnist")
    code = main(
        [
            "build",
            "retinamnist",
            "--data-dir",
            str(tmp_path),
            "--source-dir",
            str(real.parent),
            "--file-format",
            "array_record",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert (
        f"{tmp_path}/medmnist/retinamnist/3.1.0  (array_record; train 1,080, validation 120, test 400; official)" in out
    )


def test_build_offline_missing_is_a_clean_error(isolated_cache, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MEDMNIST_HUB_OFFLINE", "1")
    assert main(["build", "octmnist", "--data-dir", str(tmp_path), "--file-format", "array_record"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: octmnist.npz is not available locally") and "manual_dir" in err


def test_register_checksums_records_official_files(tmp_path, capsys):
    real = real_file_or_skip("breastmnist")
    target = tmp_path / "checksums.tsv"
    assert main(["register-checksums", str(real.parent), "--checksums-file", str(target)]) == 0
    assert (
        "breastmnist.npz\t559580\t3a22d2a4625e7dd8903f0f59030e81a3d0c222bece2e5e10927456cb50efdec1"
        in capsys.readouterr().out
    )
    assert "breastmnist.npz" in target.read_text()
