"""Why an alarm is noisy: flapping, short-lived, chronic or part of a storm, and what to do about it.

The classes come from the alarm's own state changes (``events``), not from what the policy
did with them, so they hold whichever policy replayed the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

from ..params import Duration, Interval, check_params, validate_params
from ._common import (
    ResultLike,
    alarm_labels,
    delegate,
    history_span,
    text,
    utc,
)
from .volumes import outcomes_by

__all__ = [
    "NOISE_CLASSES",
    "REMEDIES",
    "NoiseThresholds",
    "alarm_entries",
    "entry_rows",
    "noise_classes",
    "storm_entries",
    "with_storms",
    "top_noisy_alarms",
]

#: Noise classes in priority order: an alarm gets the first that applies.
NOISE_CLASSES = ("chronic", "flapping", "storm", "short_lived", "steady")

#: One sentence per class: what to change so the alarm pages less.
REMEDIES: dict[str, str] = {
    "chronic": "Fix or retire the alarm, or lower its impact, since it pages for a standing condition.",
    "flapping": "Require more datapoints to alarm (M of N) or use a longer period, so it stops flapping.",
    "storm": "Use a composite alarm or a wider dedupe string on the plan, so one outage opens one incident.",
    "short_lived": "Raise the datapoints to alarm so blips clear before paging.",
    "steady": "Nothing.",
}

#: The thresholds of :func:`noise_classes` and what each may be.
NOISE_PARAMETERS: dict[str, list[Any]] = {
    "flap_window": [Duration()],
    "flap_min": [Interval(Integral, 1, None)],
    "short_lived": [Duration()],
    "chronic_share": [Interval(Real, 0, 1, closed="right")],
    "storm_window": [Duration()],
    "storm_min": [Interval(Integral, 1, None)],
}

_KEYS = ["alarm_arn", "alarm_name"]
_HOUR, _FIVE_MINUTES, _QUARTER_HOUR = pd.Timedelta("1h"), pd.Timedelta("5min"), pd.Timedelta("15min")


@dataclass(frozen=True)
class NoiseThresholds:
    """The thresholds of :func:`noise_classes`, checked and parsed.

    Examples
    --------
    >>> NoiseThresholds.parse(flap_window="30min").flap_window
    Timedelta('0 days 00:30:00')
    """

    flap_window: pd.Timedelta = _HOUR
    flap_min: int = 4
    short_lived: pd.Timedelta = _FIVE_MINUTES
    chronic_share: float = 0.5
    storm_window: pd.Timedelta = _QUARTER_HOUR
    storm_min: int = 10

    @classmethod
    def parse(
        cls,
        *,
        flap_window: str | pd.Timedelta = "1h",
        flap_min: int = 4,
        short_lived: str | pd.Timedelta = "5min",
        chronic_share: float = 0.5,
        storm_window: str | pd.Timedelta = "15min",
        storm_min: int = 10,
        function: str = "noise_classes",
    ) -> NoiseThresholds:
        """Check each parameter against :data:`NOISE_PARAMETERS`; errors name ``function``."""
        given = {
            "flap_window": flap_window,
            "flap_min": flap_min,
            "short_lived": short_lived,
            "chronic_share": chronic_share,
            "storm_window": storm_window,
            "storm_min": storm_min,
        }
        check_params(given, NOISE_PARAMETERS, function)
        return cls(
            flap_window=pd.Timedelta(flap_window),
            flap_min=int(flap_min),
            short_lived=pd.Timedelta(short_lived),
            chronic_share=float(chronic_share),
            storm_window=pd.Timedelta(storm_window),
            storm_min=int(storm_min),
        )


@validate_params(NOISE_PARAMETERS)
def noise_classes(
    result: ResultLike,
    *,
    flap_window: str | pd.Timedelta = "1h",
    flap_min: int = 4,
    short_lived: str | pd.Timedelta = "5min",
    chronic_share: float = 0.5,
    storm_window: str | pd.Timedelta = "15min",
    storm_min: int = 10,
) -> pd.DataFrame:
    """Classify each alarm's noise from its state changes.

    An *ALARM spell* runs from a change into ALARM to the alarm's next change out of it
    (to OK or INSUFFICIENT_DATA); repeated ALARM rows extend the spell, and a spell still
    open at the end runs to the history's last event. An alarm whose first row says its
    ``previous_state`` was ALARM is counted in ALARM from the history's start. An *entry*
    is a row with ``state`` ALARM and another ``previous_state``. Redelivered copies
    (``duplicate`` True) are left out.

    Parameters
    ----------
    result : ReplayResult
        Anything with an ``events`` table (``timestamp``, ``alarm_arn``, ``alarm_name``,
        ``state``, ``previous_state``, optionally ``duplicate``).
    flap_window : str or Timedelta
        Window in which ALARM -> OK round trips are counted: a round trip counts when its
        entry and its return to OK are at most this far after the window's first entry.
    flap_min : int
        Round trips within one ``flap_window`` that make an alarm flapping.
    short_lived : str or Timedelta
        A median ALARM spell this long or shorter makes an alarm short-lived.
    chronic_share : float
        Share of the history spent in ALARM that makes an alarm chronic, in (0, 1].
    storm_window : str or Timedelta
        Window in which entries of distinct alarms are counted (entries at most this far
        apart, ends included).
    storm_min : int
        Distinct alarms entering ALARM within one ``storm_window`` that make a storm.

    Returns
    -------
    DataFrame
        One row per alarm, in ``alarm_arn`` order: ``alarm_arn``, ``alarm_name``,
        ``alarm_entries`` (entries into ALARM), ``round_trips_max`` (most ALARM -> OK
        round trips, entry and return both inside one ``flap_window``; a return to
        INSUFFICIENT_DATA ends a spell but is no round trip),
        ``median_alarm_s`` (median ALARM spell in seconds, NaN when it never alarmed),
        ``alarm_share`` (fraction of the history span spent in ALARM), ``storm_triggers``
        (its entries inside a storm window), booleans ``flapping``, ``short_lived``,
        ``chronic``, ``storm``, then ``noise_class`` (the first of chronic, flapping,
        storm, short_lived that holds, else steady) and ``remedy`` (one sentence).

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> t0 = pd.Timestamp("2024-04-01 09:00", tz="UTC")
    >>> flaps = [(t0 + pd.Timedelta(minutes=5 * i), "a", state, other)  # five 5-minute ALARM spells in 50 minutes
    ...          for i, (state, other) in enumerate([("ALARM", "OK"), ("OK", "ALARM")] * 5)]
    >>> quiet = [(t0 + pd.Timedelta(hours=8), "b", "OK", "INSUFFICIENT_DATA")]
    >>> events = pd.DataFrame(flaps + quiet, columns=["timestamp", "alarm_name", "state", "previous_state"])
    >>> events["alarm_arn"] = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:" + events["alarm_name"]
    >>> table = noise_classes(SimpleNamespace(events=events, incidents=pd.DataFrame()))
    >>> table[["alarm_name", "round_trips_max", "median_alarm_s", "noise_class"]].to_numpy().tolist()
    [['a', 5, 300.0, 'flapping'], ['b', 0, nan, 'steady']]
    """
    limits = NoiseThresholds.parse(
        flap_window=flap_window,
        flap_min=flap_min,
        short_lived=short_lived,
        chronic_share=chronic_share,
        storm_window=storm_window,
        storm_min=storm_min,
    )
    found = delegate(
        result,
        "noise_classes",
        flap_window=flap_window,
        flap_min=flap_min,
        short_lived=short_lived,
        chronic_share=chronic_share,
        storm_window=storm_window,
        storm_min=storm_min,
    )
    if found is not None:
        return found
    return _classify(result, limits)


@validate_params({"n": [Interval(Integral, 1, None)]})
def top_noisy_alarms(result: ResultLike, n: int = 10) -> pd.DataFrame:
    """The alarms that reached StartIncident most often, with their noise class and remedy.

    Parameters
    ----------
    result : ReplayResult
    n : int
        How many alarms to return (fewer when fewer alarms triggered at all).

    Returns
    -------
    DataFrame
        Up to ``n`` rows, ranked by ``triggers`` then ``incidents`` (descending, ties by
        ARN): ``alarm_arn``, ``alarm_name``, ``alarm_label`` (the name, with its Region or
        account where several rows share it: :func:`alarm_labels`), int64 ``triggers``
        (created + deduplicated + rejected), ``incidents`` (triggers that created an incident),
        ``share_of_triggers``, ``share_of_incidents`` (of all the replay's triggers and
        incidents), ``noise_class`` and ``remedy`` from :func:`noise_classes` with its
        default thresholds. Alarms that never triggered are left out.

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> t0 = pd.Timestamp("2024-04-01 09:00", tz="UTC")
    >>> events = pd.DataFrame({"timestamp": [t0, t0 + pd.Timedelta("1h"), t0 + pd.Timedelta("2h")],
    ...     "alarm_arn": ["arn:a", "arn:a", "arn:b"], "alarm_name": ["a", "a", "b"],
    ...     "state": ["ALARM", "OK", "ALARM"], "previous_state": ["OK", "ALARM", "OK"],
    ...     "outcome": ["created", "ignored", "created"], "dedup_reason": ""})
    >>> top = top_noisy_alarms(SimpleNamespace(events=events, incidents=pd.DataFrame()), n=1)
    >>> top[["alarm_name", "triggers", "share_of_triggers"]].to_numpy().tolist()
    [['a', 1, 0.5]]
    """
    n = int(n)
    counts = outcomes_by(result, by="alarm")
    counts = counts[counts["triggers"] > 0]
    triggers, incidents = int(counts["triggers"].sum()), int(counts["created"].sum())
    table = pd.DataFrame(
        {
            "alarm_arn": counts["alarm_arn"],
            "alarm_name": counts["alarm_name"],
            "triggers": counts["triggers"],
            "incidents": counts["created"],
            "share_of_triggers": counts["triggers"] / triggers if triggers else 0.0,
            "share_of_incidents": counts["created"] / incidents if incidents else 0.0,
        }
    )
    table = table.sort_values(
        ["triggers", "incidents", "alarm_arn"], ascending=[False, False, True], kind="stable"
    ).head(n)
    classes = noise_classes(result)[[*_KEYS, "noise_class", "remedy"]]
    table = table.merge(classes, on=_KEYS, how="left")
    table.insert(2, "alarm_label", alarm_labels(table["alarm_arn"], table["alarm_name"]))
    return table.astype({"share_of_triggers": "float64", "share_of_incidents": "float64"}).reset_index(drop=True)


# ---------------------------------------------------------------------------- the computation


#: the dtypes of the table's counted and flag columns (the same for an empty table)
_DTYPES: dict[str, Any] = {
    "alarm_entries": "int64",
    "round_trips_max": "int64",
    "median_alarm_s": "float64",
    "alarm_share": "float64",
    "storm_triggers": "int64",
    "flapping": bool,
    "short_lived": bool,
    "chronic": bool,
    "storm": bool,
}
_COLUMNS = [
    *_KEYS,
    "alarm_entries",
    "round_trips_max",
    "median_alarm_s",
    "alarm_share",
    "storm_triggers",
    "flapping",
    "short_lived",
    "chronic",
    "storm",
    "noise_class",
    "remedy",
]


def _classify(result: ResultLike, limits: NoiseThresholds) -> pd.DataFrame:
    events = result.events
    if "duplicate" in events.columns:
        events = events[~events["duplicate"].fillna(False).astype(bool)]
    span = history_span(result)
    if len(events) == 0 or span is None:
        return _empty()
    start, end = (int(moment.value) for moment in span)
    frame = pd.DataFrame(
        {
            "alarm_arn": text(events["alarm_arn"]).to_numpy(),
            "alarm_name": text(events["alarm_name"]).to_numpy(),
            "time": utc(events["timestamp"]).astype("int64").to_numpy(),
            "state": text(events["state"]).to_numpy(),
            "previous": text(events["previous_state"]).to_numpy(),
        }
    )
    # one code per alarm, rows in time order within each alarm (ties keep the table's order)
    frame["alarm"] = frame.groupby(_KEYS, sort=True, observed=True).ngroup()
    frame = frame.sort_values(["alarm", "time"], kind="stable").reset_index(drop=True)
    alarms = frame.drop_duplicates("alarm")[["alarm", *_KEYS]].set_index("alarm")

    spells = _spells(frame, start, end)
    entries = frame[(frame["state"] == "ALARM") & (frame["previous"] != "ALARM")]

    table = alarms.copy()
    table["alarm_entries"] = entries.groupby("alarm").size().reindex(table.index, fill_value=0)
    table["round_trips_max"] = _round_trips_max(spells, int(limits.flap_window.value)).reindex(
        table.index, fill_value=0
    )
    table["median_alarm_s"] = (spells.groupby("alarm")["duration"].median() / 1e9).reindex(table.index)
    span_ns = end - start
    in_alarm = spells.groupby("alarm")["duration"].sum().reindex(table.index, fill_value=0)
    table["alarm_share"] = in_alarm / span_ns if span_ns > 0 else 0.0  # a single instant has no share
    stormy = storm_entries(
        entries["time"].to_numpy(), entries["alarm"].to_numpy(), int(limits.storm_window.value), limits.storm_min
    )
    table["storm_triggers"] = entries[stormy].groupby("alarm").size().reindex(table.index, fill_value=0)
    return _finish(table, limits)


def _finish(table: pd.DataFrame, limits: NoiseThresholds) -> pd.DataFrame:
    """The flags, class and remedy of each alarm from its figures."""
    table = table.copy()
    table["flapping"] = table["round_trips_max"] >= limits.flap_min
    table["short_lived"] = (table["median_alarm_s"] <= limits.short_lived.total_seconds()).fillna(False)
    table["chronic"] = table["alarm_share"] >= limits.chronic_share
    table["storm"] = table["storm_triggers"] > 0
    flags = table[["chronic", "flapping", "storm", "short_lived"]].to_numpy(dtype=bool)
    first = np.where(flags.any(axis=1), flags.argmax(axis=1), len(NOISE_CLASSES) - 1)
    table["noise_class"] = [NOISE_CLASSES[i] for i in first]
    table["remedy"] = table["noise_class"].map(REMEDIES)
    table = table.astype({**_DTYPES, "noise_class": object, "remedy": object})
    return table[_COLUMNS].reset_index(drop=True)


def _spells(frame: pd.DataFrame, start: int, end: int) -> pd.DataFrame:
    """One row per ALARM spell: ``alarm``, ``begin``, ``finish``, ``duration`` (ns), ``exit`` state, ``entered``.

    ``frame`` is sorted by alarm, then time. ``entered`` is False for a spell already under
    way when the history starts (its alarm's first row has ``previous_state`` ALARM).
    """
    first = frame.drop_duplicates("alarm")
    carried = first[(first["previous"] == "ALARM") & (first["time"] > start)]
    lead = pd.DataFrame({"alarm": carried["alarm"].to_numpy(), "time": start, "state": "ALARM", "synthetic": True})
    rows = pd.concat([lead, frame[["alarm", "time", "state"]].assign(synthetic=False)], ignore_index=True)
    rows = rows.sort_values(["alarm", "time", "synthetic"], ascending=[True, True, False], kind="stable")
    alarm = rows["alarm"].to_numpy()
    time = rows["time"].to_numpy()
    state = rows["state"].to_numpy(dtype=object)
    in_alarm = state == "ALARM"
    first_row = np.r_[True, alarm[1:] != alarm[:-1]]
    last_row = np.r_[alarm[1:] != alarm[:-1], True]
    # a spell starts at an ALARM row whose row before (of the same alarm) was not ALARM ...
    begins = in_alarm & (first_row | ~np.r_[False, in_alarm[:-1]])
    spell = np.cumsum(begins) - 1
    # ... and ends at the alarm's next row, or at the history's end
    next_time = np.where(last_row, end, np.r_[time[1:], end])
    next_state = np.where(last_row, "", np.concatenate([state[1:], np.array([""], dtype=object)]))
    spells = (
        pd.DataFrame(
            {
                "spell": spell[in_alarm],
                "alarm": alarm[in_alarm],
                "begin": time[in_alarm],
                "finish": next_time[in_alarm],
                "exit": next_state[in_alarm],
                "entered": ~rows["synthetic"].to_numpy(dtype=bool)[in_alarm],
            }
        )
        .groupby("spell")
        .agg(
            alarm=("alarm", "first"),
            begin=("begin", "first"),
            finish=("finish", "last"),
            exit=("exit", "last"),
            entered=("entered", "first"),
        )
        .reset_index(drop=True)
    )
    spells["duration"] = spells["finish"] - spells["begin"]
    return spells


def _round_trips_max(spells: pd.DataFrame, window: int) -> pd.Series:
    """Per alarm, the most spells that end in OK with begin and finish at most ``window`` apart."""
    trips = spells[(spells["exit"] == "OK") & spells["entered"]]
    best: dict[int, int] = {}
    for alarm, group in trips.groupby("alarm", sort=False):
        begins = group["begin"].to_numpy()
        finishes = group["finish"].to_numpy()  # spells of one alarm do not overlap: both sorted
        inside = np.searchsorted(finishes, begins + window, side="right") - np.arange(len(begins))
        best[int(alarm)] = int(inside.max())
    return pd.Series(best, dtype="int64")


def storm_entries(times: np.ndarray, alarms: np.ndarray, window: int, minimum: int) -> np.ndarray:
    """Which entries lie in a window ``[t, t + window]`` where ``minimum`` distinct alarms entered ALARM."""
    order = np.argsort(times, kind="stable")
    t, codes = times[order], alarms[order]
    n = len(t)
    mark = np.zeros(n + 1, dtype=np.int64)
    seen: dict[int, int] = {}
    stop = 0
    for i in range(n):
        while stop < n and t[stop] <= t[i] + window:
            seen[codes[stop]] = seen.get(codes[stop], 0) + 1
            stop += 1
        if len(seen) >= minimum:
            mark[i] += 1
            mark[stop] -= 1
        left = seen[codes[i]] - 1
        if left:
            seen[codes[i]] = left
        else:
            del seen[codes[i]]
    stormy = np.zeros(n, dtype=bool)
    stormy[order] = np.cumsum(mark[:n]) > 0
    return stormy


def alarm_entries(result: ResultLike) -> pd.DataFrame:
    """The entries into ALARM that :func:`noise_classes` looks for storms in: ``alarm_arn``,
    ``alarm_name`` and ``time`` (int64 nanoseconds, UTC), redelivered copies left out."""
    events = result.events
    if "duplicate" in events.columns:
        events = events[~events["duplicate"].fillna(False).astype(bool)]
    state, previous = text(events["state"]), text(events["previous_state"])
    entry = ((state == "ALARM") & (previous != "ALARM")).to_numpy()
    return pd.DataFrame(
        {
            "alarm_arn": text(events["alarm_arn"]).to_numpy()[entry],
            "alarm_name": text(events["alarm_name"]).to_numpy()[entry],
            "time": utc(events["timestamp"]).astype("int64").to_numpy()[entry],
        }
    )


def with_storms(table: pd.DataFrame, times: np.ndarray, alarms: np.ndarray, limits: NoiseThresholds) -> pd.DataFrame:
    """:func:`noise_classes`' table with ``storm_triggers``, the flags, class and remedy worked out again from
    the entries into ALARM of the whole history (``times`` in int64 nanoseconds, ``alarms`` the row of
    ``table`` each belongs to): tables of parts of a history, concatenated, become the table of the whole,
    since a storm's alarms may lie in different parts."""
    if not len(table):
        return table
    alarms = np.asarray(alarms, dtype=np.int64)
    stormy = storm_entries(np.asarray(times, dtype=np.int64), alarms, int(limits.storm_window.value), limits.storm_min)
    counted = np.bincount(alarms[stormy], minlength=len(table)) if len(alarms) else np.zeros(len(table), dtype=np.int64)
    table = table.assign(storm_triggers=counted.astype("int64"))
    return _finish(table, limits)[_COLUMNS].reset_index(drop=True)


def entry_rows(table: pd.DataFrame, entries: pd.DataFrame) -> np.ndarray:
    """For each of ``entries`` (:func:`alarm_entries`), its alarm's row in ``table`` (:func:`noise_classes`)."""
    if not len(entries):
        return np.zeros(0, dtype=np.int32)
    return pd.MultiIndex.from_frame(table[_KEYS]).get_indexer(pd.MultiIndex.from_frame(entries[_KEYS])).astype(np.int32)


def _empty() -> pd.DataFrame:
    table = pd.DataFrame({column: pd.Series([], dtype=object) for column in _COLUMNS})
    return table.astype(_DTYPES)
