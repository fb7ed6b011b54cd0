"""The audit finds every planted problem, with the right official ids, and nothing on distinct samples."""

from __future__ import annotations

import json

import numpy as np
import pytest
from planted import brighter, more_contrast, official_arrays, round_trip, shifted, write_official

from medmnist_hub.audit import SCHEMA_VERSION, audit, render_markdown
from medmnist_hub.cli import main
from medmnist_hub.synthetic import write_synthetic

ROWS = {"train": 40, "val": 20, "test": 20}


def _exact_sets(report):
    return {frozenset(g["ids"]) for g in report["exact_duplicates"]["groups"]}


def _near_sets(report):
    return {frozenset(p["ids"]) for p in report["near_duplicates"]["pairs"]}


def _no_findings(report):
    s = report["summary"]
    return {k: s[k] for k in s if k != "samples" and s[k]}


@pytest.fixture(scope="module")
def planted_2d(tmp_path_factory):
    a = official_arrays("breastmnist", 28, ROWS, seed=1)
    tr, va, te = a["train_images"], a["val_images"], a["test_images"]
    tl = a["train_labels"]
    tr[5] = tr[3]                        # exact, within train
    va[7] = va[2]                        # exact, within val
    te[9] = te[4]                        # exact, within test
    va[0] = tr[10]                       # exact, train-val
    te[0] = tr[11]                       # exact, train-test
    te[1] = va[1]                        # exact, val-test
    tr[20] = brighter(tr[21])            # near: brightness +3
    tr[22] = more_contrast(tr[23])       # near: contrast x1.05
    va[10] = shifted(tr[24], axis=1)     # near: one-pixel shift, across train-val
    te[10] = round_trip(tr[25], "JPEG")  # near: JPEG round trip, across train-test
    te[11] = round_trip(tr[26], "PNG")   # PNG is lossless: an exact copy, across train-test
    te[12] = shifted(va[12], axis=0)     # near: vertical shift, across val-test
    labels = {s: a[f"{s}_labels"] for s in ("train", "val", "test")}
    for (sa, ia), (sb, ib) in [(("train", 3), ("train", 5)), (("val", 2), ("val", 7)), (("test", 4), ("test", 9)),
                               (("train", 10), ("val", 0)), (("train", 11), ("test", 0)), (("val", 1), ("test", 1)),
                               (("train", 21), ("train", 20)), (("train", 23), ("train", 22)),
                               (("train", 24), ("val", 10)), (("train", 25), ("test", 10)),
                               (("train", 26), ("test", 11)), (("val", 12), ("test", 12))]:
        labels[sb][ib] = labels[sa][ia]  # copies keep their label: no conflict
    tr[31] = tr[30]                      # label conflict: same pixels ...
    tl[30], tl[31] = 0, 1                # ... different labels
    tr[35] = 0                           # blank image
    tr[36] = 117                         # another constant image, not a copy of the first
    tr[37] = 60 + (np.arange(28 * 28).reshape(28, 28) % 3).astype(np.uint8)  # nearly blank: 3 grey levels
    path = write_official(tmp_path_factory.mktemp("planted") / "breastmnist.npz", a)
    return path, audit("breastmnist", file=path)


def test_exact_duplicates_within_and_across_every_pair_of_splits(planted_2d):
    _, report = planted_2d
    assert _exact_sets(report) == {
        frozenset({"train-000003", "train-000005"}),
        frozenset({"val-000002", "val-000007"}),
        frozenset({"test-000004", "test-000009"}),
        frozenset({"train-000010", "val-000000"}),
        frozenset({"train-000011", "test-000000"}),
        frozenset({"val-000001", "test-000001"}),
        frozenset({"train-000026", "test-000011"}),
        frozenset({"train-000030", "train-000031"}),
    }
    e = report["exact_duplicates"]
    assert e["within_split"] == {"train": 2, "val": 1, "test": 1}
    assert e["cross_split"] == {"train-val": 1, "train-test": 2, "val-test": 1}


def test_near_duplicates_under_each_planted_change(planted_2d):
    _, report = planted_2d
    assert _near_sets(report) == {
        frozenset({"train-000020", "train-000021"}),  # brightness +3
        frozenset({"train-000022", "train-000023"}),  # contrast x1.05
        frozenset({"train-000024", "val-000010"}),    # shift
        frozenset({"train-000025", "test-000010"}),   # JPEG
        frozenset({"val-000012", "test-000012"}),     # vertical shift
    }
    shifts = {frozenset(p["ids"]): p["shift"] for p in report["near_duplicates"]["pairs"]}
    assert shifts[frozenset({"train-000024", "val-000010"})] in ([0, 1], [0, -1])
    assert report["near_duplicates"]["cross_split"] == {"train-val": 1, "train-test": 1, "val-test": 1}


def test_label_conflict_blank_images_and_leak_free_ids(planted_2d):
    _, report = planted_2d
    assert report["label_conflicts"] == [
        {"match": "exact", "ids": ["train-000030", "train-000031"], "labels": [0, 1]}
    ]
    kinds = {d["id"]: d["kind"] for d in report["degenerate"]}
    assert kinds == {"train-000035": "constant", "train-000036": "constant", "train-000037": "nearly_blank"}
    assert report["leak_free"]["test_exclude"] == ["test-000000", "test-000001", "test-000010", "test-000011",
                                                   "test-000012"]
    assert report["leak_free"]["val_exclude"] == ["val-000000", "val-000010"]


