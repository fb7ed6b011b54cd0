"""Paper reference rows, aggregation into 2D/3D boards, and the static renderings."""

from __future__ import annotations

import csv
import html.parser
import json
import statistics
from dataclasses import replace

import pytest
from leaderboard_support import REPO, reference_table_or_skip

from medmnist_hub.catalog import SUBSETS_2D, SUBSETS_3D, get_subset
from medmnist_hub.leaderboard.aggregate import LeaderboardError, build_leaderboard
from medmnist_hub.leaderboard.paper import paper_records, table_text
from medmnist_hub.leaderboard.render import to_html, to_json_text, to_markdown
from medmnist_hub.results.records import make_record, read_records


def _published(name: str) -> dict[tuple[str, str], tuple[float, float]]:
    """Parse a paper TSV independently of the package's parser: (method, subset) -> (auc, acc)."""
    rows = list(csv.reader(table_text(name).splitlines(), delimiter="\t"))
    header, out = rows[0], {}
    for row in rows[1:]:
        for i in range(1, len(header), 2):
            subset = header[i][: -len("_AUC")].lower()
            out[(row[0], subset)] = (float(row[i]), float(row[i + 1]))
    return out


PUBLISHED = {**_published("paper_table3_2d.tsv"), **_published("paper_table4_3d.tsv")}


def test_package_tables_are_the_reference_copy():
    for name in ("paper_table3_2d.tsv", "paper_table4_3d.tsv"):
        assert table_text(name) == reference_table_or_skip(name).read_text("utf-8")


def test_a_missing_reference_copy_fails_under_ci_and_skips_otherwise(tmp_path, monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true requires it"):
        reference_table_or_skip("paper_table3_2d.tsv", tmp_path)
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception, match="not present"):
        reference_table_or_skip("paper_table3_2d.tsv", tmp_path)


def test_paper_records_reproduce_every_published_value():
    recs = paper_records()
    assert len(recs) == 7 * 12 + 8 * 6 == len(PUBLISHED)
    for r in recs:
        assert r.model.reference is True and r.dataset.data_version == "MedMNIST v2.0"
        assert (r.metrics.auc, r.metrics.acc) == PUBLISHED[(r.model.name, r.dataset.subset)]


def test_results_paper_folder_equals_the_generator():
    on_disk = read_records(REPO / "results" / "paper")
    key = lambda r: (r.model.id, r.dataset.config)  # noqa: E731
    assert sorted(on_disk, key=key) == sorted(paper_records(), key=key)


def test_paper_means_reproduce_tables_5_and_6():
    lb = build_leaderboard(paper_records())
    rows2d = {r.name: r for r in lb.rows("2d")}
    rows3d = {r.name: r for r in lb.rows("3d")}
    # The values the paper prints (Tables 5 and 6), from the per-dataset values.
    assert round(rows2d["ResNet-18 (28)"].mean("auc"), 3) == 0.922
    assert round(rows2d["ResNet-18 (28)"].mean("acc"), 3) == 0.819
    assert round(rows3d["ResNet-50 + 3D"].mean("auc"), 3) == 0.863
    assert round(rows3d["ResNet-50 + 3D"].mean("acc"), 3) == 0.780
    # Every mean is the unweighted mean of the published values over the group.
    for rows, subsets in ((rows2d, SUBSETS_2D), (rows3d, SUBSETS_3D)):
        for name, row in rows.items():
            assert row.complete and row.reference and row.rank is None
            assert row.mean("auc") == pytest.approx(statistics.fmean(PUBLISHED[(name, s)][0] for s in subsets))
            assert row.mean("acc") == pytest.approx(statistics.fmean(PUBLISHED[(name, s)][1] for s in subsets))
    assert set(rows2d) == {r[0] for r in PUBLISHED if r[1] in SUBSETS_2D}
    # auto-sklearn and AutoKeras appear in both tables: one model, complete on both boards.
    assert "auto-sklearn" in rows2d and "auto-sklearn" in rows3d
    assert [r.name for r in lb.rows("3d")][:1] == ["ResNet-50 + 3D"]


def _model(model_id, subsets, auc=0.9, acc=0.8, **kw):
    return [
        make_record(model_id=model_id, config=s, auc=auc, acc=acc, created="2025-01-01", source="test", **kw)
        for s in subsets
    ]


