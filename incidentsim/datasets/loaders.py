"""Reading alarm history from files: the only module of incidentsim that opens them.

:func:`load_alarms` reads any mix of the supported formats into one AlarmFrame
and accounts for every record: ``loaded + rejected + skipped == read``.
"""

from __future__ import annotations

import gzip
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np
import pandas as pd

from .records import BadRecord, ParseContext, Row, Skip, compact, parse_record, parse_time, region_code
from .schema import (
    COLUMNS,
    REQUIRED_COLUMNS,
    STATES,
    AlarmFrameError,
    alarm_arn,
    conform,
    empty_alarm_frame,
    is_account_id,
    number_duplicates,
    record_id,
    validate_alarm_frame,
)

FORMATS = ("auto", "eventbridge", "alarm_history", "sns", "lambda", "intervals", "table", "alarm_frame")
Errors = Literal["raise", "quarantine"]
REJECTED_COLUMNS = ("origin", "field", "problem", "raw")
SKIPPED_COLUMNS = ("origin", "kind", "raw")


class LoadError(ValueError):
    """A record could not be read; the message names the file, the record, the field and what was expected."""

    def __init__(self, origin: str, field: str, problem: str):
        super().__init__(f"{origin}: field '{field}': {problem}")
        self.origin = origin
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class AlarmLoad:
    """What :func:`load_alarms` read: the AlarmFrame and every record it did not load.

    Attributes
    ----------
    alarms : DataFrame
        The AlarmFrame (see :mod:`incidentsim.datasets.schema`).
    rejected : DataFrame
        Records that could not be read: ``origin``, ``field``, ``problem``, ``raw``.
    skipped : DataFrame
        Readable records that are not state changes (configuration changes,
        alarm actions): ``origin``, ``kind``, ``raw``.
    read : int
        Records read.  ``loaded + rejected + skipped == read`` always; an interval
        record yields two state changes, so ``len(alarms)`` may exceed ``loaded``.
    notes : dict
        What the reader had to assume, with how many records it concerned
        (for example an alarm ARN built because the format carries none).
    """

    alarms: pd.DataFrame
    rejected: pd.DataFrame
    skipped: pd.DataFrame
    read: int
    loaded: int
    notes: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        total = self.loaded + len(self.rejected) + len(self.skipped)
        if total != self.read:  # pragma: no cover - an invariant, not an input error
            raise AssertionError(f"records do not add up: {self.loaded} + {len(self.rejected)} + {len(self.skipped)} != {self.read}")

    @property
    def counts(self) -> dict[str, int]:
        return {
            "read": self.read,
            "loaded": self.loaded,
            "rejected": len(self.rejected),
            "skipped": len(self.skipped),
            "state_changes": len(self.alarms),
            "duplicates": int(self.alarms["duplicate"].sum()),
        }

    def summary(self) -> str:
        """A few lines a person reads: the counts, why records were skipped or rejected, the notes."""
        c = self.counts
        lines = [
            f"read {c['read']:,} records: {c['loaded']:,} loaded, {c['rejected']:,} rejected, {c['skipped']:,} skipped "
            f"-> {c['state_changes']:,} state changes of {self.alarms['alarm_arn'].nunique():,} alarms"
            + (f" ({c['duplicates']:,} exact duplicates flagged)" if c["duplicates"] else "")
        ]
        for kind, count in Counter(self.skipped["kind"]).most_common():
            lines.append(f"  skipped {count:,} x {kind} (not a state change)")
        for problem, count in Counter(self.rejected["field"] + ": " + self.rejected["problem"]).most_common(5):
            lines.append(f"  rejected {count:,} x {problem}")
        for note, count in sorted(self.notes.items(), key=lambda kv: -kv[1]):
            lines.append(f"  note ({count:,} records): {note}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"AlarmLoad({self.summary()})"

    def _repr_html_(self) -> str:
        import html

        return f"<pre>{html.escape(self.summary())}</pre>" + self.alarms.head(10).to_html(max_cols=12)


class _Collector:
    """Accumulates rows in chunks (bounded lists, converted to frames as they fill)."""

    def __init__(self, ctx: ParseContext, errors: Errors, keep_raw: bool, chunk_size: int):
        self.ctx = ctx
        self.errors = errors
        self.keep_raw = keep_raw
        self.chunk_size = chunk_size
        self.rows: list[Row] = []
        self.chunks: list[pd.DataFrame] = []
        self.rejected: list[tuple[str, str, str, str]] = []
        self.skipped: list[tuple[str, str, str]] = []
        self.read = 0
        self.loaded = 0
        self.ids: Counter[str] = Counter()

    def reject(self, origin: str, field: str, problem: str, raw: str) -> None:
        if self.errors == "raise":
            raise LoadError(origin, field, problem)
        self.rejected.append((origin, field, problem, raw))

    def record(self, record: Any, raw: str, origin: str, expected: str | None) -> None:
        self.read += 1
        try:
            rows = parse_record(record, self.ctx, expected)
        except Skip as skip:
            self.skipped.append((origin, skip.kind, raw))
            return
        except BadRecord as bad:
            self.reject(origin, bad.field, bad.problem, raw)
            return
        self.loaded += 1
        base = record_id(raw)
        for row in rows:
            row["event_id"] = base
            row["raw"] = raw if self.keep_raw else ""
            row["origin"] = origin
            self.rows.append(row)
        if len(self.rows) >= self.chunk_size:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.add_frame(pd.DataFrame.from_records(self.rows, columns=[c for c in COLUMNS if c != "duplicate"]))
            self.rows = []

    def add_frame(self, frame: pd.DataFrame) -> None:
        ids, duplicates = number_duplicates(frame["event_id"].tolist(), self.ids)
        frame["event_id"] = ids
        frame["duplicate"] = duplicates
        self.chunks.append(conform(frame))

    def result(self) -> AlarmLoad:
        self.flush()
        if self.chunks:
            alarms = pd.concat(self.chunks, ignore_index=True) if len(self.chunks) > 1 else self.chunks[0]
            self.chunks = []
            alarms = validate_alarm_frame(alarms)
        else:
            alarms = empty_alarm_frame()
        return AlarmLoad(
            alarms=alarms,
            rejected=pd.DataFrame(self.rejected, columns=list(REJECTED_COLUMNS)),
            skipped=pd.DataFrame(self.skipped, columns=list(SKIPPED_COLUMNS)),
            read=self.read,
            loaded=self.loaded,
            notes=dict(self.ctx.notes),
        )


# ----------------------------------------------------------------------------- files


def _open_text(path: Path) -> IO[str]:
    with open(path, "rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return open(path, encoding="utf-8")


def _stem(path: Path) -> str:
    name = path.name.lower()
    return name[:-3] if name.endswith(".gz") else name


def _is_json_lines(path: Path) -> bool:
    """JSON Lines when the first non-blank line is a whole JSON value and another value follows."""
    if _stem(path).endswith((".jsonl", ".ndjson")):
        return True
    with _open_text(path) as handle:
        first = ""
        for line in handle:
            if line.strip():
                first = line
                break
        try:
            json.loads(first)
        except ValueError:
            return False
        return any(line.strip() for line in handle)


def _read_json_file(path: Path, collector: _Collector, expected: str | None) -> None:
    name = path.name
    if _is_json_lines(path):
        with _open_text(path) as handle:
            for number, line in enumerate(handle, start=1):
                text = line.strip()
                if not text:
                    continue
                origin = f"{name}:{number}"
                try:
                    record = json.loads(text)
                except ValueError as error:
                    collector.read += 1
                    collector.reject(origin, "<json>", f"invalid JSON ({error})", text)
                    continue
                for sub_origin, sub in _expand(record, origin, ":"):
                    collector.record(sub, text if sub is record else compact(sub), sub_origin, expected)
        return
    with _open_text(path) as handle:
        content = handle.read()
    try:
        document = json.loads(content)
    except ValueError as error:
        collector.read += 1
        line = getattr(error, "lineno", "?")
        collector.reject(f"{name}:{line}", "<json>", f"invalid JSON ({error})", content[:10000])
        return
    for origin, record in _expand(document, name, "#"):
        collector.record(record, compact(record), origin, expected)


def _expand(document: Any, origin: str, sep: str) -> Iterator[tuple[str, Any]]:
    """The records inside a JSON document: arrays, history pages, Lambda SNS events."""
    if isinstance(document, list):
        for index, item in enumerate(document):
            yield from _expand(item, f"{origin}{sep}{index}" if sep == "#" else f"{origin}[{index}]", "[")
        return
    if isinstance(document, dict) and isinstance(document.get("AlarmHistoryItems"), list):
        for index, item in enumerate(document["AlarmHistoryItems"]):
            yield f"{origin}:AlarmHistoryItems[{index}]", item
        return
    if isinstance(document, dict) and isinstance(document.get("Records"), list):
        for index, item in enumerate(document["Records"]):
            yield f"{origin}:Records[{index}]", item
        return
    yield origin, document


def _is_table(path: Path) -> bool:
    return _stem(path).endswith((".csv", ".tsv", ".txt", ".parquet", ".pq"))


# ----------------------------------------------------------------------------- tables


def _read_table(path: Path, chunk_size: int) -> Iterator[tuple[int, pd.DataFrame]]:
    """(first data line number, chunk) of a CSV or Parquet file."""
    if _stem(path).endswith((".parquet", ".pq")):
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(path)
        start = 0
        for batch in parquet.iter_batches(batch_size=chunk_size):
            frame = batch.to_pandas()
            yield start, frame
            start += len(frame)
        return
    separator = "\t" if _stem(path).endswith(".tsv") else ","
    line = 2
    for chunk in pd.read_csv(path, sep=separator, chunksize=chunk_size, dtype=str, keep_default_na=False):
        yield line, chunk
        line += len(chunk)


def _table_origin(label: str, first: int, count: int, parquet: bool) -> list[str]:
    """``file.csv:<line>`` for CSV rows, ``file.parquet#<row>`` for Parquet rows and DataFrames."""
    if parquet:
        return [f"{label}#{first + i}" for i in range(count)]
    return [f"{label}:{first + i}" for i in range(count)]


def _row_json(frame: pd.DataFrame) -> pd.Series:
    """Each row as compact JSON with sorted keys (what ``compact(row_dict)`` gives), built column-wise."""
    if frame.empty:
        return pd.Series([], dtype=object)
    parts = [json.dumps(str(column)) + ":" + frame[column].map(json.dumps) for column in sorted(frame.columns, key=str)]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + "," + part
    return "{" + joined + "}"


def _column(frame: pd.DataFrame, name: str, where: str) -> pd.Series:
    if name not in frame.columns:
        raise LoadError(where, name, f"no such column; the table has {', '.join(map(str, frame.columns))}")
    return frame[name]


def _times(values: pd.Series, field: str, time_origin: pd.Timestamp | None, problems: dict[int, tuple[str, str]]) -> pd.Series:
    """Parse a column of timestamps, column-wise where it can; a bad cell leaves NaT and a
    problem for its row (the first problem of a row is kept)."""
    numbers = pd.to_numeric(values, errors="coerce")
    if time_origin is not None:
        seconds = numbers.where(numbers.abs() < 1e10)  # about 300 years either side
        out = time_origin + pd.to_timedelta(seconds, unit="s")
        for position in np.flatnonzero(out.isna().to_numpy()).tolist():
            problems.setdefault(position, (field, f"expected seconds after the time origin, got {values.iloc[position]!r}"))
        return pd.Series(pd.to_datetime(out, utc=True), index=values.index)
    parsed: list[Any] = []
    for position, value in enumerate(values.tolist()):
        try:
            parsed.append(parse_time(value, field))
        except BadRecord as error:
            problems.setdefault(position, (field, error.problem))
            parsed.append(pd.NaT)
    return pd.Series(pd.to_datetime(parsed, utc=True), index=values.index)


def _read_intervals(
    path: Path,
    collector: _Collector,
    *,
    id_columns: Sequence[str],
    start_column: str,
    end_column: str,
    name_template: str | None,
    time_origin: pd.Timestamp | None,
) -> None:
    """One row per alarm occurrence (start, end) -> an ALARM and an OK state change.

    The state follows the count of open occurrences of the same alarm, so
    overlapping occurrences keep it in ALARM until the last one ends.
    """
    if name_template:
        import string

        fields = {name for _, name, _, _ in string.Formatter().parse(name_template) if name}
        if not fields <= set(id_columns):
            raise ValueError(
                f"name_template {name_template!r} uses {sorted(fields - set(id_columns))}, "
                f"which are not among id_columns {list(id_columns)}"
            )
    parts: list[pd.DataFrame] = []
    rows_seen = 0
    parquet = _stem(path).endswith((".parquet", ".pq"))
    for first, chunk in _read_table(path, collector.chunk_size):
        origins = _table_origin(path.name, first, len(chunk), parquet)
        collector.read += len(chunk)
        raws = _row_json(chunk)
        ids = [_column(chunk, c, f"{path.name}:1").astype(str) for c in id_columns]
        problems: dict[int, tuple[str, str]] = {}
        for column, series in zip(id_columns, ids):
            for blank in np.flatnonzero((series.str.strip() == "").to_numpy()).tolist():
                problems.setdefault(blank, (column, "is empty; it names the alarm"))
        starts = _times(_column(chunk, start_column, f"{path.name}:1"), start_column, time_origin, problems)
        ends = _times(_column(chunk, end_column, f"{path.name}:1"), end_column, time_origin, problems)
        for backwards in np.flatnonzero((ends < starts).to_numpy()).tolist():
            problems.setdefault(
                backwards, (end_column, f"ends before it starts ({ends.iloc[backwards]} < {starts.iloc[backwards]})")
            )
        for row_number, (column, problem) in sorted(problems.items()):
            collector.reject(origins[row_number], column, problem, raws.iloc[row_number])
        good = np.ones(len(chunk), dtype=bool)
        good[list(problems)] = False
        if name_template:
            names = pd.Series(
                [name_template.format(**dict(zip(id_columns, values))) for values in zip(*(i.tolist() for i in ids))],
                index=chunk.index,
            )
        else:
            names = f"{id_columns[0]}-" + ids[0]
            for column, series in zip(id_columns[1:], ids[1:]):
                names = names + f"_{column}-" + series
        part = pd.DataFrame(
            {
                "alarm_name": names,
                "start": starts,
                "end": ends,
                "raw": raws if collector.keep_raw else "",
                "base": [record_id(raw) for raw in raws.tolist()],
                "origin": origins,
                "order": np.arange(rows_seen, rows_seen + len(chunk), dtype=np.int64),
            },
            index=chunk.index,
        )[good]
        rows_seen += len(chunk)
        collector.loaded += int(good.sum())
        parts.append(part)
    if not parts:
        return
    occurrences = pd.concat(parts, ignore_index=True)
    del parts
    account_id = collector.ctx.default_account("interval tables carry no account", len(occurrences))
    region = collector.ctx.default_region("interval tables carry no Region", len(occurrences))
    if time_origin is not None and len(occurrences):
        collector.ctx.notes[f"{path.name}: times are seconds after {time_origin.isoformat()} (time_origin)"] += len(occurrences)
    starts = occurrences.assign(timestamp=occurrences["start"], step=1, kind=0, suffix=":start")
    ends = occurrences.assign(timestamp=occurrences["end"], step=-1, kind=1, suffix=":end")
    del occurrences
    events = pd.concat([starts, ends], ignore_index=True).drop(columns=["start", "end"])
    del starts, ends
    events = events.sort_values(["alarm_name", "timestamp", "kind", "order"], kind="stable", ignore_index=True)
    open_count = events.groupby("alarm_name", sort=False)["step"].cumsum()
    state = np.where(open_count > 0, "ALARM", "OK")
    previous = pd.Series(state).groupby(events["alarm_name"].to_numpy(), sort=False).shift(1).fillna("OK").to_numpy()
    frame = pd.DataFrame(
        {
            "event_id": events["base"] + events["suffix"],
            "timestamp": events["timestamp"],
            "account_id": account_id,
            "region": region,
            "alarm_name": events["alarm_name"],
            "alarm_arn": alarm_arn(account_id, region, "") + events["alarm_name"],
            "state": state,
            "previous_state": previous,
            "reason": np.where(events["kind"] == 0, "Alarm occurrence started", "Alarm occurrence ended"),
            "source": collector.ctx.source,
            "raw": events["raw"],
            "origin": events["origin"],
        }
    )
    del events
    collector.add_frame(frame)


TABLE_FIELDS = ("timestamp", "alarm_name", "state", "previous_state", "account_id", "region", "alarm_arn", "reason",
                "namespace", "metric_name", "dimensions")


def _read_generic_table(
    chunks: Iterable[tuple[int, pd.DataFrame]],
    label: str,
    parquet: bool,
    collector: _Collector,
    *,
    columns: Mapping[str, str],
    state_map: Mapping[str, str],
) -> None:
    """A flat export from another alerting tool: one row per state change, mapped by ``columns``."""
    unknown = set(columns) - set(TABLE_FIELDS)
    if unknown:
        raise ValueError(f"columns= maps unknown field(s) {sorted(unknown)}; fields are {', '.join(TABLE_FIELDS)}")
    states = {str(k).upper(): v for k, v in state_map.items()}
    last_state: dict[str, str] = {}
    for first, chunk in chunks:
        origins = _table_origin(label, first, len(chunk), parquet)
        collector.read += len(chunk)
        raws = _row_json(chunk).tolist()
        rows: list[Row] = []
        for position, record in enumerate(chunk.to_dict(orient="records")):
            origin = origins[position]
            try:
                rows.append(_table_row(record, columns, states, collector.ctx, last_state))
            except BadRecord as bad:
                collector.reject(origin, bad.field, bad.problem, raws[position])
                continue
            rows[-1].update(event_id=record_id(raws[position]), raw=raws[position] if collector.keep_raw else "", origin=origin)
            collector.loaded += 1
        if rows:
            collector.add_frame(pd.DataFrame.from_records(rows, columns=[c for c in COLUMNS if c != "duplicate"]))


def _table_row(
    record: Mapping[str, Any],
    columns: Mapping[str, str],
    states: Mapping[str, str],
    ctx: ParseContext,
    last_state: dict[str, str],
) -> Row:
    def cell(name: str, required: bool = False) -> str:
        source = columns.get(name, name)
        if source not in record:
            if required:
                raise BadRecord(source, f"no such column (map it with columns={{'{name}': ...}})")
            return ""
        value = record[source]
        return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)

    def state_of(name: str, value: str) -> str:
        mapped = states.get(value.upper(), value.upper())
        if mapped not in STATES:
            known = ", ".join(sorted({*STATES, *states}))
            raise BadRecord(columns.get(name, name), f"expected one of {known} (see state_map=), got {value!r}")
        return mapped

    name = cell("alarm_name", required=True)
    if not name.strip():
        raise BadRecord(columns.get("alarm_name", "alarm_name"), "is empty")
    new = state_of("state", cell("state", required=True))
    previous_text = cell("previous_state")
    account = cell("account_id") or ctx.default_account("the table has no account column")
    if not is_account_id(account):
        raise BadRecord(columns.get("account_id", "account_id"), f"expected a 12-digit account, got {account!r}")
    reg = cell("region") or ctx.default_region("the table has no Region column")
    code = region_code(reg)
    if code is None:
        raise BadRecord(columns.get("region", "region"), f"expected an AWS Region such as us-east-1, got {reg!r}")
    arn = cell("alarm_arn") or alarm_arn(account, code, name)
    key = arn
    previous = state_of("previous_state", previous_text) if previous_text else last_state.get(key, "OK")
    last_state[key] = new
    return {
        "timestamp": parse_time(cell("timestamp", required=True), columns.get("timestamp", "timestamp")),
        "account_id": account,
        "region": code,
        "alarm_name": name,
        "alarm_arn": arn,
        "state": new,
        "previous_state": previous,
        "reason": cell("reason"),
        "source": ctx.source,
        "namespace": cell("namespace"),
        "metric_name": cell("metric_name"),
        "dimensions": cell("dimensions") or "{}",
        "actions_suppressed_by": "",
    }


def _looks_like_alarm_frame(columns: Iterable[str]) -> bool:
    return set(REQUIRED_COLUMNS) <= set(columns)


def _looks_like_intervals(columns: Iterable[str], start: str, end: str) -> bool:
    names = set(columns)
    return start in names and end in names


# ----------------------------------------------------------------------------- entry point


def load_alarms(
    source: str | Path | pd.DataFrame | Sequence[str | Path],
    format: str = "auto",  # noqa: A002 - the natural name, as in pandas
    *,
    errors: Errors = "raise",
    account_id: str | None = None,
    region: str | None = None,
    event_source: str = "aws.cloudwatch",
    columns: Mapping[str, str] | None = None,
    state_map: Mapping[str, str] | None = None,
    id_columns: Sequence[str] = ("alarm_id", "device_id"),
    start_column: str = "start_timestamp",
    end_column: str = "end_timestamp",
    name_template: str | None = None,
    time_origin: str | pd.Timestamp | None = None,
    keep_raw: bool = True,
    chunk_size: int = 20_000,
) -> AlarmLoad:
    """Read alarm history from files (or a DataFrame) into an AlarmFrame.

    Parameters
    ----------
    source : path, list of paths, or DataFrame
        Files in any mix of formats; gzip is recognised by its content.
    format : str
        ``"auto"`` (default) recognises each JSON record by its keys and each
        table by its columns.  Or one of ``"eventbridge"`` (CloudWatch Alarm
        State Change events: one JSON object, an array, or JSON Lines),
        ``"alarm_history"`` (``aws cloudwatch describe-alarm-history`` output),
        ``"sns"`` (SNS alarm notifications, as a Lambda SNS event or bare
        messages), ``"lambda"`` (alarm-action payloads with ``alarmData``),
        ``"intervals"`` (one row per alarm occurrence with start and end),
        ``"table"`` (one row per state change, with ``columns``) or
        ``"alarm_frame"`` (a table already in the canonical schema, e.g. from
        ``incidentsim capture``).
    errors : {"raise", "quarantine"}
        ``"raise"`` stops at the first unreadable record with a :class:`LoadError`
        naming the file, the line or record, the field and what was expected;
        ``"quarantine"`` loads the good records and returns the bad ones in
        ``AlarmLoad.rejected`` with the same detail.
    account_id, region : str, optional
        Used where the format carries no account or Region (describe-alarm-history,
        interval tables).  Without them, a file named ``<account>_<region>.json``
        (e.g. ``111111111111_eu-west-1.json``) gives its own; otherwise the defaults
        are 123456789012 and us-east-1.  ``AlarmLoad.notes`` says which was used.
    event_source : str
        The ``source`` column, i.e. ``triggerDetails.source`` in a replay.
    columns : mapping, optional
        For ``"table"``: AlarmFrame field -> column name in the file, e.g.
        ``{"timestamp": "fired_at", "alarm_name": "alert", "state": "status"}``.
    state_map : mapping, optional
        For ``"table"``: the file's state words -> OK, ALARM or INSUFFICIENT_DATA,
        e.g. ``{"firing": "ALARM", "resolved": "OK"}``.
    id_columns, start_column, end_column, name_template, time_origin
        For ``"intervals"``: the columns that identify an alarm (joined into its
        name, or formatted with ``name_template`` such as ``"{alarm_id}@{device_id}"``),
        the start and end columns, and the time numbers are seconds after
        (``time_origin="2024-01-01"``; without it they are epoch seconds or timestamps).
    keep_raw : bool
        Keep each record's JSON text in ``raw`` (set False to save memory on very large inputs).
    chunk_size : int
        Records converted per chunk while reading JSON Lines and tables.

    Returns
    -------
    AlarmLoad
        ``.alarms`` (the AlarmFrame), ``.rejected``, ``.skipped``, ``.counts``, ``.notes``.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> event = {"version": "0", "id": "1", "detail-type": "CloudWatch Alarm State Change",
    ...          "source": "aws.cloudwatch", "account": "123456789012", "time": "2024-05-01T09:00:00Z",
    ...          "region": "us-east-1", "resources": ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:api-5xx"],
    ...          "detail": {"alarmName": "api-5xx", "state": {"value": "ALARM", "reason": "Threshold Crossed",
    ...                     "timestamp": "2024-05-01T09:00:00.000+0000"},
    ...                     "previousState": {"value": "OK", "reason": "", "timestamp": "2024-05-01T08:00:00.000+0000"}}}
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "events.jsonl"
    >>> _ = path.write_text(json.dumps(event) + "\\n" + json.dumps(dict(event, id="2", **{"detail-type": "CloudWatch Alarm Configuration Change"})) + "\\n")
    >>> load = load_alarms(path)
    >>> load.counts["loaded"], load.counts["skipped"], load.alarms.loc[0, "state"]
    (1, 1, 'ALARM')
    """
    if format not in FORMATS:
        raise ValueError(f"The 'format' parameter of load_alarms must be one of {{{', '.join(FORMATS)}}}. Got {format!r} instead.")
    if errors not in ("raise", "quarantine"):
        raise ValueError(f"The 'errors' parameter of load_alarms must be one of {{raise, quarantine}}. Got {errors!r} instead.")
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"The 'chunk_size' parameter of load_alarms must be a positive integer. Got {chunk_size!r} instead.")
    if account_id is not None and not is_account_id(account_id):
        raise ValueError(f"The 'account_id' parameter of load_alarms must be 12 digits. Got {account_id!r} instead.")
    if region is not None and region_code(region) is None:
        raise ValueError(f"The 'region' parameter of load_alarms must be an AWS Region such as us-east-1. Got {region!r} instead.")
    region = region_code(region) if region is not None else None
    ctx = ParseContext(account_id=account_id, region=region, source=event_source)
    collector = _Collector(ctx, errors, keep_raw, chunk_size)
    origin_time = pd.Timestamp(time_origin, tz="UTC") if isinstance(time_origin, str) else time_origin
    if isinstance(origin_time, pd.Timestamp) and origin_time.tzinfo is None:
        origin_time = origin_time.tz_localize("UTC")
    table_options: dict[str, Any] = {"columns": dict(columns or {}), "state_map": dict(state_map or {})}

    if isinstance(source, pd.DataFrame):
        if format in ("auto", "alarm_frame") and _looks_like_alarm_frame(source.columns):
            frame = validate_alarm_frame(source)
            return AlarmLoad(frame, pd.DataFrame(columns=list(REJECTED_COLUMNS)), pd.DataFrame(columns=list(SKIPPED_COLUMNS)),
                             read=len(frame), loaded=len(frame))
        if format not in ("auto", "table"):
            raise ValueError(f"a DataFrame can be read as format 'alarm_frame' or 'table', not {format!r}")
        _read_generic_table([(0, source.reset_index(drop=True))], "dataframe", True, collector, **table_options)
        return collector.result()

    paths = [Path(source)] if isinstance(source, (str, Path)) else [Path(p) for p in source]
    if not paths:
        raise ValueError("load_alarms needs at least one file")
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"no such file: {path}")
    for path in paths:
        named = _ACCOUNT_REGION_NAME.match(_stem(path).rsplit(".", 1)[0])
        if named and account_id is None and region is None:
            ctx.account_id, ctx.region, ctx.defaults_from = named["account"], named["region"], f"from the file name {path.name}"
        if format in ("intervals", "table", "alarm_frame") or (format == "auto" and _is_table(path)):
            _read_table_file(path, format, collector, table_options, id_columns, start_column, end_column, name_template, origin_time)
        else:
            expected = None if format == "auto" else format
            _read_json_file(path, collector, expected)
        ctx.account_id, ctx.region, ctx.defaults_from = account_id, region, "given"
    return collector.result()


