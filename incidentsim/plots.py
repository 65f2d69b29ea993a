"""Plots as Display objects: compute in ``from_result``, draw in ``plot(ax=None)``.

Each Display keeps what it computed (``data``), and after ``plot`` its axes
(``ax_``), figure (``figure_``) and artists, and returns itself, so a notebook
cell can end with ``TriggerVolumeDisplay.from_result(result).plot()`` and show
the figure.  Colours come from the Okabe-Ito palette, which reads for every
kind of colour vision.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import incidentsim
>>> from incidentsim.plots import TriggerVolumeDisplay
>>> result = incidentsim.replay("data/alarm-events.jsonl", "data/sample-policy.yaml", engine="fast")  # doctest: +SKIP
>>> display = TriggerVolumeDisplay.from_result(result, freq="1D").plot()  # doctest: +SKIP
>>> len(display.bars_["created"])  # one bar a day  # doctest: +SKIP
30
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import analysis

# Okabe-Ito
OKABE_ITO = {
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "black": "#000000",
    "grey": "#999999",
}
OUTCOME_COLOURS = {
    "created": OKABE_ITO["vermillion"],
    "deduplicated": OKABE_ITO["sky"],
    "rejected": OKABE_ITO["black"],
    "failed": OKABE_ITO["purple"],
    "ignored": OKABE_ITO["grey"],
}
IMPACT_COLOURS = {1: OKABE_ITO["vermillion"], 2: OKABE_ITO["orange"], 3: OKABE_ITO["yellow"], 4: OKABE_ITO["sky"], 5: OKABE_ITO["grey"]}
IMPACT_LABELS = {1: "1 critical", 2: "2 high", 3: "3 medium", 4: "4 low", 5: "5 no impact"}
FREQS = ("15min", "1h", "1D", "1W")
FREQ_WORDS = {"15min": "15 minutes", "1h": "hour", "1D": "day", "1W": "week"}


def _check_choice(name: str, owner: str, value: Any, choices: tuple[Any, ...]) -> None:
    if value not in choices:
        shown = ", ".join(str(c) for c in choices)
        raise ValueError(f"The '{name}' parameter of {owner} must be one of {{{shown}}}. Got {value!r} instead.")


def _dates(ax: Any) -> None:
    """Concise date ticks that do not run into each other."""
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _legend_above(ax: Any, columns: int) -> None:
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=columns, frameon=False)


def _paired_barh(ax: Any, labels: list[str], pairs: list[tuple[str, Any, str]]) -> dict[str, Any]:
    """Two horizontal bars per label (first above second); returns the two BarContainers by name."""
    y = np.arange(len(labels))
    bars = {name: ax.barh(y + offset, values, height=0.4, color=colour, label=name)
            for (name, values, colour), offset in zip(pairs, (0.2, -0.2))}
    ax.set_yticks(y, labels)
    ax.legend(loc="lower right", frameon=False)
    return bars


def _axes(ax: Any, size: tuple[float, float] = (10, 4)) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


@dataclass
class _Display:
    """What every Display shares: the figure as PNG for notebooks and files."""

    data: pd.DataFrame
    ax_: Any = field(default=None, init=False, repr=False)
    figure_: Any = field(default=None, init=False, repr=False)

    def plot(self, ax: Any = None) -> _Display:  # pragma: no cover - every Display overrides it
        raise NotImplementedError

    def _repr_png_(self) -> bytes:
        if self.figure_ is None:
            self.plot()
        return self.to_png()

    def to_png(self, dpi: int = 110) -> bytes:
        """The drawn figure as PNG bytes (drawing it first if needed)."""
        if self.figure_ is None:
            self.plot()
        buffer = io.BytesIO()
        self.figure_.savefig(buffer, format="png", dpi=dpi)
        return buffer.getvalue()


@dataclass
class TriggerVolumeDisplay(_Display):
    """State changes per period, stacked by outcome (created, deduplicated, rejected, ignored)."""

    freq: str = "1D"
    include_ignored: bool = False
    bars_: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def from_result(cls, result: Any, freq: str = "1D", include_ignored: bool = False) -> TriggerVolumeDisplay:
        _check_choice("freq", "TriggerVolumeDisplay", freq, FREQS)
        return cls(data=analysis.trigger_volume(result, freq=freq), freq=freq, include_ignored=include_ignored)

    def plot(self, ax: Any = None) -> TriggerVolumeDisplay:
        ax = _axes(ax)
        outcomes = ["created", "deduplicated", "rejected", "failed"] + (["ignored"] if self.include_ignored else [])
        x = self.data.index
        width = pd.Timedelta(self.freq) * 0.85
        bottom = np.zeros(len(self.data))
        self.bars_ = {}
        for outcome in outcomes:
            values = self.data[outcome].to_numpy()
            self.bars_[outcome] = ax.bar(x, values, width=width, bottom=bottom, align="edge",
                                         color=OUTCOME_COLOURS[outcome], label=outcome)
            bottom = bottom + values
        word = FREQ_WORDS[self.freq]
        ax.set_title(f"Alarm triggers per {word}, by what StartIncident did", pad=22)
        ax.set_xlabel("time (UTC)")
        ax.set_ylabel(f"state changes per {word}")
        _legend_above(ax, len(outcomes))
        _dates(ax)
        self.ax_, self.figure_ = ax, ax.figure
        return self


@dataclass
class ImpactDisplay(_Display):
    """Incidents created per period, stacked by impact."""

    freq: str = "1D"
    bars_: dict[int, Any] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def from_result(cls, result: Any, freq: str = "1D") -> ImpactDisplay:
        _check_choice("freq", "ImpactDisplay", freq, FREQS)
        return cls(data=analysis.incidents_by_impact(result, freq=freq), freq=freq)

    def plot(self, ax: Any = None) -> ImpactDisplay:
        ax = _axes(ax)
        width = pd.Timedelta(self.freq) * 0.85
        bottom = np.zeros(len(self.data))
        self.bars_ = {}
        for impact in (1, 2, 3, 4, 5):
            values = self.data[impact].to_numpy() if impact in self.data.columns else np.zeros(len(self.data))
            self.bars_[impact] = ax.bar(self.data.index, values, width=width, bottom=bottom, align="edge",
                                        color=IMPACT_COLOURS[impact], label=IMPACT_LABELS[impact])
            bottom = bottom + values
        word = FREQ_WORDS[self.freq]
        ax.set_title(f"Incidents created per {word}, by impact", pad=22)
        ax.set_xlabel("time (UTC)")
        ax.set_ylabel(f"incidents per {word}")
        _legend_above(ax, 5)
        _dates(ax)
        self.ax_, self.figure_ = ax, ax.figure
        return self


@dataclass
class NoisyAlarmsDisplay(_Display):
    """The alarms that trigger most: triggers and the incidents they opened, with their noise class."""

    bars_: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def from_result(cls, result: Any, n: int = 10) -> NoisyAlarmsDisplay:
        return cls(data=analysis.top_noisy_alarms(result, n=n))

    def plot(self, ax: Any = None) -> NoisyAlarmsDisplay:
        ax = _axes(ax, (10, max(3.0, 0.45 * len(self.data) + 1.2)))
        data = self.data.iloc[::-1]
        repeated = data["alarm_name"].duplicated(keep=False)
        where = data["alarm_arn"].str.split(":").str[3] + " " + data["alarm_arn"].str.split(":").str[4]
        names = data["alarm_name"].where(~repeated, data["alarm_name"] + " [" + where + "]")
        labels = [f"{name} ({cls})" for name, cls in zip(names, data["noise_class"])]
        bars = _paired_barh(ax, labels, [("triggers", data["triggers"], OKABE_ITO["sky"]),
                                         ("incidents opened", data["incidents"], OKABE_ITO["vermillion"])])
        self.bars_ = {"triggers": bars["triggers"], "incidents": bars["incidents opened"]}
        ax.set_title("Noisiest alarms: triggers and the incidents they opened")
        ax.set_xlabel("count over the whole history")
        self.ax_, self.figure_ = ax, ax.figure
        return self


@dataclass
class InterruptionHeatmapDisplay(_Display):
    """Incidents created by hour of day and weekday, with the sleep hours marked."""

    tz: str = "UTC"
    sleep_hours: tuple[int, int] = (23, 7)
    image_: Any = field(default=None, init=False, repr=False)
    sleep_bands_: list[Any] = field(default_factory=list, init=False, repr=False)

    @classmethod
    def from_result(cls, result: Any, tz: str = "UTC", sleep_hours: tuple[int, int] = (23, 7)) -> InterruptionHeatmapDisplay:
        return cls(data=analysis.interruptions_by_hour(result, tz=tz), tz=tz, sleep_hours=sleep_hours)

    def plot(self, ax: Any = None) -> InterruptionHeatmapDisplay:
        ax = _axes(ax, (10, 3.6))
        self.image_ = ax.imshow(self.data.to_numpy(dtype=float), aspect="auto", cmap="cividis", origin="upper")
        ax.set_yticks(range(len(self.data.index)), [str(day) for day in self.data.index])
        ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
        start, end = self.sleep_hours
        spans = [(start - 0.5, 23.5), (-0.5, end - 0.5)] if start > end else [(start - 0.5, end - 0.5)]
        self.sleep_bands_ = [
            ax.axvspan(a, b, facecolor="none", edgecolor="white", hatch="///", linewidth=0, alpha=0.6) for a, b in spans
        ]
        ax.set_title(f"Incidents by hour and weekday ({self.tz}); hatched: sleep hours")
        ax.set_xlabel(f"hour of day ({self.tz})")
        colorbar = ax.figure.colorbar(self.image_, ax=ax)
        colorbar.set_label("incidents")
        self.ax_, self.figure_ = ax, ax.figure
        return self


@dataclass
class IncidentTimelineDisplay(_Display):
    """One bar per incident, from creation to resolution (or the end of the history), grouped by plan."""

    bars_: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def from_result(cls, result: Any, plans: list[str] | None = None, max_incidents: int = 2000) -> IncidentTimelineDisplay:
        incidents = result.incidents.copy()
        if plans is not None:
            incidents = incidents[incidents["response_plan"].isin(plans)]
        end = result.events["timestamp"].max() if len(result.events) else pd.Timestamp.now(tz="UTC")
        incidents["end"] = incidents["resolved_time"].fillna(end)
        incidents["duration_s"] = (incidents["end"] - incidents["creation_time"]).dt.total_seconds()
        incidents = incidents.sort_values(["response_plan", "creation_time"]).head(max_incidents)
        return cls(data=incidents[["incident_arn", "response_plan", "title", "creation_time", "end", "duration_s", "status"]].reset_index(drop=True))

    def plot(self, ax: Any = None) -> IncidentTimelineDisplay:
        import matplotlib.dates as mdates

        plans = list(dict.fromkeys(self.data["response_plan"]))
        ax = _axes(ax, (10, max(2.5, 0.6 * len(plans) + 1.5)))
        palette = [OKABE_ITO[c] for c in ("blue", "orange", "green", "vermillion", "purple", "sky", "yellow", "black")]
        self.bars_ = {}
        for row, plan in enumerate(plans):
            rows = self.data[self.data["response_plan"] == plan]
            starts = mdates.date2num(rows["creation_time"].dt.tz_convert("UTC").dt.tz_localize(None))
            ends = mdates.date2num(rows["end"].dt.tz_convert("UTC").dt.tz_localize(None))
            self.bars_[plan] = ax.broken_barh(list(zip(starts, np.maximum(ends - starts, 1 / 1440))), (row - 0.35, 0.7),
                                              facecolors=palette[row % len(palette)])
        ax.set_yticks(range(len(plans)), plans)
        ax.xaxis_date()
        _dates(ax)
        ax.set_title("Incidents from creation to resolution, by response plan")
        ax.set_xlabel("time (UTC)")
        self.ax_, self.figure_ = ax, ax.figure
        return self


@dataclass
class ComparisonDisplay(_Display):
    """Incidents per alarm (or plan) under two policies, for the alarms whose count changed most."""

    labels: tuple[str, str] = ("before", "after")
    bars_: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def from_results(cls, before: Any, after: Any, n: int = 15, by: str = "alarm", labels: tuple[str, str] | None = None) -> ComparisonDisplay:
        from .replay import compare

        table = compare(before, after, by=by).head(n)
        return cls(data=table, labels=labels or (before.policy_name, after.policy_name))

    def plot(self, ax: Any = None) -> ComparisonDisplay:
        ax = _axes(ax, (10, max(3.0, 0.45 * len(self.data) + 1.2)))
        data = self.data.iloc[::-1]
        names = data["alarm_name"] if "alarm_name" in data.columns else data["response_plan"]
        self.bars_ = _paired_barh(ax, list(names), [(self.labels[0], data["incidents_a"], OKABE_ITO["grey"]),
                                                    (self.labels[1], data["incidents_b"], OKABE_ITO["blue"])])
        ax.set_title("Incidents under two policies, where they differ most")
        ax.set_xlabel("incidents over the whole history")
        self.ax_, self.figure_ = ax, ax.figure
        return self
