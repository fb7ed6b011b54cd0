"""A real HTTP server on 127.0.0.1 that speaks the Hugging Face Hub's *write* API.

``huggingface_hub``'s own client (``create_repo``, ``create_branch``, ``upload_folder``,
``create_commit``, ``list_repo_tree``, ``repo_info``) talks to it exactly as to the Hub:

- ``POST /api/repos/create``                                  (409 when it exists)
- ``POST /api/validate-yaml``                                 (card metadata, checked as the Hub checks it)
- ``POST /api/{type}s/{org}/{name}/preupload/{rev}``          (upload mode + remote oid per file)
- ``POST /{prefix}{org}/{name}.git/info/lfs/objects/batch``   (git-LFS batch API, basic transfer)
- ``PUT  /lfs-objects/{type}/{org}/{name}/{oid}``             (the LFS upload URL handed out)
- ``POST /lfs-verify/{type}/{org}/{name}/{oid}``              (LFS verify action)
- ``POST /api/{type}s/{org}/{name}/commit/{rev}``             (NDJSON commit: file, lfsFile, deletedFile,
                                                               deletedFolder; ``?create_pr=1`` opens refs/pr/N)
- ``POST /api/{type}s/{org}/{name}/branch/{branch}``          (create a branch)
- ``GET  /api/{type}s/{org}/{name}[/revision/{rev}]``         (repo info)
- ``GET  /api/{type}s/{org}/{name}/tree/{rev}[/{path}]``      (list files, with LFS info)
- ``GET  /{prefix}{org}/{name}/resolve/{rev}/{path}``         (a file, for ``hf_hub_download``; HEAD too)
- ``GET  /api/datasets/{org}/{name}/leaderboard``             (eval results of stored model repos for a benchmark,
                                                               ``?base_model=false`` for derivatives too)

Pushes are checked as the Hub checks them, from its published specifications (see "what the Hub
checks on push" below: card metadata, ``eval.yaml``, ``.eval_results``); a refused commit writes
nothing and answers 400 with the reason, as ``/api/validate-yaml`` does for a card.

Commits land in real git repositories under ``root/{models,datasets,spaces}/{org}/{name}``:
LFS files as git-LFS pointer blobs with their bytes under ``.git/lfs/objects/``, the layout
a git-LFS clone has and the one the ``olah`` mirror serves, so what was uploaded can be read
back with ``load_dataset`` / ``hf_hub_download`` through the mirror.

The Hub's Xet storage protocol is not spoken: clients must run with ``HF_HUB_DISABLE_XET=1``
so that large files go through git-LFS (the server says so in a 501 if one tries).

Write endpoints require ``Authorization: Bearer <token>`` equal to ``server.token``.  Every
request is recorded (method, path, status, body size, whether it was authorised, never
the token itself), and faults can be queued to cut a connection in the middle of a
request body or after a commit was applied, to test resumption:

    server.add_fault("PUT", r"/lfs-objects/", cut_after=4096)   # read 4 KiB of the body, then drop
    server.add_fault("POST", r"/commit/", apply_then_cut=True)  # commit, then drop before answering
    server.add_fault("POST", r"/preupload/", status=503)
"""

from __future__ import annotations

import base64
import datetime as _dt
import fnmatch
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

