"""Reading metric series and alarm definitions from files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from incidentsim.datasets import AlarmDefinition, evaluate_alarm, load_alarm_definitions, load_metric_series
from incidentsim.datasets.evaluation import AlarmDefinitionError
from incidentsim.datasets.metrics import DefinitionLoad, MetricSeriesError
from incidentsim.params import InvalidParameterError

NAB = "nab-realAWSCloudwatch/realAWSCloudwatch"
UTC = "datetime64[ns, UTC]"


def adds_up(series: pd.DataFrame) -> dict:
    counts = series.attrs["counts"]
    assert counts["read"] == counts["loaded"] + counts["rejected"] == counts["loaded"] + len(series.attrs["rejected"])
    assert counts["loaded"] == len(series)
    assert counts["missing"] == int(series["value"].isna().sum())
    assert str(series["timestamp"].dtype) == UTC and str(series["value"].dtype) == "float64"
    assert series["timestamp"].is_monotonic_increasing
    return counts


# ----------------------------------------------------------------------------- series: CSV and Parquet


def test_nab_csv_in_place(corpus):
    series = load_metric_series(corpus / NAB / "ec2_cpu_utilization_24ae8d.csv")
    assert adds_up(series) == {"read": 4032, "loaded": 4032, "rejected": 0, "missing": 0}
    assert series["timestamp"].iat[0] == pd.Timestamp("2014-02-14 14:30:00", tz="UTC")  # naive = UTC
    assert series["value"].iat[0] == 0.132
    assert series.attrs["name"] == "ec2_cpu_utilization_24ae8d.csv" and series.attrs["format"] == "csv"


def test_nab_duplicate_timestamps_are_kept(corpus):
    series = load_metric_series(corpus / NAB / "ec2_disk_write_bytes_1ef3de.csv")
    adds_up(series)
    assert series["timestamp"].duplicated().sum() == 11  # the DST repeats, kept for aggregation


def test_csv_times_values_and_missing(tmp_path: Path):
    path = tmp_path / "cpu.csv"
    path.write_text(
        "timestamp,value\n"
        "2024-04-14T10:10:00Z,3.5\n"
        "2024-04-14 11:00:00+01:00,1\n"  # 10:00 UTC: sorted before the first row
        "\n"
        "1713089100,NaN\n"  # epoch seconds, 10:05 UTC; NaN is a missing datapoint
        "2024-04-14 10:15:00,\n"  # empty value: missing too
    )
    series = load_metric_series(path)
    assert adds_up(series) == {"read": 4, "loaded": 4, "rejected": 0, "missing": 2}
    assert series["timestamp"].dt.strftime("%H:%M").tolist() == ["10:00", "10:05", "10:10", "10:15"]
    assert series["value"].tolist()[::2] == [1.0, 3.5]


def test_csv_bad_rows_name_the_file_and_line(tmp_path: Path):
    path = tmp_path / "cpu.csv"
    path.write_text(
        "timestamp,value\n2024-04-14 10:00:00,1\n2024-04-14 10:05:00,abc\nyesterday,2\n2024-04-14 10:15:00,inf\n"
    )
    with pytest.raises(
        MetricSeriesError,
        match=r"^cpu.csv:3: value: expected a number, got 'abc' \(2 more bad rows; errors='quarantine'",
    ):
        load_metric_series(path)
    series = load_metric_series(path, errors="quarantine")
    assert adds_up(series) == {"read": 4, "loaded": 1, "rejected": 3, "missing": 0}
    assert series.attrs["rejected"] == [
        {"origin": "cpu.csv:3", "field": "value", "problem": "expected a number, got 'abc'"},
        {
            "origin": "cpu.csv:4",
            "field": "timestamp",
            "problem": "expected an ISO 8601 timestamp such as 2014-02-14 14:30:00, got 'yesterday'",
        },
        {"origin": "cpu.csv:5", "field": "value", "problem": "expected a finite number, got inf"},
    ]
    path.write_text("time,value\n2024-04-14 10:00:00,1\n")
    with pytest.raises(MetricSeriesError, match=r"^cpu.csv:1: timestamp: no such column; the file has time, value$"):
        load_metric_series(path)
    assert load_metric_series(path, timestamp_column="time")["value"].tolist() == [1.0]
    path.write_text("timestamp,value\n,1\n")
    with pytest.raises(MetricSeriesError, match=r"^cpu.csv:2: timestamp: is empty$"):
        load_metric_series(path)


def test_gzip_csv(tmp_path: Path):
    path = tmp_path / "cpu.csv.gz"
    path.write_bytes(gzip.compress(b"timestamp,value\n2024-04-14 10:00:00,1\n"))
    assert load_metric_series(path)["value"].tolist() == [1.0]


def test_parquet(tmp_path: Path):
    path = tmp_path / "cpu.parquet"
    pd.DataFrame(
        {"timestamp": pd.to_datetime(["2024-04-14 10:05", "2024-04-14 10:00"]), "value": [2.0, np.nan]}
    ).to_parquet(path)
    series = load_metric_series(path)
    assert adds_up(series) == {"read": 2, "loaded": 2, "rejected": 0, "missing": 1}
    assert series["timestamp"].tolist() == [
        pd.Timestamp("2024-04-14 10:00", tz="UTC"),
        pd.Timestamp("2024-04-14 10:05", tz="UTC"),
    ]
    assert series.attrs["format"] == "parquet"
    text = tmp_path / "text.parquet"
    pd.DataFrame({"timestamp": ["2024-04-14T10:00:00Z", "2024-04-14T10:05:00Z"], "value": ["1.5", "high"]}).to_parquet(
        text
    )
    with pytest.raises(MetricSeriesError, match=r"^text.parquet#1: value: expected a number, got 'high'$"):
        load_metric_series(text)


# ----------------------------------------------------------------------------- series: JSON exports


def get_metric_data(*results: dict) -> dict:
    return {"MetricDataResults": list(results), "Messages": []}


CPU = {
    "Id": "cpu",
    "Label": "CPUUtilization",
    "Timestamps": ["2024-04-14T10:05:00+00:00", "2024-04-14T10:00:00+00:00"],
    "Values": [80.5, 12.0],
    "StatusCode": "Complete",
}
NET = {
    "Id": "net",
    "Label": "NetworkIn",
    "Timestamps": ["2024-04-14T10:00:00Z"],
    "Values": [1e6],
    "StatusCode": "Complete",
}


def test_get_metric_data(tmp_path: Path):
    path = tmp_path / "cpu.json"
    path.write_text(json.dumps(get_metric_data(CPU)))
    series = load_metric_series(path)
    assert adds_up(series) == {"read": 2, "loaded": 2, "rejected": 0, "missing": 0}
    assert series["value"].tolist() == [12.0, 80.5] and series.attrs["format"] == "get_metric_data"

    path.write_text(json.dumps(get_metric_data(CPU, NET)))
    with pytest.raises(
        MetricSeriesError,
        match=r"expected one result, found 2 among Id 'cpu' \(Label 'CPUUtilization'\), Id 'net' "
        r"\(Label 'NetworkIn'\); choose one with id= or label=",
    ):
        load_metric_series(path)
    assert load_metric_series(path, id="net")["value"].tolist() == [1e6]
    assert load_metric_series(path, label="CPUUtilization")["value"].tolist() == [12.0, 80.5]
    with pytest.raises(
        MetricSeriesError, match=r"^cpu.json: MetricDataResults: expected Id 'disk', found 0 among Id 'cpu'"
    ):
        load_metric_series(path, id="disk")


def test_get_metric_data_pages_nulls_and_bad_values(tmp_path: Path):
    path = tmp_path / "pages.json"
    first = dict(CPU, StatusCode="PartialData")
    second = dict(CPU, Timestamps=["2024-04-14T10:10:00Z", "2024-04-14T10:15:00Z"], Values=[None, "x"])
    path.write_text(json.dumps([get_metric_data(first), get_metric_data(second)]))
    with pytest.raises(
        MetricSeriesError,
        match=r"^pages.json: \[1\].MetricDataResults\[0\].Values\[1\]: Values: expected a number, got 'x'$",
    ):
        load_metric_series(path)
    series = load_metric_series(path, errors="quarantine")
    assert adds_up(series) == {"read": 4, "loaded": 3, "rejected": 1, "missing": 1}
    assert any("PartialData" in note for note in series.attrs["notes"])
    path.write_text(json.dumps(get_metric_data(dict(CPU, Values=[1.0]))))
    with pytest.raises(MetricSeriesError, match="Timestamps and Values must be lists of the same length, got 2 and 1"):
        load_metric_series(path)


def test_get_metric_statistics(tmp_path: Path):
    path = tmp_path / "stats.json"
    points = [
        {"Timestamp": "2024-04-14T10:05:00Z", "Average": 3.0, "Maximum": 9.0, "Unit": "Percent"},
        {"Timestamp": "2024-04-14T10:00:00Z", "Average": 1.0, "Maximum": 2.0, "Unit": "Percent"},
    ]
    path.write_text(json.dumps({"Label": "CPUUtilization", "Datapoints": points}))
    with pytest.raises(
        MetricSeriesError,
        match=r"^stats.json: Datapoints: holds statistics Average, Maximum; choose one with statistic=$",
    ):
        load_metric_series(path)
    series = load_metric_series(path, statistic="Maximum")
    assert adds_up(series)["loaded"] == 2 and series["value"].tolist() == [2.0, 9.0]
    path.write_text(
        json.dumps({"Datapoints": [{"Timestamp": "2024-04-14T10:00:00Z", "ExtendedStatistics": {"p99": 7.5}}]})
    )
    assert load_metric_series(path)["value"].tolist() == [7.5]


def test_invalid_json_names_line_and_column(tmp_path: Path):
    path = tmp_path / "broken.json"
    path.write_text('{"MetricDataResults": [\n  {"Id": }\n]}')
    with pytest.raises(MetricSeriesError, match=r"^broken.json:2:10: <json>: invalid JSON"):
        load_metric_series(path)
    with pytest.raises(
        InvalidParameterError,
        match=r"^The 'format' parameter of load_metric_series must be one of \{auto, csv, parquet, get_metric_data, "
        r"get_metric_statistics\}\. Got 'xml' instead\.$",
    ):
        load_metric_series(path, format="xml")


@pytest.mark.parametrize(
    "function, options, parameter, shown",
    [
        ("load_metric_series", {"path": 3}, "path", "3"),
        ("load_metric_series", {"format": "xml"}, "format", "'xml'"),
        ("load_metric_series", {"id": 1}, "id", "1"),
        ("load_metric_series", {"label": ["a"]}, "label", "['a']"),
        ("load_metric_series", {"statistic": 99}, "statistic", "99"),
        ("load_metric_series", {"timestamp_column": None}, "timestamp_column", "None"),
        ("load_metric_series", {"value_column": 0}, "value_column", "0"),
        ("load_metric_series", {"errors": "ignore"}, "errors", "'ignore'"),
        ("load_alarm_definitions", {"path": None}, "path", "None"),
        ("load_alarm_definitions", {"account_id": "1234"}, "account_id", "'1234'"),
        ("load_alarm_definitions", {"account_id": 111122223333}, "account_id", "111122223333"),
        ("load_alarm_definitions", {"region": "mars-1"}, "region", "'mars-1'"),
        ("load_alarm_definitions", {"region": 1}, "region", "1"),
    ],
)
def test_each_parameter_is_checked_before_the_file_is_read(tmp_path: Path, function, options, parameter, shown):
    loader = {"load_metric_series": load_metric_series, "load_alarm_definitions": load_alarm_definitions}[function]
    with pytest.raises(InvalidParameterError) as caught:
        loader(**{"path": tmp_path / "missing.csv", **options})
    assert (caught.value.parameter, caught.value.owner, caught.value.got) == (parameter, function, shown)
    assert str(caught.value).startswith(f"The '{parameter}' parameter of {function} must ")


# ----------------------------------------------------------------------------- alarm definitions

PUT_METRIC_ALARM_YAML = """\
AlarmName: web-cpu-high
AlarmDescription: CPU above 70% for 3 of 5 periods
Namespace: AWS/EC2
MetricName: CPUUtilization
Dimensions:
  - Name: InstanceId
    Value: i-0c986c72
