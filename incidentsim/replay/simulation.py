"""What both engines share: incident bookkeeping, scheduled resolutions, the result tables and their explanations."""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..policy import Policy
from .codes import (
    BY_DEDUPE_STRING,
    BY_TOKEN,
    CREATED,
    DEDUPLICATED,
    FAILED,
    IGNORED,
    REJECTED,
    distinct,
)
from .decisions import Decisions, column_codes
from ..constants import OUTCOMES
from .result import INCIDENT_COLUMNS


@dataclass
class Incident:
    arn: str
    plan: str
    created: Any  # a Timestamp, or integer nanoseconds in the fast engine
    alarms: set[str] = field(default_factory=set)
    resolved: Any = None
    pending: int | None = None  # sequence number of a scheduled resolution, None when none


class Resolver:
    """Schedules and applies resolutions in simulated time (a heap ordered by (time, sequence)).

    ``on_resolve(arn, when)`` carries a resolution out (an UpdateIncidentRecord call, or the
    fast engine's own bookkeeping); when it returns False the resolution did not happen and
    the incident stays open.
    """

    def __init__(self, policy: Policy, on_resolve: Callable[[str, Any], bool | None], nanoseconds: bool = False):
        self.on_resolve = on_resolve
        self.strategy = policy.resolve
        # times are pandas Timestamps, or integer nanoseconds (the fast engine's)
        scale: Callable[[Any], Any] = (lambda d: int(d.total_seconds() * 10**9)) if nanoseconds else (lambda d: d)
        self.delay = scale(policy.resolve.delay)
        self.after = scale(policy.resolve.after) if policy.resolve.after is not None else None
        self.heap: list[tuple[Any, int, str]] = []
        self.sequence = 0
        self.incidents: dict[str, Incident] = {}
        self.open_by_alarm: dict[str, set[str]] = defaultdict(set)
        self.alarm_state: dict[str, str] = {}

    def schedule(self, incident: Incident, when: Any) -> None:
        self.sequence += 1
        incident.pending = self.sequence
        heapq.heappush(self.heap, (when, self.sequence, incident.arn))

    def due(self, until: Any) -> None:
        """Apply every resolution due at or before ``until`` (all of them when None)."""
        while self.heap and (until is None or self.heap[0][0] <= until):
            when, sequence, arn = heapq.heappop(self.heap)
            incident = self.incidents[arn]
            if incident.pending != sequence or incident.resolved is not None:
                continue  # cancelled, or superseded
            incident.pending = None
            if self.on_resolve(arn, when) is False:
                continue  # the service did not take the resolution: the incident stays OPEN there, and here
            incident.resolved = when
            for alarm in incident.alarms:
                self.open_by_alarm[alarm].discard(arn)

    def created(self, incident: Incident) -> None:
        self.incidents[incident.arn] = incident
        for alarm in incident.alarms:
            self.open_by_alarm[alarm].add(incident.arn)
        if self.strategy.strategy == "after" and self.after is not None:
            self.schedule(incident, incident.created + self.after)

    def fed(self, incident: Incident, alarm: str) -> None:
        if incident.resolved is None and alarm not in incident.alarms:
            incident.alarms.add(alarm)
            self.open_by_alarm[alarm].add(incident.arn)

    def state_changed(self, alarm: str, state: str, when: Any) -> None:
        self.alarm_state[alarm] = state
        if self.strategy.strategy != "on_ok":
            return
        for arn in list(self.open_by_alarm.get(alarm, ())):
            incident = self.incidents[arn]
            if state == "ALARM":
                incident.pending = None  # back in ALARM: the responder keeps it open
            elif incident.pending is None and all(self.alarm_state.get(a) != "ALARM" for a in incident.alarms):
                self.schedule(incident, when + self.delay)


def short_id(arn: str) -> str:
    return arn.rsplit("/", 1)[-1][:8]


