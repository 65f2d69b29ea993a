"""The game day's own error."""

from __future__ import annotations


class GameDayError(RuntimeError):
    """A game day that cannot go on (a journal of another scenario, an endpoint already in use, ...)."""
