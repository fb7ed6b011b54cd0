"""The README's generated blocks, rewritten from ``results/``.

    python -m medmnist_hub.readme_tables README.md

Each ``<!-- results-table:NAME -->`` ... ``<!-- /results-table -->`` block of the README is
rendered from the committed result files: the baselines and experiments tables by
:mod:`medmnist_hub.training.report`, the leaderboard by :mod:`medmnist_hub.leaderboard`.
It sits above both (like :mod:`medmnist_hub.cli`), so neither producer depends on the other,
and a test checks that the README holds exactly what this renders.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from .training.report import summaries_table


def leaderboard_markdown(records_dir: Path) -> str:
    """The default board (test split, 28 px, paper rows) of ``records_dir``: ``leaderboard show --records DIR``."""
    from .leaderboard.board import board_from_sources
    from .leaderboard.render import to_markdown

    return to_markdown(board_from_sources([records_dir]))


#: README blocks ``<!-- results-table:NAME -->`` ... ``<!-- /results-table -->``: the folder each
#: shows and how it is rendered.
README_TABLES = {
    "baselines": ("results/baselines", summaries_table),
    "experiments": ("results/experiments", summaries_table),
    "leaderboard": ("results", leaderboard_markdown),
}


def readme_block(name: str, root: Path = Path(".")) -> str:
    folder, render = README_TABLES[name]
    return render(root / folder)


def update_readme(readme: Path, root: Path = Path(".")) -> None:
    """Rewrite every results block of ``readme`` from the result files under ``root``."""
    from .atomic import atomic_write_text

    text = readme.read_text()
    for name in README_TABLES:
        pattern = re.compile(rf"(<!-- results-table:{name} -->\n).*?(<!-- /results-table -->)", re.S)
        if not pattern.search(text):
            raise ValueError(f"{readme} has no <!-- results-table:{name} --> block")
        text = pattern.sub(lambda m, name=name: m.group(1) + readme_block(name, root) + m.group(2), text)
    atomic_write_text(readme, text)


if __name__ == "__main__":
    update_readme(Path(sys.argv[1] if len(sys.argv) > 1 else "README.md"))
