"""Every reader, on the public samples in ../shared/corpus and on fixtures written here."""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from incidentsim.datasets import validate_alarm_frame
from incidentsim.datasets.loaders import LoadError, ParameterError, load_alarms
from incidentsim.params import InvalidParameterError
from incidentsim.datasets.records import parse_time

SAMPLES = "aws-sample-events"

EVENT = {
    "version": "0",
    "id": "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92",
    "detail-type": "CloudWatch Alarm State Change",
    "source": "aws.cloudwatch",
    "account": "123456789012",
    "time": "2024-05-01T09:00:00Z",
    "region": "eu-west-1",
    "resources": ["arn:aws:cloudwatch:eu-west-1:123456789012:alarm:api-5xx"],
    "detail": {
        "alarmName": "api-5xx",
        "state": {"value": "ALARM", "reason": "Threshold Crossed", "timestamp": "2024-05-01T09:00:00.250+0000"},
        "previousState": {"value": "OK", "reason": "", "timestamp": "2024-05-01T08:00:00.000+0000"},
        "configuration": {
            "metrics": [
                {
                    "id": "m1",
                    "returnData": True,
                    "metricStat": {
                        "metric": {
                            "namespace": "AWS/ApplicationELB",
                            "name": "HTTPCode_Target_5XX_Count",
                            "dimensions": {"LoadBalancer": "app/api/1"},
                        },
                        "period": 60,
                        "stat": "Sum",
                    },
                }
            ]
        },
    },
}


def event(minute: int = 0, state: str = "ALARM", previous: str = "OK", alarm: str = "api-5xx", **changes) -> dict:
    record = copy.deepcopy(EVENT)
    record["id"] = f"id-{alarm}-{minute}-{state}"
    record["resources"] = [f"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:{alarm}"]
    record["detail"]["alarmName"] = alarm
    record["detail"]["state"]["value"] = state
    record["detail"]["state"]["timestamp"] = f"2024-05-01T09:{minute:02d}:00.000+0000"
    record["detail"]["previousState"]["value"] = previous
    record.update(changes)
    return record


def write_jsonl(path: Path, records: list, raw_lines: dict[int, str] | None = None) -> Path:
    lines = [json.dumps(r) for r in records]
    for index, text in (raw_lines or {}).items():
        lines.insert(index, text)
    path.write_text("\n".join(lines) + "\n")
    return path


def adds_up(load) -> None:
    c = load.counts
    assert c["loaded"] + c["rejected"] + c["skipped"] == c["read"]


# ----------------------------------------------------------------------------- the public samples


def test_eventbridge_samples_of_every_alarm_kind(corpus):
    files = sorted((corpus / SAMPLES).glob("cloudwatch-and-eventbridge_*.json"))
    load = load_alarms(files)
    adds_up(load)
    assert load.counts == {"read": 10, "loaded": 4, "rejected": 0, "skipped": 6, "state_changes": 4, "duplicates": 0}
    assert set(load.skipped["kind"]) == {"CloudWatch Alarm Configuration Change"}
    alarms = load.alarms.set_index("alarm_name")
    assert alarms.loc["ServerCpuTooHigh", ["namespace", "metric_name"]].tolist() == ["AWS/EC2", "CPUUtilization"]
    assert json.loads(alarms.loc["ServerCpuTooHigh", "dimensions"]) == {"InstanceId": "i-12345678901234567"}
    assert alarms.loc["TotalNetworkTrafficTooHigh", "previous_state"] == "INSUFFICIENT_DATA"  # metric math
    assert alarms.loc["TotalNetworkTrafficTooHigh", "metric_name"] == ""
    assert alarms.loc["EC2 CPU Utilization Anomaly", "metric_name"] == "CPUUtilization"  # anomaly detection
    assert alarms.loc["ServiceAggregatedAlarm", "actions_suppressed_by"] == "WaitPeriod"  # composite
    assert alarms.loc["ServerCpuTooHigh", "timestamp"] == pd.Timestamp("2019-10-02T17:04:40.989Z")
    assert (
        alarms.loc["ServerCpuTooHigh", "alarm_arn"]
        == "arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh"
    )


