"""EventBridge alarm state changes read a block of lines at a time, column by column.

:func:`eventbridge_block` parses a block of JSON Lines with pyarrow's JSON reader (only the
members an alarm state change needs, everything else skipped unbuilt), checks them column by
column and returns the rows it could read exactly as :func:`.records.from_eventbridge` reads
them.  Every line with anything unusual (not an alarm state change, a member of another type,
an ARN that is not well formed or names another alarm, a timestamp in another style, several
metrics, JSON pyarrow refuses) is handed back by position, for the record-by-record reader,
which says what is wrong with it.  So the answer never depends on which path read a line.

:func:`line_ids` gives :func:`.schema.record_id` of many lines at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from .records import EARLIEST, LATEST, STATE_CHANGE, alarm_of
from .schema import STATE_DTYPE, STATES
from .linescan import Lines
from .recordids import span_ids
from .textfiles import JSONTextError, decode_json

_S = pa.string()
_STATE = pa.struct([("value", _S), ("reason", _S), ("timestamp", _S), ("actionsSuppressedBy", _S)])
_METRIC = pa.struct([("namespace", _S), ("name", _S), ("dimensions", pa.struct([]))])
_QUERY = pa.struct([("returnData", pa.bool_()), ("metricStat", pa.struct([("metric", _METRIC)]))])
SCHEMA = pa.schema(
    [
        ("detail-type", _S),
        ("resources", pa.list_(_S)),
        (
            "detail",
            pa.struct(
                [
                    ("alarmName", _S),
                    ("state", _STATE),
                    ("previousState", pa.struct([("value", _S)])),
                    ("configuration", pa.struct([("metrics", pa.list_(_QUERY))])),
                ]
            ),
        ),
        # a record carrying either list is read as the records inside it, by the other path
        ("AlarmHistoryItems", pa.list_(pa.null())),
        ("Records", pa.list_(pa.null())),
    ]
)
_PARSE = pj.ParseOptions(explicit_schema=SCHEMA, unexpected_field_behavior="ignore")
_READ = pj.ReadOptions(use_threads=True, block_size=2**20)
TEXT = "string[pyarrow]"  # the text dtype of the AlarmFrame (and of its categories)
_SMALLEST_RETRY = 8  # a block pyarrow refuses is halved until it reads or is this small

# the timestamp style parse_time and pandas read identically: ISO 8601 with a zone, 0-6 fraction digits
_TIMESTAMP = (
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?"
    r"(Z|[+-]([01]\d|2[0-3]):?[0-5]\d)$"
)


@dataclass
class FastRows:
    """The rows read column by column: ``positions`` into the block's lines, and their columns."""

    positions: np.ndarray
    columns: dict[str, Any]


def eventbridge_block(scan: Lines, lines: np.ndarray, source: str, text: Any = None) -> tuple[FastRows, np.ndarray]:
    """Read the alarm state changes among the scanned ``lines`` (whole objects, UTF-8).

    ``text``, when given, is the part of the block that holds exactly these lines (and blank
    ones), read as it is rather than copied out line by line.  Returns the rows read
    (``positions``: their line indices) and the indices of the lines left for the
    record-by-record reader, both ascending.
    """
    tables: list[pa.Table] = []
    parsed: list[np.ndarray] = []
    slow: list[np.ndarray] = []
    _parse(scan, lines, tables, parsed, slow, text)
    if not tables:
        return _empty(), lines
    table = pa.concat_tables(tables).combine_chunks() if len(tables) > 1 else tables[0].combine_chunks()
    positions = np.concatenate(parsed)
    keep, columns = _columns(table, scan, positions, source)
    slow.append(positions[~keep])
    rest = np.sort(np.concatenate(slow))
    return FastRows(positions[keep], columns), rest


def _empty() -> FastRows:
    return FastRows(np.empty(0, dtype=np.int64), {})


def _parse(
    scan: Lines,
    lines: np.ndarray,
    tables: list[pa.Table],
    parsed: list[np.ndarray],
    slow: list[np.ndarray],
    text: Any = None,
) -> None:
    """Parse the lines; a part pyarrow refuses is halved until the refused lines are found."""
    if not len(lines):
        return
    buffer = text if text is not None else scan.gather(lines, separator=10)[0]
    try:
        table = pj.read_json(pa.BufferReader(pa.py_buffer(buffer)), read_options=_READ, parse_options=_PARSE)
    except (pa.ArrowException, ValueError):
        table = None
    # one row per line, or the lines and rows do not line up (two objects on one line)
    if table is not None and table.num_rows == len(lines):
        tables.append(table)
        parsed.append(lines)
        return
    if len(lines) <= _SMALLEST_RETRY:
        slow.append(lines)
        return
    middle = len(lines) // 2
    _parse(scan, lines[:middle], tables, parsed, slow)
    _parse(scan, lines[middle:], tables, parsed, slow)


