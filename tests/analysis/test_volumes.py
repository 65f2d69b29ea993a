"""trigger_volume, incidents_by_impact, outcomes_by and impact_mix on small known histories."""

from __future__ import annotations

import pandas as pd
import pytest

import incidentsim
from incidentsim.analysis import (
    impact_mix,
    incidents_by_impact,
    outcomes_by,
    trigger_volume,
)

from ..replay.helpers import history, policy
from .helpers import T0, arn, event, incident, result

DAY = 24 * 60


@pytest.fixture
def three_days() -> object:
    """Events on day 0 and day 2 (day 1 is empty), incidents likewise."""
    return result(
        [
            event(60, "web-a", "ALARM", "OK", "created", response_plan="web"),
            event(70, "web-a", "OK", "ALARM", "ignored"),
            event(80, "web-a", "ALARM", "OK", "deduplicated", response_plan="web", dedup_reason="dedupe_string"),
            event(2 * DAY + 5, "db-a", "ALARM", "OK", "rejected", response_plan="db", error_code="ValidationException"),
            event(2 * DAY + 6, "web-b", "ALARM", "OK", "created", response_plan="web"),
        ],
        [incident(60, impact=3), incident(2 * DAY + 6, impact=1)],
    )


def test_trigger_volume_counts_each_outcome_per_day_and_fills_empty_days(three_days):
    table = trigger_volume(three_days)
    assert list(table.columns) == ["created", "deduplicated", "ignored", "rejected", "failed"]
    assert list(table.index) == [T0, T0 + pd.Timedelta(days=1), T0 + pd.Timedelta(days=2)]
    assert str(table.index.dtype) == "datetime64[ns, UTC]"
    assert table.index.name == "period_start"
    assert table.to_numpy().tolist() == [[1, 1, 1, 0, 0], [0, 0, 0, 0, 0], [1, 0, 0, 1, 0]]
    assert (table.dtypes == "int64").all()


def test_trigger_volume_hourly_and_15_minute_periods_cover_the_span(three_days):
    hourly = trigger_volume(three_days, "1h")
    assert hourly.index[0] == T0 + pd.Timedelta(hours=1)
    assert hourly.index[-1] == T0 + pd.Timedelta(days=2)
    assert len(hourly) == 48  # 01:00 on day 0 to 00:00 on day 2
    assert int(hourly.sum().sum()) == 5
    quarter = trigger_volume(three_days, "15min")
    assert quarter.loc[T0 + pd.Timedelta(minutes=75)].tolist() == [0, 1, 0, 0, 0]  # 01:20 falls in 01:15
    assert (quarter.index.to_series().diff().dropna() == pd.Timedelta("15min")).all()


def test_weekly_periods_start_on_monday():
    sunday, next_tuesday = 6 * DAY + 60, 8 * DAY + 60
    table = trigger_volume(
        result([event(sunday, "a", "ALARM", "OK", "created"), event(next_tuesday, "a", "ALARM", "OK", "created")]), "1W"
    )
    assert list(table.index) == [T0, T0 + pd.Timedelta(days=7)]
    assert all(day.day_name() == "Monday" for day in table.index)
    assert table["created"].tolist() == [1, 1]


def test_trigger_volume_of_an_empty_result_is_an_empty_table():
    table = trigger_volume(result())
    assert table.empty and list(table.columns) == ["created", "deduplicated", "ignored", "rejected", "failed"]


@pytest.mark.parametrize("freq", ["1d", "D", "2h", "1M", 1])
def test_trigger_volume_rejects_other_frequencies(freq):
    with pytest.raises(ValueError) as caught:
        trigger_volume(result(), freq)
    assert str(caught.value) == (
        f"The 'freq' parameter of trigger_volume must be one of {{15min, 1h, 1D, 1W}}. Got {freq!r} instead."
    )


