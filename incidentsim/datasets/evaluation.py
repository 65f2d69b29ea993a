"""CloudWatch metric alarms evaluated over a metric series: definitions in, AlarmFrame out.

No file IO happens here (:mod:`.metrics` reads series and definition files).

:class:`AlarmDefinition` (:mod:`.alarm_definitions`) is a metric alarm in the shape of
CloudWatch's ``PutMetricAlarm``; :func:`evaluate_periods` evaluates it once per period and
returns the per-period table; :func:`evaluate_alarm` turns the state changes of
that table into an AlarmFrame whose ``raw`` column is the EventBridge "CloudWatch
Alarm State Change" event CloudWatch would have sent.

What is modelled, with its source
---------------------------------
The definition's settings and limits, with their sources, are listed in
:mod:`.alarm_definitions`; reasons are worded by :mod:`.cloudwatch_text`.

Evaluation (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-evaluation.html
and https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html):

- Raw points are aggregated by the statistic into one datapoint per period; a
  period with no raw point is a *missing* datapoint.
- At each evaluation CloudWatch retrieves more datapoints than N, the
  *evaluation range*, and:

  1. with none missing, evaluates the N most recent datapoints;
  2. with some missing but at least N real ones, evaluates the N most recent
     *real* datapoints, reaching further back; the missing-data setting is
     "not needed and is ignored";
  3. with fewer than N real ones, fills the shortfall (and only the shortfall:
     "CloudWatch uses missing data points only as few times as possible") with
     the missing-data setting, keeping every real datapoint in the range.

  The state is ALARM when at least M of the evaluated datapoints breach, else OK.
- The documented tables for 3-of-3 and 2-of-3 alarms with an evaluation range
  of 5 fix what ``missing`` and ``ignore`` do with fewer than N real datapoints:
  a real non-breaching datapoint gives OK (``0 - - - -`` is OK for both), enough
  real breaching ones give ALARM, all missing gives INSUFFICIENT_DATA (``missing``)
  or keeps the current state (``ignore``).
- *Avoiding premature transitions to ALARM*: with ``missing``, when every real
  datapoint breaches but there are fewer than M, the alarm still goes to ALARM
  if the oldest breaching datapoint within the last N periods is at least M
  periods old (``- - X - -`` for 3 of 3, ``- - - X -`` for 2 of 3), and does not
  otherwise (``- - - - X``, for which the earlier edition of the same page's
  table gives INSUFFICIENT_DATA).  The ``ignore`` column of those rows keeps the
  current state.
- Percentile alarms with ``EvaluateLowSampleCountPercentile: ignore`` keep their
  state while fewer than ``10/(1-p)`` (p >= 0.5) or ``10/p`` (p < 0.5) samples are
  in the evaluated periods (the "Percentile-based alarms and low data samples"
  section of https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html).
- An alarm starts in INSUFFICIENT_DATA ("the alarm has just started").

What had to be chosen (the documentation does not say)
------------------------------------------------------
- Periods start at multiples of the period since the Unix epoch and the alarm
  is evaluated once at the end of each period.  That is CloudWatch's wall-clock
  evaluation window in UTC (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-evaluation-window.html);
  the default sliding window is evaluated every minute over windows ending at
  that minute, which gives the same sequence of states for a metric reported
  once per period but may change state up to one period earlier.
  Periods that do not divide a day (a week, say) are aligned to the epoch too,
  not to the calendar as a wall-clock window would be.
- The evaluation range is N + 2 datapoints (the only documented example is 5
  for N = 3; how it "depends on the length of the alarm period" is not said);
  ``evaluation_range=`` changes it.
- The premature-ALARM rule needs the breaching datapoint to be at least M
  periods old: the page's M-out-of-N paragraph says "at least as old as the
  value of Evaluation Periods", but its own 2-of-3 row ``- - - X -`` (ALARM)
  only fits M.  When the rule does not apply, ``missing`` gives
  INSUFFICIENT_DATA (the earlier table's ``- - - - X`` row; the current page
  only says the alarm "does not go immediately into ALARM").
- Percentiles are nearest-rank over the raw points of a period (CloudWatch's own
  percentile estimation is not modelled).
- By default the alarm is created once the series fills one evaluation range,
  so the start of an export is not taken for missing data (``start=`` overrides).
- The state-change time is the end of the period (CloudWatch's own is a few
  seconds to minutes later, as data arrives).
- Reason texts follow the real ``Threshold Crossed: ...`` strings (worded by
  :mod:`.cloudwatch_text`); the count for ALARM -> OK is ``N - M + 1`` datapoints,
  and the sentences for partly filled and INSUFFICIENT_DATA evaluations are
  modelled on real ones.
- ``actions_enabled=False`` is kept on the definition, but an AlarmFrame has no
  column for it: the state changes are produced as CloudWatch would record them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd

from .alarm_definitions import (
    HIGH_RESOLUTION_PERIODS,
    IGNORES_MISSING_DATA_NAMESPACES,
    LOW_SAMPLE_COUNT_PERCENTILE,
    MAX_TOTAL_SECONDS,
    MAX_TOTAL_SECONDS_SHORT_PERIOD,
    TREAT_MISSING_DATA,
    AlarmDefinition,
    AlarmDefinitionError,
    UnsupportedAlarmError,
    anomaly_operators,
    percentile_of,
    standard_statistics,
    threshold_operators,
)
from .cloudwatch_text import (
    INITIAL_REASON,
    insufficient_data_reason,
    java_double,
    no_datapoints_reason,
    state_timestamp,
    threshold_crossed_reason,
)
from ..params import Interval, Table, parameter_error, shown, validate_params
from .records import compact
from .schema import STATE_DTYPE, STATES, empty_alarm_frame, record_id, validate_alarm_frame

# the definition model and CloudWatch's texts lived here once; their names are still importable from here
__all__ = [
    "BASIS",
    "EVALUATION_PARAMETERS",
    "HIGH_RESOLUTION_PERIODS",
    "IGNORES_MISSING_DATA_NAMESPACES",
    "INITIAL_REASON",
    "LOW_SAMPLE_COUNT_PERCENTILE",
    "MAX_TOTAL_SECONDS",
    "MAX_TOTAL_SECONDS_SHORT_PERIOD",
    "PERIOD_COLUMNS",
    "TREAT_MISSING_DATA",
    "AlarmDefinition",
    "AlarmDefinitionError",
    "UnsupportedAlarmError",
    "aggregate",
    "anomaly_operators",
    "compact_ordered",
    "default_evaluation_range",
    "evaluate_alarm",
    "evaluate_periods",
    "java_double",
    "percentile_of",
    "standard_statistics",
    "threshold_operators",
]

BASIS = ("datapoints", "filled", "partial", "premature", "insufficient", "retained", "low_samples")
PERIOD_COLUMNS = (
    "period_start",
    "evaluated_at",
    "value",
    "sample_count",
    "present",
    "breaching",
    "datapoints_in_range",
    "breaching_count",
    "filled",
    "basis",
    "state",
    "previous_state",
    "changed",
)

_OK, _ALARM, _INSUFFICIENT, _RETAIN = 0, 1, 2, -1  # codes in schema.STATES order
_COMPARE: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "GreaterThanThreshold": np.greater,
    "GreaterThanOrEqualToThreshold": np.greater_equal,
    "LessThanThreshold": np.less,
    "LessThanOrEqualToThreshold": np.less_equal,
}


#: A time :func:`evaluate_periods` and :func:`evaluate_alarm` take for ``start`` and ``end`` (text pandas reads).
_TIME = [str, dt.date, np.datetime64, None]
#: What the parameters of :func:`aggregate`, :func:`evaluate_periods` and :func:`evaluate_alarm` may be: a
#: series is a ``timestamp``/``value`` table or a Series with a DatetimeIndex.
EVALUATION_PARAMETERS: dict[str, list[Any]] = {
    "series": [Table(("timestamp", "value"), "a metric series such as load_metric_series returns"), pd.Series],
    "statistic": [str],
    "period": [Interval(Integral, 1, None)],
    "definition": [AlarmDefinition],
    "start": _TIME,
    "end": _TIME,
    "evaluation_range": [Interval(Integral, 1, None), None],
    "evaluation_periods": [Interval(Integral, 1, None)],
    "series_name": [str, None],
}


def _parameters(*names: str) -> dict[str, list[Any]]:
    return {name: EVALUATION_PARAMETERS[name] for name in names}


# ----------------------------------------------------------------------------- series and aggregation


def _series_arrays(series: pd.DataFrame | pd.Series, owner: str) -> tuple[np.ndarray, np.ndarray]:
    """(epoch nanoseconds, float values) of a metric series; NaN values are missing datapoints.

    The series has passed :data:`EVALUATION_PARAMETERS`; what its rows hold is checked here, errors naming ``owner``.
    """
    if isinstance(series, pd.Series):
        if not isinstance(series.index, pd.DatetimeIndex):
            raise parameter_error(
                "series",
                owner,
                "have a DatetimeIndex when it is a Series",
                f"a Series with a {type(series.index).__name__}",
            )
        times, values = series.index.to_series(), series.reset_index(drop=True)
    else:
        times, values = series["timestamp"], series["value"]
    try:
        stamps = pd.to_datetime(times.reset_index(drop=True), utc=True)
    except (ValueError, TypeError, OverflowError) as error:
        raise parameter_error(
            "series", owner, "have a time in every row", f"times pandas cannot read ({error})"
        ) from None
    if stamps.isna().any():
        row = int(np.flatnonzero(stamps.isna())[0])
        raise parameter_error("series", owner, "have a time in every row", f"an empty time at row {row}")
    try:
        numbers = pd.to_numeric(values.reset_index(drop=True), errors="raise").astype("float64")
    except (ValueError, TypeError) as error:
        raise parameter_error(
            "series", owner, "have numbers as values", f"a value that is not a number ({error})"
        ) from None
    ns = stamps.astype("datetime64[ns, UTC]").to_numpy(dtype="datetime64[ns]").view("int64")
    return ns, numbers.to_numpy(dtype="float64", na_value=np.nan)


@validate_params(_parameters("series", "statistic", "period"))
def aggregate(series: pd.DataFrame | pd.Series, statistic: str, period: int) -> pd.DataFrame:
    """One datapoint per period that has raw points: ``period_start``, ``value``, ``sample_count``.

    Periods start at multiples of ``period`` seconds since the epoch.  Raw points
    with a NaN value are missing and not counted.  A percentile is the
    nearest-rank value (the smallest raw value with at least p% of the values at
    or below it).

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"timestamp": pd.to_datetime(["2024-04-14 10:00:10", "2024-04-14 10:00:50",
    ...                                                   "2024-04-14 10:01:30"], utc=True), "value": [1.0, 3.0, 8.0]})
    >>> aggregate(raw, "Average", 60)[["value", "sample_count"]].to_numpy().tolist()
    [[2.0, 2.0], [8.0, 1.0]]
    """
    if statistic not in standard_statistics() and percentile_of(statistic) is None:
        raise parameter_error(
            "statistic", "aggregate", f"be one of {{{', '.join(standard_statistics())}, pNN}}", shown(statistic)
        )
    keys, values, counts = _aggregate_arrays(series, statistic, period, "aggregate")
    starts = pd.to_datetime(keys * (period * 1_000_000_000), utc=True).astype("datetime64[ns, UTC]")
    return pd.DataFrame({"period_start": starts, "value": values, "sample_count": counts})


def _aggregate_arrays(
    series: pd.DataFrame | pd.Series, statistic: str, period: int, owner: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(period indexes since the epoch, aggregated values, sample counts), sorted by period."""
    ns, values = _series_arrays(series, owner)
    keep = ~np.isnan(values)
    ns, values = ns[keep], values[keep]
    keys = np.floor_divide(ns, period * 1_000_000_000)
    percentile = percentile_of(statistic)
    order = np.lexsort((values, keys)) if percentile is not None else np.argsort(keys, kind="stable")
    keys, values = keys[order], values[order]
    if keys.size == 0:
        return keys, values, np.zeros(0, dtype="int64")
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    counts = np.diff(np.concatenate((starts, [keys.size])))
    if statistic == "SampleCount":
        result = counts.astype("float64")
    elif statistic == "Sum":
        result = np.add.reduceat(values, starts)
    elif statistic == "Average":
        result = np.add.reduceat(values, starts) / counts
    elif statistic == "Minimum":
        result = np.minimum.reduceat(values, starts)
    elif statistic == "Maximum":
        result = np.maximum.reduceat(values, starts)
    else:
        assert percentile is not None
        rank = np.ceil(np.round(percentile * counts / 100.0, 9)).astype("int64")
        result = values[starts + np.clip(rank, 1, counts) - 1]
    return keys[starts], result.astype("float64"), counts.astype("int64")