def _field(array: pa.Array, name: str) -> pa.Array:
    return pc.struct_field(array, name)


def _fill(mask: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


def _columns(table: pa.Table, scan: Lines, positions: np.ndarray, source: str) -> tuple[np.ndarray, dict[str, Any]]:
    """(rows read, their AlarmFrame columns), checking every condition the record reader checks."""
    n = table.num_rows
    detail = table.column("detail").chunk(0)
    state = _field(detail, "state")
    state_value = _field(state, "value")
    previous_value = _field(_field(detail, "previousState"), "value")
    stamp = _field(state, "timestamp")
    resources = table.column("resources").chunk(0)
    metrics = _field(_field(detail, "configuration"), "metrics")

    ok = _fill(pc.equal(table.column("detail-type").chunk(0), STATE_CHANGE))
    ok &= _is_null(table.column("AlarmHistoryItems").chunk(0)) & _is_null(table.column("Records").chunk(0))
    ok &= _fill(pc.is_in(state_value, pa.array(STATES))) & _fill(pc.is_in(previous_value, pa.array(STATES)))
    ok &= _fill(pc.greater_equal(pc.list_value_length(resources), 1))
    ok &= _fill(pc.match_substring_regex(stamp, _TIMESTAMP))
    # metrics: none, or one query (metric math and the rest take the other path)
    ok &= pc.fill_null(pc.list_value_length(metrics), 0).to_numpy(zero_copy_only=False) <= 1
    if not ok.any():
        return ok, {}

    # the one metric query of a row, if any, and whether it names the row's metric
    flat = pc.list_flatten(metrics)
    parents = np.asarray(pc.list_parent_indices(metrics).to_numpy(zero_copy_only=False), dtype=np.int64)
    if len(parents) != len(flat):  # pragma: no cover - pyarrow's layout, checked rather than assumed
        return np.zeros(n, dtype=bool), {}
    stat = _field(flat, "metricStat")
    metric = _field(stat, "metric")
    # a query with a metricStat is the row's metric when returnData is true; false, or null
    # (which the record reader tells apart from absent), take the other path
    with_stat = ~_is_null(flat) & ~_is_null(stat)
    returned = _fill(pc.equal(_field(flat, "returnData"), True))
    ok[parents[with_stat & ~returned]] = False
    query_of_row = np.full(n, -1, dtype=np.int64)
    chosen = with_stat & returned
    query_of_row[parents[chosen]] = np.flatnonzero(chosen)
    has_dimensions = ~_is_null(_field(metric, "dimensions"))

    # dimensions are an object of any keys: their text, found by the scan, read once per distinct text
    wanted = np.flatnonzero(ok & (query_of_row >= 0))
    wanted = wanted[has_dimensions[query_of_row[wanted]]]
    dimension_codes, dimension_values = _dimensions(scan, positions[wanted])
    row_dimensions = np.full(n, len(dimension_values) - 1, dtype=np.int64)  # the last value is "{}"
    row_dimensions[wanted] = dimension_codes
    ok &= row_dimensions >= 0  # -1: dimensions this reader does not take apart

    # the alarm's identity, from its ARN, once per distinct ARN
    safe = resources if ok.all() else pc.if_else(pa.array(ok), resources, pa.scalar([""], resources.type))
    arn_codes, arns = _codes(pc.list_element(safe, 0))
    parsed = [alarm_of(arn) for arn in arns]
    arn_ok = np.array([p is not None for p in parsed] + [False], dtype=bool)
    ok &= arn_ok[arn_codes]
    by_arn = {
        "alarm_arn": np.array([*arns, ""], dtype=object),
        "account_id": np.array([p[0] if p else "" for p in parsed] + [""], dtype=object),
        "region": np.array([p[1] if p else "" for p in parsed] + [""], dtype=object),
        "alarm_name": np.array([p[2] if p else "" for p in parsed] + [""], dtype=object),
    }
    given = pc.fill_null(_field(detail, "alarmName"), "")
    arn_names = pa.array(by_arn["alarm_name"], type=pa.string()).take(pa.array(arn_codes))
    # a name that differs from the ARN's is noted by the record reader
    ok &= _fill(pc.or_(pc.equal(given, ""), pc.equal(given, arn_names)))

    stamps = stamp if ok.all() else pc.if_else(pa.array(ok), stamp, pa.scalar("2000-01-01T00:00:00Z"))
    parsed_times = pd.to_datetime(_strings(stamps), format="ISO8601", utc=True, errors="coerce")
    ok &= (parsed_times.notna() & (parsed_times >= EARLIEST) & (parsed_times <= LATEST)).to_numpy()
    if not ok.any():
        return ok, {}

    keep = np.flatnonzero(ok)
    everything = len(keep) == n

    def taken(values: pa.Array) -> pa.Array:
        return values if everything else values.take(pa.array(keep))

    codes = arn_codes[keep]
    query_rows = query_of_row[keep]
    columns: dict[str, Any] = {
        "timestamp": (parsed_times if everything else parsed_times.iloc[keep])
        .astype("datetime64[ns, UTC]")
        .reset_index(drop=True),
        **{column: _from_codes(codes, values) for column, values in by_arn.items()},
        "state": _states(taken(state_value)),
        "previous_state": _states(taken(previous_value)),
        "reason": _strings(taken(pc.fill_null(_field(state, "reason"), ""))),
        "source": pd.Categorical.from_codes(
            np.zeros(len(keep), dtype=np.int8), categories=pd.Index([source], dtype=TEXT)
        ),
        "namespace": _query_text(pc.fill_null(_field(metric, "namespace"), ""), query_rows),
        "metric_name": _query_text(pc.fill_null(_field(metric, "name"), ""), query_rows),
        "dimensions": _from_codes(row_dimensions[keep], np.array(dimension_values, dtype=object)),
        "actions_suppressed_by": _arrow_categorical(taken(pc.fill_null(_field(state, "actionsSuppressedBy"), ""))),
    }
    return ok, columns


def _is_null(array: pa.Array) -> np.ndarray:
    return np.asarray(array.is_null().to_numpy(zero_copy_only=False), dtype=bool)


def _codes(values: pa.Array) -> tuple[np.ndarray, list[str]]:
    """Integer codes and the distinct values; a null gets the code one past the last value."""
    encoded = pc.dictionary_encode(values)
    dictionary = encoded.dictionary.to_pylist()
    indices = encoded.indices.fill_null(len(dictionary)).to_numpy(zero_copy_only=False).astype(np.int64)
    return indices, dictionary


def _from_codes(codes: np.ndarray, values: np.ndarray) -> pd.Categorical:
    """A categorical of ``values[codes]`` with sorted categories, without building the per-row text."""
    present = np.flatnonzero(np.bincount(codes, minlength=len(values)))
    category_codes, categories = pd.factorize(values[present], sort=True)
    lookup = np.full(len(values), -1, dtype=np.int64)
    lookup[present] = category_codes
    return pd.Categorical.from_codes(lookup[codes], categories=pd.Index(categories, dtype=TEXT), validate=False)


def _arrow_categorical(values: pa.Array) -> pd.Categorical:
    codes, dictionary = _codes(values)
    return _from_codes(codes, np.array([*dictionary, ""], dtype=object))


def _query_text(values: pa.Array, query_rows: np.ndarray) -> pd.Categorical:
    """A metric query's text for each row (``""`` for a row without one)."""
    codes, dictionary = _codes(values) if len(values) else (np.empty(0, dtype=np.int64), [])
    row_codes = np.full(len(query_rows), len(dictionary), dtype=np.int64)
    has_query = query_rows >= 0
    row_codes[has_query] = codes[query_rows[has_query]]
    return _from_codes(row_codes, np.array([*dictionary, ""], dtype=object))


def _categorical(values: np.ndarray) -> pd.Categorical:
    codes, uniques = pd.factorize(values, sort=True)
    return pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype=TEXT))


