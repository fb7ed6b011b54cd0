"""Benchmarks: each reports our figure against a baseline measured in the same run."""
