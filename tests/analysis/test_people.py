"""interruptions, interruptions_by_hour, shifts_over_limit and shift_summary with known answers."""

from __future__ import annotations

import pandas as pd
import pytest

from incidentsim.analysis import (
    interruptions,
    interruptions_by_hour,
    shift_summary,
    shifts_over_limit,
)

from .helpers import Result, event, incident, result


def at(*stamps: str, history: tuple[str, ...] = ()) -> Result:
    """Incidents created at ``stamps`` (UTC); events at the same moments plus ``history``."""
    moments = [pd.Timestamp(stamp, tz="UTC") for stamp in (*stamps, *history)]
    t0 = pd.Timestamp("2024-04-01", tz="UTC")
    minutes = [(moment - t0) / pd.Timedelta(minutes=1) for moment in moments]
    events = [event(minute, "a", "ALARM", "OK", "created") for minute in minutes]
    return result(events, [incident(minute) for minute in minutes[: len(stamps)]])


WEEK = at(
    "2024-04-01 10:00",  # Monday, business hours
    "2024-04-01 08:59",  # before work
    "2024-04-01 18:00",  # business hours end at 18:00
    "2024-04-01 23:00",  # asleep
    "2024-04-02 06:59",  # still asleep
    "2024-04-02 07:00",  # awake, not yet at work
    "2024-04-06 10:00",  # Saturday morning
    "2024-04-07 02:00",  # Sunday night
)


def test_interruptions_split_by_the_hours_of_the_day():
    table = interruptions(WEEK)
    assert list(table.columns) == ["category", "incidents", "share"]
    assert table["category"].tolist() == ["business_hours", "off_hours", "sleep_hours"]
    assert table["incidents"].tolist() == [1, 4, 3]
    assert table["share"].tolist() == [1 / 8, 4 / 8, 3 / 8]


def test_weekend_business_hours_count_when_asked():
    table = interruptions(WEEK, weekend_is_off_hours=False)
    assert table["incidents"].tolist() == [2, 3, 3]


def test_interruptions_read_hours_in_the_time_zone():
    monday_8_utc = at("2024-04-01 08:00")
    assert interruptions(monday_8_utc)["incidents"].tolist() == [0, 1, 0]
    assert interruptions(monday_8_utc, tz="Europe/Berlin")["incidents"].tolist() == [1, 0, 0]  # 10:00 CEST
    assert interruptions(monday_8_utc, tz="America/Los_Angeles")["incidents"].tolist() == [0, 0, 1]  # 01:00 PDT


def test_custom_windows_may_wrap_past_midnight_and_sleep_wins_over_business():
    table = interruptions(WEEK, business_hours=(22, 8), sleep_hours=(2, 4))
    # 08:59 off, 10:00 off, 18:00 off, 23:00 business, 06:59 business, 07:00 business, Sat 10:00 off, Sun 02:00 sleep
    assert table["incidents"].tolist() == [3, 4, 1]
    overlapping = interruptions(WEEK, business_hours=(0, 24), sleep_hours=(23, 7))
    assert overlapping["incidents"].tolist() == [4, 1, 3]  # Saturday daytime is still off hours


def test_no_incidents_means_zero_shares():
    table = interruptions(result())
    assert table["incidents"].tolist() == [0, 0, 0] and table["share"].tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        (
            {"tz": "Mars/Olympus"},
            "The 'tz' parameter of interruptions must be a time zone name such as 'Europe/London'. "
            "Got 'Mars/Olympus' instead.",
        ),
        (
            {"tz": ""},
            "The 'tz' parameter of interruptions must be a time zone name such as 'Europe/London'. Got '' instead.",
        ),
        (
            {"business_hours": (9,)},
            "The 'business_hours' parameter of interruptions must be a (start, end) pair of different hours 0..24. "
            "Got (9,) instead.",
        ),
        (
            {"business_hours": (9, 9)},
            "The 'business_hours' parameter of interruptions must be a (start, end) pair of different hours 0..24. "
            "Got (9, 9) instead.",
        ),
        (
            {"sleep_hours": (23, 25)},
            "The 'sleep_hours' parameter of interruptions must be a (start, end) pair of different hours 0..24. "
            "Got (23, 25) instead.",
        ),
        (
            {"weekend_is_off_hours": "yes"},
            "The 'weekend_is_off_hours' parameter of interruptions must be one of {True, False}. Got 'yes' instead.",
        ),
    ],
)
def test_interruptions_parameter_errors(keywords, message):
    with pytest.raises(ValueError) as caught:
        interruptions(WEEK, **keywords)
    assert str(caught.value) == message