def test_alarm_history_sample_is_sorted_and_its_arn_built(corpus):
    load = load_alarms(
        corpus / SAMPLES / "aws-cli-example_cloudwatch_describe-alarm-history.json",
        account_id="111122223333",
        region="eu-west-1",
    )
    adds_up(load)
    frame = load.alarms
    assert frame["state"].tolist() == ["ALARM", "OK"]  # the export is newest first
    assert frame["timestamp"].is_monotonic_increasing
    assert set(frame["alarm_arn"]) == {"arn:aws:cloudwatch:eu-west-1:111122223333:alarm:myalarm"}
    assert any("alarm ARN built" in note for note in load.notes)
    assert frame.loc[1, "reason"].startswith("Threshold Crossed: 2 datapoints were not greater")


def test_alarm_history_without_account_says_it_used_the_default(corpus):
    load = load_alarms(corpus / SAMPLES / "aws-cli-example_cloudwatch_describe-alarm-history.json")
    assert load.alarms["account_id"].unique().tolist() == ["123456789012"]
    assert (
        load.notes[
            "account 123456789012 (the default; set account_id= or --account-id) "
            "used where describe-alarm-history records carry no account"
        ]
        == 2
    )
    assert "note (2 records)" in load.summary()


def test_sns_samples(corpus):
    load = load_alarms(sorted((corpus / SAMPLES).glob("cloudwatch-alarm-sns-payload-*.json")))
    adds_up(load)
    assert load.counts["loaded"] == 2
    single = load.alarms[load.alarms["origin"].str.contains("single")].iloc[0]
    assert (single["namespace"], single["metric_name"], single["state"], single["previous_state"]) == (
        "AWS/EC2",
        "NetworkOut",
        "ALARM",
        "INSUFFICIENT_DATA",
    )
    assert json.loads(single["dimensions"]) == {"InstanceId": "TestInstance"}
    assert single["timestamp"] == pd.Timestamp("2015-06-03T17:43:27.123Z")
    # the sample's ARN holds placeholders (REGION, ACCOUNT_NUMBER): a valid ARN is built, and said
    assert single["alarm_arn"] == "arn:aws:cloudwatch:us-east-1:123456789012:alarm:EXAMPLE"
    assert any("not well formed" in note for note in load.notes)


def test_lambda_samples_prefer_the_arn_name(corpus):
    load = load_alarms(
        [
            corpus / SAMPLES / "cloudWatchAlarmEventSingleMetric.json",
            corpus / SAMPLES / "cloudWatchAlarmEventCompositeMetric.json",
        ]
    )
    adds_up(load)
    frame = load.alarms.set_index("origin")
    single = frame.loc["cloudWatchAlarmEventSingleMetric.json"]
    assert (single["alarm_name"], single["account_id"], single["region"]) == ("test_alarm", "912397435824", "eu-west-1")
    assert single["namespace"] == "AWS/Lambda" and single["metric_name"] == ""  # metric math e1 = m1/m2
    assert json.loads(single["raw"])["alarmData"]["alarmName"] == "Test alert"  # the other name is kept in raw
    assert any("'Test alert' differs from the name in its ARN ('test_alarm')" in note for note in load.notes)
    composite = frame.loc["cloudWatchAlarmEventCompositeMetric.json"]
    assert (composite["state"], composite["previous_state"]) == ("ALARM", "ALARM")


def test_localstack_snapshot_payload_shapes(corpus, tmp_path):
    """Shapes recorded against real AWS (names and times are placeholders there, so times are filled in)."""
    snapshot = json.loads((corpus / "localstack-cloudwatch-snapshot" / "test_cloudwatch.snapshot.json").read_text())
    payloads = []
    for test in snapshot.values():
        for key, content in test.get("recorded-content", {}).items():
            if key == "lambda-alarm-invocations":
                payloads.extend(content if isinstance(content, list) else [content])
            elif key.endswith("-sqs-msg"):
                payloads.append(content)
            elif key == "describe-alarm-history":
                payloads.extend(content["AlarmHistoryItems"])

    def fill(value):
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        if value in ("date", "timestamp"):
            return "2024-05-01T09:00:00.000+0000"
        return value

    path = write_jsonl(tmp_path / "snapshot.jsonl", [fill(p) for p in payloads])
    load = load_alarms(path, errors="quarantine")
    adds_up(load)
    assert load.counts["rejected"] == 0, load.rejected.to_dict("records")
    assert load.counts["loaded"] >= 5
    assert set(load.alarms["state"]) == {"ALARM"}  # the recorded tests only drive alarms into ALARM
    assert any("not well formed" in note for note in load.notes)  # ARNs there hold <region> placeholders


