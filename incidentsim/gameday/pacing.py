"""Pacing: simulated time mapped onto wall time at a game day's speed, across pauses and seeks."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd


@dataclass
class Pacer:
    """Maps simulated time onto wall time at ``speed`` simulated seconds per wall second.

    :meth:`rebase` pins a simulated time to a wall time (at the start, and after a pause or a
    seek); ``speed`` may be ``inf`` (as fast as the calls go).  Wall times are seconds of
    ``time.monotonic()``, passed in, so the pacer reads no clock itself.

    Examples
    --------
    >>> pacer = Pacer(speed=60)
    >>> pacer.rebase(pd.Timestamp("2024-05-01T09:00:00Z"), wall=100.0)
    >>> pacer.due_in(pd.Timestamp("2024-05-01T09:02:00Z"), wall=100.5)
    1.5
    >>> pacer.now(wall=101.0)
    Timestamp('2024-05-01 09:01:00+0000', tz='UTC')
    """

    speed: float
    sim_origin: pd.Timestamp | None = None
    wall_origin: float = 0.0

    def rebase(self, sim: pd.Timestamp, wall: float) -> None:
        """From now on, simulated time ``sim`` is at wall time ``wall``."""
        self.sim_origin, self.wall_origin = sim, wall

    def due_in(self, sim: pd.Timestamp, wall: float) -> float:
        """Wall seconds from ``wall`` until simulated time ``sim`` comes round (0 or less: it is due)."""
        if math.isinf(self.speed) or self.sim_origin is None:
            return 0.0
        return self.wall_origin + (sim - self.sim_origin).total_seconds() / self.speed - wall

    def now(self, wall: float) -> pd.Timestamp | None:
        """The simulated time at wall time ``wall`` (None before the first :meth:`rebase`)."""
        if self.sim_origin is None:
            return None
        if math.isinf(self.speed):
            return self.sim_origin
        return self.sim_origin + pd.Timedelta(seconds=(wall - self.wall_origin) * self.speed)
