"""What both engines share: incident bookkeeping, scheduled resolutions, the result tables and their explanations."""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..policy import Policy
from .result import EVENT_RESULT_COLUMNS, INCIDENT_COLUMNS


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
    fast engine's own bookkeeping).
    """

    def __init__(self, policy: Policy, on_resolve: Callable[[str, Any], None], nanoseconds: bool = False):
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
            self.on_resolve(arn, when)
            incident.resolved = when
            incident.pending = None
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
    plans = policy.plans
    dedupe_of = dict(zip(incidents["incident_arn"], incidents["dedupe_string"]))
    reached = [o in ("created", "deduplicated", "rejected") for o in outcome]
    titles, impacts, explanations = [], [], []
    for i, decision in enumerate(decisions.to_dict(orient="records")):
        plan = plans.get(decision["response_plan"])
        titles.append(decision["title"] or (plan.title if plan and reached[i] else ""))
        impacts.append(decision["impact"] or (plan.impact if plan and reached[i] else 0))
        explanations.append(explain(decision, outcome[i], dedup_reason[i], incident_arn[i], error_code[i], error_message[i], dedupe_of))
    extra = pd.DataFrame(
        {
            "response_plan": [d if reached[i] else "" for i, d in enumerate(decisions["response_plan"].tolist())],
            "client_token": [t if reached[i] else "" for i, t in enumerate(decisions["client_token"].tolist())],
            "dedupe_string": [dedupe_of.get(arn, "") for arn in incident_arn],
            "impact": pd.array(impacts, dtype="Int64"),
            "title": titles,
            "outcome": pd.Categorical(outcome, categories=["created", "deduplicated", "ignored", "rejected"]),
            "dedup_reason": dedup_reason,
            "incident_arn": incident_arn,
            "error_code": error_code,
            "explanation": explanations,
        },
        index=alarms.index,
    )
    extra["impact"] = extra["impact"].mask(extra["impact"] == 0)
    for column in ("response_plan", "client_token", "dedupe_string", "title", "dedup_reason", "incident_arn", "error_code", "explanation"):
        extra[column] = extra[column].astype("string")
    return pd.concat([alarms, extra[list(EVENT_RESULT_COLUMNS)]], axis=1)


def explain(decision: dict[str, Any], outcome: str, reason: str, arn: str, code: str, message: str, dedupe_of: dict[str, str]) -> str:
    if outcome == "ignored":
        note = decision["decision_note"]
        return note[0].upper() + note[1:] + "." if note else "Started nothing."
    if decision["decision_error"]:
        return f"Not sent: {decision['decision_note']}."
    route = f"route '{decision['route']}'" if decision["route"] else "the policy's default for unmatched alarms"
    lead = f"Entered ALARM; {route} sent it to {decision['response_plan']}"
    if outcome == "rejected":
        return f"{lead}, and StartIncident answered {code}: {message}"
    dedupe = dedupe_of.get(arn, "")
    if outcome == "created":
        return f"{lead}; no OPEN incident had its dedupe string '{dedupe}', so a new incident ({short_id(arn)}) was created."
    if reason == "client_token":
        return (
            f"{lead}; its clientToken '{decision['client_token']}' had already started incident {short_id(arn)}, "
            "so StartIncident returned that incident again."
        )
    return f"{lead}; incident {short_id(arn)} was still OPEN with the same dedupe string '{dedupe}', so it was deduplicated into it."




def incident_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The incidents table from one dict per incident, with the documented columns and dtypes."""
    table = pd.DataFrame(rows, columns=list(INCIDENT_COLUMNS))
    for column in ("creation_time", "resolved_time"):
        table[column] = pd.to_datetime(table[column], utc=True).astype("datetime64[ns, UTC]")
    table["impact"] = table["impact"].astype("int64")
    table["trigger_count"] = table["trigger_count"].astype("int64")
    return table.sort_values(["creation_time", "incident_arn"], kind="stable", ignore_index=True)


def fed_counts(alarms: pd.DataFrame, incident_arn: list[str], outcome: list[str]) -> tuple[pd.Series, pd.Series]:
    """Per incident: how many triggers reached it, and the names of the alarms that did."""
    fed = pd.DataFrame({"incident_arn": incident_arn, "outcome": outcome, "alarm_name": alarms["alarm_name"].tolist()})
    fed = fed[fed["outcome"].isin(["created", "deduplicated"])]
    counts = fed.groupby("incident_arn").size()
    names = fed.groupby("incident_arn")["alarm_name"].agg(lambda s: tuple(sorted(set(s))))
    return counts, names
