"""Row accounting on the bundled sample and the Huawei sets, in process and against a served emulator."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from incidentsim import load_alarms, replay
from incidentsim.emulator.server import EmulatorControl
from incidentsim.policy import Policy

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def sample():
    return load_alarms(DATA / "alarm-events.jsonl").alarms


@pytest.fixture(scope="module")
def sample_result(sample):
    return replay(sample, DATA / "sample-policy.yaml", progress=False)


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


def test_bundled_sample_accounting(sample, sample_result):
    check_accounting(sample, sample_result)
    s = sample_result.summary()
    assert s["events"] == 3297 and s["created"] > 0 and s["deduplicated"] > 0 and s["rejected"] == 0
    events = sample_result.events
    # the maintenance flag route and suppressed composite actions start nothing
    flag = events[events["alarm_name"] == "payments-maintenance-mode"]
    assert (flag["outcome"] == "ignored").all()
    suppressed = events[(events["actions_suppressed_by"] != "") & (events["state"] == "ALARM")]
    assert len(suppressed) > 0 and (suppressed["outcome"] == "ignored").all()


def test_the_chronic_alarm_keeps_one_incident_open(sample_result):
    from incidentsim.datasets.synthetic import STORY_ALARMS

    events = sample_result.events
    chronic = events[(events["alarm_arn"] == STORY_ALARMS["chronic"]) & (events["outcome"] == "created")]
    assert len(chronic) == 1
    incident = sample_result.incidents.set_index("incident_arn").loc[chronic.iloc[0]["incident_arn"]]
    assert incident["status"] == "OPEN" and pd.isna(incident["resolved_time"])


def test_a_served_emulator_gives_the_same_tables(server, sample):
    control = EmulatorControl(server.endpoint_url)
    control.reset()
    window = sample[sample["timestamp"] < sample["timestamp"].min() + pd.Timedelta(days=3)].reset_index(drop=True)
    policy = Policy.from_yaml(DATA / "sample-policy.yaml")
    in_process = replay(window, policy, progress=False)
    served = replay(window, policy, endpoint_url=server.endpoint_url, progress=False)
    control.reset()
    pd.testing.assert_frame_equal(in_process.events, served.events)
    pd.testing.assert_frame_equal(in_process.incidents, served.incidents)
    assert served.meta["emulator"].startswith("the emulator served at http://127.0.0.1:")


@pytest.mark.parametrize("name", ["18V_55N_Wireless", "24V_439N_Microwave", "25V_474N_Microwave"])
def test_huawei_sets_accounting(corpus, name):
    """The first 3,000 occurrences of each set (the full sets wait for the fast engine; issue 'fast engine')."""
    load = load_alarms(corpus / "huawei-pcic2021-alarms" / name / "Alarm.csv", time_origin="2024-01-01")
    alarms = load.alarms.iloc[:6000].reset_index(drop=True)
    policy = Policy.from_dict(
        {
            "response_plans": [{"name": "network", "title": "Network alarm", "impact": 3}],
            "routes": [{"name": "all", "match": {"alarm_name": "*"}, "plan": "network", "title": "{{ alarm_name }}"}],
            "resolve": {"strategy": "on_ok", "delay": "5m"},
        }
    )
    result = replay(alarms, policy, progress=False)
    check_accounting(alarms, result)
    assert result.summary()["created"] > 0
