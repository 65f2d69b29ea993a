"""Replay rules, each on a hand-built history with a known answer."""

from __future__ import annotations

import pandas as pd
import pytest

from incidentsim.replay import replay

from .helpers import T0, history, outcomes, policy

A = "web-5xx"
B = "web-latency"


def run(frame, **policy_overrides):
    return replay(frame, policy(**policy_overrides), progress=False)


def test_one_incident_while_open_then_deduplicated_by_dedupe_string():
    result = run(history((0, A, "ALARM", "OK"), (5, A, "OK", "ALARM"), (7, A, "ALARM", "OK")))
    assert outcomes(result) == [("created", ""), ("ignored", ""), ("deduplicated", "dedupe_string")]
    events = result.events
    assert events.loc[0, "incident_arn"] == events.loc[2, "incident_arn"]
    assert events.loc[2, "dedupe_string"].endswith(":alarm:web-5xx")
    assert len(result.incidents) == 1
    incident = result.incidents.iloc[0]
    assert (incident["trigger_count"], incident["status"], incident["alarm_names"]) == (2, "OPEN", ("web-5xx",))
    assert incident["creation_time"] == T0  # the record carries the event's historical time


def test_only_a_change_into_alarm_triggers():
    result = run(
        history((0, A, "INSUFFICIENT_DATA", "OK"), (1, A, "ALARM", "INSUFFICIENT_DATA"), (2, A, "ALARM", "ALARM"))
    )
    assert [o for o, _ in outcomes(result)] == ["ignored", "created", "ignored"]
    explanations = result.events["explanation"].tolist()
    assert explanations[0] == "Went from OK to INSUFFICIENT_DATA; only a change into ALARM starts an incident."
    assert explanations[2].startswith("Stayed in ALARM")


def test_suppressed_actions_start_nothing():
    result = run(history((0, A, "ALARM", "OK", {"actions_suppressed_by": "WaitPeriod"})))
    assert outcomes(result) == [("ignored", "")]
    assert "suppressed by WaitPeriod" in result.events.loc[0, "explanation"]


def test_different_alarms_make_different_incidents_and_plan_dedupe_string_merges_them():
    frame = history((0, A, "ALARM", "OK"), (1, B, "ALARM", "OK"))
    assert [o for o, _ in outcomes(run(frame))] == ["created", "created"]
    merged = run(
        frame,
        response_plans=[
            {"name": "web", "title": "Web degraded", "impact": 3, "dedupe_string": "web-outage"},
            {"name": "db", "title": "Database degraded", "impact": 2},
        ],
    )
    assert outcomes(merged) == [("created", ""), ("deduplicated", "dedupe_string")]
    assert merged.incidents.loc[0, "alarm_names"] == (A, B)
    assert merged.events.loc[1, "dedupe_string"] == "web-outage"


def test_resolution_on_ok_after_the_delay_lets_a_new_incident_open():
    frame = history(
        (0, A, "ALARM", "OK"),
        (10, A, "OK", "ALARM"),  # resolve due at 25
        (20, A, "ALARM", "OK"),  # before 25: still open, deduplicated, resolution cancelled
        (30, A, "OK", "ALARM"),  # resolve due at 45
        (50, A, "ALARM", "OK"),  # after 45: a new incident
    )
    result = run(frame, resolve={"strategy": "on_ok", "delay": "15m"})
    assert [o for o, _ in outcomes(result)] == ["created", "ignored", "deduplicated", "ignored", "created"]
    incidents = result.incidents
    assert incidents["status"].tolist() == ["RESOLVED", "OPEN"]
    assert incidents.loc[0, "resolved_time"] == T0 + pd.Timedelta(minutes=45)


def test_resolution_waits_for_every_alarm_that_fed_the_incident():
    frame = history((0, A, "ALARM", "OK"), (1, B, "ALARM", "OK"), (5, A, "OK", "ALARM"), (30, B, "OK", "ALARM"))
    result = run(
        frame,
        response_plans=[
            {"name": "web", "title": "Web", "impact": 3, "dedupe_string": "web"},
            {"name": "db", "title": "DB", "impact": 2},
        ],
        resolve={"strategy": "on_ok", "delay": "10m"},
    )
    assert result.incidents.loc[0, "resolved_time"] == T0 + pd.Timedelta(minutes=40)


