"""Exceptions with messages that say which file, key or value is at fault and what to do."""

from __future__ import annotations

import os


class MedMNISTHubError(Exception):
    """Base class of every error this package raises on purpose."""


class FormatError(MedMNISTHubError, ValueError):
    """A file is not in the official MedMNIST ``.npz`` format (or is damaged)."""

    def __init__(self, path: os.PathLike | str, message: str, key: str | None = None):
        self.path = str(path)
        self.key = key
        where = f"{self.path}" + (f" [{key}]" if key else "")
        super().__init__(f"{where}: {message}")


class ChecksumError(MedMNISTHubError):
    """A file's MD5 differs from the official one."""

    def __init__(self, what: str, expected: str, actual: str, hint: str = ""):
        self.expected = expected
        self.actual = actual
        super().__init__(f"MD5 mismatch for {what}: expected {expected}, got {actual}." + (f" {hint}" if hint else ""))


class DownloadError(MedMNISTHubError):
    """A download failed for good (after retries, or for a reason retries cannot fix)."""


class OfflineError(MedMNISTHubError):
    """The file is not available locally and the network may not be used."""


class ConfigError(MedMNISTHubError, ValueError):
    """An option or combination of options that cannot work (unknown model, bad size, ...)."""
