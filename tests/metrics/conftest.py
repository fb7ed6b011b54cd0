"""Shared fixtures for the metric tests.

The official evaluator (``medmnist`` 3.0.2, installed as a test-only reference) imports
torch, and ``evaluate`` imports transformers: both are imported once per session, and
only by the tests that need them.
"""

from __future__ import annotations

import warnings

import pytest


@pytest.fixture(scope="session")
def official():
    """``(getAUC, getACC)`` of the official evaluator, silencing sklearn's single-class warning."""
    from medmnist.evaluator import getACC, getAUC

    def auc(y_true, y_score, task):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return getAUC(y_true, y_score, task)

    def acc(y_true, y_score, task):
        return getACC(y_true, y_score, task)

    return auc, acc


@pytest.fixture(scope="session")
def evaluate_lib():
    import evaluate

    evaluate.logging.set_verbosity_error()
    return evaluate
