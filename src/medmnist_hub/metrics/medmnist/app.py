"""The standard evaluate metric widget, for this module published as a Hugging Face Space.

The widget shows one config; set MEDMNIST_CONFIG to a task type or subset name to show
another. The module is loaded from this folder, so the Space works under any repo id.
"""

import os
from pathlib import Path

import evaluate
from evaluate.utils import launch_gradio_widget

module = evaluate.load(str(Path(__file__).resolve().parent), os.environ.get("MEDMNIST_CONFIG", "multi-class"))
launch_gradio_widget(module)