@pytest.mark.parametrize(
    "name, rows", [("18V_55N_Wireless", 34838), ("24V_439N_Microwave", 64598), ("25V_474N_Microwave", 48572)]
)
def test_huawei_interval_sets_load_in_full(corpus, name, rows):
    load = load_alarms(corpus / "huawei-pcic2021-alarms" / name / "Alarm.csv", time_origin="2024-01-01")
    adds_up(load)
    assert load.counts == {
        "read": rows,
        "loaded": rows,
        "rejected": 0,
        "skipped": 0,
        "state_changes": 2 * rows,
        "duplicates": 0,
    }
    frame = load.alarms
    starts = frame["reason"] == "Alarm occurrence started"
    assert starts.sum() == rows
    assert (frame.loc[starts, "state"] == "ALARM").all()  # an occurrence always puts its alarm in ALARM
    assert frame["timestamp"].min() >= pd.Timestamp("2024-01-01", tz="UTC")
    # per alarm, the state follows open occurrences: it ends OK
    last = frame.groupby("alarm_name", sort=False)["state"].last()
    assert (last == "OK").all()
    assert frame["alarm_name"].str.match(r"^alarm_id-\d+_device_id-\d+$").all()


# ----------------------------------------------------------------------------- formats and containers


def test_single_object_array_jsonl_and_gzip_read_the_same(tmp_path):
    records = [event(0), event(5, "OK", "ALARM"), event(9)]
    single = tmp_path / "one.json"
    single.write_text(json.dumps(records[0], indent=2))
    array = tmp_path / "array.json"
    array.write_text(json.dumps(records, indent=2))
    lines = write_jsonl(tmp_path / "events.jsonl", records)
    zipped = tmp_path / "events.jsonl.gz"
    zipped.write_bytes(gzip.compress(lines.read_bytes()))
    unnamed = tmp_path / "export.txt.json"  # JSON Lines recognised by content, not name
    unnamed.write_text(lines.read_text())
    assert len(load_alarms(single).alarms) == 1
    frames = [load_alarms(p).alarms for p in (array, lines, zipped, unnamed)]
    for frame in frames:
        assert frame["state"].tolist() == ["ALARM", "OK", "ALARM"]
    assert frames[1]["event_id"].tolist() == frames[2]["event_id"].tolist()  # gzip does not change ids
    assert frames[1]["origin"].tolist() == ["events.jsonl:1", "events.jsonl:2", "events.jsonl:3"]
    assert frames[0]["origin"].tolist() == ["array.json#0", "array.json#1", "array.json#2"]


def test_rows_are_sorted_by_time_and_ties_keep_read_order(tmp_path):
    records = [event(9, alarm="b"), event(1, alarm="a"), event(9, alarm="c")]
    frame = load_alarms(write_jsonl(tmp_path / "e.jsonl", records)).alarms
    assert frame["alarm_name"].tolist() == ["a", "b", "c"]


def test_event_ids_are_stable_across_reloads_and_files(tmp_path):
    first = load_alarms(write_jsonl(tmp_path / "a.jsonl", [event(0), event(5)])).alarms
    second = load_alarms(write_jsonl(tmp_path / "b.jsonl", [event(5), event(0)])).alarms
    assert first["event_id"].tolist() == second["event_id"].tolist()
    assert first["event_id"].is_unique


def test_exact_duplicates_are_kept_and_flagged(tmp_path):
    path = write_jsonl(tmp_path / "e.jsonl", [event(0), event(0), event(5), event(0)])
    load = load_alarms(path)
    assert load.counts["loaded"] == 4 and load.counts["duplicates"] == 2
    frame = load.alarms
    assert frame["duplicate"].tolist() == [False, True, True, False]
    base = frame.loc[0, "event_id"]
    assert frame["event_id"].tolist()[:3] == [base, f"{base}#2", f"{base}#3"]
    assert "2 exact duplicates flagged" in load.summary()


