"""The MedMNIST v2 baseline protocol, expressed as plain-timm-loadable model specs.

The paper trains ResNet-18/50 for 100 epochs with Adam (lr 1e-3, x0.1 at epochs 50 and
75), batch 128 (2D) / 32 (3D), keeps the epoch with the best validation AUC, and reports
test AUC/ACC.  Inputs are normalised with mean 0.5 / std 0.5 (2D; gray repeated to three
channels) or scaled to [0, 1] (3D).

Two things cannot be carried over literally if the checkpoint must load in plain timm:

* "ResNet (28)" uses a CIFAR-style stem (3x3 conv, stride 1, no max-pool) that timm's
  ResNet cannot express.  We keep timm's standard stem and instead put an input size of
  112 in ``pretrained_cfg`` with nearest-neighbour interpolation: the 28 px image is
  replicated 4x, and after the standard stem (stride 2) and max-pool (stride 2) the first
  stage sees a 28x28 map, exactly as in the paper's network (28 -> 14 -> 7 -> 4 through
  the stages).  timm's and transformers' processors both honour the saved input size,
  so users get the same preprocessing without our code.
* "ResNet (224)" is the standard ResNet on the 28 px image upsampled to 224 with
  nearest-neighbour interpolation (not the MedMNIST+ 224 files); that is expressible
  directly.  Training on the MedMNIST+ files (``size`` 64/128/224) feeds them at their
  native resolution instead, which is a different protocol and labelled as such.

3D comes in two forms.  ``resnet18``/``resnet50`` on a 3D subset is a 2D ResNet that
reads the volume's depth axis as input channels (``in_chans = D``), loadable in plain
timm.  ``resnet18_3d``/``_acs``/``_2p5d`` (and ``resnet50_*``) are the paper's
conversions (``medmnist_hub.models``): the volume is one input channel, fed at its
native size (the paper's stride-1 stem, no upsampling); loading them needs
``import medmnist_hub.models`` to register the names in timm.  Adrenal- and VesselMNIST3D are
binary shape masks, trained with a random U(0, 1) intensity factor and evaluated at
x0.5, as in the paper; the x0.5 is stored as ``std = 2`` in ``pretrained_cfg`` so the
processors apply it too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from ..catalog import Subset, get_subset
from ..errors import ConfigError

ARCHITECTURES = {"resnet18": "ResNet-18", "resnet50": "ResNet-50"}
#: The paper's 3D conversions (``medmnist_hub.models``): name -> (2D family, paper's row suffix).
VOLUMETRIC = {
    f"{arch}_{conv}": (arch, label)
    for arch in ARCHITECTURES
    for conv, label in (("3d", "3D"), ("acs", "ACS"), ("2p5d", "2.5D"))
}
MODEL_CHOICES = (*ARCHITECTURES, *VOLUMETRIC)
PROTOCOLS = ("28", "224")
#: Subsets the paper trains with a random intensity factor (binary shape masks).
RANDOM_INTENSITY_SUBSETS = ("adrenalmnist3d", "vesselmnist3d")


@dataclass(frozen=True)
class TrainingSchedule:
    epochs: int = 100
    learning_rate: float = 1e-3
    milestones: tuple[float, ...] = (0.5, 0.75)  # fractions of the epochs: 50 and 75 of 100
    gamma: float = 0.1
    batch_size: int = 128


@dataclass(frozen=True)
class ModelSpec:
    """Everything needed to build, feed and export one baseline model."""

    subset: Subset
    architecture: str
    protocol: str  # "28", "224", or "plus<size>" for native-resolution MedMNIST+ files
    data_size: int  # size of the official file the data comes from
    input_size: int  # spatial size the network sees (after nearest upsampling)
    in_chans: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    random_intensity: bool
    schedule: TrainingSchedule = field(default_factory=TrainingSchedule)

    @property
    def config_name(self) -> str:
        return self.subset.file(self.data_size).config_name

    @property
    def upsample(self) -> int:
        return self.input_size // self.data_size

    @property
    def volumetric(self) -> bool:
        """One of the paper's 3D conversions: takes (B, 1, D, H, W), not depth as channels."""
        return self.architecture in VOLUMETRIC

    @property
    def family(self) -> str:
        """The 2D ResNet the network derives from: ``resnet18`` or ``resnet50``."""
        return VOLUMETRIC[self.architecture][0] if self.volumetric else self.architecture

    @property
    def family_name(self) -> str:
        """The family as the paper's tables write it: ``ResNet-18``."""
        return ARCHITECTURES[self.family]

    @property
    def paper_method(self) -> str:
        """The paper's row this run compares with (Table 3 for 2D, Table 4 for 3D)."""
        name = self.family_name
        if self.volumetric:
            return f"{name} + {VOLUMETRIC[self.architecture][1]}"
        return f"{name} + 3D" if self.subset.is_3d else f"{name} ({self.protocol})"

    @property
    def display_name(self) -> str:
        family = self.family_name
        detail = self.protocol
        if self.input_size != default_input_size(self.protocol, self.data_size, self.volumetric):
            detail += f", {self.input_size} px input"  # an experiment, not the protocol's network
        if self.volumetric:
            return f"{family} + {VOLUMETRIC[self.architecture][1]} ({detail})"
        if self.subset.is_3d:
            return f"{family} (depth-as-channels, {detail})"
        return f"{family} ({detail})"

    @property
    def folds_gray(self) -> bool:
        """A 2D gray subset: trained on gray repeated to 3 channels (the paper), shipped with 1 input channel.

        The dataset's images are mode ``L``; timm's ``create_transform`` and transformers'
        ``AutoImageProcessor`` turn them into 1-channel tensors, which a 3-channel network
        rejects.  Feeding ``repeat(x, 3)`` to a convolution equals feeding ``x`` to the same
        convolution with its kernel summed over the input-channel axis, so the exported
        checkpoint has ``in_chans = 1`` and gives the same logits (see ``export.py``).
        """
        return not self.subset.is_3d and self.subset.channels == 1 and self.in_chans == 3

    @property
    def checkpoint_in_chans(self) -> int:
        """Input channels of the exported checkpoint (1 for gray subsets, else what training used)."""
        return 1 if self.folds_gray else self.in_chans

    def data_config(self, *, checkpoint: bool = False) -> dict:
        """The preprocessing stored in timm's ``pretrained_cfg`` (honoured by both processors).

        ``checkpoint=True`` describes the exported training checkpoint (1 channel for gray subsets).
        """
        chans = self.checkpoint_in_chans if checkpoint else self.in_chans
        # A volume is (C, D, H, W) with D = H = W; timm's builder wants input_size as (C, H, W).
        return {
            "input_size": (chans, self.input_size, self.input_size),
            "interpolation": "nearest",
            "mean": self.mean[:chans],
            "std": self.std[:chans],
            "crop_pct": 1.0,
            "crop_mode": "center",
        }

    def to_dict(self) -> dict:
        """The spec as a run's ``summary.json`` and ``metrics.json`` record it."""
        own = {k: getattr(self, k) for k in ("architecture", "protocol", "data_size", "input_size", "in_chans")}
        schedule = {k: getattr(self.schedule, k) for k in ("epochs", "batch_size", "learning_rate")}
        return {"subset": self.subset.key, "config": self.config_name, **own, **schedule,
                "milestones": list(self.schedule.milestones), "random_intensity": self.random_intensity,
                "display_name": self.display_name}

    @classmethod
    def from_dict(cls, d: Mapping) -> ModelSpec:
        """The spec a recorded run was trained with: the inverse of :meth:`to_dict` for every spec
        :func:`model_spec` makes; a record it cannot rebuild exactly is refused, not approximated."""
        protocol = "28" if d["protocol"].startswith("plus") else d["protocol"]
        args = (d["subset"], d["architecture"], protocol, d["data_size"], d["input_size"], d["epochs"], d["batch_size"])
        spec = model_spec(*args)
        schedule = replace(spec.schedule, learning_rate=d["learning_rate"], milestones=tuple(d["milestones"]))
        spec = replace(spec, schedule=schedule)
        if spec.to_dict() != dict(d):
            differ = sorted(k for k, v in spec.to_dict().items() if d.get(k) != v)
            raise ConfigError(f"recorded model spec cannot be rebuilt: {', '.join(differ)} differ from what model_spec gives")
        return spec


