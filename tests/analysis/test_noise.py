"""noise_classes and top_noisy_alarms on hand-built state changes with known answers."""

from __future__ import annotations

import pandas as pd
import pytest

from incidentsim.analysis import (
    NOISE_CLASSES,
    REMEDIES,
    noise_classes,
    top_noisy_alarms,
)

from .helpers import arn, event, flaps, result

HOUR = 60
END = 10 * HOUR  # every history below runs ten hours: a steady alarm's row closes it


def closing() -> list[dict]:
    return [event(0, "steady", "OK", "INSUFFICIENT_DATA"), event(END, "steady", "OK", "OK")]


def classes(rows, **thresholds) -> pd.DataFrame:
    return noise_classes(result(rows + closing()), **thresholds).set_index("alarm_name")


def test_columns_and_types():
    table = noise_classes(result(flaps("a", 60, 2) + closing()))
    assert list(table.columns) == [
        "alarm_arn",
        "alarm_name",
        "alarm_entries",
        "round_trips_max",
        "median_alarm_s",
        "alarm_share",
        "storm_triggers",
        "flapping",
        "short_lived",
        "chronic",
        "storm",
        "noise_class",
        "remedy",
    ]
    assert table["alarm_arn"].tolist() == sorted(table["alarm_arn"])
    assert table[["flapping", "short_lived", "chronic", "storm"]].dtypes.eq(bool).all()
    assert table[["alarm_entries", "round_trips_max", "storm_triggers"]].dtypes.eq("int64").all()


def test_flapping_alarm_counts_round_trips_in_the_window():
    table = classes(flaps("flappy", 60, 5, up=3, down=7))  # five 3-minute spells in 50 minutes
    row = table.loc["flappy"]
    assert (row["alarm_entries"], row["round_trips_max"], row["median_alarm_s"]) == (5, 5, 180.0)
    assert row["alarm_share"] == pytest.approx(15 / END)
    assert row["flapping"] and row["short_lived"] and not row["chronic"] and not row["storm"]
    assert row["noise_class"] == "flapping"
    assert row["remedy"] == REMEDIES["flapping"]
    assert "M of N" in row["remedy"]


def test_round_trips_are_counted_in_the_busiest_window_only():
    rows = flaps("spread", 0, 3, up=5, down=55) + flaps("spread", 5 * HOUR, 4, up=2, down=10)
    row = classes(rows).loc["spread"]
    assert row["alarm_entries"] == 7
    assert row["round_trips_max"] == 4
    assert classes(rows, flap_min=5).loc["spread", "noise_class"] == "short_lived"
    assert (
        classes(rows, flap_window="30min").loc["spread", "round_trips_max"] == 3
    )  # 0, 12, 24 min: the 4th returns at 38


def test_short_lived_alarm_is_not_flapping():
    rows = flaps("blip", 60, 1, up=2) + flaps("blip", 5 * HOUR, 1, up=4)
    row = classes(rows).loc["blip"]
    assert (row["round_trips_max"], row["median_alarm_s"]) == (1, 180.0)
    assert row["noise_class"] == "short_lived"
    assert classes(rows, short_lived="2min").loc["blip", "noise_class"] == "steady"


def test_chronic_alarm_stays_in_alarm_to_the_end_and_outranks_flapping():
    rows = flaps("stuck", 0, 4, up=3, down=3) + [event(30, "stuck", "ALARM", "OK")]
    row = classes(rows).loc["stuck"]
    assert row["median_alarm_s"] == 180.0  # four short spells and one of 9.5 hours
    assert row["alarm_share"] == pytest.approx((4 * 3 + END - 30) / END)
    assert row["flapping"] and row["chronic"] and row["noise_class"] == "chronic"
    assert row["remedy"] == REMEDIES["chronic"]


