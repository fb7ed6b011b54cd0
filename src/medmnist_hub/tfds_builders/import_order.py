"""Let TensorFlow and triton (torch's kernel compiler) live in one process, in any import order.

The crash this prevents: importing ``tensorflow`` and then anything that loads triton
(``torch._dynamo``, ``torch.optim`` steps, ``timm.create_model``, ``transformers.Trainer``,
``evaluate``...) kills the interpreter with SIGSEGV (exit status 139) while
``triton/_C/libtriton.so`` is being loaded.

Root cause (gdb backtrace + ``LD_DEBUG=bindings``, TensorFlow 2.21 / triton 3.8):

* TensorFlow's ``pywrap_tensorflow`` loads its extension with ``RTLD_GLOBAL``
  (``pywrap_dlopen_global_flags``), so ``libtensorflow_framework.so.2`` and
  ``libtensorflow_cc.so.2`` enter the process's *global* symbol scope.  Both export a
  complete LLVM and MLIR with default visibility.
* ``libtriton.so`` statically links its *own*, different LLVM/MLIR, also exported with
  default visibility and not linked ``-Bsymbolic``.  The dynamic linker resolves a
  library's references in the global scope first, so when libtriton is loaded after
  TensorFlow, about 12,700 of its references to its own LLVM/MLIR symbols bind to
  TensorFlow's copies instead.
* libtriton's static initialisers then run (``_GLOBAL__sub_I_PassBuilder.cpp`` registering
  an LLVM ``DebugCounter``): TensorFlow's LLVM code works on a ``DenseMap`` laid out by
  triton's LLVM, frees a garbage pointer, and the process dies inside ``dlopen``.

In the other order nothing goes wrong: Python loads extensions ``RTLD_NOW | RTLD_LOCAL``,
so libtriton's relocations are all resolved against its own copy before TensorFlow's
symbols become global, and TensorFlow never looks into libtriton's local scope.

The fix is therefore to load ``libtriton.so`` itself (``RTLD_NOW | RTLD_LOCAL``, about
60 ms, no Python import of triton or torch) before TensorFlow can be imported:
:func:`preload_before_tensorflow`, which ``import medmnist_hub.tfds_builders`` calls first
thing.  When Python later imports ``triton._C.libtriton``, ``dlopen`` returns the handle
already loaded, with its bindings intact.

When it is too late (TensorFlow is already loaded and libtriton is not), loading triton
can only crash; :func:`preload_before_tensorflow` then blocks the ``triton`` import with
a ``ModuleNotFoundError`` that explains why, so torch falls back to running without
triton (as it does where triton is not installed) instead of killing the process, and
logs a warning saying how to fix the import order.

This module uses the standard library only, so it is safe to import anywhere (a test
``conftest.py``, a ``sitecustomize``) before anything heavy.
"""

from __future__ import annotations

import ctypes
import importlib.abc
import importlib.machinery
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

#: Python packages whose native library carries its own exported LLVM, and the library's
#: path inside the package.  Each would bind to TensorFlow's LLVM if loaded after it.
LLVM_CARRIERS: tuple[tuple[str, str], ...] = (("triton", "_C/libtriton.so"),)

#: TensorFlow's libraries that put an exported LLVM into the global scope.
TENSORFLOW_LIBRARIES: tuple[str, ...] = ("libtensorflow_framework.so", "libtensorflow_cc.so")

#: Set to 1 to skip the preload (e.g. to reproduce the crash).
DISABLE_ENV = "MEDMNIST_HUB_NO_TRITON_PRELOAD"

_handles: dict[str, ctypes.CDLL] = {}  # keep loaded libraries referenced for the process's life


@dataclass
class PreloadReport:
    """What :func:`preload_before_tensorflow` did, for logs and tests."""

    preloaded: list[str] = field(default_factory=list)  # library paths loaded now
    already_loaded: list[str] = field(default_factory=list)  # loaded before (harmless)
    blocked: list[str] = field(default_factory=list)  # packages blocked: TF came first
    not_installed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # present but not loadable (broken install)
    disabled: bool = False


def _mapped_libraries() -> str:
    """The process's memory map (Linux); empty where there is no /proc."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def tensorflow_is_loaded() -> bool:
    """True once TensorFlow's native libraries are in this process."""
    if "tensorflow" in sys.modules:
        return True
    maps = _mapped_libraries()
    return any(name in maps for name in TENSORFLOW_LIBRARIES)


def _library_path(package: str, relative: str) -> Path | None:
    """Where ``package``'s native library is, without importing the package."""
    try:  # sys.path lookup only: neither imports the package nor meets our own blocker
        spec = importlib.machinery.PathFinder.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / relative
        if candidate.is_file():
            return candidate
    return None


def _is_loaded(path: Path) -> bool:
    resolved = str(path.resolve())
    return resolved in _handles or resolved in _mapped_libraries()


class _TooLateForTriton(importlib.abc.MetaPathFinder):
    """Turns the certain segfault of loading triton after TensorFlow into an ImportError."""

    def __init__(self, packages: tuple[str, ...]):
        self.packages = packages

    def find_spec(self, fullname, path=None, target=None):
        top = fullname.partition(".")[0]
        if top in self.packages:
            raise ModuleNotFoundError(
                f"{top} is not importable in this process: TensorFlow was imported before it, and "
                f"loading {top}'s native library after TensorFlow crashes the interpreter (both embed "
                "different LLVM builds; see medmnist_hub.tfds_builders.import_order). Import "
                "medmnist_hub.tfds_builders (or torch._dynamo / triton) before tensorflow to use both.",
                name=fullname,
            )
        return None


def _install_blocker(packages: tuple[str, ...]) -> None:
    for finder in sys.meta_path:
        if isinstance(finder, _TooLateForTriton):
            finder.packages = tuple(dict.fromkeys(finder.packages + packages))
            return
    sys.meta_path.insert(0, _TooLateForTriton(packages))


def preload_before_tensorflow() -> PreloadReport:
    """Load every LLVM-carrying library that could later be loaded after TensorFlow.

    Idempotent and cheap after the first call.  Returns what it did.
    """
    report = PreloadReport()
    if os.environ.get(DISABLE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}:
        report.disabled = True
        return report
    tf_loaded = None  # computed lazily: reading /proc/self/maps is the costly part
    for package, relative in LLVM_CARRIERS:
        path = _library_path(package, relative)
        if path is None:
            report.not_installed.append(package)
            continue
        if _is_loaded(path):
            report.already_loaded.append(str(path))
            continue
        if tf_loaded is None:
            tf_loaded = tensorflow_is_loaded()
        if tf_loaded:
            _install_blocker((package,))
            report.blocked.append(package)
            log.warning(
                "TensorFlow was imported before %s: loading %s now would crash this process, so importing %s is "
                "disabled here (torch runs without it). To use both, import medmnist_hub.tfds_builders (or torch._dynamo) "
                "before tensorflow.",
                package,
                path.name,
                package,
            )
            continue
        # RTLD_NOW: every relocation is bound now, against the library's own LLVM.
        try:
            _handles[str(path.resolve())] = ctypes.CDLL(str(path), mode=os.RTLD_NOW | os.RTLD_LOCAL)
        except OSError as exc:  # a broken triton install: importing it would fail anyway
            log.warning("could not preload %s (%s); importing %s after TensorFlow may crash", path, exc, package)
            report.failed.append(str(path))
            continue
        report.preloaded.append(str(path))
    return report
