"""Backtest a proposed CloudWatch alarm on metric history: the incidents it would have opened, and what they caught.

One setting: :func:`backtest` evaluates the alarm over the series as CloudWatch would
(:func:`incidentsim.datasets.evaluate_alarm`), replays its state changes into Incident Manager
with the fast engine, and, given labelled anomaly windows, scores the incidents
(:func:`incidentsim.analysis.score`: precision, recall, detection delay, reset time).

Many settings: :func:`sweep` runs a grid over threshold, datapoints to alarm, evaluation
periods, resolve delay (or any other definition field) and returns one row per setting,
with the current setting and the settings no other beats (fewer incidents per week, more
anomalies caught, caught sooner) marked.

Examples
--------
>>> import pandas as pd
>>> from incidentsim.backtest import backtest
>>> from incidentsim.datasets import AlarmDefinition
>>> times = pd.date_range("2024-03-04", periods=48, freq="5min", tz="UTC")
>>> series = pd.DataFrame({"timestamp": times, "value": [10.0] * 20 + [95.0] * 6 + [10.0] * 22})
>>> cpu = AlarmDefinition(alarm_name="cpu-high", metric_name="CPUUtilization", namespace="AWS/EC2", statistic="Average",
...                       period=300, threshold=80.0, comparison_operator="GreaterThanThreshold", evaluation_periods=3,
...                       datapoints_to_alarm=2)
>>> windows = pd.DataFrame({"start": [times[18]], "end": [times[30]]})
>>> run = backtest(series, cpu, windows=windows, resolve_delay="15m")
>>> run.result.incidents["creation_time"].tolist()
[Timestamp('2024-03-04 01:50:00+0000', tz='UTC')]
>>> run.score.summary["recall"], run.score.summary["detection_delay_s_median"]
(1.0, 1200.0)
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import timedelta
from functools import cached_property
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from .analysis import human_duration
from .analysis.scoring import Score, score
from .datasets.alarm_definitions import AlarmDefinition, AlarmDefinitionError
from .datasets.evaluation import evaluate_alarm, evaluate_periods
from .params import Interval, Table, parameter_error, validate_params
from .policy import Policy, format_duration, parse_duration
from .replay.engine import replay
from .replay.result import ReplayResult
from .rules import api_limits

#: The sweep's own parameter besides the alarm definition's fields.
RESOLVE_DELAY = "resolve_delay"
#: The definition's fields a sweep can vary that take numbers.
NUMERIC_SETTINGS = ("threshold", "period", "evaluation_periods", "datapoints_to_alarm")
#: What the parameters of :func:`backtest` and :func:`sweep` may be.
BACKTEST_PARAMETERS: dict[str, list[Any]] = {
    "series": [Table(("timestamp", "value"), "a metric series such as load_metric_series returns")],
    "definition": [AlarmDefinition],
    "windows": [pd.DataFrame, None],
    "policy": [Policy, None],
    "resolve_delay": [str, timedelta, Interval(Real, 0, None), None],
    "series_name": [str, None],
}
SWEEP_COLUMNS = (
    "setting",
    "valid",
    "problem",
    "state_changes",
    "triggers",
    "incidents",
    "incidents_per_week",
    "windows",
    "detected",
    "precision",
    "recall",
    "detection_delay_s_median",
    "reset_time_s_median",
    "current",
    "dominating",
)


@validate_params({"definition": [AlarmDefinition], "resolve_delay": [str, timedelta, Interval(Real, 0, None), None]})
def backtest_policy(definition: AlarmDefinition, resolve_delay: timedelta | str | None = "0s") -> Policy:
    """The policy a backtest replays under when none is given: every trigger to one response plan
    named after the alarm (impact 3, the alarm name as dedupe string, so a re-alarm while the
    incident is open is deduplicated into it), resolved ``resolve_delay`` after the alarm returns to
    OK (``None``: never resolved)."""
    name = re.sub(r"[^a-zA-Z0-9_-]", "-", definition.alarm_name)[: api_limits().plan_name] or "backtest"
    resolve: dict[str, Any] = (
        {"strategy": "never"}
        if resolve_delay is None
        else {"strategy": "on_ok", "delay": format_duration(parse_duration(resolve_delay, RESOLVE_DELAY))}
    )
    return Policy.from_dict(
        {
            "name": "backtest",
            "response_plans": [
                {
                    "name": name,
                    "title": definition.alarm_name[: api_limits().title],
                    "impact": 3,
                    "dedupe_string": definition.alarm_name,
                }
            ],
            "unmatched": name,
            "client_token": {"strategy": "per_event"},
            "resolve": resolve,
        },
        source="backtest policy",
    )


@dataclass(frozen=True, eq=False)
class Backtest:
    """One alarm setting backtested on one series.

    Attributes
    ----------
    definition : AlarmDefinition
    alarms : DataFrame
        The AlarmFrame of state changes the alarm would have made.
    result : ReplayResult
        Those state changes replayed (fast engine) under ``policy``.
    policy : Policy
    score : Score or None
        Against the labelled windows, when given.
    data_start, data_end : Timestamp
        The span of the series.
    notes : tuple of str
        What to know about the series (``series.attrs["notes"]``: duplicate timestamps, gaps ...),
        shown in :meth:`summary_text`.
    series : DataFrame or None
        The metric series backtested (``timestamp``, ``value``), kept for :attr:`periods`.
    """

    definition: AlarmDefinition
    alarms: pd.DataFrame
    result: ReplayResult
    policy: Policy
    score: Score | None
    data_start: pd.Timestamp
    data_end: pd.Timestamp
    notes: tuple[str, ...] = ()
    series: pd.DataFrame | None = field(default=None, repr=False)

    @cached_property
    def periods(self) -> pd.DataFrame | None:
        """The evaluation table of the alarm over the series (:func:`~incidentsim.datasets.evaluation.evaluate_periods`,
        one row per evaluation), computed once when first asked for; None when the backtest keeps no series."""
        if self.series is None:
            return None
        return evaluate_periods(self.series, self.definition)

    def alarm_spans(self, periods: pd.DataFrame | None = None) -> pd.DataFrame:
        """The stays in ALARM (:func:`alarm_intervals` of :attr:`alarms`); one still open at the last state change
        ends at the last evaluation of ``periods`` (default :attr:`periods`), else at the end of the data."""
        table = self.periods if periods is None else periods
        end = table["evaluated_at"].max() if table is not None and len(table) else self.data_end
        return alarm_intervals(self.alarms, end if pd.notna(end) else self.data_end)

    @property
    def weeks(self) -> float:
        return (self.data_end - self.data_start).total_seconds() / (7 * 86400)

    def summary(self) -> dict[str, Any]:
        """State changes, triggers, incidents, incidents per week and, when scored, the score's figures."""
        replayed = self.result.summary()
        figures: dict[str, Any] = {
            "state_changes": int(len(self.alarms)),
            "triggers": replayed["triggers"],
            "incidents": replayed["created"],
            "incidents_per_week": replayed["created"] / self.weeks if self.weeks > 0 else math.nan,
        }
        if self.score is not None:
            s = self.score.summary
            figures.update(
                {
                    key: s[key]
                    for key in (
                        "windows",
                        "detected",
                        "precision",
                        "recall",
                        "detection_delay_s_median",
                        "reset_time_s_median",
                    )
                }
            )
        return figures

    def summary_text(self) -> str:
        s = self.summary()
        d = self.definition
        lines = [
            f"Alarm '{d.alarm_name}': {d.statistic} of {d.metric_name or 'the metric'} over {d.period} s "
            f"{_OPERATOR_WORDS.get(d.comparison_operator, d.comparison_operator)} {d.threshold:g} for {d.m} of {d.n} "
            f"periods (missing data: {d.treat_missing_data})",
            f"  {self.data_start:%Y-%m-%d %H:%M} to {self.data_end:%Y-%m-%d %H:%M} UTC ({self.weeks:.1f} weeks): "
            f"{s['state_changes']:,} state change{'' if s['state_changes'] == 1 else 's'}, {s['triggers']:,} into "
            f"ALARM -> {s['incidents']:,} incidents ({s['incidents_per_week']:.1f} per week)",
        ]
        if self.score is not None:
            lines.append(
                f"  anomalies caught: {s['detected']} of {s['windows']} (recall {_pct(s['recall'])}); incidents inside "
                f"an anomaly: {_pct(s['precision'])} (precision); median detection delay "
                f"{human_duration(s['detection_delay_s_median'])}, "
                f"median reset time {human_duration(s['reset_time_s_median'])}"
            )
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Backtest(\n{self.summary_text()}\n)"