# ----------------------------------------------------------------------------- evaluation


@validate_params(_parameters("evaluation_periods"))
def default_evaluation_range(evaluation_periods: int) -> int:
    """Datapoints retrieved per evaluation: N + 2.

    CloudWatch retrieves "a higher number of data points than the number specified
    as Evaluation Periods", depending on the period and the resolution, without
    saying how many; its only example is 5 for N = 3.
    """
    return evaluation_periods + 2


@dataclass(frozen=True)
class _Evaluation:
    """The per-period table and the arrays behind it (the grid starts R - 1 periods before the first evaluation)."""

    definition: AlarmDefinition
    table: pd.DataFrame
    first_key: int
    range_size: int
    created_ns: int
    values: np.ndarray
    counts: np.ndarray
    present: np.ndarray
    breach: np.ndarray
    present_before: np.ndarray  # cumulative count of present periods before each grid index
    positions: np.ndarray  # grid indexes of present periods
    states: np.ndarray  # per evaluation (table row): state code in schema.STATES order
    previous: np.ndarray
    basis: np.ndarray  # code in BASIS
    filled: np.ndarray
    real: np.ndarray


def _timestamp_ns(value: Any, name: str, owner: str) -> int:
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        stamp = pd.NaT
    if stamp is pd.NaT:
        raise parameter_error(name, owner, "be a time such as 2024-01-01 or 2024-01-01T00:00:00Z", shown(value))
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return int(stamp.as_unit("ns").value)


