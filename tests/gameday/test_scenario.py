"""Scenario files: the bundled sample, inline events, and a clear message for every mistake."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from incidentsim.emulator.faults import FaultRule
from incidentsim.gameday import Scenario, ScenarioError, load_scenario, parse_speed
from incidentsim.datasets.synthetic import story_windows

DATA = Path(__file__).resolve().parents[2] / "data"
SAMPLE = DATA / "gameday-cascade.yaml"

INLINE = """\
name: two-alarms
events:
  - {timestamp: "2024-05-01T09:00:00Z", alarm_name: web-5xx, state: ALARM}
  - {timestamp: "2024-05-01T09:01:00Z", alarm_name: db-cpu, state: ALARM}
  - {timestamp: "2024-05-01T09:05:00Z", alarm_name: web-5xx, state: OK}
policy:
  response_plans:
    - {name: web, title: Web degraded, impact: 3}
  unmatched: web
speed: max
"""


def test_the_sample_scenario_plays_the_cascade_with_every_record_accounted_for():
    scenario = load_scenario(SAMPLE)
    begin, end = story_windows()["cascade"]
    times = scenario.alarms["timestamp"]
    assert scenario.name == "checkout-cascade" and scenario.speed == 60.0 and scenario.seed == 7
    assert times.min() >= pd.Timestamp("2024-04-18T13:50:00Z") and times.max() < pd.Timestamp("2024-04-18T17:00:00Z")
    assert times.min() < begin + pd.Timedelta(minutes=5) and times.max() > end - pd.Timedelta(minutes=30)
    counts = scenario.loaded
    assert counts["read"] == counts["loaded"] + counts["rejected"] + counts["skipped"]
    assert counts["loaded"] == counts["played"] + counts["outside_slice"] and counts["played"] == len(scenario.alarms)
    assert scenario.faults == {"*": FaultRule(throttle=0.05, server_error=0.05, commit_then_fail=0.05, latency_s=0.02)}
    assert scenario.max_attempts == 6 and scenario.policy.name == "sample-policy"
    assert "checkout-cascade" in scenario.describe() and "60x" in scenario.describe()
    assert math.isclose(scenario.wall_duration_s, scenario.span.total_seconds() / 60)


def test_inline_events_take_their_previous_state_from_the_alarms_own_history():
    scenario = Scenario.from_yaml(INLINE)
    frame = scenario.alarms
    assert frame["alarm_name"].tolist() == ["web-5xx", "db-cpu", "web-5xx"]
    assert frame["previous_state"].astype(str).tolist()[2] == "ALARM"
    assert math.isinf(scenario.speed) and scenario.faults == {}


def test_speeds_are_read_as_people_write_them():
    assert (
        parse_speed("120x", "speed") == 120.0
        and parse_speed(30, "speed") == 30.0
        and math.isinf(parse_speed("max", "speed"))
    )
    with pytest.raises(ScenarioError, match="speed: expected a speed"):
        parse_speed("-3", "speed")


def test_replace_changes_the_speed_and_the_fingerprint_ignores_it():
    scenario = Scenario.from_yaml(INLINE)
    faster = scenario.replace(speed="600x")
    assert faster.speed == 600.0 and faster.fingerprint() == scenario.fingerprint()
    other = Scenario.from_yaml(INLINE.replace("impact: 3", "impact: 4"))
    assert other.fingerprint() != scenario.fingerprint()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("speed: max", "speed: fast"), "scenario:10 speed: expected a speed such as 60, '60x' or 'max', got 'fast'"),
        (
            ("speed: max", "speed: max\nfaults: {throttle: 1.5}"),
            "scenario:11 faults.throttle: expected a number in [0, 1], got 1.5",
        ),
        (
            ("speed: max", "speed: max\nfaults: {throttle: high}"),
            "scenario:11 faults.throttle: expected a number, got 'high'",
        ),
        (
            ("speed: max", "speed: max\nfaults: {throttle: 0.6, server_error: 0.6}"),
            "scenario:11 faults.server_error: expected to add up to at most 1 with the other fault probabilities, "
            "got 0.6 (1.2 in all)",
        ),
        (
            ("speed: max", "speed: max\nfaults:\n  operations:\n    StartIncidnet: {throttle: 0.1}"),
            "scenario:13 faults.operations.StartIncidnet: unknown key; expected one of",
        ),
        (
            ("speed: max", "speed: max\nretries: {max_attempts: 0}"),
            "scenario:11 retries.max_attempts: expected a whole number from 1 to 20",
        ),
        (("speed: max", "speed: max\nseed: -1"), "scenario:11 seed: expected a whole number >= 0"),
        (("speed: max", "speed: max\nsped: 3"), "scenario:11 sped: unknown key; expected one of name"),
        (
            ("state: OK", "state: GREEN"),
            "scenario:5 events[2].state: expected one of OK, ALARM, INSUFFICIENT_DATA, got 'GREEN'",
        ),
        (('timestamp: "2024-05-01T09:01:00Z", ', ""), "scenario:4 events[1]: an event needs 'timestamp'"),
        (("2024-05-01T09:05:00Z", "yesterday"), "scenario:5 events[2].timestamp: expected a time"),
        (("impact: 3", "impact: 9"), "scenario policy:8 response_plans[0].impact: expected an impact from 1"),
        (("name: two-alarms\n", ""), "scenario:1 name: a scenario needs a name"),
        (("unmatched: web", "unmatched: web\nhistory: x.jsonl"), "give exactly one of 'history'"),
        (("- {name: web", "- {nme: web"), "response_plans[0].nme: unknown key"),
    ],
)
def test_every_mistake_names_the_line_and_key(change, message):
    old, new = change
    assert old in INLINE
    with pytest.raises(ScenarioError) as excinfo:
        Scenario.from_yaml(INLINE.replace(old, new, 1))
    assert message in str(excinfo.value)


def test_history_slices_and_files_are_checked(tmp_path):
    text = SAMPLE.read_text()
    (tmp_path / "s.yaml").write_text(text.replace("files: [alarm-events.jsonl]", "files: [missing.jsonl]"))
    with pytest.raises(ScenarioError, match=r"s\.yaml:\d+ history\.files: no such file: .*missing\.jsonl"):
        load_scenario(tmp_path / "s.yaml")
    backwards = (
        text.replace("end: 2024-04-18T17:00:00Z", "end: 2024-04-18T12:00:00Z")
        .replace("files: [alarm-events.jsonl]", f"files: [{DATA / 'alarm-events.jsonl'}]")
        .replace("policy: sample-policy.yaml", f"policy: {DATA / 'sample-policy.yaml'}")
    )
    (tmp_path / "b.yaml").write_text(backwards)
    with pytest.raises(ScenarioError, match=r"b\.yaml:\d+ history\.end: the slice ends .* at or before it starts"):
        load_scenario(tmp_path / "b.yaml")
    empty = backwards.replace("end: 2024-04-18T12:00:00Z", "end: 2024-04-18T13:51:00Z").replace(
        "13:50:00Z", "13:50:30Z"
    )
    (tmp_path / "e.yaml").write_text(empty)
    with pytest.raises(ScenarioError, match="there is nothing to play"):
        load_scenario(tmp_path / "e.yaml")
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario(tmp_path / "absent.yaml")
    (tmp_path / "bad.yaml").write_text("name: x\n  events: [\n")
    with pytest.raises(ScenarioError, match=r"bad\.yaml:2: not valid YAML"):
        load_scenario(tmp_path / "bad.yaml")
