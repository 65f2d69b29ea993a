"""incidentsim capture, against moto's CloudWatch through boto3."""

from __future__ import annotations

import json

import boto3
import pytest

from incidentsim.datasets.capture import capture_alarm_history, write_alarm_frame
from incidentsim.datasets.loaders import load_alarms
from incidentsim import moto_cloudwatch
from incidentsim.emulator import mock_incidents


@pytest.fixture
def cloudwatch():
    with mock_incidents():
        yield boto3.client("cloudwatch", region_name="eu-west-1")


def put_alarm(client, name: str, **extra) -> None:
    client.put_metric_alarm(
        AlarmName=name,
        MetricName="HTTPCode_Target_5XX_Count",
        Namespace="AWS/ApplicationELB",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=5,
        ComparisonOperator="GreaterThanThreshold",
        Dimensions=[{"Name": "LoadBalancer", "Value": "app/api/1"}],
        **extra,
    )


def test_describe_alarm_history_through_boto3(cloudwatch):
    put_alarm(cloudwatch, "api-5xx")
    for state in ("ALARM", "OK", "ALARM"):
        cloudwatch.set_alarm_state(AlarmName="api-5xx", StateValue=state, StateReason=f"to {state}")
    items = cloudwatch.describe_alarm_history(AlarmName="api-5xx")["AlarmHistoryItems"]
    assert [i["HistorySummary"] for i in items] == [
        "Alarm updated from OK to ALARM",
        "Alarm updated from ALARM to OK",
        "Alarm updated from OK to ALARM",
    ][::-1]  # newest first by default
    data = json.loads(items[0]["HistoryData"])
    assert (data["oldState"]["stateValue"], data["newState"]["stateValue"], data["newState"]["stateReason"]) == (
        "OK",
        "ALARM",
        "to ALARM",
    )
    pages = list(cloudwatch.get_paginator("describe_alarm_history").paginate(PaginationConfig={"PageSize": 2}))
    assert [len(p["AlarmHistoryItems"]) for p in pages] == [2, 1]


def test_capture_gives_an_alarm_frame_with_arns_and_metrics(cloudwatch):
    put_alarm(cloudwatch, "api-5xx")
    put_alarm(cloudwatch, "db-cpu")
    for name, state in (("api-5xx", "ALARM"), ("db-cpu", "ALARM"), ("api-5xx", "OK")):
        cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason="test")
    load = capture_alarm_history(cloudwatch, "2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z")
    assert load.counts == {"read": 3, "loaded": 3, "rejected": 0, "skipped": 0, "state_changes": 3, "duplicates": 0}
    frame = load.alarms
    assert frame["alarm_name"].tolist() == ["api-5xx", "db-cpu", "api-5xx"]
    assert frame["state"].tolist() == ["ALARM", "ALARM", "OK"]
    assert frame["previous_state"].tolist() == ["OK", "OK", "ALARM"]
    assert set(frame["alarm_arn"]) == {
        f"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:{n}" for n in ("api-5xx", "db-cpu")
    }
    assert set(frame["metric_name"]) == {"HTTPCode_Target_5XX_Count"}
    assert json.loads(frame.loc[0, "dimensions"]) == {"LoadBalancer": "app/api/1"}
    assert load.notes == {}


def test_capture_filters_by_alarm_and_time(cloudwatch):
    put_alarm(cloudwatch, "api-5xx")
    put_alarm(cloudwatch, "db-cpu")
    cloudwatch.set_alarm_state(AlarmName="api-5xx", StateValue="ALARM", StateReason="test")
    cloudwatch.set_alarm_state(AlarmName="db-cpu", StateValue="ALARM", StateReason="test")
    only = capture_alarm_history(cloudwatch, "2000-01-01", "2100-01-01", alarm_names=["db-cpu"]).alarms
    assert only["alarm_name"].tolist() == ["db-cpu"]
    assert len(capture_alarm_history(cloudwatch, "2000-01-01", "2000-01-02").alarms) == 0


def test_captured_parquet_loads_back_unchanged(cloudwatch, tmp_path):
    put_alarm(cloudwatch, "api-5xx")
    cloudwatch.set_alarm_state(AlarmName="api-5xx", StateValue="ALARM", StateReason="test")
    frame = capture_alarm_history(cloudwatch, "2000-01-01", "2100-01-01").alarms
    path = write_alarm_frame(frame, tmp_path / "history" / "alarms.parquet")
    again = load_alarms(path)
    assert again.counts["loaded"] == 1
    assert again.alarms.drop(columns=["raw"]).equals(frame.drop(columns=["raw"]))


def test_the_shim_stands_aside_when_moto_serves_the_operation(monkeypatch):
    from moto.cloudwatch.responses import CloudWatchResponse

    own = object()
    monkeypatch.setattr(CloudWatchResponse, "describe_alarm_history", own, raising=False)
    moto_cloudwatch.register()
    assert CloudWatchResponse.describe_alarm_history is own
