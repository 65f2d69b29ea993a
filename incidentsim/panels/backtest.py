"""The backtest panel: a proposed CloudWatch alarm on a metric series, its settings as controls.

Threshold, datapoints to alarm, evaluation periods, statistic, missing data and resolve delay; every change
backtests the alarm (:func:`incidentsim.backtest.backtest`) and redraws a
:class:`~incidentsim.plots.BacktestDisplay` with the incidents, precision, recall, detection delay and reset
time; a sweep around the current setting draws the trade-off (:class:`~incidentsim.plots.SweepDisplay`).

Examples
--------
>>> from incidentsim.panels import BacktestPanel
>>> panel = BacktestPanel(series, definition, windows=windows)  # doctest: +SKIP
>>> panel.threshold.value = 0.3  # as if the box were changed  # doctest: +SKIP
>>> panel.run.summary()["incidents"]  # doctest: +SKIP
"""

from __future__ import annotations

import html
import math
import threading
from collections.abc import Mapping, Sequence
from datetime import timedelta
from numbers import Real
from typing import Any

import ipywidgets as w
import numpy as np
import pandas as pd

from ..analysis import human_duration
from ..backtest import BACKTEST_PARAMETERS, Backtest, backtest, sweep
from ..datasets.evaluation import (
    TREAT_MISSING_DATA,
    AlarmDefinition,
    AlarmDefinitionError,
    standard_statistics,
    threshold_operators,
)
from ..params import Interval, validate_params
from .common import Panel, show_figure

#: The resolve delays the backtest panel offers: (label, duration); ``never`` leaves incidents open.
RESOLVE_DELAYS: tuple[tuple[str, str], ...] = (
    ("at once", "0s"),
    ("5 min", "5m"),
    ("15 min", "15m"),
    ("30 min", "30m"),
    ("1 hour", "1h"),
    ("4 hours", "4h"),
    ("never", "never"),
)
NEVER = "never"
#: Percentile statistics offered besides botocore's standard ones.
PERCENTILES = ("p50", "p90", "p95", "p99")
#: What the parameters of :class:`BacktestPanel` may be: those it hands to :func:`incidentsim.backtest.backtest` as
#: that takes them, and the debounce (a debounce of more than a minute is no debounce).
BACKTEST_PANEL_PARAMETERS: dict[str, list[Any]] = {
    **{name: BACKTEST_PARAMETERS[name] for name in ("series", "definition", "windows", "resolve_delay", "series_name")},
    "debounce_s": [Interval(Real, 0, 60)],
}


def _nice_step(span: float) -> float:
    """A round slider step giving a couple of hundred positions over ``span``."""
    raw = span / 200 if span > 0 and math.isfinite(span) else 0.01
    power = 10 ** math.floor(math.log10(raw))
    return float(next(m * power for m in (1, 2, 5, 10) if m * power >= raw))


def threshold_range(values: Any, threshold: float) -> tuple[float, float, float]:
    """A threshold box's (min, max, step) for a metric: its 0.5th to 99.9th percentiles, widened to hold ``threshold``.

    Examples
    --------
    >>> threshold_range([0.1, 0.12, 0.13, 0.5, 2.0], 0.2)
    (0.1, 2.0, 0.01)
    """
    numbers = pd.to_numeric(pd.Series(values, dtype="float64"), errors="coerce").to_numpy(dtype="float64")
    finite = numbers[np.isfinite(numbers)]
    if len(finite):
        low, high = (float(q) for q in np.quantile(finite, [0.005, 0.999]))
    else:
        low = high = float(threshold)
    low, high = min(low, float(threshold)), max(high, float(threshold))
    if high - low <= 0:
        pad = abs(high) / 2 or 1.0
        low, high = low - pad, high + pad
    step = _nice_step(high - low)
    digits = max(0, -math.floor(math.log10(step)))
    return round(math.floor(low / step) * step, digits), round(math.ceil(high / step) * step, digits), step