def test_mixed_formats_in_one_load(corpus, tmp_path):
    path = write_jsonl(tmp_path / "e.jsonl", [event(0)])
    load = load_alarms(
        [
            path,
            corpus / SAMPLES / "cloudWatchAlarmEventSingleMetric.json",
            corpus / SAMPLES / "cloudwatch-alarm-sns-payload-single-metric.json",
        ]
    )
    assert load.counts["loaded"] == 3


def test_forced_format_refuses_other_records(tmp_path, corpus):
    with pytest.raises(LoadError, match="expected a lambda record, found a eventbridge record"):
        load_alarms(write_jsonl(tmp_path / "e.jsonl", [event(0)]), format="lambda")


# ----------------------------------------------------------------------------- timestamps


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2024-05-01T09:00:00Z", "2024-05-01T09:00:00+00:00"),
        ("2024-05-01T09:00:00.989+0000", "2024-05-01T09:00:00.989000+00:00"),
        ("2024-05-01T11:00:00+02:00", "2024-05-01T09:00:00+00:00"),
        ("2024-05-01T09:00:00.5Z", "2024-05-01T09:00:00.500000+00:00"),
        ("2024-05-01 09:00:00", "2024-05-01T09:00:00+00:00"),  # naive = UTC
        ("2014-02-14 14:30:00.000000", "2014-02-14T14:30:00+00:00"),
        (1714554000, "2024-05-01T09:00:00+00:00"),  # epoch seconds
        ("1714554000", "2024-05-01T09:00:00+00:00"),
        (1714554000.25, "2024-05-01T09:00:00.250000+00:00"),
        (1714554000123, "2024-05-01T09:00:00.123000+00:00"),  # epoch milliseconds
    ],
)
def test_every_timestamp_style(value, expected):
    assert parse_time(value, "t").isoformat() == expected


@pytest.mark.parametrize(
    "value",
    ["yesterday", "", None, True, "2024-13-01T00:00:00Z", float("nan"), [2024], 9223372037, "9999-01-01T00:00:00Z"],
)
def test_bad_timestamps_name_the_field(value):
    from incidentsim.datasets.records import BadRecord

    with pytest.raises(BadRecord) as excinfo:
        parse_time(value, "detail.state.timestamp")
    assert excinfo.value.field == "detail.state.timestamp"


# ----------------------------------------------------------------------------- errors


def test_a_bad_record_raises_naming_file_line_and_field(tmp_path):
    bad = event(5)
    bad["detail"]["state"]["value"] = "FIRING"
    path = write_jsonl(tmp_path / "events.jsonl", [event(0), bad])
    with pytest.raises(LoadError) as excinfo:
        load_alarms(path)
    assert str(excinfo.value) == (
        "events.jsonl:2: field 'detail.state.value': expected one of OK, ALARM, INSUFFICIENT_DATA, got 'FIRING'"
    )


def test_quarantine_loads_the_good_and_returns_the_bad(tmp_path):
    missing = event(3)
    del missing["detail"]["previousState"]
    path = write_jsonl(
        tmp_path / "events.jsonl", [event(0), missing, event(6), 42], raw_lines={2: '{"truncated": ', 4: "   "}
    )
    load = load_alarms(path, errors="quarantine")
    adds_up(load)
    assert load.counts == {"read": 5, "loaded": 2, "rejected": 3, "skipped": 0, "state_changes": 2, "duplicates": 0}
    rejected = load.rejected.set_index("origin")
    assert rejected.loc["events.jsonl:2", "field"] == "detail.previousState"
    assert rejected.loc["events.jsonl:2", "problem"] == "is missing"
    assert rejected.loc["events.jsonl:3", "field"] == "<json>"
    assert rejected.loc["events.jsonl:6", "field"] == "record"
    assert json.loads(rejected.loc["events.jsonl:2", "raw"])["id"] == missing["id"]


def test_a_truncated_json_document_is_one_rejected_record(tmp_path):
    path = tmp_path / "array.json"
    path.write_text(json.dumps([event(0), event(1)])[:-40])
    load = load_alarms(path, errors="quarantine")
    assert load.counts["read"] == 1 and load.counts["rejected"] == 1
    with pytest.raises(LoadError, match=r"array.json:1: field '<json>': invalid JSON"):
        load_alarms(path)


