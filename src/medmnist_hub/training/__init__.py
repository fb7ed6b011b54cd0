"""Baselines: timm ResNets trained with transformers.Trainer under the MedMNIST v2 protocol.

Needs the ``[train]`` extra (torch, timm, transformers, accelerate).
"""

from .protocol import ModelSpec, model_spec

__all__ = ["ModelSpec", "model_spec"]
