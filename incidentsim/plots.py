"""Plots as Display objects: take their data in ``from_result``, draw in ``plot(ax=None, **kwargs)``.

Each Display keeps the table an analysis function computed (``data``; :mod:`incidentsim.analysis`,
or the backtest's and the sweep's own results), never computes one itself, and after ``plot``
its axes (``ax_``), figure (``figure_``) and artists, and returns itself, so a notebook
cell can end with ``TriggerVolumeDisplay.from_result(result).plot()`` and show
the figure.  Extra keyword arguments of ``plot`` are styling passed to the Matplotlib call
that draws the Display's main artists (each ``plot`` says which), over the Display's own
defaults: ``TriggerVolumeDisplay.from_result(result).plot(alpha=0.5)``.  Colours come from
the Okabe-Ito palette, which reads for every kind of colour vision.

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
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from numbers import Integral
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from . import analysis, constants
from .constants import FREQS
from .params import HourWindow, Interval, Options, Table, TimeZone, check_params, parameter_error, validate_params

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
IMPACT_COLOURS = {
    1: OKABE_ITO["vermillion"],
    2: OKABE_ITO["orange"],
    3: OKABE_ITO["yellow"],
    4: OKABE_ITO["sky"],
    5: OKABE_ITO["grey"],
}
#: Legend text per impact level ("1 critical"), derived from the one mapping,
#: :data:`incidentsim.constants.IMPACT_LABELS`.
IMPACT_LABELS = {level: f"{level} {name.lower()}" for level, name in constants.IMPACT_LABELS.items()}
FREQ_WORDS = {"15min": "15 minutes", "1h": "hour", "1D": "day", "1W": "week"}


def _dates(ax: Any) -> None:
    """Concise date ticks that do not run into each other."""
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _legend_above(ax: Any, columns: int) -> None:
    """The legend in a row between the title and the axes, where it hides no data (give the title ``pad=22``)."""
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=columns, frameon=False)


def _whole(axis: Any) -> None:
    """Ticks on whole numbers only, for an axis that counts things."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))


def _paired_barh(ax: Any, labels: list[str], pairs: list[tuple[str, Any, str]], **kwargs: Any) -> dict[str, Any]:
    """Two horizontal bars per label (first above second), counted on whole numbers; returns the two BarContainers by
    name.

    ``kwargs`` go to both ``ax.barh`` calls, over the defaults (``height``, ``color``, ``label``)."""
    y = np.arange(len(labels))
    bars = {
        name: ax.barh(y + offset, values, **{"height": 0.4, "color": colour, "label": name, **kwargs})
        for (name, values, colour), offset in zip(pairs, (0.2, -0.2))
    }
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    _whole(ax.xaxis)
    _legend_above(ax, 2)
    return bars


def _headroom(ax: Any, totals: np.ndarray) -> None:
    """Room above the tallest stack (a zero-height segment on top of it would pin the axis to its top)."""
    top = float(totals.max()) if len(totals) else 0.0
    ax.set_ylim(0, top * 1.05 if top > 0 else 1)


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

    #: What the constructor's own fields may be (besides ``data``), checked as ``from_*`` checks its parameters.
    FIELDS: ClassVar[Mapping[str, Sequence[Any]]] = {}

    def __post_init__(self) -> None:
        if self.FIELDS:
            check_params(
                {f.name: getattr(self, f.name) for f in fields(self) if f.init}, self.FIELDS, type(self).__name__
            )

    def plot(self, ax: Any = None, **kwargs: Any) -> _Display:  # pragma: no cover - every Display overrides it
        raise NotImplementedError

    def _repr_png_(self) -> bytes:
        if self.figure_ is None:
            self.plot()
        return self.to_png()

    def _restack(self, data: pd.DataFrame, bars: dict[Any, Any]) -> None:
        """Set the heights of drawn stacked bars from ``data`` (the same periods), in place."""
        if not data.index.equals(self.data.index):
            raise parameter_error(
                "data",
                f"{type(self).__name__}.update",
                "have the same periods as the drawn data (plot() again for others)",
                f"{len(data)} other periods",
            )
        self.data = data
        bottom = np.zeros(len(data))
        for key, container in bars.items():
            values = data[key].to_numpy() if key in data.columns else np.zeros(len(data))
            for rectangle, height, base in zip(container, values, bottom):
                rectangle.set_height(height)
                rectangle.set_y(base)
            bottom = bottom + values
        if self.ax_ is not None:
            _headroom(self.ax_, bottom)

    def to_png(self, dpi: int = 110) -> bytes:
        """The drawn figure as PNG bytes (drawing it first if needed)."""
        if self.figure_ is None:
            self.plot()
        buffer = io.BytesIO()
        self.figure_.savefig(buffer, format="png", dpi=dpi)
        return buffer.getvalue()


