"""Shared pieces of the analysis layer: the result protocol and time helpers (parameters are checked by
:mod:`incidentsim.params`).

Nothing here imports plotting, widget or AWS libraries; every helper is a pure function.
"""

from __future__ import annotations

from typing import Any, Protocol

import pandas as pd

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class ResultLike(Protocol):
    """Anything with the two tables of a :class:`~incidentsim.ReplayResult`."""

    @property
    def events(self) -> pd.DataFrame: ...

    @property
    def incidents(self) -> pd.DataFrame: ...


# ---------------------------------------------------------------------------- time helpers


def utc(values: pd.Series) -> pd.Series:
    """``values`` as ``datetime64[ns, UTC]``; naive timestamps are taken as UTC."""
    series = pd.to_datetime(values)
    if series.dt.tz is None:
        return series.dt.tz_localize("UTC").astype("datetime64[ns, UTC]")
    return series.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")


def delegate(result: Any, name: str, **kwargs: Any) -> Any:
    """The analysis ``name`` as computed by a result whose tables live elsewhere, else None.

    A result with a method ``__incidentsim_analysis__(name, **kwargs)`` (the dask engine's
    :class:`~incidentsim.replay.distributed.DaskReplayResult`) computes each analysis where its
    data is, aggregating partition by partition; every public analysis function asks it first.
    """
    method = getattr(result, "__incidentsim_analysis__", None)
    return None if method is None else method(name, **kwargs)


def history_span(result: ResultLike) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """First and last moment of the history: event timestamps and incident creation times, UTC.

    ``None`` when both tables are empty.  A result that holds part of a history says the
    whole history's span in a ``span`` attribute, which is used instead.
    """
    given = getattr(result, "span", None)
    if given is not None:
        return (pd.Timestamp(given[0]), pd.Timestamp(given[1]))
    times = [utc(result.events["timestamp"])] if len(result.events) else []
    if len(result.incidents):
        times.append(utc(result.incidents["creation_time"]))
    if not times:
        return None
    both = pd.concat(times, ignore_index=True).dropna()
    if both.empty:
        return None
    return pd.Timestamp(both.min()), pd.Timestamp(both.max())


def floor_to(times: pd.Series, freq: str) -> pd.Series:
    """Each timestamp's period start; ``"1W"`` periods start on Monday 00:00."""
    if freq == "1W":
        days = times.dt.floor("1D")
        return days - pd.to_timedelta(days.dt.day_of_week, unit="D")
    return times.dt.floor(freq)


def period_index(span: tuple[pd.Timestamp, pd.Timestamp] | None, freq: str) -> pd.DatetimeIndex:
    """Every period start from the span's first period to its last, zero-count periods included."""
    if span is None:
        return pd.DatetimeIndex([], tz="UTC", name="period_start", dtype="datetime64[ns, UTC]")
    first, last = (floor_to(pd.Series([moment]), freq).iloc[0] for moment in span)
    step = "7D" if freq == "1W" else freq
    return pd.date_range(first, last, freq=step, name="period_start").astype("datetime64[ns, UTC]")


def text(values: pd.Series) -> pd.Series:
    """A column as plain Python strings, missing values as ``""``."""
    return values.astype(object).where(values.notna(), "").astype(str)


def alarm_labels(arns: pd.Series, names: pd.Series) -> pd.Series:
    """Alarm names for people: a name that several of the rows share gets what tells them apart.

    A repeated name is followed by its Region, its account, or both, in brackets: whichever
    differ among the rows with that name (both when the ARNs show neither).

    Examples
    --------
    >>> import pandas as pd
    >>> arns = pd.Series(["arn:aws:cloudwatch:us-east-1:111111111111:alarm:web",
    ...                   "arn:aws:cloudwatch:eu-west-1:111111111111:alarm:web",
    ...                   "arn:aws:cloudwatch:eu-west-1:111111111111:alarm:db"])
    >>> alarm_labels(arns, pd.Series(["web", "web", "db"])).tolist()
    ['web [us-east-1]', 'web [eu-west-1]', 'db']
    """
    names = text(names)
    parts = text(arns).str.split(":")
    region, account = text(parts.str[3]), text(parts.str[4])
    labels = names.copy()
    for name, rows in names.groupby(names).groups.items():
        if len(rows) < 2:
            continue
        by_region, by_account = region[rows].nunique() > 1, account[rows].nunique() > 1
        if not (by_region or by_account):
            by_region = by_account = True
        where = (
            region[rows] + " " + account[rows]
            if by_region and by_account
            else region[rows]
            if by_region
            else account[rows]
        )
        labels[rows] = name + " [" + where + "]"
    return labels


_PEOPLE_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def human_duration(seconds: Any) -> str:
    """A number of seconds as a person reads it: the two largest units, the smaller rounded.

    ``n/a`` for a missing value (None or NaN).

    Examples
    --------
    >>> [human_duration(s) for s in (30300, 45, 183600, 7199, 0, -90, float("nan"))]
    ['8h 25m', '45s', '2d 3h', '2h', '0s', '-1m 30s', 'n/a']
    """
    if seconds is None or pd.isna(seconds):
        return "n/a"
    total = abs(float(seconds))
    sizes = [size for _, size in _PEOPLE_UNITS]
    largest = next((i for i, size in enumerate(sizes) if total >= size), len(sizes) - 1)
    step = sizes[min(largest + 1, len(sizes) - 1)]
    total = round(total / step) * step
    parts = []
    for unit, size in _PEOPLE_UNITS:
        count, total = divmod(total, size)
        if count:
            parts.append(f"{int(count)}{unit}")
    return ("-" if float(seconds) < 0 and parts else "") + (" ".join(parts) or "0s")
