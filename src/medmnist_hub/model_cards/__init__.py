"""Model cards (YAML with model-index + body) for checkpoints trained on MedMNIST."""

from .card import DEFAULT_DATASET_REPO, render_model_card, write_model_card

__all__ = ["DEFAULT_DATASET_REPO", "render_model_card", "write_model_card"]