def test_resolution_after_a_fixed_duration():
    frame = history(
        (0, A, "ALARM", "OK"),
        (5, A, "OK", "ALARM"),
        (20, A, "ALARM", "OK"),
        (50, A, "OK", "ALARM"),
        (70, A, "ALARM", "OK"),
    )
    result = run(frame, resolve={"strategy": "after", "after": "1h"})
    assert [o for o, _ in outcomes(result)] == ["created", "ignored", "deduplicated", "ignored", "created"]
    assert result.incidents.loc[0, "resolved_time"] == T0 + pd.Timedelta(hours=1)


def test_never_resolved_incidents_absorb_every_repeat():
    frame = history(*[(m, A, "ALARM" if m % 2 == 0 else "OK", "OK" if m % 2 == 0 else "ALARM") for m in range(10)])
    result = run(frame)
    assert result.summary()["created"] == 1 and result.summary()["deduplicated"] == 4
    assert result.incidents.loc[0, "status"] == "OPEN"


def test_per_alarm_window_tokens_deduplicate_by_client_token_even_after_resolution():
    frame = history(
        (0, A, "ALARM", "OK"),
        (5, A, "OK", "ALARM"),
        (20, A, "ALARM", "OK"),
        (25, A, "OK", "ALARM"),
        (70, A, "ALARM", "OK"),
    )
    result = run(
        frame,
        client_token={"strategy": "per_alarm_window", "window": "1h"},
        resolve={"strategy": "on_ok", "delay": "0m"},
    )
    # 09:00 and 09:20 share a window: the second is answered by the token although the incident is resolved
    assert [o for o in outcomes(result) if o[0] != "ignored"] == [
        ("created", ""),
        ("deduplicated", "client_token"),
        ("created", ""),
    ]
    assert result.events.loc[0, "client_token"] == result.events.loc[2, "client_token"]
    assert "had already started incident" in result.events.loc[2, "explanation"]


def test_window_tokens_with_a_strict_service_are_rejected_as_conflicts():
    frame = history((0, A, "ALARM", "OK"), (5, A, "OK", "ALARM"), (20, A, "ALARM", "OK"))
    result = run(frame, client_token={"strategy": "per_alarm_window", "window": "1h", "on_mismatch": "conflict"})
    assert [o for o, _ in outcomes(result)] == ["created", "ignored", "rejected"]
    assert result.events.loc[2, "error_code"] == "ConflictException"


def test_per_event_tokens_make_a_redelivered_event_idempotent():
    from incidentsim.datasets.schema import validate_alarm_frame

    frame = history((0, A, "ALARM", "OK"), (0, A, "ALARM", "OK"))
    frame["raw"] = frame.loc[0, "raw"]
    frame["event_id"] = [
        frame.loc[0, "event_id"],
        frame.loc[0, "event_id"] + "#2",
    ]  # the loader's numbering of a duplicate
    frame["duplicate"] = [False, True]
    result = run(validate_alarm_frame(frame), resolve={"strategy": "after", "after": "1s"})
    assert outcomes(result) == [("created", ""), ("deduplicated", "client_token")]


def test_template_tokens():
    frame = history((0, A, "ALARM", "OK"), (5, A, "OK", "ALARM"), (30, A, "ALARM", "OK"))
    result = run(
        frame,
        client_token={"strategy": "template", "template": "{{ alarm_name }}-{{ date }}"},
        resolve={"strategy": "after", "after": "10m"},
    )
    assert result.events.loc[0, "client_token"] == "web-5xx-2024-05-01"
    assert outcomes(result)[2] == ("deduplicated", "client_token")


def test_route_impact_and_title_overrides():
    result = run(
        history((0, "db-cpu", "ALARM", "OK"), (1, A, "ALARM", "OK")),
        routes=[
            {
                "name": "db",
                "match": {"alarm_name": "db-*"},
                "plan": "db",
                "impact": 1,
                "title": "{{ alarm_name }} in {{ region }}",
            },
            {"name": "web", "match": {"alarm_name": "web-*"}, "plan": "web"},
        ],
    )
    incidents = result.incidents.set_index("response_plan")
    assert (incidents.loc["db", "title"], incidents.loc["db", "impact"]) == ("db-cpu in us-east-1", 1)
    assert (incidents.loc["web", "title"], incidents.loc["web", "impact"]) == ("Web degraded", 3)  # the plan's own
    assert result.events["impact"].tolist() == [1, 3]


