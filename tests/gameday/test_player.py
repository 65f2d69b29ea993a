"""The game-day player against a served emulator: faults, pacing controls, interruption and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import incidentsim
from incidentsim.gameday import GameDay, GameDayError, Scenario, load_scenario, nothing_lost, read_journal

DATA = Path(__file__).resolve().parents[2] / "data"
SAMPLE = DATA / "gameday-cascade.yaml"


def storm(speed: str = "max", faults: str = "", attempts: int = 5, events: int = 12) -> Scenario:
    """Alarms a minute apart: web alarms feed one incident by dedupe string, db alarms open their own."""
    lines = []
    for i in range(events):
        alarm = f"web-{i % 3}" if i % 2 == 0 else f"db-{i}"
        lines.append(f'  - {{timestamp: "2024-05-01T09:{i:02d}:00Z", alarm_name: {alarm}, state: ALARM}}')
    text = (
        "name: storm\nevents:\n" + "\n".join(lines) + "\n"
        "policy:\n"
        "  response_plans:\n"
        "    - {name: web, title: Web degraded, impact: 3, dedupe_string: web}\n"
        "    - {name: db, title: Database degraded, impact: 2}\n"
        "  routes:\n"
        "    - {name: db, match: {alarm_name: 'db-*'}, plan: db, title: '{{ alarm_name }} is hot'}\n"
        "    - {name: web, match: {alarm_name: 'web-*'}, plan: web}\n"
        f"speed: {speed}\nseed: 3\nretries: {{max_attempts: {attempts}}}\n" + faults
    )
    return Scenario.from_yaml(text)


def fault_free(scenario: Scenario) -> incidentsim.ReplayResult:
    return incidentsim.replay(scenario.alarms, scenario.policy, progress=False)


def test_the_sample_scenario_with_faults_creates_exactly_the_fault_free_incidents(tmp_path):
    scenario = load_scenario(SAMPLE).replace(speed="max")
    heavy = {"*": {"throttle": 0.1, "server_error": 0.15, "commit_then_fail": 0.15, "latency_s": 0.002}}
    from incidentsim.emulator.faults import FaultRule

    scenario = scenario.replace(faults={op: FaultRule(**rule) for op, rule in heavy.items()}, max_attempts=8)
    with GameDay(scenario, out=tmp_path) as game:
        record = game.run()
    reference = fault_free(scenario)
    assert nothing_lost(record, reference).empty
    summary = record.summary()
    # every event has one outcome, every trigger reached an incident
    assert summary["events"] == len(scenario.alarms) and record.complete
    assert summary["triggers"] == summary["created"] + summary["deduplicated"] + summary["rejected"] + summary["failed"]
    assert summary["failed"] == 0 and summary["created"] == len(reference.incidents)
    assert record.result.events["outcome"].astype(str).tolist() == reference.events["outcome"].astype(str).tolist()
    assert record.result.incidents[["title", "impact", "trigger_count"]].equals(
        reference.incidents[["title", "impact", "trigger_count"]]
    )
    # the faults were real, each one was retried, and the client saw what the emulator injected
    assert record.faults_injected["commit_then_fail"] > 0 and record.faults_injected["throttle"] > 0
    assert summary["faults_met"] == summary["faults_injected"] == summary["retries"] > 0
    lost_answers = record.faults_injected["commit_then_fail"]
    assert record.faults_met()["InternalServerException"] == record.faults_injected["server_error"] + lost_answers
    # the record on disk says the same
    written = json.loads((tmp_path / "gameday.json").read_text())
    assert written["complete"] is True and written["retries"] == summary["retries"]
    timeline = pd.read_csv(tmp_path / "timeline.csv")
    assert len(timeline) == summary["calls"] and (timeline["attempts"] > 1).sum() == summary["calls_retried"]
    assert set(timeline["operation"]) == {"StartIncident", "UpdateIncidentRecord"}
    assert timeline["duration_s"].min() >= 0.002  # the injected latency, on every answer
    assert incidentsim.ReplayResult.read(tmp_path).summary()["created"] == summary["created"]


def test_a_trigger_whose_retries_run_out_is_recorded_as_failed_not_dropped():
    scenario = storm(faults="faults:\n  operations:\n    StartIncident: {server_error: 1.0}\n", attempts=2, events=4)
    with GameDay(scenario) as game:
        record = game.run()
    events = record.result.events
    assert events["outcome"].astype(str).tolist() == ["failed"] * 4
    assert set(events["error_code"]) == {"InternalServerException"}
    assert events["explanation"].str.contains("until the retries ran out").all()
    assert events["explanation"].str.contains("gave up after 2 attempts").all()
    assert record.result.incidents.empty and record.summary()["failed"] == 4
    assert record.timeline["attempts"].tolist() == [2, 2, 2, 2]
    # and the check against the fault-free replay says so
    assert set(nothing_lost(record, fault_free(scenario))["side"]) == {"replay"}


def test_pause_step_and_resume():
    scenario = storm(speed="600x", events=12)  # a minute apart at 600x: one event every 0.1 s
    with GameDay(scenario) as game:
        seen = []
        game.on_update(lambda status: seen.append(status.position))
        game.start()
        deadline = time.monotonic() + 60
        while game.status.position < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        game.pause()
        held = game.status.position
        assert game.state == "paused" and held >= 2
        time.sleep(0.4)  # four events' worth of wall time
        assert game.status.position == held
        assert game.step().position == held + 1
        assert game.step(2).position == held + 3
        assert game.state == "paused"
        game.resume()
        assert game.wait(60)
        record = game.record()
    assert game.state == "finished" and record.complete
    assert seen == sorted(seen) and seen[-1] == 12
    assert nothing_lost(record, fault_free(scenario)).empty


def test_pacing_follows_the_scaled_clock():
    scenario = storm(speed="1200x", events=6)  # a minute apart: 0.05 s apart on the wall
    with GameDay(scenario) as game:
        record = game.run()
    timeline = record.timeline
    sent = timeline["wall_s"].to_numpy()
    # every call goes out no earlier than its event's place on the scaled clock, counted from the game day's start
    # (the first may go out late, so the gaps between calls are not bounded below): the last trigger, 5 simulated
    # minutes after the first, no earlier than 0.25 s into the game day
    due = ((timeline["sim_time"] - timeline["sim_time"].iloc[0]).dt.total_seconds() / 1200).to_numpy()
    assert due[-1] == 5 * 60 / 1200
    assert (sent >= due - 0.001).all(), list(zip(sent, due))
    assert list(sent) == sorted(sent)


def test_seek_forward_plays_what_lies_between_and_seek_back_starts_again():
    scenario = storm(events=10)
    with GameDay(scenario) as game:
        status = game.seek("2024-05-01T09:04:30Z")
        assert status.position == 5 and game.state == "paused"
        assert status.sim_time == pd.Timestamp("2024-05-01T09:04:30Z")
        assert game.seek("2024-05-01T09:02:00Z").position == 2
        assert len(game.record().result.events) == 2
        game.resume()  # plays on from 09:02 on a thread of its own
        assert game.wait(60)
        record = game.record()
    assert record.complete and len(record.result.events) == 10
    assert nothing_lost(record, fault_free(scenario)).empty


def test_a_stopped_game_day_keeps_its_partial_record_and_resumes_on_a_fresh_endpoint(tmp_path):
    scenario = storm(events=12, faults="faults: {server_error: 0.2, commit_then_fail: 0.2}\n")
    with GameDay(scenario, out=tmp_path) as game:
        game.step(5)
        partial = game.stop()
    assert not partial.complete and len(partial.result.events) == 5
    written = json.loads((tmp_path / "gameday.json").read_text())
    assert written["complete"] is False and written["played"] == 5 and written["total"] == 12
    assert len(pd.read_csv(tmp_path / "events.csv")) == 5
    journal = read_journal(tmp_path / "journal.jsonl")
    assert sorted(journal["answers"]) == [0, 1, 2, 3, 4]
    played = partial.result.events[["event_id", "outcome", "incident_arn"]].astype(str)

    # the game day's own server is gone: the five events are re-sent without faults, the same incidents come back
    with GameDay(scenario, out=tmp_path, resume=True) as game:
        record = game.run()
    assert record.complete and len(record.result.events) == 12
    again = record.result.events[["event_id", "outcome", "incident_arn"]].astype(str).iloc[:5]
    assert again.equals(played)
    assert nothing_lost(record, fault_free(scenario)).empty
    # the timeline holds the calls of both sittings, once each
    starts = record.timeline[record.timeline["operation"] == "StartIncident"]
    assert starts["event_index"].tolist() == sorted(set(starts["event_index"].tolist()))
    assert len(starts) == record.summary()["triggers"]


def test_resume_against_the_endpoint_that_still_holds_the_incidents_sends_nothing_twice(tmp_path, server):
    scenario = storm(events=10)
    with GameDay(scenario, endpoint_url=server.endpoint_url, out=tmp_path, reset=True) as game:
        game.step(4)
        game.stop()
    client = incidentsim.make_client(endpoint_url=server.endpoint_url)
    before = len(client.list_incident_records()["incidentRecordSummaries"])
    with pytest.raises(GameDayError, match="already holds incident records"):
        GameDay(scenario, endpoint_url=server.endpoint_url).prepare()
    with GameDay(scenario, endpoint_url=server.endpoint_url, out=tmp_path, resume=True) as game:
        record = game.run()
    assert before == 3  # db-1, db-3 and the web incident
    assert len(client.list_incident_records()["incidentRecordSummaries"]) == len(record.result.incidents) == 6
    assert nothing_lost(record, fault_free(scenario)).empty


def test_a_crash_keeps_what_was_played_and_the_run_resumes(tmp_path):
    scenario = storm(events=8)
    game = GameDay(scenario, out=tmp_path)

    def crash(status):
        if status.position == 3:
            raise OSError("the laptop lid closed")

    game.on_update(crash)
    with pytest.raises(GameDayError, match="crashed: OSError"):
        game.run()
    game.close()
    assert game.state == "crashed" and isinstance(game.error, OSError)
    assert json.loads((tmp_path / "gameday.json").read_text())["played"] == 3
    with GameDay(scenario, out=tmp_path, resume=True) as resumed:
        record = resumed.run()
    assert record.complete and nothing_lost(record, fault_free(scenario)).empty


def test_a_journal_of_another_scenario_is_refused(tmp_path):
    with GameDay(storm(events=4), out=tmp_path) as game:
        game.step()
        game.stop()
    with pytest.raises(GameDayError, match="journal of another scenario"):
        GameDay(storm(events=5), out=tmp_path, resume=True)
    with pytest.raises(GameDayError, match="nothing to resume"):
        GameDay(storm(events=4), out=tmp_path / "elsewhere", resume=True)


def _aws_env() -> dict[str, str]:
    return {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_PAGER": "",
    }


def test_the_aws_cli_lists_the_incidents_while_the_game_day_plays():
    scenario = storm(speed="120x", events=12)  # a minute apart: half a second apart on the wall
    with GameDay(scenario) as game:
        game.start()
        while game.status.incidents_created < 2:
            time.sleep(0.02)
        command = [
            sys.executable,
            "-m",
            "awscli",
            "ssm-incidents",
            "list-incident-records",
            "--endpoint-url",
            str(game.endpoint_url),
            "--output",
            "json",
        ]
        during = subprocess.run(command, capture_output=True, text=True, env=_aws_env(), timeout=120)
        mid_game = game.status
        assert during.returncode == 0, during.stderr
        listed = json.loads(during.stdout)["incidentRecordSummaries"]
        assert game.wait(120)
        record = game.record()
        after = json.loads(subprocess.run(command, capture_output=True, text=True, env=_aws_env(), timeout=120).stdout)
    assert 2 <= len(listed) <= mid_game.incidents_created < len(record.result.incidents)
    assert {item["arn"] for item in after["incidentRecordSummaries"]} == set(record.result.incidents["incident_arn"])
    titles = {item["title"] for item in after["incidentRecordSummaries"]}
    assert "Web degraded" in titles and "db-1 is hot" in titles


def test_ctrl_c_on_the_command_line_keeps_the_record_and_resume_finishes_it(tmp_path):
    scenario = tmp_path / "storm.yaml"
    text = (
        Path(SAMPLE)
        .read_text()
        .replace("alarm-events.jsonl", str(DATA / "alarm-events.jsonl"))
        .replace("policy: sample-policy.yaml", f"policy: {DATA / 'sample-policy.yaml'}")
    )
    scenario.write_text(text)
    out = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "incidentsim.cli",
        "gameday",
        str(scenario),
        "--speed",
        "300",
        "--out",
        str(out),
        "--quiet",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    journal = out / "journal.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if journal.exists() and journal.read_text().count('"kind": "event"') >= 10:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "--resume" in stdout and "stopping after the call in flight" in stderr
    summary = json.loads((out / "gameday.json").read_text())
    assert summary["complete"] is False and 10 <= summary["played"] < summary["total"]
    resumed = subprocess.run(
        [*command[:-1], "--quiet", "--resume", "--speed", "max"], capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "Every trigger accounted for" in resumed.stdout
    assert json.loads((out / "gameday.json").read_text())["complete"] is True


def test_the_notebook_panel_shows_the_figures_and_drives_the_player():
    from incidentsim.gameday.panel import GameDayPanel

    scenario = storm(events=10)
    with GameDay(scenario) as game:
        panel = GameDayPanel(game, rows=3)
        assert "no incidents yet" in panel.incidents.value and "not started" in panel.figures.value
        panel.buttons["step"].click()
        panel.buttons["step"].click()
        assert panel.progress.value == 2 and game.state == "paused"
        assert "Web degraded" in panel.incidents.value and "db-1 is hot" in panel.incidents.value
        panel.seek_to.value = "not a time"
        panel.buttons["seek"].click()
        assert "seek:" in panel.message.value and game.status.position == 2
        panel.seek_to.value = "2024-05-01T09:06:30Z"
        panel.buttons["seek"].click()
        assert panel.message.value == "" and panel.progress.value == 7
        panel.buttons["resume"].click()
        assert game.wait(60)
        panel.refresh()
        assert panel.progress.value == 10 and ">finished<" in panel.figures.value
        listed = game.incidents_so_far()
        assert len(listed) == len(game.record().result.incidents) == 6
        assert panel.incidents.value.count("<tr") == 1 + 3  # header and the three newest
        panel.buttons["start"].click()
        assert "cannot be started again" in panel.message.value


def test_a_resolution_whose_retries_run_out_leaves_the_incident_open_as_the_service_does():
    text = """\
