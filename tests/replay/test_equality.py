"""The fast engine gives the emulator engine's tables: random histories and random policies (Hypothesis),
the bundled sample and the Huawei sets."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from incidentsim import load_alarms, replay
from incidentsim.datasets.schema import alarm_arn, number_duplicates, record_id, validate_alarm_frame
from incidentsim.policy import Policy

from ..fuzzing import examples
from .equality import assert_same_result
from .accounting import HUAWEI_POLICY, check_accounting

DATA = Path(__file__).resolve().parents[2] / "data"
T0 = pd.Timestamp("2024-05-01T00:00:00Z")
ALARMS = [("web-5xx", "us-east-1"), ("web-latency", "us-east-1"), ("db-cpu", "eu-west-1"), ("web-5xx", "eu-west-1")]
STATES = ["OK", "ALARM", "INSUFFICIENT_DATA"]


@st.composite
def histories(draw) -> pd.DataFrame:
    current = {alarm: draw(st.sampled_from(STATES)) for alarm in ALARMS}
    rows, millis = [], 0
    for index in range(draw(st.integers(1, 60))):
        millis += draw(st.sampled_from([0, 250, 999, 1000, 60_000, 300_000, 900_000, 3_600_000]))
        alarm = draw(st.sampled_from(ALARMS))
        previous = current[alarm]
        # mostly real transitions (into ALARM from elsewhere, back to OK), sometimes anything
        usual = "OK" if previous == "ALARM" else "ALARM"
        state = draw(st.sampled_from([usual, usual, usual, *STATES]))
        current[alarm] = state
        name, region = alarm
        raw = json.dumps(
            {"i": index if not rows or not draw(st.booleans()) else rows[-1]["n"], "alarm": name, "state": state}
        )
        rows.append(
            {
                "n": index,
                "timestamp": T0 + pd.Timedelta(milliseconds=millis),
                "account_id": "111111111111",
                "region": region,
                "alarm_name": name,
                "alarm_arn": alarm_arn("111111111111", region, name),
                "state": state,
                "previous_state": previous,
                "reason": draw(st.sampled_from(["Threshold Crossed", "Threshold Crossed", "x" * 190])),
                # a source over the API's 50 characters is refused by the service's validation
                "source": draw(
                    st.sampled_from(["aws.cloudwatch"] * 8 + ["custom.monitor", "custom.monitor", "custom." + "x" * 50])
                ),
                "actions_suppressed_by": draw(st.sampled_from(["", "", "", "WaitPeriod"])),
                "raw": raw,
                "origin": f"h:{index}",
            }
        )
    frame = pd.DataFrame(rows).drop(columns=["n"])
    ids, duplicates = number_duplicates([record_id(raw) for raw in frame["raw"]])
    return validate_alarm_frame(frame.assign(event_id=ids, duplicate=duplicates))


titles = st.sampled_from(
    [None, "{{ alarm_name }} in {{ region }}", "{{ alarm_name }}: {{ reason }}", "{{ service }}", "{{ time }}"]
)
patterns = st.sampled_from(["web-*", "*-5xx", "db-*", "*", ["web-latency", "db-*"], {"regex": "latency$"}])


@st.composite
def policies(draw) -> Policy:
    plans = [
        {
            "name": "web",
            "title": "Web",
            "impact": 3,
            **({"dedupe_string": "web-outage"} if draw(st.booleans()) else {}),
        },
        {"name": "db", "title": "DB", "impact": 2},
    ]
    routes = []
    for i in range(draw(st.integers(0, 3))):
        route = {"name": f"r{i}", "match": {"alarm_name": draw(st.one_of(patterns, st.just("*")))}}
        if draw(st.integers(0, 4)) == 0:
            route["ignore"] = True
        else:
            route["plan"] = draw(st.sampled_from(["web", "db"]))
            if draw(st.booleans()):
                route["impact"] = draw(st.integers(1, 5))
            if draw(st.booleans()):
                route["impact_rules"] = [{"when": {"region": "eu-*"}, "impact": draw(st.integers(1, 5))}]
            title = draw(titles)
            if title:
                route["title"] = title
        routes.append(route)
    token = draw(
        st.sampled_from(
            [
                {"strategy": "per_event"},
                {"strategy": "per_alarm_window", "window": "30m"},
                {"strategy": "per_alarm_window", "window": "2h", "on_mismatch": "conflict"},
                {"strategy": "template", "template": "{{ alarm_name }}-{{ date }}"},
                {"strategy": "none"},
            ]
        )
    )
    resolve = draw(
        st.sampled_from(
            [
                {"strategy": "on_ok", "delay": "0m"},
                {"strategy": "on_ok", "delay": "20m"},
                {"strategy": "after", "after": "45m"},
                {"strategy": "never"},
            ]
        )
    )
    emulator = {}
    if draw(st.booleans()):
        emulator["dedupe_scope"] = "response_plan"
    if draw(st.booleans()):
        emulator["trigger_dedupe"] = False
    if draw(st.booleans()):
        emulator["client_token_ttl_s"] = 1800
    return Policy.from_dict(
        {
            "response_plans": plans,
            "routes": routes,
            "unmatched": draw(st.sampled_from(["ignore", "web", "web"])),
            "client_token": token,
            "resolve": resolve,
            "title_overflow": draw(st.sampled_from(["reject", "truncate"])),
            "emulator": emulator,
        }
    )


@pytest.mark.long
@settings(
    max_examples=examples(60, 2000),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(frame=histories(), policy=policies())
def test_fast_equals_emulator_on_random_histories_and_policies(frame, policy):
    emulated = replay(frame, policy, progress=False)
    fast = replay(frame, policy, engine="fast")
    assert_same_result(emulated, fast)
    for outcome, reason, code in set(
        zip(fast.events["outcome"], fast.events["dedup_reason"], fast.events["error_code"])
    ):
        event(f"{outcome} {reason} {code}".strip())


def test_fast_equals_emulator_on_the_bundled_sample(sample_alarms, sample_emulated):
    policy = Policy.from_yaml(DATA / "sample-policy.yaml")
    assert_same_result(sample_emulated, replay(sample_alarms, policy, engine="fast"))


@pytest.mark.long
@pytest.mark.parametrize("name", ["18V_55N_Wireless", "24V_439N_Microwave", "25V_474N_Microwave"])
def test_fast_equals_emulator_on_the_huawei_sets(corpus, name):
    """The first 1,500 state changes of each set through both engines (every one under the long profile),
    held to the row accounting too; the full sets' accounting is in test_accounting."""
    load = load_alarms(corpus / "huawei-pcic2021-alarms" / name / "Alarm.csv", time_origin="2024-01-01")
    head = load.alarms.iloc[: examples(1500, len(load.alarms))].reset_index(drop=True)
    emulated = replay(head, HUAWEI_POLICY, progress=False)
    check_accounting(head, emulated)
    assert emulated.summary()["created"] > 0
    assert_same_result(emulated, replay(head, HUAWEI_POLICY, engine="fast"))