@dataclass
class TriggerVolumeDisplay(_Display):
    """Triggers per period, stacked by outcome (created, deduplicated, rejected, failed).

    With ``include_ignored`` the state changes that did not trigger are stacked on top, and
    the figure counts state changes.
    """

    freq: str = "1D"
    include_ignored: bool = False
    bars_: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    FIELDS: ClassVar[Mapping[str, Sequence[Any]]] = {
        "freq": [Options(FREQS)],
        "include_ignored": [Options((True, False))],
    }

    @classmethod
    @validate_params(FIELDS)
    def from_result(cls, result: Any, freq: str = "1D", include_ignored: bool = False) -> TriggerVolumeDisplay:
        return cls(data=analysis.trigger_volume(result, freq=freq), freq=freq, include_ignored=include_ignored)

    def plot(self, ax: Any = None, **kwargs: Any) -> TriggerVolumeDisplay:
        """Draw the stacked bars; ``kwargs`` go to each outcome's ``ax.bar`` call (over ``width``, ``color``,
        ``label`` ...)."""
        ax = _axes(ax)
        outcomes = ["created", "deduplicated", "rejected", "failed"] + (["ignored"] if self.include_ignored else [])
        x = self.data.index
        width = pd.Timedelta(self.freq) * 0.85
        bottom = np.zeros(len(self.data))
        self.bars_ = {}
        for outcome in outcomes:
            values = self.data[outcome].to_numpy()
            self.bars_[outcome] = ax.bar(
                x,
                values,
                **{
                    "width": width,
                    "bottom": bottom,
                    "align": "edge",
                    "color": OUTCOME_COLOURS[outcome],
                    "label": outcome,
                    **kwargs,
                },
            )
            bottom = bottom + values
        word = FREQ_WORDS[self.freq]
        quantity = "state changes" if self.include_ignored else "triggers"
        ax.set_title(f"Alarm {quantity} per {word}, by what StartIncident did", pad=22)
        ax.set_xlabel("time (UTC)")
        ax.set_ylabel(f"{quantity} per {word}")
        _headroom(ax, bottom)
        _whole(ax.yaxis)
        _legend_above(ax, len(outcomes))
        _dates(ax)
        self.ax_, self.figure_ = ax, ax.figure
        return self

    def update(self, data: pd.DataFrame) -> TriggerVolumeDisplay:
        """Redraw the bars in place from new counts over the same periods (as
        :func:`~incidentsim.analysis.trigger_volume`)."""
        self._restack(data, self.bars_)
        return self


@dataclass
class ImpactDisplay(_Display):
    """Incidents created per period, stacked by impact."""

    freq: str = "1D"
    bars_: dict[int, Any] = field(default_factory=dict, init=False, repr=False)

    FIELDS: ClassVar[Mapping[str, Sequence[Any]]] = {"freq": [Options(FREQS)]}

    @classmethod
    @validate_params(FIELDS)
    def from_result(cls, result: Any, freq: str = "1D") -> ImpactDisplay:
        return cls(data=analysis.incidents_by_impact(result, freq=freq), freq=freq)

    def plot(self, ax: Any = None, **kwargs: Any) -> ImpactDisplay:
        """Draw the stacked bars; ``kwargs`` go to each impact's ``ax.bar`` call (over ``width``, ``color``,
        ``label`` ...)."""
        ax = _axes(ax)
        width = pd.Timedelta(self.freq) * 0.85
        bottom = np.zeros(len(self.data))
        self.bars_ = {}
        for impact in (1, 2, 3, 4, 5):
            values = self.data[impact].to_numpy() if impact in self.data.columns else np.zeros(len(self.data))
            self.bars_[impact] = ax.bar(
                self.data.index,
                values,
                **{
                    "width": width,
                    "bottom": bottom,
                    "align": "edge",
                    "color": IMPACT_COLOURS[impact],
                    "label": IMPACT_LABELS[impact],
                    **kwargs,
                },
            )
            bottom = bottom + values
        word = FREQ_WORDS[self.freq]
        ax.set_title(f"Incidents created per {word}, by impact", pad=22)
        ax.set_xlabel("time (UTC)")
        ax.set_ylabel(f"incidents per {word}")
        _headroom(ax, bottom)
        _whole(ax.yaxis)
        _legend_above(ax, 5)
        _dates(ax)
        self.ax_, self.figure_ = ax, ax.figure
        return self

    def update(self, data: pd.DataFrame) -> ImpactDisplay:
        """Redraw the bars in place from new counts over the same periods (as
        :func:`~incidentsim.analysis.incidents_by_impact`)."""
        self._restack(data, self.bars_)
        return self


@dataclass
class NoisyAlarmsDisplay(_Display):
    """The alarms that trigger most: triggers and the incidents they opened, with their noise class.

    A name several alarms share is labelled with its Region or account (``alarm_label``).
    """

    bars_: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    @validate_params({"n": [Interval(Integral, 1, None)]})
    def from_result(cls, result: Any, n: int = 10) -> NoisyAlarmsDisplay:
        return cls(data=analysis.top_noisy_alarms(result, n=n))

    def plot(self, ax: Any = None, **kwargs: Any) -> NoisyAlarmsDisplay:
        """Draw the paired bars; ``kwargs`` go to both ``ax.barh`` calls (over ``height``, ``color``, ``label``)."""
        ax = _axes(ax, (10, max(3.0, 0.45 * len(self.data) + 1.2)))
        data = self.data.iloc[::-1]
        labels = [f"{name} ({cls})" for name, cls in zip(data["alarm_label"], data["noise_class"])]
        bars = _paired_barh(
            ax,
            labels,
            [
                ("triggers", data["triggers"], OKABE_ITO["sky"]),
                ("incidents opened", data["incidents"], OKABE_ITO["vermillion"]),
            ],
            **kwargs,
        )
        self.bars_ = {"triggers": bars["triggers"], "incidents": bars["incidents opened"]}
        ax.set_title("Noisiest alarms: triggers and the incidents they opened", pad=22)
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

    FIELDS: ClassVar[Mapping[str, Sequence[Any]]] = {"tz": [TimeZone()], "sleep_hours": [HourWindow()]}

    @classmethod
    @validate_params(FIELDS)
    def from_result(
        cls, result: Any, tz: str = "UTC", sleep_hours: tuple[int, int] = (23, 7)
    ) -> InterruptionHeatmapDisplay:
        return cls(data=analysis.interruptions_by_hour(result, tz=tz), tz=tz, sleep_hours=sleep_hours)

    def plot(self, ax: Any = None, **kwargs: Any) -> InterruptionHeatmapDisplay:
        """Draw the heatmap; ``kwargs`` go to the ``ax.imshow`` call (over ``aspect``, ``cmap``, ``origin``)."""
        ax = _axes(ax, (10, 3.6))
        self.image_ = ax.imshow(
            self.data.to_numpy(dtype=float), **{"aspect": "auto", "cmap": "cividis", "origin": "upper", **kwargs}
        )
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
        _whole(colorbar.ax.yaxis)
        self.ax_, self.figure_ = ax, ax.figure
        return self


