"""The `evaluate` module folder of the MedMNIST metric (publishable as a Space on its own).

Importing this package imports nothing: ``medmnist.py`` needs ``evaluate`` and is loaded
through ``evaluate.load``; ``medmnist_scoring.py`` (numpy only) holds the computation.
"""
