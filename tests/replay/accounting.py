"""The row accounting every replay keeps, and the policy the Huawei sets are replayed under."""

from __future__ import annotations

import pandas as pd

from incidentsim.policy import Policy

HUAWEI_POLICY = Policy.from_dict(
    {
        "response_plans": [{"name": "network", "title": "Network alarm", "impact": 3}],
        "routes": [{"name": "all", "match": {"alarm_name": "*"}, "plan": "network", "title": "{{ alarm_name }}"}],
        "resolve": {"strategy": "on_ok", "delay": "5m"},
    }
)


def check_accounting(alarms: pd.DataFrame, result) -> None:
    events, incidents, s = result.events, result.incidents, result.summary()
    assert len(events) == len(alarms) and events["event_id"].tolist() == alarms["event_id"].tolist()
    assert events["outcome"].notna().all() and events["explanation"].str.len().gt(0).all()
    assert s["created"] + s["deduplicated"] + s["ignored"] + s["rejected"] == s["events"]
    assert s["deduplicated"] == s["deduplicated_by_token"] + s["deduplicated_by_dedupe_string"]
    entering = (alarms["state"] == "ALARM") & (alarms["previous_state"] != "ALARM")
    assert s["triggers"] <= int(entering.sum())
    assert len(incidents) == s["created"]
    assert incidents["trigger_count"].sum() == s["created"] + s["deduplicated"]
    reached = events[events["outcome"].isin(["created", "deduplicated"])]
    assert set(reached["incident_arn"]) == set(incidents["incident_arn"])
    assert (incidents["resolved_time"].isna() | (incidents["resolved_time"] >= incidents["creation_time"])).all()
