"""What both engines share: incident bookkeeping, scheduled resolutions, the result tables and their explanations."""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..policy import Policy
from .result import EVENT_RESULT_COLUMNS, INCIDENT_COLUMNS, OUTCOMES


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


def event_table(
    alarms: pd.DataFrame,
    decisions: pd.DataFrame,
    policy: Policy,
    outcome: list[str],
    dedup_reason: list[str],
    incident_arn: list[str],
    error_code: list[str],
    error_message: list[str],
    incidents: pd.DataFrame,
) -> pd.DataFrame:
    """The events table: the AlarmFrame's columns, then each row's decision, outcome and explanation."""
    index = alarms.index
    text = lambda values: pd.Series(values, index=index, dtype="string")  # noqa: E731
    outcomes = text(outcome)
    reasons = text(dedup_reason)
    arns = text(incident_arn)
    codes = text(error_code)
    plan = decisions["response_plan"].astype("string")
    route = decisions["route"].astype("string")
    token = decisions["client_token"].astype("string")
    note = decisions["decision_note"].astype("string")
    reached = outcomes.isin(["created", "deduplicated", "rejected", "failed"])
    plan_names = decisions["response_plan"].tolist()
    titles_of = {name: p.title for name, p in policy.plans.items()}
    impacts_of = {name: p.impact for name, p in policy.plans.items()}
    plan_title = pd.Series([titles_of.get(name, "") for name in plan_names], index=index, dtype="string")
    plan_impact = pd.Series([impacts_of.get(name, 0) for name in plan_names], index=index, dtype="int64")
    title = decisions["title"].astype("string")
    title = title.where((title != "") | ~reached, plan_title)
    impact = decisions["impact"].astype("int64").where(decisions["impact"] != 0, plan_impact.where(reached, 0))
    dedupe_of = dict(zip(incidents["incident_arn"], incidents["dedupe_string"]))
    dedupe = pd.Series([dedupe_of.get(arn, "") for arn in incident_arn], index=index, dtype="string")
    shorts = {arn: short_id(arn) for arn in set(incident_arn)}
    short = pd.Series([shorts[arn] for arn in incident_arn], index=index, dtype="string")

    # one sentence per row: why it had its outcome
    lead = "Entered ALARM; " + route.where(route == "", "route '" + route + "'").replace("", "the policy's default for unmatched alarms") + " sent it to " + plan
    explanation = pd.Series("", index=index, dtype="string")
    ignored = outcomes == "ignored"
    capitalised = note.str.slice(0, 1).str.upper() + note.str.slice(1) + "."
    explanation[ignored] = capitalised.where(note != "", "Started nothing.")[ignored]
    failed = decisions["decision_error"] != ""
    explanation[failed] = ("Not sent: " + note + ".")[failed]
    rejected = (outcomes == "rejected") & ~failed
    explanation[rejected] = (lead + ", and StartIncident answered " + codes + ": " + text(error_message))[rejected]
    gave_up = outcomes == "failed"
    explanation[gave_up] = (
        lead + ", but StartIncident kept answering " + codes + " until the retries ran out (" + text(error_message)
        + "), so this trigger opened and fed no incident."
    )[gave_up]
    created = outcomes == "created"
    explanation[created] = (lead + "; no OPEN incident had its dedupe string '" + dedupe + "', so a new incident (" + short + ") was created.")[created]
    by_token = (outcomes == "deduplicated") & (reasons == "client_token")
    explanation[by_token] = (
        lead + "; its clientToken '" + token + "' had already started incident " + short + ", so StartIncident returned that incident again."
    )[by_token]
    by_string = (outcomes == "deduplicated") & (reasons == "dedupe_string")
    explanation[by_string] = (
        lead + "; incident " + short + " was still OPEN with the same dedupe string '" + dedupe + "', so it was deduplicated into it."
    )[by_string]

    extra = pd.DataFrame(
        {
            "response_plan": plan.where(reached, ""),
            "client_token": token.where(reached, ""),
            "dedupe_string": dedupe,
            "impact": impact.astype("Int64").mask(impact == 0),
            "title": title,
            "outcome": pd.Categorical(outcome, categories=list(OUTCOMES)),
            "dedup_reason": reasons,
            "incident_arn": arns,
            "error_code": codes,
            "explanation": explanation,
        },
        index=index,
    )
    return pd.concat([alarms, extra[list(EVENT_RESULT_COLUMNS)]], axis=1)


def incident_table(rows: list[dict[str, Any]] | pd.DataFrame) -> pd.DataFrame:
    """The incidents table (from one dict per incident, or columns), with the documented columns and dtypes."""
    table = rows[list(INCIDENT_COLUMNS)].copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows, columns=list(INCIDENT_COLUMNS))
    for column in ("creation_time", "resolved_time"):
        table[column] = pd.to_datetime(table[column], utc=True).astype("datetime64[ns, UTC]")
    table["impact"] = table["impact"].astype("int64")
    table["trigger_count"] = table["trigger_count"].astype("int64")
    for column in ("incident_arn", "response_plan", "title", "status", "dedupe_string", "alarm_names"):
        table[column] = table[column].astype(object)
    return table.sort_values(["creation_time", "incident_arn"], kind="stable", ignore_index=True)


def fed_counts(alarms: pd.DataFrame, incident_arn: list[str], outcome: list[str]) -> tuple[dict[str, int], dict[str, tuple[str, ...]]]:
    """Per incident: how many triggers reached it, and the sorted names of the alarms that did."""
    fed = pd.DataFrame({"incident_arn": incident_arn, "outcome": outcome, "alarm_name": alarms["alarm_name"].astype(str).to_numpy()})
    fed = fed[fed["outcome"].isin(["created", "deduplicated"])]
    counts = {str(arn): int(count) for arn, count in fed["incident_arn"].value_counts().items()}
    pairs = fed[["incident_arn", "alarm_name"]].drop_duplicates().sort_values(["incident_arn", "alarm_name"], kind="stable")
    keys, starts = np.unique(pairs["incident_arn"].to_numpy(), return_index=True)
    groups = np.split(pairs["alarm_name"].to_numpy(), starts[1:]) if len(keys) else []
    return counts, {key: tuple(group.tolist()) for key, group in zip(keys.tolist(), groups)}