def test_interruptions_by_hour_is_a_week_by_day_grid():
    grid = interruptions_by_hour(WEEK)
    assert grid.shape == (7, 24)
    assert grid.index.tolist() == ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    assert grid.columns.tolist() == list(range(24))
    assert int(grid.to_numpy().sum()) == 8
    assert (grid.loc["Monday", 10], grid.loc["Tuesday", 6], grid.loc["Sunday", 2]) == (1, 1, 1)
    shifted = interruptions_by_hour(WEEK, tz="America/New_York")
    assert shifted.loc["Saturday", 22] == 1  # Sunday 02:00 UTC is Saturday 22:00 EDT
    with pytest.raises(ValueError, match=r"^The 'tz' parameter of interruptions_by_hour must be a time zone name"):
        interruptions_by_hour(WEEK, tz="nowhere")


def test_shifts_count_incidents_and_flag_the_ones_over_the_limit():
    busy = at(
        "2024-04-01 09:00", "2024-04-01 10:00", "2024-04-01 11:00", "2024-04-01 21:00", history=("2024-04-02 07:59",)
    )
    shifts = shifts_over_limit(busy)
    assert list(shifts.columns) == ["shift_start", "shift_end", "incidents", "over_limit"]
    assert shifts["shift_start"].tolist() == [
        pd.Timestamp("2024-04-01 08:00", tz="UTC"),
        pd.Timestamp("2024-04-01 20:00", tz="UTC"),
    ]
    assert shifts["shift_end"].tolist() == [
        pd.Timestamp("2024-04-01 20:00", tz="UTC"),
        pd.Timestamp("2024-04-02 08:00", tz="UTC"),
    ]
    assert shifts["incidents"].tolist() == [3, 1]
    assert shifts["over_limit"].tolist() == [True, False]
    assert not shifts_over_limit(busy, limit=3)["over_limit"].any()
    assert shift_summary(busy).to_dict("records") == [
        {"shifts": 2, "shifts_over_limit": 1, "share": 0.5, "worst_shift_incidents": 3}
    ]


def test_shifts_cover_the_whole_history_including_quiet_ones():
    quiet = at("2024-04-01 09:00", history=("2024-04-01 02:00", "2024-04-03 08:00"))
    shifts = shifts_over_limit(quiet, shift_hours=8, first_shift_start_hour=6)
    assert shifts["shift_start"].iloc[0] == pd.Timestamp("2024-03-31 22:00", tz="UTC")
    assert shifts["shift_start"].iloc[-1] == pd.Timestamp("2024-04-03 06:00", tz="UTC")
    assert len(shifts) == 8
    assert shifts["incidents"].tolist() == [0, 1, 0, 0, 0, 0, 0, 0]
    assert ((shifts["shift_end"] - shifts["shift_start"]) == pd.Timedelta(hours=8)).all()


def test_shifts_follow_wall_clock_time_across_daylight_saving():
    spring = at(
        "2024-03-31 12:00", history=("2024-03-30 12:00",)
    )  # Europe/London moves to BST at 01:00 UTC on 31 March
    shifts = shifts_over_limit(spring, tz="Europe/London")
    lengths = (shifts["shift_end"] - shifts["shift_start"]).tolist()
    assert lengths == [pd.Timedelta(hours=12), pd.Timedelta(hours=11), pd.Timedelta(hours=12)]
    assert [stamp.hour for stamp in shifts["shift_start"]] == [8, 20, 8]
    assert str(shifts["shift_start"].dtype) == "datetime64[ns, Europe/London]"
    autumn = at("2024-10-27 12:00", history=("2024-10-26 12:00",))
    assert (
        shifts_over_limit(autumn, tz="Europe/London")["shift_end"]
        - shifts_over_limit(autumn, tz="Europe/London")["shift_start"]
    ).max() == pd.Timedelta(hours=13)


def test_shifts_of_an_empty_result():
    assert shifts_over_limit(result()).empty
    assert shift_summary(result()).to_dict("records") == [
        {"shifts": 0, "shifts_over_limit": 0, "share": 0.0, "worst_shift_incidents": 0}
    ]


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        (
            {"shift_hours": 5},
            "The 'shift_hours' parameter of {f} must be one of {{1, 2, 3, 4, 6, 8, 12, 24}}. Got 5 instead.",
        ),
        (
            {"shift_hours": True},
            "The 'shift_hours' parameter of {f} must be one of {{1, 2, 3, 4, 6, 8, 12, 24}}. Got True instead.",
        ),
        (
            {"first_shift_start_hour": 24},
            "The 'first_shift_start_hour' parameter of {f} must be an integer in [0, 23]. Got 24 instead.",
        ),
        ({"limit": -1}, "The 'limit' parameter of {f} must be a non-negative integer. Got -1 instead."),
        (
            {"tz": "Utopia"},
            "The 'tz' parameter of {f} must be a time zone name such as 'Europe/London'. Got 'Utopia' instead.",
        ),
    ],
)
@pytest.mark.parametrize("function", [shifts_over_limit, shift_summary])
def test_shift_parameter_errors(function, keywords, message):
    with pytest.raises(ValueError) as caught:
        function(WEEK, **keywords)
    assert str(caught.value) == message.format(f=function.__name__)