def test_the_fast_engine_refuses_a_client():
    frame = validate_alarm_frame(
        pd.DataFrame(
            [
                {
                    "event_id": "e",
                    "timestamp": T0,
                    "account_id": "111111111111",
                    "region": "us-east-1",
                    "alarm_name": "a",
                    "alarm_arn": alarm_arn("111111111111", "us-east-1", "a"),
                    "state": "ALARM",
                    "previous_state": "OK",
                    "reason": "",
                    "source": "aws.cloudwatch",
                    "raw": "{}",
                    "origin": "x",
                }
            ]
        )
    )
    with pytest.raises(ValueError, match="the fast engine calls no service"):
        replay(
            frame,
            Policy.from_dict({"response_plans": [{"name": "p", "title": "t", "impact": 3}]}),
            engine="fast",
            endpoint_url="http://127.0.0.1:5000",
        )


@pytest.mark.long
@settings(
    max_examples=examples(60, 1000),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(frame=histories(), policy=policies())
def test_decisions_by_codes_equal_the_row_by_row_reading(frame, policy):
    """``decide`` works per distinct value and input; the reference reads every row with the policy's own methods."""
    from incidentsim.replay.decisions import decide

    from .reference import reference_decide

    pd.testing.assert_frame_equal(decide(frame, policy), reference_decide(frame, policy))


def test_decisions_on_the_bundled_sample_equal_the_row_by_row_reading():
    from incidentsim.replay.decisions import decide

    from .reference import reference_decide

    alarms = load_alarms(DATA / "alarm-events.jsonl").alarms
    base = Policy.from_yaml(DATA / "sample-policy.yaml")
    for token in (
        {"strategy": "per_event"},
        {"strategy": "per_alarm_window", "window": "30m"},
        {"strategy": "template", "template": "{{ alarm_name }}-{{ date }}"},
        {"strategy": "none"},
    ):
        policy = Policy.from_dict({**base.to_dict(), "client_token": token})
        pd.testing.assert_frame_equal(decide(alarms, policy), reference_decide(alarms, policy))