def default_input_size(protocol: str, size: int = 28, volumetric: bool = False) -> int:
    """Network input of a protocol: 112 for "28" (4x nearest), 224 for "224", native for MedMNIST+ files.

    The paper's 3D conversions keep its stride-1 stem, so they see the volume at its own size.
    """
    if size != 28 or volumetric:
        return size
    return 112 if protocol == "28" else 224


def model_spec(
    subset: str,
    architecture: str = "resnet18",
    protocol: str = "28",
    size: int = 28,
    input_size: int | None = None,
    epochs: int | None = None,
    batch_size: int | None = None,
) -> ModelSpec:
    """The spec for ``subset`` under the paper's ``protocol`` ("28" or "224").

    ``size`` > 28 trains on the MedMNIST+ file of that size at native resolution
    (protocol label ``plus<size>``).  ``input_size`` overrides the network input (used to
    measure the effect of the 4x upsampling that stands in for the CIFAR stem).
    """
    sub = get_subset(subset)
    if architecture not in MODEL_CHOICES:
        raise ConfigError(f"unknown model {architecture!r}; choose one of {', '.join(MODEL_CHOICES)}")
    volumetric = architecture in VOLUMETRIC
    if volumetric and not sub.is_3d:
        raise ConfigError(f"model {architecture!r} is a 3D network; {sub.key} is a 2D subset (use resnet18 or resnet50)")
    if protocol not in PROTOCOLS:
        raise ConfigError(f"unknown protocol {protocol!r}; choose '28' or '224'")
    sub.file(size)  # validates the size for this subset
    label = f"plus{size}" if size != 28 else protocol
    default_input = default_input_size(protocol, size, volumetric)
    if sub.is_3d and protocol == "224":
        raise ConfigError("the 224 protocol is 2D only; 3D subsets use 28 (or --size 64)")
    net_input = input_size or default_input
    if net_input % size:
        raise ConfigError(f"input size {net_input} must be a multiple of the data size {size} (nearest upsampling)")
    if volumetric and net_input != size:
        raise ConfigError(f"{architecture} sees the volume at its own size ({size}); --input-size does not apply")
    if sub.is_3d:
        in_chans = 1 if volumetric else size  # one channel (C, D, H, W), or depth as channels
        scale = 2.0 if sub.key in RANDOM_INTENSITY_SUBSETS else 1.0
        mean, std = (0.0,) * in_chans, (scale,) * in_chans
        batch = 32
    else:
        in_chans = 3
        mean, std = (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)
        batch = 128
    schedule = TrainingSchedule(
        epochs=epochs if epochs is not None else 100, batch_size=batch_size or batch
    )
    return ModelSpec(
        subset=sub,
        architecture=architecture,
        protocol=label,
        data_size=size,
        input_size=net_input,
        in_chans=in_chans,
        mean=mean,
        std=std,
        random_intensity=sub.key in RANDOM_INTENSITY_SUBSETS,
        schedule=schedule,
    )
