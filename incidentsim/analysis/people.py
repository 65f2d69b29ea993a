"""What the incidents cost the people on call: pages out of hours, and shifts over the limit.

Times are read in the on-call team's time zone (an IANA name such as ``"Europe/London"``),
so daylight saving moves the hours the way it moves the team.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd

from ..params import HourWindow, Interval, Options, TimeZone, validate_params
from ._common import (
    WEEKDAYS,
    ResultLike,
    delegate,
    history_span,
    utc,
)

__all__ = ["INTERRUPTION_CATEGORIES", "interruptions", "interruptions_by_hour", "shift_summary", "shifts_over_limit"]

#: The categories of :func:`interruptions`, in row order.
INTERRUPTION_CATEGORIES = ("business_hours", "off_hours", "sleep_hours")
#: Shift lengths that tile a day, so every day's shifts start at the same hours.
SHIFT_HOURS = (1, 2, 3, 4, 6, 8, 12, 24)
#: The parameters of :func:`shifts_over_limit` and :func:`shift_summary`.
SHIFT_PARAMETERS: dict[str, list[Any]] = {
    "shift_hours": [Options(SHIFT_HOURS)],
    "first_shift_start_hour": [Interval(Integral, 0, 23)],
    "tz": [TimeZone()],
    "limit": [Interval(Integral, 0, None)],
}


def _in_window(hours: np.ndarray, window: tuple[int, int]) -> np.ndarray:
    """Whether each hour lies in ``[start, end)``; windows may wrap past midnight (``(23, 7)``)."""
    start, end = window
    if start < end:
        return (hours >= start) & (hours < end)
    return (hours >= start) | (hours < end)


def _created_local(result: ResultLike, tz: str) -> pd.Series:
    incidents = result.incidents
    if len(incidents) == 0:
        return pd.Series([], dtype=f"datetime64[ns, {tz}]")
    return utc(incidents["creation_time"]).dt.tz_convert(tz)


@validate_params(
    {
        "tz": [TimeZone()],
        "business_hours": [HourWindow()],
        "sleep_hours": [HourWindow()],
        "weekend_is_off_hours": [Options((True, False))],
    }
)
def interruptions(
    result: ResultLike,
    tz: str = "UTC",
    business_hours: tuple[int, int] = (9, 18),
    sleep_hours: tuple[int, int] = (23, 7),
    weekend_is_off_hours: bool = True,
) -> pd.DataFrame:
    """Incidents created in business hours, off hours and sleep hours.

    Parameters
    ----------
    result : ReplayResult
        Anything with an ``incidents`` table (``creation_time``).
    tz : str
        Time zone of the people paged (a ``zoneinfo`` name).
    business_hours : (int, int)
        ``[start, end)`` hours of the working day, Monday to Friday.
    sleep_hours : (int, int)
        ``[start, end)`` hours of the night, every day; may wrap past midnight. Sleep hours
        win where they overlap business hours.
    weekend_is_off_hours : bool
        True: Saturday and Sunday have no business hours. False: business hours hold every
        day of the week.

    Returns
    -------
    DataFrame
        Three rows: ``category`` (``business_hours``, ``off_hours``, ``sleep_hours``),
        int64 ``incidents`` and float ``share`` (of all incidents, 0 when there are none).

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> created = pd.to_datetime(["2024-04-01 10:00", "2024-04-01 20:00", "2024-04-02 03:00", "2024-04-06 10:00"],
    ...                          utc=True)
    >>> table = interruptions(SimpleNamespace(events=pd.DataFrame(),
    ...                                       incidents=pd.DataFrame({"creation_time": created})))
    >>> table.set_index("category")["incidents"].to_dict()
    {'business_hours': 1, 'off_hours': 2, 'sleep_hours': 1}
    """
    business = (int(business_hours[0]) % 24, int(business_hours[1]))
    sleep = (int(sleep_hours[0]) % 24, int(sleep_hours[1]))
    found = delegate(
        result,
        "interruptions",
        tz=tz,
        business_hours=business_hours,
        sleep_hours=sleep_hours,
        weekend_is_off_hours=weekend_is_off_hours,
    )
    if found is not None:
        return found
    local = _created_local(result, tz)
    hours = local.dt.hour.to_numpy()
    weekday = local.dt.day_of_week.to_numpy() < 5 if weekend_is_off_hours else np.ones(len(local), dtype=bool)
    asleep = _in_window(hours, sleep)
    working = ~asleep & weekday & _in_window(hours, business)
    counts = [int(working.sum()), int((~asleep & ~working).sum()), int(asleep.sum())]
    total = sum(counts)
    return pd.DataFrame(
        {
            "category": list(INTERRUPTION_CATEGORIES),
            "incidents": np.array(counts, dtype="int64"),
            "share": np.array([count / total if total else 0.0 for count in counts], dtype="float64"),
        }
    )


@validate_params({"tz": [TimeZone()]})
def interruptions_by_hour(result: ResultLike, tz: str = "UTC") -> pd.DataFrame:
    """Incidents created per weekday and hour of day, for a heatmap.

    Parameters
    ----------
    result : ReplayResult
        Anything with an ``incidents`` table (``creation_time``).
    tz : str
        Time zone the weekday and hour are read in (a ``zoneinfo`` name).

    Returns
    -------
    DataFrame
        7 x 24 int64 counts: index ``weekday`` (Monday to Sunday), columns ``hour`` (0 to 23).

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> created = pd.to_datetime(["2024-04-01 10:30", "2024-04-01 10:45"], utc=True)
    >>> grid = interruptions_by_hour(SimpleNamespace(events=pd.DataFrame(),
    ...                                              incidents=pd.DataFrame({"creation_time": created})),
    ...                              tz="Europe/Paris")
    >>> grid.shape, int(grid.loc["Monday", 12])
    ((7, 24), 2)
    """
    found = delegate(result, "interruptions_by_hour", tz=tz)
    if found is not None:
        return found
    local = _created_local(result, tz)
    grid = np.zeros((7, 24), dtype="int64")
    np.add.at(grid, (local.dt.day_of_week.to_numpy(dtype="int64"), local.dt.hour.to_numpy(dtype="int64")), 1)
    return pd.DataFrame(grid, index=pd.Index(list(WEEKDAYS), name="weekday"), columns=pd.Index(range(24), name="hour"))


def _shift_bounds(
    span: tuple[pd.Timestamp, pd.Timestamp], shift_hours: int, first_hour: int, tz: str
) -> pd.DatetimeIndex:
    """Shift boundaries in local wall time, from the last one at or before the span's start to
    the first one after its end. A boundary that falls in a daylight-saving gap moves to the
    first moment after it; an ambiguous one takes the earlier (summer-time) instant."""
    start, end = (moment.tz_convert(tz) for moment in span)
    days = pd.date_range(
        start.normalize().tz_localize(None) - pd.Timedelta(days=1),
        end.normalize().tz_localize(None) + pd.Timedelta(days=1),
        freq="1D",
    )
    hours = sorted((first_hour + k * shift_hours) % 24 for k in range(24 // shift_hours))
    wall = pd.DatetimeIndex([day + pd.Timedelta(hours=hour) for day in days for hour in hours])
    bounds = (
        wall.tz_localize(tz, ambiguous=np.ones(len(wall), dtype=bool), nonexistent="shift_forward")
        .unique()
        .sort_values()
    )
    first = int(np.searchsorted(bounds.asi8, start.value, side="right")) - 1
    last = int(np.searchsorted(bounds.asi8, end.value, side="right"))
    return bounds[max(first, 0) : last + 1]


@validate_params(SHIFT_PARAMETERS)
def shifts_over_limit(
    result: ResultLike,
    *,
    shift_hours: int = 12,
    first_shift_start_hour: int = 8,
    tz: str = "UTC",
    limit: int = 2,
) -> pd.DataFrame:
    """Incidents per on-call shift, and whether each shift went over the limit.

    The SRE rule of thumb is at most two incidents per 12-hour shift: beyond that, the
    person on call cannot follow each one up properly.

    Parameters
    ----------
    result : ReplayResult
        Anything with ``events`` (``timestamp``) and ``incidents`` (``creation_time``);
        the shifts cover the history from its first event to its last.
    shift_hours : int
        Length of a shift in hours; one of 1, 2, 3, 4, 6, 8, 12 or 24, so shifts tile a day.
    first_shift_start_hour : int
        Local hour (0 to 23) at which one of each day's shifts starts.
    tz : str
        Time zone the shifts are kept in (a ``zoneinfo`` name). Across a daylight-saving
        change a shift is an hour longer or shorter.
    limit : int
        Most incidents a shift can take without going over.

    Returns
    -------
    DataFrame
        One row per shift, in time order: ``shift_start``, ``shift_end`` (tz-aware, in
        ``tz``; a shift is ``[shift_start, shift_end)``), int64 ``incidents`` and bool
        ``over_limit`` (``incidents > limit``).

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> created = pd.to_datetime(["2024-04-01 09:00", "2024-04-01 10:00", "2024-04-01 11:00", "2024-04-01 21:00"],
    ...                          utc=True)
    >>> result = SimpleNamespace(events=pd.DataFrame({"timestamp": created}),
    ...                          incidents=pd.DataFrame({"creation_time": created}))
    >>> shifts = shifts_over_limit(result)
    >>> shifts["shift_start"].dt.hour.tolist(), shifts["incidents"].tolist(), shifts["over_limit"].tolist()
    ([8, 20], [3, 1], [True, False])
    """
    return _shifts(result, shift_hours, first_shift_start_hour, tz, limit)


def _shifts(result: ResultLike, shift_hours: int, first_shift_start_hour: int, tz: str, limit: int) -> pd.DataFrame:
    limit = int(limit)
    found = delegate(
        result,
        "shifts_over_limit",
        shift_hours=shift_hours,
        first_shift_start_hour=first_shift_start_hour,
        tz=tz,
        limit=limit,
    )
    if found is not None:
        return found
    span = history_span(result)
    if span is None:
        empty = pd.Series([], dtype=f"datetime64[ns, {tz}]")
        return pd.DataFrame(
            {
                "shift_start": empty,
                "shift_end": empty.copy(),
                "incidents": pd.Series([], dtype="int64"),
                "over_limit": pd.Series([], dtype=bool),
            }
        )
    bounds = _shift_bounds(span, int(shift_hours), int(first_shift_start_hour), tz)
    created = (
        _created_local(result, tz).dropna().astype("int64").to_numpy()
        if len(result.incidents)
        else np.array([], dtype="int64")
    )
    positions = np.searchsorted(bounds.asi8, created, side="right") - 1
    counts = np.bincount(positions[(positions >= 0) & (positions < len(bounds) - 1)], minlength=len(bounds) - 1)
    return pd.DataFrame(
        {
            "shift_start": bounds[:-1].astype(f"datetime64[ns, {tz}]"),
            "shift_end": bounds[1:].astype(f"datetime64[ns, {tz}]"),
            "incidents": counts.astype("int64"),
            "over_limit": counts > limit,
        }
    )


@validate_params(SHIFT_PARAMETERS)
def shift_summary(
    result: ResultLike,
    *,
    shift_hours: int = 12,
    first_shift_start_hour: int = 8,
    tz: str = "UTC",
    limit: int = 2,
) -> pd.DataFrame:
    """How many on-call shifts went over the limit, in one row.

    Parameters
    ----------
    result, shift_hours, first_shift_start_hour, tz, limit
        As for :func:`shifts_over_limit`.

    Returns
    -------
    DataFrame
        One row: int64 ``shifts``, ``shifts_over_limit``, float ``share`` (of shifts over
        the limit, 0 when there are no shifts) and int64 ``worst_shift_incidents``.

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> created = pd.to_datetime(["2024-04-01 09:00", "2024-04-01 10:00", "2024-04-01 11:00", "2024-04-01 21:00"],
    ...                          utc=True)
    >>> result = SimpleNamespace(events=pd.DataFrame({"timestamp": created}),
    ...                          incidents=pd.DataFrame({"creation_time": created}))
    >>> shift_summary(result).to_dict("records")
    [{'shifts': 2, 'shifts_over_limit': 1, 'share': 0.5, 'worst_shift_incidents': 3}]
    """
    shifts = _shifts(result, shift_hours, first_shift_start_hour, tz, limit)
    over = int(shifts["over_limit"].sum())
    return pd.DataFrame(
        {
            "shifts": [len(shifts)],
            "shifts_over_limit": [over],
            "share": [over / len(shifts) if len(shifts) else 0.0],
            "worst_shift_incidents": [int(shifts["incidents"].max()) if len(shifts) else 0],
        }
    ).astype({"shifts": "int64", "shifts_over_limit": "int64", "share": "float64", "worst_shift_incidents": "int64"})
