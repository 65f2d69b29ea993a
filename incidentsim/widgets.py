"""The tuning panel: change impact, titles, tokens and resolution, and see the incident stream at once.

:class:`TuningPanel` composes the pure parts of incidentsim: the policy, the fast
replay engine (same answers as the emulator, without a call per event), the
analysis functions and the Display objects.  Every control change replays the
history (debounced, so a slider drag does not queue a hundred replays) and
redraws the plots and headline figures; a title box previews the titles its
template would give over the whole history, with errors shown inline.

Examples
--------
>>> import incidentsim
>>> from incidentsim.widgets import TuningPanel
>>> panel = TuningPanel(incidentsim.load_alarms("data/alarm-events.jsonl"), "data/sample-policy.yaml")  # doctest: +SKIP
>>> panel  # in Jupyter, shows the panel  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import html
import threading
from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd

from . import analysis
from .policy import TITLE_LIMIT, ClientTokenStrategy, Policy, PolicyError, ResolveStrategy, Template, parse_duration
from .replay import compare, replay

PLAN_IMPACT = "plan's own"


class TuningPanel:
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
    widget : the ipywidgets box to show.
    """

    def __init__(self, alarms: Any, policy: Policy | str | Path, *, debounce_s: float = 0.4, tz: str = "UTC"):
        from .datasets.loaders import AlarmLoad
        from .datasets.schema import validate_alarm_frame

        frame = alarms.alarms if isinstance(alarms, AlarmLoad) else validate_alarm_frame(alarms)
        self.alarms = frame.reset_index(drop=True)
        self.start_policy = policy if isinstance(policy, Policy) else Policy.from_yaml(policy)
        self.policy = self.start_policy
        self.start_result = replay(self.alarms, self.start_policy, engine="fast")
        self.result = self.start_result
        self.debounce_s = debounce_s
        self.tz = tz
        self.updates = 0
        self._timer: threading.Timer | None = None
        self.volume_display: Any = None
        self.impact_display: Any = None
        self.comparison_display: Any = None
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
                                description="impact", style=style, layout=w.Layout(width="16rem"))
            title = w.Text(value=route.title.source if route.title else "", placeholder="plan's own title",
                           description="title", style=style, layout=w.Layout(width="40rem"))
            preview = w.HTML()
            for control in (impact, title):
                control.observe(self._changed, names="value")
            self.route_controls[route.name] = {"impact": impact, "title": title, "preview": preview}
            rows.append(w.VBox([w.HTML(f"<b>route {html.escape(route.name)}</b> &rarr; {html.escape(str(route.plan))}"),
                                w.HBox([impact, title]), preview]))
        token = self.start_policy.client_token
        self.token_strategy = w.Dropdown(options=["per_event", "per_alarm_window", "template", "none"], value=token.strategy,
                                         description="clientToken", style=style)
        self.token_window = w.Text(value=_duration_text(token.window) or "1h", description="window", style=style)
        resolve = self.start_policy.resolve
        self.resolve_strategy = w.Dropdown(options=["on_ok", "after", "never"], value=resolve.strategy, description="resolve", style=style)
        self.resolve_delay = w.Text(value=_duration_text(resolve.delay) or "0m", description="delay after OK", style=style)
        self.resolve_after = w.Text(value=_duration_text(resolve.after) or "4h", description="resolve after", style=style)
        days = sorted({t.date() for t in self.alarms["timestamp"]}) or [pd.Timestamp.now(tz="UTC").date()]
        self.dates = w.SelectionRangeSlider(options=[(d.isoformat(), d) for d in days], index=(0, len(days) - 1),
                                            description="dates", style=style, layout=w.Layout(width="40rem"))
        for control in (self.token_strategy, self.token_window, self.resolve_strategy, self.resolve_delay, self.resolve_after, self.dates):
            control.observe(self._changed, names="value")
        self.message = w.HTML()
        self.headline = w.HTML()
        self.plots = w.Output()
        self.save_path = w.Text(value="tuned-policy.yaml", description="save as", style=style)
        self.save_button = w.Button(description="Write policy YAML", icon="save")
        self.save_button.on_click(lambda _: self.save())
        self.compare_button = w.Button(description="Compare with start", icon="balance-scale")
        self.compare_button.on_click(lambda _: self.show_comparison())
        self.comparison = w.Output()
        self.widget = w.VBox([
            w.HTML("<h3>Routes: impact and title</h3>"), *rows,
            w.HTML("<h3>Tokens, resolution, dates</h3>"),
            w.HBox([self.token_strategy, self.token_window]),
            w.HBox([self.resolve_strategy, self.resolve_delay, self.resolve_after]),
            self.dates, self.message, self.headline, self.plots,
            w.HBox([self.save_path, self.save_button, self.compare_button]), self.comparison,
        ])

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def _changed(self, _: Any = None) -> None:
        """A control moved: replay after ``debounce_s`` of quiet (at once when it is 0)."""
        if self.debounce_s <= 0:
            self.update()
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = threading.Timer(self.debounce_s, self.update)
        self._timer.daemon = True
        self._timer.start()

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

    def history(self) -> pd.DataFrame:
        """The history within the chosen dates."""
        first, last = self.dates.value
        days = self.alarms["timestamp"].dt.date
        return self.alarms[(days >= first) & (days <= last)].reset_index(drop=True)

    def update(self) -> None:
        """Replay with the controls' policy and redraw everything (errors are shown, never raised)."""
        self._timer = None
        try:
            policy = self.current_policy()
        except PolicyError as error:
            self.message.value = f"<span style='color:#D55E00'>{html.escape(str(error))}</span>"
            return
        self.message.value = ""
        self.policy = policy
        history = self.history()
        self.result = replay(history, policy, engine="fast")
        self.updates += 1
        self._previews()
        self._headline()
        self._draw()

    def _previews(self) -> None:
        """Per route: what its titles look like over the history (routes sharing a plan share a preview)."""
        events = self.result.events
        for route in self.policy.routes:
            controls = self.route_controls.get(route.name)
            if controls is None:
                continue
            mine = events[(events["outcome"] != "ignored") & (events["response_plan"] == route.plan)]
            errors = mine.loc[mine["error_code"] == "TemplateError", "explanation"]
            titles = mine.loc[mine["error_code"] != "TemplateError", "title"]
            per_title = mine.groupby("title", observed=True)["alarm_arn"].nunique()
            collisions = int((per_title > 1).sum())
            long_titles = int((titles.str.len() >= TITLE_LIMIT).sum())
            first = list(dict.fromkeys(titles.tolist()))[:5]
            parts = [f"{titles.nunique():,} distinct titles over {len(mine):,} triggers; {collisions:,} shared by several alarms"]
            if long_titles:
                parts.append(f"{long_titles:,} at the 200-character limit")
            html_parts = ["<div style='font-size:0.9em'>" + html.escape("; ".join(parts)) + "</div>"]
            html_parts += [f"<div style='font-family:monospace'>{html.escape(t)}</div>" for t in first]
            if len(errors):
                html_parts.append(f"<div style='color:#D55E00'>{len(errors):,} of these triggers were not sent. {html.escape(errors.iloc[0])}</div>")
            controls["preview"].value = "".join(html_parts)

    def _headline(self) -> None:
        figures = analysis.headline(self.result, tz=self.tz)
        start = self.start_result.summary()
        self.headline.value = (
            f"<b>{figures['incidents']:,}</b> incidents (start: {start['created']:,}), "
            f"dedup ratio <b>{figures['dedup_ratio']:.1%}</b>, {figures['off_hours_interruptions']:,} off-hours interruptions, "
            f"{figures['shifts_over_limit']:,} shifts over 2 incidents"
        )

    def _draw(self) -> None:
        import matplotlib.pyplot as plt
        from IPython.display import display

        from .plots import ImpactDisplay, TriggerVolumeDisplay

        figure, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6), layout="constrained")
        self.volume_display = TriggerVolumeDisplay.from_result(self.result, freq="1D").plot(ax=top)
        self.impact_display = ImpactDisplay.from_result(self.result, freq="1D").plot(ax=bottom)
        self.figure_ = figure
        with self.plots:
            self.plots.clear_output(wait=True)
            display(figure)
        plt.close(figure)

    # ------------------------------------------------------------------ buttons

    def save(self, path: str | Path | None = None) -> Path:
        """Write the tuned policy as YAML (to the 'save as' box's path by default)."""
        target = Path(path or self.save_path.value)
        self.policy.to_yaml(target)
        self.message.value = f"wrote {html.escape(str(target))}"
        return target

    def comparison_table(self) -> pd.DataFrame:
        """Per alarm: incidents under the starting policy and under the tuned one."""
        return compare(self.start_result, self.result)

    def show_comparison(self) -> None:
        from IPython.display import display

        from .plots import ComparisonDisplay

        self.comparison_display = ComparisonDisplay.from_results(self.start_result, self.result, labels=("start", "tuned")).plot()
        with self.comparison:
            self.comparison.clear_output(wait=True)
            display(self.comparison_display)


def _duration_text(delta: Any) -> str:
    if delta is None:
        return ""
    from .policy import format_duration

    return format_duration(delta)