name: flap
events:
  - {timestamp: "2024-05-01T09:00:00Z", alarm_name: web-1, state: ALARM}
  - {timestamp: "2024-05-01T09:05:00Z", alarm_name: web-1, state: OK}
  - {timestamp: "2024-05-01T09:30:00Z", alarm_name: web-1, state: ALARM}
policy:
  response_plans:
    - {name: web, title: Web degraded, impact: 3, dedupe_string: web}
  unmatched: web
  resolve: {strategy: on_ok, delay: 10m}
speed: max
retries: {max_attempts: 2}
faults:
  operations:
    UpdateIncidentRecord: {server_error: 1.0}
"""
    scenario = Scenario.from_yaml(text)
    with GameDay(scenario) as game:
        record = game.run()
        client = incidentsim.make_client(endpoint_url=game.endpoint_url)
        listed = client.list_incident_records()["incidentRecordSummaries"]
    resolutions = record.timeline[record.timeline["operation"] == "UpdateIncidentRecord"]
    assert resolutions["outcome"].tolist()[0] == "failed" and resolutions["attempts"].tolist()[0] == 2
    # the incident was never resolved, so the re-alarm is deduplicated into it, as the service did it
    assert record.result.events["outcome"].astype(str).tolist() == ["created", "ignored", "deduplicated"]
    assert [item["status"] for item in listed] == ["OPEN"]
    # the fault-free replay resolves it at 09:15 and opens a second incident at 09:30
    assert len(fault_free(scenario).incidents) == 2 and not nothing_lost(record, fault_free(scenario)).empty
