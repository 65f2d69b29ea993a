"""title_cardinality on hand-built rows and on real replays that produce each kind of title problem."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import SimpleNamespace

import pytest

import incidentsim
from incidentsim.analysis import title_cardinality
from incidentsim.policy import Policy, Template

from ..replay.helpers import history, policy
from .helpers import event, result

COLUMNS = [
    "response_plan",
    "triggers",
    "distinct_titles",
    "collisions",
    "undefined_variables",
    "cut_titles",
    "over_limit",
]
CUT = "x" * 199 + "\u2026"


def test_counts_per_plan_and_for_all():
    rows = [
        event(0, "web-a", "ALARM", "OK", "created", response_plan="web", title="Web degraded"),
        event(1, "web-b", "ALARM", "OK", "created", response_plan="web", title="Web degraded"),
        event(
            2,
            "web-b",
            "ALARM",
            "OK",
            "deduplicated",
            response_plan="web",
            title="Web degraded",
            dedup_reason="dedupe_string",
        ),
        event(3, "web-c", "ALARM", "OK", "created", response_plan="web", title=CUT),
        event(
            4,
            "db-a",
            "ALARM",
            "OK",
            "rejected",
            response_plan="db",
            title="Database degraded",
            error_code="TemplateError",
            explanation="Not sent: policy routes[0].title: undefined variable: 'nope' is undefined.",
        ),
        event(
            5,
            "db-b",
            "ALARM",
            "OK",
            "rejected",
            response_plan="db",
            title="y" * 201,
            error_code="ValidationException",
            explanation="... StartIncident answered ValidationException: 1 validation error detected: "
            "Value 'yyy...' at 'title' failed to satisfy constraint: Member must have length less than or equal to 200",
        ),
        event(
            6,
            "db-c",
            "ALARM",
            "OK",
            "rejected",
            response_plan="db",
            title="Web degraded",
            error_code="ValidationException",
            explanation="StartIncident answered ValidationException: Value at 'impact' failed to satisfy constraint",
        ),
        event(7, "web-a", "OK", "ALARM", "ignored"),
        event(8, "x", "ALARM", "OK", "ignored", title="ignored rows do not count"),
    ]
    table = title_cardinality(result(rows))
    assert list(table.columns) == COLUMNS
    assert table["response_plan"].tolist() == ["web", "db", "all"]
    rows_by_plan = table.set_index("response_plan")
    assert rows_by_plan.loc["web"].tolist() == [4, 2, 1, 0, 1, 0]
    assert rows_by_plan.loc["db"].tolist() == [3, 2, 0, 1, 0, 1]
    # "Web degraded" is shared by web-a, web-b and (in another plan) db-c
    assert rows_by_plan.loc["all"].tolist() == [7, 3, 1, 1, 1, 1]
    assert (table.dtypes.drop("response_plan") == "int64").all()


def test_a_title_of_200_characters_without_the_ellipsis_is_not_cut():
    rows = [
        event(0, "a", "ALARM", "OK", "created", response_plan="p", title="z" * 200),
        event(1, "b", "ALARM", "OK", "created", response_plan="p", title="z" * 198 + "\u2026"),
    ]
    assert title_cardinality(result(rows)).set_index("response_plan").loc["all", "cut_titles"] == 0


def test_empty_result_has_only_the_all_row():
    table = title_cardinality(result())
    assert table["response_plan"].tolist() == ["all"]
    assert table.drop(columns="response_plan").iloc[0].tolist() == [0] * 6


LONG = "{{ alarm_name }} " + "x" * 250
FRAME = history(
    (0, "web-a", "ALARM", "OK"),
    (1, "web-b", "ALARM", "OK"),
    (2, "web-c", "ALARM", "OK"),
    (3, "db-x", "ALARM", "OK"),
    (4, "long-1", "ALARM", "OK"),
)
ROUTES = [
    {"name": "db", "match": {"alarm_name": "db-*"}, "plan": "db", "title": "{{ no_such_field }}"},
    {"name": "long", "match": {"alarm_name": "long-*"}, "plan": "web", "title": LONG},
    {"name": "web", "match": {"alarm_name": "web-*"}, "plan": "web"},
]


@pytest.mark.parametrize(("overflow", "cut", "over"), [("reject", 0, 1), ("truncate", 1, 0)])
def test_on_a_real_replay(overflow, cut, over):
    replayed = incidentsim.replay(FRAME, policy(routes=ROUTES, title_overflow=overflow), engine="fast", progress=False)
    table = title_cardinality(replayed).set_index("response_plan")
    assert table.loc["db", ["triggers", "undefined_variables"]].tolist() == [1, 1]
    web = table.loc["web"]
    assert web["triggers"] == 4
    assert web["distinct_titles"] == 2  # the plan's own title for web-a, -b and -c, and the long one
    assert web["collisions"] == 1  # web-a, web-b and web-c all read "Web degraded"
    assert (web["cut_titles"], web["over_limit"]) == (cut, over)
    assert table.loc["all", "triggers"] == replayed.summary()["triggers"]


DATA = Path(__file__).resolve().parents[2] / "data"


def test_over_limit_is_read_from_columns_and_agrees_with_the_explanations_on_the_sample():
    """The structured rule (rejected, ValidationException, title over the limit) counts what the old reading of the
    English explanation counted, on the bundled sample under a policy with a long title template."""
    sample = Policy.from_yaml(DATA / "sample-policy.yaml")
    routes = tuple(
        dataclasses.replace(route, title=Template("{{ alarm_name }} " + "x" * 170 + " {{ region }}", "long title"))
        if route.name == "capacity"
        else route
        for route in sample.routes
    )
    replayed = incidentsim.replay(
        DATA / "alarm-events.jsonl", sample.replace(routes=routes), engine="fast", progress=False
    )
    events = replayed.events
    triggers = (events["response_plan"].astype(str) != "") & events["outcome"].astype(str).isin(
        ["created", "deduplicated", "rejected", "failed"]
    )
    by_text = (
        triggers
        & (events["outcome"].astype(str) == "rejected")
        & (events["error_code"].astype(str) == "ValidationException")
        & events["explanation"].astype(str).str.contains("'title'", regex=False)
    )
    old = by_text.groupby(events["response_plan"].astype(str)).sum()
    table = title_cardinality(replayed).set_index("response_plan")
    assert table.loc["all", "over_limit"] == int(by_text.sum()) > 0
    for plan in table.index.drop("all"):
        assert table.loc[plan, "over_limit"] == int(old.get(plan, 0)), plan
    # and the explanation is not read at all
    without = SimpleNamespace(events=events.drop(columns="explanation"), incidents=replayed.incidents)
    assert title_cardinality(without).equals(title_cardinality(replayed))
