"""The protocol's numbers: model specs, the learning-rate schedule, batches across processes."""

from __future__ import annotations

import pytest
import torch

from medmnist_hub.errors import ConfigError
from medmnist_hub.training.protocol import model_spec


def test_specs_follow_the_paper():
    s = model_spec("pneumoniamnist")
    assert (s.input_size, s.in_chans, s.mean, s.std, s.schedule.batch_size, s.schedule.epochs) == (112, 3, (0.5,) * 3, (0.5,) * 3, 128, 100)
    s = model_spec("bloodmnist", protocol="224")
    assert (s.input_size, s.upsample, s.protocol) == (224, 8, "224")
    s = model_spec("vesselmnist3d")
    assert (s.in_chans, s.schedule.batch_size, s.random_intensity, s.std[0]) == (28, 32, True, 2.0)
    s = model_spec("organmnist3d")
    assert (s.random_intensity, s.std[0]) == (False, 1.0)
    s = model_spec("bloodmnist", size=64)
    assert (s.input_size, s.protocol, s.config_name) == (64, "plus64", "bloodmnist_64")


def test_3d_conversions_take_the_volume_as_one_channel_at_its_own_size():
    s = model_spec("vesselmnist3d", "resnet18_acs")
    assert (s.in_chans, s.input_size, s.upsample, s.std, s.schedule.batch_size) == (1, 28, 1, (2.0,), 32)
    assert (s.paper_method, s.family, s.display_name) == ("ResNet-18 + ACS", "resnet18", "ResNet-18 + ACS (28)")
    assert model_spec("organmnist3d", "resnet50_2p5d", size=64).data_config()["input_size"] == (1, 64, 64)
    assert model_spec("vesselmnist3d").paper_method == "ResNet-18 + 3D"  # depth-as-channels is compared with + 3D
    assert model_spec("breastmnist").paper_method == "ResNet-18 (28)"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"subset": "adrenalmnist3d", "protocol": "224"}, "2D only"),
        ({"subset": "bloodmnist", "architecture": "vgg16"}, "unknown model"),
        ({"subset": "bloodmnist", "protocol": "32"}, "unknown protocol"),
        ({"subset": "bloodmnist", "input_size": 100}, "multiple of the data size"),
        ({"subset": "breastmnist", "architecture": "resnet18_acs"}, "is a 3D network"),
        ({"subset": "adrenalmnist3d", "architecture": "resnet18_3d", "input_size": 56}, "does not apply"),
    ],
)
def test_bad_specs_are_config_errors(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        model_spec(**kwargs)


def test_learning_rate_drops_at_epochs_50_and_75():
    from medmnist_hub.training.trainer import paper_optimizer

    spec = model_spec("breastmnist")
    model = torch.nn.Linear(2, 2)
    optimizer, scheduler = paper_optimizer(model, spec, steps_per_epoch=5)
    lrs = []
    for _ in range(100 * 5):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert lrs[0] == lrs[5 * 50 - 1] == 1e-3
    assert lrs[5 * 50] == pytest.approx(1e-4) and lrs[5 * 75 - 1] == pytest.approx(1e-4)
    assert lrs[5 * 75] == pytest.approx(1e-5) and lrs[-1] == pytest.approx(1e-5)


def test_global_batch_is_the_papers_on_any_number_of_processes(monkeypatch):
    from medmnist_hub.training.trainer import per_device_batch, steps_per_epoch

    spec = model_spec("pneumoniamnist")
    for world, per_device in [(1, 128), (2, 64), (4, 32)]:
        monkeypatch.setenv("WORLD_SIZE", str(world))
        assert per_device_batch(spec) == per_device
        assert steps_per_epoch(spec, 4708) == 37  # ceil(4708 / 128), the same for every world size
    monkeypatch.setenv("WORLD_SIZE", "3")
    with pytest.raises(ConfigError, match="cannot be split evenly across 3 processes"):
        per_device_batch(spec)


def test_2d_and_3d_forms_are_different_leaderboard_methods():
    # One leaderboard row per method: the 12 2D networks share one, the depth-as-channels 3D networks another
    # (a shared id with two names is refused by the leaderboard).
    from medmnist_hub.training.baseline import method_name

    assert {method_name(model_spec(s)) for s in ("breastmnist", "pneumoniamnist", "retinamnist")} == {"resnet18-28"}
    assert {method_name(model_spec(s)) for s in ("adrenalmnist3d", "vesselmnist3d")} == {"resnet18-28-depth-as-channels"}
    assert method_name(model_spec("breastmnist", input_size=28)) == "resnet18-28-in28"


def test_experiment_runs_are_named_apart_from_the_protocol_runs():
    assert model_spec("breastmnist").display_name == "ResNet-18 (28)"
    assert model_spec("breastmnist", input_size=28).display_name == "ResNet-18 (28, 28 px input)"
    assert model_spec("vesselmnist3d").display_name == "ResNet-18 (depth-as-channels, 28)"


@pytest.mark.parametrize("args", [("bloodmnist",), ("pneumoniamnist", "resnet50", "224"), ("breastmnist", "resnet18", "28", 28, 28),
                                  ("vesselmnist3d", "resnet18_3d", "28", 64), ("organmnist3d", "resnet18", "28", 28)])
def test_a_recorded_spec_rebuilds_exactly_or_is_refused(args):
    from medmnist_hub.training.protocol import ModelSpec

    spec = model_spec(*args)
    assert ModelSpec.from_dict(spec.to_dict()) == spec
    edited = {**spec.to_dict(), "in_chans": spec.in_chans + 1}  # a spec model_spec never makes
    with pytest.raises(ConfigError, match="in_chans"):
        ModelSpec.from_dict(edited)
