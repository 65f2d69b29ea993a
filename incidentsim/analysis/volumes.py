"""How much a replay paged: outcome counts over time, per plan or alarm, and the impact mix."""

from __future__ import annotations

from numbers import Integral

import numpy as np
import pandas as pd

from ..constants import FREQS, IMPACT_LABELS, IMPACTS, OUTCOMES, TRIGGER_OUTCOMES
from ..params import Interval, Options, validate_params
from ._common import (
    ResultLike,
    delegate,
    floor_to,
    history_span,
    period_index,
    text,
    utc,
)

#: What :func:`outcomes_by` counts per.
BY = ("plan", "alarm")

__all__ = ["combine_outcomes", "impact_mix", "incident_spans", "incidents_by_impact", "outcomes_by", "trigger_volume"]

#: The columns of :func:`incident_spans`.
INCIDENT_SPAN_COLUMNS = (
    "incident_arn",
    "response_plan",
    "title",
    "creation_time",
    "end",
    "duration_s",
    "status",
    "still_open",
)


@validate_params({"freq": [Options(FREQS)]})
def trigger_volume(result: ResultLike, freq: str = "1D") -> pd.DataFrame:
    """Events per period, one column per outcome.

    Parameters
    ----------
    result : ReplayResult
        Anything with an ``events`` table (``timestamp``, ``outcome``).
    freq : {"15min", "1h", "1D", "1W"}
        Period length. Periods are in UTC; weeks start on Monday.

    Returns
    -------
    DataFrame
        Index ``period_start`` (UTC, every period from the history's first to its last,
        empty periods included); int64 columns ``created``, ``deduplicated``, ``ignored``,
        ``rejected``, ``failed`` (retries ran out).

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> events = pd.DataFrame({"timestamp": pd.to_datetime(["2024-04-01 10:00", "2024-04-03 09:00"], utc=True),
    ...                        "outcome": ["created", "deduplicated"]})
    >>> volume = trigger_volume(SimpleNamespace(events=events, incidents=pd.DataFrame()))
    >>> volume[["created", "deduplicated"]].to_numpy().tolist()
    [[1, 0], [0, 0], [0, 1]]
    """
    found = delegate(result, "trigger_volume", freq=freq)
    if found is not None:
        return found
    events = result.events
    index = period_index(history_span(result), freq)
    columns = pd.Index(list(OUTCOMES), name="outcome")
    if len(events) == 0:
        return pd.DataFrame(0, index=index, columns=columns, dtype="int64")
    return _count(floor_to(utc(events["timestamp"]), freq), text(events["outcome"]), index, columns)


@validate_params({"freq": [Options(FREQS)]})
def incidents_by_impact(result: ResultLike, freq: str = "1D") -> pd.DataFrame:
    """Incidents created per period, one column per impact.

    Parameters
    ----------
    result : ReplayResult
        Anything with ``incidents`` (``creation_time``, ``impact``); ``events`` timestamps
        set the span so the index lines up with :func:`trigger_volume`.
    freq : {"15min", "1h", "1D", "1W"}

    Returns
    -------
    DataFrame
        Index ``period_start`` (UTC, empty periods included); int64 columns ``1`` to ``5``
        (the impact, as ints).

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> incidents = pd.DataFrame({"creation_time": pd.to_datetime(["2024-04-01 10:00", "2024-04-01 11:00"], utc=True),
    ...                           "impact": [1, 3]})
    >>> table = incidents_by_impact(SimpleNamespace(events=pd.DataFrame(), incidents=incidents))
    >>> table.iloc[0].tolist()
    [1, 0, 1, 0, 0]
    """
    found = delegate(result, "incidents_by_impact", freq=freq)
    if found is not None:
        return found
    incidents = result.incidents
    index = period_index(history_span(result), freq)
    columns = pd.Index(list(IMPACTS), name="impact")
    if len(incidents) == 0:
        return pd.DataFrame(0, index=index, columns=columns, dtype="int64")
    impact = pd.to_numeric(incidents["impact"]).astype("int64")
    return _count(floor_to(utc(incidents["creation_time"]), freq), impact, index, columns)