def _states(values: pa.Array) -> pd.Categorical:
    codes = pc.index_in(values, pa.array(STATES)).to_numpy(zero_copy_only=False).astype(np.int8)
    return pd.Categorical.from_codes(codes, dtype=STATE_DTYPE)


def _strings(values: pa.Array) -> pd.Series:
    return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([values.cast(pa.large_string())])))


def _dimensions(scan: Lines, lines: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """For each line, the code of its dimensions' compact JSON among the returned values, whose
    last value is ``"{}"``; -1 where the scan could not find them without doubt."""
    codes = np.full(len(lines), -1, dtype=np.int64)
    starts = scan.dims_starts[lines]
    found = starts >= 0
    if not found.any():
        return codes, ["{}"]
    spans = np.flatnonzero(found)
    buffer, offsets = scan.gather_spans(starts[spans], scan.dims_ends[lines][spans])
    texts = pa.Array.from_buffers(pa.large_binary(), len(spans), [None, pa.py_buffer(offsets), pa.py_buffer(buffer)])
    encoded = pc.dictionary_encode(texts)
    values = [_compact_dimensions(text) for text in encoded.dictionary.to_pylist()]
    lookup = np.array([-1 if v is None else i for i, v in enumerate(values)], dtype=np.int64)
    codes[spans] = lookup[encoded.indices.to_numpy(zero_copy_only=False)]
    return codes, [v if v is not None else "" for v in values] + ["{}"]


def _compact_dimensions(text: bytes) -> str | None:
    from .records import compact

    try:
        value = decode_json(text)
    except JSONTextError:
        return None
    return compact(value) if isinstance(value, dict) else None


def line_ids(scan: Lines, lines: np.ndarray) -> pa.Array:
    """:func:`.schema.record_id` of scanned lines (their stripped text), as Arrow text."""
    return span_ids(scan.array, scan.starts[lines], scan.ends[lines])
