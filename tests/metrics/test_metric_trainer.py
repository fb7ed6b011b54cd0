"""``make_compute_metrics``: what transformers.Trainer hands over becomes the official AUC/ACC."""

from __future__ import annotations

import numpy as np
import pytest

from medmnist_hub import metrics
from medmnist_hub.catalog import get_subset
from medmnist_hub.synthetic import synthetic_labels


def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def eval_case(subset, n=120, seed=0):
    sub = get_subset(subset)
    rng = np.random.default_rng(seed)
    y = synthetic_labels(sub, n, rng)
    width = sub.num_classes  # the baselines' heads: 2 outputs for binary tasks, 14 for ChestMNIST
    logits = rng.normal(0.0, 2.0, size=(n, width)).astype(np.float32)
    return y, logits


@pytest.mark.parametrize("subset", ["pathmnist", "retinamnist", "breastmnist", "chestmnist"])
@pytest.mark.parametrize("label_layout", ["official", "flat", "float"])
def test_logits_become_paper_scores(subset, label_layout):
    from transformers import EvalPrediction

    y, logits = eval_case(subset)
    label_ids = {"official": y, "flat": y.squeeze(1) if y.shape[1] == 1 else y, "float": y.astype(np.float32)}[
        label_layout
    ]
    out = metrics.make_compute_metrics(subset)(EvalPrediction(predictions=logits, label_ids=label_ids))
    link = sigmoid if subset == "chestmnist" else softmax
    assert out == metrics.compute(subset, y, link(logits.astype(np.float64)))
    assert set(out) == {"auc", "acc"} and all(isinstance(v, float) for v in out.values())


def test_single_output_binary_head_gets_a_sigmoid():
    y, _ = eval_case("breastmnist")
    logit = np.random.default_rng(1).normal(size=(len(y), 1)).astype(np.float32)
    out = metrics.make_compute_metrics("breastmnist")((logit, y))
    assert out == metrics.compute("breastmnist", y, sigmoid(logit.astype(np.float64)).ravel())


def test_tuple_of_model_outputs_uses_the_logits():
    y, logits = eval_case("pathmnist")
    hidden = np.zeros((len(y), 3, 7), dtype=np.float32)
    compute_metrics = metrics.make_compute_metrics("pathmnist")
    assert compute_metrics(((logits, hidden), y)) == compute_metrics((logits, y))


def test_batch_mode_accumulates_torch_tensors_and_resets():
    import torch

    y, logits = eval_case("chestmnist", n=100)
    compute_metrics = metrics.make_compute_metrics("chestmnist")
    expected = compute_metrics((logits, y))
    for _ in range(2):  # a second evaluation starts from an empty buffer
        outs = [
            compute_metrics(
                (torch.from_numpy(logits[i : i + 32]), torch.from_numpy(y[i : i + 32]).float()),
                compute_result=i + 32 >= 100,
            )
            for i in range(0, 100, 32)
        ]
        assert outs[:-1] == [{}, {}, {}] and outs[-1] == expected
    bf16 = torch.from_numpy(logits).to(torch.bfloat16)
    out = compute_metrics((bf16, torch.from_numpy(y)), compute_result=True)
    assert out == metrics.compute("chestmnist", y, sigmoid(bf16.float().numpy().astype(np.float64)))


def test_extra_and_single_class_options():
    y, logits = eval_case("retinamnist")
    out = metrics.make_compute_metrics("retinamnist", extra=True)((logits, y))
    assert {"auc", "acc", "extra_balanced_accuracy", "extra_macro_f1", "extra_mcc", "extra_mae"} == set(out)
    y[y == 4] = 3
    with pytest.raises(metrics.MetricInputError, match="class 4: no example"):
        metrics.make_compute_metrics("retinamnist")((logits, y))
    out = metrics.make_compute_metrics("retinamnist", single_class="nan")((logits, y))
    assert np.isnan(out["auc"]) and 0 <= out["acc"] <= 1
    with pytest.raises(metrics.MetricInputError, match="single_class must be one of"):
        metrics.make_compute_metrics("retinamnist", single_class="ignore")
    with pytest.raises(metrics.MetricInputError, match="unknown MedMNIST metric config"):
        metrics.make_compute_metrics("retina")
    with pytest.raises(metrics.MetricInputError, match=r"shape \(N, 5\).*received shape \(120, 4\)"):
        metrics.make_compute_metrics("retinamnist")((logits[:, :4], y))


# --- inside a real transformers.Trainer ------------------------------------------------------------


def _tiny_trainer(tmp_path, subset, batch_eval_metrics):
    import torch
    from torch import nn
    from transformers import Trainer, TrainingArguments

    sub = get_subset(subset)
    n = 70
    y, _ = eval_case(subset, n=n, seed=3)
    torch.manual_seed(0)
    x = torch.randn(n, 6) + torch.from_numpy(y[:, :1].astype(np.float32))  # a little signal
    labels = torch.from_numpy(y.astype(np.float32)) if sub.is_multilabel else torch.from_numpy(y[:, 0].astype(np.int64))

    class Tiny(nn.Module):
        def __init__(self):
            super().__init__()
            self.head = nn.Linear(6, sub.num_classes)

        def forward(self, pixel_values, labels=None):
            logits = self.head(pixel_values)
            if sub.is_multilabel:
                loss = nn.functional.binary_cross_entropy_with_logits(logits, labels)
            else:
                loss = nn.functional.cross_entropy(logits, labels)
            return {"loss": loss, "logits": logits}

    dataset = [{"pixel_values": x[i], "labels": labels[i]} for i in range(n)]
    args = TrainingArguments(
        output_dir=str(tmp_path / "out"),
        per_device_eval_batch_size=16,
        report_to=[],
        use_cpu=True,
        remove_unused_columns=False,
        label_names=["labels"],
        batch_eval_metrics=batch_eval_metrics,
        disable_tqdm=True,
    )
    trainer = Trainer(
        model=Tiny(), args=args, eval_dataset=dataset, compute_metrics=metrics.make_compute_metrics(subset)
    )
    return trainer, y


@pytest.mark.parametrize("subset", ["chestmnist", "bloodmnist"])
def test_inside_trainer_evaluate(tmp_path, subset):
    trainer, y = _tiny_trainer(tmp_path, subset, batch_eval_metrics=False)
    result = trainer.evaluate()
    prediction = trainer.predict(trainer.eval_dataset)
    link = sigmoid if subset == "chestmnist" else softmax
    expected = metrics.compute(subset, y, link(prediction.predictions.astype(np.float64)))
    assert result["eval_auc"] == expected["auc"] and result["eval_acc"] == expected["acc"]

    batched, _ = _tiny_trainer(tmp_path, subset, batch_eval_metrics=True)
    result_batched = batched.evaluate()
    assert result_batched["eval_auc"] == expected["auc"] and result_batched["eval_acc"] == expected["acc"]