def test_report_is_versioned_and_says_the_file_is_not_official(planted_2d):
    path, report = planted_2d
    assert report["schema_version"] == SCHEMA_VERSION
    assert report["source"]["official"] is False and "NOT the official release" in report["source"]["note"]
    assert report["splits"]["train"]["count"] == 40
    assert sum(report["splits"]["test"]["class_counts"].values()) == 20
    md = render_markdown(report)
    assert "`train-000030`, `train-000031`" in md and "NOT the official release" in md


@pytest.mark.parametrize("kind", ["smooth", "noise"])
def test_no_finding_on_files_of_distinct_images(tmp_path, kind):
    if kind == "smooth":
        path = write_official(tmp_path / "retinamnist.npz", official_arrays("retinamnist", 28, ROWS, seed=2))
    else:
        path = write_synthetic(tmp_path, "retinamnist", 28, ROWS)  # the project's fixtures: i.i.d. noise
    report = audit("retinamnist", file=path)
    assert _no_findings(report) == {}
    assert report["leak_free"] == {"val_exclude": [], "test_exclude": []}


def test_3d_volumes_exact_near_shift_and_blank(tmp_path):
    rows = {"train": 16, "val": 8, "test": 8}
    a = official_arrays("vesselmnist3d", 28, rows, seed=3)
    tr, te = a["train_images"], a["test_images"]
    te[0] = tr[1]                          # exact, train-test
    te[1] = brighter(tr[2])                # near: brightness
    te[2] = shifted(tr[3], axis=2)         # near: one-voxel shift
    tr[10] = 0                             # blank volume
    tr[11] = 0
    tr[11][14, 14, 14] = 255               # nearly blank: one voxel
    report = audit("vesselmnist3d", file=write_official(tmp_path / "vesselmnist3d.npz", a))
    assert _exact_sets(report) == {frozenset({"train-000001", "test-000000"})}
    assert _near_sets(report) == {frozenset({"train-000002", "test-000001"}), frozenset({"train-000003", "test-000002"})}
    assert {d["id"]: d["kind"] for d in report["degenerate"]} == {"train-000010": "constant",
                                                                  "train-000011": "nearly_blank"}
    assert report["leak_free"]["test_exclude"] == ["test-000000", "test-000001", "test-000002"]


def test_chestmnist_compares_the_whole_label_vector_and_counts_cooccurrence(tmp_path):
    a = official_arrays("chestmnist", 28, ROWS, seed=4)
    tr, tl = a["train_images"], a["train_labels"]
    tr[3] = tr[2]
    tl[3] = tl[2]                           # same image, same 14 labels: a duplicate, no conflict
    tr[6] = tr[5]
    tl[6] = tl[5]
    tl[6, 13] = 1 - tl[5, 13]               # same image, one finding differs: a conflict
    report = audit("chestmnist", file=write_official(tmp_path / "chestmnist.npz", a))
    assert [c["ids"] for c in report["label_conflicts"]] == [["train-000005", "train-000006"]]
    train = report["splits"]["train"]
    expected = tl.astype(int).T @ tl.astype(int)
    assert train["label_cooccurrence"] == expected.tolist()
    assert list(train["label_counts"].values()) == tl.sum(axis=0).tolist()
    assert train["no_finding"] == int((tl.sum(axis=1) == 0).sum())


def test_cli_writes_json_and_markdown(planted_2d, tmp_path, capsys):
    path, report = planted_2d
    rc = main(["audit", "breastmnist", "--file", str(path), "--out-dir", str(tmp_path / "out"), "--num-proc", "1"])
    assert rc == 0
    written = json.loads((tmp_path / "out" / "breastmnist.json").read_text())
    assert written["summary"] == report["summary"]
    assert (tmp_path / "out" / "breastmnist.md").read_text().startswith("# Data audit: `breastmnist`")
    assert "test ids to exclude 5" in capsys.readouterr().out


@pytest.mark.parametrize("argv, words", [
    (["audit", "notamnist"], "unknown MedMNIST subset 'notamnist'"),
    (["audit", "breastmnist", "--file", "/no/such/file.npz"], "--file /no/such/file.npz: no such file"),
    (["audit", "breastmnist", "--near", "1.5"], "--near '1.5' is out of range"),
    (["audit", "breastmnist", "--near", "high"], "--near 'high' is not a number"),
    (["audit", "breastmnist", "retinamnist", "--file", "x.npz"], "give exactly one CONFIG"),
])
def test_bad_inputs_are_one_line_errors(argv, words, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err


def test_a_file_in_the_wrong_layout_is_refused_with_its_name(tmp_path, capsys):
    path = write_synthetic(tmp_path, "retinamnist", 28, ROWS)  # RGB file given for a grey subset
    assert main(["audit", "breastmnist", "--file", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "train_images" in err and err.count("\n") == 1
