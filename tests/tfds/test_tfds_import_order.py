"""TensorFlow + triton in one process: the crash, the fix, and the fallback, each in a fresh interpreter.

Importing TensorFlow and then loading triton (torch._dynamo, timm, transformers'
Trainer, evaluate, an optimizer step...) kills the process with SIGSEGV: TensorFlow
puts its LLVM into the global symbol scope and triton's own LLVM binds to it (details
in ``medmnist_hub.tfds_builders.import_order``).  These tests run each import order in
a subprocess so that the crash, when it happens, cannot take the test session down.
"""

from __future__ import annotations

import signal
import sys

import pytest
from tfds_helpers import require_installed, run_python

from medmnist_hub.tfds_builders import import_order

require_installed(
    ("triton", "tensorflow"),
    "needs both triton (with torch) and TensorFlow installed: without one of them there is no clash",
)

# Loads triton exactly the way the project's training code does: timm model + optimizer step.
USE_TRITON = """
import torch, timm
model = timm.create_model("resnet18", num_classes=3, in_chans=1)
opt = torch.optim.AdamW(model.parameters())
model(torch.ones(2, 1, 28, 28)).sum().backward()
opt.step()
import sys
print("TRITON_LOADED", "triton" in sys.modules)
"""

USE_TENSORFLOW = """
import tensorflow as tf
print("TF_SUM", float(tf.reduce_sum(tf.ones(3))))
"""


def test_importing_our_package_first_makes_any_later_order_safe():
    proc = run_python(
        "import medmnist_hub.tfds_builders as tb\n"
        "from medmnist_hub.tfds_builders import import_order\n"
        "print('REPORT', import_order.preload_before_tensorflow())\n" + USE_TENSORFLOW + USE_TRITON + USE_TENSORFLOW
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "TF_SUM 3.0" in proc.stdout
    assert "TRITON_LOADED True" in proc.stdout  # triton really loaded after TensorFlow, and works
    assert "libtriton.so" in proc.stdout  # already_loaded on the second call: the first one preloaded it


def test_too_late_blocks_triton_instead_of_crashing():
    """TensorFlow imported before our package: triton cannot be loaded safely any more; torch runs without it."""
    proc = run_python(
        "import tensorflow\n"
        "import medmnist_hub.tfds_builders\n"
        "try:\n"
        "    import triton\n"
        "except ModuleNotFoundError as exc:\n"
        "    print('BLOCKED', exc)\n" + USE_TRITON
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "BLOCKED triton is not importable in this process: TensorFlow was imported before it" in proc.stdout
    assert "TRITON_LOADED False" in proc.stdout  # the optimizer step ran, without triton
    assert "import medmnist_hub.tfds_builders (or torch._dynamo) before tensorflow" in proc.stderr


def test_without_the_preload_tensorflow_then_triton_crashes():
    """The hazard itself, and proof that the preload (not some side effect of our import) prevents it."""
    proc = run_python(
        "import medmnist_hub.tfds_builders\nimport tensorflow\nimport triton\nprint('survived')",
        env={import_order.DISABLE_ENV: "1"},
    )
    if proc.returncode == 0:
        pytest.skip("TensorFlow-then-triton no longer crashes with these versions: the guard is merely harmless")
    assert proc.returncode == -signal.SIGSEGV, proc.stderr[-2000:]


def test_this_test_session_is_protected():
    """In this very process libtriton is mapped before TensorFlow can load (the conftest import did it)."""
    report = import_order.preload_before_tensorflow()
    assert not report.blocked, "TensorFlow was imported before the triton preload in this test session"
    maps = open("/proc/self/maps").read() if sys.platform.startswith("linux") else ""
    assert "libtriton.so" in maps
