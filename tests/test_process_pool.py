"""Worker pools: the start method, and one BLAS/OpenMP thread in each worker of a pool."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor

from medmnist_hub.process_pool import THREAD_VARIABLES, one_thread_per_worker, pool_context


def _thread_settings() -> dict:
    return {name: os.environ.get(name) for name in THREAD_VARIABLES}


def test_workers_started_in_the_block_get_one_thread_and_the_parent_gets_its_environment_back(monkeypatch):
    for name in THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "3")  # the user's own choice is kept
    with one_thread_per_worker():
        with ProcessPoolExecutor(1, mp_context=pool_context()) as pool:
            seen = pool.submit(_thread_settings).result()
    assert seen["OPENBLAS_NUM_THREADS"] == "1" and seen["OMP_NUM_THREADS"] == "1"
    assert seen["MKL_NUM_THREADS"] == "3"
    after = _thread_settings()
    assert after["MKL_NUM_THREADS"] == "3"
    assert all(after[name] is None for name in THREAD_VARIABLES if name != "MKL_NUM_THREADS")


def test_the_environment_comes_back_when_the_block_fails(monkeypatch):
    for name in THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    try:
        with one_thread_per_worker():
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    assert all(value is None for value in _thread_settings().values())
