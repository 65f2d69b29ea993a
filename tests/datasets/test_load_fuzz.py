"""Fuzzing every reader: arbitrary bytes, and real records mutated, in every format (and gzip of each).

Whatever the bytes, ``errors="quarantine"`` never raises and its counts add up, and ``errors="raise"``
either loads the same frame (nothing was rejected) or raises the LoadError that names the first
rejected record.  JSON Lines are also read record by record and must give the same answer as the
column-wise reader.  ``INCIDENTSIM_FUZZ=long`` runs over 10,000 examples in all.
"""

from __future__ import annotations

import copy
import csv
import gzip
import io
import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidentsim.datasets import loaders, validate_alarm_frame
from incidentsim.datasets.loaders import LoadError, load_alarms, with_hint
from tests.fuzzing import examples

pytestmark = pytest.mark.long

DATA = Path(__file__).resolve().parents[2] / "data"
SAMPLES = "aws-sample-events"
FUZZ = settings(
    max_examples=examples(20, 1500),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)

_EVENT_LINES = (DATA / "alarm-events.jsonl").read_text().splitlines()
# plain single-metric events, and metric math ones (read record by record)
EVENTS = [json.loads(line) for line in _EVENT_LINES[:12]] + [
    json.loads(line) for line in _EVENT_LINES if '"expression"' in line
][:4]
HISTORY = json.loads((DATA / "alarm-history" / "111111111111_eu-west-1.json").read_text())["AlarmHistoryItems"][:12]
STATES = ["OK", "ALARM", "INSUFFICIENT_DATA"]


# ----------------------------------------------------------------------------- the check


def check(path: Path, *, intervals: bool = False, compare_readers: bool = False, **options: Any) -> None:
    """The promises every load keeps, whatever the file holds."""
    load = load_alarms(path, errors="quarantine", **options)  # never raises
    c = load.counts
    assert c["loaded"] + c["rejected"] + c["skipped"] == c["read"]
    assert c["state_changes"] == (2 * c["loaded"] if intervals else c["loaded"])
    assert all(str(origin).startswith(path.name) for origin in load.rejected["origin"])
    assert load.alarms["event_id"].is_unique
    pd.testing.assert_frame_equal(validate_alarm_frame(load.alarms), load.alarms)  # already an AlarmFrame, as is
    try:
        strict = load_alarms(path, **options)
    except LoadError as error:
        assert c["rejected"] > 0
        first = load.rejected.iloc[0]
        assert (
            str(error) == f"{first['origin']}: field '{first['field']}': {with_hint(first['problem'], first['hint'])}"
        )
    else:
        assert c["rejected"] == 0
        pd.testing.assert_frame_equal(strict.alarms, load.alarms)
    if compare_readers:
        original = loaders._COLUMNWISE
        loaders._COLUMNWISE = False
        try:
            by_record = load_alarms(path, errors="quarantine", **options)
        finally:
            loaders._COLUMNWISE = original
        pd.testing.assert_frame_equal(by_record.alarms, load.alarms)
        pd.testing.assert_frame_equal(by_record.rejected, load.rejected)
        pd.testing.assert_frame_equal(by_record.skipped, load.skipped)
        assert by_record.notes == load.notes


