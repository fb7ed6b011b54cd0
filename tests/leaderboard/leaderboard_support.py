"""Shared by the leaderboard tests: the shared copy of the paper's tables, CI-aware."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.real_data import in_ci

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO.parent / "shared" / "reference"


def reference_table_or_skip(name: str, reference_dir: Path | None = None) -> Path:
    """The shared copy of a paper table; skip when it is absent, except under CI=true (CI has it)."""
    path = (reference_dir or REFERENCE) / name
    if not path.is_file():
        message = f"{path} not present (the shared reference numbers)"
        if in_ci():
            pytest.fail(f"{message}; CI=true requires it", pytrace=False)
        pytest.skip(message)
    return path
