"""``python -m medmnist_hub.tfds_builders``: see :mod:`medmnist_hub.tfds_builders.cli`."""

import sys

from .cli import main

sys.exit(main())
