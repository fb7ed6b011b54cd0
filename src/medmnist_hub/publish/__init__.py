"""Publishing to the Hugging Face Hub: dataset, metric, models (with their eval results), leaderboard.

Light at import time; ``huggingface_hub`` is imported inside the functions.
"""