_OPERATOR_WORDS = {
    "GreaterThanOrEqualToThreshold": ">=",
    "GreaterThanThreshold": ">",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}


def _pct(value: float) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.0%}"


def _span(series: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp]:
    times = pd.to_datetime(series["timestamp"], utc=True)
    if times.empty:
        raise parameter_error("series", "backtest", "have at least one datapoint", "an empty series")
    return times.min(), times.max()


@validate_params(BACKTEST_PARAMETERS)
def backtest(
    series: pd.DataFrame,
    definition: AlarmDefinition,
    *,
    windows: pd.DataFrame | None = None,
    policy: Policy | None = None,
    resolve_delay: timedelta | str | None = "0s",
    series_name: str | None = None,
) -> Backtest:
    """Evaluate ``definition`` over ``series``, replay the state changes, and score them against ``windows``.

    Parameters
    ----------
    series : DataFrame
        ``timestamp`` and ``value``, as :func:`incidentsim.datasets.load_metric_series` returns.
    definition : AlarmDefinition
    windows : DataFrame, optional
        Labelled anomaly windows of this series (``start``, ``end``; as
        :func:`incidentsim.datasets.load_windows` returns). With windows of several series,
        ``series_name`` picks this series' windows.
    policy : Policy, optional
        The policy to replay under; by default :func:`backtest_policy` with ``resolve_delay``.
    resolve_delay : duration or None
        How long after the alarm returns to OK the responder resolves the incident (with the
        default policy); ``None`` never resolves.
    series_name : str, optional
        The series' name in ``windows`` (default: ``series.attrs["name"]``).

    Returns
    -------
    Backtest
    """
    return _backtest(
        series,
        definition,
        evaluate_alarm(series, definition, series_name=series_name),
        windows,
        policy,
        resolve_delay,
        series_name,
    )