Statistic: Average
Period: 300
EvaluationPeriods: 5
DatapointsToAlarm: 3
Threshold: 70
ComparisonOperator: GreaterThanThreshold
TreatMissingData: breaching
"""


def test_definitions_from_yaml(tmp_path: Path):
    path = tmp_path / "alarm.yaml"
    path.write_text(PUT_METRIC_ALARM_YAML)
    load = load_alarm_definitions(path)
    assert isinstance(load, DefinitionLoad) and len(load) == 1 and load.skipped == ()
    d = load["web-cpu-high"]
    assert (d.m, d.n, d.period, d.threshold, d.treat_missing_data) == (3, 5, 300, 70.0, "breaching")
    assert d.dimensions == {"InstanceId": "i-0c986c72"} and d.description.startswith("CPU above")
    assert load[0] is d and list(load) == [d]
    assert load_alarm_definitions(path, account_id="111122223333", region="eu-west-1")[0].alarm_arn == (
        "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:web-cpu-high"
    )
    with pytest.raises(KeyError, match="no alarm named 'db'"):
        load["db"]


def test_definitions_from_a_yaml_list_and_json(tmp_path: Path):
    path = tmp_path / "alarms.yaml"
    second = PUT_METRIC_ALARM_YAML.replace("web-cpu-high", "web-cpu-low").replace(
        "GreaterThanThreshold", "LessThanThreshold"
    )
    path.write_text("- " + PUT_METRIC_ALARM_YAML.replace("\n", "\n  ") + "\n- " + second.replace("\n", "\n  "))
    assert load_alarm_definitions(path).names == ["web-cpu-high", "web-cpu-low"]
    as_json = tmp_path / "alarms.json"
    as_json.write_text(json.dumps([d.to_api() for d in load_alarm_definitions(path)]))
    assert list(load_alarm_definitions(as_json)) == list(load_alarm_definitions(path))


def test_describe_alarms_sample(corpus):
    load = load_alarm_definitions(corpus / "aws-sample-events" / "aws-cli-example_cloudwatch_describe-alarms.json")
    d = load["myalarm"]
    assert (d.account_id, d.region, d.dimensions, d.statistic, d.period, d.n, d.m) == (
        "123456789012",
        "us-east-1",
        {"InstanceId": "i-0c986c72"},
        "Average",
        300,
        2,
        2,
    )
    assert d.description == "CPU usage exceeds 70 percent"


def test_describe_alarms_skips_what_it_cannot_evaluate_and_says_so(tmp_path: Path):
    metric = AlarmDefinition.from_api(load_yaml_alarm()).to_api()
    math = {
        "AlarmName": "error-rate",
        "EvaluationPeriods": 1,
        "Threshold": 5.0,
        "ComparisonOperator": "GreaterThanThreshold",
        "Metrics": [{"Id": "e1", "Expression": "m2 / m1 * 100", "ReturnData": True}],
    }
    composite = {"AlarmName": "service-down", "AlarmRule": "ALARM(web-cpu-high) AND ALARM(error-rate)"}
    path = tmp_path / "describe.json"
    path.write_text(
        json.dumps(
            {
                "MetricAlarms": [
                    dict(metric, AlarmArn="arn:aws:cloudwatch:eu-west-1:111122223333:alarm:web-cpu-high"),
                    math,
                ],
                "CompositeAlarms": [composite],
            }
        )
    )
    load = load_alarm_definitions(path)
    assert load.names == ["web-cpu-high"] and load[0].region == "eu-west-1"
    assert len(load.skipped) == 2
    assert load.skipped[0] == (
        "describe.json CompositeAlarms[0]",
        "alarm 'service-down': a composite alarm follows other alarms' states, not a metric",
    )
    assert load.skipped[1][0] == "describe.json MetricAlarms[1].Metrics"
    assert load.skipped[1][1].startswith("alarm 'error-rate': a metric math alarm")
    assert "skipped describe.json CompositeAlarms[0]" in load.summary()


def load_yaml_alarm() -> dict:
    import yaml

    return yaml.safe_load(PUT_METRIC_ALARM_YAML)


@pytest.mark.parametrize(
    "change, message",
    [
        (("Period: 300", "Period: 45"), r"^alarm.yaml:9 Period: must be 10, 20, 30 or a multiple of 60, got 45$"),
        (("Period: 300", "Period: '300'"), r"^alarm.yaml:9 Period: expected an integer, got str '300'$"),
        (
            ("DatapointsToAlarm: 3", "DatapointsToAlarm: 6"),
            r"^alarm.yaml:11 DatapointsToAlarm: must be at most EvaluationPeriods \(5\), got 6: "
            r"CloudWatch refuses an alarm whose "
            r"DatapointsToAlarm \(M\) is more than its EvaluationPeriods \(N\)$",
        ),
        (
            ("GreaterThanThreshold", "GreaterThan"),
            r"^alarm.yaml:13 ComparisonOperator: must be one of GreaterThanOrEqualToThreshold, .*got 'GreaterThan'$",
        ),
        (
            ("Value: i-0c986c72", "Value: ''"),
            r"^alarm.yaml:7 Dimensions\[0\].Value: must be 1 to 1024 characters, got ''$",
        ),
        (("Threshold: 70", "Treshold: 70"), r"^alarm.yaml:12 Treshold: unknown member; PutMetricAlarm takes"),
        (("Threshold: 70", "Threshold: [70]"), r"^alarm.yaml:12 Threshold: expected a number, got list \[70\]$"),
        (
            ("Statistic: Average", "Statistic: Mean"),
            r"^alarm.yaml:8 Statistic: must be one of SampleCount, Average, Sum, Minimum, Maximum",
        ),
        (
            ("Period: 300", "Period: 300\n  nested: [1"),
            r"^alarm.yaml:10: invalid YAML \(mapping values are not allowed here\)$",
        ),
    ],
)
def test_definition_errors_name_file_line_and_member(tmp_path: Path, change, message):
    path = tmp_path / "alarm.yaml"
    path.write_text(PUT_METRIC_ALARM_YAML.replace(*change))
    with pytest.raises(AlarmDefinitionError, match=message):
        load_alarm_definitions(path)


def test_definition_errors_in_describe_alarms_json(tmp_path: Path):
    metric = dict(AlarmDefinition.from_api(load_yaml_alarm()).to_api())
    path = tmp_path / "describe.json"
    path.write_text(json.dumps({"MetricAlarms": [metric, dict(metric, AlarmName="second", Period=45)]}))
    with pytest.raises(
        AlarmDefinitionError,
        match=r"^describe.json MetricAlarms\[1\].Period: must be 10, 20, 30 or a multiple of 60, got 45$",
    ):
        load_alarm_definitions(path)
    path.write_text(json.dumps({"MetricAlarms": [metric, metric]}))
    with pytest.raises(
        AlarmDefinitionError,
        match=r"MetricAlarms\[1\].AlarmName: alarm 'web-cpu-high' is defined twice "
        r"\(also at describe.json MetricAlarms\[0\]\)",
    ):
        load_alarm_definitions(path)
    path.write_text('{"MetricAlarms": [}')
    with pytest.raises(AlarmDefinitionError, match=r"^describe.json:1:19: invalid JSON \(Expecting value\)$"):
        load_alarm_definitions(path)
    path.write_text(json.dumps({"MetricAlarms": ["web-cpu-high"]}))
    with pytest.raises(
        AlarmDefinitionError,
        match=r"^describe.json MetricAlarms\[0\]: expected a mapping of PutMetricAlarm members, got str$",
    ):
        load_alarm_definitions(path)
    path.write_text("")
    with pytest.raises(AlarmDefinitionError, match="is empty"):
        load_alarm_definitions(path)


def test_a_loaded_definition_over_a_loaded_series(tmp_path: Path, corpus):
    path = tmp_path / "alarm.yaml"
    path.write_text(PUT_METRIC_ALARM_YAML.replace("Threshold: 70", "Threshold: 95"))
    series = load_metric_series(corpus / NAB / "ec2_cpu_utilization_825cc2.csv")
    frame = evaluate_alarm(series, load_alarm_definitions(path)["web-cpu-high"])
    assert len(frame) > 0 and set(frame["state"].astype(str)) <= {"OK", "ALARM"}
    assert frame["origin"].str.startswith("ec2_cpu_utilization_825cc2.csv:period ").all()
    assert (frame["metric_name"] == "CPUUtilization").all() and (frame["namespace"] == "AWS/EC2").all()
