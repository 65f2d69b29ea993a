"""Hypothesis: malformed and truncated records never crash a reader and never vanish from the counts."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidentsim.datasets.loaders import LoadError, load_alarms

from ..fuzzing import examples
from .test_loaders import EVENT, event

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=12))
PATHS = [
    ("detail-type",),
    ("resources",),
    ("account",),
    ("region",),
    ("time",),
    ("detail",),
    ("detail", "alarmName"),
    ("detail", "state"),
    ("detail", "state", "value"),
    ("detail", "state", "timestamp"),
    ("detail", "previousState"),
    ("detail", "previousState", "value"),
    ("detail", "configuration", "metrics"),
]


@st.composite
def mangled_lines(draw) -> str:
    """A JSON Lines line: a good event, one with a member deleted or retyped, or cut short."""
    record = event(draw(st.integers(0, 59)), draw(st.sampled_from(["ALARM", "OK", "INSUFFICIENT_DATA"])))
    how = draw(st.sampled_from(["keep", "delete", "retype", "truncate", "garbage"]))
    if how in ("delete", "retype"):
        path = draw(st.sampled_from(PATHS))
        parent = record
        for key in path[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
        if isinstance(parent, dict) and path[-1] in parent:
            if how == "delete":
                del parent[path[-1]]
            else:
                parent[path[-1]] = draw(json_scalars)
    text = json.dumps(record)
    if how == "truncate":
        text = text[: draw(st.integers(1, len(text) - 1))]
    if how == "garbage":
        text = draw(st.text(min_size=1, max_size=40).filter(lambda t: t.strip() and "\n" not in t and "\r" not in t))
    return text


@pytest.mark.long
@settings(
    max_examples=examples(60, 1000),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(lines=st.lists(mangled_lines(), min_size=1, max_size=12))
def test_jsonl_records_are_loaded_or_rejected_never_lost(lines):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        load = load_alarms(path, errors="quarantine")
        c = load.counts
        non_blank = sum(1 for line in path.read_text(encoding="utf-8").split("\n") if line.strip())
        lists_inside = 0
        for line in lines:
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, list):
                lists_inside += len(value) - 1  # an array on one line is read as its records
        assert c["read"] == non_blank + lists_inside
        assert c["loaded"] + c["rejected"] + c["skipped"] == c["read"]
        assert len(load.alarms) == c["loaded"]
        assert set(load.rejected["origin"]) <= {f"events.jsonl:{n}" for n in range(1, len(lines) + 2)} | {
            o for o in load.rejected["origin"] if "[" in o
        }
        try:
            strict = load_alarms(path)
        except LoadError as error:
            assert c["rejected"] > 0
            assert str(error).startswith("events.jsonl:")
        else:
            assert c["rejected"] == 0 and len(strict.alarms) == c["loaded"]


@settings(max_examples=60, deadline=None)
@given(cut=st.integers(min_value=1, max_value=len(json.dumps([EVENT, EVENT])) - 1))
def test_a_json_document_cut_anywhere_is_one_rejected_record(cut):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.json"
        path.write_text(json.dumps([EVENT, EVENT])[:cut])
        load = load_alarms(path, errors="quarantine")
        assert load.counts["read"] == load.counts["rejected"] + load.counts["loaded"] + load.counts["skipped"]
        assert load.counts["loaded"] == 0


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["1", "2", "", "x"]),
            st.sampled_from(["0", "10", "-5", "abc", "", "1e3"]),
            st.sampled_from(["0", "20", "5", "zz", ""]),
        ),
        min_size=1,
        max_size=15,
    )
)
def test_interval_rows_are_loaded_or_rejected_never_lost(rows):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "intervals.csv"
        path.write_text(
            "alarm_id,device_id,start_timestamp,end_timestamp\n" + "".join(f"{a},9,{s},{e}\n" for a, s, e in rows)
        )
        load = load_alarms(path, errors="quarantine", time_origin="2024-01-01")
        c = load.counts
        assert c["read"] == len(rows)
        assert c["loaded"] + c["rejected"] == c["read"]
        assert c["state_changes"] == 2 * c["loaded"]
