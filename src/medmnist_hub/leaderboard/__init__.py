"""The MedMNIST leaderboard: the paper's reference rows, aggregation, rendering, the Gradio Space.

It reads result records through :mod:`medmnist_hub.results` like every producer; everything
here is plain Python, and the Gradio app in :mod:`medmnist_hub.leaderboard.app` is the only
part that needs ``gradio``.
"""
