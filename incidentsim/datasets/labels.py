"""Labelled anomaly windows: reading the ground truth a backtest scores its incidents against.

A labelled window is a span of time in one metric series during which something was wrong,
as judged by a person. :func:`load_windows` reads them from

- NAB's ``labels/combined_windows.json``: ``{"<dir>/<file>.csv": [["start", "end"], ...]}``
  with naive timestamps that are UTC (series with no anomaly have an empty list), or
- a table (CSV or Parquet) with one row per window and columns ``series``, ``start``, ``end``.

and returns one tidy frame that :func:`incidentsim.analysis.score` takes. Like
:mod:`incidentsim.datasets.loaders` for alarm history, this module opens the files; the
scoring itself is pure.

Series can be named by their full key (``realAWSCloudwatch/ec2_cpu_utilization_24ae8d.csv``),
by the data file's path (whose tail is the key), by file name
(``ec2_cpu_utilization_24ae8d.csv``) or by stem (``ec2_cpu_utilization_24ae8d``); see
:func:`match_series`.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Union

import pandas as pd

__all__ = ["WINDOW_COLUMNS", "LabelError", "load_windows", "match_series"]

#: The columns of :func:`load_windows`' frame, in order.
WINDOW_COLUMNS = ("series", "window", "start", "end")
#: Columns a window table must have.
TABLE_COLUMNS = ("series", "start", "end")

SeriesName = Union[str, "os.PathLike[str]"]


class LabelError(ValueError):
    """A labels file could not be read; the message names the file, the entry and the problem.

    Attributes
    ----------
    origin : str
        The file's name (or ``"dataframe"``).
    entry : str
        Where in it: ``"'<series>' window 2"`` (JSON), ``"row 3 (line 5)"`` (CSV), ``"row 3"``
        (Parquet, DataFrame), ``"series 'x'"`` or ``"<file>"``.
    problem : str
        What is wrong and what was expected.
    """

    def __init__(self, origin: str, entry: str, problem: str):
        super().__init__(f"{origin}: {entry}: {problem}")
        self.origin = origin
        self.entry = entry
        self.problem = problem


# ---------------------------------------------------------------------------- series names


def _strip_suffix(name: str) -> str:
    base = name.rsplit("/", 1)[-1]
    return name[: len(name) - len(base)] + (base.rsplit(".", 1)[0] if "." in base else base)


def match_series(name: SeriesName, keys: Iterable[str]) -> list[str]:
    """The keys that ``name`` refers to, most specific way of naming first.

    The first of these that matches anything wins:

    1. ``name`` is a key;
    2. ``name`` is a path whose tail is a key (the data file itself, e.g.
       ``/data/nab/realAWSCloudwatch/ec2_cpu_utilization_24ae8d.csv``);
    3. ``name`` is a key without its file suffix, or a key's file name;
    4. ``name`` is a key's file name without its suffix (its stem).

    Parameters
    ----------
    name : str or path
    keys : iterable of str
        The series names known, such as the keys of ``combined_windows.json``.

    Returns
    -------
    list of str
        The matching keys in ``keys`` order: empty when nothing matches, more than one
        when ``name`` is ambiguous (callers report both cases).

    Examples
    --------
    >>> keys = ["realAWSCloudwatch/ec2_cpu_utilization_24ae8d.csv",
    ...         "realKnownCause/ec2_request_latency_system_failure.csv"]
    >>> match_series("ec2_cpu_utilization_24ae8d", keys)
    ['realAWSCloudwatch/ec2_cpu_utilization_24ae8d.csv']
    >>> match_series("/data/nab/realKnownCause/ec2_request_latency_system_failure.csv", keys)
    ['realKnownCause/ec2_request_latency_system_failure.csv']
    >>> match_series("ec2_cpu", keys)
    []
    """
    wanted = os.fspath(name).replace(os.sep, "/")
    known = list(dict.fromkeys(keys))
    tiers = (
        lambda key: key == wanted,
        lambda key: wanted.endswith("/" + key),
        lambda key: wanted in (_strip_suffix(key), key.rsplit("/", 1)[-1]),
        lambda key: wanted == _strip_suffix(key.rsplit("/", 1)[-1]),
    )
    for matches_tier in tiers:
        found = [key for key in known if matches_tier(key)]
        if found:
            return found
    return []


def close_series(name: SeriesName, keys: Iterable[str], n: int = 5) -> list[str]:
    """Keys that look like ``name`` (by key, file name or stem), for "did you mean" messages."""
    wanted = os.fspath(name).replace(os.sep, "/")
    by_alias: dict[str, str] = {}
    for key in keys:
        for alias in (key, key.rsplit("/", 1)[-1], _strip_suffix(key.rsplit("/", 1)[-1])):
            by_alias.setdefault(alias, key)
    close = difflib.get_close_matches(wanted.rsplit("/", 1)[-1], list(by_alias), n=3 * n, cutoff=0.6)
    return list(dict.fromkeys(by_alias[alias] for alias in close))[:n]


def _resolve(names: Sequence[SeriesName], keys: Sequence[str], origin: str) -> list[str]:
    chosen: list[str] = []
    for name in names:
        found = match_series(name, keys)
        if len(found) > 1:
            raise LabelError(origin, f"series {os.fspath(name)!r}", f"is ambiguous; it names {', '.join(found)}")
        if not found:
            close = close_series(name, keys)
            if close:
                hint = f"close matches: {', '.join(close)}"
            elif keys:
                hint = f"the file has {len(keys)} series, e.g. {', '.join(keys[:3])}"
            else:
                hint = "the file has no series"
            raise LabelError(origin, f"series {os.fspath(name)!r}", f"no such series; {hint}")
        chosen.extend(key for key in found if key not in chosen)
    return chosen


# ---------------------------------------------------------------------------- readers


def _nab_entries(path: Path) -> tuple[list[str], list[tuple[str, str, Any, Any]]]:
    """Series keys in file order and (key, entry, start, end) per window of a combined_windows.json."""
    origin = path.name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise LabelError(origin, f"line {error.lineno}", f"not valid JSON ({error.msg})") from None
    except UnicodeDecodeError:
        raise LabelError(origin, "<file>", "not UTF-8 text") from None
    if not isinstance(data, dict):
        raise LabelError(
            origin,
            "<file>",
            f"expected an object mapping each series to a list of [start, end] pairs, got {type(data).__name__}",
        )
    entries: list[tuple[str, str, Any, Any]] = []
    for key, pairs in data.items():
        if not isinstance(pairs, list):
            raise LabelError(origin, repr(key), f"expected a list of [start, end] pairs, got {type(pairs).__name__}")
        for index, pair in enumerate(pairs):
            entry = f"{key!r} window {index}"
            if not (isinstance(pair, list) and len(pair) == 2):
                hint = ""
                if isinstance(pair, str):
                    hint = (
                        " (this looks like NAB's combined_labels.json of anomaly points; windows are in "
                        "combined_windows.json)"
                    )
                raise LabelError(origin, entry, f"expected a [start, end] pair, got {pair!r}{hint}")
            entries.append((key, entry, pair[0], pair[1]))
    return list(data), entries


def _table_entries(
    frame: pd.DataFrame, origin: str, csv: bool
) -> tuple[list[str], list[tuple[str, str, Any, Any]], pd.DataFrame]:
    """Series in order of first appearance, (series, entry, start, end) per row, and the extra columns."""
    missing = [column for column in TABLE_COLUMNS if column not in frame.columns]
    if missing:
        raise LabelError(
            origin,
            "<header>",
            f"missing column(s) {', '.join(map(repr, missing))}; a window table needs {', '.join(TABLE_COLUMNS)} "
            f"and has {', '.join(map(str, frame.columns)) or 'no columns'}",
        )
    frame = frame.reset_index(drop=True)
    entries: list[tuple[str, str, Any, Any]] = []
    for index, (series, start, end) in enumerate(zip(frame["series"], frame["start"], frame["end"])):
        entry = f"row {index} (line {index + 2})" if csv else f"row {index}"
        if not isinstance(series, str) or not series.strip():
            raise LabelError(origin, entry, f"series must be a non-empty name, got {series!r}")
        entries.append((series.strip(), entry, start, end))
    extra = frame.drop(columns=[column for column in (*TABLE_COLUMNS, "window") if column in frame.columns])
    return list(dict.fromkeys(series for series, *_ in entries)), entries, extra


def _time(value: Any, origin: str, entry: str, field: str) -> pd.Timestamp:
    if (
        value is None
        or (isinstance(value, str) and not value.strip())
        or (not isinstance(value, str) and pd.isna(value))
    ):
        raise LabelError(origin, entry, f"{field} is empty")
    if not isinstance(value, (str, pd.Timestamp)) and not hasattr(value, "isoformat"):
        raise LabelError(origin, entry, f"{field} {value!r} is not a time; expected text such as '2014-02-26 13:45:00'")
    try:
        if isinstance(value, str) and value.strip().lower() in ("now", "today"):
            raise ValueError(value)  # pandas reads these as the current time; a label must be a fixed time
        moment = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        raise LabelError(
            origin, entry, f"{field} {value!r} is not a time; expected text such as '2014-02-26 13:45:00'"
        ) from None
    if pd.isna(moment):
        raise LabelError(origin, entry, f"{field} is empty")
    return moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "series": pd.Series([], dtype=object).astype(str),
            "window": pd.Series([], dtype="int64"),
            "start": pd.Series([], dtype="datetime64[ns, UTC]"),
            "end": pd.Series([], dtype="datetime64[ns, UTC]"),
        }
    )


def load_windows(
    source: str | os.PathLike[str] | pd.DataFrame,
    series: SeriesName | Iterable[SeriesName] | None = None,
) -> pd.DataFrame:
    """Read labelled anomaly windows from NAB's combined_windows.json or a window table.

    Parameters
    ----------
    source : path or DataFrame
        ``*.json``: NAB's ``combined_windows.json`` layout, ``{"<series>": [["start", "end"],
        ...]}``. ``*.csv`` (also ``*.csv.gz``), ``*.parquet``, ``*.pq`` or a DataFrame: one
        row per window with columns ``series``, ``start``, ``end``; a ``window`` column, if
        present, is replaced by the numbering below and other columns are kept after the
        four. Times without a zone are taken as UTC; times with one are converted to UTC.
    series : str, path, or iterable of them, optional
        Keep only these series (in this order). Each is matched as :func:`match_series`
        describes: full key, a path ending in the key, key without suffix, file name, or
        stem. A known series with no windows (NAB's ``ec2_cpu_utilization_c6585a``) gives
        no rows and is not an error.

    Returns
    -------
    DataFrame
        One row per window: ``series`` (str, the key as written in the file), ``window``
        (int64, 0, 1, ... in order of start within the series), ``start`` and ``end``
        (``datetime64[ns, UTC]``; a window is the closed interval [start, end], so
        ``start == end`` is a point window). Series keep the file's order (or the order of
        ``series``); windows are sorted by start. Overlapping windows are kept as given.

    Raises
    ------
    FileNotFoundError
        No such file.
    LabelError
        A ValueError naming the file, the entry and the problem: not JSON or not the
        expected shape, a missing column, an empty or unparseable time, an end before its
        start, an unknown series (listing close matches) or an ambiguous one.

    Examples
    --------
    >>> windows = load_windows("labels/combined_windows.json", series="ec2_cpu_utilization_24ae8d")  # doctest: +SKIP
    >>> for row in windows[["window", "start", "end"]].astype(str).to_numpy().tolist():  # doctest: +SKIP
    ...     print(row)
    ['0', '2014-02-26 13:45:00+00:00', '2014-02-27 06:25:00+00:00']
    ['1', '2014-02-27 08:55:00+00:00', '2014-02-28 01:35:00+00:00']

    >>> import pandas as pd
    >>> table = pd.DataFrame({"series": ["web", "web"], "start": ["2024-05-01 10:00", "2024-05-01 08:00+01:00"],
    ...                       "end": ["2024-05-01 11:00", "2024-05-01 08:30+01:00"]})
    >>> load_windows(table)[["series", "window", "start"]].astype(str).to_numpy().tolist()
    [['web', '0', '2024-05-01 07:00:00+00:00'], ['web', '1', '2024-05-01 10:00:00+00:00']]
    """
    extra: pd.DataFrame | None = None
    if isinstance(source, pd.DataFrame):
        origin = "dataframe"
        keys, entries, extra = _table_entries(source, origin, csv=False)
    else:
        path = Path(source)
        origin = path.name
        if not path.is_file():
            raise FileNotFoundError(f"no such file: {path}")
        lowered = path.name.lower()
        if lowered.endswith(".json"):
            keys, entries = _nab_entries(path)
        elif lowered.endswith((".csv", ".csv.gz", ".parquet", ".pq")):
            csv = lowered.endswith((".csv", ".csv.gz"))
            try:
                frame = pd.read_csv(path, dtype=str, keep_default_na=False) if csv else pd.read_parquet(path)
            except Exception as error:  # noqa: BLE001 - any reader failure is reported against the file
                raise LabelError(
                    origin, "<file>", f"could not be read as a {'CSV' if csv else 'Parquet'} table ({error})"
                ) from None
            keys, entries, extra = _table_entries(frame, origin, csv=csv)
        else:
            raise LabelError(
                origin,
                "<file>",
                "unknown format; expected .json (NAB combined_windows.json), .csv, .csv.gz, .parquet or .pq",
            )

    if series is None:
        wanted = keys
    else:
        names = [series] if isinstance(series, (str, os.PathLike)) else list(series)
        wanted = _resolve(names, keys, origin)

    rows: list[dict[str, Any]] = []
    positions: list[int] = []
    for position, (key, entry, start_value, end_value) in enumerate(entries):
        start = _time(start_value, origin, entry, "start")
        end = _time(end_value, origin, entry, "end")
        if end < start:
            raise LabelError(origin, entry, f"end {str(end_value)!r} is before start {str(start_value)!r}")
        if key in wanted:
            rows.append({"series": key, "start": start, "end": end})
            positions.append(position)
    if not rows:
        return _empty()

    table = pd.DataFrame(rows)
    if extra is not None and len(extra.columns):
        table = pd.concat([table, extra.iloc[positions].reset_index(drop=True)], axis=1)
    table["start"] = pd.to_datetime(table["start"], utc=True).astype("datetime64[ns, UTC]")
    table["end"] = pd.to_datetime(table["end"], utc=True).astype("datetime64[ns, UTC]")
    rank = {key: index for index, key in enumerate(wanted)}
    table["_rank"] = table["series"].map(rank)
    table = table.sort_values(["_rank", "start", "end"], kind="stable").drop(columns="_rank").reset_index(drop=True)
    table.insert(1, "window", table.groupby("series", sort=False).cumcount().astype("int64"))
    table["series"] = table["series"].astype(str)
    return table
