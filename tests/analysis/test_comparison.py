"""compare: two replays of one hand-built history, per alarm and per plan."""

from __future__ import annotations

import pytest

import incidentsim
from incidentsim.analysis import compare
from incidentsim.params import InvalidParameterError
from incidentsim.replay import replay

from ..replay.helpers import history, policy

A = "web-5xx"
B = "web-latency"


def run(frame, **policy_overrides):
    return replay(frame, policy(**policy_overrides), progress=False)


def test_compare_two_policies():
    frame = history((0, A, "ALARM", "OK"), (1, B, "ALARM", "OK"), (2, "db-cpu", "ALARM", "OK"))
    separate = run(frame)
    merged = run(
        frame,
        response_plans=[
            {"name": "web", "title": "Web", "impact": 3, "dedupe_string": "web"},
            {"name": "db", "title": "DB", "impact": 2},
        ],
    )
    by_alarm = compare(separate, merged).set_index("alarm_name")
    assert by_alarm.loc[B, ["incidents_a", "incidents_b", "incidents_diff", "deduplicated_b"]].tolist() == [1, 0, -1, 1]
    assert by_alarm.loc["db-cpu", "incidents_diff"] == 0
    by_plan = compare(separate, merged, by="plan").set_index("response_plan")
    assert by_plan.loc["web", ["incidents_a", "incidents_b"]].tolist() == [2, 1]
    with pytest.raises(
        InvalidParameterError,
        match=r"The 'by' parameter of compare must be one of \{alarm, plan\}. Got 'region' instead.",
    ):
        compare(separate, merged, by="region")


def test_compare_is_still_reached_from_the_package_and_from_replay():
    from incidentsim.replay import compare as from_replay

    assert incidentsim.compare is from_replay is compare
