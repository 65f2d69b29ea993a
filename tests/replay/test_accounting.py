"""Row accounting on the bundled sample and the Huawei sets, in process and against a served emulator."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from incidentsim import load_alarms, replay
from incidentsim.emulator.server import EmulatorControl
from incidentsim.policy import Policy

from .accounting import HUAWEI_POLICY, check_accounting

DATA = Path(__file__).resolve().parents[2] / "data"


def test_bundled_sample_accounting(sample_alarms, sample_emulated):
    check_accounting(sample_alarms, sample_emulated)
    s = sample_emulated.summary()
    assert s["events"] == 3297 and s["created"] > 0 and s["deduplicated"] > 0 and s["rejected"] == 0
    events = sample_emulated.events
    # the maintenance flag route and suppressed composite actions start nothing
    flag = events[events["alarm_name"] == "payments-maintenance-mode"]
    assert (flag["outcome"] == "ignored").all()
    suppressed = events[(events["actions_suppressed_by"] != "") & (events["state"] == "ALARM")]
    assert len(suppressed) > 0 and (suppressed["outcome"] == "ignored").all()


def test_the_chronic_alarm_keeps_one_incident_open(sample_emulated):
    from incidentsim.datasets.synthetic import STORY_ALARMS

    events = sample_emulated.events
    chronic = events[(events["alarm_arn"] == STORY_ALARMS["chronic"]) & (events["outcome"] == "created")]
    assert len(chronic) == 1
    incident = sample_emulated.incidents.set_index("incident_arn").loc[chronic.iloc[0]["incident_arn"]]
    assert incident["status"] == "OPEN" and pd.isna(incident["resolved_time"])


def test_a_served_emulator_gives_the_same_tables(server, sample_alarms):
    control = EmulatorControl(server.endpoint_url)
    control.reset()
    window = sample_alarms[
        sample_alarms["timestamp"] < sample_alarms["timestamp"].min() + pd.Timedelta(days=3)
    ].reset_index(drop=True)
    policy = Policy.from_yaml(DATA / "sample-policy.yaml")
    in_process = replay(window, policy, progress=False)
    served = replay(window, policy, endpoint_url=server.endpoint_url, progress=False)
    control.reset()
    pd.testing.assert_frame_equal(in_process.events, served.events)
    pd.testing.assert_frame_equal(in_process.incidents, served.incidents)
    assert served.meta["emulator"].startswith("the emulator served at http://127.0.0.1:")


@pytest.mark.parametrize("name", ["18V_55N_Wireless", "24V_439N_Microwave", "25V_474N_Microwave"])
def test_huawei_sets_accounting(corpus, name):
    """Every occurrence of each set through the fast engine (the emulator engine's rows on the first ones are
    held to the same accounting, and equal to these, in test_equality)."""
    load = load_alarms(corpus / "huawei-pcic2021-alarms" / name / "Alarm.csv", time_origin="2024-01-01")
    result = replay(load.alarms, HUAWEI_POLICY, engine="fast")
    check_accounting(load.alarms, result)
    assert result.summary()["created"] > 0