def _evaluate(
    series: pd.DataFrame | pd.Series,
    definition: AlarmDefinition,
    start: Any,
    end: Any,
    evaluation_range: int | None,
    owner: str,
) -> _Evaluation:
    """The evaluation behind :func:`evaluate_periods` and :func:`evaluate_alarm` (``owner``, which errors name)."""
    n, m = definition.n, definition.m
    size = default_evaluation_range(n) if evaluation_range is None else int(evaluation_range)
    if size < n:
        raise parameter_error(
            "evaluation_range", owner, f"be an integer of at least EvaluationPeriods ({n})", shown(evaluation_range)
        )
    p_ns = definition.period * 1_000_000_000
    start_given = None if start is None else _timestamp_ns(start, "start", owner)
    end_given = None if end is None else _timestamp_ns(end, "end", owner)
    keys, values, counts = _aggregate_arrays(series, definition.statistic, definition.period, owner)
    if keys.size == 0 and (start_given is None or end_given is None):
        raise parameter_error(
            "series",
            owner,
            "have a datapoint, unless start and end are both given (to evaluate an alarm over missing data)",
            "a series without datapoints",
        )
    # by default the alarm is created once the series fills one evaluation range, so the
    # periods before the series began are never taken for missing data
    start_ns = (int(keys[0]) + size - 1) * p_ns if start_given is None else start_given
    end_ns = (int(keys[-1]) + 1) * p_ns if end_given is None else end_given
    first = start_ns // p_ns  # the first period that ends after start
    last = end_ns // p_ns - 1  # the last period that ends at or before end
    grid_first = first - size + 1
    length = max(last - grid_first + 1, size - 1)
    grid_values = np.full(length, np.nan)
    grid_counts = np.zeros(length, dtype="int64")
    inside = (keys >= grid_first) & (keys < grid_first + length)
    grid_values[keys[inside] - grid_first] = values[inside]
    grid_counts[keys[inside] - grid_first] = counts[inside]
    present = grid_counts > 0
    breach = present & _COMPARE[definition.comparison_operator](np.nan_to_num(grid_values), definition.threshold)

    e = np.arange(size - 1, length)  # grid index of each evaluated period
    lo = e - size + 1
    present_before = np.concatenate(([0], np.cumsum(present, dtype="int64")))
    breach_before = np.concatenate(([0], np.cumsum(breach, dtype="int64")))
    real = present_before[e + 1] - present_before[lo]
    breaching_in_range = breach_before[e + 1] - breach_before[lo]
    positions = np.flatnonzero(present)

    # cases 1 and 2: the N most recent real datapoints, reaching back through the range
    full = real >= n
    breaching_full = np.zeros(e.size, dtype="int64")
    if positions.size:
        newest = positions[np.clip(present_before[e + 1] - 1, 0, None)]
        oldest = positions[np.clip(present_before[e + 1] - n, 0, None)]
        breaching_full = breach_before[newest + 1] - breach_before[oldest]
    codes = np.where(breaching_full >= m, _ALARM, _OK)
    basis = np.zeros(e.size, dtype="int8")  # "datapoints"
    breaching_count = breaching_full.copy()
    filled = np.zeros(e.size, dtype="int64")

    # case 3: fewer than N real datapoints in the range
    partial = ~full
    treatment = definition.effective_treat_missing_data
    if treatment in ("breaching", "notBreaching"):
        shortfall = n - real
        counted = breaching_in_range + (shortfall if treatment == "breaching" else 0)
        codes = np.where(partial, np.where(counted >= m, _ALARM, _OK), codes)
        basis = np.where(partial, BASIS.index("filled"), basis)
        breaching_count = np.where(partial, counted, breaching_count)
        filled = np.where(partial, shortfall, 0)
    else:
        alarm_real = breaching_in_range >= m
        ok_real = (real - breaching_in_range) > 0
        undecided = ~alarm_real & ~ok_real
        # premature ALARM: the oldest breaching datapoint of the last N periods is at least M periods old
        index = np.where(present, np.arange(length), length)
        next_present = np.minimum.accumulate(index[::-1])[::-1]
        oldest_recent = next_present[e - n + 1]
        age = np.where(oldest_recent <= e, e - oldest_recent + 1, 0)
        premature = undecided & (real > 0) & (age >= m) & (treatment == "missing")
        fallback = np.where(premature, _ALARM, _INSUFFICIENT if treatment == "missing" else _RETAIN)
        decided = np.select([alarm_real, ok_real], [_ALARM, _OK], default=fallback)
        codes = np.where(partial, decided, codes)
        partial_basis = np.select(
            [~undecided, premature, np.full(e.size, treatment == "missing")],
            [BASIS.index("partial"), BASIS.index("premature"), BASIS.index("insufficient")],
            default=BASIS.index("retained"),
        )
        basis = np.where(partial, partial_basis, basis)
        breaching_count = np.where(partial, breaching_in_range, breaching_count)

    percentile = definition.percentile
    if percentile is not None and definition.evaluate_low_sample_count_percentile == "ignore" and 0 < percentile < 100:
        fraction = percentile / 100.0
        needed = 10.0 / (1.0 - fraction) if fraction >= 0.5 else 10.0 / fraction
        samples_before = np.concatenate(([0], np.cumsum(grid_counts)))
        samples = samples_before[e + 1] - samples_before[e - n + 1]
        low = samples < needed
        codes = np.where(low, _RETAIN, codes)
        basis = np.where(low, BASIS.index("low_samples"), basis)

    states = pd.Series(codes, dtype="float64").where(codes >= 0).ffill().fillna(_INSUFFICIENT).to_numpy(dtype="int8")
    previous = np.concatenate(([_INSUFFICIENT], states[:-1])).astype("int8")
    period_start = pd.to_datetime((grid_first + e) * p_ns, utc=True).astype("datetime64[ns, UTC]")
    table = pd.DataFrame(
        {
            "period_start": period_start,
            "evaluated_at": period_start + pd.Timedelta(seconds=definition.period),
            "value": grid_values[e],
            "sample_count": grid_counts[e],
            "present": present[e],
            "breaching": pd.arrays.BooleanArray(breach[e], mask=~present[e]),
            "datapoints_in_range": real,
            "breaching_count": breaching_count.astype("int64"),
            "filled": filled.astype("int64"),
            "basis": pd.Categorical.from_codes(basis.astype("int8"), categories=list(BASIS)),
            "state": pd.Categorical.from_codes(states, dtype=STATE_DTYPE),
            "previous_state": pd.Categorical.from_codes(previous, dtype=STATE_DTYPE),
            "changed": states != previous,
        }
    )
    return _Evaluation(
        definition=definition,
        table=table,
        first_key=int(grid_first),
        range_size=int(size),
        created_ns=int(start_ns),
        values=grid_values,
        counts=grid_counts,
        present=present,
        breach=breach,
        present_before=present_before,
        positions=positions,
        states=states,
        previous=previous,
        basis=basis.astype("int8"),
        filled=filled.astype("int64"),
        real=real,
    )


