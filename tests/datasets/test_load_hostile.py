"""Hostile bytes: every listed bad input is a LoadError naming where and what (errors="raise"),
or a load that keeps the good records and returns the bad ones (errors="quarantine")."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from incidentsim.cli import main
from incidentsim.datasets import loaders, textfiles
from incidentsim.datasets.loaders import LoadError, load_alarms

from .test_loaders import event

DATA = Path(__file__).resolve().parents[2] / "data"
INTERVAL_HEADER = "alarm_id,device_id,start_timestamp,end_timestamp\n"


def adds_up(load) -> None:
    c = load.counts
    assert c["loaded"] + c["rejected"] + c["skipped"] == c["read"]


def lines(path: Path, records: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(records) + b"\n")
    return path


def good(minute: int) -> bytes:
    return json.dumps(event(minute)).encode()


def quarantined(path: Path, **options):
    load = load_alarms(path, errors="quarantine", **options)
    adds_up(load)
    return load


def raised(path: Path, **options) -> str:
    with pytest.raises(LoadError) as excinfo:
        load_alarms(path, **options)
    return str(excinfo.value)


# ----------------------------------------------------------------------------- encodings


def test_a_line_that_is_not_utf8_rejects_that_line_only_in_json_lines(tmp_path):
    path = lines(tmp_path / "b.jsonl", [good(0), good(1), b'{"caf\xe9": 1}', good(3)])
    load = quarantined(path)
    assert load.counts["loaded"] == 3 and load.counts["rejected"] == 1
    row = load.rejected.iloc[0]
    assert (row["origin"], row["field"]) == ("b.jsonl:3", "<text>")
    assert row["problem"] == "is not UTF-8 text (byte 0xe9 at column 6)"
    assert row["raw"] == '{"caf\\xe9": 1}'
    assert raised(path) == "b.jsonl:3: field '<text>': is not UTF-8 text (byte 0xe9 at column 6)"


def test_the_issue_example_loads_the_three_good_lines(tmp_path):
    sample = (DATA / "alarm-events.jsonl").read_bytes().splitlines()[:3]
    path = lines(tmp_path / "b.jsonl", [*sample, b"caf\xe9"])
    load = quarantined(path)
    assert load.counts["loaded"] == 3
    assert load.rejected["origin"].tolist() == ["b.jsonl:4"]


def test_a_row_that_is_not_utf8_rejects_that_row_only_in_csv(tmp_path):
    path = tmp_path / "intervals.csv"
    path.write_bytes((INTERVAL_HEADER + "1,7,0,10\n2,7,\xff5,10\n3,7,0,10\n").encode("latin-1"))
    load = quarantined(path, time_origin="2024-01-01")
    assert load.counts["loaded"] == 2
    assert load.rejected[["origin", "field"]].values.tolist() == [["intervals.csv:3", "<text>"]]
    assert raised(path, time_origin="2024-01-01").startswith(
        "intervals.csv:3: field '<text>': is not UTF-8 text (byte 0xff"
    )


def test_a_csv_header_that_is_not_utf8_is_one_rejected_record(tmp_path):
    path = tmp_path / "alerts.csv"
    path.write_bytes(b"tim\xe9,alarm_name,state\n2024-05-01T09:00:00Z,a,ALARM\n")
    load = quarantined(path)
    assert (load.counts["read"], load.counts["rejected"]) == (1, 1)
    assert raised(path).startswith("alerts.csv:1: field '<header>': the header is not UTF-8 text")


def test_a_json_document_that_is_not_utf8_names_its_line(tmp_path):
    path = tmp_path / "events.json"
    path.write_bytes(json.dumps([event(0), event(1)], indent=2).encode().replace(b"api-5xx", b"api-5\xe9x", 1))
    load = quarantined(path)
    assert (load.counts["read"], load.counts["rejected"]) == (1, 1)
    assert raised(path) == ("events.json:4: field '<text>': is not UTF-8 text (byte 0xe9 at column 20)")


def test_a_byte_order_mark_is_not_part_of_the_first_record(tmp_path):
    path = lines(tmp_path / "bom.jsonl", [b"\xef\xbb\xbf" + good(0), good(1)])
    load = load_alarms(path)
    assert load.counts["loaded"] == 2
    assert load.alarms["event_id"].tolist()[0] == hashlib.sha1(good(0)).hexdigest()[:20]


# ----------------------------------------------------------------------------- nesting depth


def test_a_deeply_nested_line_is_rejected_at_its_line(tmp_path):
    deep = b"[" * 5000 + b"]" * 5000
    path = lines(tmp_path / "deep.jsonl", [good(0), deep, good(2)])
    load = quarantined(path)
    assert load.counts["loaded"] == 2
    assert load.rejected[["origin", "field", "problem"]].values.tolist() == [
        ["deep.jsonl:2", "<json>", "is nested more than 128 levels deep"]
    ]
    assert raised(path) == "deep.jsonl:2: field '<json>': is nested more than 128 levels deep"


def test_a_deep_member_of_an_otherwise_good_event_is_refused_whichever_reader_reads_it(tmp_path):
    record = event(0)
    record["extra"] = json.loads("[" * 200 + "]" * 200)
    plain = json.dumps(record).encode()
    math = event(1)
    math["extra"] = record["extra"]
    math["detail"]["configuration"]["metrics"] *= 2  # several metrics: read record by record
    path = lines(tmp_path / "deep.jsonl", [plain, json.dumps(math).encode(), good(2)])
    load = quarantined(path)
    assert load.rejected["origin"].tolist() == ["deep.jsonl:1", "deep.jsonl:2"]
    assert set(load.rejected["problem"]) == {"is nested more than 128 levels deep"}


def test_a_deeply_nested_json_document_is_one_rejected_record(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 3000 + "]" * 3000)
    load = quarantined(path)
    assert (load.counts["read"], load.counts["rejected"]) == (1, 1)
    assert raised(path) == "deep.json:1: field '<json>': is nested more than 128 levels deep"


def test_a_deeply_nested_sns_message_text_is_rejected_as_its_field(tmp_path):
    message = {"Sns": {"Message": "[" * 2000 + "]" * 2000, "TopicArn": "arn:aws:sns:us-east-1:123456789012:t"}}
    path = tmp_path / "sns.json"
    path.write_text(json.dumps({"Records": [message]}))
    load = quarantined(path)
    assert load.rejected["field"].tolist() == ["Sns.Message"]
    assert "nested more than 128 levels deep" in load.rejected.loc[0, "problem"]


# ----------------------------------------------------------------------------- empty files


@pytest.mark.parametrize(
    "name", ["empty.txt", "empty.csv", "empty.json", "empty.jsonl", "empty.parquet", "empty.jsonl.gz"]
)
@pytest.mark.parametrize("errors", ["raise", "quarantine"])
def test_an_empty_file_has_no_records_and_says_so(tmp_path, name, errors):
    path = tmp_path / name
    path.write_bytes(gzip.compress(b"") if name.endswith(".gz") else b"")
    load = load_alarms(path, errors=errors)
    assert load.counts == {"read": 0, "loaded": 0, "rejected": 0, "skipped": 0, "state_changes": 0, "duplicates": 0}
    assert f"{name} is empty: it has no records" in load.notes
    assert list(load.alarms.columns) == list(loaders.COLUMNS)


@pytest.mark.parametrize(
    "name, content", [("blank.jsonl", b"\n  \n\t\n"), ("blank.json", b"  \n "), ("blank.csv", b"\n\n")]
)
def test_a_file_of_white_space_has_no_records(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    assert load_alarms(path).counts["read"] == 0


# ----------------------------------------------------------------------------- gzip


def test_a_truncated_gzip_keeps_the_records_before_the_cut(tmp_path):
    full = gzip.compress(b"\n".join(good(minute) for minute in range(40)) + b"\n")
    path = tmp_path / "events.jsonl.gz"
    path.write_bytes(full[: len(full) * 2 // 3])
    load = quarantined(path)
    assert 0 < load.counts["loaded"] < 40
    assert load.counts["rejected"] == 1
    cut = load.rejected.iloc[0]
    assert cut["origin"] == f"events.jsonl.gz:{load.counts['loaded'] + 1}"
    assert (cut["field"], cut["problem"]) == (
        "<gzip>",
        "the gzip stream ends early (the file is truncated); nothing from here on could be read",
    )
    assert raised(path) == f"events.jsonl.gz:{load.counts['loaded'] + 1}: field '<gzip>': {cut['problem']}"


def test_a_truncated_gzip_json_document_is_one_rejected_record(tmp_path):
    full = gzip.compress(json.dumps([event(m) for m in range(20)]).encode())
    path = tmp_path / "events.json.gz"
    path.write_bytes(full[: len(full) // 2])
    load = quarantined(path)
    assert (load.counts["read"], load.counts["rejected"]) == (1, 1)
    assert raised(path).startswith("events.json.gz: field '<gzip>': the gzip stream ends early")


def test_garbage_after_a_gzip_stream_is_one_rejected_record(tmp_path):
    path = tmp_path / "events.jsonl.gz"
    path.write_bytes(gzip.compress(good(0) + b"\n" + good(1) + b"\n") + b"not gzip")
    load = quarantined(path)
    assert (load.counts["loaded"], load.counts["rejected"]) == (2, 1)
    assert "the gzip stream is corrupt" in load.rejected.loc[0, "problem"]


def test_a_truncated_gzip_csv_keeps_the_rows_before_the_cut(tmp_path):
    rows = "".join(f"{i % 5},7,{i * 10},{i * 10 + 5}\n" for i in range(2000))
    full = gzip.compress((INTERVAL_HEADER + rows).encode())
    path = tmp_path / "intervals.csv.gz"
    path.write_bytes(full[: len(full) // 2])
    load = quarantined(path, time_origin="2024-01-01")
    assert 0 < load.counts["loaded"] < 2000 and load.counts["rejected"] == 1
    assert load.rejected.loc[0, "field"] == "<gzip>"


# ----------------------------------------------------------------------------- Parquet


@pytest.mark.parametrize("content", [b"PAR1 not really", b"\x00" * 64, b"PAR1"])
def test_a_broken_parquet_file_is_one_rejected_record(tmp_path, content):
    path = tmp_path / "broken.parquet"
    path.write_bytes(content)
    load = quarantined(path)
    assert (load.counts["read"], load.counts["rejected"]) == (1, 1)
    assert load.rejected.loc[0, "field"] == "<parquet>"
    assert raised(path).startswith("broken.parquet: field '<parquet>': is not a readable Parquet file (")


def test_a_truncated_parquet_file_is_one_rejected_record(tmp_path):
    source = tmp_path / "whole.parquet"
    pd.DataFrame({"alarm_id": ["1"], "device_id": ["2"], "start_timestamp": ["0"], "end_timestamp": ["5"]}).to_parquet(
        source
    )
    path = tmp_path / "cut.parquet"
    path.write_bytes(source.read_bytes()[:-20])
    assert quarantined(path).counts["rejected"] == 1
    assert "is not a readable Parquet file" in raised(path)


def test_a_gzip_compressed_parquet_file_is_read(tmp_path):
    source = tmp_path / "whole.parquet"
    pd.DataFrame(
        {"alarm_id": [1, 2], "device_id": [3, 3], "start_timestamp": [0, 5], "end_timestamp": [10, 20]}
    ).to_parquet(source)
    path = tmp_path / "intervals.parquet.gz"
    path.write_bytes(gzip.compress(source.read_bytes()))
    load = load_alarms(path, time_origin="2024-01-01")
    assert load.counts["loaded"] == 2 and len(load.alarms) == 4
    assert load.alarms["origin"].tolist()[0] == "intervals.parquet.gz#0"


# ----------------------------------------------------------------------------- ragged CSV rows


def test_a_csv_row_with_extra_columns_is_rejected_with_its_line(tmp_path):
    path = tmp_path / "intervals.csv"
    path.write_text(INTERVAL_HEADER + "1,7,0,10\n2,7,0,10,oops\n3,7,0,10\n")
    load = quarantined(path, time_origin="2024-01-01")
    assert load.counts["loaded"] == 2
    assert load.rejected[["origin", "field", "problem"]].values.tolist() == [
        ["intervals.csv:3", "<row>", "has 5 fields; the header has 4"]
    ]
    assert load.rejected.loc[0, "raw"] == "2,7,0,10,oops"
    assert raised(path, time_origin="2024-01-01") == "intervals.csv:3: field '<row>': has 5 fields; the header has 4"


def test_a_csv_row_with_too_few_columns_is_rejected_with_its_line(tmp_path):
    path = tmp_path / "alerts.csv"
    path.write_text("timestamp,alarm_name,state\n2024-05-01T09:00:00Z,a,ALARM\n2024-05-01T09:01:00Z,a\n")
    load = quarantined(path)
    assert load.rejected[["origin", "problem"]].values.tolist() == [["alerts.csv:3", "has 2 fields; the header has 3"]]


def test_a_quoted_csv_field_may_hold_commas_and_line_ends(tmp_path):
    path = tmp_path / "alerts.csv"
    path.write_text(
        'timestamp,alarm_name,state,reason\n2024-05-01T09:00:00Z,a,ALARM,"x, y\nand z"\n2024-05-01T09:01:00Z,a,OK,\n'
    )
    load = load_alarms(path)
    assert load.alarms["reason"].tolist() == ["x, y\nand z", ""]
    assert load.alarms["origin"].tolist() == ["alerts.csv:2", "alerts.csv:4"]  # line numbers, not row numbers


def test_a_quote_never_closed_is_one_rejected_record(tmp_path):
    path = tmp_path / "alerts.csv"
    path.write_text(
        'timestamp,alarm_name,state\n2024-05-01T09:00:00Z,a,ALARM\n2024-05-01T09:01:00Z,"a,OK\n2024-05-01T09:02:00Z,a,OK\n'
    )
    load = quarantined(path)
    assert load.counts["loaded"] == 1
    assert load.rejected[["origin", "field"]].values.tolist() == [["alerts.csv:3", "<row>"]]
    assert "quoted field opened here is not closed" in load.rejected.loc[0, "problem"]


# ----------------------------------------------------------------------------- binary files


BINARY = bytes(range(256)) * 8 + b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(reversed(range(256))) * 4


@pytest.mark.parametrize(
    "name", ["blob.jsonl", "blob.json", "blob.csv", "blob.txt", "blob.parquet", "blob.jsonl.gz", "blob.csv.gz"]
)
def test_a_binary_file_is_rejected_record_by_record_never_raised_as_anything_else(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(gzip.compress(BINARY) if name.endswith(".gz") else BINARY)
    load = quarantined(path)
    assert load.counts["loaded"] == 0 and load.counts["rejected"] >= 1
    assert all(origin.startswith(name) for origin in load.rejected["origin"])
    assert raised(path).startswith(name)


def test_a_binary_file_forced_as_each_json_format_is_rejected(tmp_path):
    path = tmp_path / "blob.bin"
    path.write_bytes(BINARY)
    for format in ("eventbridge", "alarm_history", "sns", "lambda"):
        assert quarantined(path, format=format).counts["loaded"] == 0
        assert raised(path, format=format).startswith("blob.bin")


# ----------------------------------------------------------------------------- huge lines


def test_a_line_over_the_limit_is_refused_and_reading_goes_on(tmp_path, monkeypatch):
    monkeypatch.setattr(textfiles, "MAX_LINE_BYTES", 4096)
    monkeypatch.setattr(textfiles, "BLOCK_BYTES", 1024)
    huge = b'{"a": "' + b"x" * 20_000 + b'"}'
    path = lines(tmp_path / "huge.jsonl", [good(0), huge, good(2), huge + huge, good(4)])
    load = quarantined(path)
    assert load.counts["loaded"] == 3
    assert load.rejected[["origin", "field"]].values.tolist() == [
        ["huge.jsonl:2", "<line>"],
        ["huge.jsonl:4", "<line>"],
    ]
    assert load.rejected.loc[0, "problem"] == "the line is longer than 4,096 bytes, the most read as one record"
    assert len(load.rejected.loc[0, "raw"]) < 300  # the start of the line, not all of it
    assert load.alarms["origin"].tolist() == ["huge.jsonl:1", "huge.jsonl:3", "huge.jsonl:5"]
    assert (
        raised(path) == "huge.jsonl:2: field '<line>': the line is longer than 4,096 bytes, the most read as one record"
    )


def test_a_line_over_the_real_limit_is_refused(tmp_path):
    path = tmp_path / "huge.jsonl"
    with path.open("wb") as handle:
        handle.write(b'{"a": "' + b"x" * (textfiles.MAX_LINE_BYTES + 10) + b'"}\n')
        handle.write(good(1) + b"\n")
    load = quarantined(path)
    assert (load.counts["loaded"], load.counts["rejected"]) == (1, 1)
    assert load.rejected.loc[0, "origin"] == "huge.jsonl:1"


def test_a_json_document_over_the_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(textfiles, "MAX_DOCUMENT_BYTES", 2048)
    path = tmp_path / "events.json"
    path.write_text(json.dumps([event(m) for m in range(10)], indent=2))
    load = quarantined(path)
    assert (load.counts["read"], load.counts["rejected"]) == (1, 1)
    assert raised(path) == (
        "events.json: field '<file>': the file is larger than 2,048 bytes, the most read as one JSON document; "
        "write it as JSON Lines"
    )


def test_a_csv_without_line_ends_over_the_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(textfiles, "MAX_LINE_BYTES", 4096)
    path = tmp_path / "intervals.csv"
    path.write_text(INTERVAL_HEADER + "1,7,0,10\n" + "9" * 10_000 + "\n2,7,0,10\n")
    load = quarantined(path, time_origin="2024-01-01")
    assert load.counts["loaded"] == 2
    assert load.rejected[["origin", "field"]].values.tolist() == [["intervals.csv:3", "<line>"]]


# ----------------------------------------------------------------------------- identity is unchanged


def test_event_ids_are_the_sha1_of_the_record_text_as_before(tmp_path):
    """The same bytes give the same id in every version: the first 20 hex digits of the SHA-1 of the
    record's text (a JSON Lines line without its line end; a table row as compact JSON, sorted keys)."""
    sample = (DATA / "alarm-events.jsonl").read_bytes().splitlines()
    frame = load_alarms(DATA / "alarm-events.jsonl").alarms.sort_values(
        "origin", key=lambda o: o.str.split(":").str[1].astype(int)
    )
    assert frame["event_id"].tolist()[:3] == [hashlib.sha1(line).hexdigest()[:20] for line in sample[:3]]
    assert frame["event_id"].tolist()[:2] == ["4c95e06d7cbfaf8cde83", "4e3ff7f5ff54278b176f"]
    table = tmp_path / "intervals.csv"
    table.write_text(INTERVAL_HEADER + "1,7,0,100\n")
    ids = load_alarms(table, time_origin="2024-01-01").alarms["event_id"].tolist()
    row = json.dumps(
        {"alarm_id": "1", "device_id": "7", "end_timestamp": "100", "start_timestamp": "0"}, separators=(",", ":")
    )
    base = hashlib.sha1(row.encode()).hexdigest()[:20]
    assert ids == [base + ":start", base + ":end"]
    assert base == "c19b6b374cc94ba1797b"