def _backtest(
    series: pd.DataFrame,
    definition: AlarmDefinition,
    alarms: pd.DataFrame,
    windows: pd.DataFrame | None,
    policy: Policy | None,
    resolve_delay: timedelta | str | None,
    series_name: str | None,
) -> Backtest:
    """:func:`backtest` with the alarm already evaluated (a sweep evaluates once per definition, not per resolve
    delay)."""
    data_start, data_end = _span(series)
    chosen = policy if policy is not None else backtest_policy(definition, resolve_delay)
    result = replay(alarms, chosen, engine="fast")
    scored = None
    if windows is not None:
        name = series_name or series.attrs.get("name")
        several = "series" in windows.columns and windows["series"].nunique() > 1
        scored = score(
            result, windows, data_start=data_start, data_end=data_end, series=name if several or name else None
        )
    return Backtest(
        definition, alarms, result, chosen, scored, data_start, data_end, tuple(series.attrs.get("notes", ())), series
    )


def alarm_intervals(alarms: pd.DataFrame, end: Any) -> pd.DataFrame:
    """The spans an alarm spent in ALARM, from its state changes.

    Parameters
    ----------
    alarms : DataFrame
        An AlarmFrame of one alarm (``timestamp``, ``state``), such as ``Backtest.alarms``.
    end : time
        Where a span still open at the last state change ends (the last evaluation).

    Returns
    -------
    DataFrame
        ``start`` (the change into ALARM) and ``end`` (the next change out of it, or ``end``),
        one row per span, in time order.

    Examples
    --------
    >>> import pandas as pd
    >>> changes = pd.DataFrame({"timestamp": pd.to_datetime(["2024-05-01 10:00", "2024-05-01 10:20",
    ...                                                      "2024-05-01 11:00"], utc=True),
    ...                         "state": ["ALARM", "OK", "ALARM"]})
    >>> spans = alarm_intervals(changes, end=pd.Timestamp("2024-05-01 12:00", tz="UTC"))
    >>> for span in spans.astype(str).to_numpy().tolist():
    ...     print(span)
    ['2024-05-01 10:00:00+00:00', '2024-05-01 10:20:00+00:00']
    ['2024-05-01 11:00:00+00:00', '2024-05-01 12:00:00+00:00']
    """
    ordered = alarms.sort_values("timestamp", kind="stable")
    times = pd.to_datetime(ordered["timestamp"], utc=True).tolist()
    states = ordered["state"].astype(str).tolist()
    spans: list[tuple[pd.Timestamp, pd.Timestamp]] = []
    opened: pd.Timestamp | None = None
    for when, state in zip(times, states):
        if state == "ALARM" and opened is None:
            opened = when
        elif state != "ALARM" and opened is not None:
            spans.append((opened, when))
            opened = None
    if opened is not None:
        last = pd.Timestamp(end)
        last = last.tz_localize("UTC") if last.tzinfo is None else last.tz_convert("UTC")
        spans.append((opened, max(last, opened)))
    return pd.DataFrame(
        {
            "start": pd.Series([s for s, _ in spans], dtype="datetime64[ns, UTC]"),
            "end": pd.Series([e for _, e in spans], dtype="datetime64[ns, UTC]"),
        }
    )


