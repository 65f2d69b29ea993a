"""How good the alerting was: incidents scored against labelled anomaly windows.

A backtest replays a proposed alarm over a metric series with known anomalies (such as NAB's
real CloudWatch series) and asks the questions the Google SRE Workbook judges alerting by:
*precision* (how many pages were about something real), *recall* (how many real problems
paged), *detection time* (how long a problem ran before it paged) and *reset time* (how long
the page outlived the problem). :func:`score` answers them from a replay's ``incidents``
table and a windows table such as :func:`incidentsim.datasets.labels.load_windows` returns.

Times are compared as closed intervals: a window is [start, end]; an incident is active over
[creation_time, resolved_time], or [creation_time, data_end] while it is still open. Two
intervals that share only an instant (an incident resolved exactly when a window starts)
overlap.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Union

import numpy as np
import pandas as pd

from ..datasets.labels import match_series
from ..params import parameter_error, validate_params
from ._common import ResultLike, text, utc

__all__ = ["SCORE_INCIDENT_COLUMNS", "SCORE_SUMMARY_KEYS", "SCORE_WINDOW_COLUMNS", "Score", "score"]

#: Columns of :attr:`Score.incidents`.
SCORE_INCIDENT_COLUMNS = (
    "incident_arn",
    "series",
    "creation_time",
    "resolved_time",
    "true_positive",
    "window",
    "opened_in_window",
)
#: Columns of :attr:`Score.windows`.
SCORE_WINDOW_COLUMNS = (
    "series",
    "window",
    "start",
    "end",
    "detected",
    "open_at_start",
    "first_incident_arn",
    "detection_delay_s",
    "reset_time_s",
    "incidents",
)
#: Keys of :attr:`Score.summary`, in order (also the columns of :meth:`Score.to_frame`).
SCORE_SUMMARY_KEYS = (
    "series",
    "incidents",
    "true_positives",
    "false_positives",
    "windows",
    "detected",
    "precision",
    "recall",
    "f1",
    "detection_delay_s_median",
    "detection_delay_s_mean",
    "reset_time_s_median",
    "incidents_per_week",
    "data_start",
    "data_end",
)

#: What ``data_start`` and ``data_end`` accept: text such as ``"2014-02-28 14:25"``, a datetime or Timestamp,
#: a numpy datetime64.
TimeLike = Union[str, datetime, np.datetime64]

_NEVER = np.iinfo(np.int64).max
_NS = 1_000_000_000
_WEEK_NS = 7 * 24 * 3600 * _NS


@dataclass(frozen=True, repr=False)
class Score:
    """Incidents scored against labelled windows; built by :func:`score`.

    Attributes
    ----------
    incidents : DataFrame
        One row per incident, in input order: ``incident_arn``, ``series``,
        ``creation_time``, ``resolved_time`` (NaT while open), ``true_positive`` (its active
        interval overlaps a window of its series), ``window`` (int64: the window it overlaps
        that starts first, ``-1`` for none), ``opened_in_window`` (it was created inside a
        window).
    windows : DataFrame
        One row per window, by series then start: ``series``, ``window``, ``start``,
        ``end``, ``detected``, ``open_at_start``, ``first_incident_arn`` (``""`` when
        undetected), ``detection_delay_s``, ``reset_time_s`` (float seconds, NaN when not
        defined) and ``incidents`` (int64: incidents overlapping it). See :func:`score`.
    summary : dict
        The figures of :data:`SCORE_SUMMARY_KEYS` as plain Python values.
    """

    incidents: pd.DataFrame
    windows: pd.DataFrame
    summary: dict[str, Any]

    def to_frame(self, **settings: Any) -> pd.DataFrame:
        """The summary as one row, for concatenating the scores of many settings.

        Parameters
        ----------
        **settings
            Columns to put first, naming what was scored (``threshold=80``,
            ``period="5min"``); they must not reuse a summary key.

        Returns
        -------
        DataFrame
            One row: the ``settings`` columns, then :data:`SCORE_SUMMARY_KEYS`.

        Examples
        --------
        >>> import pandas as pd
        >>> windows = pd.DataFrame(
        ...     {"start": [pd.Timestamp("2024-05-01 10:00Z")], "end": [pd.Timestamp("2024-05-01 12:00Z")]}
        ... )
        >>> row = score(pd.DataFrame(), windows).to_frame(threshold=80)
        >>> row[["threshold", "incidents", "windows", "recall"]].to_dict("records")
        [{'threshold': 80, 'incidents': 0, 'windows': 1, 'recall': 0.0}]
        """
        clash = sorted(set(settings) & set(self.summary))
        if clash:
            raise parameter_error("settings", "Score.to_frame", "not reuse a summary column", repr(clash))
        return pd.DataFrame([{**settings, **self.summary}])

    def __repr__(self) -> str:
        s = self.summary
        keys = (
            "series",
            "incidents",
            "windows",
            "detected",
            "precision",
            "recall",
            "detection_delay_s_median",
            "incidents_per_week",
        )
        shown = ", ".join(f"{key}={s[key]:.3g}" if isinstance(s[key], float) else f"{key}={s[key]!r}" for key in keys)
        return f"Score({shown})"


# ---------------------------------------------------------------------------- input checks


def _fail(parameter: str, must: str, got: str) -> ValueError:
    return parameter_error(parameter, "score", must, got)


def _moment(value: Any, parameter: str) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        fixed = not (isinstance(value, str) and value.strip().lower() in ("now", "today"))  # no wall clock in scoring
        moment = pd.Timestamp(value) if fixed and isinstance(value, (str, datetime, np.datetime64)) else None
    except (ValueError, TypeError, OverflowError):
        moment = None
    if moment is None or pd.isna(moment):
        raise _fail(parameter, "be a time such as '2014-02-28 14:25'", repr(value))
    return moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")


def _times(values: pd.Series, parameter: str, column: str, *, required: bool, ids: pd.Series) -> pd.Series:
    """A column as ``datetime64[ns, UTC]`` (naive taken as UTC); an unreadable (or, if required, missing) value is
    an error."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = utc(values)
    else:
        parsed = pd.to_datetime(values, utc=True, errors="coerce", format="mixed").astype("datetime64[ns, UTC]")
    written = text(values).str.strip()
    given = values.notna() & (written != "")
    wall_clock = written.str.lower().isin(["now", "today"]).to_numpy()  # pandas reads these as the current time
    bad = (parsed.isna() & given) | (parsed.isna() & required) | wall_clock
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        what = f"{'an' if column[0] in 'aeiou' else 'a'} {column} in every row" if required else f"times in {column}"
        raise _fail(parameter, f"have {what}", f"{values.iloc[row]!r} in row {row}{ids.iloc[row]}")
    return parsed.reset_index(drop=True)