def test_history_skips_configuration_updates_and_actions(tmp_path):
    history = {
        "AlarmHistoryItems": [
            {
                "Timestamp": "2024-05-01T09:05:00.000Z",
                "HistoryItemType": "Action",
                "AlarmName": "a",
                "HistoryData": "{}",
                "HistorySummary": "Successfully executed action arn:aws:sns:...",
            },
            {
                "Timestamp": "2024-05-01T09:00:00.000Z",
                "HistoryItemType": "StateUpdate",
                "AlarmName": "a",
                "HistoryData": json.dumps(
                    {
                        "version": "1.0",
                        "oldState": {"stateValue": "OK"},
                        "newState": {"stateValue": "ALARM", "stateReason": "r", "stateReasonData": {}},
                    }
                ),
            },
            {
                "Timestamp": "2024-04-01T00:00:00.000Z",
                "HistoryItemType": "ConfigurationUpdate",
                "AlarmName": "a",
                "HistoryData": "{}",
            },
            {
                "Timestamp": "2024-04-01T00:00:00.000Z",
                "HistoryItemType": "StateUpdate",
                "AlarmName": "a",
                "HistoryData": "{not json",
            },
        ]
    }
    path = tmp_path / "history.json"
    path.write_text(json.dumps(history))
    load = load_alarms(path, errors="quarantine")
    adds_up(load)
    assert load.counts["loaded"] == 1
    assert sorted(load.skipped["kind"]) == ["Action", "ConfigurationUpdate"]
    assert load.rejected.loc[0, "field"] == "HistoryData"
    assert load.rejected.loc[0, "origin"] == "history.json:AlarmHistoryItems[3]"
    assert "skipped 1 x Action (not a state change)" in load.summary()


def test_parameter_errors_are_worded_like_the_rest(tmp_path):
    path = write_jsonl(tmp_path / "e.jsonl", [event(0)])
    with pytest.raises(
        ParameterError,
        match=r"^The 'format' parameter of load_alarms must be one of \{auto, eventbridge, alarm_history, sns, lambda, "
        r"intervals, table, alarm_frame\}\. Got 'xml' instead\.$",
    ):
        load_alarms(path, format="xml")
    with pytest.raises(
        ParameterError,
        match=r"^The 'errors' parameter of load_alarms must be one of \{raise, quarantine\}\. Got 'ignore' instead\.$",
    ):
        load_alarms(path, errors="ignore")
    with pytest.raises(
        ParameterError, match=r"^The 'account_id' parameter of load_alarms must be 12 digits\. Got '12' instead\.$"
    ):
        load_alarms(path, account_id="12")
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_alarms(tmp_path / "missing.jsonl")
    assert ParameterError is InvalidParameterError  # the name callers catch is the one parameter error


@pytest.mark.parametrize(
    "options, parameter, shown",
    [
        ({"source": 3}, "source", "3"),
        ({"source": []}, "source", "[]"),
        ({"source": pd.DataFrame({"x": [1]}), "format": "sns"}, "format", "'sns'"),
        ({"format": "xml"}, "format", "'xml'"),
        ({"errors": "ignore"}, "errors", "'ignore'"),
        ({"account_id": "12"}, "account_id", "'12'"),
        ({"account_id": 111122223333}, "account_id", "111122223333"),
        ({"region": "mars-1"}, "region", "'mars-1'"),
        ({"region": 1}, "region", "1"),
        ({"event_source": " "}, "event_source", "' '"),
        ({"event_source": None}, "event_source", "None"),
        ({"columns": ["alarm_name"]}, "columns", "['alarm_name']"),
        ({"columns": {"alert": "alarm_name"}}, "columns", "{'alert': 'alarm_name'}"),
        ({"state_map": {"firing": "FIRING"}}, "state_map", "{'firing': 'FIRING'}"),
        ({"state_map": "firing=ALARM"}, "state_map", "'firing=ALARM'"),
        ({"id_columns": []}, "id_columns", "[]"),
        ({"id_columns": 3}, "id_columns", "3"),
        ({"start_column": ""}, "start_column", "''"),
        ({"end_column": None}, "end_column", "None"),
        ({"name_template": "{}"}, "name_template", "'{}'"),
        ({"name_template": "{x}", "columns": {"alarm_name": "alert"}}, "name_template", "'{x}'"),
        ({"time_origin": "soon"}, "time_origin", "'soon'"),
        ({"time_origin": True}, "time_origin", "True"),
        ({"keep_raw": "yes"}, "keep_raw", "'yes'"),
        ({"chunk_size": 0}, "chunk_size", "0"),
        ({"chunk_size": 1.5}, "chunk_size", "1.5"),
    ],
)
def test_each_parameter_is_checked_before_anything_is_read(tmp_path, options, parameter, shown):
    options = {"source": tmp_path / "missing.jsonl", **options}
    with pytest.raises(InvalidParameterError) as caught:
        load_alarms(**options)
    assert (caught.value.parameter, caught.value.owner, caught.value.got) == (parameter, "load_alarms", shown)
    assert str(caught.value).startswith(f"The '{parameter}' parameter of load_alarms must ")