@dataclass
class IncidentTimelineDisplay(_Display):
    """One bar per incident, from creation to resolution, grouped by plan.

    An incident still open at the end of the history has no end to draw: it is a thin line
    along the top of its lane, from its creation to an arrow at the end of the history, so a
    month-long open incident does not cover the incidents of its lane.  A note by the arrow
    says since when it has been open and for how long (the first of them, when several are).

    Attributes
    ----------
    bars_ : dict of str to PolyCollection
        The resolved incidents of each plan (one path each).
    open_ : dict of str to PolyCollection
        The still-open incidents of each plan that has any.
    arrows_ : dict of str to Line2D
        The arrow at the end of the history, one per plan with open incidents.
    notes_ : dict of str to Text
        Since when they have been open, one per plan with open incidents.
    """

    bars_: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    open_: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    arrows_: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    notes_: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    @validate_params({"plans": [list, tuple, set, None], "max_incidents": [Interval(Integral, 1, None)]})
    def from_result(
        cls, result: Any, plans: list[str] | None = None, max_incidents: int = 2000
    ) -> IncidentTimelineDisplay:
        return cls(data=analysis.incident_spans(result, plans=plans, max_incidents=max_incidents))

    def plot(self, ax: Any = None, **kwargs: Any) -> IncidentTimelineDisplay:
        """Draw the lanes; ``kwargs`` go to the ``ax.broken_barh`` calls of the incidents (over ``facecolors``)."""
        plans = list(dict.fromkeys(self.data["response_plan"]))
        ax = _axes(ax, (10, max(2.5, 0.6 * len(plans) + 1.5)))
        palette = [OKABE_ITO[c] for c in ("blue", "orange", "green", "vermillion", "purple", "sky", "yellow", "black")]
        self.bars_, self.open_, self.arrows_, self.notes_ = {}, {}, {}, {}
        for row, plan in enumerate(plans):
            rows = self.data[self.data["response_plan"] == plan]
            colour = palette[row % len(palette)]
            closed, still_open = rows[~rows["still_open"]], rows[rows["still_open"]]
            self.bars_[plan] = ax.broken_barh(self._spans(closed), (row - 0.3, 0.6), **{"facecolors": colour, **kwargs})
            if still_open.empty:
                continue
            self.open_[plan] = ax.broken_barh(
                self._spans(still_open), (row + 0.33, 0.07), **{"facecolors": colour, **kwargs}
            )
            end = float(_date_numbers(still_open["end"]).max())
            (self.arrows_[plan],) = ax.plot(
                [end],
                [row + 0.365],
                marker=">",
                markersize=7,
                color=colour,
                linestyle="none",
                label="still open at the end of the history" if not self.arrows_ else "_nolegend_",
            )
            first = still_open.loc[still_open["duration_s"].idxmax()]
            since = f"since {first['creation_time']:%b %d %H:%M} ({analysis.human_duration(first['duration_s'])})"
            words = f"open {since}" if len(still_open) == 1 else f"{len(still_open)} open, the first {since}"
            self.notes_[plan] = ax.annotate(
                words,
                xy=(end, row + 0.4),
                xytext=(-8, 1),
                textcoords="offset points",
                ha="right",
                va="bottom",
                fontsize=8,
                color=colour,
            )
        ax.set_yticks(range(len(plans)), plans)
        ax.set_ylim(-0.6, len(plans) - 0.2)
        ax.xaxis_date()
        _dates(ax)
        ax.set_title("Incidents from creation to resolution, by response plan", pad=22 if self.arrows_ else 6)
        if self.arrows_:
            _legend_above(ax, 1)
        ax.set_xlabel("time (UTC)")
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @staticmethod
    def _spans(rows: pd.DataFrame) -> list[tuple[float, float]]:
        """(start, width) in date numbers of each incident, at least a minute wide so that each shows."""
        starts, ends = _date_numbers(rows["creation_time"]), _date_numbers(rows["end"])
        return list(zip(starts, np.maximum(ends - starts, 1 / 1440)))


@dataclass
class ComparisonDisplay(_Display):
    """Incidents per alarm (or plan) under two policies, for the alarms whose count changed most."""

    labels: tuple[str, str] = ("before", "after")
    bars_: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    FIELDS: ClassVar[Mapping[str, Sequence[Any]]] = {"labels": [tuple, list]}

    @classmethod
    @validate_params(
        {"n": [Interval(Integral, 1, None)], "by": [Options(("alarm", "plan"))], "labels": [tuple, list, None]}
    )
    def from_results(
        cls, before: Any, after: Any, n: int = 15, by: str = "alarm", labels: tuple[str, str] | None = None
    ) -> ComparisonDisplay:
        from .analysis import compare

        table = compare(before, after, by=by).head(n)
        return cls(data=table, labels=labels or (before.policy_name, after.policy_name))

    def plot(self, ax: Any = None, **kwargs: Any) -> ComparisonDisplay:
        """Draw the paired bars; ``kwargs`` go to both ``ax.barh`` calls (over ``height``, ``color``, ``label``)."""
        ax = _axes(ax, (10, max(3.0, 0.45 * len(self.data) + 1.2)))
        data = self.data.iloc[::-1]
        names = (
            analysis.alarm_labels(data["alarm_arn"], data["alarm_name"])
            if "alarm_name" in data.columns
            else data["response_plan"]
        )
        self.bars_ = _paired_barh(
            ax,
            list(names),
            [
                (self.labels[0], data["incidents_a"], OKABE_ITO["grey"]),
                (self.labels[1], data["incidents_b"], OKABE_ITO["blue"]),
            ],
            **kwargs,
        )
        ax.set_title("Incidents under two policies, where they differ most", pad=22)
        ax.set_xlabel("incidents over the whole history")
        self.ax_, self.figure_ = ax, ax.figure
        return self