def _alarm_names(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(name for name in value.split(";") if name)
    if isinstance(value, (tuple, list, set, frozenset, np.ndarray, pd.Series)):
        return tuple(str(name) for name in value)
    return ()


def _incident_table(incidents: Any, need_alarms: bool) -> pd.DataFrame:
    table = incidents if isinstance(incidents, pd.DataFrame) else getattr(incidents, "incidents", None)
    if not isinstance(table, pd.DataFrame):
        raise _fail("incidents", "be a DataFrame or a ReplayResult", type(incidents).__name__)
    required = ["incident_arn", "creation_time", "resolved_time", *(["alarm_names"] if need_alarms else [])]
    if len(table) == 0 and len(table.columns) == 0:
        table = pd.DataFrame({column: [] for column in required})
    missing = [column for column in required if column not in table.columns]
    if missing:
        raise _fail("incidents", f"have columns {{{', '.join(required)}}}", f"{list(map(str, table.columns))}")
    table = table.reset_index(drop=True)
    arns = text(table["incident_arn"])
    ids = " (" + arns + ")"
    creation = _times(table["creation_time"], "incidents", "creation_time", required=True, ids=ids)
    resolved = _times(table["resolved_time"], "incidents", "resolved_time", required=False, ids=ids)
    early = (resolved < creation).to_numpy()
    if early.any():
        row = int(np.flatnonzero(early)[0])
        raise _fail(
            "incidents",
            "have resolved_time >= creation_time in every row",
            f"creation_time {creation.iloc[row]} and resolved_time {resolved.iloc[row]} in row {row}{ids.iloc[row]}",
        )
    out = pd.DataFrame({"incident_arn": arns, "creation_time": creation, "resolved_time": resolved})
    out["alarm_names"] = (
        table["alarm_names"].map(_alarm_names) if "alarm_names" in table.columns else [() for _ in range(len(table))]
    )
    return out


def _window_table(windows: Any) -> pd.DataFrame:
    if not isinstance(windows, pd.DataFrame):
        raise _fail("windows", "be a DataFrame such as load_windows returns", type(windows).__name__)
    if not {"start", "end"} <= set(windows.columns):
        raise _fail(
            "windows", "have columns {start, end} (and optionally series, window)", f"{list(map(str, windows.columns))}"
        )
    table = windows.reset_index(drop=True)
    ids = pd.Series([""] * len(table), dtype=object)
    start = _times(table["start"], "windows", "start", required=True, ids=ids)
    end = _times(table["end"], "windows", "end", required=True, ids=ids)
    backwards = (end < start).to_numpy()
    if backwards.any():
        row = int(np.flatnonzero(backwards)[0])
        raise _fail(
            "windows", "have end >= start in every row", f"start {start.iloc[row]} and end {end.iloc[row]} in row {row}"
        )
    out = pd.DataFrame({"start": start, "end": end})
    out["series"] = text(table["series"]).str.strip() if "series" in table.columns else ""
    if "window" in table.columns:
        numbers = table["window"]
        if len(numbers) and not pd.api.types.is_integer_dtype(numbers):
            raise _fail("windows", "have integer numbers in its window column", f"{numbers.dtype} values")
        out["window"] = numbers.astype("int64")
        clash = out.duplicated(["series", "window"], keep=False).to_numpy()
        if clash.any():
            row = int(np.flatnonzero(clash)[0])
            twice = f"window {out['window'].iloc[row]} of {out['series'].iloc[row]!r} twice"
            raise _fail("windows", "number each window of a series once", twice)
    else:
        ordered = out.sort_values(["start", "end"], kind="stable")
        out["window"] = ordered.groupby("series", sort=False).cumcount().reindex(out.index).astype("int64")
    return out


def _one_series(name: Any, keys: list[str], parameter: str) -> str | None:
    """The key among ``keys`` that ``name`` names, ``None`` for none; ambiguity is an error."""
    found = match_series(name, keys)
    if len(found) > 1:
        raise _fail(parameter, "name one series of 'windows'", f"{os.fspath(name)!r}, which names {found}")
    return found[0] if found else None


def _data_bounds(data_start: Any, data_end: Any) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """``data_start`` and ``data_end`` as UTC Timestamps (``None`` where not given); the end may not come first."""
    start_at = _moment(data_start, "data_start")
    end_at = _moment(data_end, "data_end")
    if start_at is not None and end_at is not None and end_at < start_at:
        raise _fail("data_end", f"not be before data_start ({start_at})", repr(str(end_at)))
    return start_at, end_at


# ---------------------------------------------------------------------------- what is scored


@dataclass(frozen=True)
class _Scope:
    """The incidents and windows scored, and which windows each incident is compared with.

    ``incidents`` as :func:`_incident_table` reads them; ``windows`` as :func:`_window_table`
    reads them, ordered by series (as ``windows`` first lists them), start, end and number;
    ``memberships`` the series of each incident; ``member`` (incidents x windows) whether the
    window belongs to a series of the incident; ``name`` the summary's ``series``.
    """

    incidents: pd.DataFrame
    windows: pd.DataFrame
    memberships: list[frozenset[str]]
    member: np.ndarray
    name: str


def _scope(
    incidents: Any, windows: Any, series: str | os.PathLike[str] | None, series_of: Mapping[str, str] | None
) -> _Scope:
    """Both tables read, and cut to the series scored: the one series, or with ``series_of`` each incident's own."""
    incident_table = _incident_table(incidents, need_alarms=series_of is not None)
    window_table = _window_table(windows)
    has_series = "series" in windows.columns
    keys = list(dict.fromkeys(window_table["series"]))
    named = _named_series(series, keys, has_series)
    if series_of is None:
        window_table, name = _windows_of_one_series(window_table, keys, named, has_series)
        memberships = [frozenset([name])] * len(incident_table)
    else:
        if not has_series:
            raise _fail("windows", "have a series column when series_of is given", f"{list(map(str, windows.columns))}")
        mapped = _series_of_alarms(series_of, keys, incident_table)
        scored = set(mapped.values()) if named is None else {named}
        incident_table, memberships = _incidents_in(incident_table, mapped, scored)
        window_table = window_table[window_table["series"].isin(scored)]
        name = "" if named is None else named
    window_table = _in_series_order(window_table, keys)
    if series_of is None:
        member = np.ones((len(incident_table), len(window_table)), dtype=bool)
    else:
        member = _members(memberships, window_table["series"])
    return _Scope(incident_table, window_table, memberships, member, name)


def _named_series(series: str | os.PathLike[str] | None, keys: list[str], has_series: bool) -> str | None:
    """The series key ``series`` names (as given when the windows name no such series); ``None`` when not given."""
    if series is None:
        return None
    return (_one_series(series, keys, "series") if has_series else None) or os.fspath(series)


def _windows_of_one_series(
    window_table: pd.DataFrame, keys: list[str], named: str | None, has_series: bool
) -> tuple[pd.DataFrame, str]:
    """Without ``series_of``: the windows of the one series scored, each given its name, and that name."""
    name = "" if named is None else named
    if named is not None and has_series:
        window_table = window_table[window_table["series"] == name]
    elif has_series and len(keys) > 1:
        raise _fail(
            "windows",
            "hold one series, or score needs series= or series_of=",
            f"{len(keys)} series ({', '.join(keys[:5])})",
        )
    elif named is None and keys:
        name = keys[0]
    return window_table.assign(series=name), name


def _series_of_alarms(series_of: Mapping[str, str], keys: list[str], incident_table: pd.DataFrame) -> dict[str, str]:
    """``series_of`` with each target as its series key; every alarm of every incident must be mapped."""
    mapped = {
        str(alarm): _one_series(target, keys, "series_of") or os.fspath(target) for alarm, target in series_of.items()
    }
    unmapped = sorted({alarm for names in incident_table["alarm_names"] for alarm in names if alarm not in mapped})
    if unmapped:
        raise _fail(
            "series_of",
            "map every alarm in the incidents' alarm_names to a series",
            f"no series for {unmapped[:5]}",
        )
    nameless = [arn for arn, names in zip(incident_table["incident_arn"], incident_table["alarm_names"]) if not names]
    if nameless:
        raise _fail("incidents", "have alarm_names in every row when series_of is given", f"none for {nameless[:3]}")
    return mapped


def _incidents_in(
    incident_table: pd.DataFrame, mapped: dict[str, str], scored: set[str]
) -> tuple[pd.DataFrame, list[frozenset[str]]]:
    """The incidents with an alarm in a ``scored`` series, and the scored series of each."""
    memberships = [frozenset(mapped[alarm] for alarm in names) & scored for names in incident_table["alarm_names"]]
    keep = np.array([bool(member) for member in memberships], dtype=bool)
    return incident_table[keep].reset_index(drop=True), [member for member in memberships if member]


def _in_series_order(window_table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The windows by series (those of ``keys`` in its order, then any other by name), start, end and number."""
    order = {
        key: index for index, key in enumerate(dict.fromkeys([*keys, *sorted(set(window_table["series"]) - set(keys))]))
    }
    return (
        window_table.assign(_rank=window_table["series"].map(order))
        .sort_values(["_rank", "start", "end", "window"], kind="stable")
        .drop(columns="_rank")
        .reset_index(drop=True)
    )


def _members(memberships: list[frozenset[str]], window_series: pd.Series) -> np.ndarray:
    """Incidents x windows: the window belongs to one of the incident's series."""
    keys = window_series.to_numpy(dtype=object)
    return np.array([[key in group for key in keys] for group in memberships], dtype=bool).reshape(
        len(memberships), len(keys)
    )


def _span(
    scope: _Scope, start_at: pd.Timestamp | None, end_at: pd.Timestamp | None
) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """The span of the data: ``data_start`` and ``data_end`` where given, else the earliest and latest of the
    window bounds and incident times (``None`` with nothing to span)."""
    bounds = [
        *scope.windows["start"],
        *scope.windows["end"],
        *scope.incidents["creation_time"],
        *scope.incidents["resolved_time"].dropna(),
    ]
    first = start_at if start_at is not None else (min(bounds) if bounds else None)
    last = end_at if end_at is not None else (max(bounds) if bounds else None)
    return first, last


# ---------------------------------------------------------------------------- interval arithmetic


def _ns(values: pd.Series) -> np.ndarray:
    """UTC datetimes as int64 nanoseconds (NaT as the smallest int64)."""
    return np.asarray(values.dt.tz_localize(None), dtype="datetime64[ns]").view("int64")


@dataclass(frozen=True)
class _Overlaps:
    """Incidents against windows on int64 nanoseconds: incidents down, windows across.

    ``created``, ``resolved`` and ``is_open`` per incident; ``starts`` and ``ends`` per window;
    ``overlap`` (the incident was active at some moment of the window), ``opened`` (it was
    created inside the window) and ``open_before`` (created before the window, still active at
    its start), each incidents x windows and only where the window is of the incident's series.
    """

    created: np.ndarray
    resolved: np.ndarray
    is_open: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    overlap: np.ndarray
    opened: np.ndarray
    open_before: np.ndarray


def _overlaps(scope: _Scope, last: pd.Timestamp | None) -> _Overlaps:
    """How each incident's active interval (to ``last`` while open) meets each window (all closed intervals)."""
    created = _ns(scope.incidents["creation_time"])
    is_open = scope.incidents["resolved_time"].isna().to_numpy()
    resolved = _ns(scope.incidents["resolved_time"])
    until = np.where(is_open, np.maximum(created, last.value if last is not None else created), resolved)
    starts, ends = _ns(scope.windows["start"]), _ns(scope.windows["end"])
    member = scope.member
    return _Overlaps(
        created=created,
        resolved=resolved,
        is_open=is_open,
        starts=starts,
        ends=ends,
        overlap=member & (created[:, None] <= ends[None, :]) & (until[:, None] >= starts[None, :]),
        opened=member & (created[:, None] >= starts[None, :]) & (created[:, None] <= ends[None, :]),
        open_before=member & (created[:, None] < starts[None, :]) & (until[:, None] >= starts[None, :]),
    )


# ---------------------------------------------------------------------------- the tables


def _incident_scores(scope: _Scope, overlaps: _Overlaps) -> pd.DataFrame:
    """:attr:`Score.incidents`: each incident a true positive or not, and the first window it overlaps."""
    starts = overlaps.starts
    true_positive = np.asarray(overlaps.overlap.any(axis=1), dtype=bool)
    first_window = (
        np.where(overlaps.overlap, starts[None, :], _NEVER).argmin(axis=1)
        if len(starts)
        else np.zeros(len(overlaps.created), dtype=int)
    )
    window_numbers = scope.windows["window"].to_numpy(dtype="int64")
    window_series = scope.windows["series"].to_numpy(dtype=object)
    incident_series = [
        str(window_series[column]) if hit else min(group)
        for hit, column, group in zip(true_positive, first_window, scope.memberships)
    ]
    return pd.DataFrame(
        {
            "incident_arn": scope.incidents["incident_arn"].astype(str),
            "series": pd.Series(incident_series, dtype=object).astype(str),
            "creation_time": scope.incidents["creation_time"],
            "resolved_time": scope.incidents["resolved_time"],
            "true_positive": true_positive,
            "window": np.where(true_positive, window_numbers[first_window] if len(starts) else -1, -1).astype("int64"),
            "opened_in_window": overlaps.opened.any(axis=1),
        },
        columns=list(SCORE_INCIDENT_COLUMNS),
    )


def _window_scores(scope: _Scope, overlaps: _Overlaps) -> pd.DataFrame:
    """:attr:`Score.windows`: each window detected or not, by which incident, how soon, and the reset time."""
    created, starts = overlaps.created, overlaps.starts
    detected = np.asarray(overlaps.opened.any(axis=0), dtype=bool)
    first_incident = (
        np.where(overlaps.opened, created[:, None], _NEVER).argmin(axis=0)
        if len(created)
        else np.zeros(len(starts), dtype=int)
    )
    arns = scope.incidents["incident_arn"].to_numpy(dtype=object)
    delay = np.where(detected, (created[first_incident] - starts) / _NS if len(created) else 0.0, math.nan)
    return pd.DataFrame(
        {
            "series": scope.windows["series"].astype(str),
            "window": scope.windows["window"].astype("int64"),
            "start": scope.windows["start"],
            "end": scope.windows["end"],
            "detected": detected,
            "open_at_start": overlaps.open_before.any(axis=0),
            "first_incident_arn": pd.Series(
                [str(arns[row]) if hit else "" for hit, row in zip(detected, first_incident)], dtype=object
            ).astype(str),
            "detection_delay_s": delay.astype("float64"),
            "reset_time_s": _reset_times(overlaps, detected),
            "incidents": overlaps.overlap.sum(axis=0).astype("int64"),
        },
        columns=list(SCORE_WINDOW_COLUMNS),
    )


def _reset_times(overlaps: _Overlaps, detected: np.ndarray) -> np.ndarray:
    """Per window, seconds from its end to the last resolution of the incidents created inside it, clipped at 0;
    NaN when undetected or when one of those incidents is still open."""
    reset = np.full(len(overlaps.starts), math.nan)
    for column in np.flatnonzero(detected):
        rows = overlaps.opened[:, column]
        if not overlaps.is_open[rows].any():
            reset[column] = max(int(overlaps.resolved[rows].max()) - int(overlaps.ends[column]), 0) / _NS
    return reset


# ---------------------------------------------------------------------------- the summary


def _median(values: np.ndarray) -> float:
    finite = values[~np.isnan(values)]
    return float(np.median(finite)) if len(finite) else math.nan


def _mean(values: np.ndarray) -> float:
    finite = values[~np.isnan(values)]
    return float(np.mean(finite)) if len(finite) else math.nan


def _f1(precision: float, recall: float) -> float:
    """The harmonic mean of precision and recall: NaN if either is NaN, 0.0 if both are 0."""
    if math.isnan(precision) or math.isnan(recall):
        return math.nan
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _summary(
    name: str,
    incidents: pd.DataFrame,
    windows: pd.DataFrame,
    first: pd.Timestamp | None,
    last: pd.Timestamp | None,
) -> dict[str, Any]:
    """:attr:`Score.summary` from the scored incidents and windows and the span of the data."""
    count, hits = len(incidents), int(incidents["true_positive"].sum())
    total, found = len(windows), int(windows["detected"].sum())
    precision = hits / count if count else math.nan
    recall = found / total if total else math.nan
    delay = windows["detection_delay_s"].to_numpy()
    reset = windows["reset_time_s"].to_numpy()
    span = (last.value - first.value) if first is not None and last is not None else 0
    return {
        "series": name,
        "incidents": count,
        "true_positives": hits,
        "false_positives": count - hits,
        "windows": total,
        "detected": found,
        "precision": precision,
        "recall": recall,
        "f1": _f1(precision, recall),
        "detection_delay_s_median": _median(delay),
        "detection_delay_s_mean": _mean(delay),
        "reset_time_s_median": _median(reset),
        "incidents_per_week": count / (span / _WEEK_NS) if span > 0 else math.nan,
        "data_start": first if first is not None else pd.NaT,
        "data_end": last if last is not None else pd.NaT,
    }


# ---------------------------------------------------------------------------- score


@validate_params({"series": [str, os.PathLike, None], "series_of": [Mapping, None]})
def score(
    incidents: pd.DataFrame | ResultLike,
    windows: pd.DataFrame,
    *,
    data_start: TimeLike | None = None,
    data_end: TimeLike | None = None,
    series: str | os.PathLike[str] | None = None,
    series_of: Mapping[str, str] | None = None,
) -> Score:
    """Score incidents against labelled anomaly windows: precision, recall, detection and reset time.

    Parameters
    ----------
    incidents : DataFrame or ReplayResult
        A replay's ``incidents`` table (or the result itself): ``incident_arn``,
        ``creation_time``, ``resolved_time`` (NaT while open) and, with ``series_of``,
        ``alarm_names`` (a tuple of alarm names, or the ``;``-joined text of a CSV export).
        A frame with no rows and no columns means no incidents.
    windows : DataFrame
        ``start`` and ``end`` (naive times are UTC) and optionally ``series`` and ``window``
        (numbered by start within the series when absent), as
        :func:`~incidentsim.datasets.labels.load_windows` returns.
    data_start, data_end : time, optional
        The span of the metric data that was backtested. ``data_end`` is when incidents
        still open stop counting as active; both set ``incidents_per_week``. Default: the
        earliest and latest of the window bounds and incident times. Pass the first and last
        timestamp of the series: windows rarely cover the whole series, so the default
        span is usually too short and ``incidents_per_week`` too high.
    series : str or path, optional
        Score this series only: the windows of this series (named by full key, data file
        path, file name or stem, as :func:`~incidentsim.datasets.labels.match_series`
        describes). A series with no windows in ``windows`` is scored with none (every
        incident is a false positive), since that is how a series without anomalies is
        labelled. Required when ``windows`` holds several series and ``series_of`` is not
        given.
    series_of : mapping of alarm name to series, optional
        Score a replay of several series at once: each incident belongs to the series of its
        ``alarm_names`` and is compared only with the windows of those series. Only the
        windows of series named in the mapping are scored (the mapping says which series
        were backtested). Every alarm of every incident must be mapped. With ``series`` as
        well, only that series' incidents and windows are scored. Without ``series_of``,
        all incidents belong to the one series scored: a sweep calls :func:`score` once
        per series.

    Returns
    -------
    Score
        ``incidents``, ``windows`` and ``summary`` (see :class:`Score`).

    Notes
    -----
    All intervals are closed. An incident is active from ``creation_time`` to
    ``resolved_time``, or to ``data_end`` while open (to its creation if it was created
    after ``data_end``).

    Per incident:

    - ``true_positive``: its active interval overlaps a window (of its series), even if it
      was opened before the window began;
    - ``window``: of the windows it overlaps, the one that starts first (-1 for none);
    - ``opened_in_window``: it was created inside some window;
    - ``series``: the series of ``window``; for a false positive, its series (the first by
      name when its alarms belong to several).

    Per window:

    - ``detected``: an incident was **created** inside [start, end]. An incident that was
      already open when the window started does not detect it: it paged for something
      earlier, and a new trigger during the window would only be deduplicated into it, so
      nobody was paged for this anomaly. Such windows have ``open_at_start`` true, and that
      incident is still a true positive and counted in ``incidents``;
    - ``first_incident_arn``: the incident created first inside the window (input order
      breaks ties), ``""`` when undetected;
    - ``detection_delay_s``: its creation time minus the window start, in seconds;
    - ``reset_time_s``: how long after the window ended the incidents created inside it
      stayed open: the latest of their ``resolved_time`` minus ``end``, clipped at 0 (0 means
      the page had cleared by the time the anomaly ended). NaN when undetected, or when any
      of those incidents is still open (its reset time is unknown);
    - ``incidents``: the incidents whose active interval overlaps the window.

    Summary: ``incidents``, ``true_positives``, ``false_positives`` (incidents overlapping
    no window), ``windows``, ``detected``, ``precision`` (true positives / incidents, NaN
    with no incidents), ``recall`` (detected / windows, NaN with no windows), ``f1`` (their
    harmonic mean: NaN if either is NaN, 0.0 if both are 0), ``detection_delay_s_median``
    and ``_mean`` and ``reset_time_s_median`` (over the windows where they are defined; NaN
    for none), ``incidents_per_week`` (incidents over all series / the span in weeks; NaN
    when the span is empty), ``data_start``, ``data_end`` (UTC, NaT with nothing to span)
    and ``series`` (the series scored; ``""`` when scoring several at once or when the
    windows have no series column and none was named).

    Examples
    --------
    >>> import pandas as pd
    >>> t = lambda hhmm: pd.Timestamp(f"2024-05-01 {hhmm}Z")
    >>> windows = pd.DataFrame({"start": [t("10:00"), t("14:00")], "end": [t("12:00"), t("15:00")]})
    >>> incidents = pd.DataFrame({"incident_arn": ["a", "b"], "creation_time": [t("10:30"), t("13:00")],
    ...                           "resolved_time": [t("12:20"), t("13:10")]})
    >>> result = score(incidents, windows, data_start=t("00:00"), data_end=t("23:59"))
    >>> result.summary["precision"], result.summary["recall"], result.summary["detection_delay_s_median"]
    (0.5, 0.5, 1800.0)
    >>> result.windows[["window", "detected", "reset_time_s"]].to_numpy().tolist()
    [[0, True, 1200.0], [1, False, nan]]
    """
    start_at, end_at = _data_bounds(data_start, data_end)
    scope = _scope(incidents, windows, series, series_of)
    first, last = _span(scope, start_at, end_at)
    overlaps = _overlaps(scope, last)
    scored_incidents = _incident_scores(scope, overlaps)
    scored_windows = _window_scores(scope, overlaps)
    summary = _summary(scope.name, scored_incidents, scored_windows, first, last)
    return Score(incidents=scored_incidents, windows=scored_windows, summary=summary)