def parse_grid(items: Sequence[str]) -> dict[str, list[Any]]:
    """Sweep settings as the command line writes them: ``threshold=70,80,90``, ``threshold=60:90:10`` (start:stop:step,
    stop included), ``resolve_delay=0s,15m``, ``treat_missing_data=missing,breaching``."""
    grid: dict[str, list[Any]] = {}
    for item in items:
        name, sep, values = item.partition("=")
        name = name.strip()
        if not sep or not name or not values.strip():
            raise ValueError(
                f"--sweep {item!r}: expected NAME=V1,V2,... or NAME=START:STOP:STEP, e.g. threshold=70,80,90"
            )
        if re.fullmatch(r"\s*-?[\d.]+:-?[\d.]+:[\d.]+\s*", values):
            start, stop, step = (float(v) for v in values.split(":"))
            if step <= 0 or stop < start:
                raise ValueError(f"--sweep {item!r}: a range needs START <= STOP and a STEP above 0")
            count = int(math.floor((stop - start) / step + 1e-9)) + 1
            grid[name] = [_number(f"{start + i * step:.10g}") for i in range(count)]
        else:
            grid[name] = [_number(v.strip()) for v in values.split(",") if v.strip()]
        words = [v for v in grid[name] if isinstance(v, str)]
        if name in NUMERIC_SETTINGS and words:
            raise ValueError(f"--sweep {item!r}: {name} takes numbers, and {words[0]!r} is not a number")
    return grid