# ----------------------------------------------------------------------------- game days


@dataclass
class CallAttemptsDisplay(_Display):
    """The calls of a game day: when each went out and how many attempts it took, those that met a fault marked.

    Built by :meth:`from_record` from a game day's ``timeline`` (one row per call).

    Attributes
    ----------
    data : DataFrame
        ``wall_s``, ``attempts`` and ``faults`` of each call.
    points_ : dict of str to PathCollection
        ``"clean"`` (answered at the first attempt) and ``"faults"`` (met a fault on the way).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> timeline = pd.DataFrame({"wall_s": [0.1, 0.4, 0.9], "attempts": [1, 3, 1],
    ...                          "faults": ["", "ThrottlingException,InternalServerError", ""]})
    >>> display = CallAttemptsDisplay.from_record(SimpleNamespace(timeline=timeline)).plot()
    >>> display.points_["faults"].get_offsets().tolist()
    [[0.4, 3.0]]
    """

    points_: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def from_record(cls, record: Any) -> CallAttemptsDisplay:
        """The display of a game day's record (:meth:`incidentsim.gameday.GameDay.record`), or anything with its
        ``timeline``."""
        timeline = record.timeline
        return cls(data=timeline[["wall_s", "attempts", "faults"]].reset_index(drop=True))

    def plot(self, ax: Any = None, **kwargs: Any) -> CallAttemptsDisplay:
        """Draw the calls; ``kwargs`` go to both ``ax.scatter`` calls (over ``s``, ``color``, ``marker``, ``label``)."""
        ax = _axes(ax, (9, 3.2))
        met = self.data["faults"].fillna("").astype(str) != ""
        clean, hit = self.data[~met], self.data[met]
        self.points_ = {
            "clean": ax.scatter(
                clean["wall_s"],
                clean["attempts"],
                **{"s": 12, "color": OKABE_ITO["sky"], "label": "answered at the first attempt", **kwargs},
            ),
            "faults": ax.scatter(
                hit["wall_s"],
                hit["attempts"],
                **{"s": 24, "color": OKABE_ITO["vermillion"], "marker": "x", "label": "met a fault, retried", **kwargs},
            ),
        }
        most = int(self.data["attempts"].max()) if len(self.data) else 1
        ax.set_ylim(0.5, most + 0.5)
        _whole(ax.yaxis)
        ax.set_title("Calls of the game day: the attempts each took", pad=22)
        ax.set_xlabel("seconds into the game day")
        ax.set_ylabel("attempts per call")
        _legend_above(ax, 2)
        self.ax_, self.figure_ = ax, ax.figure
        return self


# ----------------------------------------------------------------------------- backtests

#: Columns :meth:`SweepDisplay.from_sweep` needs (as :func:`incidentsim.backtest.sweep` returns them).
SWEEP_DISPLAY_COLUMNS = (
    "setting",
    "valid",
    "incidents_per_week",
    "recall",
    "detection_delay_s_median",
    "current",
    "dominating",
)
#: Columns :meth:`BacktestDisplay.from_backtest` needs in an evaluation table (as
#: :func:`incidentsim.datasets.evaluation.evaluate_periods` returns).
PERIOD_DISPLAY_COLUMNS = ("period_start", "evaluated_at", "value", "state")
_OPERATOR_SIGNS = {
    "GreaterThanThreshold": ">",
    "GreaterThanOrEqualToThreshold": ">=",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}


