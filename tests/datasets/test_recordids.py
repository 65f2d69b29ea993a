"""Record ids computed many at once are the ids :func:`record_id` gives one at a time."""

from __future__ import annotations

import hashlib
import json
import random

import pandas as pd
import pyarrow as pa
import pytest

from incidentsim import load_alarms
from incidentsim.datasets.recordids import id_text, surely_distinct, text_id_chars
from incidentsim.datasets.schema import AlarmFrameError, record_id, validate_alarm_frame
from tests.replay.helpers import history

ALPHABET = 'ab{}":\\,é€😀\n\t \x00'


def _texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randrange(0, 40))) for _ in range(count)]


@pytest.mark.parametrize("compiled", [True, False])
def test_ids_of_many_texts_are_record_id_of_each(compiled):
    texts = _texts(3_000, seed=7)
    sliced = pa.array(["skipped", *texts], type=pa.string()).slice(1)  # an array that starts inside its buffers
    assert id_text(text_id_chars(sliced, compiled=compiled)).to_pylist() == [record_id(t) for t in texts]


def test_surely_distinct_says_no_for_a_repeat_or_a_missing_value():
    texts = _texts(5_000, seed=3)
    unique = sorted(set(texts))
    assert surely_distinct(pa.array(unique))
    assert surely_distinct(pa.chunked_array([pa.array(unique[:10]), pa.array(unique[10:])]))
    assert not surely_distinct(pa.array([*unique, unique[1234]]))
    assert not surely_distinct(pa.array([*unique[:3], None]))


def test_a_repeated_event_id_is_still_refused_by_validation():
    frame = history((0, "web-5xx", "ALARM", "OK"), (1, "db-cpu", "ALARM", "OK"), (2, "web-5xx", "OK", "ALARM"))
    frame["event_id"] = pd.array(["a", "b", "a"], dtype="string[pyarrow]")
    with pytest.raises(AlarmFrameError, match="event_id must be unique; repeated at rows 0, 2"):
        validate_alarm_frame(frame)
    frame["event_id"] = pd.array(["a", "b", "c"], dtype="string[pyarrow]")
    assert validate_alarm_frame(frame)["event_id"].tolist() == ["a", "b", "c"]


def test_interval_ids_are_the_sha1_of_each_row_as_compact_json_whatever_the_text(tmp_path):
    """Enough rows for the compiled path, with text JSON must escape (quotes, backslashes,
    non-ASCII) in some rows and plain text in others."""
    rng = random.Random(11)
    rows = []
    for index in range(2_500):
        device = rng.choice(["plain-7", 'q"uote', "back\\slash", "café", "tab\there", str(index)])
        rows.append(
            {
                "alarm_id": str(index % 9),
                "device_id": device,
                "start_timestamp": str(index * 10),
                "end_timestamp": str(index * 10 + 5),
            }
        )
    path = tmp_path / "intervals.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    alarms = load_alarms(path, time_origin="2024-01-01").alarms
    line = alarms["origin"].str.split(":").str[1].astype(int)
    for kind in ("start", "end"):
        mine = alarms[alarms["event_id"].str.endswith(":" + kind)]
        expected = [
            hashlib.sha1(json.dumps(dict(sorted(rows[n - 2].items())), separators=(",", ":")).encode()).hexdigest()[:20]
            + ":"
            + kind
            for n in line[mine.index]
        ]
        assert mine["event_id"].tolist() == expected