def test_alarm_already_in_alarm_when_the_history_starts():
    rows = [event(6 * HOUR, "inherited", "OK", "ALARM")]
    row = classes(rows).loc["inherited"]
    assert row["alarm_entries"] == 0 and row["round_trips_max"] == 0  # its spell began before the history
    assert row["alarm_share"] == pytest.approx(0.6)
    assert row["median_alarm_s"] == 6 * 3600
    assert row["noise_class"] == "chronic"


def test_repeated_alarm_rows_extend_one_spell():
    rows = [event(60, "r", "ALARM", "OK"), event(90, "r", "ALARM", "ALARM"), event(120, "r", "OK", "ALARM")]
    row = classes(rows).loc["r"]
    assert (row["alarm_entries"], row["median_alarm_s"], row["round_trips_max"]) == (1, 3600.0, 1)


def test_insufficient_data_ends_a_spell_but_is_no_round_trip():
    rows = [
        event(60, "gap", "ALARM", "OK"),
        event(62, "gap", "INSUFFICIENT_DATA", "ALARM"),
        event(70, "gap", "OK", "INSUFFICIENT_DATA"),
    ]
    row = classes(rows).loc["gap"]
    assert (row["median_alarm_s"], row["round_trips_max"]) == (120.0, 0)


def test_redelivered_copies_are_not_counted_twice():
    rows = flaps("dup", 60, 1, up=10)
    rows.append(event(60, "dup", "ALARM", "OK", duplicate=True, event_id="dup#2"))
    row = classes(rows).loc["dup"]
    assert (row["alarm_entries"], row["median_alarm_s"]) == (1, 600.0)


def test_storm_needs_storm_min_distinct_alarms_in_the_window():
    # ten alarms in ten minutes, each back to OK an hour later
    cascade = [event(60 + minute, f"svc-{minute}", "ALARM", "OK") for minute in range(10)]
    recovery = [event(120 + minute, f"svc-{minute}", "OK", "ALARM") for minute in range(10)]
    late = [event(60 + 40, "late", "ALARM", "OK")]
    repeat = [event(60 + 1.5, "svc-0", "OK", "ALARM"), event(60 + 2.5, "svc-0", "ALARM", "OK")]
    table = classes(cascade + recovery + late + repeat)
    assert table.loc["svc-0", "storm_triggers"] == 2
    assert table.loc[[f"svc-{m}" for m in range(10)], "noise_class"].eq("storm").all()
    assert table.loc["late", "storm_triggers"] == 0 and not table.loc["late", "storm"]
    assert table.loc["late", "noise_class"] == "chronic"  # it never clears
    assert table.loc["svc-3", "remedy"] == REMEDIES["storm"]
    nine = classes(cascade[:9] + repeat)  # svc-0 twice is still nine distinct alarms
    assert not nine["storm"].any()
    assert classes(cascade[:9], storm_min=9)["storm"].sum() == 9
    assert not classes(cascade, storm_window="5min")["storm"].any()
    assert classes(cascade, storm_window="9min")["storm"].sum() == 10  # minute 0 to minute 9: the window is closed


def test_storm_windows_overlap_at_the_edges():
    # 10 alarms from minute 0 to 9 and another 10 from 14 to 23: the second group's window
    # [14, 29) holds only its own alarms, but an entry at 12 falls inside [0, 15) too
    first = [event(60 + m, f"a{m}", "ALARM", "OK") for m in range(10)]
    bridge = [event(60 + 12, "bridge", "ALARM", "OK")]
    second = [event(60 + 14 + m, f"b{m}", "ALARM", "OK") for m in range(10)]
    table = classes(first + bridge + second)
    assert table.loc["bridge", "storm"]
    assert table.loc[["a0", "b9"], "storm"].all()


