"""Files the leaderboard writes appear whole or not at all, and unchanged ones are not rewritten.

Both go through ``medmnist_hub.atomic``: a reader holding the previous file keeps reading
a whole previous file, a rebuild with the same inputs leaves every file as it was (same
inode and mtime, so a publish sends nothing), and no temporary file is left behind.
"""

from __future__ import annotations

import json

from medmnist_hub.catalog import SUBSETS_2D
from medmnist_hub.cli import main
from medmnist_hub.publish.leaderboard_space import write_space
from medmnist_hub.results.records import make_record, write_record


def _stat(paths):
    return {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in paths}


def test_write_space_rewrites_only_what_changed_and_drops_stale_records(tmp_path):
    records = tmp_path / "records"
    recs = [make_record(model_id="lab/m", config=s, auc=0.9, acc=0.8, created="2025-01-01") for s in SUBSETS_2D]
    for r in recs:
        write_record(r, records)
    space = write_space(tmp_path / "space", record_paths=[records])
    files = sorted(p for p in space.rglob("*") if p.is_file())
    before = _stat(files)
    assert len([p for p in files if p.parent.name == "records"]) == 12

    # The same inputs again: no file is replaced (same inode, same mtime), so a publish sends nothing.
    write_space(tmp_path / "space", record_paths=[records])
    assert _stat(files) == before

    # A reader holding the old card keeps reading a whole old card while it is replaced.
    readme = space / "README.md"
    with open(readme, encoding="utf-8") as old:
        write_space(tmp_path / "space", record_paths=[records], title="Another Title")
        assert "# MedMNIST Leaderboard" in old.read()
    assert "# Another Title" in readme.read_text()

    # A record no longer given is gone from the Space; the others are untouched.
    (records / "lab--m__pathmnist__test.json").unlink()
    write_space(tmp_path / "space", record_paths=[records])
    kept = sorted(p.name for p in (space / "records").iterdir())
    assert len(kept) == 11 and "lab--m__pathmnist__test.json" not in kept
    assert not [p for p in space.rglob(".*.tmp")]
    assert json.loads((space / "records" / kept[0]).read_text())["model"]["id"] == "lab/m"


def test_leaderboard_build_replaces_its_outputs_atomically(tmp_path):
    records = tmp_path / "records"
    for s in SUBSETS_2D:
        write_record(make_record(model_id="lab/a", config=s, auc=0.9, acc=0.8, created="2025-01-01"), records)
    site = tmp_path / "site"
    args = ["leaderboard", "build", "--records", str(records), "--out", str(site), "--no-paper"]
    assert main(args) == 0
    outputs = [site / n for n in ("leaderboard.md", "leaderboard.html", "leaderboard.json")]
    before = _stat(outputs)
    assert main(args) == 0
    assert _stat(outputs) == before  # same inputs: nothing rewritten

    write_record(make_record(model_id="lab/b", config="bloodmnist", auc=0.5, acc=0.5, created="2025-01-01"), records)
    with open(site / "leaderboard.json", encoding="utf-8") as old:
        assert main(args) == 0
        assert [r["model"]["id"] for r in json.loads(old.read())["boards"]["2d"]] == ["lab/a"]
    assert [r["model"]["id"] for r in json.loads((site / "leaderboard.json").read_text())["boards"]["2d"]] == [
        "lab/a",
        "lab/b",
    ]
    assert sorted(p.name for p in site.iterdir()) == ["leaderboard.html", "leaderboard.json", "leaderboard.md"]
