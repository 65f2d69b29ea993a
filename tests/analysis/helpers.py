"""Hand-built replay results for the analysis tests: small tables with known answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

T0 = pd.Timestamp("2024-04-01T00:00:00Z")  # a Monday
ACCOUNT = "111111111111"


def arn(name: str, region: str = "us-east-1") -> str:
    return f"arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:{name}"


@dataclass(frozen=True)
class Result:
    """Duck-typed stand-in for ReplayResult: just the two tables."""

    events: pd.DataFrame
    incidents: pd.DataFrame


def event(
    minute: float, alarm: str, state: str, previous: str, outcome: str = "ignored", **extra: Any
) -> dict[str, Any]:
    """One events row at ``T0 + minute``; ``extra`` overrides any column."""
    row: dict[str, Any] = {
        "event_id": f"{alarm}-{minute}-{state}",
        "timestamp": T0 + pd.Timedelta(minutes=minute),
        "alarm_name": alarm,
        "alarm_arn": arn(alarm),
        "state": state,
        "previous_state": previous,
        "duplicate": False,
        "response_plan": "",
        "impact": pd.NA,
        "title": "",
        "outcome": outcome,
        "dedup_reason": "",
        "incident_arn": "",
        "error_code": "",
        "explanation": "",
    }
    row.update(extra)
    return row


def incident(minute: float, impact: int = 3, plan: str = "web", **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "incident_arn": f"arn:aws:ssm-incidents::123456789012:incident-record/{plan}/{minute}",
        "response_plan": plan,
        "title": "t",
        "impact": impact,
        "status": "OPEN",
        "creation_time": T0 + pd.Timedelta(minutes=minute),
        "resolved_time": pd.NaT,
        "trigger_count": 1,
        "dedupe_string": "",
        "alarm_names": ("a",),
    }
    row.update(extra)
    return row


EVENT_COLUMNS = list(event(0, "a", "OK", "ALARM"))
INCIDENT_COLUMNS = list(incident(0))


def result(events: Sequence[dict[str, Any]] = (), incidents: Sequence[dict[str, Any]] = ()) -> Result:
    """A Result from row dicts, typed like the real tables (outcome categorical, impact Int64)."""
    events_frame = pd.DataFrame(list(events), columns=EVENT_COLUMNS)
    events_frame["timestamp"] = pd.to_datetime(events_frame["timestamp"], utc=True)
    events_frame["impact"] = events_frame["impact"].astype("Int64")
    events_frame["outcome"] = pd.Categorical(
        events_frame["outcome"], categories=["created", "deduplicated", "ignored", "rejected"]
    )
    events_frame["duplicate"] = events_frame["duplicate"].astype(bool)
    events_frame = events_frame.sort_values("timestamp", kind="stable").reset_index(drop=True)
    incidents_frame = pd.DataFrame(list(incidents), columns=INCIDENT_COLUMNS)
    incidents_frame["creation_time"] = pd.to_datetime(incidents_frame["creation_time"], utc=True)
    incidents_frame["resolved_time"] = pd.to_datetime(incidents_frame["resolved_time"], utc=True)
    incidents_frame["impact"] = incidents_frame["impact"].astype("int64")
    return Result(events_frame, incidents_frame)


def flaps(alarm: str, start: float, count: int, up: float = 3, down: float = 7) -> list[dict[str, Any]]:
    """``count`` ALARM spells of ``up`` minutes, ``up + down`` minutes apart, from ``start``."""
    rows = []
    for i in range(count):
        at = start + i * (up + down)
        rows.append(event(at, alarm, "ALARM", "OK"))
        rows.append(event(at + up, alarm, "OK", "ALARM"))
    return rows