def test_region_display_names_become_codes(tmp_path):
    message = {
        "AlarmName": "disk",
        "AWSAccountId": "123456789012",
        "NewStateValue": "ALARM",
        "OldStateValue": "OK",
        "NewStateReason": "r",
        "StateChangeTime": "2024-05-01T09:00:00.000+0000",
        "Region": "EU (Ireland)",
    }
    path = write_jsonl(tmp_path / "sns.jsonl", [message])
    row = load_alarms(path).alarms.iloc[0]
    assert (row["region"], row["alarm_arn"]) == ("eu-west-1", "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:disk")


# ----------------------------------------------------------------------------- tables


def test_generic_csv_with_a_column_mapping(tmp_path):
    path = tmp_path / "alerts.csv"
    path.write_text(
        "fired_at,alert,status,acct\n"
        "2024-05-01T09:00:00Z,disk-full,firing,111111111111\n"
        "2024-05-01T09:10:00Z,disk-full,resolved,111111111111\n"
        "2024-05-01T09:20:00Z,disk-full,exploded,111111111111\n"
        "2024-05-01T09:30:00Z,,firing,111111111111\n"
    )
    load = load_alarms(
        path,
        columns={"timestamp": "fired_at", "alarm_name": "alert", "state": "status", "account_id": "acct"},
        state_map={"firing": "ALARM", "resolved": "OK"},
        region="eu-west-1",
        errors="quarantine",
    )
    adds_up(load)
    frame = load.alarms
    assert frame["state"].tolist() == ["ALARM", "OK"]
    assert frame["previous_state"].tolist() == ["OK", "ALARM"]  # derived per alarm from the sequence
    assert frame["alarm_arn"].tolist()[0] == "arn:aws:cloudwatch:eu-west-1:111111111111:alarm:disk-full"
    assert load.rejected["origin"].tolist() == ["alerts.csv:4", "alerts.csv:5"]
    assert "exploded" in load.rejected.loc[0, "problem"]


def test_generic_table_from_a_dataframe(tmp_path):
    table = pd.DataFrame({"timestamp": ["2024-05-01T09:00:00Z"], "alarm_name": ["x"], "state": ["ALARM"]})
    load = load_alarms(table, account_id="222222222222", region="us-west-2")
    assert load.alarms.loc[0, "alarm_arn"] == "arn:aws:cloudwatch:us-west-2:222222222222:alarm:x"


def test_an_unknown_mapping_field_is_named(tmp_path):
    table = pd.DataFrame({"t": ["2024-05-01T09:00:00Z"]})
    with pytest.raises(ValueError, match="unknown field"):
        load_alarms(table, columns={"when": "t"})