@validate_params(_parameters("series", "definition", "start", "end", "evaluation_range"))
def evaluate_periods(
    series: pd.DataFrame | pd.Series,
    definition: AlarmDefinition,
    *,
    start: Any = None,
    end: Any = None,
    evaluation_range: int | None = None,
) -> pd.DataFrame:
    """Evaluate an alarm at the end of every period: one row per evaluation.

    Parameters
    ----------
    series : DataFrame or Series
        Raw points: ``timestamp`` and ``value`` columns (as :func:`load_metric_series`
        returns), or a Series with a DatetimeIndex.  NaN values are missing.
    definition : AlarmDefinition
    start, end : timestamp, optional
        Evaluate at the period ends after ``start`` (the alarm is created then, in
        INSUFFICIENT_DATA) and up to ``end``.  Data before ``start`` is used where it
        falls in the evaluation range, as CloudWatch "retrieves the most recent data
        points from before the alarm was created"; periods before the series began
        and after it ended are missing.  By default the alarm is created when the
        series has filled one evaluation range (the first ``evaluation_range``
        periods from the first datapoint, so the start of an export is not read as
        missing data) and evaluated to the end of the last period with data.
    evaluation_range : int, optional
        Datapoints retrieved per evaluation (at least N); by default N + 2
        (:func:`default_evaluation_range`).

    Returns
    -------
    DataFrame
        ``period_start``, ``evaluated_at`` (the period end, the evaluation time),
        ``value`` (the aggregated datapoint, NaN when missing), ``sample_count``,
        ``present``, ``breaching`` (boolean, NA when missing), ``datapoints_in_range``
        (real datapoints in the evaluation range), ``breaching_count`` (datapoints
        counted as breaching, filled ones included), ``filled`` (missing datapoints
        filled by the missing-data setting), ``basis`` (how the state was decided:
        ``datapoints`` N real ones; ``filled``; ``partial`` fewer than N real ones,
        decisive; ``premature`` the premature-ALARM rule; ``insufficient``;
        ``retained`` the state was kept; ``low_samples``), ``state``,
        ``previous_state``, ``changed``.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"timestamp": pd.date_range("2024-04-14 10:00", periods=6, freq="5min", tz="UTC"),
    ...                     "value": [10.0, 20.0, 90.0, 95.0, 20.0, 15.0]})
    >>> d = AlarmDefinition(alarm_name="cpu", metric_name="CPUUtilization", namespace="AWS/EC2", statistic="Average",
    ...                     period=300, threshold=70, comparison_operator="GreaterThanThreshold", evaluation_periods=2)
    >>> table = evaluate_periods(raw, d)  # N = 2, so 4 datapoints per evaluation range: evaluated from 10:15
    >>> table["period_start"].dt.strftime("%H:%M").tolist(), table["state"].tolist()
    (['10:15', '10:20', '10:25'], ['ALARM', 'OK', 'OK'])
    >>> evaluate_periods(raw, d, start="2024-04-14 10:00")["state"].tolist()
    ['OK', 'OK', 'OK', 'ALARM', 'OK', 'OK']
    """
    return _evaluate(series, definition, start, end, evaluation_range, "evaluate_periods").table


