"""Notebook panels: tune a policy on an alarm history, or an alarm on a metric series, and see the result at once.

:class:`TuningPanel` composes the pure parts of incidentsim: the policy, the fast
replay engine (same answers as the emulator, without a call per event), the
analysis functions and the Display objects.  It keeps a
:class:`~incidentsim.replay.incremental.TuningReplay`: a control change (debounced,
so a slider drag does not queue a hundred replays) re-decides only what it touched,
scans again only when outcomes can change, and redraws the headline and the bars in
place from counts; a title box previews the titles its template would give over the
whole history, with errors shown inline.

:class:`BacktestPanel` does the same for a proposed CloudWatch alarm on a metric
series: threshold, datapoints to alarm, evaluation periods, statistic, missing
data and resolve delay as controls; every change backtests the alarm
(:func:`incidentsim.backtest.backtest`) and redraws a
:class:`~incidentsim.plots.BacktestDisplay` with the incidents, precision,
recall, detection delay and reset time; a sweep around the current setting
draws the trade-off (:class:`~incidentsim.plots.SweepDisplay`).

Examples
--------
>>> import incidentsim
>>> from incidentsim.widgets import TuningPanel
>>> panel = TuningPanel(incidentsim.load_alarms("data/alarm-events.jsonl"), "data/sample-policy.yaml")  # doctest: +SKIP
>>> panel  # in Jupyter, shows the panel  # doctest: +SKIP
>>> from incidentsim.widgets import BacktestPanel
>>> panel = BacktestPanel(series, definition, windows=windows)  # doctest: +SKIP
>>> panel.threshold.value = 0.3  # as if the box were changed  # doctest: +SKIP
>>> panel.run.summary()["incidents"]  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import html
import io
import math
import threading
from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import ipywidgets as w
import numpy as np
import pandas as pd

from .analysis import human_duration
from .backtest import Backtest, backtest, sweep
from .datasets.evaluation import TREAT_MISSING_DATA, AlarmDefinition, AlarmDefinitionError, standard_statistics, threshold_operators
from .plots import IMPACT_LABELS
from .policy import TITLE_LIMIT, ClientTokenStrategy, Policy, PolicyError, ResolveStrategy, Template, parse_duration
from .replay import ReplayResult, compare, replay
from .replay.incremental import TuningReplay

PLAN_IMPACT = "plan's own"


def show_figure(output: Any, figure: Any, *, clear: bool = True) -> None:
    """Show ``figure`` in the panel's ``output`` area as a PNG image, whatever matplotlib backend the kernel uses.

    The image is set as the output area's state rather than printed inside ``with output:``: a panel redraws
    from its debounce timer's thread, and output printed there does not reliably reach the area (nor is
    anything printed outside a front end).
    """
    import base64

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    width, height = (int(round(v)) for v in figure.get_size_inches() * figure.dpi)
    shown = {
        "output_type": "display_data",
        "data": {"image/png": base64.b64encode(buffer.getvalue()).decode("ascii"), "text/plain": f"<Figure size {width}x{height}>"},
        "metadata": {},
    }
    output.outputs = (shown,) if clear else (*output.outputs, shown)


class _Panel:
    """What the panels share: a widget to show, and updates debounced after the controls move."""

    widget: Any
    debounce_s: float
    _timer: threading.Timer | None

    def update(self) -> None:
        raise NotImplementedError

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def _changed(self, _: Any = None) -> None:
        """A control moved: update after ``debounce_s`` of quiet (at once when it is 0)."""
        if self.debounce_s <= 0:
            self.update()
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = threading.Timer(self.debounce_s, self.update)
        self._timer.daemon = True
        self._timer.start()


class TuningPanel(_Panel):
    """An ipywidgets panel over one history and a starting policy.

    Attributes
    ----------
    policy : Policy
        The policy as the controls say now.
    result : ReplayResult
        The replay of the (date-filtered) history under ``policy``.
    route_controls : dict
        Per route name: ``{"impact": Dropdown, "title": Text, "preview": HTML}``.
    volume_display, impact_display : Display objects drawn by the last update.
    live_config : path, list of paths, Wiring or None
        What the CloudFormation export beside a saved policy reads (see :func:`incidentsim.awsconfig.export_policy`'s
        ``alarms``), e.g. ``"data/live-config"``: the alarms' current actions and the plans' other parts. None: the
        history's alarms, every routed one listed as a change.
    widget : the ipywidgets box to show.
    """

    def __init__(self, alarms: Any, policy: Policy | str | Path, *, debounce_s: float = 0.4, tz: str = "UTC"):
        from .datasets.loaders import AlarmLoad
        from .datasets.schema import validate_alarm_frame

        frame = alarms.alarms if isinstance(alarms, AlarmLoad) else validate_alarm_frame(alarms)
        self.alarms = frame.reset_index(drop=True)
        self.start_policy = policy if isinstance(policy, Policy) else Policy.from_yaml(policy)
        self.policy = self.start_policy
        self.tuning = TuningReplay(self.alarms, self.start_policy)
        self.start_incidents = self.tuning.headline()["incidents"]
        self._start_result: ReplayResult | None = None
        #: what the last update had to redo: "none", "tables", "scan" or "decide" (see TuningReplay.update)
        self.last_change = "decide"
        self.debounce_s = debounce_s
        self.tz = tz
        self.updates = 0
        self._timer: threading.Timer | None = None
        self.volume_display: Any = None
        self.impact_display: Any = None
        self.comparison_display: Any = None
        self.figure_: Any = None
        self._build()
        self.update()

    # ------------------------------------------------------------------ controls

    def _build(self) -> None:
        style = {"description_width": "8rem"}
        self.route_controls: dict[str, dict[str, Any]] = {}
        rows = []
        for route in self.start_policy.routes:
            if route.ignore:
                continue
            impact = w.Dropdown(options=[PLAN_IMPACT, 1, 2, 3, 4, 5], value=route.impact or PLAN_IMPACT,
                                description="impact", tooltip=f"impact of route {route.name}'s incidents",
                                style=style, layout=w.Layout(width="16rem"))
            title = w.Text(value=route.title.source if route.title else "", placeholder="plan's own title",
                           description="title", tooltip=f"title template of route {route.name}",
                           style=style, layout=w.Layout(width="40rem", max_width="100%"))
            preview = w.HTML()
            for control in (impact, title):
                control.observe(self._changed, names="value")
            self.route_controls[route.name] = {"impact": impact, "title": title, "preview": preview}
            rows.append(w.VBox([w.HTML(f"<b>route {html.escape(route.name)}</b> &rarr; {html.escape(str(route.plan))}"),
                                w.HBox([impact, title], layout=w.Layout(flex_flow="row wrap")), preview]))
        token = self.start_policy.client_token
        self.token_strategy = w.Dropdown(options=["per_event", "per_alarm_window", "template", "none"], value=token.strategy,
                                         description="clientToken", style=style)
        self.token_window = w.Text(value=_duration_text(token.window) or "1h", description="window", style=style)
        resolve = self.start_policy.resolve
        self.resolve_strategy = w.Dropdown(options=["on_ok", "after", "never"], value=resolve.strategy, description="resolve", style=style)
        self.resolve_delay = w.Text(value=_duration_text(resolve.delay) or "0m", description="delay after OK", style=style)
        self.resolve_after = w.Text(value=_duration_text(resolve.after) or "4h", description="resolve after", style=style)
        days = sorted({t.date() for t in self.alarms["timestamp"]}) or [pd.Timestamp.now(tz="UTC").date()]
        # two labelled lists rather than a range slider, whose handles have no name a screen reader could say
        days_shown = [(d.isoformat(), d) for d in days]
        self.date_from = w.Dropdown(options=days_shown, value=days[0], description="from", style=style, tooltip="first day replayed")
        self.date_to = w.Dropdown(options=days_shown, value=days[-1], description="to", style=style, tooltip="last day replayed")
        self.dates_text = w.HTML()
        for control in (self.date_from, self.date_to):
            control.observe(self._show_dates, names="value")
        self._show_dates()
        for control in (self.token_strategy, self.token_window, self.resolve_strategy, self.resolve_delay, self.resolve_after,
                        self.date_from, self.date_to):
            control.observe(self._changed, names="value")
        self.message = w.HTML()
        self.headline = w.HTML()
        self.plots = w.Output()
        self.save_path = w.Text(value="tuned-policy.yaml", description="save as", style=style)
        self.save_button = w.Button(description="Write policy YAML", icon="save", layout=w.Layout(width="auto"))
        self.save_button.on_click(lambda _: self.save())
        self.save_cloudformation = w.Checkbox(value=False, description="and CloudFormation beside it", indent=False,
                                              layout=w.Layout(width="auto"))
        self.live_config: Any = None  # AWS CLI outputs (or a Wiring) the CloudFormation export reads; None: this history's alarms
        self.compare_button = w.Button(description="Compare with start", icon="balance-scale", layout=w.Layout(width="auto"))
        self.compare_button.on_click(lambda _: self.show_comparison())
        self.comparison = w.Output()
        wrap = w.Layout(flex_flow="row wrap")
        # the headline first: whatever control moves, the figures it changes are in view
        self.widget = w.VBox([
            self.headline, self.message,
            w.HTML("<h3>Routes: impact and title</h3>"), *rows,
            w.HTML("<h3>Tokens, resolution, dates</h3>"),
            w.HBox([self.token_strategy, self.token_window], layout=wrap),
            w.HBox([self.resolve_strategy, self.resolve_delay, self.resolve_after], layout=wrap),
            w.HBox([self.date_from, self.date_to, self.dates_text], layout=wrap), self.plots,
            w.HBox([self.save_path, self.save_button, self.save_cloudformation, self.compare_button], layout=wrap), self.comparison,
        ])

    def dates(self) -> tuple[Any, Any]:
        """The first and last day replayed (in either order in the lists)."""
        first, last = self.date_from.value, self.date_to.value
        return (first, last) if first <= last else (last, first)

    def _show_dates(self, _: Any = None) -> None:
        first, last = self.dates()
        days = (last - first).days + 1
        self.dates_text.value = f"&nbsp;{days:,} day{'s' if days != 1 else ''}, {first.isoformat()} to {last.isoformat()}"

    # ------------------------------------------------------------------ state

    def current_policy(self) -> Policy:
        """The policy the controls describe; raises PolicyError naming the control in trouble."""
        routes = []
        for route in self.start_policy.routes:
            controls = self.route_controls.get(route.name)
            if controls is None:
                routes.append(route)
                continue
            impact = controls["impact"].value
            source = controls["title"].value.strip()
            title = Template(source, f"route '{route.name}' title") if source else None
            routes.append(dataclasses.replace(route, impact=None if impact == PLAN_IMPACT else int(impact), title=title))
        strategy = self.token_strategy.value
        token = ClientTokenStrategy(
            strategy=strategy,
            window=parse_duration(self.token_window.value, "clientToken window") if strategy == "per_alarm_window" else None,
            template=self.start_policy.client_token.template if strategy == "template" else None,
            on_mismatch=self.start_policy.client_token.on_mismatch,
        )
        if strategy == "template" and token.template is None:
            raise PolicyError("clientToken: the template strategy needs a template in the starting policy")
        resolve_kind = self.resolve_strategy.value
        resolve = ResolveStrategy(
            strategy=resolve_kind,
            delay=parse_duration(self.resolve_delay.value, "resolve delay"),
            after=parse_duration(self.resolve_after.value, "resolve after") if resolve_kind == "after" else None,
        )
        return self.start_policy.replace(routes=tuple(routes), client_token=token, resolve=resolve, name=f"{self.start_policy.name} (tuned)")

    @property
    def result(self) -> ReplayResult:
        """The replay of the chosen dates under the controls' policy (its tables are built when first asked for)."""
        return self.tuning.result()

    @property
    def start_result(self) -> ReplayResult:
        """The replay of the whole history under the starting policy."""
        if self._start_result is None:
            self._start_result = replay(self.alarms, self.start_policy, engine="fast")
        return self._start_result

    def history(self) -> pd.DataFrame:
        """The history within the chosen dates."""
        lo, hi = self.tuning.rows_between(*self.dates())
        return self.alarms.iloc[lo:hi].reset_index(drop=True)

    def update(self) -> None:
        """Replay what the change reaches and redraw (errors are shown, never raised)."""
        self._timer = None
        broken = self._broken_titles()
        for name, problem in broken.items():  # shown under the box being typed in, not only at the top
            self.route_controls[name]["preview"].value = f"<div style='color:#D55E00'>{html.escape(problem)}</div>"
        try:
            policy = self.current_policy()
        except PolicyError as error:
            self.message.value = f"<span style='color:#D55E00'>{html.escape(str(error))}</span>"
            return
        self.message.value = ""
        self.policy = policy
        self.last_change = self.tuning.update(policy, rows=self.tuning.rows_between(*self.dates()))
        self.updates += 1
        self._previews()
        self._headline()
        self._draw()

    def _broken_titles(self) -> dict[str, str]:
        """Per route whose title box holds a template that does not compile: the error."""
        broken = {}
        for name, controls in self.route_controls.items():
            source = controls["title"].value.strip()
            try:
                Template(source, f"route '{name}' title") if source else None
            except PolicyError as error:
                broken[name] = str(error)
        return broken

    def _previews(self) -> None:
        """Per route: what its titles look like over the history (routes sharing a plan share a preview)."""
        for route in self.policy.routes:
            controls = self.route_controls.get(route.name)
            if controls is None:
                continue
            preview = self.tuning.title_preview(str(route.plan))
            parts = [f"{preview['distinct']:,} distinct titles over {preview['triggers']:,} triggers; "
                     f"{preview['shared']:,} shared by several alarms"]
            if preview["at_limit"]:
                parts.append(f"{preview['at_limit']:,} at the {TITLE_LIMIT}-character limit")
            html_parts = ["<div style='line-height:1.4'><div style='font-size:0.9em'>" + html.escape("; ".join(parts)) + "</div>"]
            html_parts += [f"<div style='font-family:monospace'>{html.escape(t)}</div>" for t in preview["first"]]
            if preview["not_sent"]:
                html_parts.append(f"<div style='color:#D55E00'>{preview['not_sent']:,} of these triggers were not sent. "
                                  f"{html.escape('Not sent: ' + preview['first_error'] + '.')}</div>")
            controls["preview"].value = "".join(html_parts) + "</div>"

    def _headline(self) -> None:
        figures = self.tuning.headline(tz=self.tz)
        self.headline.value = (
            "<div style='font-size:1.15em;line-height:1.5;padding:4px 10px;border-left:4px solid #0072B2;background:#f3f6f9'>"
            f"<b>{figures['incidents']:,}</b> incidents (start: {self.start_incidents:,}), "
            f"dedup ratio <b>{figures['dedup_ratio']:.1%}</b>, {figures['off_hours_interruptions']:,} off-hours interruptions, "
            f"{figures['shifts_over_limit']:,} shifts over 2 incidents<br>by impact: "
            + ", ".join(f"{html.escape(IMPACT_LABELS[level])} <b>{count:,}</b>" for level, count in figures["incidents_by_impact"].items())
            + "</div>"
        )

    def _draw(self) -> None:
        """Counts per day from the replay's arrays; the bars are updated in place while the days stay the same."""
        import matplotlib.pyplot as plt

        from .plots import ImpactDisplay, TriggerVolumeDisplay

        volume = self.tuning.trigger_volume("1D")
        impact = self.tuning.incidents_by_impact("1D")
        if self.volume_display is not None and self.volume_display.data.index.equals(volume.index):
            self.volume_display.update(volume)
            self.impact_display.update(impact)
        else:
            if self.volume_display is not None:
                plt.close(self.figure_)
            figure, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6), layout="constrained")
            self.volume_display = TriggerVolumeDisplay(data=volume, freq="1D").plot(ax=top)
            self.impact_display = ImpactDisplay(data=impact, freq="1D").plot(ax=bottom)
            figure.canvas.draw()
            figure.set_layout_engine("none")  # placed once; an update only restacks the bars, so the layout is not solved again
            self.figure_ = figure
            plt.close(figure)  # shown through the output area, not pyplot's own display
        show_figure(self.plots, self.figure_)

    # ------------------------------------------------------------------ buttons

    def save(self, path: str | Path | None = None) -> Path:
        """Write the tuned policy as YAML (to the 'save as' box's path by default); with the CloudFormation box ticked,
        also its export beside it (``<name>.cfn.yaml`` and the alarm-action changes, from ``live_config`` when set, else
        from this history's alarms)."""
        target = Path(path or self.save_path.value)
        self.policy.to_yaml(target)
        written = [target]
        if self.save_cloudformation.value:
            from .awsconfig import export_policy

            alarms = self.alarms if self.live_config is None else self.live_config
            try:
                written += export_policy(self.policy, alarms=alarms).write(target.with_suffix(".cfn.yaml")).values()
            except ValueError as error:  # live_config that cannot be read: said in the panel, not lost in a callback
                self.message.value = html.escape(f"wrote {target}; no CloudFormation export: {error}")
                return target
        self.message.value = f"wrote {html.escape(', '.join(str(p) for p in written))}"
        return target

    def comparison_table(self) -> pd.DataFrame:
        """Per alarm: incidents under the starting policy and under the tuned one."""
        return compare(self.start_result, self.result)

    def show_comparison(self) -> None:
        import matplotlib.pyplot as plt

        from .plots import ComparisonDisplay

        self.comparison_display = ComparisonDisplay.from_results(self.start_result, self.result, labels=("start", "tuned")).plot()
        show_figure(self.comparison, self.comparison_display.figure_)
        plt.close(self.comparison_display.figure_)