def test_steady_alarm_and_the_class_order():
    table = classes([event(60, "slow", "ALARM", "OK"), event(3 * HOUR, "slow", "OK", "ALARM")])
    assert table.loc["slow", "noise_class"] == "steady"
    assert table.loc["slow", "remedy"] == REMEDIES["steady"]
    assert table.loc["steady", "median_alarm_s"] != table.loc["steady", "median_alarm_s"]  # NaN: never alarmed
    assert NOISE_CLASSES == ("chronic", "flapping", "storm", "short_lived", "steady")
    assert set(REMEDIES) == set(NOISE_CLASSES)


def test_same_name_in_two_regions_is_two_alarms():
    rows = flaps("api", 60, 1) + [
        {**e, "alarm_arn": arn("api", "eu-west-1"), "event_id": "eu-" + e["event_id"]} for e in flaps("api", 120, 1)
    ]
    table = noise_classes(result(rows + closing()))
    assert (table["alarm_name"] == "api").sum() == 2


def test_empty_result_gives_an_empty_table():
    table = noise_classes(result())
    assert table.empty and "noise_class" in table.columns


@pytest.mark.parametrize(
    ("parameter", "value", "wording"),
    [
        ("flap_window", "soon", "a positive duration such as '1h'"),
        ("flap_window", "-1h", "a positive duration such as '1h'"),
        ("flap_min", 0, "a positive integer"),
        ("flap_min", 2.5, "a positive integer"),
        ("short_lived", 5, "a positive duration such as '1h'"),
        ("chronic_share", 1.5, "a number in (0, 1]"),
        ("chronic_share", 0, "a number in (0, 1]"),
        ("storm_window", "0min", "a positive duration such as '1h'"),
        ("storm_min", True, "a positive integer"),
    ],
)
def test_parameter_errors(parameter, value, wording):
    with pytest.raises(ValueError) as caught:
        noise_classes(result(), **{parameter: value})
    assert (
        str(caught.value) == f"The {parameter!r} parameter of noise_classes must be {wording}. Got {value!r} instead."
    )


def test_top_noisy_alarms_ranks_by_triggers_then_incidents():
    rows = [
        event(0, "a", "ALARM", "OK", "created"),
        event(5, "a", "OK", "ALARM"),
        event(10, "a", "ALARM", "OK", "deduplicated", dedup_reason="dedupe_string"),
        event(15, "a", "OK", "ALARM"),
        event(20, "b", "ALARM", "OK", "created"),
        event(25, "b", "OK", "ALARM"),
        event(30, "b", "ALARM", "OK", "created"),
        event(35, "b", "OK", "ALARM"),
        event(40, "c", "ALARM", "OK", "rejected", error_code="TemplateError"),
        event(45, "quiet", "OK", "INSUFFICIENT_DATA"),
    ]
    top = top_noisy_alarms(result(rows + closing()), n=5)
    assert list(top.columns) == [
        "alarm_arn",
        "alarm_name",
        "alarm_label",
        "triggers",
        "incidents",
        "share_of_triggers",
        "share_of_incidents",
        "noise_class",
        "remedy",
    ]
    assert top["alarm_name"].tolist() == ["b", "a", "c"]  # quiet and steady never triggered
    assert top["triggers"].tolist() == [2, 2, 1]
    assert top["incidents"].tolist() == [2, 1, 0]
    assert top["share_of_triggers"].tolist() == [0.4, 0.4, 0.2]
    assert top["share_of_incidents"].tolist() == pytest.approx([2 / 3, 1 / 3, 0.0])
    assert top["noise_class"].tolist() == ["short_lived", "short_lived", "chronic"]  # c never clears
    assert top["remedy"].tolist() == [REMEDIES[c] for c in top["noise_class"]]
    assert top_noisy_alarms(result(rows + closing()), n=1)["alarm_name"].tolist() == ["b"]


@pytest.mark.parametrize("n", [0, -3, 1.0, "10", None])
def test_top_noisy_alarms_checks_n(n):
    with pytest.raises(ValueError) as caught:
        top_noisy_alarms(result(), n=n)
    assert str(caught.value) == f"The 'n' parameter of top_noisy_alarms must be a positive integer. Got {n!r} instead."
