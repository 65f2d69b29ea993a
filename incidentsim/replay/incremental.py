"""A replay kept for tuning: change the policy or the date range, and redo only what the change reaches.

:class:`TuningReplay` holds the decided codes of the whole history and the last scan.
A change of one route's impact or title re-decides only that route's rows, and the
scan runs again only when outcomes can change: a refused request appears or goes
(a title over the limit), a clientToken shared by several rows now stands for a
different request, or the route, token, resolve or service settings changed.  A date
range is a slice of the sorted rows.  The figures a tuning panel shows (triggers per
period by outcome, incidents per period by impact, the headline, the title previews)
are counted from the arrays; the full :class:`~incidentsim.replay.result.ReplayResult`
is built only when :meth:`TuningReplay.result` is asked for.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from ..analysis import interruptions, shift_summary
from ..analysis._common import floor_to, period_index
from ..analysis.titles import title_counts, title_kinds
from ..constants import FREQS, IMPACTS, OUTCOMES
from ..emulator.models import EmulatorOptions
from ..policy import Policy
from .codes import CREATED, DEDUPLICATED, IGNORED, REFUSED, REJECTED, distinct
from .decisions import NOTE_NONE, place_titles, render_codes, route_impacts, token_codes
from .fast import Played, Prepared, wire_times
from .result import ReplayResult


def _routes_differ_only_in_tuning(old: Policy, new: Policy) -> list[int] | None:
    """Indices of routes whose impact, impact rules or title changed, when nothing else did; else None."""
    if len(old.routes) != len(new.routes):
        return None
    if dataclasses.replace(old, routes=new.routes, name=new.name) != new:
        return None
    changed = []
    for k, (a, b) in enumerate(zip(old.routes, new.routes)):
        if dataclasses.replace(a, impact=b.impact, impact_rules=b.impact_rules, title=b.title) != b:
            return None
        if a != b:
            changed.append(k)
    return changed


class TuningReplay:
    """The fast replay of one history, kept between policy changes.

    Parameters
    ----------
    alarms : AlarmFrame
        Sorted by time (as :func:`~incidentsim.datasets.schema.validate_alarm_frame` leaves it).
    policy : Policy

    Attributes
    ----------
    scans, decides : int
        How many times the scan ran and the whole history was decided: a change that needs
        neither only rebuilds the tables.

    Examples
    --------
    >>> import incidentsim
    >>> alarms = incidentsim.load_alarms("data/alarm-events.jsonl").alarms
    >>> policy = incidentsim.Policy.from_yaml("data/sample-policy.yaml")
    >>> tuning = TuningReplay(alarms, policy)
    >>> route = next(r for r in policy.routes if r.name == "payments")
    >>> tuned = policy.replace(routes=tuple(dataclasses.replace(r, impact=3) if r is route else r
    ...                                     for r in policy.routes))
    >>> tuning.update(tuned)
    'tables'
    >>> tuning.result().summary() == incidentsim.replay(alarms, tuned, engine="fast").summary()
    True
    """

    def __init__(self, alarms: pd.DataFrame, policy: Policy):
        self.alarms = alarms
        self.times = alarms["timestamp"].astype("datetime64[ns, UTC]").astype("int64").to_numpy()
        self.scans = 0
        self.decides = 0
        self.lo, self.hi = 0, len(alarms)
        self._decide(policy)
        self._periods: dict[str, tuple[pd.DatetimeIndex, np.ndarray]] = {}
        self._people: tuple[Any, pd.Series, pd.DataFrame] | None = None

    # ------------------------------------------------------------------ changes

    def _decide(self, policy: Policy) -> None:
        self.policy = policy
        self.prepared = Prepared(self.alarms, policy)
        self.decides += 1
        self._play()

    def _play(self) -> None:
        self.played: Played = self.prepared.play(self.lo, self.hi)
        self.scans += 1
        self._result: ReplayResult | None = None

    def select(self, lo: int, hi: int) -> None:
        """Replay only the rows ``lo:hi`` (see :meth:`rows_between`)."""
        lo, hi = max(0, int(lo)), min(len(self.alarms), int(hi))
        if (lo, hi) != (self.lo, self.hi):
            self.lo, self.hi = lo, max(lo, hi)
            self._play()

    def rows_between(self, first: Any, last: Any) -> tuple[int, int]:
        """The rows from the day ``first`` to the day ``last`` (dates, UTC), both included."""
        start = pd.Timestamp(first, tz="UTC").value if pd.Timestamp(first).tzinfo is None else pd.Timestamp(first).value
        end = (
            pd.Timestamp(last, tz="UTC") if pd.Timestamp(last).tzinfo is None else pd.Timestamp(last)
        ) + pd.Timedelta(days=1)
        return int(np.searchsorted(self.times, start, "left")), int(np.searchsorted(self.times, end.value, "left"))

    def update(self, policy: Policy, rows: tuple[int, int] | None = None) -> str:
        """Take a new policy (and the rows ``lo, hi`` to replay, see :meth:`rows_between`); returns what had
        to be redone: "none", "tables", "scan" or "decide"."""
        if rows is not None and tuple(rows) != (self.lo, self.hi):
            lo, hi = max(0, int(rows[0])), min(len(self.alarms), int(rows[1]))
            self.lo, self.hi = lo, max(lo, hi)
            done = self._update(policy)
            if done in ("none", "tables"):
                self._play()
                return "scan"
            return done
        return self._update(policy)

    def _update(self, policy: Policy) -> str:
        if policy == self.policy:
            return "none"
        changed = _routes_differ_only_in_tuning(self.policy, policy)
        if changed is None:
            same_else = (
                dataclasses.replace(
                    self.policy, resolve=policy.resolve, client_token=policy.client_token, name=policy.name
                )
                == policy
            )
            if same_else and policy.client_token != self.policy.client_token and not self._retoken(policy):
                self._decide(policy)
                return "decide"
            if same_else:
                self.policy = policy
                self.prepared.policy = policy
                self._play()
                return "scan"
            self._decide(policy)
            return "decide"
        d = self.prepared.d
        before_failed = d.failed.copy()
        for k in changed:
            if not self._retune(k, policy):
                self._decide(policy)
                return "decide"
        if not np.array_equal(d.failed, before_failed):
            self._decide(policy)
            return "decide"
        self.policy = policy
        self.prepared.policy = policy
        old_refused, old_identity = self.prepared.refused, self.prepared.identity
        self.prepared.refresh()
        # outcomes change only when a refusal appears or goes, or requests sharing a token now differ
        if self.prepared.refused != old_refused or not np.array_equal(self.prepared.identity, old_identity):
            self._play()
            return "scan"
        self._result = None
        return "tables"

    def _retoken(self, policy: Policy) -> bool:
        """Give every trigger its token under a new clientToken strategy; False when templates fail (or failed
        before)."""
        d = self.prepared.d
        if d.errors:
            return False
        token, texts, errors = token_codes(d.columns, policy, np.flatnonzero(d.trigger), d.plan, d.plan_names, len(d))
        if errors:
            return False
        d.token, d._token_texts, d._token_lengths = token, texts, None
        d.policy = policy
        self.prepared.options = EmulatorOptions(**policy.emulator_options())
        self.prepared.requests.options = self.prepared.options
        self.prepared.refresh()
        return True

    def _retune(self, k: int, policy: Policy) -> bool:
        """Re-decide the impact and title of route ``k``'s rows; False when a template error appears or goes."""
        d = self.prepared.d
        route = policy.routes[k]
        if route.ignore:
            return True
        rows = np.flatnonzero(d.route == k)
        if not len(rows):
            return True
        mask = np.zeros(len(d), dtype=bool)
        mask[rows] = True
        route_impacts(route, mask, d.columns, d.impact)
        had_errors = bool(d.failed[rows].any()) if d.errors else False
        if route.title is None:
            if had_errors:
                return False
            d.title[rows] = -1
            d.note[rows] = NOTE_NONE
            d.cut_from[rows] = 0
            self._compact_titles()
            return True
        rendered = render_codes(route.title, d.columns, rows, d.plan, d.plan_names)
        if rendered.problems or had_errors:
            return False
        titles = {text: code for code, text in enumerate(d.titles)}
        d.note[rows] = NOTE_NONE
        d.cut_from[rows] = 0
        place_titles(rendered, rows, titles, policy.title_overflow, d.title, d.note, d.cut_from)
        d.titles = list(titles)
        self._compact_titles()
        return True

    def _compact_titles(self) -> None:
        """Drop titles no row uses any more, so the vocabulary stays the titles in use."""
        d = self.prepared.d
        used = distinct(d.title[d.title >= 0])
        if len(used) == len(d.titles):
            return
        remap = np.full(len(d.titles), -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        d.title = np.where(d.title >= 0, remap[np.maximum(d.title, 0)], -1)
        d.titles = [d.titles[k] for k in used.tolist()]

    # ------------------------------------------------------------------ what a panel shows

    def result(self) -> ReplayResult:
        """The full result of the current policy over the selected rows (built once per change)."""
        if self._result is None:
            self._result = self.prepared.result(self.played)
        return self._result

    def _period_codes(self, freq: str) -> tuple[pd.DatetimeIndex, np.ndarray]:
        if freq not in self._periods:
            floored = floor_to(pd.Series(self.alarms["timestamp"].astype("datetime64[ns, UTC]")), freq)
            index = period_index((floored.iloc[0], floored.iloc[-1]) if len(floored) else None, freq)
            self._periods[freq] = (index, np.searchsorted(index.asi8, floored.astype("int64").to_numpy()))
        return self._periods[freq]

    def _window(self, freq: str) -> tuple[pd.DatetimeIndex, np.ndarray, int]:
        if freq not in FREQS:
            raise ValueError(
                f"The 'freq' parameter of TuningReplay must be one of {{{', '.join(FREQS)}}}. Got {freq!r} instead."
            )
        index, codes = self._period_codes(freq)
        part = codes[self.lo : self.hi]
        if not len(part):
            return index[:0], part, 0
        first = int(part[0])
        return index[first : int(part[-1]) + 1], part - first, first

    def trigger_volume(self, freq: str = "1D") -> pd.DataFrame:
        """As :func:`incidentsim.analysis.trigger_volume` on :meth:`result`, counted from the scan's codes."""
        index, periods, _ = self._window(freq)
        counts = np.bincount(periods * len(OUTCOMES) + self.played.found.outcome, minlength=len(index) * len(OUTCOMES))
        return pd.DataFrame(
            counts.reshape(len(index), len(OUTCOMES)).astype("int64"),
            index=index,
            columns=pd.Index(list(OUTCOMES), name="outcome"),
        )

    def _created(self) -> tuple[np.ndarray, np.ndarray]:
        """Rows (in the whole history) that created an incident, and each incident's impact."""
        creators = self.played.found.incident_row + self.lo
        return creators, self.prepared.incident_fields(creators)[1]

    def incidents_by_impact(self, freq: str = "1D") -> pd.DataFrame:
        """As :func:`incidentsim.analysis.incidents_by_impact` on :meth:`result`, counted from the scan's codes."""
        index, periods, _ = self._window(freq)
        creators, impacts = self._created()
        counts = np.bincount(periods[creators - self.lo] * 5 + (impacts - 1), minlength=len(index) * 5)
        return pd.DataFrame(
            counts.reshape(len(index), 5).astype("int64"), index=index, columns=pd.Index(list(IMPACTS), name="impact")
        )

    def headline(self, tz: str = "UTC") -> dict[str, Any]:
        """As :func:`incidentsim.analysis.headline` on :meth:`result`, from the scan's arrays."""
        outcome = self.played.found.outcome
        counts = np.bincount(outcome, minlength=len(OUTCOMES))
        created, deduplicated = int(counts[CREATED]), int(counts[DEDUPLICATED])
        creators, impacts = self._created()
        key = (self.scans, tz)  # when incidents are created depends on the scan alone, not on impacts or titles
        if self._people is None or self._people[0] != key:
            incidents = pd.DataFrame({"creation_time": wire_times(self.played.found.created_ns)})
            span = (
                self.alarms["timestamp"].iloc[[self.lo, self.hi - 1]]
                if self.hi > self.lo
                else self.alarms["timestamp"].iloc[:0]
            )
            light = SimpleNamespace(events=pd.DataFrame({"timestamp": span.to_numpy()}), incidents=incidents)
            self._people = (
                key,
                interruptions(light, tz=tz).set_index("category")["incidents"],
                shift_summary(light, tz=tz),
            )
        _, away, shifts = self._people
        mix = np.bincount(impacts - 1, minlength=5) if len(impacts) else np.zeros(5, dtype=np.int64)
        return {
            "events": int(self.hi - self.lo),
            "triggers": int(len(outcome) - counts[IGNORED]),
            "incidents": created,
            "dedup_ratio": round(deduplicated / (created + deduplicated), 4) if created + deduplicated else 0.0,
            "incidents_by_impact": {level: int(mix[level - 1]) for level in range(1, 6)},
            "off_hours_interruptions": int(away["off_hours"] + away["sleep_hours"]),
            "shifts_over_limit": int(shifts.loc[0, "shifts_over_limit"]) if len(shifts) else 0,
        }

    def title_preview(self, plan: str, shown: int = 5) -> dict[str, Any]:
        """What the titles of the triggers sent to ``plan`` look like over the selected rows.

        Returns the counts of ``plan``'s row of :func:`incidentsim.analysis.title_cardinality` on
        :meth:`result` (``triggers``, ``distinct_titles``, ``collisions``, ``undefined_variables``,
        ``cut_titles``, ``over_limit``), counted from the codes by the same rule
        (:func:`incidentsim.analysis.titles.title_counts`), plus the ``first`` ``shown`` titles in
        order of appearance and the ``first_error`` of a template that failed.
        """
        d = self.prepared.d
        part = slice(self.lo, self.hi)
        code = d.plan_names.index(plan) if plan in d.plan_names else -2
        outcome = self.played.found.outcome
        mine = (d.plan[part] == code) & (outcome != IGNORED)
        failed = d.failed[part] & mine
        plans = self.policy.plans
        own_titles = [str(plans[p].title or "") for p in d.plan_names]
        own = len(d.titles) + np.maximum(d.plan[part], 0)  # no title of the route's own: the plan's
        codes, where = np.unique(np.where(d.title[part] >= 0, d.title[part], own)[mine], return_inverse=True)
        texts = [d.titles[c] if c < len(d.titles) else own_titles[c - len(d.titles)] for c in codes.tolist()]
        cut, over = title_kinds(texts)  # per distinct title of this plan, not per row
        empty = np.asarray([text == "" for text in texts], dtype=bool)
        refused = (outcome == REJECTED) & (self.prepared.kind[part] == REFUSED)  # ValidationException
        counts = title_counts(
            np.where(empty[where], -1, where),
            self.prepared.requests.alarm[part][mine],
            failed[mine],
            cut[where],
            refused[mine] & over[where],
        )
        sent = where[~failed[mine] & ~empty[where]]
        seen, first = np.unique(sent, return_index=True)
        problems = [d.errors[p] for p in (np.flatnonzero(failed) + self.lo).tolist()[:1]]
        return {
            **counts,
            "first": [texts[c] for c in seen[np.argsort(first, kind="stable")][:shown].tolist()],
            "first_error": problems[0] if problems else "",
        }


__all__ = ["TuningReplay"]