# ----------------------------------------------------------------------------- reasons and events


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _utc(ns: int) -> datetime:
    return _EPOCH + timedelta(microseconds=int(ns) // 1000)


def _iso(ns: int) -> str:
    return state_timestamp(_utc(ns).replace(microsecond=0))


def _reason(ev: _Evaluation, row: int) -> tuple[str, dict[str, Any]]:
    """CloudWatch's reason text and reasonData for the evaluation in table row ``row``."""
    d = ev.definition
    n, m = d.n, d.m
    e = row + ev.range_size - 1
    lo = e - ev.range_size + 1
    basis = BASIS[int(ev.basis[row])]
    state = STATES[int(ev.states[row])]
    filled = int(ev.filled[row])
    real = int(ev.real[row])
    p_ns = d.period * 1_000_000_000
    treatment = d.effective_treat_missing_data
    if basis == "datapoints":
        newest = int(ev.present_before[e + 1])
        evaluated = ev.positions[newest - n : newest][::-1]
    else:
        evaluated = ev.positions[int(ev.present_before[lo]) : int(ev.present_before[e + 1])][::-1]
    missing = [j for j in range(e, lo - 1, -1) if not ev.present[j]]
    blanks = missing[:filled] if filled else ([j for j in missing if j > e - n] if state == "INSUFFICIENT_DATA" else [])

    def start_of(j: int) -> int:
        return (ev.first_key + int(j)) * p_ns

    if state == "INSUFFICIENT_DATA":
        text = insufficient_data_reason(len(blanks))
    elif basis == "filled" and real == 0:
        text = no_datapoints_reason(n, breaching=treatment == "breaching")
    else:
        alarm = state == "ALARM"
        listed = [int(j) for j in evaluated if bool(ev.breach[j]) == alarm]
        text = threshold_crossed_reason(
            [(float(ev.values[j]), _utc(start_of(j))) for j in listed],
            evaluation_periods=n,
            minimum=m if alarm else n - m + 1,
            comparison_operator=d.comparison_operator,
            threshold=d.threshold,
            to_alarm=alarm,
            filled=filled if treatment == ("breaching" if alarm else "notBreaching") else 0,
        )
    chronological = sorted(int(j) for j in evaluated)
    oldest = min([*chronological, *blanks], default=e - n + 1)
    data: dict[str, Any] = {
        "version": "1.0",
        "queryDate": _iso((ev.first_key + e + 1) * p_ns),
        "startDate": _iso(start_of(oldest)),
    }
    if d.unit is not None:
        data["unit"] = d.unit
    data["extendedStatistic" if d.percentile is not None else "statistic"] = d.statistic
    data["period"] = d.period
    data["recentDatapoints"] = [float(ev.values[j]) for j in chronological]
    data["threshold"] = d.threshold
    points = [
        (int(j), {"timestamp": _iso(start_of(j)), "sampleCount": float(ev.counts[j]), "value": float(ev.values[j])})
        for j in evaluated
    ]
    points += [(int(j), {"timestamp": _iso(start_of(j))}) for j in blanks]
    data["evaluatedDatapoints"] = [point for _, point in sorted(points, key=lambda pair: -pair[0])]
    return text, data


def _configuration(d: AlarmDefinition) -> dict[str, Any]:
    metric_id = str(uuid.UUID(hashlib.sha1(f"{d.alarm_arn}|metric".encode(), usedforsecurity=False).hexdigest()[:32]))
    configuration: dict[str, Any] = {}
    if d.description:
        configuration["description"] = d.description
    configuration["metrics"] = [
        {
            "id": metric_id,
            "metricStat": {
                "metric": {"dimensions": dict(d.dimensions), "name": d.metric_name, "namespace": d.namespace},
                "period": d.period,
                "stat": d.statistic,
            },
            "returnData": True,
        }
    ]
    return configuration


@validate_params(_parameters("series", "definition", "start", "end", "evaluation_range", "series_name"))
def evaluate_alarm(
    series: pd.DataFrame | pd.Series,
    definition: AlarmDefinition,
    *,
    start: Any = None,
    end: Any = None,
    evaluation_range: int | None = None,
    series_name: str | None = None,
) -> pd.DataFrame:
    """The state changes CloudWatch would have recorded for an alarm over a metric series, as an AlarmFrame.

    The alarm starts in INSUFFICIENT_DATA and is evaluated at the end of every
    period (see :func:`evaluate_periods` for the parameters and the rules); each
    evaluation whose state differs from the one before is a row.

    Parameters
    ----------
    series, definition, start, end, evaluation_range
        As for :func:`evaluate_periods`.
    series_name : str, optional
        For the ``origin`` column (``<series_name>:period <period start>``); by default
        the series' ``attrs["name"]`` (set by :func:`load_metric_series`), else ``series``.

    Returns
    -------
    DataFrame
        An AlarmFrame (validated by :func:`validate_alarm_frame`): ``timestamp`` is the
        evaluation time (the period end), ``reason`` reads like CloudWatch's own
        (``Threshold Crossed: 3 out of the last 5 datapoints [...] were greater than
        the threshold (70.0) (minimum 3 datapoints for OK -> ALARM transition).``),
        ``raw`` is the EventBridge "CloudWatch Alarm State Change" event (compact
        JSON, which :func:`incidentsim.load_alarms` reads back to the same rows),
        ``event_id`` the hash of ``raw``, ``source`` ``aws.cloudwatch``.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"timestamp": pd.date_range("2024-04-14 10:00", periods=6, freq="5min", tz="UTC"),
    ...                     "value": [10.0, 20.0, 90.0, 95.0, 20.0, 15.0]})
    >>> d = AlarmDefinition(alarm_name="cpu", metric_name="CPUUtilization", namespace="AWS/EC2", statistic="Average",
    ...                     period=300, threshold=70, comparison_operator="GreaterThanThreshold", evaluation_periods=2)
    >>> frame = evaluate_alarm(raw, d, series_name="cpu.csv")
    >>> columns = ["timestamp", "previous_state", "state", "origin"]
    >>> frame[columns].astype(str).to_numpy().tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['2024-04-14 10:20:00+00:00', 'INSUFFICIENT_DATA', 'ALARM', 'cpu.csv:period 2024-04-14T10:15:00Z'],
     ['2024-04-14 10:25:00+00:00', 'ALARM', 'OK', 'cpu.csv:period 2024-04-14T10:20:00Z']]
    >>> frame.loc[0, "reason"]  # doctest: +NORMALIZE_WHITESPACE
    'Threshold Crossed: 2 out of the last 2 datapoints [95.0 (14/04/24 10:15:00), 90.0 (14/04/24 10:10:00)]
    were greater than the threshold (70.0) (minimum 2 datapoints for OK -> ALARM transition).'
    """
    ev = _evaluate(series, definition, start, end, evaluation_range, "evaluate_alarm")
    d = definition
    name = series_name if series_name is not None else str(getattr(series, "attrs", {}).get("name") or "series")
    arn = d.alarm_arn
    dimensions = compact(dict(d.dimensions))
    configuration = _configuration(d)
    previous: dict[str, Any] = {
        "value": "INSUFFICIENT_DATA",
        "reason": INITIAL_REASON,
        "timestamp": _iso(ev.created_ns),
    }
    rows: list[dict[str, Any]] = []
    p_ns = d.period * 1_000_000_000
    for row in np.flatnonzero(ev.states != ev.previous).tolist():
        start_ns = (ev.first_key + ev.range_size - 1 + row) * p_ns
        when = _utc(start_ns + p_ns)
        new = STATES[int(ev.states[row])]
        text, reason_data = _reason(ev, row)
        current = {
            "value": new,
            "reason": text,
            "reasonData": compact_ordered(reason_data),
            "timestamp": _iso(start_ns + p_ns),
        }
        event = {
            "version": "0",
            "id": str(
                uuid.UUID(
                    hashlib.sha1(f"{arn}|{start_ns + p_ns}|{new}".encode(), usedforsecurity=False).hexdigest()[:32]
                )
            ),
            "detail-type": "CloudWatch Alarm State Change",
            "source": "aws.cloudwatch",
            "account": d.account_id,
            "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": d.region,
            "resources": [arn],
            "detail": {
                "alarmName": d.alarm_name,
                "configuration": configuration,
                "previousState": previous,
                "state": current,
            },
        }
        raw = compact_ordered(event)
        rows.append(
            {
                "event_id": record_id(raw),
                "timestamp": when,
                "account_id": d.account_id,
                "region": d.region,
                "alarm_name": d.alarm_name,
                "alarm_arn": arn,
                "state": new,
                "previous_state": STATES[int(ev.previous[row])],
                "reason": text,
                "source": "aws.cloudwatch",
                "namespace": d.namespace,
                "metric_name": d.metric_name,
                "dimensions": dimensions,
                "actions_suppressed_by": "",
                "duplicate": False,
                "raw": raw,
                "origin": f"{name}:period {_utc(start_ns).strftime('%Y-%m-%dT%H:%M:%SZ')}",
            }
        )
        previous = current
    if not rows:
        return empty_alarm_frame()
    return validate_alarm_frame(pd.DataFrame(rows))


def compact_ordered(value: Any) -> str:
    """Compact JSON keeping key order (EventBridge's order), as the events CloudWatch sends."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