def write(name: str, content: bytes, container: str) -> Iterator[Path]:
    """A temporary file holding ``content`` as is, gzip-compressed, or gzip cut short."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / (name + (".gz" if container != "plain" else ""))
        if container == "gzip":
            content = gzip.compress(content)
        elif container == "cut gzip":
            packed = gzip.compress(content)
            content = packed[: max(len(packed) // 2, 1)]
        path.write_bytes(content)
        yield path


containers = st.sampled_from(["plain", "plain", "gzip", "cut gzip"])


# ----------------------------------------------------------------------------- mutations


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(
        STATES
        + [
            "",
            " ",
            "2024-05-01T09:00:00Z",
            "1714554000",
            "arn:aws:cloudwatch:us-east-1:123456789012:alarm:x",
            "arn:aws:cloudwatch:us-east-1:123456789012:alarm:",
            "\ud83d\ude00",
            "\x00",
            "CloudWatch Alarm State Change",
        ]
    ),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _places(value: Any, path: tuple = ()) -> Iterator[tuple]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key)
            yield from _places(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*path, index)
            yield from _places(item, (*path, index))


@st.composite
def mutated(draw, seed: Any) -> Any:
    """A record with a few members deleted, replaced, retyped, nested deeply or turned into text."""
    record = copy.deepcopy(seed)
    for _ in range(draw(st.integers(0, 3))):
        places = list(_places(record))
        if not places:
            break
        place = draw(st.sampled_from(places))
        parent = record
        for step in place[:-1]:
            parent = parent[step]
        key = place[-1]
        how = draw(st.sampled_from(["delete", "replace", "replace", "deepen", "stringify", "blank"]))
        if how == "delete":
            del parent[key]
        elif how == "replace":
            parent[key] = draw(json_values)
        elif how == "deepen":  # written out by _dumps as that many nested arrays
            parent[key] = f"{DEEP}{draw(st.integers(100, 1500))}"
        elif how == "stringify":
            parent[key] = json.dumps(parent[key])
        else:
            parent[key] = ""
    return record


DEEP = "\u2063deep:"  # a member to be written as nested arrays (deeper than Python's json writes)
_DEEP_MEMBER = re.compile('"' + DEEP + r'(\d+)"')


def _dumps(value: Any, compact: bool = True) -> str:
    text = json.dumps(value) if compact else json.dumps(value, indent=2)
    return _DEEP_MEMBER.sub(lambda m: "[" * int(m[1]) + "]" * int(m[1]), text)


@st.composite
def mangled(draw, data: bytes) -> bytes:
    """Bytes with a few spans inserted, deleted, flipped, cut, made non-UTF-8 or broken by line ends."""
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(data)))
        how = draw(st.sampled_from(["insert", "delete", "flip", "truncate", "latin1", "line end", "duplicate", "nul"]))
        if how == "insert":
            data = data[:at] + draw(st.binary(min_size=1, max_size=12)) + data[at:]
        elif how == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 40)) :]
        elif how == "flip" and at < len(data):
            data = data[:at] + bytes([data[at] ^ (1 << draw(st.integers(0, 7)))]) + data[at + 1 :]
        elif how == "truncate":
            data = data[:at]
        elif how == "latin1":
            data = data[:at] + b"\xe9\xff" + data[at:]
        elif how == "line end":
            data = data[:at] + draw(st.sampled_from([b"\n", b"\r", b"\r\n", b"\n\n"])) + data[at:]
        elif how == "duplicate":
            data = data[:at] + data[at : at + 200] + data[at:]
        elif how == "nul":
            data = data[:at] + b"\x00" + data[at:]
    return data


# ----------------------------------------------------------------------------- arbitrary bytes


SUFFIXES = [
    ("events.jsonl", {}),
    ("events.json", {}),
    ("events.txt.json", {"format": "eventbridge"}),
    ("history.json", {"format": "alarm_history"}),
    ("sns.json", {"format": "sns"}),
    ("lambda.json", {"format": "lambda"}),
    ("alerts.csv", {"columns": {"alarm_name": "alert"}}),
    ("intervals.csv", {"format": "intervals", "time_origin": "2024-01-01"}),
    ("table.tsv", {}),
    ("table.txt", {}),
    ("alarms.parquet", {}),
    ("alarms.csv", {"format": "alarm_frame"}),
]


@FUZZ
@given(content=st.binary(max_size=3000), case=st.sampled_from(SUFFIXES), container=containers)
def test_any_bytes_in_any_format(content, case, container):
    name, options = case
    for path in write(name, content, container):
        check(path, intervals=options.get("format") == "intervals", **options)


@FUZZ
@given(text=st.text(max_size=400), case=st.sampled_from(SUFFIXES), container=containers)
def test_any_text_in_any_format(text, case, container):
    name, options = case
    for path in write(name, text.encode("utf-8", errors="surrogatepass"), container):
        check(path, intervals=options.get("format") == "intervals", **options)


# ----------------------------------------------------------------------------- JSON


@st.composite
def json_lines(draw, seeds: list[Any]) -> bytes:
    records = [draw(mutated(draw(st.sampled_from(seeds)))) for _ in range(draw(st.integers(1, 8)))]
    texts = [_dumps(r) for r in records]
    if draw(st.booleans()):
        texts.insert(
            draw(st.integers(0, len(texts))), draw(st.sampled_from(["", "   ", "[" + texts[0] + "]", "42", "{}", "\t"]))
        )
    separator = draw(st.sampled_from([b"\n", b"\r\n", b"\r"]))
    data = separator.join(t.encode("utf-8", errors="surrogatepass") for t in texts) + separator
    return draw(mangled(data))


@FUZZ
@given(data=json_lines(EVENTS), container=containers)
def test_mutated_eventbridge_json_lines(data, container):
    for path in write("events.jsonl", data, container):
        check(path, compare_readers=True)


@FUZZ
@given(
    data=json_lines(EVENTS + HISTORY),
    container=containers,
    format=st.sampled_from(["auto", "eventbridge", "alarm_history"]),
)
def test_mutated_mixed_json_lines_forced_formats(data, container, format):
    for path in write("events.jsonl", data, container):
        check(path, format=format, compare_readers=True)


@st.composite
def json_documents(draw, seeds: list[Any], wrapper: str) -> bytes:
    records = [draw(mutated(draw(st.sampled_from(seeds)))) for _ in range(draw(st.integers(1, 6)))]
    document: Any = (
        {"AlarmHistoryItems": records}
        if wrapper == "history"
        else {"Records": records}
        if wrapper == "records"
        else records
    )
    text = _dumps(document, compact=draw(st.booleans()))
    return draw(mangled(text.encode("utf-8", errors="surrogatepass")))


@FUZZ
@given(data=st.one_of(json_documents(EVENTS, "array"), json_documents(HISTORY, "history")), container=containers)
def test_mutated_json_documents(data, container):
    for path in write("111111111111_eu-west-1.json", data, container):
        check(path)


def _corpus_seeds(corpus: Path) -> dict[str, list[Any]]:
    folder = corpus / SAMPLES
    sns = [
        json.loads((folder / f).read_text())
        for f in (
            "cloudwatch-alarm-sns-payload-single-metric.json",
            "cloudwatch-alarm-sns-payload-multiple-metrics.json",
        )
    ]
    return {
        "eventbridge": [json.loads(p.read_text()) for p in sorted(folder.glob("cloudwatch-and-eventbridge_*.json"))],
        "lambda": [json.loads(p.read_text()) for p in sorted(folder.glob("cloudWatchAlarmEvent*.json"))],
        "sns": [record for event in sns for record in event["Records"]],
        "alarm_history": json.loads((folder / "aws-cli-example_cloudwatch_describe-alarm-history.json").read_text())[
            "AlarmHistoryItems"
        ],
    }


@FUZZ
@given(
    data=st.data(),
    container=containers,
    kind=st.sampled_from(["eventbridge", "lambda", "sns", "alarm_history"]),
    lines=st.booleans(),
)
def test_mutated_aws_sample_records(corpus, data, container, kind, lines):
    seeds = _corpus_seeds(corpus)[kind]
    if lines:
        content = data.draw(json_lines(seeds))
        name = "records.jsonl"
    else:
        wrapper = {"sns": "records", "alarm_history": "history"}.get(kind, "array")
        content = data.draw(json_documents(seeds, wrapper))
        name = "records.json"
    for path in write(name, content, container):
        check(path, format=data.draw(st.sampled_from(["auto", kind])), compare_readers=lines)


# ----------------------------------------------------------------------------- tables


cells = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            "0",
            "10",
            "-5",
            "1e3",
            "1714554000",
            "1714554000123",
            "2024-05-01T09:00:00Z",
            "2024-13-01",
            "ALARM",
            "OK",
            "firing",
            "resolved",
            "111111111111",
            "eu-west-1",
            "EU (Ireland)",
            '"quoted, cell"',
            "a,b",
            "x\ny",
            "9" * 30,
            "nan",
            "inf",
        ]
    ),
)


def _csv(rows: list[list[str]], separator: str = ",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=separator, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8", errors="surrogatepass")


TABLE_HEADER = ["fired_at", "alert", "status", "acct", "where", "why"]
TABLE_OPTIONS = {
    "columns": {
        "timestamp": "fired_at",
        "alarm_name": "alert",
        "state": "status",
        "account_id": "acct",
        "region": "where",
        "reason": "why",
    },
    "state_map": {"firing": "ALARM", "resolved": "OK"},
}


@FUZZ
@given(rows=st.lists(st.lists(cells, min_size=5, max_size=7), max_size=10), data=st.data(), container=containers)
def test_mutated_generic_tables(rows, data, container):
    content = data.draw(mangled(_csv([TABLE_HEADER, *rows])))
    for path in write("alerts.csv", content, container):
        check(path, **TABLE_OPTIONS)


INTERVAL_HEADER = ["alarm_id", "device_id", "start_timestamp", "end_timestamp"]


@FUZZ
@given(
    rows=st.lists(st.lists(cells, min_size=3, max_size=5), max_size=10),
    data=st.data(),
    container=containers,
    origin=st.sampled_from([None, "2024-01-01"]),
    template=st.sampled_from([None, "{alarm_id}@{device_id}"]),
)
def test_mutated_interval_tables(rows, data, container, origin, template):
    content = data.draw(mangled(_csv([INTERVAL_HEADER, *rows])))
    for path in write("intervals.csv", content, container):
        check(path, intervals=True, time_origin=origin, name_template=template)


_FRAME = load_alarms(DATA / "alarm-events.jsonl").alarms.head(8)


@FUZZ
@given(data=st.data(), container=containers)
def test_mutated_alarm_frame_csv(data, container):
    frame = _FRAME.astype(object)
    for _ in range(data.draw(st.integers(0, 3))):
        row = data.draw(st.integers(0, len(frame) - 1))
        column = data.draw(st.sampled_from(list(frame.columns)))
        frame.iloc[row, frame.columns.get_loc(column)] = data.draw(cells)
    content = data.draw(mangled(frame.to_csv(index=False).encode()))
    for path in write("alarms.csv", content, container):
        check(path)


@st.composite
def parquet_bytes(draw) -> tuple[bytes, str, dict[str, Any]]:
    kind = draw(st.sampled_from(["intervals", "table", "alarm_frame"]))
    size = draw(st.integers(0, 6))
    if kind == "alarm_frame":
        frame = _FRAME.head(size).copy()
        if size and draw(st.booleans()):
            frame.iloc[
                0, frame.columns.get_loc(draw(st.sampled_from(["state", "timestamp", "event_id", "alarm_name"])))
            ] = None
        options: dict[str, Any] = {}
    else:
        header = INTERVAL_HEADER if kind == "intervals" else TABLE_HEADER[:3]
        typed = st.one_of(cells, st.integers(-(10**12), 10**13), st.floats(allow_nan=True), st.none())
        column_type = draw(st.sampled_from(["text", "mixed"]))
        values = {name: [draw(cells if column_type == "text" else typed) for _ in range(size)] for name in header}
        frame = pd.DataFrame(
            {name: pd.Series(v, dtype="string" if column_type == "text" else object) for name, v in values.items()}
        )
        if column_type == "mixed":
            frame = frame.apply(
                lambda column: (
                    column.map(lambda v: None if v is None else str(v)) if column.map(type).nunique() > 1 else column
                )
            )
        options = (
            {"time_origin": "2024-01-01"}
            if kind == "intervals"
            else dict(TABLE_OPTIONS, columns={"timestamp": "fired_at", "alarm_name": "alert", "state": "status"})
        )
    out = io.BytesIO()
    frame.to_parquet(out, index=False)
    data = out.getvalue()
    if draw(st.booleans()):
        data = draw(mangled(data))
    return data, kind, options


@FUZZ
@given(case=parquet_bytes(), container=containers)
def test_mutated_parquet(case, container):
    data, kind, options = case
    for path in write(f"{kind}.parquet", data, container):
        check(path, intervals=kind == "intervals", **options)


# ----------------------------------------------------------------------------- the column-wise reader's edges


timestamps = st.builds(
    lambda year, month, day, hour, minute, second, fraction, zone: (
        f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{fraction}{zone}"
    ),
    st.integers(1600, 2300),
    st.integers(1, 12),
    st.integers(1, 31),
    st.integers(0, 23),
    st.integers(0, 59),
    st.integers(0, 60),
    st.sampled_from(["", ".5", ".250", ".123456", ".1234567", "."]),
    st.sampled_from(["Z", "+0000", "+00:00", "-0130", "+05:30", "+2359", "", "z", " Z"]),
)
dimension_texts = st.one_of(
    st.dictionaries(st.text(max_size=6), json_scalars, max_size=3).map(json.dumps),
    st.sampled_from(
        [
            '{"a":"}"}',
            '{ "InstanceId" : "i-1" }',
            '{"a":{"b":1}}',
            '{"a":1,"a":2}',
            '{"dimensions":"x"}',
            '{"\\u0061":"b"}',
            '[{"name":"a","value":"b"}]',
            '"text"',
            "null",
            '{"a":"\\"}"}',
        ]
    ),
)


@st.composite
def unusual_events(draw) -> bytes:
    """An EventBridge event with one member on an edge the column-wise reader checks (or none)."""
    record = copy.deepcopy(EVENTS[5])
    detail = record["detail"]
    metric_query = detail["configuration"]["metrics"][0]
    edge = draw(
        st.sampled_from(
            [
                "none",
                "timestamp",
                "name",
                "resources",
                "returnData",
                "metrics",
                "metric",
                "text",
                "dimensions",
                "spacing",
            ]
        )
    )
    if edge == "timestamp":
        detail["state"]["timestamp"] = draw(st.one_of(timestamps, st.sampled_from([None, "", 1714554000])))
    elif edge == "name":
        detail["alarmName"] = draw(st.sampled_from(["", None, "other-name", detail["alarmName"] + " "]))
    elif edge == "resources":
        record["resources"] = draw(
            st.sampled_from(
                [[], [None], ["not an arn"], ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:x", "y"], "text"]
            )
        )
    elif edge == "returnData":
        value = draw(st.sampled_from([False, None, "absent", 1]))
        if value == "absent":
            del metric_query["returnData"]
        else:
            metric_query["returnData"] = value
    elif edge == "metrics":
        detail["configuration"]["metrics"] = draw(st.sampled_from([[], [metric_query, metric_query], [None], None, {}]))
    elif edge == "metric":
        metric_query["metricStat"]["metric"] = draw(
            st.sampled_from([None, {}, {"namespace": None}, {"name": 5}, "text"])
        )
    elif edge == "text":
        detail["state"][draw(st.sampled_from(["reason", "actionsSuppressedBy"]))] = draw(
            st.sampled_from([None, "", "Alarm", 5, "caf\u00e9"])
        )
    text = json.dumps(record)
    if edge == "dimensions":
        text = text.replace(json.dumps(metric_query["metricStat"]["metric"]["dimensions"]), draw(dimension_texts), 1)
    elif edge == "spacing":
        text = text.replace(", ", draw(st.sampled_from([",", ",  ", ", \t", ",\u00a0"])))
    return text.encode()


@FUZZ
@given(events=st.lists(unusual_events(), min_size=1, max_size=6), extra=st.sampled_from([b"", b"\n\n", b"\r\n"]))
def test_both_readers_agree_on_events_at_the_edges(events, extra):
    for path in write("events.jsonl", b"\n".join(events) + b"\n" + extra, "plain"):
        check(path, compare_readers=True)
