"""Model architectures timm does not ship, registered in timm's registry on import.

    import medmnist_hub.models   # registers resnet18_3d, resnet18_acs, resnet18_2p5d, resnet50_*
    model = timm.create_model("resnet18_acs", num_classes=2)          # input (B, C, D, H, W)

Needs torch and timm (the ``[train]`` extra); ``import medmnist_hub`` itself never
imports this package, so the core stays free of torch.  A checkpoint of one of these
models loads with timm (``hf-hub:``/``local-dir:``) or transformers' TimmWrapper once
this import has run, because both look the architecture name up in timm's registry.
"""

from .resnet3d import CONVERSIONS, MODEL_NAMES, ResNet3d

__all__ = ["CONVERSIONS", "MODEL_NAMES", "ResNet3d"]
