"""The preload's decisions, without TensorFlow or triton: fake packages in a temporary folder."""

from __future__ import annotations

import sys

import pytest

from medmnist_hub.tfds_builders import import_order


@pytest.fixture
def fake_carrier(tmp_path, monkeypatch):
    """A package ``fakellvm`` whose native library is not loadable (garbage bytes)."""
    pkg = tmp_path / "fakellvm"
    (pkg / "_C").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "_C" / "libfake.so").write_bytes(b"not an ELF file")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(import_order, "LLVM_CARRIERS", (("fakellvm", "_C/libfake.so"), ("notinstalled_pkg", "x.so")))
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))  # undo any blocker afterwards
    return pkg


def test_broken_library_is_reported_not_raised(fake_carrier, monkeypatch, caplog):
    monkeypatch.setattr(import_order, "tensorflow_is_loaded", lambda: False)
    report = import_order.preload_before_tensorflow()
    assert report.failed == [str(fake_carrier / "_C" / "libfake.so")]
    assert report.not_installed == ["notinstalled_pkg"] and not report.preloaded
    assert "could not preload" in caplog.text
    assert "fakellvm" not in sys.modules  # the package itself is never imported


def test_too_late_installs_a_blocker_with_an_explanation(fake_carrier, monkeypatch):
    monkeypatch.setattr(import_order, "tensorflow_is_loaded", lambda: True)
    report = import_order.preload_before_tensorflow()
    assert report.blocked == ["fakellvm"]
    with pytest.raises(ModuleNotFoundError, match="fakellvm is not importable in this process: TensorFlow was imported"):
        import fakellvm  # noqa: F401
    assert import_order.preload_before_tensorflow().blocked == ["fakellvm"]
    assert sum(isinstance(f, import_order._TooLateForTriton) for f in sys.meta_path) == 1  # idempotent


def test_disabled_by_environment(fake_carrier, monkeypatch):
    monkeypatch.setenv(import_order.DISABLE_ENV, "1")
    report = import_order.preload_before_tensorflow()
    assert report.disabled and not (report.preloaded or report.blocked or report.failed)