def text_column(
    vocabulary: Sequence[str] | np.ndarray, codes: np.ndarray, index: pd.Index, unique: bool = False
) -> pd.Series:
    """A categorical text column from codes into a vocabulary (-1: ""); repeated texts cost one string each.
    ``unique``: the vocabulary holds no text twice and no "" (it is not checked again)."""
    from .scan import first_appearance

    texts = np.asarray([*list(vocabulary), ""], dtype=object)
    if unique:
        remap, unique_texts = np.arange(len(texts)), texts
    else:
        remap, unique_texts = pd.factorize(texts)
    # categories in order of first appearance: the same rows give the same column, however it was computed
    codes, used = first_appearance(remap[np.where(codes < 0, len(texts) - 1, codes)], len(unique_texts))
    dtype = pd.CategoricalDtype(pd.Index(np.asarray(unique_texts, dtype=object)[used], dtype=object))
    return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype, validate=False), index=index)


@dataclass
class Outcomes:
    """What every row came to, as codes: ``outcome`` (index into :data:`OUTCOMES`), ``reason``
    (0 none, 1 client_token, 2 dedupe_string), ``incident`` (index into ``incident_arns``, -1: none),
    and the service's error code and message for rows it refused (by row position)."""

    outcome: np.ndarray
    reason: np.ndarray
    incident: np.ndarray
    incident_arns: np.ndarray
    dedupe_strings: np.ndarray
    errors: dict[int, tuple[str, str]]


REASONS = ("", "client_token", "dedupe_string")
REACHED = np.asarray([True, True, False, True, True])  # by outcome code: the row reached StartIncident


def event_table(
    alarms: pd.DataFrame, decisions: Decisions, done: Outcomes
) -> tuple[pd.DataFrame, Callable[[], pd.Series]]:
    """The events table without its sentences (the AlarmFrame's columns, then each row's decision and
    outcome), and a function that writes the ``explanation`` column when it is asked for."""
    index = alarms.index
    policy = decisions.policy
    reached = REACHED[done.outcome]
    plans = policy.plans
    plan_titles = np.asarray([plans[name].title for name in decisions.plan_names] + [""], dtype=object)
    plan_impacts = np.asarray([plans[name].impact for name in decisions.plan_names] + [0], dtype=np.int64)
    plan = np.where(reached, decisions.plan, -1)
    token = np.where(reached, decisions.token, -1)
    # the title sent, else the plan's where the row reached the service
    own_title = decisions.title.copy()
    use_plan = reached & (own_title < 0) & (decisions.plan >= 0)
    own_title[use_plan] = len(decisions.titles) + decisions.plan[use_plan]
    title = text_column(list(decisions.titles) + plan_titles[:-1].tolist(), own_title, index)
    impact = np.where(decisions.impact != 0, decisions.impact, np.where(reached, plan_impacts[decisions.plan], 0))
    codes = np.zeros(len(index), dtype=np.int64)
    names = [""]
    failed = decisions.failed
    if failed.any():
        names.append("TemplateError")
        codes[failed] = 1
    if done.errors:
        known = {name: k for k, name in enumerate(names)}
        positions = np.fromiter(done.errors, dtype=np.int64, count=len(done.errors))
        codes[positions] = [known.setdefault(code, len(known)) for code, _ in done.errors.values()]
        names = list(known)
    extra = pd.DataFrame(
        {
            "response_plan": text_column(decisions.plan_names, plan, index, unique=True),
            "client_token": text_column(decisions.token_texts(), token, index, unique=True),
            "dedupe_string": text_column(done.dedupe_strings, done.incident, index),
            "impact": pd.Series(impact, index=index, dtype="Int64").mask(impact == 0),
            "title": title,
            "outcome": pd.Categorical.from_codes(done.outcome.astype(np.int64), categories=list(OUTCOMES)),
            "dedup_reason": text_column(REASONS[1:], done.reason.astype(np.int64) - 1, index, unique=True),
            "incident_arn": text_column(done.incident_arns, done.incident, index, unique=True),
            "error_code": text_column(names[1:], codes - 1, index, unique=True),
        },
        index=index,
    )
    events = pd.concat([alarms, extra], axis=1)

    def explain() -> pd.Series:
        return _explanations(events, decisions, done)

    return events, explain


