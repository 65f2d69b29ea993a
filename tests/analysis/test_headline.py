"""headline: the report's lead figures as plain Python values."""

from __future__ import annotations

import pytest

import incidentsim
from incidentsim.analysis import headline

from ..replay.helpers import history, policy
from .helpers import event, incident, result

HOUR = 60


def test_headline_on_a_hand_built_result():
    rows = [
        event(10 * HOUR, "a", "ALARM", "OK", "created"),  # Monday 10:00
        event(10 * HOUR + 5, "a", "ALARM", "OK", "deduplicated", dedup_reason="dedupe_string"),
        event(10 * HOUR + 6, "a", "ALARM", "OK", "deduplicated", dedup_reason="client_token"),
        event(10 * HOUR + 7, "b", "ALARM", "OK", "rejected", error_code="TemplateError"),
        event(11 * HOUR, "a", "OK", "ALARM"),
        event(20 * HOUR, "c", "ALARM", "OK", "created"),  # Monday 20:00
        event(23 * HOUR + 30, "d", "ALARM", "OK", "created"),  # Monday 23:30
    ]
    incidents = [incident(10 * HOUR, impact=1), incident(20 * HOUR, impact=3), incident(23 * HOUR + 30, impact=3)]
    figures = headline(result(rows, incidents))
    assert figures == {
        "events": 7,
        "triggers": 6,
        "incidents": 3,
        "dedup_ratio": 0.4,
        "incidents_by_impact": {1: 1, 2: 0, 3: 2, 4: 0, 5: 0},
        "off_hours_interruptions": 2,
        "shifts_over_limit": 0,
    }
    assert all(type(value) in (int, float, dict) for value in figures.values())
    # in Tokyo (UTC+9) 10:00 UTC is 19:00, 20:00 is 05:00 and 23:30 is 08:30 the next morning
    assert headline(result(rows, incidents), tz="Asia/Tokyo")["off_hours_interruptions"] == 3


def test_headline_agrees_with_the_summary_of_a_replay():
    frame = history(
        *[
            (minute, "web-a", state, previous)
            for minute, state, previous in [
                (0, "ALARM", "OK"),
                (1, "OK", "ALARM"),
                (2, "ALARM", "OK"),
                (3, "OK", "ALARM"),
            ]
        ],
        (4, "db-x", "ALARM", "OK"),
        (5, "db-y", "ALARM", "OK"),
        (6, "web-b", "ALARM", "OK"),
    )
    replayed = incidentsim.replay(frame, policy(), engine="fast", progress=False)
    figures = headline(replayed)
    summary = replayed.summary()
    assert (figures["events"], figures["triggers"], figures["dedup_ratio"]) == (
        summary["events"],
        summary["triggers"],
        summary["dedup_ratio"],
    )
    assert figures["incidents"] == summary["created"] == 4
    assert figures["shifts_over_limit"] == 1  # four incidents in the 08:00-20:00 shift
    assert figures["incidents_by_impact"] == {1: 0, 2: 2, 3: 2, 4: 0, 5: 0}


def test_headline_of_an_empty_result():
    figures = headline(result())
    assert figures["events"] == figures["incidents"] == figures["shifts_over_limit"] == 0
    assert figures["dedup_ratio"] == 0.0


def test_headline_checks_tz():
    with pytest.raises(
        ValueError,
        match=(
            r"^The 'tz' parameter of headline must be a time zone name such as 'Europe/London'\. "
            r"Got 'CET\+1' instead\.$"
        ),
    ):
        headline(result(), tz="CET+1")
