"""Alarm evaluation: hand-worked cases, the documented missing-data tables, and a real NAB series."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import incidentsim
from incidentsim.datasets import AlarmDefinition, evaluate_alarm, evaluation, load_metric_series, validate_alarm_frame
from incidentsim.datasets.evaluation import (
    BASIS,
    PERIOD_COLUMNS,
    TREAT_MISSING_DATA,
    AlarmDefinitionError,
    UnsupportedAlarmError,
    aggregate,
    evaluate_periods,
    java_double,
    threshold_operators,
)
from incidentsim.datasets.loaders import load_alarms
from incidentsim.params import InvalidParameterError

T0 = pd.Timestamp("2024-04-14 10:00", tz="UTC")
PERIOD = 300
LOW, HIGH, THRESHOLD = 1.0, 10.0, 5.0


def definition(**changes) -> AlarmDefinition:
    values = {
        "alarm_name": "web-cpu-high",
        "metric_name": "CPUUtilization",
        "namespace": "AWS/EC2",
        "dimensions": {"InstanceId": "i-0c986c72"},
        "statistic": "Average",
        "period": PERIOD,
        "threshold": THRESHOLD,
        "comparison_operator": "GreaterThanThreshold",
        "evaluation_periods": 3,
    }
    values.update(changes)
    return AlarmDefinition(**values)


def pattern_series(cells: str, *, low: float = LOW, high: float = HIGH) -> pd.DataFrame:
    """One raw point per period, oldest first: ``0`` not breaching, ``X`` breaching, ``-`` no point."""
    times, values = [], []
    for index, cell in enumerate(cells.split()):
        if cell != "-":
            times.append(T0 + pd.Timedelta(seconds=PERIOD * index + 20))
            values.append(high if cell == "X" else low)
    return pd.DataFrame({"timestamp": pd.to_datetime(times, utc=True), "value": np.array(values, dtype="float64")})


def span(cells: str) -> dict:
    """start= and end= covering every period of a pattern."""
    return {"start": T0, "end": T0 + pd.Timedelta(seconds=PERIOD * len(cells.split()))}


def last_state(cells: str, d: AlarmDefinition) -> str:
    table = evaluate_periods(pattern_series(cells), d, **span(cells))
    return str(table["state"].iat[-1])


# ----------------------------------------------------------------------------- the documented tables

# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html
# "How alarm state is evaluated when data is missing": Evaluation Periods 3, evaluation range 5,
# most recent datapoint on the right; columns MISSING, IGNORE, BREACHING, NOT BREACHING.
# The "- - - - X" rows are from the earlier edition of the same table (AlarmThatSendsEmail.md).
THREE_OF_THREE = [
    ("0 - X - X", "OK", "OK", "OK", "OK"),
    ("0 - - - -", "OK", "OK", "OK", "OK"),
    ("- - - - -", "INSUFFICIENT_DATA", "retain", "ALARM", "OK"),
    ("0 X X - X", "ALARM", "ALARM", "ALARM", "ALARM"),
    ("- - X - -", "ALARM", "retain", "ALARM", "OK"),
    ("- - - - X", "INSUFFICIENT_DATA", "retain", "ALARM", "OK"),
]
TWO_OF_THREE = [
    ("0 - X - X", "ALARM", "ALARM", "ALARM", "ALARM"),
    ("0 0 X 0 X", "ALARM", "ALARM", "ALARM", "ALARM"),
    ("0 - X - -", "OK", "OK", "ALARM", "OK"),
    ("- - - - 0", "OK", "OK", "ALARM", "OK"),
    ("- - - X -", "ALARM", "retain", "ALARM", "OK"),
    ("- - - - X", "INSUFFICIENT_DATA", "retain", "ALARM", "OK"),
]
CASES = [
    pytest.param(m, data, treatment, expected, id=f"{m}of3 [{data}] {treatment}")
    for m, table in ((3, THREE_OF_THREE), (2, TWO_OF_THREE))
    for data, *states in table
    for treatment, expected in zip(("missing", "ignore", "breaching", "notBreaching"), states)
]


@pytest.mark.parametrize("m, data, treatment, expected", CASES)
def test_documented_missing_data_tables(m, data, treatment, expected):
    d = definition(datapoints_to_alarm=m, treat_missing_data=treatment)
    # three periods before the five of the table set the state; they are outside its evaluation range
    for prefix, state_before in (("X X X", "ALARM"), ("0 0 0", "OK")):
        got = last_state(f"{prefix} {data}", d)
        assert got == (state_before if expected == "retain" else expected), f"after {prefix!r}"


def test_retained_state_can_be_insufficient_data():
    d = definition(treat_missing_data="ignore")
    assert last_state("- - - - -", d) == "INSUFFICIENT_DATA"


def test_real_datapoints_further_back_are_used_before_the_missing_data_setting():
    # "0 X X X - -": 3 real datapoints in the range, so the two missing ones are not filled
    for treatment in TREAT_MISSING_DATA:
        table = evaluate_periods(
            pattern_series("0 X X X - -"), definition(treat_missing_data=treatment), **span("0 X X X - -")
        )
        assert table["state"].iat[-1] == "ALARM", treatment
        assert table["basis"].iat[-1] == "datapoints"
        assert table["filled"].iat[-1] == 0


def test_only_the_shortfall_is_filled():
    # "0 - X - -" 3 of 3, breaching: two real datapoints, one filled; 2 breaching < 3 -> OK
    table = evaluate_periods(
        pattern_series("0 - X - -"), definition(treat_missing_data="breaching"), **span("0 - X - -")
    )
    last = table.iloc[-1]
    assert (last["datapoints_in_range"], last["filled"], last["breaching_count"], last["state"]) == (2, 1, 2, "OK")
    assert last["basis"] == "filled"


def test_evaluation_range_can_be_changed():
    # with a range of 3 the old "0" is out of reach: all missing, breaching -> ALARM
    d = definition(treat_missing_data="breaching")
    cells = "0 - - -"
    assert str(evaluate_periods(pattern_series(cells), d, **span(cells))["state"].iat[-1]) == "OK"
    assert (
        str(evaluate_periods(pattern_series(cells), d, evaluation_range=3, **span(cells))["state"].iat[-1]) == "ALARM"
    )
    with pytest.raises(
        InvalidParameterError,
        match=r"^The 'evaluation_range' parameter of evaluate_periods must be an integer of at least EvaluationPeriods "
        r"\(3\)\. Got 2 instead\.$",
    ):
        evaluate_periods(pattern_series(cells), d, evaluation_range=2)


def test_dynamodb_metrics_always_ignore_missing_data():
    d = definition(namespace="AWS/DynamoDB", metric_name="ThrottledRequests", treat_missing_data="breaching")
    assert d.effective_treat_missing_data == "ignore"
    assert last_state("0 0 0 - - - - -", d) == "OK"
    assert last_state("0 0 0 - - - - -", d.replace(namespace="AWS/EC2")) == "ALARM"


# ----------------------------------------------------------------------------- hand-worked cases


def test_alarm_starts_in_insufficient_data_and_first_change_is_from_it():
    frame = evaluate_alarm(pattern_series("0 0 0 X X X"), definition(), start=T0)
    assert frame["previous_state"].iat[0] == "INSUFFICIENT_DATA"
    assert frame["state"].astype(str).tolist() == ["OK", "ALARM"]
    # all missing, default treatment: the alarm never leaves INSUFFICIENT_DATA, so nothing changes
    empty = evaluate_alarm(pattern_series("- - -"), definition(), start=T0, end=T0 + pd.Timedelta(hours=1))
    assert empty.empty and list(empty.columns) == list(validate_alarm_frame(empty).columns)


def test_a_row_only_when_the_state_changes():
    cells = "X X X X X 0 0 0 X X X X"
    table = evaluate_periods(pattern_series(cells), definition(), start=T0)
    frame = evaluate_alarm(pattern_series(cells), definition(), start=T0)
    # X, then X X: fewer than 3 real datapoints, all breaching -> still INSUFFICIENT_DATA (not a premature ALARM)
    assert table["state"].astype(str).tolist() == [
        "INSUFFICIENT_DATA",
        "INSUFFICIENT_DATA",
        "ALARM",
        "ALARM",
        "ALARM",
        "OK",
        "OK",
        "OK",
        "OK",
        "OK",
        "ALARM",
        "ALARM",
    ]
    assert len(frame) == int(table["changed"].sum()) == 3
    assert frame["timestamp"].tolist() == table.loc[table["changed"], "evaluated_at"].tolist()
    assert (frame["state"].astype(str).to_numpy()[:-1] == frame["previous_state"].astype(str).to_numpy()[1:]).all()


@pytest.mark.parametrize(
    "operator, below, equal, above",
    [
        ("GreaterThanThreshold", "OK", "OK", "ALARM"),
        ("GreaterThanOrEqualToThreshold", "OK", "ALARM", "ALARM"),
        ("LessThanThreshold", "ALARM", "OK", "OK"),
        ("LessThanOrEqualToThreshold", "ALARM", "ALARM", "OK"),
    ],
)
def test_comparison_operators_and_the_equal_edge(operator, below, equal, above):
    d = definition(comparison_operator=operator, evaluation_periods=1)
    for value, expected in ((THRESHOLD - 0.5, below), (THRESHOLD, equal), (THRESHOLD + 0.5, above)):
        series = pd.DataFrame({"timestamp": [T0], "value": [value]})
        table = evaluate_periods(series, d, start=T0)
        assert str(table["state"].iat[0]) == expected, (operator, value)
        assert bool(table["breaching"].iat[0]) == (expected == "ALARM")
    assert set(threshold_operators()) == {
        "GreaterThanThreshold",
        "GreaterThanOrEqualToThreshold",
        "LessThanThreshold",
        "LessThanOrEqualToThreshold",
    }


@pytest.mark.parametrize(
    "statistic, first, second",
    [
        ("Average", 3.0, 10.0),
        ("Sum", 9.0, 10.0),
        ("Minimum", 1.0, 10.0),
        ("Maximum", 6.0, 10.0),
        ("SampleCount", 3.0, 1.0),
        ("p50", 2.0, 10.0),
        ("p90", 6.0, 10.0),
        ("p0", 1.0, 10.0),
        ("p100", 6.0, 10.0),
    ],
)
def test_statistics_aggregate_raw_points_per_period(statistic, first, second):
    series = pd.DataFrame(
        {
            "timestamp": [T0 + pd.Timedelta(seconds=s) for s in (290, 10, 150, 310, 100)],
            "value": [2.0, 1.0, 6.0, 10.0, np.nan],  # the NaN is a missing point: not counted
        }
    )
    table = aggregate(series, statistic, PERIOD)
    assert table["period_start"].tolist() == [T0, T0 + pd.Timedelta(seconds=PERIOD)]
    assert table["value"].tolist() == [first, second]
    assert table["sample_count"].tolist() == [3, 1]
    evaluated = evaluate_periods(series, definition(statistic=statistic, evaluation_periods=1, threshold=2.5), start=T0)
    assert evaluated["value"].tolist() == [first, second]
    assert evaluated["breaching"].tolist() == [first > 2.5, second > 2.5]


def test_periods_are_aligned_to_the_epoch():
    series = pd.DataFrame(
        {"timestamp": pd.to_datetime(["2024-04-14 10:07:59", "2024-04-14 10:08:00"], utc=True), "value": [1.0, 2.0]}
    )
    table = aggregate(series, "Sum", 240)  # 4-minute periods start at :04 and :08 past the hour
    assert table["period_start"].dt.strftime("%H:%M").tolist() == ["10:04", "10:08"]


def test_reason_reads_like_cloudwatch():
    values = [10.0, 85.2, 30.0, 81.0, 90.5, 60.0, 75.0]
    series = pd.DataFrame(
        {"timestamp": [T0 + pd.Timedelta(minutes=5 * i) for i in range(len(values))], "value": values}
    )
    d = definition(threshold=70.0, evaluation_periods=5, datapoints_to_alarm=3)
    frame = evaluate_alarm(series, d, start=T0)
    alarm = frame.loc[frame["state"] == "ALARM"].iloc[0]
    assert alarm["reason"] == (
        "Threshold Crossed: 3 out of the last 5 datapoints [90.5 (14/04/24 10:20:00), 81.0 (14/04/24 10:15:00), "
        "85.2 (14/04/24 10:05:00)] were greater than the threshold (70.0) "
        "(minimum 3 datapoints for OK -> ALARM transition)."
    )
    first = frame.iloc[0]
    assert first["reason"] == (
        "Threshold Crossed: 1 out of the last 5 datapoints [10.0 (14/04/24 10:00:00)] "
        "was not greater than the threshold (70.0) "
        "(minimum 3 datapoints for ALARM -> OK transition)."
    )


def test_reasons_for_missing_data():
    d = definition(treat_missing_data="breaching")
    cells = "0 0 0 - - - - -"
    frame = evaluate_alarm(pattern_series(cells), d, **span(cells))
    assert frame["reason"].iat[-1] == (
        "Threshold Crossed: no datapoints were received for 3 periods "
        "and 3 missing datapoints were treated as [Breaching]."
    )
    frame = evaluate_alarm(pattern_series(cells), d.replace(treat_missing_data="missing"), **span(cells))
    assert frame["state"].iat[-1] == "INSUFFICIENT_DATA"
    assert frame["reason"].iat[-1] == "Insufficient Data: 3 datapoints were unknown."
    # partly filled: the real breaching datapoint is listed, the filled ones are counted and said
    cells = "0 0 0 0 0 X - -"
    frame = evaluate_alarm(pattern_series(cells), d, evaluation_range=3, **span(cells))
    assert frame["reason"].iat[-1] == (
        "Threshold Crossed: 3 out of the last 3 datapoints [10.0 (14/04/24 10:25:00)] "
        "were greater than the threshold (5.0) "
        "(minimum 3 datapoints for OK -> ALARM transition). 2 missing datapoints were treated as [Breaching]."
    )


def test_premature_alarm_rule_lists_the_breaching_datapoint():
    # ranges at the end: "- - - - X", "- - - X -" (INSUFFICIENT_DATA), "- - X - -" (ALARM)
    cells = "0 0 0 - - - - - X - -"
    frame = evaluate_alarm(pattern_series(cells), definition(), **span(cells))
    table = evaluate_periods(pattern_series(cells), definition(), **span(cells))
    assert table["basis"].astype(str).tolist()[-3:] == ["insufficient", "insufficient", "premature"]
    assert frame["state"].astype(str).tolist() == ["OK", "INSUFFICIENT_DATA", "ALARM"]
    assert (
        frame["reason"]
        .iat[-1]
        .startswith("Threshold Crossed: 1 out of the last 3 datapoints [10.0 (14/04/24 10:40:00)] was greater")
    )


def test_low_sample_percentiles_can_be_ignored():
    # p90 needs 10 / (1 - 0.9) = 100 samples in the evaluated periods
    times = [T0 + pd.Timedelta(seconds=s) for s in range(0, 3 * PERIOD, 30)]  # 10 samples per period
    series = pd.DataFrame({"timestamp": times, "value": [HIGH] * len(times)})
    d = definition(statistic="p90", evaluation_periods=1)
    assert evaluate_alarm(series, d, start=T0)["state"].astype(str).tolist() == ["ALARM"]
    ignored = d.replace(evaluate_low_sample_count_percentile="ignore")
    assert evaluate_alarm(series, ignored, start=T0).empty
    assert set(evaluate_periods(series, ignored, start=T0)["basis"].astype(str)) == {"low_samples"}
    dense = pd.DataFrame({"timestamp": [T0 + pd.Timedelta(seconds=s * 2.5) for s in range(120)], "value": [HIGH] * 120})
    assert evaluate_alarm(dense, ignored, start=T0)["state"].astype(str).tolist() == ["ALARM"]


def test_data_before_start_is_used_and_the_series_end_is_missing_data():
    series = pattern_series("X X X X")
    frame = evaluate_alarm(
        series, definition(), start=T0 + pd.Timedelta(seconds=3 * PERIOD), end=T0 + pd.Timedelta(seconds=12 * PERIOD)
    )
    # first evaluation (end of the 4th period) already sees 3 breaching datapoints; later the range empties
    assert frame["timestamp"].iat[0] == T0 + pd.Timedelta(seconds=4 * PERIOD)
    assert frame["state"].astype(str).tolist() == ["ALARM", "INSUFFICIENT_DATA"]


def test_default_start_waits_for_one_evaluation_range():
    d = definition(treat_missing_data="breaching")
    table = evaluate_periods(pattern_series("0 0 0 0 0 0 0"), d)
    # N = 3, range 5: the first evaluation is the end of the 5th period; nothing before the series is read as missing
    assert table["period_start"].iat[0] == T0 + pd.Timedelta(seconds=4 * PERIOD)
    assert len(table) == 3 and set(table["state"].astype(str)) == {"OK"}


def test_period_table_columns():
    table = evaluate_periods(pattern_series("0 X - X X"), definition(datapoints_to_alarm=2), start=T0)
    assert tuple(table.columns) == PERIOD_COLUMNS
    assert str(table["period_start"].dtype) == "datetime64[ns, UTC]"
    assert str(table["breaching"].dtype) == "boolean"
    assert table["breaching"].isna().tolist() == [False, False, True, False, False]
    assert table["present"].tolist() == [True, True, False, True, True]
    assert list(table["basis"].cat.categories) == list(BASIS)
    assert (table["evaluated_at"] - table["period_start"] == pd.Timedelta(seconds=PERIOD)).all()


def test_a_series_with_a_datetime_index_works_too():
    frame = pattern_series("0 X X X")
    series = pd.Series(frame["value"].to_numpy(), index=pd.DatetimeIndex(frame["timestamp"]))
    assert evaluate_alarm(series, definition(), start=T0)["state"].astype(str).tolist() == ["OK", "ALARM"]
    with pytest.raises(
        InvalidParameterError,
        match=r"^The 'series' parameter of evaluate_alarm must be a metric series such as load_metric_series returns, "
        r"with columns \{timestamp, value\} or a Series\. Got a table without \{timestamp\} instead\.$",
    ):
        evaluate_alarm(pd.DataFrame({"time": [T0], "value": [1.0]}), definition())
    with pytest.raises(
        InvalidParameterError,
        match=r"^The 'series' parameter of evaluate_alarm must have a datapoint, unless start and end are both given "
        r"\(to evaluate an alarm over missing data\)\. Got a series without datapoints instead\.$",
    ):
        evaluate_alarm(pattern_series("- -"), definition())


@pytest.mark.parametrize(
    "function, arguments, options, parameter, shown",
    [
        ("aggregate", ("series",), {"statistic": "Mean", "period": 60}, "statistic", "'Mean'"),
        ("aggregate", ("series",), {"statistic": 3, "period": 60}, "statistic", "3"),
        ("aggregate", ("series",), {"statistic": "Sum", "period": 0}, "period", "0"),
        ("aggregate", ("series",), {"statistic": "Sum", "period": 60.0}, "period", "60.0"),
        ("aggregate", (), {"series": [1, 2], "statistic": "Sum", "period": 60}, "series", "list"),
        ("evaluate_periods", ("series",), {"definition": "cpu-high"}, "definition", "'cpu-high'"),
        ("evaluate_periods", ("series", "definition"), {"start": "soon"}, "start", "'soon'"),
        ("evaluate_periods", ("series", "definition"), {"end": 5}, "end", "5"),
        ("evaluate_periods", ("series", "definition"), {"evaluation_range": 0}, "evaluation_range", "0"),
        ("evaluate_alarm", ("series", "definition"), {"evaluation_range": "5"}, "evaluation_range", "'5'"),
        ("evaluate_alarm", ("series", "definition"), {"start": "2024-13-45"}, "start", "'2024-13-45'"),
        ("evaluate_alarm", ("series", "definition"), {"series_name": 7}, "series_name", "7"),
        (
            "evaluate_alarm",
            ("definition",),
            {"series": pd.Series([1.0, 2.0])},
            "series",
            "a Series with a RangeIndex",
        ),
        (
            "evaluate_alarm",
            ("definition",),
            {"series": pd.DataFrame({"timestamp": [T0, None], "value": [1.0, 2.0]})},
            "series",
            "an empty time at row 1",
        ),
        ("default_evaluation_range", (), {"evaluation_periods": 0}, "evaluation_periods", "0"),
    ],
)
def test_each_parameter_is_checked_by_its_table(function, arguments, options, parameter, shown):
    given = {"series": pattern_series("0 X X"), "definition": definition()}
    with pytest.raises(InvalidParameterError) as caught:
        getattr(evaluation, function)(**{name: given[name] for name in arguments}, **options)
    assert (caught.value.parameter, caught.value.owner, caught.value.got) == (parameter, function, shown)
    assert str(caught.value).startswith(f"The '{parameter}' parameter of {function} must ")


def test_a_series_value_that_is_no_number_is_named():
    series = pattern_series("0 X X").assign(value=["1", "high", "3"])
    with pytest.raises(
        InvalidParameterError,
        match=r"^The 'series' parameter of evaluate_alarm must have numbers as values\. Got a value ",
    ):
        evaluate_alarm(series, definition())


# ----------------------------------------------------------------------------- the AlarmFrame


def test_frame_raw_is_an_eventbridge_event_that_loads_back(tmp_path: Path):
    d = definition(datapoints_to_alarm=2, account_id="111122223333", region="eu-west-1", description="CPU above 5")
    cells = "0 0 X X 0 0 X - X 0 0 0"
    frame = evaluate_alarm(pattern_series(cells), d, start=T0, series_name="cpu.csv")
    assert len(frame) >= 4 and (frame["source"] == "aws.cloudwatch").all()
    event = json.loads(frame["raw"].iat[1])
    assert event["detail-type"] == "CloudWatch Alarm State Change"
    assert event["resources"] == [d.alarm_arn] and event["account"] == "111122223333" and event["region"] == "eu-west-1"
    assert event["detail"]["state"]["value"] == frame["state"].iat[1]
    assert event["detail"]["state"]["reason"] == frame["reason"].iat[1]
    assert event["detail"]["previousState"]["reason"] == frame["reason"].iat[0]
    assert json.loads(event["detail"]["state"]["reasonData"])["threshold"] == THRESHOLD
    assert event["detail"]["configuration"]["metrics"][0]["metricStat"]["stat"] == "Average"
    assert frame["origin"].iat[0].startswith("cpu.csv:period 2024-04-14T")
    assert frame["dimensions"].iat[0] == '{"InstanceId":"i-0c986c72"}'

    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(frame["raw"]) + "\n")
    loaded = load_alarms(path).alarms
    columns = [
        "event_id",
        "timestamp",
        "alarm_arn",
        "alarm_name",
        "account_id",
        "region",
        "state",
        "previous_state",
        "reason",
        "namespace",
        "metric_name",
        "dimensions",
    ]
    pd.testing.assert_frame_equal(loaded[columns], frame[columns])


def test_event_ids_are_stable_and_unique():
    cells = "0 0 X X 0 0 X X X 0 0 0 X X"
    first = evaluate_alarm(pattern_series(cells), definition(datapoints_to_alarm=2), start=T0)
    second = evaluate_alarm(pattern_series(cells), definition(datapoints_to_alarm=2), start=T0)
    assert first["event_id"].tolist() == second["event_id"].tolist()
    assert first["event_id"].is_unique


def test_java_double_matches_cloudwatch_reason_numbers():
    assert [java_double(v) for v in (70, 0.0666851903306472, 45628.0, 1e7, 1.7239483e8, 0.0001, -2.5e-5)] == [
        "70.0",
        "0.0666851903306472",
        "45628.0",
        "1.0E7",
        "1.7239483E8",
        "1.0E-4",
        "-2.5E-5",
    ]


# ----------------------------------------------------------------------------- definitions


def test_definition_validation_names_the_field():
    with pytest.raises(
        AlarmDefinitionError, match=r"^AlarmDefinition period: must be 10, 20, 30 or a multiple of 60, got 45$"
    ):
        definition(period=45)
    for period in (10, 20, 30, 60, 3600):
        assert definition(period=period).period == period
    with pytest.raises(
        AlarmDefinitionError, match=r"datapoints_to_alarm: must be at most EvaluationPeriods \(3\), got 4"
    ):
        definition(datapoints_to_alarm=4)
    with pytest.raises(
        AlarmDefinitionError,
        match=r"comparison_operator: must be one of GreaterThanOrEqualToThreshold, .*got 'GreaterThan'",
    ):
        definition(comparison_operator="GreaterThan")
    with pytest.raises(UnsupportedAlarmError, match="anomaly detection band"):
        definition(comparison_operator="LessThanLowerOrGreaterThanUpperThreshold")
    with pytest.raises(
        AlarmDefinitionError, match="treat_missing_data: must be one of missing, ignore, breaching, notBreaching"
    ):
        definition(treat_missing_data="zero")
    with pytest.raises(
        AlarmDefinitionError, match="statistic: must be one of SampleCount, Average, Sum, Minimum, Maximum"
    ):
        definition(statistic="tm90")
    with pytest.raises(AlarmDefinitionError, match="threshold: expected a number, got str"):
        definition(threshold="70")
    with pytest.raises(AlarmDefinitionError, match=r"at most 86,400 seconds \(1 day\), got 90,000"):
        definition(period=60, evaluation_periods=1500)
    with pytest.raises(AlarmDefinitionError, match="alarm_name: must be 1 to 255 characters"):
        definition(alarm_name="")
    with pytest.raises(AlarmDefinitionError, match="account_id: expected a 12-digit account"):
        definition(account_id="123")


def test_definition_replace_and_defaults():
    d = definition()
    assert (d.m, d.n, d.datapoints_to_alarm, d.treat_missing_data, d.account_id, d.region) == (
        3,
        3,
        None,
        "missing",
        "123456789012",
        "us-east-1",
    )
    assert d.replace(evaluation_periods=5).m == 5  # M follows N while it is not set
    assert d.replace(threshold=80).threshold == 80.0 and d.threshold == THRESHOLD
    assert hash(d) == hash(definition()) and d == definition()
    dims = {"InstanceId": "i-1"}
    copy = definition(dimensions=dims)
    dims["InstanceId"] = "changed"
    assert copy.dimensions == {"InstanceId": "i-1"}


def test_from_api_and_to_api_round_trip():
    d = definition(datapoints_to_alarm=2, treat_missing_data="notBreaching", unit="Percent", description="cpu")
    assert AlarmDefinition.from_api(d.to_api()) == d
    p99 = definition(statistic="p99", evaluate_low_sample_count_percentile="ignore")
    assert p99.to_api()["ExtendedStatistic"] == "p99" and "Statistic" not in p99.to_api()
    assert AlarmDefinition.from_api(p99.to_api()) == p99


def test_from_api_errors_name_the_place_and_member():
    api = definition().to_api()
    with pytest.raises(
        AlarmDefinitionError,
        match=r"^alarm.yaml MetricAlarms\[0\].Period: must be 10, 20, 30 or a multiple of 60, got 45$",
    ):
        AlarmDefinition.from_api({**api, "Period": 45}, "alarm.yaml", path="MetricAlarms[0]")
    with pytest.raises(AlarmDefinitionError, match=r"^a.json Period: expected an integer, got str '300'$"):
        AlarmDefinition.from_api({**api, "Period": "300"}, "a.json")
    with pytest.raises(
        AlarmDefinitionError,
        match=r"^a.json DatapointsToAlarm: must be at most EvaluationPeriods \(3\), got 5: CloudWatch "
        r"refuses an alarm whose DatapointsToAlarm \(M\) is more than its EvaluationPeriods \(N\)$",
    ):
        AlarmDefinition.from_api({**api, "DatapointsToAlarm": 5}, "a.json")
    with pytest.raises(AlarmDefinitionError, match=r"^a.json ComparisonOperator: must be one of .* got 'Above'$"):
        AlarmDefinition.from_api({**api, "ComparisonOperator": "Above"}, "a.json")
    with pytest.raises(AlarmDefinitionError, match=r"^a.json Threshold: is missing$"):
        AlarmDefinition.from_api({k: v for k, v in api.items() if k != "Threshold"}, "a.json")
    with pytest.raises(
        AlarmDefinitionError, match=r"^a.json Treshold: unknown member; PutMetricAlarm takes .*AlarmName"
    ):
        AlarmDefinition.from_api({**api, "Treshold": 1}, "a.json")
    with pytest.raises(AlarmDefinitionError, match="give either Statistic or ExtendedStatistic, not both"):
        AlarmDefinition.from_api({**api, "ExtendedStatistic": "p99"}, "a.json")
    with pytest.raises(UnsupportedAlarmError, match=r"^a.json Metrics: alarm 'web-cpu-high': a metric math alarm"):
        AlarmDefinition.from_api({**api, "Metrics": [{"Id": "m1", "Expression": "m2 * 2"}]}, "a.json")
    with pytest.raises(UnsupportedAlarmError, match="ExtendedStatistic: alarm 'web-cpu-high': only percentiles"):
        AlarmDefinition.from_api(
            {**{k: v for k, v in api.items() if k != "Statistic"}, "ExtendedStatistic": "IQM"}, "a.json"
        )
    with pytest.raises(UnsupportedAlarmError, match=r"EvaluationWindow.WallClockWindow.Timezone: .*'America/New_York'"):
        AlarmDefinition.from_api(
            {**api, "EvaluationWindow": {"WallClockWindow": {"Timezone": "America/New_York"}}}, "a.json"
        )
    assert (
        AlarmDefinition.from_api({**api, "EvaluationWindow": {"WallClockWindow": {"Timezone": "UTC"}}}).period == PERIOD
    )


def test_validation_follows_botocore_documentation():
    import botocore.session

    shape = botocore.session.get_session().get_service_model("cloudwatch").operation_model("PutMetricAlarm").input_shape
    docs = {name: re.sub("<[^>]+>", "", member.documentation) for name, member in shape.members.items()}
    assert "breaching | notBreaching | ignore | missing" in docs["TreatMissingData"]
    assert set(TREAT_MISSING_DATA) == {"breaching", "notBreaching", "ignore", "missing"}
    assert "Valid values are 10, 20, 30, and any multiple of 60" in docs["Period"]
    assert "604,800 seconds" in docs["Period"] and "86,400 seconds" in docs["Period"]
    assert "AWS/DynamoDB namespace always ignore missing data" in docs["TreatMissingData"]


# ----------------------------------------------------------------------------- a real series


NAB = "nab-realAWSCloudwatch/realAWSCloudwatch"
_ITEM = re.compile(r"(?P<value>-?[\d.]+(?:E-?\d+)?) \((?P<time>\d\d/\d\d/\d\d \d\d:\d\d:\d\d)\)")


def _listed(reason: str) -> list[tuple[float, pd.Timestamp]]:
    inside = reason[reason.index("[") + 1 : reason.index("]")]
    return [
        (float(m["value"]), pd.Timestamp(pd.to_datetime(m["time"], format="%d/%m/%y %H:%M:%S"), tz="UTC"))
        for m in _ITEM.finditer(inside)
    ]


@pytest.mark.parametrize(
    "file, threshold, treatment",
    [
        ("ec2_cpu_utilization_825cc2.csv", 95.0, "missing"),  # two 10-minute gaps
        ("ec2_cpu_utilization_ac20cd.csv", 40.0, "breaching"),  # a 15- and a 20-minute gap: filled as breaching
        ("ec2_disk_write_bytes_1ef3de.csv", 1e7, "notBreaching"),  # duplicate timestamps and an hour missing (DST)
    ],
)
def test_nab_series_evaluated_in_place(corpus, file, threshold, treatment):
    series = load_metric_series(corpus / NAB / file)
    counts = series.attrs["counts"]
    assert counts["read"] == counts["loaded"] + counts["rejected"] and counts["rejected"] == 0
    d = definition(
        alarm_name=f"nab-{file.split('.')[0]}",
        threshold=threshold,
        evaluation_periods=5,
        datapoints_to_alarm=3,
        treat_missing_data=treatment,
    )
    table = evaluate_periods(series, d)
    frame = evaluate_alarm(series, d)

    # accounting: every raw point is in one period; one evaluation per period from the default start
    # to the last datapoint
    assert int(aggregate(series, "Average", PERIOD)["sample_count"].sum()) == counts["loaded"] - counts["missing"]
    first_period = series["timestamp"].min().floor("300s")
    assert table["period_start"].iat[0] == first_period + pd.Timedelta(seconds=PERIOD * (d.n + 2 - 1))
    assert table["period_start"].iat[-1] == series["timestamp"].max().floor("300s")
    assert (table["period_start"].diff().dropna() == pd.Timedelta(seconds=PERIOD)).all()
    assert len(frame) == int(table["changed"].sum()) > 2

    # the frame validates and its changes alternate
    pd.testing.assert_frame_equal(validate_alarm_frame(frame), frame)
    states = frame["state"].astype(str).tolist()
    previous = frame["previous_state"].astype(str).tolist()
    assert previous[0] == "INSUFFICIENT_DATA"
    assert all(a != b for a, b in zip(states, previous))
    assert previous[1:] == states[:-1]
    assert frame["timestamp"].is_monotonic_increasing and frame["event_id"].is_unique

    # every ALARM reason lists datapoints that breach (and OK reasons ones that do not), from the series itself
    by_period = aggregate(series, "Average", PERIOD).set_index("period_start")["value"]
    for _, row in frame.iterrows():
        if row["state"] == "INSUFFICIENT_DATA":
            continue
        listed = _listed(row["reason"])
        count = int(re.match(r"Threshold Crossed: (\d+) out of the last 5 datapoints", row["reason"])[1])
        assert len(listed) <= count
        for value, start in listed:
            assert start < row["timestamp"] and start >= row["timestamp"] - pd.Timedelta(seconds=PERIOD * 7)
            assert value == pytest.approx(by_period[start], rel=1e-12)
            assert (value > threshold) == (row["state"] == "ALARM"), row["reason"]
        if row["state"] == "ALARM":
            assert count >= d.m

    # replayed: each ALARM transition triggers StartIncident, nothing else does
    policy = incidentsim.Policy.from_dict(
        {
            "response_plans": [{"name": "nab", "title": "NAB metric alarm", "impact": 3}],
            "routes": [{"name": "nab", "match": {"alarm_name": "nab-*"}, "plan": "nab"}],
            "resolve": {"strategy": "never"},
        }
    )
    result = incidentsim.replay(frame, policy, engine="fast", progress=False)
    events = result.events
    assert len(events) == len(frame)
    alarm = (events["state"] == "ALARM").to_numpy()
    assert events.loc[alarm, "outcome"].isin(["created", "deduplicated"]).all()
    assert (events.loc[~alarm, "outcome"] == "ignored").all()
    assert result.summary()["triggers"] == int(alarm.sum())
