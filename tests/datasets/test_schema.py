"""The compact AlarmFrame: repeated text as sorted categoricals, the rest as Arrow strings, whatever came in."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import incidentsim
from incidentsim.datasets.schema import (
    CATEGORY_COLUMNS,
    STRING_COLUMNS,
    STRING_DTYPE,
    concat_alarm_frames,
    validate_alarm_frame,
)
from tests.replay.helpers import history

OPTIONAL = ("namespace", "metric_name", "dimensions", "actions_suppressed_by")


def _assert_compact(frame: pd.DataFrame) -> None:
    for column in CATEGORY_COLUMNS:
        dtype = frame[column].dtype
        assert isinstance(dtype, pd.CategoricalDtype), column
        assert dtype.categories.dtype == STRING_DTYPE, column
        assert list(dtype.categories) == sorted(dtype.categories), column
    for column in STRING_COLUMNS:
        assert frame[column].dtype == STRING_DTYPE, column


@pytest.mark.parametrize("given", ["object", "string", "category", "unsorted-category-with-missing"])
def test_any_text_dtype_comes_out_compact_with_the_same_values(given):
    plain = history((0, "web-5xx", "ALARM", "OK"), (1, "db-cpu", "ALARM", "OK"), (2, "web-5xx", "OK", "ALARM"))
    frame = plain.copy()
    for column in CATEGORY_COLUMNS:
        values = frame[column].astype(object)
        if given == "string":
            values = values.astype("string")
        elif given == "category":
            values = values.astype("category")
        elif given == "unsorted-category-with-missing":
            if column in OPTIONAL:
                values = values.where(frame.index != 1)
            values = pd.Series(pd.Categorical(values, categories=sorted(set(values.dropna()), reverse=True)))
        frame[column] = values
    out = validate_alarm_frame(frame)
    _assert_compact(out)
    for column in CATEGORY_COLUMNS:
        expected = plain[column].astype(str).tolist()
        if given == "unsorted-category-with-missing" and column in OPTIONAL:
            expected[1] = ""  # a missing optional text reads as ""; a missing alarm_name is refused (next test)
        assert out[column].astype(str).tolist() == expected, column


def test_a_missing_required_value_in_a_categorical_is_refused():
    frame = history((0, "web-5xx", "ALARM", "OK"), (1, "db-cpu", "ALARM", "OK"))
    frame["alarm_name"] = pd.Categorical(["web-5xx", None])
    with pytest.raises(incidentsim.datasets.schema.AlarmFrameError, match="column alarm_name is empty at row 1"):
        validate_alarm_frame(frame)


def test_joined_frames_keep_their_dtypes_and_sort_like_text():
    first = validate_alarm_frame(history((0, "web-5xx", "ALARM", "OK"), (1, "zz-queue", "ALARM", "OK")))
    second = validate_alarm_frame(history((2, "api-latency", "ALARM", "OK"), (3, "web-5xx", "OK", "ALARM")))
    joined = concat_alarm_frames([first, second])
    _assert_compact(joined)
    assert joined["alarm_name"].astype(str).tolist() == ["web-5xx", "zz-queue", "api-latency", "web-5xx"]
    by_name = joined.sort_values("alarm_name", kind="stable")["alarm_name"].astype(str).tolist()
    assert by_name == sorted(joined["alarm_name"].astype(str).tolist())
    assert joined.groupby("alarm_name", observed=True).size().to_dict() == {
        "api-latency": 1,
        "web-5xx": 2,
        "zz-queue": 1,
    }


def test_a_loaded_history_without_raw_takes_under_300_bytes_a_row():
    load = incidentsim.load_alarms(["data/alarm-events.jsonl"], keep_raw=False)
    frame = pd.concat([load.alarms] * 30, ignore_index=True)  # 98,910 rows, repeated text as it repeats in a month
    frame["event_id"] = [f"{i:020x}" for i in range(len(frame))]
    frame = validate_alarm_frame(frame)
    _assert_compact(frame)
    per_row = frame.memory_usage(deep=True).sum() / len(frame)
    assert per_row < 300, per_row
    # the same frame with plain Python strings takes far more: the repeated text is what the compact frame saves
    plain = frame.astype({c: object for c in (*CATEGORY_COLUMNS, *STRING_COLUMNS)})
    assert plain.memory_usage(deep=True).sum() / len(frame) > 2 * per_row
    assert np.array_equal(plain["alarm_arn"].to_numpy(), frame["alarm_arn"].astype(object).to_numpy())