@validate_params({"by": [Options(BY)]})
def outcomes_by(result: ResultLike, by: str = "plan") -> pd.DataFrame:
    """Triggers and what became of them, per response plan or per alarm.

    Parameters
    ----------
    result : ReplayResult
        Anything with an ``events`` table (``outcome``, ``dedup_reason`` and
        ``response_plan`` or ``alarm_arn`` and ``alarm_name``).
    by : {"plan", "alarm"}
        ``"plan"``: one row per response plan a trigger was routed to (rows with no plan
        are left out). ``"alarm"``: one row per alarm that has events, keyed by
        ``alarm_arn`` and ``alarm_name``, including alarms that never triggered.

    Returns
    -------
    DataFrame
        The key column(s), then int64 ``triggers`` (created + deduplicated + rejected + failed),
        ``created``, ``deduplicated``, ``deduplicated_by_token``,
        ``deduplicated_by_dedupe_string``, ``rejected``, ``failed`` and float ``dedup_ratio``
        (deduplicated / (created + deduplicated), 0 when both are 0). Sorted by
        ``created``, then ``triggers``, descending, then by key.

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> events = pd.DataFrame({"response_plan": ["web", "web", "db", ""],
    ...                        "outcome": ["created", "deduplicated", "created", "ignored"],
    ...                        "dedup_reason": ["", "dedupe_string", "", ""]})
    >>> table = outcomes_by(SimpleNamespace(events=events, incidents=pd.DataFrame()), by="plan")
    >>> table[["response_plan", "triggers", "created", "dedup_ratio"]].to_numpy().tolist()
    [['web', 2, 1, 0.5], ['db', 1, 1, 0.0]]
    """
    found = delegate(result, "outcomes_by", by=by)
    if found is not None:
        return found
    keys = ["response_plan"] if by == "plan" else ["alarm_arn", "alarm_name"]
    events = result.events
    frame = pd.DataFrame({key: text(events[key]) for key in keys})
    outcome = text(events["outcome"])
    reason = text(events["dedup_reason"])
    frame["triggers"] = outcome.isin(TRIGGER_OUTCOMES)
    frame["created"] = outcome == "created"
    frame["deduplicated"] = outcome == "deduplicated"
    frame["deduplicated_by_token"] = frame["deduplicated"] & (reason == "client_token")
    frame["deduplicated_by_dedupe_string"] = frame["deduplicated"] & (reason == "dedupe_string")
    frame["rejected"] = outcome == "rejected"
    frame["failed"] = outcome == "failed"
    if by == "plan":
        frame = frame[frame["response_plan"] != ""]
    return _outcome_table(frame, keys)


@validate_params({"by": [Options(BY)]})
def combine_outcomes(tables: list[pd.DataFrame], by: str = "plan") -> pd.DataFrame:
    """:func:`outcomes_by` of a whole history from its tables for parts of it (counts of the same key add up)."""
    keys = ["response_plan"] if by == "plan" else ["alarm_arn", "alarm_name"]
    frame = pd.concat([table.drop(columns="dedup_ratio") for table in tables], ignore_index=True)
    return _outcome_table(frame, keys)