def _number(text: str) -> Any:
    """``text`` as an int, a float (a whole one as an int: ``5e7`` is 50000000), or itself when it is no number."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if value.is_integer() else value


def _check_grid(grid: Mapping[str, Sequence[Any]], definition: AlarmDefinition) -> dict[str, list[Any]]:
    names = {f.name for f in fields(definition)} - {
        "alarm_name",
        "account_id",
        "region",
        "metric_name",
        "namespace",
        "dimensions",
    }
    allowed = sorted(names | {RESOLVE_DELAY})
    checked = {}
    for name, values in grid.items():
        if name not in allowed:
            raise parameter_error("grid", "sweep", f"name settings among {{{', '.join(allowed)}}}", repr(name))
        values = list(values) if isinstance(values, (list, tuple, np.ndarray, pd.Series)) else [values]
        if not values:
            raise parameter_error("grid", "sweep", f"give at least one value for {name!r}", "none")
        words = [v for v in values if isinstance(v, str)]
        if name in NUMERIC_SETTINGS and words:
            raise parameter_error("grid", "sweep", f"give numbers for {name!r}", repr(words[0]))
        checked[name] = values
    return checked


def _current(definition: AlarmDefinition, name: str, resolve_delay: Any) -> Any:
    return resolve_delay if name == RESOLVE_DELAY else getattr(definition, name)


def _same(a: Any, b: Any, name: str) -> bool:
    if name == RESOLVE_DELAY:
        if a is None or b is None:
            return a is None and b is None
        return parse_duration(a, name) == parse_duration(b, name)
    if name == "datapoints_to_alarm":
        return (a or 0) == (b or 0)
    try:
        return bool(float(a) == float(b))
    except (TypeError, ValueError):
        return bool(a == b)


@validate_params({**BACKTEST_PARAMETERS, "grid": [Mapping]})
def sweep(
    series: pd.DataFrame,
    definition: AlarmDefinition,
    grid: Mapping[str, Sequence[Any]],
    *,
    windows: pd.DataFrame | None = None,
    resolve_delay: timedelta | str | None = "0s",
    series_name: str | None = None,
    policy: Policy | None = None,
) -> pd.DataFrame:
    """Backtest every combination of ``grid`` and tabulate incidents per week against what was caught.

    Parameters
    ----------
    series, definition, windows, series_name, policy
        As for :func:`backtest`; ``definition`` is the current setting, the grid varies it.
    grid : mapping of setting name to values
        Any of the definition's fields (``threshold``, ``datapoints_to_alarm``,
        ``evaluation_periods``, ``period``, ``statistic``, ``treat_missing_data``, ...) and
        ``resolve_delay`` (durations such as ``"15m"``, or None for never). The current setting
        is always added, so it can be marked.
    resolve_delay : duration or None
        The current resolve delay (when the grid does not vary it).

    Returns
    -------
    DataFrame
        One row per setting: the grid's columns, then ``setting`` (the settings as text),
        ``valid`` and ``problem`` (a combination CloudWatch would refuse, such as more
        datapoints to alarm than evaluation periods, is kept with its reason and no figures),
        ``state_changes``, ``triggers``, ``incidents``, ``incidents_per_week``, and with windows
        ``windows``, ``detected``, ``precision``, ``recall``, ``detection_delay_s_median``,
        ``reset_time_s_median``; ``current`` marks the given setting and ``dominating`` the
        settings on the trade-off front: among the settings that catch at least one anomaly,
        no other has as few incidents per week, as high a recall and as short a median
        detection delay while being better in one of them (without windows there is no
        trade-off, and no setting is marked).
    """
    grid = _check_grid(grid, definition)
    for name in grid:
        current = _current(definition, name, resolve_delay)
        if not any(_same(current, v, name) for v in grid[name]):
            grid[name] = [current, *grid[name]]
    names = list(grid)
    evaluated: dict[tuple[Any, ...], tuple[Any, str]] = {}
    state_changes: dict[tuple[Any, ...], pd.DataFrame] = {}
    rows = []
    for combo in itertools.product(*(grid[n] for n in names)):
        settings = dict(zip(names, combo))
        delay = settings.pop(RESOLVE_DELAY, resolve_delay)
        row: dict[str, Any] = dict(zip(names, combo))
        row["setting"] = ", ".join(f"{n}={'never' if v is None else v}" for n, v in zip(names, combo))
        key = tuple(sorted((k, repr(v)) for k, v in settings.items()))
        if key not in evaluated:
            try:
                evaluated[key] = (definition.replace(**settings), "")
            except (AlarmDefinitionError, ValueError, TypeError) as error:
                evaluated[key] = (None, str(error))
        changed, problem = evaluated[key]
        row["valid"], row["problem"] = changed is not None, problem
        if changed is not None:
            try:
                if key not in state_changes:
                    state_changes[key] = evaluate_alarm(series, changed, series_name=series_name)
                run = _backtest(series, changed, state_changes[key], windows, policy, delay, series_name)
            except ValueError as error:
                row["valid"], row["problem"] = False, str(error)
            else:
                row.update(run.summary())
        row["current"] = all(_same(_current(definition, n, resolve_delay), v, n) for n, v in zip(names, combo))
        rows.append(row)
    table = pd.DataFrame(rows)
    for column in SWEEP_COLUMNS:
        if column not in table.columns:
            table[column] = np.nan
    for column in ("state_changes", "triggers", "incidents", "windows", "detected"):
        table[column] = table[column].astype("Int64")
    table["dominating"] = _front(table)
    return table[[*names, *[c for c in SWEEP_COLUMNS if c not in names]]]


def _front(table: pd.DataFrame) -> pd.Series:
    """True for the valid settings that catch something and that no other such setting beats on incidents per week,
    recall and detection delay (all False without windows: there is no trade-off to make)."""
    if table["detected"].isna().all():
        return pd.Series(False, index=table.index)
    valid = table["valid"].astype(bool).to_numpy() & (table["detected"].fillna(0).to_numpy() > 0)
    cost = table["incidents_per_week"].astype("float64").to_numpy()
    recall = table["recall"].astype("float64").fillna(0.0).to_numpy() if "recall" in table else np.zeros(len(table))
    delay = table["detection_delay_s_median"].astype("float64").to_numpy()
    delay = np.where(np.isnan(delay), np.inf, delay)
    front = np.zeros(len(table), dtype=bool)
    for i in np.flatnonzero(valid):
        others = valid.copy()
        others[i] = False
        at_least = (cost <= cost[i]) & (recall >= recall[i]) & (delay <= delay[i])
        better = (cost < cost[i]) | (recall > recall[i]) | (delay < delay[i])
        front[i] = not np.any(others & at_least & better)
    return pd.Series(front, index=table.index)