def test_incidents_by_impact_counts_per_period_with_every_impact_column(three_days):
    table = incidents_by_impact(three_days)
    assert list(table.columns) == [1, 2, 3, 4, 5]
    assert table.to_numpy().tolist() == [[0, 0, 1, 0, 0], [0, 0, 0, 0, 0], [1, 0, 0, 0, 0]]
    assert list(table.index) == list(trigger_volume(three_days).index)


def test_incidents_by_impact_checks_freq():
    with pytest.raises(
        ValueError,
        match=r"^The 'freq' parameter of incidents_by_impact must be one of \{15min, 1h, 1D, 1W\}\. Got 'x' instead\.$",
    ):
        incidents_by_impact(result(), freq="x")


def test_outcomes_by_plan(three_days):
    table = outcomes_by(three_days, by="plan")
    assert list(table.columns) == [
        "response_plan",
        "triggers",
        "created",
        "deduplicated",
        "deduplicated_by_token",
        "deduplicated_by_dedupe_string",
        "rejected",
        "failed",
        "dedup_ratio",
    ]
    rows = {row.response_plan: row for row in table.itertuples()}
    assert list(table["response_plan"]) == ["web", "db"]  # sorted by created
    assert (
        rows["web"].triggers,
        rows["web"].created,
        rows["web"].deduplicated,
        rows["web"].deduplicated_by_dedupe_string,
    ) == (3, 2, 1, 1)
    assert rows["web"].dedup_ratio == pytest.approx(1 / 3)
    assert (rows["db"].triggers, rows["db"].created, rows["db"].rejected, rows["db"].dedup_ratio) == (1, 0, 1, 0.0)


def test_outcomes_by_alarm_keeps_alarms_that_never_triggered(three_days):
    table = outcomes_by(three_days, by="alarm")
    assert list(table.columns[:2]) == ["alarm_arn", "alarm_name"]
    assert list(table["alarm_name"]) == ["web-a", "web-b", "db-a"]
    assert table.set_index("alarm_name").loc["web-a", ["triggers", "created", "deduplicated"]].tolist() == [2, 1, 1]
    assert table.loc[0, "alarm_arn"] == arn("web-a")


def test_outcomes_by_agrees_with_a_real_replay_and_its_summary():
    frame = history(
        (0, "web-a", "ALARM", "OK"),
        (2, "web-a", "OK", "ALARM"),
        (3, "web-a", "ALARM", "OK"),
        (4, "db-x", "ALARM", "OK"),
        (9, "db-x", "ALARM", "ALARM"),
        (10, "other", "ALARM", "OK"),
    )
    replayed = incidentsim.replay(frame, policy(), engine="fast", progress=False)
    by_plan = outcomes_by(replayed, by="plan").set_index("response_plan")
    summary = replayed.summary()
    assert int(by_plan["triggers"].sum()) == summary["triggers"]
    assert int(by_plan["created"].sum()) == summary["created"] == 2
    assert by_plan.loc["web", "deduplicated"] == 1
    by_alarm = outcomes_by(replayed, by="alarm")
    assert set(by_alarm["alarm_name"]) == {"web-a", "db-x", "other"}
    assert int(by_alarm["triggers"].sum()) == summary["triggers"]


def test_outcomes_by_checks_by():
    with pytest.raises(
        ValueError, match=r"^The 'by' parameter of outcomes_by must be one of \{plan, alarm\}\. Got 'team' instead\.$"
    ):
        outcomes_by(result(), by="team")


def test_impact_mix_has_all_five_levels(three_days):
    mix = impact_mix(three_days)
    assert list(mix.columns) == ["impact", "incidents", "share", "label"]
    assert mix["impact"].tolist() == [1, 2, 3, 4, 5]
    assert mix["incidents"].tolist() == [1, 0, 1, 0, 0]
    assert mix["share"].tolist() == [0.5, 0.0, 0.5, 0.0, 0.0]
    assert mix["label"].tolist() == ["Critical", "High", "Medium", "Low", "No impact"]


def test_impact_mix_of_no_incidents_is_all_zero():
    mix = impact_mix(result())
    assert mix["incidents"].tolist() == [0] * 5 and mix["share"].tolist() == [0.0] * 5
