"""The result-record format: building, writing, reading back, and errors that name file and field."""

from __future__ import annotations

import copy
import json
import os
import statistics

import pytest

from medmnist_hub.results.records import (
    SCHEMA,
    Record,
    RecordError,
    make_record,
    read_record,
    read_records,
    write_record,
)


def _record(**kw):
    base = dict(
        model_id="org/resnet18-28",
        config="breastmnist",
        runs=[
            {"seed": 0, "auc": 0.90, "acc": 0.86},
            {"seed": 1, "auc": 0.91, "acc": 0.87},
            {"seed": 2, "auc": 0.89, "acc": 0.85},
        ],
        model_name="ResNet-18 (28)",
        family="ResNet-18",
        protocol="28",
        source="test",
        created="2025-01-31",
    )
    base.update(kw)
    return make_record(**base)


def test_make_record_computes_means_and_sample_std_from_runs():
    rec = _record()
    assert rec.schema == SCHEMA
    assert rec.metrics.auc == pytest.approx(0.90)
    assert rec.metrics.acc == pytest.approx(0.86)
    assert rec.metrics.auc_std == pytest.approx(statistics.stdev([0.90, 0.91, 0.89]))
    assert rec.metrics.n_runs == 3
    # n_examples comes from the catalog for v3.0 data: BreastMNIST test has 156 images.
    assert rec.dataset.to_dict() == {
        "subset": "breastmnist",
        "config": "breastmnist",
        "size": 28,
        "split": "test",
        "n_examples": 156,
        "data_version": "MedMNIST v3.0",
    }


def test_make_record_with_aggregates_only_and_size_from_config():
    rec = make_record(model_id="x", config="bloodmnist_64", auc=0.99, acc=0.95, split="val", created="2025-01-01")
    assert rec.dataset.size == 64 and rec.dataset.n_examples == 1712
    assert rec.metrics.auc_std is None and rec.metrics.n_runs is None and rec.runs == ()
    with pytest.raises(ValueError, match="give 'runs' or both"):
        make_record(model_id="x", config="bloodmnist", auc=0.9)


def test_write_read_roundtrip_and_idempotent_write(tmp_path):
    rec = _record()
    path = write_record(rec, tmp_path / "out")
    assert path.name == "org--resnet18-28__breastmnist__test.json"
    assert read_record(path) == rec
    assert read_records(tmp_path / "out") == [rec]
    before = path.stat().st_mtime_ns
    os.utime(path, ns=(before - 10_000_000_000, before - 10_000_000_000))
    older = path.stat().st_mtime_ns
    write_record(copy.deepcopy(rec), tmp_path / "out")  # same bytes: file untouched
    assert path.stat().st_mtime_ns == older
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.endswith(".tmp")]


def test_filenames_are_safe_and_unique_per_key():
    a = _record(model_id="org/name with space")
    assert a.filename == "org--name-with-space__breastmnist__test.json"
    assert _record(split="val").filename != _record().filename


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda r: r.pop("model"), "model"),
        (lambda r: r["model"].pop("id"), "model.id"),
        (lambda r: r["model"].update(id=""), "model.id"),
        (lambda r: r["model"].update(reference="no"), "model.reference"),
        (lambda r: r["dataset"].update(subset="fakemnist"), "dataset.subset"),
        (lambda r: r["dataset"].update(subset="BreastMNIST"), "dataset.subset"),
        (lambda r: r["dataset"].update(config="bloodmnist"), "dataset.config"),
        (lambda r: r["dataset"].update(size=64), "dataset.size"),
        (lambda r: r["dataset"].update(split="testing"), "dataset.split"),
        (lambda r: r["dataset"].update(n_examples=-1), "dataset.n_examples"),
        (lambda r: r["metrics"].update(auc=1.2), "metrics.auc"),
        (lambda r: r["metrics"].update(acc="0.8"), "metrics.acc"),
        (lambda r: r["metrics"].update(acc=float("nan")), "metrics.acc"),
        (lambda r: r["metrics"].update(auc=0.5), "metrics.auc"),  # disagrees with the runs' mean
        (lambda r: r["metrics"].update(n_runs=5), "metrics.n_runs"),
        (lambda r: r["metrics"].update(acc_sd=0.1), "metrics.acc_sd"),  # typo: unknown field
        (lambda r: r["runs"][1].pop("acc"), "runs[1].acc"),
        (lambda r: r.update(schema="other/v1"), "schema"),
        (lambda r: r.update(created="yesterday"), "created"),
        (lambda r: r.update(source=""), "source"),
    ],
)
def test_bad_records_name_the_file_and_field(tmp_path, mutate, field):
    rec = _record().to_dict()
    mutate(rec)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(rec))
    with pytest.raises(RecordError) as info:
        read_records(tmp_path)
    assert info.value.field == field
    assert str(path) in str(info.value) and repr(field) in str(info.value)


def test_invalid_json_and_duplicates_are_reported(tmp_path):
    (tmp_path / "a.json").write_text("{not json")
    with pytest.raises(RecordError, match=r"a\.json.*not valid JSON"):
        read_records(tmp_path)
    (tmp_path / "a.json").unlink()
    rec = _record()
    write_record(rec, tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "copy.json").write_text(rec.to_json())
    with pytest.raises(RecordError, match="duplicate record"):
        read_records(tmp_path)


def test_schema_only_skips_foreign_json_and_hidden_folders(tmp_path):
    write_record(_record(), tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"architecture": "resnet18"}))
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "junk.json").write_text("{")
    assert len(read_records(tmp_path, schema_only=True)) == 1
    with pytest.raises(RecordError, match="config.json"):
        read_records(tmp_path)


def test_extra_fields_are_allowed_under_extra():
    rec = _record(extra={"epochs": 100}, model_extra={"params": 11_000_000})
    assert Record.from_dict(copy.deepcopy(rec.to_dict())) == rec
    data = rec.to_dict()
    data["extra"] = 3
    with pytest.raises(RecordError, match="'extra'"):
        Record.from_dict(data)


def test_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no result records"):
        read_records(tmp_path / "nope")
