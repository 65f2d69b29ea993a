"""The sample-history generator: determinism, real transitions, the stories, and both export formats."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from incidentsim.datasets import synthetic
from incidentsim.datasets.loaders import load_alarms
from incidentsim.datasets.schema import COLUMNS, parse_alarm_arn, record_id, validate_alarm_frame
from incidentsim.datasets.synthetic import (
    STORY_ALARMS,
    generate_history,
    story_windows,
    to_alarm_history,
    to_eventbridge_events,
    write_sample,
)

DATA = Path(__file__).resolve().parents[2] / "data"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
OFFSET_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return generate_history()


@pytest.fixture(scope="module")
def events(frame: pd.DataFrame) -> list[dict]:
    return to_eventbridge_events(frame)


@pytest.fixture(scope="module")
def history(frame: pd.DataFrame) -> dict:
    return to_alarm_history(frame)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_sample(tmp_path_factory.mktemp("sample"))


def _service(arn: str) -> str:
    parsed = parse_alarm_arn(arn)
    assert parsed is not None
    return parsed[2].split("-", 1)[0]


# ------------------------------------------------------------------------------ determinism


def test_the_same_seed_gives_an_identical_frame(frame):
    pd.testing.assert_frame_equal(generate_history(seed=2024), frame)


def test_the_same_seed_writes_byte_identical_files(tmp_path, written):
    again = write_sample(tmp_path / "again", seed=2024)
    assert sorted(again) == sorted(written)
    for name, path in written.items():
        assert again[name].read_bytes() == path.read_bytes(), name


def test_a_different_seed_gives_a_different_history(frame):
    other = generate_history(seed=7)
    assert len(set(other["raw"]) & set(frame["raw"])) == 0
    assert not other["timestamp"].equals(frame["timestamp"])
    # ... and the same alarms, so a different seed is a different month of the same estate
    assert set(other["alarm_arn"]) == set(frame["alarm_arn"])


def test_start_moves_every_timestamp():
    early = generate_history(seed=3, days=9)
    later = generate_history(seed=3, start="2024-04-08T00:00:00Z", days=9)
    assert (later["timestamp"] - early["timestamp"] == pd.Timedelta(days=7)).all()
    assert later["state"].tolist() == early["state"].tolist()


def test_the_committed_sample_is_what_the_generator_writes(written):
    assert DATA.is_dir(), "data/ is missing: run python -m incidentsim.datasets.synthetic --out data"
    for name, path in written.items():
        committed = DATA / name
        assert committed.is_file(), f"data/{name} is missing"
        assert committed.read_bytes() == path.read_bytes(), f"data/{name} differs from write_sample(); regenerate it"
    extra = {p.name for p in (DATA / "alarm-history").iterdir()} - {Path(n).name for n in written}
    assert not extra, f"data/alarm-history holds files the generator does not write: {sorted(extra)}"


def test_every_written_file_stays_small(written):
    for name, path in written.items():
        assert path.stat().st_size < 6_000_000, name


def test_too_short_a_history_is_refused():
    with pytest.raises(ValueError, match="The 'days' parameter of generate_history must be at least 8. Got 7 instead."):
        generate_history(days=7)


def test_main_regenerates_the_files(tmp_path, written, capsys):
    assert synthetic.main(["--out", str(tmp_path), "--seed", "2024"]) == 0
    assert (tmp_path / "alarm-events.jsonl").read_bytes() == written["alarm-events.jsonl"].read_bytes()
    assert "alarm-events.jsonl" in capsys.readouterr().out


# ------------------------------------------------------------------------------ shape of the frame


def test_the_frame_is_a_valid_alarm_frame_of_the_expected_size(frame):
    assert list(frame.columns) == list(COLUMNS)
    pd.testing.assert_frame_equal(validate_alarm_frame(frame), frame)
    assert frame["timestamp"].is_monotonic_increasing
    assert 3000 <= len(frame) <= 8000
    assert set(frame["account_id"]) == {"111111111111", "222222222222"}
    assert set(frame["region"]) == {"us-east-1", "eu-west-1"}
    assert 55 <= frame["alarm_arn"].nunique() <= 65
    assert {_service(arn) for arn in frame["alarm_arn"]} == {"checkout", "payments", "search"}
    assert (frame["source"] == "aws.cloudwatch").all()
    assert not frame["duplicate"].any()
    assert frame["origin"].tolist() == [f"synthetic:{i}" for i in range(len(frame))]
    assert frame["event_id"].tolist() == [record_id(raw) for raw in frame["raw"]]


def test_metric_and_composite_columns(frame):
    composite = frame["alarm_name"].str.endswith("-service-degraded")
    assert composite.any()
    assert (frame.loc[composite, "namespace"] == "").all() and (frame.loc[composite, "metric_name"] == "").all()
    metrics = frame.loc[~composite & (frame["metric_name"] != "")]
    assert {"AWS/ApplicationELB", "AWS/Lambda", "AWS/RDS", "AWS/SQS"} <= set(metrics["namespace"])
    assert {"HTTPCode_Target_5XX_Count", "Errors", "CPUUtilization", "ApproximateAgeOfOldestMessage"} <= set(
        metrics["metric_name"]
    )
    for text in frame["dimensions"].unique():
        assert isinstance(json.loads(text), dict)
        assert ": " not in text and ", " not in text  # compact
    assert json.loads(metrics["dimensions"].iloc[0])
    assert set(frame["actions_suppressed_by"]) <= {"", "Alarm", "WaitPeriod", "ExtensionPeriod"}
    assert set(frame.loc[frame["actions_suppressed_by"] != "", "alarm_name"]) == {"payments-service-degraded"}


def test_every_row_is_a_real_transition(frame):
    assert (frame["state"] != frame["previous_state"]).all()
    for arn, rows in frame.groupby("alarm_arn", sort=False):
        states = rows["state"].astype(str).tolist()
        previous = rows["previous_state"].astype(str).tolist()
        assert previous[0] in {"INSUFFICIENT_DATA", "OK"}, arn
        assert previous[1:] == states[:-1], arn


def test_reasons_read_like_cloudwatch(frame):
    metric = frame["namespace"] != ""
    threshold = frame["reason"].str.match(
        r"^Threshold Crossed: \d+ out of the last \d+ datapoints \[[\d.]+ \(\d\d/\d\d/\d\d \d\d:\d\d:\d\d\).*\] "
        r"(was|were) (not )?(greater|less) than .*the threshold \([\d.]+\) \(minimum \d+ datapoints? for "
        r"(OK -> ALARM|ALARM -> OK) transition\)\.$"
    )
    missing = frame["reason"].str.match(r"^Insufficient Data: \d+ datapoints? (was|were) unknown\.$")
    assert (threshold | missing)[metric].all()
    assert (missing == (frame["state"] == "INSUFFICIENT_DATA"))[metric].all()
    composite = frame.loc[~metric, "reason"]
    assert composite.str.match(
        r"^arn:aws:cloudwatch:[a-z0-9-]+:\d{12}:alarm:\S+ "
        r"(transitioned to [A-Z_]+ at \w+ \d\d \w+, \d{4} \d\d:\d\d:\d\d UTC"
        r"|was created and its alarm rule evaluates to OK)$"
    ).all()


# ------------------------------------------------------------------------------ the stories


def test_daily_cycle_puts_more_alarms_at_the_peak(frame):
    alarms = frame[(frame["state"] == "ALARM") & (frame["region"] == "us-east-1")]
    hours = alarms["timestamp"].dt.hour
    assert hours.between(15, 21).sum() > 3 * hours.between(3, 9).sum()
    eu = frame[(frame["state"] == "ALARM") & (frame["region"] == "eu-west-1")]["timestamp"].dt.hour
    assert eu.between(9, 15).sum() > 3 * eu.between(19, 24).sum()


def test_the_flapping_alarm_flaps(frame):
    begin, end = story_windows()["flapping"]
    rows = frame[(frame["alarm_arn"] == STORY_ALARMS["flapping"]) & frame["timestamp"].between(begin, end)]
    alarms = rows[rows["state"] == "ALARM"]["timestamp"]
    assert len(alarms) >= 20
    assert alarms.max() - alarms.min() < pd.Timedelta(days=1)
    assert alarms.diff().dropna().max() < pd.Timedelta(minutes=30)


def test_the_chronic_alarm_never_clears(frame):
    rows = frame[frame["alarm_arn"] == STORY_ALARMS["chronic"]]
    assert rows["state"].iloc[-1] == "ALARM"
    fired = rows["timestamp"].iloc[-1]
    assert fired - frame["timestamp"].min() < pd.Timedelta(days=4)
    assert frame["timestamp"].max() - fired > pd.Timedelta(days=20)


def test_the_cascade_spreads_across_all_three_services_within_thirty_minutes(frame):
    root = frame[(frame["alarm_arn"] == STORY_ALARMS["cascade"]) & (frame["state"] == "ALARM")]
    begin, end = story_windows()["cascade"]
    fired = root[root["timestamp"].between(begin, end)]["timestamp"].iloc[0]
    window = frame[frame["timestamp"].between(fired, fired + pd.Timedelta(minutes=30)) & (frame["state"] == "ALARM")]
    assert window["alarm_arn"].nunique() >= 10
    assert {_service(arn) for arn in window["alarm_arn"]} == {"checkout", "payments", "search"}
    # ... and it recovers within two and a half hours
    later = frame[frame["timestamp"].between(fired, fired + pd.Timedelta(hours=2, minutes=30))]
    for arn in window["alarm_arn"].unique():
        assert later[later["alarm_arn"] == arn]["state"].iloc[-1] == "OK", arn


def test_the_maintenance_window_is_a_burst_with_suppressed_composite_actions(frame):
    begin, end = story_windows()["maintenance"]
    assert begin.day_name() == "Sunday" and begin.hour == 2 and end - begin == pd.Timedelta(hours=2)
    inside = frame[frame["timestamp"].between(begin, end) & (frame["state"] == "ALARM")]
    usual = [
        (
            (frame["timestamp"] >= begin + pd.Timedelta(days=d))
            & (frame["timestamp"] < end + pd.Timedelta(days=d))
            & (frame["state"] == "ALARM")
        ).sum()
        for d in (-7, -6, -1, 1, 6, 7)
    ]
    assert len(inside) >= 20 and len(inside) > 3 * max(usual)
    suppressed = frame[frame["actions_suppressed_by"] != ""]
    assert suppressed["timestamp"].between(begin, end + pd.Timedelta(minutes=5)).all()
    assert "WaitPeriod" in set(suppressed["actions_suppressed_by"])
    assert (suppressed["state"] == "ALARM").all()


def test_insufficient_data_gaps_come_and_go(frame):
    gone = frame[frame["state"] == "INSUFFICIENT_DATA"]
    assert len(gone) >= 1
    back = frame[frame["previous_state"] == "INSUFFICIENT_DATA"]
    assert len(back) > frame["alarm_arn"].nunique()  # more than the initial evaluations
    begin, end = story_windows()["metrics_gap"]
    gap = gone[gone["timestamp"].between(begin, end)]
    assert gap["alarm_arn"].nunique() >= 10
    assert set(zip(gap["account_id"], gap["region"])) == {("222222222222", "eu-west-1")}


# ------------------------------------------------------------------------------ EventBridge events


def test_each_event_round_trips_through_raw(frame, events):
    assert len(events) == len(frame)
    for row, event in zip(frame.itertuples(index=False), events):
        assert json.loads(row.raw) == event
        assert row.raw == json.dumps(event, separators=(",", ":"))


def test_events_are_shaped_like_cloudwatch_state_changes(frame, events):
    sample = events[0]
    assert list(sample) == [
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    ]
    for row, event in zip(frame.itertuples(index=False), events):
        detail = event["detail"]
        assert event["detail-type"] == "CloudWatch Alarm State Change" and event["version"] == "0"
        assert UUID.match(event["id"])
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", event["time"])
        assert event["resources"] == [row.alarm_arn] and detail["alarmName"] == row.alarm_name
        assert (event["account"], event["region"]) == (row.account_id, row.region)
        state, previous = detail["state"], detail["previousState"]
        assert isinstance(state["reasonData"], str) and json.loads(state["reasonData"])
        assert OFFSET_MS.match(state["timestamp"]) and OFFSET_MS.match(previous["timestamp"])
        assert event["time"] == state["timestamp"][:19] + "Z"
        assert pd.Timestamp(state["timestamp"]) == row.timestamp
        assert (state["value"], previous["value"], state["reason"]) == (row.state, row.previous_state, row.reason)
        assert state.get("actionsSuppressedBy", "") == row.actions_suppressed_by
        configuration = detail["configuration"]
        assert ("alarmRule" in configuration) == (row.namespace == "")
    assert len({event["id"] for event in events}) == len(events)


def test_previous_state_is_the_alarms_previous_event(events):
    last: dict[str, dict] = {}
    for event in events:
        arn = event["resources"][0]
        previous = event["detail"]["previousState"]
        if arn in last:
            assert previous == last[arn]
        else:
            assert previous["reason"] == "Unchecked: Initial alarm creation"
        last[arn] = event["detail"]["state"]


def test_events_are_built_from_columns_when_raw_is_not_an_event(frame, events):
    part = frame[frame["account_id"] == "222222222222"].head(200).assign(raw="{}")
    built = to_eventbridge_events(part)
    original = [events[i] for i in part.index]
    for new, old in zip(built, original):
        for key in ("detail-type", "source", "account", "time", "region", "resources"):
            assert new[key] == old[key]
        for key in ("value", "reason", "timestamp"):
            assert new["detail"]["state"][key] == old["detail"]["state"][key]
        assert new["detail"]["previousState"]["value"] == old["detail"]["previousState"]["value"]


def test_the_loader_reads_the_event_file_back_into_the_same_frame(frame, written):
    loaded = load_alarms(written["alarm-events.jsonl"])
    assert loaded.counts["loaded"] == len(frame) and loaded.counts["rejected"] == 0
    columns = [c for c in frame.columns if c != "origin"]
    pd.testing.assert_frame_equal(loaded.alarms[columns], frame[columns])


# ------------------------------------------------------------------------------ alarm history


def test_alarm_history_has_one_file_per_account_and_region(history, frame):
    assert set(history) == set(zip(frame["account_id"], frame["region"]))
    assert len(history) == 4


def test_alarm_history_items_are_newest_first_and_carry_the_rows_states(history, frame):
    for (account, region), body in history.items():
        assert list(body) == ["AlarmHistoryItems"]
        items = body["AlarmHistoryItems"]
        stamps = [item["Timestamp"] for item in items]
        assert stamps == sorted(stamps, reverse=True)
        assert all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", s) for s in stamps)
        updates = [item for item in items if item["HistoryItemType"] == "StateUpdate"]
        rows = frame[(frame["account_id"] == account) & (frame["region"] == region)]
        assert len(updates) == len(rows)
        seen = set()
        for item in updates:
            data = json.loads(item["HistoryData"])
            assert data["version"] == "1.0"
            old, new = data["oldState"]["stateValue"], data["newState"]["stateValue"]
            assert item["HistorySummary"] == f"Alarm updated from {old} to {new}"
            if "stateReasonData" in data["newState"]:
                assert isinstance(data["newState"]["stateReasonData"], dict)
            assert item["AlarmType"] in {"MetricAlarm", "CompositeAlarm"}
            assert item["AlarmType"] == (
                "CompositeAlarm" if item["AlarmName"].endswith("-service-degraded") else "MetricAlarm"
            )
            seen.add((item["AlarmName"], pd.Timestamp(item["Timestamp"]), old, new, data["newState"]["stateReason"]))
        expected = {
            (r.alarm_name, r.timestamp, r.previous_state, r.state, r.reason) for r in rows.itertuples(index=False)
        }
        assert seen == expected


def test_alarm_history_holds_configuration_and_action_items_too(history, frame):
    for body in history.values():
        kinds = {item["HistoryItemType"] for item in body["AlarmHistoryItems"]}
        assert kinds == {"StateUpdate", "ConfigurationUpdate", "Action"}
    items = [item for body in history.values() for item in body["AlarmHistoryItems"]]
    created = [item for item in items if item["HistoryItemType"] == "ConfigurationUpdate"]
    assert len(created) == frame["alarm_arn"].nunique()
    assert all(json.loads(item["HistoryData"])["type"] == "Create" for item in created)
    actions = [item for item in items if item["HistoryItemType"] == "Action"]
    assert all(item["HistorySummary"].startswith("Successfully executed action arn:aws:sns:") for item in actions)
    alarms = frame[frame["alarm_name"].str.endswith("-service-degraded") & (frame["state"] == "ALARM")]
    assert len(actions) == (alarms["actions_suppressed_by"] == "").sum()


def test_history_files_load_with_the_extra_items_skipped(written, history):
    path = written["alarm-history/222222222222_eu-west-1.json"]
    loaded = load_alarms(path, account_id="222222222222", region="eu-west-1")
    items = history[("222222222222", "eu-west-1")]["AlarmHistoryItems"]
    updates = sum(item["HistoryItemType"] == "StateUpdate" for item in items)
    assert loaded.counts["loaded"] == updates
    assert loaded.counts["skipped"] == len(items) - updates
    assert json.loads(path.read_text()) == history[("222222222222", "eu-west-1")]