def test_intervals_overlap_and_time_origin(tmp_path):
    path = tmp_path / "intervals.csv"
    path.write_text("alarm_id,device_id,start_timestamp,end_timestamp\n1,7,0,100\n1,7,50,200\n2,7,10,10\n3,7,90,80\n")
    load = load_alarms(
        path,
        time_origin="2024-01-01",
        account_id="111111111111",
        region="eu-west-1",
        name_template="a{alarm_id}@d{device_id}",
        errors="quarantine",
    )
    adds_up(load)
    assert load.counts["rejected"] == 1 and load.rejected.loc[0, "field"] == "end_timestamp"
    one = load.alarms[load.alarms["alarm_name"] == "a1@d7"]
    seconds = ((one["timestamp"] - pd.Timestamp("2024-01-01", tz="UTC")).dt.total_seconds()).tolist()
    assert seconds == [0, 50, 100, 200]
    assert one["state"].tolist() == ["ALARM", "ALARM", "ALARM", "OK"]  # overlap keeps it in ALARM
    assert one["previous_state"].tolist() == ["OK", "ALARM", "ALARM", "ALARM"]
    instant = load.alarms[load.alarms["alarm_name"] == "a2@d7"]
    assert instant["state"].tolist() == ["ALARM", "OK"]


def test_alarm_frame_parquet_round_trip(tmp_path):
    original = load_alarms(write_jsonl(tmp_path / "e.jsonl", [event(0), event(5, "OK", "ALARM")])).alarms
    path = tmp_path / "alarms.parquet"
    original.to_parquet(path)
    again = load_alarms(path)
    pd.testing.assert_frame_equal(again.alarms, original)
    assert again.counts["loaded"] == 2


def test_an_alarm_frame_dataframe_is_validated(tmp_path):
    frame = load_alarms(write_jsonl(tmp_path / "e.jsonl", [event(0)])).alarms
    assert load_alarms(frame).counts["loaded"] == 1
    broken = frame.assign(state=["BROKEN"])
    with pytest.raises(ValueError, match="column state must be one of OK, ALARM, INSUFFICIENT_DATA; 'BROKEN' at row 0"):
        validate_alarm_frame(broken)


def test_a_name_template_with_an_unknown_field_is_named(tmp_path):
    path = tmp_path / "intervals.csv"
    path.write_text("alarm_id,device_id,start_timestamp,end_timestamp\n1,7,0,100\n")
    with pytest.raises(
        InvalidParameterError,
        match=r"^The 'name_template' parameter of load_alarms must be a template of the id_columns "
        r"\(alarm_id, device_id\); it uses \['site'\], which are not among id_columns\. "
        r"Got '\{alarm_id\}@\{site\}' instead\.$",
    ):
        load_alarms(path, name_template="{alarm_id}@{site}")


def test_an_interval_row_with_several_problems_is_rejected_once(tmp_path):
    path = tmp_path / "intervals.csv"
    path.write_text("alarm_id,device_id,start_timestamp,end_timestamp\n,7,abc,zz\n1,7,0,5\n")
    load = load_alarms(path, errors="quarantine", time_origin="2024-01-01")
    assert load.counts == {"read": 2, "loaded": 1, "rejected": 1, "skipped": 0, "state_changes": 2, "duplicates": 0}
    assert load.rejected.loc[0, "field"] == "alarm_id"
    with pytest.raises(LoadError, match=r"intervals.csv:2: field 'alarm_id': is empty"):
        load_alarms(path, time_origin="2024-01-01")


def test_history_exports_named_account_region_take_both_from_the_name(corpus, tmp_path):
    sample = (corpus / SAMPLES / "aws-cli-example_cloudwatch_describe-alarm-history.json").read_text()
    (tmp_path / "111111111111_eu-west-1.json").write_text(sample)
    (tmp_path / "222222222222_us-west-2.json").write_text(sample)
    load = load_alarms(sorted(tmp_path.glob("*.json")))
    assert sorted(set(load.alarms["alarm_arn"])) == [
        "arn:aws:cloudwatch:eu-west-1:111111111111:alarm:myalarm",
        "arn:aws:cloudwatch:us-west-2:222222222222:alarm:myalarm",
    ]
    assert (
        load.notes[
            "account 111111111111 (from the file name 111111111111_eu-west-1.json) used where "
            "describe-alarm-history records carry no account"
        ]
        == 2
    )
    given = load_alarms(sorted(tmp_path.glob("*.json")), account_id="333333333333", region="ap-south-1")
    assert set(given.alarms["account_id"]) == {"333333333333"}  # what is given wins over the name