def test_incomplete_models_get_no_mean_and_no_rank():
    recs = (
        _model("a/complete-best", SUBSETS_2D, auc=0.95, acc=0.85)
        + _model("b/complete-worse", SUBSETS_2D, auc=0.92, acc=0.90)
        + _model("c/partial", SUBSETS_2D[:5], auc=0.99, acc=0.99)  # would win, but has holes
        + _model("d/three-d", SUBSETS_3D)
        + paper_records()
    )
    lb = build_leaderboard(recs)
    rows = lb.rows("2d")
    ranked = [(r.rank, r.model_id) for r in rows if r.rank is not None]
    assert ranked == [(1, "a/complete-best"), (2, "b/complete-worse")]
    partial = next(r for r in rows if r.model_id == "c/partial")
    assert partial.mean("auc") is None and not partial.complete and len(partial.missing) == 7
    assert rows[-1] is partial  # listed after every complete row
    # Reference rows are placed by score but carry no rank.
    names = [r.model_id for r in rows]
    assert names.index("a/complete-best") < names.index("medmnist-v2-paper/google-automl-vision")
    assert names.index("b/complete-worse") > names.index("medmnist-v2-paper/resnet-18-28")
    assert [r.model_id for r in lb.rows("3d") if r.rank is not None] == ["d/three-d"]
    # Sorting by ACC reverses the two complete models.
    by_acc = build_leaderboard(recs, sort_by="acc")
    assert [r.model_id for r in by_acc.rows("2d") if r.rank == 1] == ["b/complete-worse"]


def test_ties_share_a_rank_and_boards_are_per_split_and_size():
    recs = _model("x/one", SUBSETS_2D) + _model("y/two", SUBSETS_2D) + _model("z/val", SUBSETS_2D, split="val")
    recs += [make_record(model_id="x/one", config="bloodmnist_64", auc=0.5, acc=0.5, created="2025-01-01")]
    lb = build_leaderboard(recs, include_reference=False)
    assert [(r.rank, r.model_id) for r in lb.rows("2d")] == [(1, "x/one"), (1, "y/two")]
    assert [r.model_id for r in build_leaderboard(recs, split="val").rows("2d")] == ["z/val"]
    board64 = build_leaderboard(recs, size=64)
    assert [(r.model_id, r.complete) for r in board64.rows("2d")] == [("x/one", False)]


def test_conflicting_records_are_errors():
    a = _model("m/x", ["bloodmnist"])
    with pytest.raises(LeaderboardError, match="two records"):
        build_leaderboard(a + a)
    b = _model("m/x", ["pathmnist"], model_name="Other name")
    with pytest.raises(LeaderboardError, match="described differently"):
        build_leaderboard(a + b)


def test_partial_test_sets_are_flagged():
    recs = _model("m/x", ["breastmnist"], n_examples=100)
    row = build_leaderboard(recs).rows("2d")[0]
    assert row.warnings == ["breastmnist: evaluated on 100 of the 156 examples of the official test split (not ranked)"]
    assert row.partial == ["breastmnist"] and row.rank is None