def _duration_text(delta: Any) -> str:
    if delta is None:
        return ""
    from .policy import format_duration

    return format_duration(delta)



# ============================================================================ backtesting an alarm

#: The resolve delays the backtest panel offers: (label, duration); ``never`` leaves incidents open.
RESOLVE_DELAYS: tuple[tuple[str, str], ...] = (
    ("at once", "0s"), ("5 min", "5m"), ("15 min", "15m"), ("30 min", "30m"), ("1 hour", "1h"), ("4 hours", "4h"), ("never", "never"),
)
NEVER = "never"
#: Percentile statistics offered besides botocore's standard ones.
PERCENTILES = ("p50", "p90", "p95", "p99")


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
    from .policy import format_duration, parse_duration

    return format_duration(parse_duration(resolve_delay, "resolve delay"))


def _percent(value: Any) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{value:.0%}"


class BacktestPanel(_Panel):
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
        Quiet time after the last control change before backtesting again (0: at once).

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
        if not isinstance(definition, AlarmDefinition):
            raise ValueError(f"The 'definition' parameter of BacktestPanel must be an AlarmDefinition. Got {type(definition).__name__} instead.")
        self.series = series
        self.windows = windows
        self.series_name = series_name
        self.start_definition = definition
        self.definition = definition
        self.resolve_delay = resolve_delay
        self.start_run = backtest(series, definition, windows=windows, resolve_delay=resolve_delay, series_name=series_name)
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
        self.threshold = w.BoundedFloatText(value=d.threshold, min=low, max=high, step=step, description="threshold",
                                            tooltip=f"from {low:g} to {high:g}, in steps of {step:g}", style=style, layout=boxes)
        self.operator = w.Dropdown(options=list(threshold_operators()), value=d.comparison_operator, description="comparison", style=style)
        statistics = list(dict.fromkeys([*standard_statistics(), *PERCENTILES, d.statistic]))
        self.statistic = w.Dropdown(options=statistics, value=d.statistic, description="statistic", style=style)
        most = max(20, d.n, d.m)
        self.datapoints_to_alarm = w.BoundedIntText(value=d.m, min=1, max=most, description="datapoints to alarm (M)",
                                                    tooltip=f"1 to {most}", style=style, layout=boxes)
        self.evaluation_periods = w.BoundedIntText(value=d.n, min=1, max=most, description="evaluation periods (N)",
                                                   tooltip=f"1 to {most}", style=style, layout=boxes)
        self.treat_missing_data = w.Dropdown(options=list(TREAT_MISSING_DATA), value=d.treat_missing_data, description="missing data", style=style)
        start_delay = _delay_value(self.resolve_delay)
        delays = list(RESOLVE_DELAYS)
        if start_delay not in [value for _, value in delays]:
            delays.insert(0, (start_delay, start_delay))
        self.resolve_delay_control = w.Dropdown(options=delays, value=start_delay, description="resolve after OK", style=style)
        self.controls = (self.threshold, self.operator, self.statistic, self.datapoints_to_alarm, self.evaluation_periods,
                         self.treat_missing_data, self.resolve_delay_control)
        for control in self.controls:
            control.observe(self._changed, names="value")
        self.message = w.HTML()
        self.headline = w.HTML()
        self.plots = w.Output()
        self.sweep_button = w.Button(description="Sweep around this setting", icon="th", layout=w.Layout(width="16rem"))
        self.sweep_button.on_click(lambda _: self.sweep_here())
        self.sweep_output = w.Output()
        self.widget = w.VBox([
            w.HTML(f"<h3>Alarm {html.escape(d.alarm_name)} on {html.escape(str(self.series.attrs.get('name') or d.metric_name))}</h3>"),
            w.HBox([self.threshold, self.operator, self.statistic], layout=w.Layout(flex_flow="row wrap")),
            w.HBox([self.datapoints_to_alarm, self.evaluation_periods], layout=w.Layout(flex_flow="row wrap")),
            w.HBox([self.treat_missing_data, self.resolve_delay_control]),
            self.message, self.headline, self.plots, self.sweep_button, self.sweep_output,
        ])

    # ------------------------------------------------------------------ state

    def current_definition(self) -> AlarmDefinition:
        """The alarm the controls describe; raises AlarmDefinitionError when CloudWatch would refuse it."""
        m, n = int(self.datapoints_to_alarm.value), int(self.evaluation_periods.value)
        if m > n:
            raise AlarmDefinitionError(
                "", "", f"{m} datapoints to alarm out of {n} evaluation period{'' if n == 1 else 's'}: CloudWatch refuses an alarm whose "
                f"DatapointsToAlarm (M) is more than its EvaluationPeriods (N)"
            )
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
        """Backtest the controls' alarm and redraw (a refused alarm is shown, never raised; the last valid run stays)."""
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
            run = backtest(self.series, definition, windows=self.windows, resolve_delay=delay, series_name=self.series_name)
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
            f"<b>{s['incidents']:,}</b> incident{'' if s['incidents'] == 1 else 's'}, <b>{s['incidents_per_week']:.1f}</b> per week "
            f"(start: {start['incidents']:,}) from {s['triggers']:,} changes into ALARM"
        )
        if "recall" in s:
            text += (
                f"; precision <b>{_percent(s['precision'])}</b>, recall <b>{_percent(s['recall'])}</b> "
                f"({s['detected']} of {s['windows']} anomalies), median detection delay <b>{human_duration(s['detection_delay_s_median'])}</b>, "
                f"median reset time <b>{human_duration(s['reset_time_s_median'])}</b>"
            )
        else:
            text += "; no labelled windows, so nothing is scored"
        self.headline.value = text

    def _draw(self) -> None:
        import matplotlib.pyplot as plt

        from .plots import BacktestDisplay

        figure, ax = plt.subplots(figsize=(11, 4), layout="constrained")
        self.backtest_display = BacktestDisplay.from_backtest(self.run, series=self.series).plot(ax=ax)
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

        from .plots import SweepDisplay

        table = sweep(self.series, self.definition, grid or self.default_grid(), windows=self.windows,
                      resolve_delay=self.resolve_delay, series_name=self.series_name)
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
