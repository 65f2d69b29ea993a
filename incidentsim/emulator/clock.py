"""The emulator's clock: wall time by default, historical time during a replay."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone


def as_utc(when: datetime) -> datetime:
    """Return ``when`` as an aware UTC datetime; a naive datetime is taken as UTC."""
    if when.tzinfo is None:
        return when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc)


class EmulatorClock:
    """Where every time the emulator records comes from.

    It reads the wall clock until :meth:`set` pins it to a time, after which it
    stays at that time until it is set again or moved with :meth:`advance`.  A
    replay pins it to each event's historical time before the call.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> clock = EmulatorClock()
    >>> clock.set(datetime(2024, 1, 1, tzinfo=timezone.utc))
    >>> clock.advance(90).isoformat()
    '2024-01-01T00:01:30+00:00'
    >>> clock.is_virtual
    True
    >>> clock.use_wall_clock(); clock.is_virtual
    False
    """

    def __init__(self) -> None:
        self._pinned: datetime | None = None

    def now(self) -> datetime:
        if self._pinned is not None:
            return self._pinned
        return datetime.now(timezone.utc)

    @property
    def is_virtual(self) -> bool:
        return self._pinned is not None

    def set(self, when: datetime) -> None:
        self._pinned = as_utc(when)

    def advance(self, seconds: float) -> datetime:
        self._pinned = self.now() + timedelta(seconds=seconds)
        return self._pinned

    def use_wall_clock(self) -> None:
        self._pinned = None