class _Cells(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables, self._row, self._cell = [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self._row.append(self._cell)
            self._cell = None
        elif tag == "tr":
            self.tables[-1].append(self._row)

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def test_renderings_agree_with_the_board():
    recs = _model("a/model", SUBSETS_2D, auc=0.95, acc=0.85) + _model("c/partial", SUBSETS_2D[:3]) + paper_records()
    lb = build_leaderboard(recs)
    md = to_markdown(lb)
    assert "| 1 | a/model |  | 0.950 | 0.850 | 12/12 | complete |" in md
    assert "| incomplete | c/partial |  | — | — | 3/12 | incomplete: 3/12 datasets |" in md
    assert "| ref | ResNet-18 (28) † | 28 | 0.922 | 0.819 | 12/12 | paper (MedMNIST v2.0 data) |" in md
    parser = _Cells()
    parser.feed(to_html(lb))
    summary2d, datasets2d, summary3d, datasets3d = parser.tables
    assert summary2d[0][:5] == ["Rank", "Model", "Protocol", "Mean AUC", "Mean ACC"]
    assert summary2d[1][:5] == ["1", "a/model", "", "0.950", "0.850"]
    assert summary2d[2][:5] == ["ref", "Google AutoML Vision †", "", "0.927", "0.809"]
    assert ["1", "a/model", "", "0.950", "0.850", "12/12", "complete"] in summary2d
    resnet = next(r for r in datasets2d if r[0] == "ResNet-18 (28) †")
    assert resnet[1:3] == ["0.983", "0.907"] and datasets2d[0][1] == "PathMNIST AUC"
    data = json.loads(to_json_text(lb))
    top = data["boards"]["2d"][1]
    assert top["model"]["name"] == "Google AutoML Vision" and top["rank"] is None and top["model"]["reference"]
    assert data["boards"]["2d"][-1]["mean"] is None and data["boards"]["2d"][-1]["missing"] == list(SUBSETS_2D[3:])
    assert get_subset("pathmnist").name in datasets2d[0][1]
    assert len(summary3d) == 9 and len(datasets3d[0]) == 1 + 2 * 6


def test_cli_build_reads_a_results_tree_with_the_paper_folder_once(tmp_path):
    from medmnist_hub.cli import main
    from medmnist_hub.results.records import write_record

    results = tmp_path / "results"
    (results / "paper").mkdir(parents=True)
    for rec in paper_records():  # as in the repo: results/paper/ next to the baselines
        write_record(rec, results / "paper")
    for rec in _model("lab/resnet18-28", SUBSETS_2D, auc=0.93, acc=0.83):
        write_record(rec, results / "baseline")
    (results / "baseline" / "summary.json").write_text('{"not": "a record"}')
    assert main(["leaderboard", "build", "--records", str(results), "--out", str(tmp_path / "site")]) == 0
    data = json.loads((tmp_path / "site" / "leaderboard.json").read_text())
    names = [r["model"]["name"] for r in data["boards"]["2d"]]
    assert names.count("ResNet-18 (28)") == 1 and len(names) == 8
    assert data["boards"]["2d"][0]["model"]["id"] == "lab/resnet18-28" and data["boards"]["2d"][0]["rank"] == 1
    assert (tmp_path / "site" / "leaderboard.md").read_text().startswith("MedMNIST leaderboard")
    assert "<table" in (tmp_path / "site" / "leaderboard.html").read_text()
    assert main(["leaderboard", "build", "--records", str(results), "--no-paper", "--out", str(tmp_path / "s2")]) == 0
    # --no-paper leaves out every reference row, the built-in ones and those read from results/paper.
    data2 = json.loads((tmp_path / "s2" / "leaderboard.json").read_text())
    assert [r["model"]["id"] for r in data2["boards"]["2d"]] == ["lab/resnet18-28"] and data2["boards"]["3d"] == []


def test_per_dataset_checkpoints_of_one_method_form_one_row():
    # The paper's protocol: one network per dataset, 12 Hub repos, one leaderboard row.
    recs = [
        make_record(
            model_id=f"lab/resnet18-28-{s}",
            method="lab/resnet18-28",
            model_name="ResNet-18 (28) [lab]",
            config=s,
            auc=0.9,
            acc=0.8,
            url=f"https://hub.example/lab/resnet18-28-{s}",
            created="2025-01-01",
        )
        for s in SUBSETS_2D
    ]
    (row,) = build_leaderboard(recs).rows("2d")
    assert row.model_id == "lab/resnet18-28" and row.complete and row.rank == 1 and row.url is None
    assert row.scores["bloodmnist"].model_id == "lab/resnet18-28-bloodmnist"
    assert row.scores["bloodmnist"].url == "https://hub.example/lab/resnet18-28-bloodmnist"
    # Without the method, the same records are 12 incomplete rows.
    recs = [replace(r, model=replace(r.model, method=None)) for r in recs]
    assert [r.complete for r in build_leaderboard(recs).rows("2d")] == [False] * 12
    twice = [
        replace(recs[0], model=replace(recs[0].model, id="lab/x", method="m")),
        replace(recs[0], model=replace(recs[0].model, id="lab/y", method="m")),
    ]
    with pytest.raises(LeaderboardError, match="two results for 'm' on config 'pathmnist'"):
        build_leaderboard(twice)


def test_cli_split_validation_is_the_val_board(tmp_path):
    from medmnist_hub.cli import main
    from medmnist_hub.results.records import write_record

    for rec in _model("lab/val-only", SUBSETS_2D, auc=0.91, acc=0.81, split="val"):
        write_record(rec, tmp_path / "results")
    args = ["leaderboard", "build", "--records", str(tmp_path / "results"), "--no-paper"]
    assert main([*args, "--split", "validation", "--out", str(tmp_path / "val")]) == 0
    assert main([*args, "--out", str(tmp_path / "test")]) == 0
    val = json.loads((tmp_path / "val" / "leaderboard.json").read_text())["boards"]["2d"]
    test = json.loads((tmp_path / "test" / "leaderboard.json").read_text())["boards"]["2d"]
    assert [r["model"]["id"] for r in val] == ["lab/val-only"] and val[0]["rank"] == 1
    assert test == []
