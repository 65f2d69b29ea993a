"""The game-day journal survives a crash at any byte: it is read, and resumed as many times as it takes."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import incidentsim
from incidentsim.gameday import GameDay, GameDayError, Scenario, nothing_lost, read_journal
from incidentsim.gameday.journal import Journal
from incidentsim.replay.result import INCIDENT_COLUMNS as incident_columns

EVENT = b'"kind": "event"'


def scenario_text(events: int, speed: str = "max", faults: str = "") -> str:
    """Alarms a minute apart: web alarms share one incident by dedupe string, db alarms open their own
    and clear two minutes later, and every fifth trigger is a payments alarm whose title is too long
    for StartIncident (rejected, with a message that is not ASCII)."""
    lines = []
    for i in range(events):
        if i % 5 == 3:
            alarm, state = f"zahlungsdienst-{i}-überlastet", "ALARM"
        elif i % 5 == 4:
            alarm, state = f"db-{i - 3}", "OK"
        elif i % 2 == 0:
            alarm, state = f"web-{i % 3}", "ALARM"
        else:
            alarm, state = f"db-{i}", "ALARM"
        minute = f"{9 + i // 60:02d}:{i % 60:02d}"
        lines.append(f'  - {{timestamp: "2024-05-01T{minute}:00Z", alarm_name: "{alarm}", state: {state}}}')
    return (
        "name: journal-crash\nevents:\n" + "\n".join(lines) + "\n"
        "policy:\n"
        "  response_plans:\n"
        "    - {name: web, title: Web degraded, impact: 3, dedupe_string: web}\n"
        "    - {name: db, title: Database degraded, impact: 2}\n"
        "    - {name: pay, title: Zahlungen gestört, impact: 1}\n"
        "  routes:\n"
        "    - {name: pay, match: {alarm_name: 'zahl*'}, plan: pay, title: '{{ alarm_name * 12 }} ist heiß'}\n"
        "    - {name: db, match: {alarm_name: 'db-*'}, plan: db, title: '{{ alarm_name }} is hot'}\n"
        "    - {name: web, match: {alarm_name: 'web-*'}, plan: web}\n"
        "  resolve: {strategy: on_ok, delay: 1m}\n"
        f"speed: {speed}\nseed: 5\nretries: {{max_attempts: 6}}\n" + faults
    )


def fault_free(scenario: Scenario) -> incidentsim.ReplayResult:
    return incidentsim.replay(scenario.alarms, scenario.policy, progress=False)


def line_starts(data: bytes) -> list[int]:
    """Where each line of a journal begins."""
    return [0] + [i + 1 for i, byte in enumerate(data) if byte == ord("\n") and i + 1 < len(data)]


def events_complete(data: bytes) -> int:
    """Event lines whose JSON is all there (its newline may be missing)."""
    whole = 0
    for line in data.split(b"\n"):
        try:
            whole += json.loads(line)["kind"] == "event"
        except ValueError:
            pass
    return whole


def records_by_event(journal: Path) -> dict[int, list[dict[str, Any]]]:
    """The call and event records of each event of a journal, in the order they were written."""
    records: dict[int, list[dict[str, Any]]] = {}
    pending: list[dict[str, Any]] = []
    for line in journal.read_bytes().splitlines():
        item = json.loads(line)
        if item["kind"] == "call":
            pending.append(item)
        elif item["kind"] == "event":
            records[item["i"]] = [*pending, item]
            pending = []
    return records


def starts_by_event(calls: list[dict[str, Any]]) -> list[int]:
    return [int(call["event_index"]) for call in calls if call["operation"] == "StartIncident"]


@pytest.fixture(scope="module")
def tiny() -> Scenario:
    return Scenario.from_yaml(scenario_text(9))


@pytest.fixture(scope="module")
def journals(tiny: Scenario, server: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A journal stopped after four events, the last one rejected (its message written as UTF-8, as any
    JSON Lines writer may), and the journal of the whole game day."""
    stopped, whole = tmp_path_factory.mktemp("stopped"), tmp_path_factory.mktemp("whole")
    with GameDay(tiny, endpoint_url=server.endpoint_url, reset=True, out=stopped) as game:
        game.step(4)
        game.stop()
    with GameDay(tiny, endpoint_url=server.endpoint_url, reset=True, out=whole) as game:
        game.run()
    journal = stopped / "journal.jsonl"
    lines = journal.read_bytes().splitlines(keepends=True)
    assert [json.loads(line)["kind"] for line in lines[-3:]] == ["call", "event", "faults"]
    last_event = json.loads(lines[-2])
    assert last_event["outcome"] == "rejected" and "überlastet" in last_event["error_message"]
    lines[-2] = json.dumps(last_event, ensure_ascii=False).encode("utf-8") + b"\n"
    journal.write_bytes(b"".join(lines))
    return {"stopped": journal, "whole": whole / "journal.jsonl"}