def test_impact_rules_first_match_wins():
    routes = [
        {
            "name": "web",
            "match": {"alarm_name": "web-*"},
            "plan": "web",
            "impact": 4,
            "impact_rules": [
                {"when": {"alarm_name": "*-5xx"}, "impact": 1},
                {"when": {"alarm_name": "web-*"}, "impact": 2},
            ],
        }
    ]
    result = run(history((0, A, "ALARM", "OK"), (1, B, "ALARM", "OK")), routes=routes)
    assert result.incidents["impact"].tolist() == [1, 2]


def test_unmatched_alarms_are_ignored_or_go_to_a_default_plan():
    frame = history((0, "cache-evictions", "ALARM", "OK"))
    ignored = run(frame)
    assert outcomes(ignored) == [("ignored", "")]
    assert ignored.events.loc[0, "explanation"] == "No route matched and the policy ignores unmatched alarms."
    defaulted = run(frame, unmatched="web")
    assert defaulted.incidents.loc[0, "response_plan"] == "web"
    assert "default for unmatched" in defaulted.events.loc[0, "explanation"]


def test_an_ignore_route_starts_nothing():
    routes = [
        {"name": "quiet", "match": {"alarm_name": "web-latency"}, "ignore": True},
        {"name": "web", "match": {"alarm_name": "web-*"}, "plan": "web"},
    ]
    result = run(history((0, B, "ALARM", "OK"), (1, A, "ALARM", "OK")), routes=routes)
    assert [o for o, _ in outcomes(result)] == ["ignored", "created"]
    assert result.events.loc[0, "explanation"] == "Route 'quiet' ignores this alarm."


def test_a_201_character_title_is_rejected_by_the_service_unless_truncated():
    routes = [{"name": "web", "match": {"alarm_name": "web-*"}, "plan": "web", "title": "{{ alarm_name }}" + "x" * 194}]
    frame = history((0, A, "ALARM", "OK"))
    rejected = run(frame, routes=routes)
    assert outcomes(rejected) == [("rejected", "")]
    assert rejected.events.loc[0, "error_code"] == "ValidationException"
    assert "at 'title'" in rejected.events.loc[0, "explanation"]
    truncated = run(frame, routes=routes, title_overflow="truncate")
    assert len(truncated.incidents.loc[0, "title"]) == 200


def test_an_undefined_template_variable_is_rejected_before_any_call_naming_the_route():
    routes = [{"name": "web", "match": {"alarm_name": "web-*"}, "plan": "web", "title": "{{ service }} down"}]
    result = run(history((0, A, "ALARM", "OK")), routes=routes)
    assert outcomes(result) == [("rejected", "")]
    assert result.events.loc[0, "error_code"] == "TemplateError"
    assert "routes[0].title" in result.events.loc[0, "explanation"]
    assert "'service' is undefined" in result.events.loc[0, "explanation"]
    assert len(result.incidents) == 0


def test_every_event_has_exactly_one_outcome_and_the_counts_add_up():
    frame = history((0, A, "ALARM", "OK"), (1, A, "OK", "ALARM"), (2, B, "ALARM", "OK"), (3, "zzz", "ALARM", "OK"))
    result = run(frame)
    s = result.summary()
    assert len(result.events) == len(frame) == s["events"]
    assert s["created"] + s["deduplicated"] + s["ignored"] + s["rejected"] == s["events"]
    assert s["triggers"] == s["created"] + s["deduplicated"] + s["rejected"]
    assert result.events["event_id"].tolist() == frame["event_id"].tolist()


def test_explain_names_the_event():
    result = run(history((0, A, "ALARM", "OK")))
    text = result.explain(result.events.loc[0, "event_id"])
    assert text.startswith("web-5xx at 2024-05-01 09:00:00 UTC: created.")
    with pytest.raises(KeyError):
        result.explain("nope")


def test_the_same_input_and_policy_give_the_same_tables():
    frame = history(
        *[(m, A if m % 3 else B, "ALARM" if m % 2 == 0 else "OK", "OK" if m % 2 == 0 else "ALARM") for m in range(30)]
    )
    first = run(frame, resolve={"strategy": "on_ok", "delay": "3m"})
    second = run(frame, resolve={"strategy": "on_ok", "delay": "3m"})
    pd.testing.assert_frame_equal(first.events, second.events)
    pd.testing.assert_frame_equal(first.incidents, second.incidents)


