"""score: incidents against labelled windows, with precision, recall, detection and reset time worked by hand."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import incidentsim
from incidentsim.analysis import SCORE_INCIDENT_COLUMNS, SCORE_SUMMARY_KEYS, SCORE_WINDOW_COLUMNS, Score, score
from incidentsim.datasets import load_windows
from incidentsim.datasets.schema import alarm_arn, record_id, validate_alarm_frame
from incidentsim.policy import Policy

from ..replay.helpers import T0 as REPLAY_T0
from ..replay.helpers import history, policy

T0 = pd.Timestamp("2024-05-01T00:00:00Z")
WEEK_MIN = 7 * 24 * 60


def at(minute: float) -> pd.Timestamp:
    return T0 + pd.Timedelta(minutes=minute)


def windows(*spans: tuple[float, float], series: str | None = None) -> pd.DataFrame:
    frame = pd.DataFrame({"start": [at(a) for a, _ in spans], "end": [at(b) for _, b in spans]})
    if series is not None:
        frame.insert(0, "series", series)
    return frame


def incidents(*rows: tuple) -> pd.DataFrame:
    """Rows of (name, created minute, resolved minute or None[, alarm names])."""
    return pd.DataFrame(
        {
            "incident_arn": [row[0] for row in rows],
            "creation_time": pd.Series([at(row[1]) for row in rows], dtype="datetime64[ns, UTC]"),
            "resolved_time": pd.Series(
                [at(row[2]) if row[2] is not None else pd.NaT for row in rows], dtype="datetime64[ns, UTC]"
            ),
            "alarm_names": [row[3] if len(row) > 3 else ("cpu",) for row in rows],
        }
    )


# W0 [60, 120]   W1 [200, 300]   W2 [400, 420]   W3 [500, 600]; data runs 0..700
WINDOWS = windows((60, 120), (200, 300), (400, 420), (500, 600), series="svc")
INCIDENTS = incidents(
    ("i1", 30, 70),  # opened before W0, still open when it starts
    ("i2", 90, 250),  # opened in W0, spans into W1
    ("i3", 150, 160),  # between windows: a false positive
    ("i4", 300, 310),  # opened exactly at W1's end
    ("i5", 380, 400),  # resolved exactly at W2's start: touches it
    ("i6", 550, None),  # opened in W3, still open at the end of the data
)


@pytest.fixture
def worked() -> Score:
    return score(INCIDENTS, WINDOWS, data_start=T0, data_end=at(700))


def test_each_incident_is_a_true_positive_when_its_active_interval_overlaps_a_window(worked):
    table = worked.incidents
    assert tuple(table.columns) == SCORE_INCIDENT_COLUMNS
    assert table["incident_arn"].tolist() == ["i1", "i2", "i3", "i4", "i5", "i6"]
    assert table["true_positive"].tolist() == [True, True, False, True, True, True]
    assert table["window"].tolist() == [0, 0, -1, 1, 2, 3]
    assert table["opened_in_window"].tolist() == [False, True, False, True, False, True]
    assert table["series"].tolist() == ["svc"] * 6
    assert table["window"].dtype == "int64" and str(table["creation_time"].dtype) == "datetime64[ns, UTC]"
    assert pd.isna(table.loc[5, "resolved_time"])


def test_windows_are_detected_only_by_incidents_created_inside_them(worked):
    table = worked.windows
    assert tuple(table.columns) == SCORE_WINDOW_COLUMNS
    assert table["detected"].tolist() == [True, True, False, True]
    # i1 was open when W0 began, i2 when W1 began, i5 (resolved at 400) when W2 began
    assert table["open_at_start"].tolist() == [True, True, True, False]
    assert table["first_incident_arn"].tolist() == ["i2", "i4", "", "i6"]
    assert table["incidents"].tolist() == [2, 2, 1, 1]


def test_detection_delay_and_reset_time_in_seconds(worked):
    table = worked.windows
    # W0: i2 at 90 - 60; W1: i4 at 300 - 200; W3: i6 at 550 - 500
    assert table["detection_delay_s"].tolist()[:2] == [30 * 60.0, 100 * 60.0]
    assert math.isnan(table.loc[2, "detection_delay_s"]) and table.loc[3, "detection_delay_s"] == 50 * 60.0
    # W0: i2 resolved at 250, 130 min after 120; W1: i4 resolved at 310; W2 undetected; W3: i6 still open
    assert table.loc[0, "reset_time_s"] == 130 * 60.0 and table.loc[1, "reset_time_s"] == 10 * 60.0
    assert math.isnan(table.loc[2, "reset_time_s"]) and math.isnan(table.loc[3, "reset_time_s"])


def test_the_summary_of_the_worked_example(worked):
    s = worked.summary
    assert tuple(s) == SCORE_SUMMARY_KEYS
    assert (s["series"], s["incidents"], s["true_positives"], s["false_positives"], s["windows"], s["detected"]) == (
        "svc",
        6,
        5,
        1,
        4,
        3,
    )
    assert s["precision"] == pytest.approx(5 / 6) and s["recall"] == 0.75
    assert s["f1"] == pytest.approx(2 * (5 / 6) * 0.75 / (5 / 6 + 0.75))
    assert s["detection_delay_s_median"] == 3000.0 and s["detection_delay_s_mean"] == 3600.0
    assert s["reset_time_s_median"] == (7800.0 + 600.0) / 2
    assert s["incidents_per_week"] == pytest.approx(6 / (700 / WEEK_MIN))
    assert (s["data_start"], s["data_end"]) == (T0, at(700))


def test_the_default_span_runs_from_the_first_to_the_last_window_or_incident_time():
    s = score(INCIDENTS, WINDOWS).summary
    assert (s["data_start"], s["data_end"]) == (at(30), at(600))  # i1's creation, W3's end
    assert s["incidents_per_week"] == pytest.approx(6 / (570 / WEEK_MIN))
    assert s["true_positives"] == 5  # i6, open, still counts as active until the default data_end


def test_an_open_incident_is_active_until_data_end():
    late = incidents(("open", 10, None))
    assert score(late, windows((100, 200)), data_end=at(99)).incidents["true_positive"].tolist() == [False]
    assert score(late, windows((100, 200)), data_end=at(100)).incidents["true_positive"].tolist() == [True]
    # created after data_end: active for an instant only
    assert score(incidents(("x", 300, None)), windows((100, 200)), data_end=at(250)).incidents[
        "true_positive"
    ].tolist() == [False]


def test_edges_are_inclusive_at_both_ends():
    table = score(
        incidents(
            ("at-start", 100, 105), ("at-end", 200, 230), ("ends-at-start", 50, 100), ("starts-after-end", 201, 230)
        ),
        windows((100, 200)),
    )
    assert table.incidents["true_positive"].tolist() == [True, True, True, False]
    assert table.incidents["opened_in_window"].tolist() == [True, True, False, False]
    w = table.windows.iloc[0]
    assert w["first_incident_arn"] == "at-start" and w["detection_delay_s"] == 0.0 and w["incidents"] == 3
    # reset: the latest resolution of the incidents opened inside (230) minus the end (200)
    assert w["reset_time_s"] == 30 * 60.0


def test_reset_time_is_clipped_at_zero_and_unknown_while_any_detecting_incident_is_open():
    cleared = score(incidents(("a", 110, 130), ("b", 120, 150)), windows((100, 200))).windows.iloc[0]
    assert cleared["reset_time_s"] == 0.0
    still_open = score(
        incidents(("a", 110, 130), ("b", 120, None)), windows((100, 200)), data_end=at(900)
    ).windows.iloc[0]
    assert still_open["detected"] and math.isnan(still_open["reset_time_s"])


def test_ties_on_creation_time_go_to_the_first_row():
    table = score(incidents(("b", 150, 160), ("a", 150, 170)), windows((100, 200)))
    assert table.windows.loc[0, "first_incident_arn"] == "b"


def test_an_incident_spanning_two_windows_counts_once_and_points_at_the_first():
    table = score(incidents(("long", 110, 450)), windows((100, 200), (300, 400)))
    assert table.incidents[["true_positive", "window", "opened_in_window"]].to_numpy().tolist() == [[True, 0, True]]
    assert table.windows["detected"].tolist() == [True, False] and table.windows["open_at_start"].tolist() == [
        False,
        True,
    ]
    assert table.windows["incidents"].tolist() == [1, 1]
    assert table.summary["precision"] == 1.0 and table.summary["recall"] == 0.5


def test_no_incidents():
    for empty in (pd.DataFrame(), incidents()):
        s = score(empty, WINDOWS, data_start=T0, data_end=at(WEEK_MIN)).summary
        assert (s["incidents"], s["windows"], s["detected"]) == (0, 4, 0)
        assert math.isnan(s["precision"]) and s["recall"] == 0.0 and math.isnan(s["f1"])
        assert math.isnan(s["detection_delay_s_median"]) and math.isnan(s["reset_time_s_median"])
        assert s["incidents_per_week"] == 0.0


def test_no_windows():
    result = score(INCIDENTS, windows(), data_start=T0, data_end=at(WEEK_MIN))
    s = result.summary
    assert (s["incidents"], s["true_positives"], s["false_positives"], s["windows"]) == (6, 0, 6, 0)
    assert s["precision"] == 0.0 and math.isnan(s["recall"]) and math.isnan(s["f1"])
    assert result.incidents["window"].tolist() == [-1] * 6
    assert result.windows.empty and tuple(result.windows.columns) == SCORE_WINDOW_COLUMNS
    assert s["incidents_per_week"] == pytest.approx(6.0)


def test_nothing_at_all():
    s = score(pd.DataFrame(), windows()).summary
    assert (s["incidents"], s["windows"]) == (0, 0)
    assert math.isnan(s["precision"]) and math.isnan(s["recall"]) and math.isnan(s["incidents_per_week"])
    assert pd.isna(s["data_start"]) and pd.isna(s["data_end"])


def test_naive_and_text_times_are_taken_as_utc_and_windows_are_numbered_by_start():
    table = pd.DataFrame(
        {"start": ["2024-05-01 03:20", "2024-05-01 01:00"], "end": ["2024-05-01 03:40", "2024-05-01 02:00"]}
    )
    plain = pd.DataFrame({"incident_arn": ["a"], "creation_time": ["2024-05-01 03:30"], "resolved_time": [None]})
    result = score(plain, table)
    assert result.windows[["window", "detected"]].to_numpy().tolist() == [[0, False], [1, True]]
    assert result.incidents.loc[0, "window"] == 1
    assert result.windows.loc[1, "start"] == pd.Timestamp("2024-05-01 03:20", tz="UTC")


def test_to_frame_gives_one_row_for_sweeps():
    rows = pd.concat(
        [score(INCIDENTS, WINDOWS).to_frame(threshold=threshold) for threshold in (70, 80)],
        ignore_index=True,
    )
    assert list(rows.columns) == ["threshold", *SCORE_SUMMARY_KEYS]
    assert rows["threshold"].tolist() == [70, 80] and rows["incidents"].tolist() == [6, 6]
    with pytest.raises(ValueError, match=r"must not reuse a summary column. Got \['recall'\] instead"):
        score(INCIDENTS, WINDOWS).to_frame(recall=1)
    assert repr(score(INCIDENTS, WINDOWS)).startswith(
        "Score(series='svc', incidents=6, windows=4, detected=3, precision=0.833"
    )


# ---------------------------------------------------------------------------- series


def test_series_picks_one_series_by_stem_from_a_multi_series_windows_table():
    table = pd.concat(
        [windows((60, 120), series="nab/a.csv"), windows((150, 160), series="nab/b.csv")], ignore_index=True
    )
    a = score(INCIDENTS, table, series="a")
    b = score(INCIDENTS, table, series="nab/b.csv")
    assert a.summary["series"] == "nab/a.csv" and a.summary["windows"] == 1 and a.summary["true_positives"] == 2
    assert b.summary["series"] == "nab/b.csv" and b.incidents["true_positive"].tolist() == [
        False,
        True,
        True,
        False,
        False,
        False,
    ]
    none = score(INCIDENTS, table, series="c")  # a series with no labelled windows: every incident is a false positive
    assert none.summary["series"] == "c" and none.summary["windows"] == 0 and none.summary["false_positives"] == 6
    one_series = (
        r"^The 'windows' parameter of score must hold one series, or score needs series= or series_of=\. Got 2 series"
    )
    with pytest.raises(ValueError, match=one_series):
        score(INCIDENTS, table)


def test_series_of_scores_each_incident_against_the_windows_of_its_own_series():
    table = pd.concat(
        [
            windows((60, 120), series="nab/a.csv"),
            windows((200, 300), series="nab/b.csv"),
            windows((0, 900), series="nab/unused.csv"),
        ],
        ignore_index=True,
    )
    mixed = incidents(
        ("a-in-a", 70, 80, ("cpu-a",)),
        ("b-in-a", 70, 80, ("cpu-b",)),  # inside a's window, but b has no window then
        ("b-in-b", 210, 220, ("cpu-b",)),
        ("both", 100, 110, ("cpu-a", "cpu-b")),  # overlaps a's window only
    )
    result = score(mixed, table, series_of={"cpu-a": "a", "cpu-b": "nab/b.csv"})
    assert result.incidents["true_positive"].tolist() == [True, False, True, True]
    assert result.incidents["series"].tolist() == ["nab/a.csv", "nab/b.csv", "nab/b.csv", "nab/a.csv"]
    assert result.windows[["series", "window", "detected", "incidents"]].to_numpy().tolist() == [
        ["nab/a.csv", 0, True, 2],
        ["nab/b.csv", 0, True, 1],
    ]
    assert result.summary["series"] == "" and result.summary["recall"] == 1.0 and result.summary["precision"] == 0.75

    only_b = score(mixed, table, series_of={"cpu-a": "a", "cpu-b": "nab/b.csv"}, series="b")
    assert only_b.summary["series"] == "nab/b.csv"
    assert only_b.incidents["incident_arn"].tolist() == ["b-in-a", "b-in-b", "both"]
    assert only_b.incidents["true_positive"].tolist() == [False, True, False]


def test_series_of_reads_the_semicolon_joined_alarm_names_of_a_csv_export():
    mixed = incidents(("x", 70, 80, "cpu-a;cpu-b"))
    result = score(mixed, windows((60, 120), series="b"), series_of={"cpu-a": "a", "cpu-b": "b"})
    assert result.incidents["series"].tolist() == ["b"] and result.summary["true_positives"] == 1


def test_series_of_must_cover_every_alarm():
    with pytest.raises(ValueError) as caught:
        score(incidents(("x", 1, 2, ("cpu-a", "cpu-z"))), windows((0, 5), series="a"), series_of={"cpu-a": "a"})
    assert str(caught.value) == (
        "The 'series_of' parameter of score must map every alarm in the incidents' alarm_names to a series. "
        "Got no series for ['cpu-z'] instead."
    )


# ---------------------------------------------------------------------------- input errors


def test_missing_columns_are_named_in_house_style():
    with pytest.raises(ValueError) as caught:
        score(INCIDENTS, pd.DataFrame({"begin": [at(0)], "end": [at(1)]}))
    assert str(caught.value) == (
        "The 'windows' parameter of score must have columns {start, end} (and optionally series, window). "
        "Got ['begin', 'end'] instead."
    )
    with pytest.raises(ValueError) as caught:
        score(INCIDENTS.drop(columns="resolved_time"), WINDOWS)
    assert str(caught.value) == (
        "The 'incidents' parameter of score must have columns {incident_arn, creation_time, resolved_time}. "
        "Got ['incident_arn', 'creation_time', 'alarm_names'] instead."
    )
    four = (
        r"^The 'incidents' parameter of score must have columns "
        r"\{incident_arn, creation_time, resolved_time, alarm_names\}\."
    )
    with pytest.raises(ValueError, match=four):
        score(INCIDENTS.drop(columns="alarm_names"), WINDOWS, series_of={"cpu": "svc"})


def test_bad_rows_are_named():
    with pytest.raises(ValueError) as caught:
        score(INCIDENTS, windows((0, 1), (120, 60)))
    assert str(caught.value) == (
        "The 'windows' parameter of score must have end >= start in every row. "
        "Got start 2024-05-01 02:00:00+00:00 and end 2024-05-01 01:00:00+00:00 in row 1 instead."
    )
    with pytest.raises(
        ValueError,
        match=r"^The 'windows' parameter of score must have a start in every row\. Got 'soon' in row 0 instead",
    ):
        score(INCIDENTS, pd.DataFrame({"start": ["soon"], "end": ["2024-05-01"]}))
    with pytest.raises(
        ValueError,
        match=r"^The 'windows' parameter of score must have an end in every row\. Got 'now' in row 0 instead",
    ):
        score(INCIDENTS, pd.DataFrame({"start": ["2024-05-01"], "end": ["now"]}))
    with pytest.raises(
        ValueError, match=r"must have resolved_time >= creation_time in every row\. Got .* in row 1 \(b\) instead"
    ):
        score(incidents(("a", 1, 2), ("b", 5, 4)), WINDOWS)
    with pytest.raises(ValueError, match=r"must have a creation_time in every row\. Got NaT in row 0 \(a\) instead"):
        score(pd.DataFrame({"incident_arn": ["a"], "creation_time": [pd.NaT], "resolved_time": [pd.NaT]}), WINDOWS)


def test_bad_parameters_are_named():
    with pytest.raises(ValueError, match=r"^The 'data_end' parameter of score must not be before data_start"):
        score(INCIDENTS, WINDOWS, data_start=at(10), data_end=at(5))
    with pytest.raises(
        ValueError, match=r"^The 'data_start' parameter of score must be a time such as .* Got 'whenever' instead\.$"
    ):
        score(INCIDENTS, WINDOWS, data_start="whenever")
    with pytest.raises(
        ValueError, match=r"^The 'data_end' parameter of score must be a time such as .* Got 'now' instead\.$"
    ):
        score(INCIDENTS, WINDOWS, data_end="now")
    assert score(INCIDENTS, WINDOWS, data_end=np.datetime64("2024-05-01T12:00")).summary["data_end"] == at(720)
    with pytest.raises(
        ValueError, match=r"^The 'series' parameter of score must be a str, a PathLike or None\. Got 3 instead\.$"
    ):
        score(INCIDENTS, WINDOWS, series=3)  # type: ignore[arg-type]
    with pytest.raises(
        ValueError,
        match=r"^The 'incidents' parameter of score must be a DataFrame or a ReplayResult\. Got list instead",
    ):
        score([], WINDOWS)  # type: ignore[arg-type]
    with pytest.raises(
        ValueError, match=r"^The 'windows' parameter of score must have a series column when series_of is given"
    ):
        score(INCIDENTS, windows((0, 1)), series_of={"cpu": "svc"})


# ---------------------------------------------------------------------------- end to end


def test_a_fast_replay_scored_end_to_end():
    frame = history(
        (0, "web-cpu", "ALARM", "OK"),
        (10, "web-cpu", "OK", "ALARM"),
        (60, "web-cpu", "ALARM", "OK"),
        (70, "web-cpu", "OK", "ALARM"),
    )
    result = incidentsim.replay(
        frame, policy(resolve={"strategy": "on_ok", "delay": "5m"}), engine="fast", progress=False
    )
    labelled = pd.DataFrame(
        {
            "series": "web",
            "start": [REPLAY_T0 - pd.Timedelta(minutes=5), REPLAY_T0 + pd.Timedelta(minutes=100)],
            "end": [REPLAY_T0 + pd.Timedelta(minutes=30), REPLAY_T0 + pd.Timedelta(minutes=200)],
        }
    )
    scored = score(
        result, labelled, data_start=REPLAY_T0 - pd.Timedelta(hours=1), data_end=REPLAY_T0 + pd.Timedelta(hours=4)
    )
    assert scored.incidents["incident_arn"].tolist() == result.incidents["incident_arn"].tolist()
    assert scored.incidents["true_positive"].tolist() == [True, False]
    w = scored.windows
    assert w["detected"].tolist() == [True, False]
    assert (
        w.loc[0, "detection_delay_s"] == 300.0 and w.loc[0, "reset_time_s"] == 0.0
    )  # resolved at 15, window ends at 30
    assert scored.summary["precision"] == 0.5 and scored.summary["recall"] == 0.5
    assert scored.summary["incidents_per_week"] == pytest.approx(2 / (5 / (7 * 24)))
    # the same answer from a duck-typed result
    same = score(
        SimpleNamespace(events=result.events, incidents=result.incidents),
        labelled,
        data_end=REPLAY_T0 + pd.Timedelta(hours=4),
    )
    assert same.windows["detected"].tolist() == [True, False]


def _threshold_alarm(series: pd.DataFrame, alarm: str, threshold: float) -> pd.DataFrame:
    """An AlarmFrame of a one-datapoint alarm on ``value > threshold`` over a NAB series."""
    above = series["value"] > threshold
    flips = series[above != above.shift(fill_value=False)]
    rows = []
    for index, (timestamp, is_above) in enumerate(zip(flips["timestamp"], above[flips.index])):
        state, previous = ("ALARM", "OK") if is_above else ("OK", "ALARM")
        raw = f'{{"alarm": "{alarm}", "time": "{timestamp.isoformat()}", "state": "{state}"}}'
        rows.append(
            {
                "event_id": record_id(raw),
                "timestamp": timestamp,
                "account_id": "111111111111",
                "region": "us-east-1",
                "alarm_name": alarm,
                "alarm_arn": alarm_arn("111111111111", "us-east-1", alarm),
                "state": state,
                "previous_state": previous,
                "reason": f"value crossed {threshold}",
                "source": "aws.cloudwatch",
                "raw": raw,
                "origin": f"nab:{index}",
            }
        )
    return validate_alarm_frame(pd.DataFrame(rows))


def test_a_threshold_alarm_over_a_nab_series_scored_against_its_labels(corpus: Path):
    """Backtest a CPU alarm on NAB's ec2_cpu_utilization_24ae8d and check the score against a brute-force count."""
    key = "realAWSCloudwatch/ec2_cpu_utilization_24ae8d.csv"
    nab = corpus / "nab-realAWSCloudwatch"
    data = pd.read_csv(nab / key)
    data["timestamp"] = pd.to_datetime(data["timestamp"], utc=True)
    labelled = load_windows(nab / "labels" / "combined_windows.json", series=nab / key)  # named by the data file's path
    frame = _threshold_alarm(data, "nab-cpu-24ae8d", 0.3)
    plan = Policy.from_dict(
        {
            "response_plans": [{"name": "nab", "title": "CPU high", "impact": 3}],
            "routes": [{"name": "nab", "match": {"alarm_name": "nab-*"}, "plan": "nab"}],
            "resolve": {"strategy": "on_ok", "delay": "0m"},
        }
    )
    result = incidentsim.replay(frame, plan, engine="fast", progress=False)
    first, last = data["timestamp"].min(), data["timestamp"].max()
    scored = score(result, labelled, data_start=first, data_end=last)

    created = result.incidents["creation_time"].tolist()
    until = [last if pd.isna(r) else r for r in result.incidents["resolved_time"]]
    spans = list(zip(labelled["start"], labelled["end"]))
    assert len(created) == int((frame["state"] == "ALARM").sum())  # resolved on OK, so every ALARM opens a new incident
    hits = [any(c <= e and u >= s for s, e in spans) for c, u in zip(created, until)]
    assert scored.incidents["true_positive"].tolist() == hits
    assert scored.windows["detected"].tolist() == [any(s <= c <= e for c in created) for s, e in spans]
    s = scored.summary
    assert s["series"] == key and s["windows"] == len(spans) == 2
    assert (
        s["precision"] == pytest.approx(sum(hits) / len(hits)) and 0 < s["precision"] < 0.5
    )  # the daily 03:00 spikes page too
    assert s["recall"] == pytest.approx(np.mean(scored.windows["detected"]))
    assert s["incidents_per_week"] == pytest.approx(len(created) / ((last - first) / pd.Timedelta(weeks=1)))
