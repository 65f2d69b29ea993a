"""Hand-built histories for replay tests."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from incidentsim.datasets.schema import alarm_arn, record_id, validate_alarm_frame
from incidentsim.policy import Policy

T0 = pd.Timestamp("2024-05-01T09:00:00Z")


def history(*changes: tuple, account: str = "111111111111", region: str = "us-east-1") -> pd.DataFrame:
    """Rows of (minute, alarm, state, previous[, extra dict]) -> an AlarmFrame."""
    rows = []
    for index, change in enumerate(changes):
        minute, alarm, state, previous = change[:4]
        extra: dict[str, Any] = change[4] if len(change) > 4 else {}
        raw = json.dumps({"alarm": alarm, "minute": minute, "state": state, "n": extra.pop("n", index)})
        rows.append(
            {
                "event_id": record_id(raw),
                "timestamp": T0 + pd.Timedelta(minutes=minute),
                "account_id": account,
                "region": region,
                "alarm_name": alarm,
                "alarm_arn": alarm_arn(account, region, alarm),
                "state": state,
                "previous_state": previous,
                "reason": f"{alarm} to {state}",
                "source": "aws.cloudwatch",
                "raw": raw,
                "origin": f"test:{index}",
                **extra,
            }
        )
    return validate_alarm_frame(pd.DataFrame(rows))


def policy(**overrides: Any) -> Policy:
    data: dict[str, Any] = {
        "response_plans": [
            {"name": "web", "title": "Web degraded", "impact": 3},
            {"name": "db", "title": "Database degraded", "impact": 2},
        ],
        "routes": [
            {"name": "db", "match": {"alarm_name": "db-*"}, "plan": "db"},
            {"name": "web", "match": {"alarm_name": "web-*"}, "plan": "web"},
        ],
        "resolve": {"strategy": "never"},
    }
    data.update(overrides)
    return Policy.from_dict(data)


def outcomes(result) -> list[tuple[str, str]]:
    events = result.events
    return list(zip(events["outcome"].astype(str), events["dedup_reason"].astype(str)))
