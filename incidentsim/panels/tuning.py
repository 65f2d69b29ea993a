"""The tuning panel: a policy's routes, tokens, resolution and dates as controls over one alarm history.

It composes the pure parts of incidentsim: the policy, the fast replay engine (same answers as the emulator,
without a call per event), the analysis functions and the Display objects. It keeps a
:class:`~incidentsim.replay.incremental.TuningReplay`: a control change (debounced, so a burst of typing does
not queue a hundred replays) re-decides only what it touched, scans again only when outcomes can change, and
redraws the headline and the bars in place from counts; a title box previews the titles its template would
give over the whole history, with errors shown under the box.

Examples
--------
>>> import incidentsim
>>> from incidentsim.panels import TuningPanel
>>> panel = TuningPanel(incidentsim.load_alarms("data/alarm-events.jsonl"), "data/sample-policy.yaml")  # doctest: +SKIP
>>> panel  # in Jupyter, shows the panel  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import html
import os
import threading
from numbers import Real
from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd

from ..datasets.loaders import AlarmLoad
from ..params import Interval, TimeZone, validate_params
from ..plots import IMPACT_LABELS
from ..policy import TITLE_LIMIT, ClientTokenStrategy, Policy, PolicyError, ResolveStrategy, Template, parse_duration
from ..replay import ReplayResult, compare, replay
from ..replay.incremental import TuningReplay
from .common import Panel, show_figure

PLAN_IMPACT = "plan's own"
#: What the parameters of :class:`TuningPanel` may be (a debounce of more than a minute is no debounce).
TUNING_PANEL_PARAMETERS: dict[str, list[Any]] = {
    "alarms": [AlarmLoad, pd.DataFrame],
    "policy": [Policy, str, os.PathLike],
    "debounce_s": [Interval(Real, 0, 60)],
    "tz": [TimeZone()],
}


class TuningPanel(Panel):
    """An ipywidgets panel over one history and a starting policy.

    Parameters
    ----------
    alarms : AlarmLoad or DataFrame
        The history: what :func:`incidentsim.load_alarms` returns, or an AlarmFrame.
    policy : Policy or path
        The starting policy, or its YAML file.
    debounce_s : float
        Quiet time in seconds after the last control change before replaying again (0: at once; at most 60).
    tz : str
        The time zone of the headline's off-hours figures, e.g. ``"Europe/London"``.

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

    @validate_params(TUNING_PANEL_PARAMETERS, owner="TuningPanel")
    def __init__(self, alarms: Any, policy: Policy | str | Path, *, debounce_s: float = 0.4, tz: str = "UTC"):
        from ..datasets.schema import validate_alarm_frame

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
        # (route, title text) -> its compiled template (None for an empty box), or its compile error
        self._compiled: dict[tuple[str, str], Template | PolicyError | None] = {}
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
            impact = w.Dropdown(
                options=[PLAN_IMPACT, 1, 2, 3, 4, 5],
                value=route.impact or PLAN_IMPACT,
                description="impact",
                tooltip=f"impact of route {route.name}'s incidents",
                style=style,
                layout=w.Layout(width="16rem"),
            )
            title = w.Text(
                value=route.title.source if route.title else "",
                placeholder="plan's own title",
                description="title",
                tooltip=f"title template of route {route.name}",
                style=style,
                layout=w.Layout(width="40rem", max_width="100%"),
            )
            preview = w.HTML()
            for control in (impact, title):
                control.observe(self._changed, names="value")
            self.route_controls[route.name] = {"impact": impact, "title": title, "preview": preview}
            rows.append(
                w.VBox(
                    [
                        w.HTML(f"<b>route {html.escape(route.name)}</b> &rarr; {html.escape(str(route.plan))}"),
                        w.HBox([impact, title], layout=w.Layout(flex_flow="row wrap")),
                        preview,
                    ]
                )
            )
        token = self.start_policy.client_token
        self.token_strategy = w.Dropdown(
            options=["per_event", "per_alarm_window", "template", "none"],
            value=token.strategy,
            description="clientToken",
            style=style,
        )
        self.token_window = w.Text(value=_duration_text(token.window) or "1h", description="window", style=style)
        resolve = self.start_policy.resolve
        self.resolve_strategy = w.Dropdown(
            options=["on_ok", "after", "never"], value=resolve.strategy, description="resolve", style=style
        )
        self.resolve_delay = w.Text(
            value=_duration_text(resolve.delay) or "0m", description="delay after OK", style=style
        )
        self.resolve_after = w.Text(
            value=_duration_text(resolve.after) or "4h", description="resolve after", style=style
        )
        days = sorted({t.date() for t in self.alarms["timestamp"]}) or [pd.Timestamp.now(tz="UTC").date()]
        # two labelled lists rather than a range slider, whose handles have no name a screen reader could say
        days_shown = [(d.isoformat(), d) for d in days]
        self.date_from = w.Dropdown(
            options=days_shown, value=days[0], description="from", style=style, tooltip="first day replayed"
        )
        self.date_to = w.Dropdown(
            options=days_shown, value=days[-1], description="to", style=style, tooltip="last day replayed"
        )
        self.dates_text = w.HTML()
        for control in (self.date_from, self.date_to):
            control.observe(self._show_dates, names="value")
        self._show_dates()
        for control in (
            self.token_strategy,
            self.token_window,
            self.resolve_strategy,
            self.resolve_delay,
            self.resolve_after,
            self.date_from,
            self.date_to,
        ):
            control.observe(self._changed, names="value")
        self.message = w.HTML()
        self.headline = w.HTML()
        self.plots = w.Output()
        self.save_path = w.Text(value="tuned-policy.yaml", description="save as", style=style)
        self.save_button = w.Button(description="Write policy YAML", icon="save", layout=w.Layout(width="auto"))
        self.save_button.on_click(lambda _: self.save())
        self.save_cloudformation = w.Checkbox(
            value=False, description="and CloudFormation beside it", indent=False, layout=w.Layout(width="auto")
        )
        self.live_config: Any = (
            None  # AWS CLI outputs (or a Wiring) the CloudFormation export reads; None: this history's alarms
        )
        self.compare_button = w.Button(
            description="Compare with start", icon="balance-scale", layout=w.Layout(width="auto")
        )
        self.compare_button.on_click(lambda _: self.show_comparison())
        self.comparison = w.Output()
        wrap = w.Layout(flex_flow="row wrap")
        # the headline first: whatever control moves, the figures it changes are in view
        self.widget = w.VBox(
            [
                self.headline,
                self.message,
                w.HTML("<h3>Routes: impact and title</h3>"),
                *rows,
                w.HTML("<h3>Tokens, resolution, dates</h3>"),
                w.HBox([self.token_strategy, self.token_window], layout=wrap),
                w.HBox([self.resolve_strategy, self.resolve_delay, self.resolve_after], layout=wrap),
                w.HBox([self.date_from, self.date_to, self.dates_text], layout=wrap),
                self.plots,
                w.HBox([self.save_path, self.save_button, self.save_cloudformation, self.compare_button], layout=wrap),
                self.comparison,
            ]
        )

    def dates(self) -> tuple[Any, Any]:
        """The first and last day replayed (in either order in the lists)."""
        first, last = self.date_from.value, self.date_to.value
        return (first, last) if first <= last else (last, first)

    def _show_dates(self, _: Any = None) -> None:
        first, last = self.dates()
        days = (last - first).days + 1
        self.dates_text.value = (
            f"&nbsp;{days:,} day{'s' if days != 1 else ''}, {first.isoformat()} to {last.isoformat()}"
        )

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
            title = self._title(route.name, source)
            routes.append(
                dataclasses.replace(route, impact=None if impact == PLAN_IMPACT else int(impact), title=title)
            )
        strategy = self.token_strategy.value
        token = ClientTokenStrategy(
            strategy=strategy,
            window=parse_duration(self.token_window.value, "clientToken window")
            if strategy == "per_alarm_window"
            else None,
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
        return self.start_policy.replace(
            routes=tuple(routes), client_token=token, resolve=resolve, name=f"{self.start_policy.name} (tuned)"
        )

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

    def _title(self, name: str, source: str) -> Template | None:
        """Route ``name``'s title template for the box's text (None: empty box), compiled once per text, so that an
        update compiles only the box that changed; raises the text's PolicyError."""
        key = (name, source)
        if key not in self._compiled:
            try:
                self._compiled[key] = Template(source, f"route '{name}' title") if source else None
            except PolicyError as error:
                self._compiled[key] = error
        found = self._compiled[key]
        if isinstance(found, PolicyError):
            raise found.with_traceback(None)  # the same error each time, without the earlier raises piled on
        return found

    def _broken_titles(self) -> dict[str, str]:
        """Per route whose title box holds a template that does not compile: the error."""
        broken: dict[str, str] = {}
        for name, controls in self.route_controls.items():
            try:
                self._title(name, controls["title"].value.strip())
            except PolicyError as error:
                broken[name] = str(error)
        return broken

    def _previews(self) -> None:
        """Per route: what its titles look like over the history (routes sharing a plan share a preview)."""
        for route in self.policy.routes:
            controls = self.route_controls.get(route.name)
            if controls is None:
                continue
            preview = self.tuning.title_preview(
                str(route.plan)
            )  # the counts of analysis.title_cardinality, from the codes
            parts = [
                f"{preview['distinct_titles']:,} distinct titles over {preview['triggers']:,} triggers; "
                f"{preview['collisions']:,} shared by several alarms"
            ]
            if preview["cut_titles"]:
                parts.append(f"{preview['cut_titles']:,} cut to the {TITLE_LIMIT}-character limit")
            if preview["over_limit"]:
                parts.append(
                    f"{preview['over_limit']:,} over the {TITLE_LIMIT}-character limit, refused by StartIncident"
                )
            html_parts = [
                "<div style='line-height:1.4'><div style='font-size:0.9em'>" + html.escape("; ".join(parts)) + "</div>"
            ]
            html_parts += [f"<div style='font-family:monospace'>{html.escape(t)}</div>" for t in preview["first"]]
            if preview["undefined_variables"]:
                html_parts.append(
                    f"<div style='color:#D55E00'>{preview['undefined_variables']:,} of these triggers were not sent. "
                    f"{html.escape('Not sent: ' + preview['first_error'] + '.')}</div>"
                )
            controls["preview"].value = "".join(html_parts) + "</div>"

    def _headline(self) -> None:
        figures = self.tuning.headline(tz=self.tz)
        self.headline.value = (
            "<div style='font-size:1.15em;line-height:1.5;padding:4px 10px;"
            "border-left:4px solid #0072B2;background:#f3f6f9'>"
            f"<b>{figures['incidents']:,}</b> incidents (start: {self.start_incidents:,}), "
            f"dedup ratio <b>{figures['dedup_ratio']:.1%}</b>, "
            f"{figures['off_hours_interruptions']:,} off-hours interruptions, "
            f"{figures['shifts_over_limit']:,} shifts over 2 incidents<br>by impact: "
            + ", ".join(
                f"{html.escape(IMPACT_LABELS[level])} <b>{count:,}</b>"
                for level, count in figures["incidents_by_impact"].items()
            )
            + "</div>"
        )

    def _draw(self) -> None:
        """Counts per day from the replay's arrays; the bars are updated in place while the days stay the same."""
        import matplotlib.pyplot as plt

        from ..plots import ImpactDisplay, TriggerVolumeDisplay

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
            figure.set_layout_engine(
                "none"
            )  # placed once; an update only restacks the bars, so the layout is not solved again
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
            from ..awsconfig import export_policy

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

        from ..plots import ComparisonDisplay

        self.comparison_display = ComparisonDisplay.from_results(
            self.start_result, self.result, labels=("start", "tuned")
        ).plot()
        show_figure(self.comparison, self.comparison_display.figure_)
        plt.close(self.comparison_display.figure_)


def _duration_text(delta: Any) -> str:
    if delta is None:
        return ""
    from ..policy import format_duration

    return format_duration(delta)