def _delay_value(resolve_delay: timedelta | str | None) -> str:
    """The dropdown value of a resolve delay: a duration text, or ``never``."""
    if resolve_delay is None:
        return NEVER
    from ..policy import format_duration, parse_duration

    return format_duration(parse_duration(resolve_delay, "resolve delay"))


def _percent(value: Any) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{value:.0%}"


class BacktestPanel(Panel):
    """An ipywidgets panel that backtests one CloudWatch alarm on one metric series as its controls change.

    Parameters
    ----------
    series : DataFrame
        ``timestamp`` and ``value`` (as :func:`incidentsim.datasets.load_metric_series` returns).
    definition : AlarmDefinition
        The starting alarm; the controls change its threshold, comparison operator,
        statistic, datapoints to alarm (M), evaluation periods (N) and missing-data treatment.
    windows : DataFrame, optional
        Labelled anomaly windows (:func:`incidentsim.datasets.load_windows`), to score against.
    resolve_delay : duration or None
        The starting resolve delay (how long after OK the incident is resolved; None: never).
    series_name : str, optional
        The series' name in ``windows`` (as for :func:`incidentsim.backtest.backtest`).
    debounce_s : float
        Quiet time in seconds after the last control change before backtesting again (0: at once; at most 60).

    Attributes
    ----------
    definition : AlarmDefinition
        The alarm as the controls last described it validly.  When they describe one
        CloudWatch would refuse (more datapoints to alarm than evaluation periods, say),
        ``problem`` says why, the message box shows it, and ``definition`` and ``run`` keep
        the last valid setting.
    resolve_delay : duration or None
        The resolve delay of ``run``.
    run : Backtest
        The last backtest; ``start_run`` is the starting one.
    problem : str
        Why the controls' alarm was not backtested ('' when it was).
    updates : int
        How many backtests the controls have caused.
    backtest_display : BacktestDisplay
        Drawn by the last update.
    sweep_table : DataFrame or None
        The last :meth:`sweep_here`; ``sweep_display`` its SweepDisplay.
    widget : the ipywidgets box to show.

    Examples
    --------
    >>> panel = BacktestPanel(series, definition, windows=windows, debounce_s=0)  # doctest: +SKIP
    >>> panel.datapoints_to_alarm.value = 1  # doctest: +SKIP
    >>> panel.run.definition.m, panel.run.summary()["incidents"]  # doctest: +SKIP
    """

    @validate_params(BACKTEST_PANEL_PARAMETERS, owner="BacktestPanel")
    def __init__(
        self,
        series: pd.DataFrame,
        definition: AlarmDefinition,
        *,
        windows: pd.DataFrame | None = None,
        resolve_delay: timedelta | str | None = "0s",
        series_name: str | None = None,
        debounce_s: float = 0.4,
    ):
        self.series = series
        self.windows = windows
        self.series_name = series_name
        self.start_definition = definition
        self.definition = definition
        self.resolve_delay = resolve_delay
        self.start_run = backtest(
            series, definition, windows=windows, resolve_delay=resolve_delay, series_name=series_name
        )
        self.run: Backtest = self.start_run
        self.problem = ""
        self.debounce_s = debounce_s
        self.updates = 0
        self._timer: threading.Timer | None = None
        self.backtest_display: Any = None
        self.figure_: Any = None
        self.sweep_table: pd.DataFrame | None = None
        self.sweep_display: Any = None
        self._build()
        self._refresh()

    # ------------------------------------------------------------------ controls

    def _build(self) -> None:
        d = self.start_definition
        style = {"description_width": "11rem"}
        boxes = w.Layout(width="22rem")
        low, high, step = threshold_range(self.series["value"], d.threshold)
        # number boxes rather than sliders: a slider's handle has no name a screen reader could say; the arrows
        # (and the arrow keys) step them, and a change backtests again at once
        self.threshold = w.BoundedFloatText(
            value=d.threshold,
            min=low,
            max=high,
            step=step,
            description="threshold",
            tooltip=f"from {low:g} to {high:g}, in steps of {step:g}",
            style=style,
            layout=boxes,
        )
        self.operator = w.Dropdown(
            options=list(threshold_operators()), value=d.comparison_operator, description="comparison", style=style
        )
        statistics = list(dict.fromkeys([*standard_statistics(), *PERCENTILES, d.statistic]))
        self.statistic = w.Dropdown(options=statistics, value=d.statistic, description="statistic", style=style)
        most = max(20, d.n, d.m)
        self.datapoints_to_alarm = w.BoundedIntText(
            value=d.m,
            min=1,
            max=most,
            description="datapoints to alarm (M)",
            tooltip=f"1 to {most}",
            style=style,
            layout=boxes,
        )
        self.evaluation_periods = w.BoundedIntText(
            value=d.n,
            min=1,
            max=most,
            description="evaluation periods (N)",
            tooltip=f"1 to {most}",
            style=style,
            layout=boxes,
        )
        self.treat_missing_data = w.Dropdown(
            options=list(TREAT_MISSING_DATA), value=d.treat_missing_data, description="missing data", style=style
        )
        start_delay = _delay_value(self.resolve_delay)
        delays = list(RESOLVE_DELAYS)
        if start_delay not in [value for _, value in delays]:
            delays.insert(0, (start_delay, start_delay))
        self.resolve_delay_control = w.Dropdown(
            options=delays, value=start_delay, description="resolve after OK", style=style
        )
        self.controls = (
            self.threshold,
            self.operator,
            self.statistic,
            self.datapoints_to_alarm,
            self.evaluation_periods,
            self.treat_missing_data,
            self.resolve_delay_control,
        )
        for control in self.controls:
            control.observe(self._changed, names="value")
        self.message = w.HTML()
        self.headline = w.HTML()
        self.plots = w.Output()
        self.sweep_button = w.Button(description="Sweep around this setting", icon="th", layout=w.Layout(width="16rem"))
        self.sweep_button.on_click(lambda _: self.sweep_here())
        self.sweep_output = w.Output()
        metric = str(self.series.attrs.get("name") or d.metric_name)
        self.widget = w.VBox(
            [
                w.HTML(f"<h3>Alarm {html.escape(d.alarm_name)} on {html.escape(metric)}</h3>"),
                w.HBox([self.threshold, self.operator, self.statistic], layout=w.Layout(flex_flow="row wrap")),
                w.HBox([self.datapoints_to_alarm, self.evaluation_periods], layout=w.Layout(flex_flow="row wrap")),
                w.HBox([self.treat_missing_data, self.resolve_delay_control]),
                self.message,
                self.headline,
                self.plots,
                self.sweep_button,
                self.sweep_output,
            ]
        )

    # ------------------------------------------------------------------ state

    def current_definition(self) -> AlarmDefinition:
        """The alarm the controls describe; raises AlarmDefinitionError (its own message) when CloudWatch would
        refuse it."""
        m, n = int(self.datapoints_to_alarm.value), int(self.evaluation_periods.value)
        return self.start_definition.replace(
            threshold=float(self.threshold.value),
            comparison_operator=self.operator.value,
            statistic=self.statistic.value,
            datapoints_to_alarm=m,
            evaluation_periods=n,
            treat_missing_data=self.treat_missing_data.value,
        )

    def current_resolve_delay(self) -> str | None:
        """The resolve delay the dropdown says (None for never)."""
        value = self.resolve_delay_control.value
        return None if value == NEVER else str(value)

    def update(self) -> None:
        """Backtest the controls' alarm and redraw (a refused alarm is shown, never raised; the last valid run
        stays)."""
        self._timer = None
        try:
            definition = self.current_definition()
        except (AlarmDefinitionError, ValueError) as error:
            self.problem = str(error)
            kept = self.definition
            self.message.value = (
                f"<span style='color:#D55E00'>{html.escape(self.problem)}.</span> "
                f"Still showing the last valid setting ({kept.m} of {kept.n}, threshold {kept.threshold:g})."
            )
            return
        delay = self.current_resolve_delay()
        try:
            run = backtest(
                self.series, definition, windows=self.windows, resolve_delay=delay, series_name=self.series_name
            )
        except ValueError as error:
            self.problem = str(error)
            self.message.value = f"<span style='color:#D55E00'>{html.escape(self.problem)}</span>"
            return
        self.problem = ""
        self.message.value = ""
        self.definition, self.resolve_delay, self.run = definition, delay, run
        self.updates += 1
        self._refresh()

    def _refresh(self) -> None:
        self._headline()
        self._draw()

    def _headline(self) -> None:
        s = self.run.summary()
        start = self.start_run.summary()
        text = (
            f"<b>{s['incidents']:,}</b> incident{'' if s['incidents'] == 1 else 's'}, "
            f"<b>{s['incidents_per_week']:.1f}</b> per week "
            f"(start: {start['incidents']:,}) from {s['triggers']:,} changes into ALARM"
        )
        if "recall" in s:
            text += (
                f"; precision <b>{_percent(s['precision'])}</b>, recall <b>{_percent(s['recall'])}</b> "
                f"({s['detected']} of {s['windows']} anomalies), "
                f"median detection delay <b>{human_duration(s['detection_delay_s_median'])}</b>, "
                f"median reset time <b>{human_duration(s['reset_time_s_median'])}</b>"
            )
        else:
            text += "; no labelled windows, so nothing is scored"
        self.headline.value = text

    def _draw(self) -> None:
        import matplotlib.pyplot as plt

        from ..plots import BacktestDisplay

        figure, ax = plt.subplots(figsize=(11, 4), layout="constrained")
        self.backtest_display = BacktestDisplay.from_backtest(self.run).plot(ax=ax)
        self.figure_ = figure
        show_figure(self.plots, figure)
        plt.close(figure)

    # ------------------------------------------------------------------ sweeping

    def default_grid(self) -> dict[str, list[Any]]:
        """Settings around the current one: five thresholds (15% apart), M and N one either side."""
        d = self.definition
        step = float(self.threshold.step)
        spread = abs(d.threshold) * 0.15 or 10 * step
        digits = max(0, -math.floor(math.log10(step))) + 1
        thresholds = sorted({round(d.threshold + k * spread, digits) for k in (-2, -1, 0, 1, 2)})
        return {
            "threshold": thresholds,
            "datapoints_to_alarm": sorted({max(1, d.m - 1), d.m, d.m + 1}),
            "evaluation_periods": sorted({max(1, d.n - 1), d.n, d.n + 1}),
        }

    def sweep_here(self, grid: Mapping[str, Sequence[Any]] | None = None) -> pd.DataFrame:
        """Sweep ``grid`` (by default :meth:`default_grid`) around the current setting and draw the trade-off.

        Returns
        -------
        DataFrame
            The sweep table (:func:`incidentsim.backtest.sweep`), also kept as ``sweep_table``.
        """
        import matplotlib.pyplot as plt
        from IPython.display import display

        from ..plots import SweepDisplay

        table = sweep(
            self.series,
            self.definition,
            grid or self.default_grid(),
            windows=self.windows,
            resolve_delay=self.resolve_delay,
            series_name=self.series_name,
        )
        self.sweep_table = table
        try:
            self.sweep_display = SweepDisplay.from_sweep(table).plot()
        except ValueError:  # not scored: no trade-off to draw, the table says it all
            self.sweep_display = None
            self.sweep_output.outputs = ()
            with self.sweep_output:
                display(table)
            return table
        show_figure(self.sweep_output, self.sweep_display.figure_)
        plt.close(self.sweep_display.figure_)
        with self.sweep_output:
            display(table[table["dominating"]])
        return table