def test_a_journal_cut_at_any_byte_of_its_last_lines_is_read_and_carried_on_twice(journals, tmp_path):
    data = journals["stopped"].read_bytes()
    records = records_by_event(journals["whole"])
    header = {"scenario": "journal-crash", "fingerprint": read_journal(journals["stopped"])["header"]["fingerprint"]}
    starts = line_starts(data)
    first = starts[-3]  # the last event's call line, then the event line, then the faults line
    multibyte = [i for i in range(first, len(data)) if data[i] >= 0x80]
    assert multibyte, "the last event line holds characters that take more than one byte"
    triggers = starts_by_event(read_journal(journals["whole"])["calls"])
    journal = tmp_path / "journal.jsonl"
    for cut in range(first, len(data)):
        journal.write_bytes(data[:cut])
        played = events_complete(data[:cut])
        read = read_journal(journal)
        assert sorted(read["answers"]) == list(range(played)), f"cut at byte {cut}"
        assert starts_by_event(read["calls"]) == [i for i in triggers if i < played], f"cut at byte {cut}"
        # carry on twice, each sitting appending the next event's records as the player does
        for sitting in (1, 2):
            appended = Journal(journal)
            appended.open(header, fresh=False)
            for item in records[played + sitting - 1]:
                appended.write(item)
            appended.close()
            read = read_journal(journal)
            assert sorted(read["answers"]) == list(range(played + sitting)), f"cut at byte {cut}, sitting {sitting}"
            assert starts_by_event(read["calls"]) == [i for i in triggers if i < played + sitting], (
                f"cut at byte {cut}, sitting {sitting}"
            )
        assert journal.read_bytes().endswith(b"\n") and journal.read_bytes().count(b'"kind": "resume"') == 2


def test_a_cut_line_followed_by_more_is_still_reported_as_damage(journals, tmp_path):
    lines = journals["stopped"].read_bytes().splitlines(keepends=True)
    journal = tmp_path / "journal.jsonl"
    journal.write_bytes(b"".join(lines[:3]) + lines[3][:40] + b"".join(lines[4:]))
    with pytest.raises(
        GameDayError, match=r"journal\.jsonl:4: not a JSON line, and more follows: the journal is damaged"
    ):
        read_journal(journal)
    # a multi-byte character cut in two, followed by more
    cut = lines[-2].index("ü".encode()) + 1
    journal.write_bytes(b"".join(lines[:-2]) + lines[-2][:cut] + b"\n" + lines[-1])
    with pytest.raises(GameDayError, match=rf"journal\.jsonl:{len(lines) - 1}: not a JSON line, and more follows"):
        read_journal(journal)


def test_a_journal_whose_header_was_cut_short_starts_the_game_day_afresh(tiny, journals, tmp_path):
    head = journals["stopped"].read_bytes().split(b"\n")[0]
    journal = tmp_path / "journal.jsonl"
    for cut in range(len(head)):  # the header line without its newline is whole, and read as usual
        journal.write_bytes(head[:cut])
        with pytest.raises(GameDayError, match=r"journal\.jsonl:1: the header line is cut short"):
            read_journal(journal)
        assert GameDay(tiny, out=tmp_path, resume=True).resume_from is None, f"cut at byte {cut}"
    journal.write_bytes(head)
    assert GameDay(tiny, out=tmp_path, resume=True).resume_from is not None
    journal.write_bytes(b'{"kind": "event", "i": 0}\n')
    with pytest.raises(GameDayError, match="no header line; this is not a game-day journal"):
        GameDay(tiny, out=tmp_path, resume=True)


def _resume_twice(scenario: Scenario, endpoint_url: str, out: Path) -> None:
    with GameDay(scenario, endpoint_url=endpoint_url, reset=True, out=out, resume=True) as game:
        game.step(2)
        game.stop()
    with GameDay(scenario, endpoint_url=endpoint_url, reset=True, out=out, resume=True) as game:
        record = game.run()
    assert record.complete and nothing_lost(record, fault_free(scenario)).empty
    summary = record.summary()
    assert summary["events"] == len(scenario.alarms) and summary["failed"] == 0
    assert summary["triggers"] == summary["created"] + summary["deduplicated"] + summary["rejected"]
    starts = record.timeline[record.timeline["operation"] == "StartIncident"]
    assert sorted(starts["event_index"]) == sorted(set(starts["event_index"])) and len(starts) == summary["triggers"]
    read = read_journal(out / "journal.jsonl")
    assert sorted(read["answers"]) == list(range(len(scenario.alarms)))
    assert len(record.result.incidents) == len(fault_free(scenario).incidents)


@pytest.mark.parametrize(
    "where",
    [
        "after the last whole event",
        "one byte into the call line",
        "inside the call line",
        "at the event line",
        "inside a character of the event line",
        "before the event line's newline",
        "inside the faults line",
        "before the last newline",
        "an empty file",
        "inside the header",
    ],
)
def test_the_game_day_resumes_twice_from_a_journal_cut_there(where, tiny, journals, server, tmp_path):
    data = journals["stopped"].read_bytes()
    starts = line_starts(data)
    call, event, faults = starts[-3:]
    cut = {
        "after the last whole event": call,
        "one byte into the call line": call + 1,
        "inside the call line": (call + event) // 2,
        "at the event line": event,
        "inside a character of the event line": data.index("ü".encode(), event) + 1,
        "before the event line's newline": faults - 1,
        "inside the faults line": (faults + len(data)) // 2,
        "before the last newline": len(data) - 1,
        "an empty file": 0,
        "inside the header": starts[1] // 2,
    }[where]
    (tmp_path / "journal.jsonl").write_bytes(data[:cut])
    _resume_twice(tiny, server.endpoint_url, tmp_path)