def test_both_readers_give_the_same_frame_for_the_bundled_sample(monkeypatch):
    columnwise = load_alarms(DATA / "alarm-events.jsonl")
    monkeypatch.setattr(loaders, "_COLUMNWISE", False)
    record_by_record = load_alarms(DATA / "alarm-events.jsonl")
    pd.testing.assert_frame_equal(columnwise.alarms, record_by_record.alarms)
    assert columnwise.notes == record_by_record.notes


# ----------------------------------------------------------------------------- the command line


@pytest.mark.parametrize(
    "name, content",
    [
        ("b.jsonl", good(0) + b"\ncaf\xe9\n"),
        ("deep.jsonl", b"[" * 5000 + b"]" * 5000 + b"\n"),
        ("cut.jsonl.gz", gzip.compress(good(0) + b"\n" + good(1) + b"\n")[:-12]),
        ("broken.parquet", b"PAR1 broken"),
        ("ragged.csv", (INTERVAL_HEADER + "1,7,0,10,11\n").encode()),
        ("blob.json", BINARY),
    ],
)
def test_the_command_line_says_what_is_wrong_in_one_line(tmp_path, capsys, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    assert main(["load", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"incidentsim load: {name}") and err.count("\n") == 1 and "Traceback" not in err
    assert main(["load", str(path), "--errors", "quarantine"]) == 0
    out = capsys.readouterr().out
    assert "rejected" in out and "Traceback" not in out


def test_a_blank_alarm_name_is_a_rejected_record_not_a_broken_frame(tmp_path):
    history = {
        "AlarmHistoryItems": [
            {
                "Timestamp": "2024-05-01T09:00:00.000Z",
                "HistoryItemType": "StateUpdate",
                "AlarmName": name,
                "HistoryData": json.dumps({"oldState": {"stateValue": "OK"}, "newState": {"stateValue": "ALARM"}}),
            }
            for name in (" ", "disk")
        ]
    }
    path = tmp_path / "history.json"
    path.write_text(json.dumps(history))
    load = quarantined(path)
    assert load.counts["loaded"] == 1
    assert load.rejected[["origin", "field", "problem"]].values.tolist() == [
        ["history.json:AlarmHistoryItems[0]", "alarm name", "is blank and there is no well-formed alarm ARN"]
    ]


def test_a_parquet_file_with_a_damaged_pandas_description_is_read_from_its_arrow_types(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"alarm_id": ["1"], "device_id": ["2"], "start_timestamp": ["0"], "end_timestamp": ["5"]})
    path = tmp_path / "intervals.parquet"
    pq.write_table(table.replace_schema_metadata({b"pandas": b'{"index_columns": [], "columns": [{"nam": 1}]}'}), path)
    load = load_alarms(path, time_origin="2024-01-01")
    assert load.counts["loaded"] == 1 and len(load.alarms) == 2