def _date_numbers(times: Any) -> np.ndarray:
    """UTC times (tz-aware or naive UTC) as Matplotlib date numbers."""
    import matplotlib.dates as mdates

    stamps = pd.to_datetime(pd.Series(times), utc=True)
    return np.asarray(mdates.date2num(stamps.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")), dtype="float64")


@dataclass
class SweepDisplay(_Display):
    """The trade-off of a sweep: incidents per week against recall, and against median detection delay.

    Every valid setting is a point; the settings on the trade-off front (``dominating``) are
    highlighted and joined; the current setting is a star.  Settings CloudWatch would refuse
    (``valid`` False) are not drawn and are counted in the figure title.  Built by
    :meth:`from_sweep` from :func:`incidentsim.backtest.sweep`'s table.

    Many settings give the same figures, so points coincide: where they do, a count (``×9``)
    says how many.  The distinct points of the front are numbered (:attr:`front_points`), and
    a figure of its own lists them under the axes: the figures and the settings giving each.
    Incidents per week are on a scale that is linear up to 1 and logarithmic above, so the
    settings that page rarely spread out; delays are drawn in minutes, their ticks written as
    durations (``8h``).

    Attributes
    ----------
    data : DataFrame
        The sweep table.
    ax_ : tuple of two Axes
        (recall axes, detection delay axes).
    figure_ : Figure
    points_, front_, current_ : dict of str to artist
        Keyed ``"recall"`` and ``"delay"``: the scatter of every drawn setting (PathCollection),
        the front line through the dominating settings (Line2D, in order of incidents per week),
        and the current setting's star (Line2D, or None when it is not drawn on that axes).
    labels_ : dict of str to Annotation
        The current setting's label on each axes.
    numbers_, counts_ : dict of str to list of Annotation
        Keyed as above: the front points' numbers (the ``point`` of :attr:`front_points`; one
        label such as ``1, 2`` where several fall on one place) and, where settings coincide,
        how many (``×9``).
    table_ : Table or None
        The front, listed under the axes (None when drawn into given axes, or with no front).
    title_ : Text
        The figure title, with how many settings were drawn and how many were invalid.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> table = pd.DataFrame({"setting": ["threshold=70", "threshold=80", "threshold=90"], "valid": [True, True, True],
    ...                       "incidents_per_week": [9.0, 3.0, 1.0], "recall": [1.0, 1.0, 0.5],
    ...                       "detection_delay_s_median": [300.0, 600.0, 1200.0], "current": [False, True, False],
    ...                       "dominating": [True, True, True]})
    >>> display = SweepDisplay.from_sweep(table).plot()
    >>> display.current_["recall"].get_xydata().tolist()
    [[3.0, 1.0]]
    >>> display.front_["delay"].get_xydata().tolist()
    [[1.0, 20.0], [3.0, 10.0], [9.0, 5.0]]
    """

    points_: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    front_: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    current_: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    labels_: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    numbers_: dict[str, list[Any]] = field(default_factory=dict, init=False, repr=False)
    counts_: dict[str, list[Any]] = field(default_factory=dict, init=False, repr=False)
    table_: Any = field(default=None, init=False, repr=False)
    title_: Any = field(default=None, init=False, repr=False)

    #: How many points of the front are numbered and listed.
    FRONT_ROWS: ClassVar[int] = 12

    @classmethod
    @validate_params(
        {"table": [Table(SWEEP_DISPLAY_COLUMNS, "a sweep table such as incidentsim.backtest.sweep returns")]}
    )
    def from_sweep(cls, table: pd.DataFrame) -> SweepDisplay:
        """The display of a sweep table (:func:`incidentsim.backtest.sweep` with labelled windows).

        Parameters
        ----------
        table : DataFrame
            One row per setting, with at least the columns of :data:`SWEEP_DISPLAY_COLUMNS`.

        Raises
        ------
        ValueError
            When a column is missing, or when no setting has a recall (the sweep was run
            without labelled windows, so there is no trade-off to draw).
        """
        valid = table["valid"].fillna(False).astype(bool)
        if valid.any() and pd.to_numeric(table.loc[valid, "recall"], errors="coerce").isna().all():
            raise parameter_error(
                "table",
                "SweepDisplay.from_sweep",
                "be a sweep scored against labelled windows (a recall for its valid settings)",
                "a table without recall figures",
            )
        return cls(data=table.reset_index(drop=True).copy())

    # ------------------------------------------------------------------ what is drawn

    @property
    def valid(self) -> pd.Series:
        """Which settings are valid (and drawn)."""
        return self.data["valid"].fillna(False).astype(bool)

    @property
    def front_points(self) -> pd.DataFrame:
        """The distinct points of the front, numbered as the figure numbers them.

        One row per distinct (incidents per week, recall, median detection delay) among the
        dominating settings, in order of incidents per week: ``point`` (1, 2, ...), those three
        figures, ``settings`` (how many settings give them), ``setting`` (those settings in
        short: ``resolve_delay=0s/15m/1h`` when they are every combination of the values
        shown) and ``current`` (the current setting is among them).
        """
        keys = ["incidents_per_week", "recall", "detection_delay_s_median"]
        front = self.data[self.valid & self.data["dominating"].fillna(False).astype(bool)]
        front = front.assign(**{key: pd.to_numeric(front[key], errors="coerce") for key in keys})
        rows = [
            {
                **dict(zip(keys, figures)),
                "settings": len(group),
                "setting": _settings_text(group["setting"].astype(str).tolist()),
                "current": bool(group["current"].fillna(False).astype(bool).any()),
            }
            for figures, group in front.groupby(keys, dropna=False, sort=True)
        ]
        table = pd.DataFrame(rows, columns=[*keys, "settings", "setting", "current"])
        table.insert(0, "point", np.arange(1, len(table) + 1))
        return table

    def _figures(self, rows: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        x = pd.to_numeric(rows["incidents_per_week"], errors="coerce").to_numpy(dtype="float64")
        recall = pd.to_numeric(rows["recall"], errors="coerce").to_numpy(dtype="float64")
        delay = pd.to_numeric(rows["detection_delay_s_median"], errors="coerce").to_numpy(dtype="float64") / 60
        figures = {}
        for key, y in (("recall", recall), ("delay", delay)):
            keep = np.isfinite(x) & np.isfinite(y)
            order = np.lexsort((y[keep], x[keep]))  # by incidents per week, then the figure
            figures[key] = (x[keep][order], y[keep][order])
        return figures

    def plot(self, ax: Any = None, **kwargs: Any) -> SweepDisplay:
        """Draw the two trade-off axes side by side.

        Parameters
        ----------
        ax : pair of Axes, optional
            Where to draw (recall, then detection delay); by default a new figure with two axes.
        **kwargs
            Styling for the ``ax.scatter`` call of every drawn setting (``points_``), on each axes, over its
            defaults (``s``, ``color``, ``alpha``, ``zorder``, ``label``).

        Returns
        -------
        SweepDisplay
            ``self``.
        """
        import matplotlib.pyplot as plt
        from matplotlib.ticker import PercentFormatter, ScalarFormatter

        listed = self.front_points
        shown = listed.head(self.FRONT_ROWS)
        table_ax = None
        if ax is None:
            table_height = 0.25 * (len(shown) + 2) + (0.25 if len(listed) > len(shown) else 0)
            own = plt.figure(figsize=(12, 4.8 + (table_height if len(shown) else 0)), layout="constrained")
            grid = own.add_gridspec(2 if len(shown) else 1, 2, height_ratios=[4.8, table_height] if len(shown) else [1])
            axes = [own.add_subplot(grid[0, 0]), own.add_subplot(grid[0, 1])]
            table_ax = own.add_subplot(grid[1, :]) if len(shown) else None
        else:
            axes = list(np.ravel(np.asarray(ax, dtype=object))) if isinstance(ax, (list, tuple, np.ndarray)) else [ax]
            if len(axes) != 2:
                raise parameter_error("ax", "SweepDisplay.plot", "be None or a pair of Axes", repr(ax))
        valid = self.valid
        drawn = self.data[valid]
        front = drawn[drawn["dominating"].fillna(False).astype(bool)]
        current = drawn[drawn["current"].fillna(False).astype(bool)].head(1)
        everything, on_front, here = self._figures(drawn), self._figures(front), self._figures(current)
        self.points_, self.front_, self.current_, self.labels_, self.numbers_, self.counts_ = {}, {}, {}, {}, {}, {}
        names = {"recall": "recall (share of labelled anomalies caught)", "delay": "median detection delay"}
        numbered = {
            "recall": (shown["incidents_per_week"], shown["recall"]),
            "delay": (shown["incidents_per_week"], shown["detection_delay_s_median"] / 60),
        }
        for key, axes_ in zip(("recall", "delay"), axes):
            x, y = everything[key]
            places = _places(x, y)
            sizes = [22 * places[(a, b)] ** 0.6 for a, b in zip(x, y)]  # settings with the same figures: a larger point
            self.points_[key] = axes_.scatter(
                x,
                y,
                **{
                    "s": sizes,
                    "color": OKABE_ITO["grey"],
                    "alpha": 0.7,
                    "zorder": 2,
                    "label": "setting (larger where several coincide)",
                    **kwargs,
                },
            )
            fx, fy = on_front[key]
            (self.front_[key],) = axes_.plot(
                fx,
                fy,
                marker="o",
                markersize=6,
                color=OKABE_ITO["blue"],
                linewidth=1.4,
                zorder=3,
                label="on the trade-off front (numbered)",
            )
            cx, cy = here[key]
            if len(cx):
                (self.current_[key],) = axes_.plot(
                    cx,
                    cy,
                    marker="*",
                    markersize=17,
                    linestyle="none",
                    color=OKABE_ITO["vermillion"],
                    markeredgecolor="black",
                    markeredgewidth=0.6,
                    zorder=4,
                    label="current",
                )
                self.labels_[key] = axes_.annotate(
                    "current",
                    xy=(float(cx[0]), float(cy[0])),
                    xytext=(0, 13),
                    ha="center",
                    textcoords="offset points",
                    fontsize=9,
                    color=OKABE_ITO["vermillion"],
                )
            else:
                self.current_[key] = None
            points = _places(*numbered[key], shown["point"].astype(str).tolist())
            self.numbers_[key] = [
                axes_.annotate(
                    ", ".join(labels),
                    xy=where,
                    xytext=(-5, 5),
                    textcoords="offset points",
                    ha="right",
                    fontsize=8,
                    fontweight="bold",
                    color=OKABE_ITO["blue"],
                    zorder=5,
                    bbox={"boxstyle": "round,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.8},
                )
                for where, labels in points.items()
            ]
            axes_.set_xscale("symlog", linthresh=1, linscale=0.5)  # spreads the settings that page rarely
            axes_.xaxis.set_major_formatter(ScalarFormatter())
            axes_.set_xlim(left=-0.1)
            axes_.set_xlabel("incidents per week")
            axes_.set_ylabel(names[key])
            axes_.grid(True, alpha=0.3)
        recall_ax, delay_ax = axes
        recall_ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        recall_ax.set_ylim(-0.05, 1.12)
        delay_ax.set_xlim(recall_ax.get_xlim())  # the same noise scale side by side
        _duration_ticks(delay_ax.yaxis)
        for key, axes_ in zip(("recall", "delay"), axes):  # once the limits are set
            self.counts_[key] = _count_labels(axes_, _places(*everything[key]))
        recall_ax.set_title("What is caught, against the noise")
        unplaced = int(len(drawn) - len(everything["delay"][0]))
        delay_ax.set_title(
            "How soon, against the noise" + (f" ({unplaced} catching nothing not shown)" if unplaced else "")
        )
        recall_ax.legend(loc="best", fontsize=9)
        figure = recall_ax.figure
        invalid = int((~valid).sum())
        self.title_ = figure.suptitle(
            f"Sweep of {len(self.data)} settings: {len(drawn)} drawn, {invalid} invalid (not drawn), "
            f"{len(front)} on the front"
        )
        self.table_ = _front_table(table_ax, shown, len(listed)) if table_ax is not None else None
        self.ax_, self.figure_ = (recall_ax, delay_ax), figure
        return self


def _places(x: Any, y: Any, labels: list[str] | None = None) -> dict[tuple[float, float], Any]:
    """The distinct finite (x, y) places, each with how many points fall there (or, given labels, their labels)."""
    places: dict[tuple[float, float], Any] = {}
    for i, (a, b) in enumerate(zip(np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64"))):
        if np.isfinite(a) and np.isfinite(b):
            if labels is None:
                places[(a, b)] = places.get((a, b), 0) + 1
            else:
                places.setdefault((a, b), []).append(labels[i])
    return places


def _duration_ticks(axis: Any) -> None:
    """Write the ticks of an axis in minutes as durations (``8h``), on whole hours or days once it spans more than
    three hours."""
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    low, high = axis.get_view_interval()
    if high - low > 180:
        axis.set_major_locator(
            MultipleLocator(next((b for b in (60, 120, 180, 360, 720, 1440) if (high - low) / b <= 7), 10080))
        )
    axis.set_major_formatter(FuncFormatter(lambda minutes, _: analysis.human_duration(minutes * 60)))


def _count_labels(ax: Any, places: dict[tuple[float, float], int]) -> list[Any]:
    """Label the places where several points coincide with their count (``×9``), the largest counts first, leaving
    out a label that would run into one already placed (the point's size still shows it)."""
    to_axes = ax.transData + ax.transAxes.inverted()
    placed: list[np.ndarray] = []
    labels = []
    for where, count in sorted(places.items(), key=lambda item: -item[1]):
        spot = to_axes.transform(where)
        if count < 2 or any(abs(spot[0] - other[0]) < 0.06 and abs(spot[1] - other[1]) < 0.05 for other in placed):
            continue
        placed.append(spot)
        labels.append(
            ax.annotate(f"×{count}", xy=where, xytext=(6, -11), textcoords="offset points", fontsize=8, color="dimgrey")
        )
    return labels


def _settings_text(settings: list[str]) -> str:
    """Settings (``name=value, ...``) in short: ``a=1, b=2/3`` when they are every combination of the values
    shown, else the first and how many more."""
    if len(settings) == 1:
        return settings[0]
    try:
        parsed = [dict(part.split("=", 1) for part in setting.split(", ")) for setting in settings]
    except ValueError:  # a part without "=": not the sweep's wording
        parsed = []
    if parsed and all(list(p) == list(parsed[0]) for p in parsed):
        values = {name: list(dict.fromkeys(p[name] for p in parsed)) for name in parsed[0]}
        if math.prod(len(v) for v in values.values()) == len(set(settings)):
            return ", ".join(f"{name}={'/'.join(v)}" for name, v in values.items())
    return f"{settings[0]} and {len(settings) - 1} more"


def _front_table(ax: Any, shown: pd.DataFrame, total: int) -> Any:
    """List the numbered front points in ``ax`` (its axis hidden) as a table filling it; returns the Table."""
    ax.set_axis_off()
    ax.set_title("The trade-off front: the numbered points", loc="left", fontsize=10)
    cells = [
        [
            str(row.point),
            f"{row.incidents_per_week:.1f}",
            f"{row.recall:.0%}",
            analysis.human_duration(row.detection_delay_s_median),
            row.setting + (" (current)" if row.current else ""),
        ]
        for row in shown.itertuples()
    ]
    if total > len(shown):
        cells.append(
            ["", "", "", "", f"and {total - len(shown)} more points on the front: the sweep table's dominating rows"]
        )
    table = ax.table(
        cellText=cells,
        colLabels=["#", "incidents per week", "recall", "median delay", "settings"],
        colWidths=[0.04, 0.12, 0.07, 0.1, 0.67],
        cellLoc="left",
        colLoc="left",
        edges="horizontal",
        bbox=[0, 0, 1, 1],
    )
    table.auto_set_font_size(False)
    table.set_fontsize(9)
    for cell in table.get_celld().values():
        cell.set_edgecolor("lightgrey")
    return table


@dataclass
class BacktestDisplay(_Display):
    """One backtested alarm on its metric: datapoints, threshold, time in ALARM, labelled anomalies, incidents.

    Built by :meth:`from_backtest`.

    Attributes
    ----------
    data : DataFrame
        The evaluation table (one row per period: ``period_start``, ``evaluated_at``,
        ``value``, ``state``, ...).
    definition : AlarmDefinition
    alarm_spans : DataFrame
        ``start``, ``end`` of each stay in ALARM (:meth:`incidentsim.backtest.Backtest.alarm_spans`).
    windows : DataFrame
        ``start``, ``end``, ``detected`` of each labelled anomaly window (empty when unscored).
    incidents : DataFrame
        ``creation_time``, ``resolved_time`` of each incident the backtest opened.
    summary : dict
        The backtest's figures (``Backtest.summary()``).
    line_ : Line2D
        The datapoints the alarm evaluated (a step per period, drawn from the period start).
    threshold_ : Line2D
    alarm_spans_, window_spans_ : list of Rectangle
        One shaded span per row of ``alarm_spans`` and ``windows``.
    incidents_ : Line2D
        A marker at the top of the axes at each incident's creation time.

    Examples
    --------
    >>> from incidentsim.backtest import backtest  # doctest: +SKIP
    >>> run = backtest(series, definition, windows=windows)  # doctest: +SKIP
    >>> BacktestDisplay.from_backtest(run).plot()  # doctest: +SKIP
    """

    definition: Any = None
    alarm_spans: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["start", "end"]))
    windows: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["start", "end", "detected"]))
    incidents: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["creation_time", "resolved_time"]))
    summary: dict[str, Any] = field(default_factory=dict)
    line_: Any = field(default=None, init=False, repr=False)
    threshold_: Any = field(default=None, init=False, repr=False)
    alarm_spans_: list[Any] = field(default_factory=list, init=False, repr=False)
    window_spans_: list[Any] = field(default_factory=list, init=False, repr=False)
    incidents_: Any = field(default=None, init=False, repr=False)

    @classmethod
    @validate_params(
        {
            "periods": [Table(PERIOD_DISPLAY_COLUMNS, "an evaluation table such as evaluate_periods returns"), None],
            "series": [pd.DataFrame, None],
        }
    )
    def from_backtest(
        cls, backtest: Any, periods: pd.DataFrame | None = None, *, series: pd.DataFrame | None = None
    ) -> BacktestDisplay:
        """The display of one backtest.

        Parameters
        ----------
        backtest : Backtest
            As :func:`incidentsim.backtest.backtest` returns.
        periods : DataFrame, optional
            Its evaluation table, ``evaluate_periods(series, backtest.definition)``; by default the one the
            backtest keeps (:attr:`incidentsim.backtest.Backtest.periods`).
        series : DataFrame, optional
            Not used: the backtest keeps its series and evaluation table.  Accepted so that older calls
            (``from_backtest(run, series=series)``) keep working.

        Returns
        -------
        BacktestDisplay
        """
        if periods is None:
            periods = backtest.periods
            if periods is None:
                raise parameter_error(
                    "periods",
                    "BacktestDisplay.from_backtest",
                    "be the evaluation table (evaluate_periods(series, backtest.definition)) "
                    "when the backtest keeps none",
                    "None",
                )
        table = periods.reset_index(drop=True)
        spans = backtest.alarm_spans(table)
        windows = pd.DataFrame(columns=["start", "end", "detected"])
        if backtest.score is not None:
            windows = backtest.score.windows[["start", "end", "detected"]].reset_index(drop=True)
        incidents = backtest.result.incidents
        incidents = (
            incidents[["creation_time", "resolved_time"]]
            .sort_values("creation_time", kind="stable")
            .reset_index(drop=True)
        )
        return cls(
            data=table,
            definition=backtest.definition,
            alarm_spans=spans,
            windows=windows,
            incidents=incidents,
            summary=backtest.summary(),
        )

    def plot(self, ax: Any = None, **kwargs: Any) -> BacktestDisplay:
        """Draw the series, threshold, ALARM spans, anomaly windows and incidents.

        Parameters
        ----------
        ax : Axes, optional
            Where to draw; by default a new figure.
        **kwargs
            Styling for the ``ax.plot`` call of the datapoints (``line_``), over its defaults
            (``drawstyle``, ``color``, ``linewidth``, ``zorder``, ``label``).

        Returns
        -------
        BacktestDisplay
            ``self``.
        """
        ax = _axes(ax, (11, 4))
        d = self.definition
        self.window_spans_ = [
            ax.axvspan(
                start,
                end,
                color=OKABE_ITO["green"],
                alpha=0.22,
                linewidth=0,
                zorder=0,
                label="labelled anomaly window" if i == 0 else "_nolegend_",
            )
            for i, (start, end) in enumerate(
                zip(_date_numbers(self.windows["start"]), _date_numbers(self.windows["end"]))
            )
        ]
        self.alarm_spans_ = [  # edged, so that a stay of one period still shows on a two-week axis
            ax.axvspan(
                start,
                end,
                color=OKABE_ITO["vermillion"],
                alpha=0.3,
                linewidth=0.8,
                zorder=1,
                label="in ALARM" if i == 0 else "_nolegend_",
            )
            for i, (start, end) in enumerate(
                zip(_date_numbers(self.alarm_spans["start"]), _date_numbers(self.alarm_spans["end"]))
            )
        ]
        x = _date_numbers(self.data["period_start"])
        values = pd.to_numeric(self.data["value"], errors="coerce").to_numpy(dtype="float64")
        (self.line_,) = ax.plot(
            x,
            values,
            **{
                "drawstyle": "steps-post",
                "color": OKABE_ITO["blue"],
                "linewidth": 0.9,
                "zorder": 2,
                "label": f"{d.statistic} per {d.period} s",
                **kwargs,
            },
        )
        sign = _OPERATOR_SIGNS.get(d.comparison_operator, d.comparison_operator)
        self.threshold_ = ax.axhline(
            d.threshold,
            color=OKABE_ITO["black"],
            linestyle="--",
            linewidth=1,
            zorder=3,
            label=f"threshold ({sign} {d.threshold:g})",
        )
        created = _date_numbers(self.incidents["creation_time"])
        (self.incidents_,) = ax.plot(
            created,
            np.full(len(created), 0.97),
            transform=ax.get_xaxis_transform(),
            linestyle="none",
            marker="v",
            markersize=7,
            color=OKABE_ITO["black"],
            zorder=4,
            label="incident opened",
        )
        ax.xaxis_date()
        _dates(ax)
        s = self.summary
        headline = (
            f"{s.get('incidents', len(self.incidents))} incidents "
            f"({s.get('incidents_per_week', float('nan')):.1f} per week)"
        )
        if "recall" in s:
            caught = f"caught {s['detected']} of {s['windows']} anomalies"
            delay = s["detection_delay_s_median"]
            headline += f", {caught}" + ("" if pd.isna(delay) else f", median delay {analysis.human_duration(delay)}")
        ax.set_title(
            f"{d.alarm_name}: {d.statistic} {sign} {d.threshold:g} for {d.m} of {d.n} periods of {d.period} s\n"
            f"{headline}",
            pad=22,
            fontsize=11,
        )
        ax.set_xlabel("time (UTC)")
        ax.set_ylabel(d.metric_name or "value")
        _legend_above(ax, 5)
        self.ax_, self.figure_ = ax, ax.figure
        return self