def _outcome_table(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    counts = [column for column in frame.columns if column not in keys]
    table = frame.groupby(keys, sort=True, observed=True)[counts].sum().astype("int64").reset_index()
    accepted = table["created"] + table["deduplicated"]
    table["dedup_ratio"] = (table["deduplicated"] / accepted.where(accepted > 0)).fillna(0.0).astype("float64")
    table = table.sort_values(
        ["created", "triggers", *keys], ascending=[False, False, *[True] * len(keys)], kind="stable"
    )
    return table.reset_index(drop=True)


def impact_mix(result: ResultLike) -> pd.DataFrame:
    """How the incidents created spread over the five impact levels.

    Parameters
    ----------
    result : ReplayResult
        Anything with an ``incidents`` table (``impact``).

    Returns
    -------
    DataFrame
        Five rows, one per impact level whether or not it occurred: int64 ``impact`` (1 to
        5) and ``incidents``, float ``share`` (of all incidents, 0 when there are none) and
        ``label`` (Critical, High, Medium, Low, No impact).

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> mix = impact_mix(SimpleNamespace(events=pd.DataFrame(), incidents=pd.DataFrame({"impact": [1, 1, 3, 4]})))
    >>> for column, values in mix.to_dict("list").items():
    ...     print(column, values)
    impact [1, 2, 3, 4, 5]
    incidents [2, 0, 1, 1, 0]
    share [0.5, 0.0, 0.25, 0.25, 0.0]
    label ['Critical', 'High', 'Medium', 'Low', 'No impact']
    """
    found = delegate(result, "impact_mix")
    if found is not None:
        return found
    incidents = result.incidents
    impact = pd.to_numeric(incidents["impact"]).astype("int64") if len(incidents) else pd.Series([], dtype="int64")
    counts = impact.value_counts().reindex(list(IMPACTS), fill_value=0).astype("int64")
    total = int(counts.sum())
    return pd.DataFrame(
        {
            "impact": np.array(IMPACTS, dtype="int64"),
            "incidents": counts.to_numpy(),
            "share": (counts / total).to_numpy(dtype="float64") if total else np.zeros(len(IMPACTS)),
            "label": [IMPACT_LABELS[level] for level in IMPACTS],
        }
    )


def _count(periods: pd.Series, labels: pd.Series, index: pd.DatetimeIndex, columns: pd.Index) -> pd.DataFrame:
    """Rows per (period, label) as a period x label table over ``index`` and ``columns``, zeros filled."""
    pairs = pd.DataFrame({"period": periods.to_numpy(), "label": labels.to_numpy()})
    counts = pairs.groupby(["period", "label"], observed=True).size()
    table = counts.unstack("label", fill_value=0) if len(counts) else pd.DataFrame(index=index)
    table = table.reindex(index=index, columns=columns, fill_value=0).fillna(0).astype("int64")
    table.index = index
    table.columns = columns
    return table


@validate_params({"plans": [list, tuple, set, None], "max_incidents": [Interval(Integral, 1, None)]})
def incident_spans(
    result: ResultLike, plans: list[str] | tuple[str, ...] | set[str] | None = None, max_incidents: int = 2000
) -> pd.DataFrame:
    """Each incident from its creation to its resolution, or to the end of the history while it is still open.

    Parameters
    ----------
    result : ReplayResult
        Anything with ``events`` (``timestamp``) and ``incidents`` (``incident_arn``, ``response_plan``,
        ``title``, ``creation_time``, ``resolved_time``, ``status``) tables.
    plans : collection of str, optional
        Only the incidents of these response plans.
    max_incidents : int
        At most this many rows (the first, in the order below).

    Returns
    -------
    DataFrame
        One row per incident, by ``response_plan`` then ``creation_time``: the columns of
        :data:`INCIDENT_SPAN_COLUMNS`.  ``end`` is ``resolved_time``, or for a ``still_open``
        incident the last event's time (the end of the history); ``duration_s`` is from
        ``creation_time`` to ``end``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> t = pd.to_datetime(["2024-05-01 10:00", "2024-05-01 11:00", "2024-05-01 12:00"], utc=True)
    >>> incidents = pd.DataFrame({"incident_arn": ["a", "b"], "response_plan": ["web", "web"], "title": ["x", "y"],
    ...                           "creation_time": t[:2], "resolved_time": [t[1], pd.NaT],
    ...                           "status": ["RESOLVED", "OPEN"]})
    >>> spans = incident_spans(SimpleNamespace(events=pd.DataFrame({"timestamp": t}), incidents=incidents))
    >>> spans[["duration_s", "still_open"]].to_numpy().tolist()
    [[3600.0, False], [3600.0, True]]
    """
    incidents = result.incidents.copy()
    if plans is not None:
        incidents = incidents[incidents["response_plan"].isin(list(plans))]
    # no events, no incidents: nothing to end, and no clock is read
    end = result.events["timestamp"].max() if len(result.events) else pd.NaT
    incidents["still_open"] = incidents["resolved_time"].isna()
    incidents["end"] = incidents["resolved_time"].fillna(end)
    incidents["duration_s"] = (incidents["end"] - incidents["creation_time"]).dt.total_seconds()
    incidents = incidents.sort_values(["response_plan", "creation_time"]).head(max_incidents)
    return incidents[list(INCIDENT_SPAN_COLUMNS)].reset_index(drop=True)
