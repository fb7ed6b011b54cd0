"""The TFDS tests' dependency guards: a local run without an extra skips with the reason,
a CI run (CI=true, every extra installed) fails instead of skipping silently."""

from __future__ import annotations

import pytest
from tfds_helpers import require_installed, require_module

ABSENT = "medmnist_hub_no_such_module"


def test_present_module_is_returned():
    assert require_module("json", "stdlib").dumps([]) == "[]"
    require_installed(("json",), "stdlib")


@pytest.mark.parametrize("check", [lambda: require_module(ABSENT, "the [x] extra is not installed"),
                                   lambda: require_installed((ABSENT,), "the [x] extra is not installed")])
def test_missing_module_skips_locally_with_the_reason(check, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=rf"the \[x\] extra is not installed.*{ABSENT}"):
        check()


@pytest.mark.parametrize("check", [lambda: require_module(ABSENT, "the [x] extra is not installed"),
                                   lambda: require_installed((ABSENT,), "the [x] extra is not installed")])
def test_missing_module_fails_under_ci(check, monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=rf"{ABSENT}.*CI=true installs every extra"):
        check()