def rejections(decisions: Decisions, done: Outcomes, keep: int = 10) -> list[dict[str, Any]]:
    """The rejected and failed triggers counted by outcome, route, error code and reason, most first (the first
    ``keep`` groups): what :meth:`ReplayResult.summary_text` names.  ``route`` is "" for unmatched alarms."""
    rows = np.flatnonzero((done.outcome == REJECTED) | (done.outcome == FAILED))
    if not len(rows):
        return []
    found = [
        ("TemplateError", decisions.errors[p]) if p in decisions.errors else done.errors.get(p, ("", ""))
        for p in rows.tolist()
    ]
    table = pd.DataFrame(
        {
            "outcome": np.asarray(OUTCOMES, dtype=object)[done.outcome[rows]],
            "route": np.asarray([*decisions.route_names, ""], dtype=object)[decisions.route[rows]],
            "error_code": [code for code, _ in found],
            "reason": [reason for _, reason in found],
        }
    )
    counted = table.value_counts().rename("triggers").reset_index()
    counted = counted.sort_values(
        ["triggers", "outcome", "route", "error_code", "reason"], ascending=[False, True, True, True, True]
    )
    return [{**row, "triggers": int(row["triggers"])} for row in counted.head(keep).to_dict("records")]


def _sentence(text: str) -> str:
    """``text`` ending in exactly one full stop (a message quoted in it may bring its own)."""
    return text.rstrip().rstrip(".") + "."


def _explanations(events: pd.DataFrame, decisions: Decisions, done: Outcomes) -> pd.Series:
    """One sentence per row: why it had its outcome (built per distinct input where rows share one)."""
    n = len(events)
    outcome = done.outcome
    out = np.full(n, "", dtype=object)
    note_codes, note_texts = decisions.note_codes()
    failed = decisions.failed
    ignored = outcome == IGNORED
    said = np.asarray([_sentence(t[:1].upper() + t[1:]) if t else "Started nothing." for t in note_texts], dtype=object)
    out[ignored] = said[note_codes[ignored]]
    out[failed] = np.asarray([_sentence(f"Not sent: {t}") for t in note_texts], dtype=object)[note_codes[failed]]
    # "Entered ALARM; route 'r' sent it to p", per (route, plan)
    routes = [*[f"route '{name}'" for name in decisions.route_names], "the policy's default for unmatched alarms"]
    plans = [*decisions.plan_names, ""]
    leads: dict[tuple[int, int], str] = {}

    def lead(position: int) -> str:
        key = (int(decisions.route[position]), int(decisions.plan[position]))
        if key not in leads:
            leads[key] = f"Entered ALARM; {routes[key[0]]} sent it to {plans[key[1]]}"
        return leads[key]

    shorts = [short_id(str(arn)) for arn in done.incident_arns]
    dedupe = done.dedupe_strings
    for position in np.flatnonzero((outcome == REJECTED) & ~failed).tolist():
        code, message = done.errors.get(position, ("", ""))
        out[position] = f"{lead(position)}, and StartIncident answered {code}: {message}"
    for position in np.flatnonzero(outcome == FAILED).tolist():
        code, message = done.errors.get(position, ("", ""))
        out[position] = (
            f"{lead(position)}, but StartIncident kept answering {code} until the retries ran out ({message}), "
            "so this trigger opened and fed no incident."
        )
    incident = done.incident
    rows = np.flatnonzero(outcome == CREATED)
    out[rows] = [
        f"{lead(p)}; no OPEN incident had its dedupe string '{dedupe[i]}', so a new incident ({shorts[i]}) was created."
        for p, i in zip(rows.tolist(), incident[rows].tolist())
    ]
    tokens = np.append(decisions.token_texts(), "")
    rows = np.flatnonzero((outcome == DEDUPLICATED) & (done.reason == BY_TOKEN))
    out[rows] = [
        (
            f"{lead(p)}; its clientToken '{tokens[t]}' had already started incident {shorts[i]}, "
            "so StartIncident returned that incident again."
        )
        for p, i, t in zip(rows.tolist(), incident[rows].tolist(), decisions.token[rows].tolist())
    ]
    rows = np.flatnonzero((outcome == DEDUPLICATED) & (done.reason == BY_DEDUPE_STRING))
    out[rows] = [
        (
            f"{lead(p)}; incident {shorts[i]} was still OPEN with the same dedupe string '{dedupe[i]}', "
            "so it was deduplicated into it."
        )
        for p, i in zip(rows.tolist(), incident[rows].tolist())
    ]
    return pd.Series(out, index=events.index, dtype="string")


