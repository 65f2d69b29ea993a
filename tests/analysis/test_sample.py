"""The analysis functions on the bundled sample: the stories in data/README.md come out right."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import incidentsim
from incidentsim import analysis
from incidentsim.datasets.synthetic import STORY_ALARMS, story_windows

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def sample() -> incidentsim.ReplayResult:
    return incidentsim.replay(DATA / "alarm-events.jsonl", DATA / "sample-policy.yaml", engine="fast", progress=False)


@pytest.fixture(scope="module")
def noise(sample) -> pd.DataFrame:
    return analysis.noise_classes(sample).set_index("alarm_arn")


def entered(events: pd.DataFrame, begin: pd.Timestamp, end: pd.Timestamp) -> set[str]:
    """ARNs that went into ALARM in ``[begin, end)``."""
    rows = events[(events["timestamp"] >= begin) & (events["timestamp"] < end)]
    rows = rows[(rows["state"] == "ALARM") & (rows["previous_state"] != "ALARM")]
    return set(rows["alarm_arn"].astype(str))


def test_chronic_story_alarm_is_the_only_chronic_one(noise):
    assert noise.loc[STORY_ALARMS["chronic"], "noise_class"] == "chronic"
    assert noise.loc[STORY_ALARMS["chronic"], "alarm_share"] > 0.9  # in ALARM from 3 April to the end
    assert noise.index[noise["chronic"]].tolist() == [STORY_ALARMS["chronic"]]


def test_flapping_story_alarm_is_the_only_flapping_one(noise):
    row = noise.loc[STORY_ALARMS["flapping"]]
    assert row["noise_class"] == "flapping"
    assert row["round_trips_max"] >= 5
    assert noise.index[noise["flapping"]].tolist() == [STORY_ALARMS["flapping"]]


def test_cascade_alarms_are_storm(sample, noise):
    begin, _ = story_windows()["cascade"]
    cascade = entered(sample.events, begin, begin + pd.Timedelta(minutes=30))
    assert STORY_ALARMS["cascade"] in cascade and len(cascade) >= 20
    assert noise.loc[sorted(cascade), "storm"].all()
    classes = noise.loc[sorted(cascade), "noise_class"]
    # the flapping story alarm joins the cascade too, but flapping comes first in the order
    assert classes.drop(STORY_ALARMS["flapping"]).eq("storm").all()
    assert noise.loc[STORY_ALARMS["cascade"], "noise_class"] == "storm"


def test_storms_happen_only_in_the_cascade_and_the_maintenance_window(sample, noise):
    windows = story_windows()
    maintenance = entered(
        sample.events, windows["maintenance"][0], windows["maintenance"][1] + pd.Timedelta(minutes=10)
    )
    cascade = entered(sample.events, *windows["cascade"])
    stormy = set(noise.index[noise["storm"]])
    assert stormy <= maintenance | cascade
    assert noise["storm_triggers"].max() <= 2


def test_top_noisy_alarms_on_the_sample(sample, noise):
    top = analysis.top_noisy_alarms(sample)
    assert len(top) == 10
    assert top.loc[0, "alarm_name"] == "payments-api-latency-high"  # the chattiest alarm of the sample
    assert top["triggers"].is_monotonic_decreasing
    flapper = top.set_index("alarm_arn").loc[STORY_ALARMS["flapping"]]
    assert flapper["noise_class"] == "flapping" and flapper["incidents"] < flapper["triggers"]


def test_volumes_add_up_to_the_summary(sample):
    summary = sample.summary()
    daily = analysis.trigger_volume(sample)
    assert len(daily) == 30 and daily.index[0] == pd.Timestamp("2024-04-01", tz="UTC")
    assert daily.sum().to_dict() == {
        k: summary[k] for k in ("created", "deduplicated", "ignored", "rejected", "failed")
    }
    weekly = analysis.trigger_volume(sample, "1W")
    assert [day.day_name() for day in weekly.index] == ["Monday"] * 5
    assert analysis.trigger_volume(sample, "15min").shape == (30 * 96, 5)
    by_impact = analysis.incidents_by_impact(sample)
    assert int(by_impact.to_numpy().sum()) == summary["created"]
    assert analysis.impact_mix(sample)["share"].sum() == pytest.approx(1.0)
    by_plan = analysis.outcomes_by(sample)
    assert int(by_plan["triggers"].sum()) == summary["triggers"]


def test_people_and_titles_on_the_sample(sample):
    away = analysis.interruptions(sample)
    assert int(away["incidents"].sum()) == len(sample.incidents)
    assert int(analysis.interruptions_by_hour(sample, tz="America/New_York").to_numpy().sum()) == len(sample.incidents)
    shifts = analysis.shifts_over_limit(sample)
    assert len(shifts) == 61  # 20:00 on 31 March to 08:00 on 1 May, 12 hours each
    assert int(shifts["incidents"].sum()) == len(sample.incidents)
    titles = analysis.title_cardinality(sample).set_index("response_plan")
    assert titles.loc["all", "triggers"] == sample.summary()["triggers"]
    assert titles.loc["all", ["collisions", "undefined_variables", "cut_titles", "over_limit"]].tolist() == [0, 0, 0, 0]


def test_headline_matches_the_summary(sample):
    figures = analysis.headline(sample)
    summary = sample.summary()
    assert {k: figures[k] for k in ("events", "triggers", "dedup_ratio")} == {
        k: summary[k] for k in ("events", "triggers", "dedup_ratio")
    }
    assert figures["incidents"] == summary["created"]
    assert sum(figures["incidents_by_impact"].values()) == figures["incidents"]
    assert 0 < figures["off_hours_interruptions"] < figures["incidents"]
    assert figures["shifts_over_limit"] == int(analysis.shifts_over_limit(sample)["over_limit"].sum())
