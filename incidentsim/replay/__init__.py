"""Replay alarm history into the emulated Incident Manager."""

from .decisions import decide
from .engine import ENGINES, replay
from .result import ReplayResult, compare

__all__ = ["ENGINES", "ReplayResult", "compare", "decide", "replay"]