def incident_table(rows: list[dict[str, Any]] | pd.DataFrame, order: np.ndarray | None = None) -> pd.DataFrame:
    """The incidents table (from one dict per incident, or columns), with the documented columns and dtypes,
    sorted by creation time and ARN (or in the given ``order`` of positions, already so sorted)."""
    table = (
        rows[list(INCIDENT_COLUMNS)].copy()
        if isinstance(rows, pd.DataFrame)
        else pd.DataFrame(rows, columns=list(INCIDENT_COLUMNS))
    )
    for column in ("creation_time", "resolved_time"):
        table[column] = pd.to_datetime(table[column], utc=True).astype("datetime64[ns, UTC]")
    table["impact"] = table["impact"].astype("int64")
    table["trigger_count"] = table["trigger_count"].astype("int64")
    for column in ("incident_arn", "response_plan", "title", "status", "dedupe_string", "alarm_names"):
        table[column] = table[column].astype(object)
    if order is not None:
        return table.iloc[order].reset_index(drop=True)
    return table.sort_values(["creation_time", "incident_arn"], kind="stable", ignore_index=True)


def creation_order(created: np.ndarray, arns: np.ndarray) -> np.ndarray:
    """Positions that sort incidents by (creation time, ARN), as :func:`incident_table` does; ARNs are
    compared only among incidents created at the same time."""
    order = np.argsort(created, kind="stable")
    times = created[order]
    tied = np.flatnonzero(np.diff(times) == 0) if len(times) > 1 else np.zeros(0, dtype=np.int64)
    if len(tied):
        starts = tied[np.r_[True, np.diff(tied) > 1]]
        for start in starts.tolist():
            end = start + 1
            while end < len(times) and times[end] == times[start]:
                end += 1
            group = order[start:end]
            order[start:end] = group[np.argsort(arns[group].astype(str), kind="stable")]
    return order


def fed_by(
    alarms: pd.DataFrame,
    outcome: np.ndarray,
    incident: np.ndarray,
    k: int,
    names: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per incident number (0..k-1): how many triggers reached it, and the sorted names of the alarms that did
    (an object array of tuples).  ``names`` are the alarm names as codes, when already made."""
    reached = (outcome == CREATED) | (outcome == DEDUPLICATED)
    rows = np.flatnonzero(reached & (incident >= 0))
    counts = np.bincount(incident[rows], minlength=k).astype(np.int64)
    name_codes, texts = names if names is not None else column_codes(alarms["alarm_name"])
    size = max(len(texts), 1)
    order = np.argsort(texts.astype(str), kind="stable")
    rank = np.empty(len(texts), dtype=np.int64)
    rank[order] = np.arange(len(texts))
    pairs = distinct(incident[rows] * size + rank[name_codes[rows]])
    owner, ranks = pairs // size, pairs % size
    per = np.bincount(owner, minlength=k)
    nothing = np.empty(1, dtype=object)
    nothing[0] = ()
    result = np.repeat(nothing, k)
    alone = np.empty(len(texts), dtype=object)  # one tuple per alarm name, shared by the incidents it alone fed
    for position, name in enumerate(texts[order].tolist()):
        alone[position] = (name,)
    starts = np.concatenate([[0], np.cumsum(per)[:-1]]).astype(np.int64) if k else np.zeros(0, dtype=np.int64)
    single = per == 1
    result[single] = alone[ranks[starts[single]]]
    sorted_names = texts[order]
    for number in np.flatnonzero(per > 1).tolist():
        result[number] = tuple(sorted_names[ranks[starts[number] : starts[number] + per[number]]].tolist())
    return counts, result