REPO_TYPES = {"models": "model", "datasets": "dataset", "spaces": "space"}
URL_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}
LFS_POINTER = "version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {size}\n"
_POINTER_RE = re.compile(rb"^version https://git-lfs\.github\.com/spec/v1\noid sha256:([0-9a-f]{64})\nsize (\d+)\n$")
#: Patterns stored with git-LFS from the first commit on, as a new Hub repo's .gitattributes does.
DEFAULT_GITATTRIBUTES = "".join(
    f"{p} filter=lfs diff=lfs merge=lfs -text\n"
    for p in ("*.parquet", "*.arrow", "*.safetensors", "*.bin", "*.pt", "*.npz", "*.npy", "*.png", "*.jpg", "*.zip")
)
GIT_ENV = {
    "GIT_AUTHOR_NAME": "hub-upload-server",
    "GIT_AUTHOR_EMAIL": "server@127.0.0.1",
    "GIT_COMMITTER_NAME": "hub-upload-server",
    "GIT_COMMITTER_EMAIL": "server@127.0.0.1",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


# ------------------------------------------------------------------------ what the Hub checks on push
# Each rule below names the published file it comes from (hub-docs at 242f4a1, huggingface.js at
# fe42e68, huggingface_hub 2.4.0).  The lists are facts copied from those files; each rule has a
# test in tests/publish/test_hub_contracts.py that feeds it a wrong file and our own file.

#: hub-docs ``docs/hub/eval-results.md`` ("evaluation_framework ... an enumerable which the Hugging Face
#: team maintains") -> huggingface.js ``packages/tasks/src/eval.ts``: the keys of ``EVALUATION_FRAMEWORKS``.
EVALUATION_FRAMEWORKS = (
    "exgentic", "inspect-ai", "math-arena", "mteb", "olmocr-bench", "harbor", "ifstruct", "pier", "redline-bench",
    "archipelago", "benchflow", "apex-evals", "screenspot-pro", "swe-bench", "swe-bench-pro", "nemo-evaluator",
    "yc-bench", "open-asr-leaderboard", "mdpbench", "real5-omnidocbench", "parsebench", "video-mme-v2", "claw-eval",
    "researchclawbench", "pbench", "wildclawbench", "wbench", "nanofold", "mmmu", "extractbench",
)  # fmt: skip
#: hub-docs ``docs/hub/repositories-licenses.md`` (the "licenses" region): the ids a card's ``license`` may take
#: (the same list as huggingface.js ``packages/hub/src/types/public.ts``, type ``License``).
LICENSE_IDS = frozenset((
    "apache-2.0", "mit", "openrail", "bigscience-openrail-m", "creativeml-openrail-m", "bigscience-bloom-rail-1.0",
    "bigcode-openrail-m", "afl-3.0", "artistic-2.0", "bsl-1.0", "bsd", "bsd-2-clause", "bsd-3-clause",
    "bsd-3-clause-clear", "c-uda", "cc", "cc0-1.0", "cc-by-2.0", "cc-by-2.5", "cc-by-3.0", "cc-by-4.0", "cc-by-sa-3.0",
    "cc-by-sa-4.0", "cc-by-nc-2.0", "cc-by-nc-3.0", "cc-by-nc-4.0", "cc-by-nd-4.0", "cc-by-nc-nd-3.0",
    "cc-by-nc-nd-4.0", "cc-by-nc-sa-2.0", "cc-by-nc-sa-3.0", "cc-by-nc-sa-4.0", "cdla-sharing-1.0",
    "cdla-permissive-1.0", "cdla-permissive-2.0", "wtfpl", "ecl-2.0", "epl-1.0", "epl-2.0", "etalab-2.0", "eupl-1.1",
    "eupl-1.2", "agpl-3.0", "gfdl", "gpl", "gpl-2.0", "gpl-3.0", "lgpl", "lgpl-2.1", "lgpl-3.0", "isc", "h-research",
    "intel-research", "lppl-1.3c", "ms-pl", "apple-ascl", "apple-amlr", "mpl-2.0", "odc-by", "odbl", "openmdw-1.0",
    "openmdw-1.1", "openrail++", "osl-3.0", "postgresql", "ofl-1.1", "ncsa", "unlicense", "zlib", "pddl", "lgpl-lr",
    "deepfloyd-if-license", "fair-noncommercial-research-license", "llama2", "llama3", "llama3.1", "llama3.2",
    "llama3.3", "llama4", "grok2-community", "gemma", "unknown", "other",
))  # fmt: skip
#: hub-docs ``datasetcard.md`` (``size_categories``, "Example: n<1K, 100K<n<1M, …"); the full list is
#: datasets ``src/datasets/utils/resources/size_categories.json``.
SIZE_CATEGORIES = (
    "unknown", "n<1K", "1K<n<10K", "10K<n<100K", "100K<n<1M", "1M<n<10M", "10M<n<100M", "100M<n<1B", "1B<n<10B",
    "10B<n<100B", "100B<n<1T", "n>1T",
)  # fmt: skip
#: hub-docs ``datasetcard.md`` (``task_categories``: "Full list at ... huggingface.js/.../pipelines.ts"):
#: the keys of ``PIPELINE_DATA`` in huggingface.js ``packages/tasks/src/pipelines.ts`` (also a model's
#: ``pipeline_tag``, hub-docs ``modelcard.md``).
PIPELINE_TYPES = frozenset((
    "text-classification", "token-classification", "table-question-answering", "question-answering",
    "zero-shot-classification", "translation", "summarization", "feature-extraction", "text-generation", "fill-mask",
    "sentence-similarity", "text-to-speech", "text-to-audio", "automatic-speech-recognition", "audio-to-audio",
    "audio-classification", "audio-text-to-text", "voice-activity-detection", "depth-estimation",
    "image-classification", "object-detection", "image-segmentation", "text-to-image", "image-to-text",
    "image-to-image", "image-to-video", "unconditional-image-generation", "video-classification",
    "reinforcement-learning", "robotics", "tabular-classification", "tabular-regression", "tabular-to-text",
    "table-to-text", "multiple-choice", "text-ranking", "text-retrieval", "time-series-forecasting", "text-to-video",
    "image-text-to-text", "image-text-to-image", "image-text-to-video", "visual-question-answering",
    "document-question-answering", "zero-shot-image-classification", "graph-ml", "mask-generation",
    "zero-shot-object-detection", "text-to-3d", "image-to-3d", "image-feature-extraction", "video-text-to-text",
    "keypoint-detection", "visual-document-retrieval", "any-to-any", "video-to-video", "other",
))  # fmt: skip
#: The ``subtasks[].type`` values of the same ``pipelines.ts``: a dataset card's ``task_ids`` (hub-docs
#: ``datasetcard.md``: "Example: ... multi-class-image-classification").
SUBTASK_TYPES = frozenset((
    "acceptability-classification", "entity-linking-classification", "fact-checking", "intent-classification",
    "language-identification", "multi-class-classification", "multi-label-classification",
    "multi-input-text-classification", "natural-language-inference", "semantic-similarity-classification",
    "sentiment-classification", "topic-classification", "semantic-similarity-scoring", "sentiment-scoring",
    "sentiment-analysis", "hate-speech-detection", "text-scoring", "named-entity-recognition", "part-of-speech",
    "parsing", "lemmatization", "word-sense-disambiguation", "coreference-resolution", "extractive-qa",
    "open-domain-qa", "closed-domain-qa", "news-articles-summarization", "news-articles-headline-generation",
    "dialogue-modeling", "dialogue-generation", "conversational", "language-modeling", "text-simplification",
    "explanation-generation", "abstractive-qa", "open-domain-abstractive-qa", "open-book-qa", "closed-book-qa",
    "text2text-generation", "slot-filling", "masked-language-modeling", "keyword-spotting", "speaker-identification",
    "audio-intent-classification", "audio-emotion-recognition", "audio-language-identification",
    "multi-label-image-classification", "multi-class-image-classification", "face-detection", "vehicle-detection",
    "instance-segmentation", "semantic-segmentation", "panoptic-segmentation", "image-captioning",
    "image-inpainting", "image-colorization", "super-resolution", "grasping", "task-planning",
    "tabular-multi-class-classification", "tabular-multi-label-classification", "tabular-single-column-regression",
    "rdf-to-text", "multiple-choice-qa", "multiple-choice-coreference-resolution", "document-retrieval",
    "utterance-retrieval", "entity-linking-retrieval", "fact-checking-retrieval",
    "univariate-time-series-forecasting", "multivariate-time-series-forecasting", "visual-question-answering",
    "document-question-answering", "pose-estimation",
))  # fmt: skip
#: hub-docs ``docs/hub/model-cards.md`` ("Specifying a base model"): the relations the Hub infers or accepts.
BASE_MODEL_RELATIONS = frozenset(("adapter", "merge", "quantized", "finetune"))
#: hub-docs ``eval_results.yaml``: the keys an ``.eval_results`` entry, its ``dataset`` and its ``source`` may have.
EVAL_RESULT_KEYS = frozenset(("dataset", "value", "verifyToken", "date", "source", "notes"))
EVAL_RESULT_DATASET_KEYS = frozenset(("id", "task_id", "revision"))
EVAL_RESULT_SOURCE_KEYS = frozenset(("url", "name", "user", "org"))
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_FRONT_MATTER = re.compile(r"^---\n(.*?)\n---\n", re.S)


def _strings(value) -> list | None:
    """``value`` as a list of strings (a card field may be one string or a list of them); None if it is neither."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
        return None
    return items


def _one_of(meta: dict, key: str, allowed, source: str) -> list[str]:
    if key not in meta or meta[key] is None:
        return []
    items = _strings(meta[key])
    if items is None:
        return [f'"{key}" must be a string or a list of strings ({source})']
    bad = [v for v in items if v not in allowed]
    return [f'"{key}" has {v!r}, which is not one of the values listed in {source}' for v in bad]


def card_metadata_errors(meta, repo_type: str) -> list[str]:
    """What the Hub refuses in a card's YAML metadata (``/api/validate-yaml`` and on commit)."""
    if meta is None:
        return []
    if not isinstance(meta, dict):
        return ["the YAML metadata must be a mapping"]
    # hub-docs docs/hub/repositories-licenses.md: a licence is one of the listed ids.
    errors = _one_of(meta, "license", LICENSE_IDS, "hub-docs docs/hub/repositories-licenses.md")
    if repo_type == "dataset":
        # hub-docs datasetcard.md -> datasets src/datasets/utils/resources/size_categories.json.
        errors += _one_of(meta, "size_categories", SIZE_CATEGORIES, "datasets utils/resources/size_categories.json")
        # hub-docs datasetcard.md -> huggingface.js packages/tasks/src/pipelines.ts (PIPELINE_DATA, subtasks).
        errors += _one_of(meta, "task_categories", PIPELINE_TYPES, "huggingface.js packages/tasks/src/pipelines.ts")
        errors += _one_of(meta, "task_ids", SUBTASK_TYPES, "huggingface.js packages/tasks/src/pipelines.ts subtasks")
    if repo_type == "model":
        # hub-docs modelcard.md: pipeline_tag is a pipelines.ts task.
        errors += _one_of(meta, "pipeline_tag", PIPELINE_TYPES, "huggingface.js packages/tasks/src/pipelines.ts")
        # hub-docs docs/hub/model-cards.md: base_model is one Hub model id or a list of them.
        if meta.get("base_model") is not None:
            ids = _strings(meta["base_model"])
            if ids is None or not ids or not all(_HUB_ID.match(i) for i in ids):
                errors.append('"base_model" must be a Hub model id (ORG/NAME) or a list of them (model-cards.md)')
        errors += _one_of(meta, "base_model_relation", BASE_MODEL_RELATIONS, "hub-docs docs/hub/model-cards.md")
    return errors


def readme_metadata(text: str):
    """The parsed YAML front matter of a card (None when there is none); yaml.YAMLError when it does not parse."""
    m = _FRONT_MATTER.match(text)
    return yaml.safe_load(m.group(1)) if m else None


def eval_yaml_errors(text: str, frameworks=EVALUATION_FRAMEWORKS) -> list[str]:
    """hub-docs docs/hub/eval-results.md, "Eval.yaml specification" (validated by the Hub at push time)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return [f"YAML error: {' '.join(str(exc).split())}"]
    if not isinstance(data, dict):
        return ["eval.yaml must be a mapping"]
    errors = []
    # "The eval.yaml should contain the following fields": name, description, evaluation_framework, tasks[].
    for key in ("name", "description"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            errors.append(f'"{key}" is required and must be a non-empty string')
    # "evaluation_framework - ... an enumerable which the Hugging Face team maintains ... Exactly one framework"
    framework = data.get("evaluation_framework")
    if framework not in frameworks:
        errors.append(
            f'"evaluation_framework" is {framework!r}, which is not one of the Hub\'s evaluation frameworks '
            f"(huggingface.js packages/tasks/src/eval.ts: {', '.join(frameworks)})"
        )
    tasks = data.get("tasks")
    if not isinstance(tasks, list) or not tasks:
        return errors + ['"tasks" is required and must be a non-empty list']
    seen = set()
    for i, task in enumerate(tasks):
        if not isinstance(task, dict):
            errors.append(f"tasks[{i}] must be a mapping")
            continue
        # "Required fields in each tasks[] item: id - Unique identifier for the task."
        tid = task.get("id")
        if not isinstance(tid, str) or not tid.strip():
            errors.append(f'tasks[{i}]: "id" is required and must be a non-empty string')
        elif tid in seen:
            errors.append(f'tasks[{i}]: "id" {tid!r} is not unique')
        seen.add(tid)
        # "Optional fields: config, split" (names of the dataset's config and split).
        for key in ("config", "split"):
            if key in task and not isinstance(task[key], str):
                errors.append(f'tasks[{i}]: "{key}" must be a string')
        # "When setting evaluation_framework: inspect-ai, one also requires ... field_spec, solvers, scorers".
        if framework == "inspect-ai":
            errors += [f'tasks[{i}]: "{k}" is required with inspect-ai' for k in ("field_spec", "solvers", "scorers")
                       if k not in task]  # fmt: skip
    return errors


def _iso_8601(text: str) -> bool:
    try:
        _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return True
    except ValueError:
        return False


def eval_results_errors(text: str) -> list[str]:
    """hub-docs eval_results.yaml: the schema of a model repo's ``.eval_results/*.yaml``.

    The Hub validates these files server-side and reports a bad one as an error item in its API
    (huggingface_hub ``_eval_results.parse_eval_result_entries`` skips items with ``error``);
    the stand-in refuses such a file at push time, so a test cannot miss it.
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return [f"YAML error: {' '.join(str(exc).split())}"]
    if not isinstance(data, list) or not data:
        return ["an eval results file is a non-empty list of entries"]
    errors = []
    for i, entry in enumerate(data):
        where = f"entry {i}"
        if not isinstance(entry, dict):
            errors.append(f"{where} must be a mapping")
            continue
        errors += [f'{where}: unknown key "{k}"' for k in entry if k not in EVAL_RESULT_KEYS]
        dataset = entry.get("dataset")
        # "dataset: id: Required. A valid dataset id from the Hub"; "task_id: Required."; "revision: Optional."
        if not isinstance(dataset, dict):
            errors.append(f'{where}: "dataset" is required and must be a mapping')
        else:
            errors += [f'{where}: unknown key "dataset.{k}"' for k in dataset if k not in EVAL_RESULT_DATASET_KEYS]
            if not isinstance(dataset.get("id"), str) or not _HUB_ID.match(dataset["id"]):
                errors.append(f'{where}: "dataset.id" is required and must be a Hub dataset id (ORG/NAME)')
            if not isinstance(dataset.get("task_id"), str) or not dataset["task_id"]:
                errors.append(f'{where}: "dataset.task_id" is required and must be a string')
            if "revision" in dataset and not isinstance(dataset["revision"], str):
                errors.append(f'{where}: "dataset.revision" must be a string')
        # "value: Required. Example: 20.90"
        value = entry.get("value")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            errors.append(f'{where}: "value" is required and must be a number')
        # 'date: "{date}" ... ISO-8601 date or datetime. Format this as a string.'
        if "date" in entry:
            date = entry["date"]
            if not isinstance(date, str):
                errors.append(f'{where}: "date" must be a quoted ISO-8601 string, got {type(date).__name__} {date!r}')
            elif not _iso_8601(date):
                errors.append(f'{where}: "date" {date!r} is not an ISO-8601 date or datetime')
        # "source: Optional ... url: Required if source is provided"; name/user/org optional.
        if "source" in entry:
            source = entry["source"]
            if not isinstance(source, dict):
                errors.append(f'{where}: "source" must be a mapping')
            else:
                errors += [f'{where}: unknown key "source.{k}"' for k in source if k not in EVAL_RESULT_SOURCE_KEYS]
                if not isinstance(source.get("url"), str) or not source["url"].startswith(("http://", "https://")):
                    errors.append(f'{where}: "source.url" is required when "source" is given and must be a URL')
                errors += [f'{where}: "source.{k}" must be a string' for k in ("name", "user", "org")
                           if k in source and not isinstance(source[k], str)]  # fmt: skip
        # "verifyToken: Optional", "notes: Optional" (strings).
        errors += [f'{where}: "{k}" must be a string' for k in ("verifyToken", "notes")
                   if k in entry and not isinstance(entry[k], str)]  # fmt: skip
    return errors


def content_errors(repo_type: str, path: str, content: bytes, frameworks=EVALUATION_FRAMEWORKS) -> list[str]:
    """The push-time checks that apply to one file of a commit (empty when none applies or all pass)."""
    if path == "README.md":
        try:
            meta = readme_metadata(content.decode("utf-8"))
        except (UnicodeDecodeError, yaml.YAMLError) as exc:
            return [f"the YAML metadata does not parse ({' '.join(str(exc).split())})"]
        return card_metadata_errors(meta, repo_type)
    if repo_type == "dataset" and path == "eval.yaml":
        return eval_yaml_errors(content.decode("utf-8", errors="replace"), frameworks)
    if repo_type == "model" and path.startswith(".eval_results/") and path.endswith((".yaml", ".yml")):
        return eval_results_errors(content.decode("utf-8", errors="replace"))
    return []


@dataclass
class Fault:
    method: str
    path_re: str
    status: int | None = None
    cut_after: int | None = None  # read this many body bytes, then drop the connection
    apply_then_cut: bool = False  # handle the request fully, then drop the connection unanswered
    hang_after: int | None = None  # read this many body bytes, signal `started`, wait for `release`, then drop
    started: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


@dataclass
class Request:
    method: str
    path: str
    status: int = 0
    body_bytes: int = 0
    authorized: bool = False
    cut: bool = False
    raw_path: str = ""  # still percent-encoded: a revision such as refs%2Fpr%2F1 keeps its slashes apart


class _Cut(Exception):
    """Raised inside a handler to drop the connection without answering."""


class HubError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None, extra: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.extra = status, message, code, extra or {}


@dataclass
class HubUploadServer:
    root: Path
    token: str = "hf_test_upload_token_0123456789"
    lfs_threshold: int = 10 * 1024 * 1024
    user: str = "medmnist-tester"
    requests: list[Request] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    #: The Hub's EVALUATION_FRAMEWORKS; a test adds an id to play the state after a huggingface.js PR.
    evaluation_frameworks: tuple[str, ...] = EVALUATION_FRAMEWORKS
    #: Dataset repos Hugging Face has allow-listed as benchmarks (hub-docs docs/hub/eval-results.md,
    #: "Registering a Benchmark", step 4 "(Beta) Get in touch so we can add it to the allow-list").
    benchmarks: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self._locks: dict[str, threading.Lock] = defaultdict(threading.Lock)
        self._lock = threading.Lock()
        self._all_faults: list[Fault] = []

    # -------------------------------------------------------------------- lifecycle
    def start(self) -> HubUploadServer:
        owner = self
        self.root.mkdir(parents=True, exist_ok=True)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet; requests are recorded in owner.requests
                pass

            def do_GET(self):
                owner._dispatch(self, "GET")

            def do_HEAD(self):
                owner._dispatch(self, "HEAD")

            def do_POST(self):
                owner._dispatch(self, "POST")

            def do_PUT(self):
                owner._dispatch(self, "PUT")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release_all()
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def add_fault(self, method: str, path_re: str, **kwargs) -> Fault:
        fault = Fault(method, path_re, **kwargs)
        with self._lock:
            self.faults.append(fault)
            self._all_faults.append(fault)
        return fault

    def release_all(self) -> None:
        for f in self._all_faults:
            f.release.set()

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def count(self, method: str | None = None, pattern: str = "") -> int:
        return sum(1 for r in self.requests if (method is None or r.method == method) and re.search(pattern, r.path))

    # -------------------------------------------------------------------- git storage
    def repo_dir(self, repo_type: str, repo_id: str) -> Path:
        return self.root / f"{repo_type}s" / repo_id

    def git(self, repo: Path, *args: str, input: bytes | None = None, env: dict | None = None) -> bytes:
        full_env = {**os.environ, **GIT_ENV, **(env or {})}
        proc = subprocess.run(["git", "-C", str(repo), *args], input=input, capture_output=True, env=full_env)
        if proc.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)} failed: {proc.stderr.decode(errors='replace')}")
        return proc.stdout

    def lfs_path(self, repo: Path, oid: str) -> Path:
        return repo / ".git" / "lfs" / "objects" / oid[:2] / oid[2:4] / oid

    def _meta(self, repo: Path) -> dict:
        return json.loads((repo / ".git" / "hub-meta.json").read_text())

    def create(self, repo_type: str, repo_id: str, private: bool = False) -> bool:
        """Create a repo with an initial commit holding .gitattributes; False if it exists."""
        repo = self.repo_dir(repo_type, repo_id)
        with self._locks[str(repo)]:
            if (repo / ".git").is_dir():
                return False
            repo.mkdir(parents=True, exist_ok=True)
            self.git(repo, "init", "-q", "-b", "main")
            (repo / ".git" / "hub-meta.json").write_text(json.dumps({"private": private, "type": repo_type}))
            blob = self.git(repo, "hash-object", "-w", "--stdin", input=DEFAULT_GITATTRIBUTES.encode()).decode().strip()
            tree = self.git(repo, "mktree", input=f"100644 blob {blob}\t.gitattributes\n".encode()).decode().strip()
            commit = self.git(repo, "commit-tree", tree, "-m", "initial commit").decode().strip()
            self.git(repo, "update-ref", "refs/heads/main", commit)
            return True

    def head(self, repo: Path, rev: str) -> str | None:
        try:
            return self.git(repo, "rev-parse", "--verify", "-q", f"{rev}^{{commit}}").decode().strip()
        except RuntimeError:
            return None

    def ls_tree(self, repo: Path, commit: str, with_dirs: bool = False) -> list[dict]:
        """Files (and folders) of a commit, as the Hub's tree API describes them."""
        args = ["ls-tree", "-r", "-l", "-z"] + (["-t"] if with_dirs else []) + [commit]
        out = self.git(repo, *args).split(b"\0")
        entries, small = [], []
        for item in out:
            if not item:
                continue
            meta, path = item.split(b"\t", 1)
            mode, kind, sha, size = meta.split()
            path = path.decode()
            if kind == b"tree":
                entries.append({"type": "directory", "oid": sha.decode(), "size": 0, "path": path})
                continue
            entry = {"type": "file", "oid": sha.decode(), "size": int(size), "path": path}
            entries.append(entry)
            if 100 < int(size) < 200:
                small.append(entry)
        if small:  # read candidate LFS pointers in one git process
            proc = self.git(repo, "cat-file", "--batch", input="".join(e["oid"] + "\n" for e in small).encode())
            pos = 0
            for e in small:
                nl = proc.index(b"\n", pos)
                size = int(proc[pos:nl].split()[2])
                data = proc[nl + 1 : nl + 1 + size]
                pos = nl + 1 + size + 1
                m = _POINTER_RE.match(data)
                if m:
                    e["lfs"] = {"oid": m.group(1).decode(), "size": int(m.group(2)), "pointerSize": e["size"]}
                    e["size"] = int(m.group(2))
        return entries

    def files(self, repo_type: str, repo_id: str, rev: str = "main") -> dict[str, bytes]:
        """Content of every file at ``rev`` (LFS files resolved): for test assertions."""
        repo = self.repo_dir(repo_type, repo_id)
        out = {}
        for e in self.ls_tree(repo, self.head(repo, rev)):
            if e["type"] != "file":
                continue
            if "lfs" in e:
                out[e["path"]] = self.lfs_path(repo, e["lfs"]["oid"]).read_bytes()
            else:
                out[e["path"]] = self.git(repo, "cat-file", "blob", e["oid"])
        return out

    def changed_paths(self, repo_type: str, repo_id: str, rev: str = "main") -> list[str]:
        """Paths touched by the last commit on ``rev``."""
        repo = self.repo_dir(repo_type, repo_id)
        return self.git(repo, "diff", "--name-only", f"{rev}~1", rev).decode().split()

    def lfs_objects(self, repo_type: str, repo_id: str) -> set[str]:
        """sha256 of every LFS object stored for the repo (committed or not)."""
        root = self.repo_dir(repo_type, repo_id) / ".git" / "lfs" / "objects"
        return {p.name for p in root.glob("*/*/*") if not p.name.startswith(".")}

    def commits(self, repo_type: str, repo_id: str, rev: str = "main") -> list[str]:
        """Commit titles, newest first."""
        repo = self.repo_dir(repo_type, repo_id)
        return self.git(repo, "log", "--format=%s", rev).decode().splitlines()

    # -------------------------------------------------------------------- dispatch
    def _dispatch(self, h: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(h.path)
        path = unquote(url.path)
        auth = h.headers.get("Authorization", "")
        req = Request(method, path, authorized=(auth == f"Bearer {self.token}"), raw_path=url.path)
        with self._lock:
            self.requests.append(req)
            fault = next(
                (f for f in self.faults if f.method == method and re.search(f.path_re, path)),
                None,
            )
            if fault is not None:
                self.faults.remove(fault)
        try:
            if fault is not None and fault.status is not None:
                self._read_body(h, req)
                raise HubError(fault.status, "injected fault")
            if fault is not None and fault.cut_after is not None:
                self._read_body(h, req, limit=fault.cut_after)
                raise _Cut()
            if fault is not None and fault.hang_after is not None:
                self._read_body(h, req, limit=fault.hang_after)
                fault.started.set()
                fault.release.wait(timeout=60)
                raise _Cut()
            status, payload, headers = self._route(h, method, path, parse_qs(url.query), req)
            if fault is not None and fault.apply_then_cut:
                raise _Cut()
            self._send(h, req, status, payload, headers)
        except _Cut:
            req.cut = True
            h.close_connection = True
            try:
                h.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        except HubError as err:
            headers = {"X-Error-Code": err.code} if err.code else {}
            headers["X-Error-Message"] = err.message
            self._send(h, req, err.status, {"error": err.message, **err.extra}, headers)

    def _send(self, h, req: Request, status: int, payload, headers: dict | None = None) -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        req.status = status
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        if req.method != "HEAD":
            h.wfile.write(body)

    def _read_body(self, h, req: Request, limit: int | None = None) -> bytes:
        length = int(h.headers.get("Content-Length") or 0)
        if limit is not None:
            length = min(length, limit)
        data = h.rfile.read(length) if length else b""
        req.body_bytes = len(data)
        return data

    def _require_auth(self, req: Request) -> None:
        if not req.authorized:
            raise HubError(401, "Invalid credentials in Authorization header")

    def _repo(self, repo_type: str, repo_id: str) -> Path:
        repo = self.repo_dir(repo_type, repo_id)
        if not (repo / ".git").is_dir():
            raise HubError(404, f"Repository Not Found for url: {repo_type}s/{repo_id}", "RepoNotFound")
        return repo

    def _rev(self, repo: Path, rev: str) -> str:
        sha = self.head(repo, unquote(rev))
        if sha is None:
            raise HubError(404, f"Invalid rev id: {rev}", "RevisionNotFound")
        return sha

    # -------------------------------------------------------------------- routes
    def _route(self, h, method: str, path: str, query: dict, req: Request):
        if method == "POST" and path == "/api/repos/create":
            return self._create_repo(h, req)
        if method == "POST" and path == "/api/validate-yaml":
            return self._validate_yaml(h, req)
        m = re.match(r"^/(?P<prefix>datasets/|spaces/)?(?P<repo>[^/]+/[^/]+)\.git/info/lfs/objects/batch$", path)
        if method == "POST" and m:
            repo_type = {"datasets/": "dataset", "spaces/": "space"}.get(m.group("prefix"), "model")
            return self._lfs_batch(h, req, repo_type, m.group("repo"))
        m = re.match(
            r"^/lfs-(?P<op>objects|verify)/(?P<type>model|dataset|space)/(?P<repo>[^/]+/[^/]+)/(?P<oid>[0-9a-f]{64})$",
            path,
        )
        if m and method == "PUT" and m.group("op") == "objects":
            return self._lfs_put(h, req, m.group("type"), m.group("repo"), m.group("oid"))
        if m and method == "POST" and m.group("op") == "verify":
            return self._lfs_verify(h, req, m.group("type"), m.group("repo"), m.group("oid"))
        m = re.match(r"^/(?P<prefix>datasets/|spaces/)?(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<file>.+)$",
                     req.raw_path)  # fmt: skip
        if method in ("GET", "HEAD") and m and not req.raw_path.startswith("/api/"):
            repo_type = {"datasets/": "dataset", "spaces/": "space"}.get(m.group("prefix"), "model")
            return self._resolve(req, repo_type, unquote(m.group("repo")), unquote(m.group("rev")), unquote(m.group("file")))
        m = re.match(r"^/api/(?P<types>models|datasets|spaces)/(?P<repo>[^/]+/[^/]+)(?P<rest>/.*)?$", path)
        if not m:
            raise HubError(404, f"no route for {method} {path}")
        repo_type, repo_id, rest = REPO_TYPES[m.group("types")], m.group("repo"), m.group("rest") or ""
        if method in ("GET", "HEAD") and (rest == "" or rest.startswith("/revision/")):
            return self._repo_info(req, repo_type, repo_id, rest[len("/revision/") :] or "main")
        if method == "GET" and rest.startswith("/tree/"):
            raw_rev, _, raw_sub = req.raw_path.split("/tree/", 1)[1].partition("/")
            return self._tree(req, repo_type, repo_id, unquote(raw_rev), unquote(raw_sub), query)
        if method == "POST" and rest.startswith("/preupload/"):
            return self._preupload(h, req, repo_type, repo_id, rest[len("/preupload/") :])
        if method == "POST" and rest.startswith("/commit/"):
            return self._commit(h, req, repo_type, repo_id, rest[len("/commit/") :], query)
        if method == "POST" and rest.startswith("/branch/"):
            return self._branch(h, req, repo_type, repo_id, rest[len("/branch/") :])
        if method == "GET" and rest == "/leaderboard" and repo_type == "dataset":
            return self._leaderboard(req, repo_id, query)
        if rest.startswith("/xet-write-token/"):
            raise HubError(501, "this test server does not speak Xet; set HF_HUB_DISABLE_XET=1 to use git-LFS")
        raise HubError(404, f"no route for {method} {path}")

    def _json_body(self, h, req: Request):
        data = self._read_body(h, req)
        try:
            return json.loads(data or b"{}")
        except json.JSONDecodeError:
            raise HubError(400, "body is not JSON") from None

    def _create_repo(self, h, req):
        self._require_auth(req)
        body = self._json_body(h, req)
        name, org, repo_type = body.get("name"), body.get("organization") or self.user, body.get("type") or "model"
        if not name or repo_type not in URL_PREFIX:
            raise HubError(400, f"bad create request: {body}")
        repo_id = f"{org}/{name}"
        private = body.get("private", body.get("visibility") == "private")
        url = f"{self.url}/{URL_PREFIX[repo_type]}{repo_id}"
        if not self.create(repo_type, repo_id, private=bool(private)):
            raise HubError(409, f"You already created this {repo_type} repo", extra={"url": url})
        return 200, {"url": url, "name": repo_id, "id": repo_id}, {}

    def _validate_yaml(self, h, req):
        """``POST /api/validate-yaml`` as ``HfApi._validate_yaml`` reads it: 400 + ``errors`` for a refused card."""
        body = self._json_body(h, req)
        content = body.get("content", "")
        repo_type = body.get("repoType") or "model"
        if not _FRONT_MATTER.match(content):
            return 200, {"errors": [], "warnings": [{"message": "empty or missing yaml metadata in repo card"}]}, {}
        errors = content_errors(repo_type, "README.md", content.encode("utf-8"))
        if errors:
            return 400, {"errors": [{"message": e} for e in errors], "warnings": []}, {}
        return 200, {"errors": [], "warnings": []}, {}

    def _repo_info(self, req, repo_type, repo_id, rev):
        repo = self._repo(repo_type, repo_id)
        if self._meta(repo)["private"] and not req.authorized:
            raise HubError(404, "Repository Not Found", "RepoNotFound")
        sha = self._rev(repo, rev)
        files = [e["path"] for e in self.ls_tree(repo, sha) if e["type"] == "file"]
        stamp = int(self.git(repo, "show", "-s", "--format=%ct", sha).decode().strip())
        date = _dt.datetime.fromtimestamp(stamp, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        info = {
            "id": repo_id,
            "_id": hashlib.sha1(repo_id.encode()).hexdigest()[:24],
            "author": repo_id.split("/")[0],
            "sha": sha,
            "private": self._meta(repo)["private"],
            "disabled": False,
            "gated": False,
            "lastModified": date,
            "createdAt": date,
            "tags": [],
            "downloads": 0,
            "likes": 0,
            "siblings": [{"rfilename": f} for f in files],
        }
        if repo_type == "model":
            info["modelId"] = repo_id
        return 200, info, {}

    def _resolve(self, req, repo_type, repo_id, rev, path):
        """``/{prefix}{repo}/resolve/{rev}/{path}``: a file's bytes, with the headers ``hf_hub_download`` reads."""
        repo = self._repo(repo_type, repo_id)
        if self._meta(repo)["private"] and not req.authorized:
            raise HubError(404, "Repository Not Found", "RepoNotFound")
        sha = self._rev(repo, rev)
        entry = next((e for e in self.ls_tree(repo, sha) if e["type"] == "file" and e["path"] == path), None)
        if entry is None:
            raise HubError(404, f"Entry not found: {path}", "EntryNotFound")
        if "lfs" in entry:
            data, etag = self.lfs_path(repo, entry["lfs"]["oid"]).read_bytes(), entry["lfs"]["oid"]
        else:
            data, etag = self.git(repo, "cat-file", "blob", entry["oid"]), entry["oid"]
        return 200, data, {"X-Repo-Commit": sha, "ETag": f'"{etag}"'}

    def _tree(self, req, repo_type, repo_id, rev, sub, query):
        repo = self._repo(repo_type, repo_id)
        sha = self._rev(repo, rev)
        recursive = query.get("recursive", ["false"])[0].lower() in ("1", "true")
        entries = self.ls_tree(repo, sha, with_dirs=True)
        sub = sub.strip("/")
        if sub and not any(e["path"] == sub or e["path"].startswith(sub + "/") for e in entries):
            raise HubError(404, f"{sub} does not exist", "EntryNotFound")
        out = []
        for e in entries:
            rel = e["path"][len(sub) + 1 :] if sub else e["path"]
            if sub and not e["path"].startswith(sub + "/"):
                continue
            if not recursive and "/" in rel:
                continue
            out.append(e)
        return 200, out, {}

    def _lfs_mode(self, repo: Path, head: str | None, path: str, size: int, sample: bytes) -> str:
        patterns = []
        if head:
            try:
                attrs = self.git(repo, "show", f"{head}:.gitattributes").decode()
                patterns = [ln.split()[0] for ln in attrs.splitlines() if "filter=lfs" in ln]
            except RuntimeError:
                patterns = []
        if size >= self.lfs_threshold or b"\0" in sample:
            return "lfs"
        name = path.rsplit("/", 1)[-1]
        if any(fnmatch.fnmatch(name, p) or fnmatch.fnmatch(path, p) for p in patterns):
            return "lfs"
        return "regular"

    def _preupload(self, h, req, repo_type, repo_id, rev):
        self._require_auth(req)
        repo = self._repo(repo_type, repo_id)
        body = self._json_body(h, req)
        head = self.head(repo, unquote(rev))
        if head is None:
            raise HubError(404, f"Invalid rev id: {rev}", "RevisionNotFound")
        existing = {e["path"]: e for e in self.ls_tree(repo, head)}
        files = []
        for f in body.get("files", []):
            sample = base64.b64decode(f.get("sample", ""))
            mode = self._lfs_mode(repo, head, f["path"], int(f["size"]), sample)
            e = existing.get(f["path"])
            oid = None if e is None else (e["lfs"]["oid"] if "lfs" in e else e["oid"])
            files.append({"path": f["path"], "uploadMode": mode, "shouldIgnore": False, "oid": oid})
        return 200, {"files": files, "commitOid": head}, {}

    def _lfs_batch(self, h, req, repo_type, repo_id):
        self._require_auth(req)
        repo = self._repo(repo_type, repo_id)
        body = self._json_body(h, req)
        if body.get("operation") != "upload":
            raise HubError(400, "only the upload operation is supported")
        objects = []
        for obj in body.get("objects", []):
            oid, size = obj["oid"], int(obj["size"])
            entry = {"oid": oid, "size": size, "authenticated": True}
            if not self.lfs_path(repo, oid).is_file():
                base = f"{self.url}/lfs-%s/{repo_type}/{repo_id}/{oid}"
                entry["actions"] = {
                    "upload": {"href": base % "objects", "header": {}},
                    "verify": {"href": base % "verify", "header": {}},
                }
            objects.append(entry)
        return 200, {"transfer": "basic", "objects": objects}, {}

    def _lfs_put(self, h, req, repo_type, repo_id, oid):
        repo = self._repo(repo_type, repo_id)
        length = int(h.headers.get("Content-Length") or 0)
        target = self.lfs_path(repo, oid)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest, received = hashlib.sha256(), 0
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                while received < length:
                    chunk = h.rfile.read(min(1 << 16, length - received))
                    if not chunk:
                        break
                    out.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
            req.body_bytes = received
            if received != length or digest.hexdigest() != oid:
                raise HubError(400, f"LFS object {oid}: received {received} bytes with sha256 {digest.hexdigest()}")
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return 200, {}, {}

    def _lfs_verify(self, h, req, repo_type, repo_id, oid):
        repo = self._repo(repo_type, repo_id)
        body = self._json_body(h, req)
        p = self.lfs_path(repo, oid)
        if not p.is_file() or p.stat().st_size != int(body.get("size", -1)):
            raise HubError(404, f"LFS object {oid} is missing or has the wrong size")
        return 200, {}, {}

    def _branch(self, h, req, repo_type, repo_id, branch):
        self._require_auth(req)
        repo = self._repo(repo_type, repo_id)
        body = self._json_body(h, req)
        branch = unquote(branch)
        if self.head(repo, f"refs/heads/{branch}") is not None:
            raise HubError(409, f"Reference {branch} already exists")
        start = self._rev(repo, body.get("startingPoint") or "main")
        self.git(repo, "update-ref", f"refs/heads/{branch}", start)
        return 200, {}, {}

    def _commit(self, h, req, repo_type, repo_id, rev, query):
        self._require_auth(req)
        repo = self._repo(repo_type, repo_id)
        rev = unquote(rev)
        pr_number = None
        if query.get("create_pr", ["0"])[0] in ("1", "true"):
            # A pull request: a new refs/pr/N branched from `rev`; the commit goes there.
            with self._locks[str(repo)]:
                base = self._rev(repo, rev)
                refs = self.git(repo, "for-each-ref", "--format=%(refname)", "refs/pr/").decode().split()
                pr_number = 1 + max((int(r.rsplit("/", 1)[1]) for r in refs), default=0)
                self.git(repo, "update-ref", f"refs/pr/{pr_number}", base)
            rev = f"refs/pr/{pr_number}"
        lines = [json.loads(ln) for ln in self._read_body(h, req).splitlines() if ln.strip()]
        if not lines or lines[0].get("key") != "header":
            raise HubError(400, "commit payload must start with a header line")
        header = lines[0]["value"]
        self._check_contents(repo, repo_type, lines[1:])
        with self._locks[str(repo)]:
            ref = rev if rev.startswith("refs/") else f"refs/heads/{rev}"
            parent = self.head(repo, ref)
            if parent is None:
                raise HubError(404, f"Invalid rev id: {rev}", "RevisionNotFound")
            if header.get("parentCommit") and header["parentCommit"] != parent:
                raise HubError(412, "A commit has happened since. Please refresh and try again.")
            index = Path(tempfile.mkstemp(prefix="hub-index-")[1])
            index.unlink()
            env = {"GIT_INDEX_FILE": str(index)}
            try:
                self.git(repo, "read-tree", parent, env=env)
                updates = []
                for item in lines[1:]:
                    key, value = item["key"], item["value"]
                    path = value["path"].lstrip("/")
                    if key == "file":
                        content = base64.b64decode(value["content"])
                        blob = self.git(repo, "hash-object", "-w", "--stdin", input=content).decode().strip()
                        updates.append(f"100644 {blob}\t{path}")
                    elif key == "lfsFile":
                        oid = value["oid"]
                        p = self.lfs_path(repo, oid)
                        if not p.is_file():
                            raise HubError(422, f"LFS object {oid} for {path} was never uploaded")
                        pointer = LFS_POINTER.format(oid=oid, size=p.stat().st_size).encode()
                        blob = self.git(repo, "hash-object", "-w", "--stdin", input=pointer).decode().strip()
                        updates.append(f"100644 {blob}\t{path}")
                    elif key in ("deletedFile", "deletedFolder"):
                        listed = self.git(repo, "ls-files", "-z", "--", path, env=env).split(b"\0")
                        targets = [p.decode() for p in listed if p]
                        if not targets:
                            raise HubError(404, f"A file with this name doesn't exist: {path}", "EntryNotFound")
                        updates += [f"0 {'0' * 40}\t{t}" for t in targets]
                    else:
                        raise HubError(400, f"unknown commit operation {key!r}")
                if updates:
                    self.git(repo, "update-index", "--index-info", input=("\n".join(updates) + "\n").encode(), env=env)
                tree = self.git(repo, "write-tree", env=env).decode().strip()
            finally:
                index.unlink(missing_ok=True)
            message = header.get("summary", "") + ("\n\n" + header["description"] if header.get("description") else "")
            commit = self.git(repo, "commit-tree", tree, "-p", parent, "-m", message).decode().strip()
            self.git(repo, "update-ref", ref, commit, parent)
        base_url = f"{self.url}/{URL_PREFIX[repo_type]}{repo_id}"
        body = {"success": True, "commitOid": commit, "commitUrl": f"{base_url}/commit/{commit}", "hookOutput": ""}
        body["pullRequestUrl"] = f"{base_url}/discussions/{pr_number}" if pr_number else None
        return 200, body, {}

    def _check_contents(self, repo: Path, repo_type: str, operations: list[dict]) -> None:
        """Refuse the whole commit (nothing is written) when a file breaks a rule the Hub checks on push."""
        for item in operations:
            key, value = item.get("key"), item.get("value", {})
            path = str(value.get("path", "")).lstrip("/")
            if key == "file":
                content = base64.b64decode(value["content"])
            elif key == "lfsFile" and self.lfs_path(repo, value["oid"]).is_file():
                content = self.lfs_path(repo, value["oid"]).read_bytes()
            else:
                continue
            errors = content_errors(repo_type, path, content, self.evaluation_frameworks)
            if errors:
                raise HubError(400, f"Invalid {path}: " + "; ".join(errors), "InvalidContent")

    def allow_benchmark(self, repo_id: str) -> None:
        """What Hugging Face does on request while benchmarks are in beta: allow-list a dataset repo."""
        self.benchmarks.add(repo_id)

    def _benchmark_tasks(self, repo_id: str) -> set[str]:
        """Task ids of an allow-listed benchmark's ``eval.yaml`` on main; 404 when the repo is not a benchmark."""
        files = self.files("dataset", repo_id)
        if repo_id not in self.benchmarks or "eval.yaml" not in files or eval_yaml_errors(
            files["eval.yaml"].decode(), self.evaluation_frameworks
        ):
            # huggingface_hub get_dataset_leaderboard: "HfHubHTTPError if the dataset does not have a leaderboard".
            raise HubError(404, f"{repo_id} is not a benchmark: no leaderboard", "NoLeaderboard")
        return {t["id"] for t in yaml.safe_load(files["eval.yaml"])["tasks"]}

    def _declares_base_model(self, model_id: str) -> bool:
        readme = self.files("model", model_id).get("README.md")
        try:
            meta = readme_metadata(readme.decode()) if readme else None
        except yaml.YAMLError:
            return False
        return isinstance(meta, dict) and bool(meta.get("base_model"))

    def _leaderboard(self, req, repo_id, query):
        """``GET /api/datasets/{id}/leaderboard`` in the shape huggingface_hub's ``DatasetLeaderboardEntry`` parses.

        Entries come from every model repo's ``.eval_results/*.yaml`` on main, and from open pull requests
        (refs/pr/N, with ``pullRequest``: hub-docs docs/hub/eval-results.md, "Community scores are visible
        while the PR is open"), for this benchmark's declared task ids.  Models whose card declares
        ``base_model`` are left out unless ``base_model=false`` (huggingface_hub ``get_dataset_leaderboard``,
        ``base_model_only``: "By default, the leaderboard only includes models that have no declared
        base_model relation").  Ranked per task, best value first; ``taskId`` is an extra field.
        """
        self._repo("dataset", repo_id)
        tasks = self._benchmark_tasks(repo_id)
        base_model_only = query.get("base_model", ["true"])[0].lower() not in ("false", "0")
        entries = []
        models = self.root / "models"
        for repo in sorted(models.glob("*/*")) if models.is_dir() else []:
            model_id = f"{repo.parent.name}/{repo.name}"
            if base_model_only and self._declares_base_model(model_id):
                continue
            refs = self.git(repo, "for-each-ref", "--format=%(refname)", "refs/pr/").decode().split()
            for rev, pr in [("main", None)] + [(r, int(r.rsplit("/", 1)[1])) for r in refs]:
                for name, data in sorted(self.files("model", model_id, rev=rev).items()):
                    if not (name.startswith(".eval_results/") and name.endswith((".yaml", ".yml"))):
                        continue
                    if eval_results_errors(data.decode("utf-8", errors="replace")):
                        continue  # the Hub reports such a file as invalid and ranks nothing from it
                    for item in yaml.safe_load(data):
                        if item["dataset"]["id"] != repo_id or item["dataset"]["task_id"] not in tasks:
                            continue
                        source = item.get("source")
                        entries.append(
                            {
                                "modelId": model_id,
                                "value": item["value"],
                                "filename": name,
                                "verified": False,
                                "source": {**source, "isExternal": True} if source else None,
                                "author": {"name": model_id.split("/")[0], "type": "user"},
                                "pullRequest": pr,
                                "notes": item.get("notes"),
                                "taskId": item["dataset"]["task_id"],
                            }
                        )
        entries.sort(key=lambda e: (e["taskId"], -e["value"], e["modelId"]))
        rank, previous = 0, None
        for e in entries:
            rank = 1 if e["taskId"] != previous else rank + 1
            e["rank"], previous = rank, e["taskId"]
        return 200, entries, {}


def start_upload_server(root: str | os.PathLike, **kwargs) -> HubUploadServer:
    if shutil.which("git") is None:  # pragma: no cover - git is part of the dev setup
        raise RuntimeError("the Hub upload test server needs the git command")
    return HubUploadServer(Path(root), **kwargs).start()


# ------------------------------------------------------------------------ client-side helpers
def client_env(server: HubUploadServer, hf_home: Path, *, token: bool = True) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    env.pop("TRANSFORMERS_OFFLINE", None)
    env.update(
        HF_ENDPOINT=server.url,
        HF_HOME=str(hf_home),
        HF_HUB_DISABLE_XET="1",
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_DISABLE_PROGRESS_BARS="1",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    if token:
        env["HF_TOKEN"] = server.token
    return env


def hub_request(server: HubUploadServer, method: str, path: str, body: bytes | None = None, ctype="application/json"):
    """One authorised HTTP request to the server, as a Hub client sends it; (status, parsed JSON answer)."""
    import urllib.error
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1: never through a proxy
    headers = {"Authorization": f"Bearer {server.token}", "Content-Type": ctype}
    req = urllib.request.Request(server.url + path, data=body, method=method, headers=headers)
    try:
        with opener.open(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def commit_files(
    server: HubUploadServer, repo_type: str, repo_id: str, files: dict, *, rev: str = "main", pr: bool = False
):
    """Commit ``{path: text or bytes}`` through the Hub's NDJSON commit API (the repo is created if missing).

    Returns (status, answer): the push-time checks apply, as to any client.
    """
    if not (server.repo_dir(repo_type, repo_id) / ".git").is_dir():
        server.create(repo_type, repo_id)
    lines = [{"key": "header", "value": {"summary": "test commit", "description": ""}}]
    for path, content in files.items():
        raw = content.encode() if isinstance(content, str) else content
        value = {"path": path, "content": base64.b64encode(raw).decode(), "encoding": "base64"}
        lines.append({"key": "file", "value": value})
    body = "\n".join(json.dumps(ln) for ln in lines).encode()
    query = "?create_pr=1" if pr else ""
    return hub_request(server, "POST", f"/api/{repo_type}s/{repo_id}/commit/{rev}{query}", body, "application/x-ndjson")


def start_cli(hub_server: HubUploadServer, hf_home: Path, *args: str) -> subprocess.Popen:
    """The CLI as a background process (to be killed mid-upload)."""
    return subprocess.Popen(
        [sys.executable, "-m", "medmnist_hub", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=client_env(hub_server, hf_home),
    )


def files_containing(root: Path, needle: str) -> list[Path]:
    """Every file under ``root`` whose bytes contain ``needle`` (git objects are zlib-compressed: use git)."""
    hits = []
    raw = needle.encode()
    for p in root.rglob("*"):
        if p.is_file() and not p.is_symlink():
            try:
                if raw in p.read_bytes():
                    hits.append(p)
            except OSError:
                pass
    return hits