def test_writers(tmp_path):
    import json

    result = run(history((0, A, "ALARM", "OK"), (1, A, "OK", "ALARM")))
    paths = result.to_csv(tmp_path / "out")
    assert pd.read_csv(paths["events"])["outcome"].tolist() == ["created", "ignored"]
    summary = json.loads(paths["summary"].read_text())
    assert set(summary) >= {
        "events",
        "triggers",
        "created",
        "deduplicated",
        "deduplicated_by_token",
        "deduplicated_by_dedupe_string",
        "ignored",
        "rejected",
        "dedup_ratio",
    }
    parquet = result.to_parquet(tmp_path / "pq")
    assert len(pd.read_parquet(parquet["incidents"])) == 1


def test_unknown_engine_is_named():
    with pytest.raises(ValueError, match=r"The 'engine' parameter of replay must be one of \{emulator, fast, dask\}"):
        replay(history((0, A, "ALARM", "OK")), policy(), engine="warp", progress=False)


def test_a_results_events_replay_as_their_history():
    frame = history((0, A, "ALARM", "OK"), (5, A, "OK", "ALARM"), (7, A, "ALARM", "OK"))
    first = run(frame)
    again = replay(first.events, policy(), engine="fast")
    assert list(again.events.columns) == list(first.events.columns)
    assert again.summary() == first.summary()


def test_a_steppable_replay_can_build_its_incidents_without_the_service():
    from incidentsim.replay import EmulatorReplay

    alarms = history(
        (0, "web-a", "ALARM", "OK"),
        (1, "web-b", "ALARM", "OK"),
        (2, "db-a", "ALARM", "OK"),
        (5, "web-a", "OK", "ALARM"),
    )
    with EmulatorReplay(
        alarms,
        policy(
            routes=[{"name": "all", "match": {"alarm_name": "*"}, "plan": "web"}],
            response_plans=[{"name": "web", "title": "Web", "impact": 3, "dedupe_string": "w"}],
        ),
    ) as run:
        run.run()
        served = run.result(finish=False)
        kept = run.result(finish=False, from_service=False)
    same = ["incident_arn", "response_plan", "creation_time", "resolved_time", "trigger_count", "alarm_names"]
    assert kept.incidents[same].equals(served.incidents[same]) and len(kept.incidents) == 1
    assert kept.incidents["trigger_count"].tolist() == [3]
    assert kept.incidents["status"].tolist() == ["UNKNOWN"] and served.incidents["status"].tolist() == ["OPEN"]
    assert (
        kept.events["outcome"].tolist()
        == served.events["outcome"].tolist()
        == ["created", "deduplicated", "deduplicated", "ignored"]
    )


def test_an_alarm_flapping_under_many_open_incidents_resolves_them_as_the_emulator_does():
    """Each trigger opens its own incident (no dedupe key) and every return to OK schedules all of them again:
    more resolutions are scheduled than there are rows, which the fast engine's queue must hold."""
    from incidentsim.datasets.schema import alarm_arn, validate_alarm_frame
    from incidentsim.policy import Policy

    from .equality import assert_same_result

    start = pd.Timestamp("2024-05-01T00:00:00Z")
    rows = []
    for k in range(40):
        state, previous = ("ALARM", "OK") if k % 2 == 0 else ("OK", "ALARM")
        rows.append(
            {
                "event_id": f"e{k}",
                "timestamp": start + pd.Timedelta(minutes=k),
                "account_id": "111111111111",
                "region": "us-east-1",
                "alarm_name": "flappy",
                "alarm_arn": alarm_arn("111111111111", "us-east-1", "flappy"),
                "state": state,
                "previous_state": previous,
                "reason": "",
                "source": "aws.cloudwatch",
                "raw": "{}",
                "origin": f"x:{k}",
            }
        )
    frame = validate_alarm_frame(pd.DataFrame(rows))
    policy = Policy.from_dict(
        {
            "response_plans": [{"name": "p", "title": "t", "impact": 3}],
            "routes": [{"name": "all", "match": {"alarm_name": "*"}, "plan": "p"}],
            "resolve": {"strategy": "on_ok", "delay": "30m"},
            "emulator": {"trigger_dedupe": False},
        }
    )
    fast = replay(frame, policy, engine="fast")
    assert fast.summary()["created"] == 20 and (fast.incidents["status"] == "RESOLVED").all()
    assert_same_result(replay(frame, policy, progress=False), fast)