# ---------------------------------------------------------------------------------- the command line


SPEED = 1200  # a simulated minute in 50 ms
TOTAL = 48


def _command(scenario: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "incidentsim.cli", "gameday", str(scenario), "--out", str(out), "--quiet", *extra]


def _kill_when_played(command: list[str], journal: Path, target: int, rng: random.Random, log: Path) -> None:
    """Start the game day, SIGKILL it once the journal holds ``target`` events (and a random moment more)."""
    with log.open("ab") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        deadline = time.monotonic() + 120  # only so that a broken run cannot hang the suite
        played = 0
        while process.poll() is None and played < target and time.monotonic() < deadline:
            time.sleep(0.005)
            played = journal.read_bytes().count(EVENT) if journal.exists() else 0
        time.sleep(rng.uniform(0, 60 / SPEED))
        assert process.poll() is None, f"the game day ended before it was killed:\n{log.read_text()}"
        assert played >= target, f"the journal holds {played} events, not {target}:\n{log.read_text()}"
    finally:
        process.kill()
        process.wait()
    assert process.returncode == -signal.SIGKILL


def _tear_last_line(journal: Path, rng: random.Random) -> None:
    """Cut the journal somewhere inside its last line, as a crash in the middle of a write would."""
    data = journal.read_bytes()
    last = data.rstrip(b"\n").rfind(b"\n") + 1
    cut = rng.randint(last + 1, len(data) - 1)
    journal.write_bytes(data[:cut])
    assert len(read_journal(journal)["answers"]) == events_complete(data[:cut])


@pytest.fixture(scope="module")
def crash_scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scenario") / "crash.yaml"
    path.write_text(
        scenario_text(TOTAL, speed=f"{SPEED}x", faults="faults: {throttle: 0.05, commit_then_fail: 0.05}\n"),
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def clean_run(crash_scenario: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same game day played through once, without a crash."""
    out = tmp_path_factory.mktemp("clean")
    with GameDay(crash_scenario, speed="max", out=out) as game:
        assert game.run().complete
    return out


EVENT_COLUMNS = ["event_id", "outcome", "dedup_reason", "incident_arn", "error_code"]
INCIDENT_COLUMNS = list(incident_columns)  # every column of the incidents table


@pytest.mark.parametrize("tear", [False, True], ids=["killed", "killed-and-torn"])
def test_a_game_day_killed_three_times_on_the_command_line_resumes_to_the_clean_run(
    tear, crash_scenario, clean_run, tmp_path
):
    rng = random.Random(20240501 + tear)
    out = tmp_path / "out"
    journal = out / "journal.jsonl"
    log = tmp_path / "stderr.log"
    first = _command(crash_scenario, out)
    resume = _command(crash_scenario, out, "--resume")
    for kill in range(3):
        played = journal.read_bytes().count(EVENT) if journal.exists() else 0
        _kill_when_played(first if kill == 0 else resume, journal, rng.randint(played + 2, played + 10), rng, log)
        if tear:
            _tear_last_line(journal, rng)
    assert not (out / "gameday.json").exists()  # a killed game day writes no record: only its journal is left
    done = subprocess.run(resume, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "Every trigger accounted for" in done.stdout  # the same incidents as the fault-free replay
    assert json.loads((out / "gameday.json").read_text())["complete"] is True
    assert json.loads(journal.read_bytes().splitlines()[0])["kind"] == "header"
    assert journal.read_bytes().count(b'"kind": "resume"') == 3  # two killed sittings and the last

    events, clean_events = pd.read_csv(out / "events.csv", dtype=str), pd.read_csv(clean_run / "events.csv", dtype=str)
    assert len(events) == TOTAL
    pd.testing.assert_frame_equal(events[EVENT_COLUMNS], clean_events[EVENT_COLUMNS])
    incidents, clean_incidents = (
        pd.read_csv(out / "incidents.csv", dtype=str),
        pd.read_csv(clean_run / "incidents.csv", dtype=str),
    )
    assert len(incidents) == len(clean_incidents) > 0
    pd.testing.assert_frame_equal(incidents[INCIDENT_COLUMNS], clean_incidents[INCIDENT_COLUMNS])
    # every trigger was sent once in the record, whatever the sitting that sent it
    timeline = pd.read_csv(out / "timeline.csv")
    starts = timeline[timeline["operation"] == "StartIncident"]["event_index"].tolist()
    summary = json.loads((out / "summary.json").read_text())
    assert sorted(starts) == sorted(set(starts)) and len(starts) == summary["triggers"]
