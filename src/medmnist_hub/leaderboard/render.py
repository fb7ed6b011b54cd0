"""Static renderings of a leaderboard: Markdown (for the README), HTML (one page), JSON.

Numbers are printed with three decimals, as in the paper; the JSON keeps full
precision.  Reference rows carry a "paper" marker, incomplete models say how many of
the group's datasets they have and get no mean; a score on part of a test split is
marked with ``*`` and its model is not ranked.
"""

from __future__ import annotations

import html
import json

from ..catalog import SUBSETS
from .aggregate import GROUPS, Leaderboard, Row

GROUP_TITLES = {"2d": "2D (12 datasets)", "3d": "3D (6 datasets)"}
REFERENCE_MARK = "†"
PARTIAL_MARK = "*"


def fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def display_name(row: Row) -> str:
    return f"{row.name} {REFERENCE_MARK}" if row.reference else row.name


def rank_label(row: Row) -> str:
    if row.rank is not None:
        return str(row.rank)
    if row.missing:
        return "incomplete"
    if row.partial:
        return "partial"
    return "ref"


def status_label(row: Row) -> str:
    partial = f"partial test set: {', '.join(row.partial)}" if row.partial else ""
    if row.missing:
        n = f"incomplete: {len(row.required) - len(row.missing)}/{len(row.required)} datasets"
        return f"{n}; {partial}" if partial else n
    if partial:
        return f"{partial} (not ranked)"
    return "paper (MedMNIST v2.0 data)" if row.reference else "complete"


def fmt_cell(x: float, partial: bool) -> str:
    """A per-dataset value as displayed: three decimals, ``*`` when measured on part of the split."""
    return fmt(x) + (PARTIAL_MARK if partial else "")


def summary_table(lb: Leaderboard, group: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the ranking table of one group."""
    header = ["Rank", "Model", "Protocol", "Mean AUC", "Mean ACC", "Datasets", "Status"]
    body = []
    for r in lb.rows(group):
        n = len(r.required) - len(r.missing)
        body.append(
            [
                rank_label(r),
                display_name(r),
                r.protocol or "",
                fmt(r.mean("auc")),
                fmt(r.mean("acc")),
                f"{n}/{len(r.required)}",
                status_label(r),
            ]
        )
    return header, body


def dataset_table(lb: Leaderboard, group: str) -> tuple[list[str], list[list[str]]]:
    """Per-dataset AUC and ACC of every model of a group, paper layout (one AUC/ACC column pair per dataset)."""
    subsets = GROUPS[group]
    header = ["Model"]
    for s in subsets:
        header += [f"{SUBSETS[s].name} AUC", f"{SUBSETS[s].name} ACC"]
    body = []
    for r in lb.rows(group):
        cells = [display_name(r)]
        for s in subsets:
            sc = r.scores.get(s)
            cells += [fmt_cell(sc.auc, sc.partial) if sc else "—", fmt_cell(sc.acc, sc.partial) if sc else "—"]
        body.append(cells)
    return header, body


def _md_table(header: list[str], body: list[list[str]]) -> str:
    esc = [[c.replace("|", "\\|") for c in row] for row in [header, *body]]
    lines = ["| " + " | ".join(esc[0]) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in esc[1:]]
    return "\n".join(lines)


def to_markdown(lb: Leaderboard, *, per_dataset: bool = True) -> str:
    """The leaderboard as GitHub-flavoured Markdown (a README section body)."""
    parts = [
        f"MedMNIST leaderboard — {lb.split} split, {lb.size} px files; ranked by mean {lb.sort_by.upper()} "
        f"over the datasets of each group (unweighted, as in the paper's Tables 5 and 6). "
        f"{REFERENCE_MARK} = the paper's published result (MedMNIST v2.0 files; reference row, not ranked). "
        "Models without a result on every dataset of a group get no mean and are listed as incomplete; "
        f"{PARTIAL_MARK} = scored on part of the test split only (not ranked).",
    ]
    for group in GROUPS:
        if not lb.rows(group):
            continue
        parts.append(f"### {GROUP_TITLES[group]}")
        parts.append(_md_table(*summary_table(lb, group)))
        if per_dataset:
            parts.append(f"<details><summary>Per-dataset results ({group.upper()})</summary>\n")
            parts.append(_md_table(*dataset_table(lb, group)))
            parts.append("</details>")
    return "\n\n".join(parts) + "\n"


def _html_table(header: list[str], body: list[list[str]], rows: list[Row], css_class: str) -> str:
    out = [f'<table class="{css_class}">', "<thead><tr>"]
    out += [f"<th>{html.escape(h)}</th>" for h in header]
    out.append("</tr></thead><tbody>")
    for cells, row in zip(body, rows):
        cls = "reference" if row.reference else ("ranked" if row.complete else "partial" if not row.missing else "incomplete")
        out.append(f'<tr class="{cls}" data-model-id="{html.escape(row.model_id)}">')
        for i, c in enumerate(cells):
            text = html.escape(c)
            if header[i] == "Model" and row.url:
                text = f'<a href="{html.escape(row.url)}">{text}</a>'
            out.append(f"<td>{text}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def to_html(lb: Leaderboard, *, title: str = "MedMNIST leaderboard") -> str:
    """A standalone HTML page (no scripts, no external resources)."""
    style = (
        "body{font-family:system-ui,sans-serif;margin:2em;}table{border-collapse:collapse;margin:1em 0;}"
        "th,td{border:1px solid #ccc;padding:4px 8px;text-align:right;}td:nth-child(2),th:nth-child(2){text-align:left;}"
        "tr.reference{background:#f3f0ff;font-style:italic;}tr.incomplete{color:#888;}"
    )
    parts = [
        "<!doctype html>",
        f'<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title><style>{style}</style></head><body>',
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{html.escape(lb.split)} split, {lb.size} px files; ranked by mean {lb.sort_by.upper()}. "
        f"{REFERENCE_MARK} rows are the MedMNIST v2 paper's published results (reference, not ranked). "
        f"{PARTIAL_MARK} = scored on part of the test split only (not ranked). "
        "Not for clinical use.</p>",
    ]
    for group in GROUPS:
        rows = lb.rows(group)
        if not rows:
            continue
        parts.append(f'<h2 id="{group}">{html.escape(GROUP_TITLES[group])}</h2>')
        parts.append(_html_table(*summary_table(lb, group), rows, f"summary summary-{group}"))
        parts.append(f"<h3>Per-dataset results ({group.upper()})</h3>")
        parts.append(_html_table(*dataset_table(lb, group), rows, f"datasets datasets-{group}"))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def to_json_text(lb: Leaderboard) -> str:
    return json.dumps(lb.to_json(), indent=2, ensure_ascii=False) + "\n"
