"""Read result records from Hub model repos: their ``.eval_results`` (or, failing that, ``model-index``).

``discover_models`` asks the benchmark dataset's Hub leaderboard which models submitted
results (``HfApi.get_dataset_leaderboard``); ``hub_records`` downloads each model's
eval-result files and turns the entries for our benchmark into records.  The endpoint is
``HF_ENDPOINT`` unless given, so a mirror or a local stand-in works the same way.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable

from .hub_format import METRICS, MODEL_INDEX_METRIC_TYPES, records_from_eval_results
from .records import make_record

log = logging.getLogger(__name__)


def _endpoint(endpoint: str | None) -> str:
    from huggingface_hub import constants

    return (endpoint or os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")


def discover_models(benchmark: str, *, endpoint: str | None = None) -> list[str]:
    """Model ids with results on the benchmark's Hub leaderboard (derivatives included)."""
    from huggingface_hub import HfApi

    entries = HfApi(endpoint=_endpoint(endpoint)).get_dataset_leaderboard(benchmark, base_model_only=False)
    return list(dict.fromkeys(e.model_id for e in entries))


def _from_model_index(card_data, *, model_id: str, benchmark: str, url: str) -> list[dict]:
    by_config: dict[tuple[str, str], dict[str, float]] = {}
    reverse = {v: k for k, v in MODEL_INDEX_METRIC_TYPES.items()}
    for r in card_data.eval_results or []:
        if r.dataset_type != benchmark or r.metric_type not in reverse or not r.dataset_config:
            continue
        by_config.setdefault((r.dataset_config, r.dataset_split or "test"), {})[reverse[r.metric_type]] = float(
            r.metric_value
        )
    out = []
    for (config, split), metrics in sorted(by_config.items()):
        if set(metrics) == set(METRICS):
            out.append(
                make_record(
                    model_id=model_id,
                    config=config,
                    split=split,
                    auc=metrics["auc"],
                    acc=metrics["acc"],
                    url=url,
                    n_examples=None,
                    source=f"Hub model-index ({model_id}/README.md)",
                )
            )
    return out


def hub_records(
    model_ids: Iterable[str], *, benchmark: str, endpoint: str | None = None, revision: str | None = None
) -> list[dict]:
    """Records of the given Hub models on ``benchmark``.

    A model's ``.eval_results/*.yaml`` files are read; a model without any falls back to
    the ``model-index`` of its card.  A config reported twice keeps the first entry (in
    file-name order) with a warning.
    """
    from huggingface_hub import HfApi, ModelCard, hf_hub_download

    endpoint = _endpoint(endpoint)
    api = HfApi(endpoint=endpoint)
    records: list[dict] = []
    for model_id in model_ids:
        url = f"{endpoint}/{model_id}"
        files = sorted(
            f
            for f in api.list_repo_files(model_id, revision=revision)
            if f.startswith(".eval_results/") and f.endswith((".yaml", ".yml"))
        )
        found: dict[tuple[str, str], dict] = {}
        for f in files:
            path = hf_hub_download(model_id, f, revision=revision, endpoint=endpoint)
            text = open(path, encoding="utf-8").read()
            for rec in records_from_eval_results(
                text, model_id=model_id, benchmark=benchmark, where=f"{model_id}/{f}", url=url
            ):
                key = (rec["dataset"]["config"], rec["dataset"]["split"])
                if key in found:
                    log.warning("%s: %s reported twice; keeping the first", model_id, key[0])
                    continue
                found[key] = rec
        if not files and "README.md" in api.list_repo_files(model_id, revision=revision):
            readme = hf_hub_download(model_id, "README.md", revision=revision, endpoint=endpoint)
            card = ModelCard.load(readme, ignore_metadata_errors=True)
            for rec in _from_model_index(card.data, model_id=model_id, benchmark=benchmark, url=url):
                found[(rec["dataset"]["config"], rec["dataset"]["split"])] = rec
        if not found:
            log.warning("%s has no results for %s", model_id, benchmark)
        records += list(found.values())
    return records
