"""The Hub endpoint of every Hub call: ``HF_ENDPOINT`` as set now (``huggingface_hub`` reads it once, at import).

Plain Python, so the leaderboard Space vendors it; evaluate, publish and the leaderboard follow a mirror or a
local stand-in set after import."""

from __future__ import annotations

import os

DEFAULT_ENDPOINT = "https://huggingface.co"


def hub_endpoint(endpoint: str | None = None) -> str:
    """``endpoint`` if given, else ``HF_ENDPOINT``, else the public Hub; without a trailing slash."""
    return (endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
