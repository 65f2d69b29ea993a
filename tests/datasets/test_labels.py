"""load_windows and match_series: NAB's combined_windows.json read in place, window tables, and their errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from incidentsim.datasets import WINDOW_COLUMNS, LabelError, load_windows, match_series

NAB = "nab-realAWSCloudwatch"
KEY = "realAWSCloudwatch/ec2_cpu_utilization_24ae8d.csv"


@pytest.fixture
def windows_json(corpus: Path) -> Path:
    return corpus / NAB / "labels" / "combined_windows.json"


@pytest.fixture
def nab_json(windows_json: Path) -> dict[str, list[list[str]]]:
    """The labels file read independently of incidentsim."""
    return json.loads(windows_json.read_text())


def write(path: Path, content: str) -> Path:
    path.write_text(content)
    return path


# ---------------------------------------------------------------------------- NAB, in place


def test_every_nab_window_is_read_with_utc_times_and_numbered_per_series(windows_json, nab_json):
    windows = load_windows(windows_json)
    assert tuple(windows.columns) == WINDOW_COLUMNS
    assert str(windows["start"].dtype) == "datetime64[ns, UTC]" and str(windows["end"].dtype) == "datetime64[ns, UTC]"
    assert windows["window"].dtype == "int64"
    assert len(windows) == sum(len(pairs) for pairs in nab_json.values())
    assert (windows["start"] < windows["end"]).all()
    counts = windows.groupby("series").size()
    for key, pairs in nab_json.items():
        assert counts.get(key, 0) == len(pairs), key
    for _, group in windows.groupby("series"):
        assert group["window"].tolist() == list(range(len(group)))
        assert group["start"].is_monotonic_increasing
    # series keep the file's order
    assert list(dict.fromkeys(windows["series"])) == [key for key, pairs in nab_json.items() if pairs]


def test_a_series_named_by_stem_file_name_key_or_data_path_gives_the_json_pairs_as_utc(corpus, windows_json, nab_json):
    expected = [[pd.Timestamp(start, tz="UTC"), pd.Timestamp(end, tz="UTC")] for start, end in nab_json[KEY]]
    for name in ("ec2_cpu_utilization_24ae8d", "ec2_cpu_utilization_24ae8d.csv", KEY, corpus / NAB / KEY):
        windows = load_windows(windows_json, series=name)
        assert windows["series"].tolist() == [KEY] * len(expected), name
        assert windows[["start", "end"]].to_numpy().tolist() == expected, name
    assert expected[0][0] == pd.Timestamp("2014-02-26 13:45", tz="UTC")


def test_nab_windows_lie_inside_the_data_of_their_series(corpus, windows_json):
    """A real property of NAB's labels: each window falls within its series' first and last timestamp."""
    windows = load_windows(windows_json)
    present = [key for key in dict.fromkeys(windows["series"]) if (corpus / NAB / key).is_file()]
    assert len(present) >= 15
    for key in present:
        stamps = pd.to_datetime(pd.read_csv(corpus / NAB / key)["timestamp"], utc=True)
        own = windows[windows["series"] == key]
        assert (own["start"] >= stamps.min()).all() and (own["end"] <= stamps.max()).all(), key


def test_a_series_without_anomalies_gives_an_empty_typed_frame(windows_json, nab_json):
    assert nab_json["realAWSCloudwatch/ec2_cpu_utilization_c6585a.csv"] == []
    windows = load_windows(windows_json, series="ec2_cpu_utilization_c6585a")
    assert windows.empty and tuple(windows.columns) == WINDOW_COLUMNS
    assert str(windows["start"].dtype) == "datetime64[ns, UTC]"


def test_several_series_come_in_the_order_asked(windows_json, nab_json):
    windows = load_windows(windows_json, series=["rds_cpu_utilization_cc0c53", "ec2_cpu_utilization_24ae8d"])
    keys = list(dict.fromkeys(windows["series"]))
    assert keys == ["realAWSCloudwatch/rds_cpu_utilization_cc0c53.csv", KEY]
    assert len(windows) == len(nab_json[keys[0]]) + len(nab_json[KEY])


def test_an_unknown_series_names_the_file_and_lists_close_matches(windows_json):
    with pytest.raises(LabelError) as caught:
        load_windows(windows_json, series="ec2_cpu_utilization_24ae8e")
    message = str(caught.value)
    assert message.startswith("combined_windows.json: series 'ec2_cpu_utilization_24ae8e': no such series")
    assert KEY in message
    assert caught.value.origin == "combined_windows.json"


def test_the_point_labels_file_is_refused_with_a_pointer_to_the_windows_file(corpus):
    with pytest.raises(
        LabelError,
        match=r"combined_labels\.json: '.+' window 0: expected a \[start, end\] pair.*combined_windows\.json",
    ):
        load_windows(corpus / NAB / "labels" / "combined_labels.json")


# ---------------------------------------------------------------------------- tables


def test_a_csv_table_is_sorted_numbered_converted_to_utc_and_keeps_extra_columns(tmp_path):
    path = write(
        tmp_path / "windows.csv",
        "series,start,end,note\n"
        "checkout,2024-05-01 12:00,2024-05-01 13:00,second\n"
        "search,2024-05-02T00:00:00Z,2024-05-02T01:00:00Z,only\n"
        "checkout,2024-05-01 10:00+02:00,2024-05-01 10:30+02:00,first\n",
    )
    windows = load_windows(path)
    assert list(windows.columns) == [*WINDOW_COLUMNS, "note"]
    assert windows[["series", "window", "note"]].to_numpy().tolist() == [
        ["checkout", 0, "first"],
        ["checkout", 1, "second"],
        ["search", 0, "only"],
    ]
    assert windows.loc[0, "start"] == pd.Timestamp("2024-05-01 08:00", tz="UTC")
    assert str(windows["end"].dtype) == "datetime64[ns, UTC]"
    assert load_windows(path, series="search")["note"].tolist() == ["only"]


def test_a_parquet_table_and_a_dataframe_read_like_the_csv(tmp_path):
    table = pd.DataFrame(
        {
            "series": ["a", "a"],
            "start": pd.to_datetime(["2024-05-01 12:00", "2024-05-01 10:00"]),
            "end": pd.to_datetime(["2024-05-01 12:00", "2024-05-01 11:00"]),
        }
    )
    table.to_parquet(tmp_path / "windows.parquet")
    from_parquet = load_windows(tmp_path / "windows.parquet")
    from_frame = load_windows(table)
    pd.testing.assert_frame_equal(from_parquet, from_frame)
    assert from_frame["window"].tolist() == [0, 1]
    # a point window (start == end) is allowed
    assert from_frame.loc[1, "start"] == from_frame.loc[1, "end"] == pd.Timestamp("2024-05-01 12:00", tz="UTC")


# ---------------------------------------------------------------------------- errors name the file and the entry


def test_end_before_start_in_json_names_the_series_and_window(tmp_path):
    pairs = [["2024-05-01 00:00", "2024-05-01 01:00"], ["2024-05-02 10:00", "2024-05-02 09:00"]]
    path = write(tmp_path / "labels.json", json.dumps({"svc/a.csv": pairs}))
    with pytest.raises(LabelError) as caught:
        load_windows(path)
    assert (
        str(caught.value)
        == "labels.json: 'svc/a.csv' window 1: end '2024-05-02 09:00' is before start '2024-05-02 10:00'"
    )
    assert caught.value.entry == "'svc/a.csv' window 1"


def test_an_unparseable_or_empty_time_in_a_csv_names_the_row_and_line(tmp_path):
    path = write(
        tmp_path / "w.csv", "series,start,end\na,2024-05-01 00:00,2024-05-01 01:00\na,yesterday-ish,2024-05-01 03:00\n"
    )
    with pytest.raises(LabelError, match=r"^w\.csv: row 1 \(line 3\): start 'yesterday-ish' is not a time"):
        load_windows(path)
    path = write(tmp_path / "w.csv", "series,start,end\na,2024-05-01 00:00,\n")
    with pytest.raises(LabelError, match=r"^w\.csv: row 0 \(line 2\): end is empty$"):
        load_windows(path)
    path = write(tmp_path / "w.csv", "series,start,end\na,now,2024-05-01 00:00\n")
    with pytest.raises(LabelError, match=r"row 0 \(line 2\): start 'now' is not a time"):
        load_windows(path)


def test_missing_columns_name_the_file_and_list_what_it_has(tmp_path):
    path = write(tmp_path / "w.csv", "series,begin,end\na,2024-05-01 00:00,2024-05-01 01:00\n")
    with pytest.raises(LabelError) as caught:
        load_windows(path)
    assert str(caught.value) == (
        "w.csv: <header>: missing column(s) 'start'; a window table needs series, start, end and has series, begin, end"
    )


def test_a_table_row_without_a_series_is_refused(tmp_path):
    path = write(tmp_path / "w.csv", "series,start,end\n,2024-05-01 00:00,2024-05-01 01:00\n")
    with pytest.raises(LabelError, match=r"^w\.csv: row 0 \(line 2\): series must be a non-empty name"):
        load_windows(path)


@pytest.mark.parametrize(
    ("content", "entry", "problem"),
    [
        ("[1, 2]", "<file>", "expected an object mapping each series"),
        ('{"a.csv": "2024-05-01"}', "'a.csv'", "expected a list of [start, end] pairs, got str"),
        ('{"a.csv": [["2024-05-01"]]}', "'a.csv' window 0", "expected a [start, end] pair, got ['2024-05-01']"),
        ('{"a.csv": [["2024-05-01", null]]}', "'a.csv' window 0", "end is empty"),
        ('{"a.csv": [', "line 1", "not valid JSON"),
    ],
)
def test_malformed_json_names_the_entry(tmp_path, content, entry, problem):
    path = write(tmp_path / "bad.json", content)
    with pytest.raises(LabelError) as caught:
        load_windows(path)
    assert caught.value.origin == "bad.json" and caught.value.entry == entry
    assert problem in caught.value.problem


def test_an_ambiguous_stem_lists_the_keys_it_could_mean(tmp_path):
    path = write(tmp_path / "w.json", json.dumps({"east/cpu.csv": [], "west/cpu.csv": []}))
    with pytest.raises(LabelError, match=r"series 'cpu': is ambiguous; it names east/cpu\.csv, west/cpu\.csv"):
        load_windows(path, series="cpu")
    assert load_windows(path, series="west/cpu").empty


def test_unknown_suffix_and_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_windows(tmp_path / "absent.json")
    with pytest.raises(LabelError, match=r"^w\.txt: <file>: unknown format"):
        load_windows(write(tmp_path / "w.txt", "series,start,end\n"))


def test_match_series_prefers_the_most_specific_naming():
    keys = ["a/cpu.csv", "b/cpu.csv", "a/cpu_2.csv"]
    assert match_series("a/cpu.csv", keys) == ["a/cpu.csv"]
    assert match_series("/data/nab/b/cpu.csv", keys) == ["b/cpu.csv"]
    assert match_series("a/cpu", keys) == ["a/cpu.csv"]
    assert match_series("cpu.csv", keys) == ["a/cpu.csv", "b/cpu.csv"]
    assert match_series("cpu_2", keys) == ["a/cpu_2.csv"]
    assert match_series("cpu_3", keys) == []