# An export named <account>_<region>.json (as `aws cloudwatch describe-alarm-history` output
# is often saved per account and Region) gives the account and Region its records lack.
_ACCOUNT_REGION_NAME = re.compile(r"^(?P<account>\d{12})[_-](?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)$")


def _read_table_file(
    path: Path,
    format: str,  # noqa: A002
    collector: _Collector,
    table_options: dict[str, Any],
    id_columns: Sequence[str],
    start_column: str,
    end_column: str,
    name_template: str | None,
    origin_time: pd.Timestamp | None,
) -> None:
    parquet = _stem(path).endswith((".parquet", ".pq"))
    first_chunk = next(_read_table(path, 1), None)
    header = list(first_chunk[1].columns) if first_chunk is not None else []
    if format == "alarm_frame" or (format == "auto" and _looks_like_alarm_frame(header)):
        frame = pd.read_parquet(path) if parquet else pd.read_csv(path, dtype=str, keep_default_na=False)
        try:
            frame = validate_alarm_frame(frame)
        except AlarmFrameError as error:
            raise LoadError(path.name, "<table>", str(error)) from None
        collector.read += len(frame)
        collector.loaded += len(frame)
        collector.chunks.append(frame)
        return
    if format == "intervals" or (format == "auto" and _looks_like_intervals(header, start_column, end_column)):
        _read_intervals(
            path,
            collector,
            id_columns=id_columns,
            start_column=start_column,
            end_column=end_column,
            name_template=name_template,
            time_origin=origin_time,
        )
        return
    _read_generic_table(_read_table(path, collector.chunk_size), path.name, parquet, collector, **table_options)
