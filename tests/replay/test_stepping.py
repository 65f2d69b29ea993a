"""The replay's stepping interface (EmulatorReplay: now, peek, step, run until, result so far), through boto3 and the
emulator."""

from __future__ import annotations

import pandas as pd
import pytest

from incidentsim import Policy, load_alarms
from incidentsim.emulator.server import EmulatorControl
from incidentsim.replay import EmulatorReplay, ReplayFinished, Step, replay
from incidentsim.replay.engine import TIMELINE_COLUMNS
from tests.conftest import DATA
from tests.replay.helpers import T0, history, policy

#: the columns that say what each event came to
OUTCOME_COLUMNS = ["event_id", "outcome", "dedup_reason", "incident_arn", "error_code"]


@pytest.fixture(scope="module")
def window() -> pd.DataFrame:
    """The bundled sample's first four days (hundreds of events, incidents created, deduplicated and resolved)."""
    alarms = load_alarms(DATA / "alarm-events.jsonl").alarms
    return alarms[alarms["timestamp"] < alarms["timestamp"].min() + pd.Timedelta(days=4)].reset_index(drop=True)


@pytest.fixture(scope="module")
def sample_policy() -> Policy:
    return Policy.from_yaml(DATA / "sample-policy.yaml")


def test_stepping_then_running_until_then_to_the_end_gives_the_replays_tables(window, sample_policy):
    expected = replay(window, sample_policy, engine="emulator", progress=False)
    times = window["timestamp"]
    with EmulatorReplay(window, sample_policy) as run:
        # at the start
        assert (run.now, run.position, run.total, run.done) == (None, 0, len(window), False)
        assert run.peek() == times.iloc[0]
        assert run.summary()["events"] == 0 and len(run.result().events) == 0

        # one by one
        steps = [run.step() for _ in range(30)]
        assert all(isinstance(step, Step) for step in steps)
        assert [step.index for step in steps] == list(range(30))
        assert [step.event_id for step in steps] == window["event_id"].iloc[:30].tolist()
        assert [step.time for step in steps] == times.iloc[:30].tolist()
        played = expected.events.iloc[:30]
        assert [(s.outcome, s.dedup_reason, s.incident_arn) for s in steps] == list(
            zip(played["outcome"].astype(str), played["dedup_reason"].astype(str), played["incident_arn"].astype(str))
        )
        assert all(step.trigger == (step.outcome != "ignored") for step in steps)
        assert all(step.calls[-1]["operation"] == "StartIncident" for step in steps if step.trigger)
        assert (run.now, run.peek(), run.position) == (times.iloc[29], times.iloc[30], 30)

        # run until a time in the middle: every event up to and including it
        middle = times.iloc[len(window) // 2]
        k = int((times <= middle).sum())
        assert run.run(until=middle) == k - 30
        assert (run.position, run.now, run.peek()) == (k, times.iloc[k - 1], times.iloc[k])
        assert run.now <= middle < run.peek()
        so_far = run.result()
        assert len(so_far.events) == k and run.summary() == so_far.summary()
        pd.testing.assert_frame_equal(
            so_far.events[OUTCOME_COLUMNS].astype(str), expected.events[OUTCOME_COLUMNS].iloc[:k].astype(str)
        )
        assert set(so_far.incidents["incident_arn"]) == set(expected.events["incident_arn"].iloc[:k].astype(str)) - {""}
        assert run.run(until=middle) == 0  # the same time again: nothing more is due

        # to the end
        assert run.run() == len(window) - k
        assert (run.done, run.peek(), run.now, run.position) == (True, None, times.iloc[-1], len(window))
        result = run.result()
        assert run.summary() == result.summary() == expected.summary()
        timeline = run.timeline()
    pd.testing.assert_frame_equal(result.events, expected.events)
    pd.testing.assert_frame_equal(result.incidents, expected.incidents)
    assert result.meta["emulator"] == expected.meta["emulator"] == "the in-process emulator"
    assert expected.meta["calls"] == len(timeline) - (timeline["sim_time"] > times.iloc[-1]).sum()
    assert list(timeline.columns) == list(TIMELINE_COLUMNS) and (timeline["operation"] == "UpdateIncidentRecord").any()


def test_stepping_past_the_end_is_refused_and_running_past_it_plays_nothing():
    alarms = history((0, "web-a", "ALARM", "OK"), (1, "web-a", "OK", "ALARM"))
    with EmulatorReplay(alarms, policy()) as run:
        assert run.run() == 2 and run.done
        with pytest.raises(
            ReplayFinished, match=r"every event of the history has been played \(2\); there is no next one"
        ):
            run.step()
        assert issubclass(ReplayFinished, IndexError)
        assert run.run() == 0 and run.run(until=T0 + pd.Timedelta(days=1)) == 0
        assert (run.position, run.peek(), run.now) == (2, None, T0 + pd.Timedelta(minutes=1))
        assert run.result().summary()["events"] == 2


def test_run_until_reads_times_and_refuses_one_in_the_past():
    alarms = history((0, "web-a", "ALARM", "OK"), (5, "web-b", "ALARM", "OK"), (10, "db-a", "ALARM", "OK"))
    with EmulatorReplay(alarms, policy()) as run:
        assert run.run(until=T0 - pd.Timedelta(minutes=1)) == 0 and run.now is None  # before the first event
        assert run.run(until="2024-05-01 09:05:00") == 2  # a naive time is UTC; the event at 09:05 is played
        assert run.now == T0 + pd.Timedelta(minutes=5) and run.peek() == T0 + pd.Timedelta(minutes=10)
        with pytest.raises(ValueError, match=r"The 'until' parameter of run must not be before the replay's time"):
            run.run(until="2024-05-01T09:04:00Z")
        with pytest.raises(
            ValueError, match=r"finish=True carries out every resolution still scheduled; 1 events are still to play"
        ):
            run.result(finish=True)
        assert run.position == 2


def test_a_step_says_what_it_sent_and_the_resolutions_that_fell_due_before_it():
    frame = history(
        (0, "web-a", "ALARM", "OK"),
        (1, "web-b", "ALARM", "OK"),  # same plan and dedupe string: joins the open incident
        (2, "web-a", "OK", "ALARM"),
        (3, "web-b", "OK", "ALARM"),  # both alarms OK: the incident is resolved at 3 + 2 minutes
        (9, "web-a", "ALARM", "OK"),  # after the resolution: a new incident
        (10, "cache-a", "ALARM", "OK"),  # no route
    )
    rules = policy(
        response_plans=[
            {"name": "web", "title": "Web degraded", "impact": 3, "dedupe_string": "web"},
            {"name": "db", "title": "Database degraded", "impact": 2},
        ],
        routes=[
            {
                "name": "web",
                "match": {"alarm_name": "web-*"},
                "plan": "web",
                "impact": 2,
                "title": "{{ alarm_name }} is down",
            }
        ],
        resolve={"strategy": "on_ok", "delay": "2m"},
    )
    with EmulatorReplay(frame, rules) as run:
        first, joined, _, last_ok = run.step(), run.step(), run.step(), run.step()
        assert (first.trigger, first.outcome, first.response_plan, first.title, first.impact) == (
            True,
            "created",
            "web",
            "web-a is down",
            2,
        )
        assert (joined.outcome, joined.dedup_reason, joined.incident_arn) == (
            "deduplicated",
            "dedupe_string",
            first.incident_arn,
        )
        assert (last_ok.trigger, last_ok.outcome, last_ok.calls) == (False, "ignored", ())
        assert run.open_incidents() == [first.incident_arn]
        again = run.step()
        assert [call["operation"] for call in again.calls] == ["UpdateIncidentRecord", "StartIncident"]
        resolution = again.calls[0]
        assert (resolution["incident_arn"], resolution["outcome"], resolution["sim_time"]) == (
            first.incident_arn,
            "resolved",
            T0 + pd.Timedelta(minutes=5),
        )
        assert again.outcome == "created" and again.incident_arn != first.incident_arn
        assert run.open_incidents() == [again.incident_arn]
        unrouted = run.step()
        assert (unrouted.trigger, unrouted.outcome, unrouted.response_plan, unrouted.incident_arn) == (
            False,
            "ignored",
            "",
            "",
        )
        assert unrouted.answer.outcome == "ignored"
        assert run.calls == first.calls + joined.calls + again.calls


def test_recorded_answers_restore_a_run_on_the_endpoint_that_holds_it(server):
    """What the game day's resume does: a second replay on the same served emulator takes the first one's answers
    (offline: no call at all) and carries on, giving the tables of one replay from start to end."""
    control = EmulatorControl(server.endpoint_url)
    control.reset()
    frame = history(
        (0, "web-a", "ALARM", "OK"),
        (1, "web-b", "ALARM", "OK"),
        (2, "web-a", "OK", "ALARM"),
        (3, "web-b", "OK", "ALARM"),
        (9, "web-a", "ALARM", "OK"),
        (12, "db-a", "ALARM", "OK"),
    )
    rules = policy(
        response_plans=[
            {"name": "web", "title": "Web", "impact": 3, "dedupe_string": "w"},
            {"name": "db", "title": "Db", "impact": 2},
        ],
        resolve={"strategy": "on_ok", "delay": "2m"},
    )
    try:
        whole = replay(frame, rules, endpoint_url=server.endpoint_url, progress=False)
        control.reset()
        with EmulatorReplay(frame, rules, endpoint_url=server.endpoint_url) as first:
            answers = [step.answer for step in (first.step() for _ in range(4))]
        with EmulatorReplay(frame, rules, endpoint_url=server.endpoint_url) as second:
            with pytest.raises(ValueError, match="playing it offline needs the answer a previous run recorded"):
                second.step(offline=True)
            restored = [second.step(answer, offline=True) for answer in answers]
            assert second.calls == () and [s.answer for s in restored] == answers
            second.run()
            result = second.result()
        assert result.meta["emulator"] == f"the emulator served at {server.endpoint_url}"
    finally:
        control.reset()
    pd.testing.assert_frame_equal(result.events, whole.events)
    pd.testing.assert_frame_equal(result.incidents, whole.incidents)


def test_the_emulator_engine_of_replay_plays_through_the_stepping_interface(monkeypatch):
    played: list[int] = []
    original = EmulatorReplay.step

    def counted(self, *args, **kwargs):
        step = original(self, *args, **kwargs)
        played.append(step.index)
        return step

    monkeypatch.setattr(EmulatorReplay, "step", counted)
    alarms = history((0, "web-a", "ALARM", "OK"), (1, "db-a", "ALARM", "OK"), (2, "web-a", "OK", "ALARM"))
    result = replay(alarms, policy(), engine="emulator", progress=False)
    assert played == [0, 1, 2] and result.summary()["created"] == 2
