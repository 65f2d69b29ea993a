"""Reading alarm history from files: the only module of incidentsim that opens them.

:func:`load_alarms` reads any mix of the supported formats into one AlarmFrame
and accounts for every record: ``loaded + rejected + skipped == read``.

Whatever the bytes, a load either raises :class:`LoadError` naming the file, the line or
record and the problem (``errors="raise"``), or keeps every readable record and returns each
unreadable one in ``rejected`` with that same message (``errors="quarantine"``).  A line that
is not UTF-8, is not JSON, is nested more than :data:`~.textfiles.MAX_DEPTH` levels deep or is
longer than :data:`~.textfiles.MAX_LINE_BYTES` is one rejected record; so is a CSV row with
too many or too few fields, the cut end of a truncated gzip file, and a Parquet file (or the
rest of one) that cannot be read.  An empty file has no records and says so in ``notes``.

JSON Lines of EventBridge events are read a block at a time, column by column
(:mod:`.columnar`); every other record, and every line with anything unusual, is read record
by record (:mod:`.records`).  Both give the same rows.
"""

from __future__ import annotations

import csv
import datetime
import functools
import os
import re
import string
from collections import Counter, deque
from concurrent.futures import Future, ThreadPoolExecutor
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Integral
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..params import InvalidParameterError, Interval, Options, parameter_error, validate_params
from ..params import shown as shown_value
from .columnar import TEXT, FastRows, eventbridge_block, line_ids
from .linescan import BLANK, QUOTE, WHOLE, Lines, gather_spans, scan_lines
from .recordids import id_text, surely_distinct, text_id_chars, text_spans
from .records import (
    EARLIEST,
    EPOCH_MS_THRESHOLD,
    LATEST,
    BadRecord,
    ParseContext,
    Row,
    Skip,
    compact,
    parse_record,
    parse_time,
    region_code,
    shorten,
)
from .schema import (
    COLUMNS,
    REQUIRED_COLUMNS,
    STATES,
    AlarmFrameError,
    alarm_arn,
    concat_alarm_frames,
    conform,
    empty_alarm_frame,
    is_account_id,
    record_id,
    validate_alarm_frame,
)
from . import textfiles
from .textfiles import (
    MAX_DEPTH,
    JSONTextError,
    LineBlock,
    StreamFault,
    decode_json,
    is_gzip,
    line_blocks,
    not_utf8,
    read_document,
    shown,
)

FORMATS = ("auto", "eventbridge", "alarm_history", "sns", "lambda", "intervals", "table", "alarm_frame")
Errors = Literal["raise", "quarantine"]
#: What the parameters of :func:`load_alarms` may be; what a mapping, a column name or a template holds, and an
#: account or Region's form, are checked in its body with the same message.
LOAD_PARAMETERS: dict[str, list[Any]] = {
    "source": [str, os.PathLike, pd.DataFrame, list, tuple],
    "format": [Options(FORMATS)],
    "errors": [Options(("raise", "quarantine"))],
    "account_id": [str, None],
    "region": [str, None],
    "event_source": [str],
    "columns": [Mapping, None],
    "state_map": [Mapping, None],
    "id_columns": [str, list, tuple],
    "start_column": [str],
    "end_column": [str],
    "name_template": [str, None],
    "time_origin": [str, datetime.date, np.datetime64, None],
    "keep_raw": [Options((True, False))],
    "chunk_size": [Interval(Integral, 1, None)],
}
REJECTED_COLUMNS = ("origin", "field", "problem", "hint", "raw")
SKIPPED_COLUMNS = ("origin", "kind", "raw")
_ROW_COLUMNS = [c for c in COLUMNS if c != "duplicate"]
_SEQ = "_seq"  # the read position of a row, to merge the two readers' rows in read order
_COLUMNWISE = True  # read EventBridge JSON Lines column-wise (the tests turn it off to compare)


def python_hint(hint: str) -> str:
    """A hint (see :class:`LoadError`) as the Python argument to give :func:`load_alarms`.

    Examples
    --------
    >>> python_hint("columns.alarm_name"), python_hint("end_column")
    ("columns={'alarm_name': ...}", 'end_column=...')
    """
    option, dot, key = hint.partition(".")
    return f"{option}={{{key!r}: ...}}" if dot else f"{option}=..."


def with_hint(problem: str, hint: str, spell: Callable[[str], str] = python_hint) -> str:
    """A problem followed by the option that would fix it, spelled by ``spell``."""
    return f"{problem} (map it with {spell(hint)})" if hint else problem


class LoadError(ValueError):
    """A record could not be read; the message names the file, the record, the field and what was expected.

    ``hint``, when not empty, is the option of :func:`load_alarms` that would read the record: a
    parameter (``"end_column"``) or a parameter and the key to give it (``"columns.alarm_name"``,
    ``"state_map.firing"``).  The message spells it in Python; the command line and scenario files
    spell it their own way with :meth:`worded`.
    """

    def __init__(self, origin: str, field: str, problem: str, hint: str = ""):
        self.origin = origin
        self.field = field
        self.problem = problem
        self.hint = hint
        super().__init__(self.worded(python_hint))

    def worded(self, spell: Callable[[str], str]) -> str:
        """The message with the hint spelled by ``spell`` (e.g. as ``--columns alarm_name=COLUMN``)."""
        return f"{self.origin}: field '{self.field}': {with_hint(self.problem, self.hint, spell)}"


#: A parameter of :func:`load_alarms` given a value it cannot take: the one
#: :class:`~incidentsim.params.InvalidParameterError`, whose ``parameter``, ``must`` and ``got`` let the command
#: line and scenario files name their own option.
ParameterError = InvalidParameterError


@dataclass(frozen=True)
class AlarmLoad:
    """What :func:`load_alarms` read: the AlarmFrame and every record it did not load.

    Attributes
    ----------
    alarms : DataFrame
        The AlarmFrame (see :mod:`incidentsim.datasets.schema`).
    rejected : DataFrame
        Records that could not be read: ``origin``, ``field``, ``problem``, ``hint``
        (the option that would read it, as in :class:`LoadError`; often empty), ``raw``.
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
            raise AssertionError(
                f"records do not add up: {self.loaded} + {len(self.rejected)} + {len(self.skipped)} != {self.read}"
            )

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

    def summary(self, spell: Callable[[str], str] = python_hint) -> str:
        """A few lines a person reads: the counts, why records were skipped or rejected, the notes.

        ``spell`` words the option that would read a rejected record (Python's spelling by default).
        """
        c = self.counts
        lines = [
            f"read {c['read']:,} records: {c['loaded']:,} loaded, {c['rejected']:,} rejected, {c['skipped']:,} skipped "
            f"-> {c['state_changes']:,} state changes of {self.alarms['alarm_arn'].nunique():,} alarms"
            + (f" ({c['duplicates']:,} exact duplicates flagged)" if c["duplicates"] else "")
        ]
        for kind, count in Counter(self.skipped["kind"]).most_common():
            lines.append(f"  skipped {count:,} x {kind} (not a state change)")
        problems = zip(self.rejected["field"], self.rejected["problem"], self.rejected["hint"])
        for (where, problem, hint), count in Counter(problems).most_common(5):
            lines.append(f"  rejected {count:,} x {where}: {with_hint(problem, hint, spell)}")
        for note, count in sorted(self.notes.items(), key=lambda kv: -kv[1]):
            lines.append(f"  note ({count:,} records): {note}" if count else f"  note: {note}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"AlarmLoad({self.summary()})"

    def _repr_html_(self) -> str:
        import html

        return f"<pre>{html.escape(self.summary())}</pre>" + self.alarms.head(10).to_html(max_cols=12)


class RowCollector:
    """Accumulates rows in chunks (bounded lists, converted to frames as they fill), and the records rejected or
    skipped.

    What every reader of alarm records (:func:`load_alarms`,
    :func:`incidentsim.datasets.capture.capture_alarm_history`) fills.
    """

    def __init__(self, ctx: ParseContext, errors: Errors, keep_raw: bool, chunk_size: int):
        self.ctx = ctx
        self.errors = errors
        self.keep_raw = keep_raw
        self.chunk_size = chunk_size
        self.rows: list[Row] = []
        self.chunks: list[pd.DataFrame] = []
        self.numbered: list[bool] = []  # per chunk: are its event ids this load's (to number duplicates)?
        self.rejected: list[tuple[str, str, str, str, str]] = []
        self.skipped: list[tuple[str, str, str]] = []
        self.read = 0
        self.loaded = 0
        self.seq = 0
        self.holding = False  # rows of a block are merged with its column-wise rows at the block's end

    def reject(self, origin: str, field: str, problem: str, raw: str, hint: str = "") -> None:
        if self.errors == "raise":
            raise LoadError(origin, field, problem, hint)
        self.rejected.append((origin, field, problem, hint, raw))

    def fault(self, origin: str, field: str, problem: str, raw: str, hint: str = "") -> None:
        """Something unreadable that stands for one record: a broken line, the cut end of a file."""
        self.read += 1
        self.reject(origin, field, problem, raw, hint)

    def record(self, record: Any, raw: str, origin: str, expected: str | None) -> None:
        self.read += 1
        try:
            rows = parse_record(record, self.ctx, expected)
        except Skip as skip:
            self.skipped.append((origin, skip.kind, raw))
            return
        except BadRecord as bad:
            self.reject(origin, bad.field, bad.problem, raw, bad.hint)
            return
        self.loaded += 1
        base = record_id(raw)
        for row in rows:
            row["event_id"] = base
            row["raw"] = raw if self.keep_raw else ""
            row["origin"] = origin
            row[_SEQ] = self.seq
            self.rows.append(row)
        if not self.holding and len(self.rows) >= self.chunk_size:
            self.flush()

    def flush(self, columnwise: pd.DataFrame | None = None) -> None:
        """Turn the rows read so far (and a block's column-wise rows) into a chunk, in read order."""
        parts = [columnwise] if columnwise is not None and len(columnwise) else []
        if self.rows:
            parts.append(pd.DataFrame.from_records(self.rows, columns=[*_ROW_COLUMNS, _SEQ]))
            self.rows = []
        if not parts:
            return
        if len(parts) == 1:
            frame = parts[0]
        else:
            frame = pd.concat([_plain_text(part) for part in parts], ignore_index=True)
            frame = frame.iloc[np.argsort(frame[_SEQ].to_numpy(), kind="stable")].reset_index(drop=True)
        self.add_frame(frame.drop(columns=_SEQ))

    def add_frame(self, frame: pd.DataFrame, numbered: bool = True) -> None:
        """A chunk of rows in read order; ``numbered=False`` for rows whose ids are already final."""
        if "duplicate" not in frame.columns:
            frame = frame.assign(duplicate=np.zeros(len(frame), dtype=bool))
        if set(frame.columns) == set(COLUMNS):
            frame = frame[list(COLUMNS)]
        self.chunks.append(frame if _conformed(frame) else conform(frame))
        self.numbered.append(numbered)

    def result(self) -> AlarmLoad:
        self.flush()
        if self.chunks:
            alarms = concat_alarm_frames(self.chunks) if len(self.chunks) > 1 else self.chunks[0].reset_index(drop=True)
            numbered = np.repeat(np.array(self.numbered, dtype=bool), [len(c) for c in self.chunks])
            self.chunks = []
            alarms = self._unique_ids(alarms, numbered)
            try:
                alarms = validate_alarm_frame(alarms)
            except AlarmFrameError as error:  # pragma: no cover - every row was checked on the way in
                raise LoadError("the loaded rows", "<table>", str(error)) from None
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

    def _unique_ids(self, alarms: pd.DataFrame, numbered: np.ndarray) -> pd.DataFrame:
        """The 2nd, 3rd ... copy of a record gets ``#2``, ``#3`` ... and ``duplicate``; a row of an
        AlarmFrame table whose id another row already has is rejected."""
        ids_array = pa.array(alarms["event_id"].array)
        if isinstance(ids_array, pa.ChunkedArray):
            ids_array = ids_array.combine_chunks()
        if surely_distinct(ids_array):  # every id differs: nothing to do
            return alarms
        encoded = pc.dictionary_encode(ids_array)
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        ids = alarms["event_id"].astype(object).to_numpy()
        if numbered.any():
            mine = np.flatnonzero(numbered)
            occurrence = _occurrence(codes[mine])
            repeats = np.flatnonzero(occurrence > 0)
            if len(repeats):
                ids = ids.copy()
                flags = alarms["duplicate"].to_numpy(copy=True)
                rows = mine[repeats]
                ids[rows] = [f"{base}#{n + 1}" for base, n in zip(ids[rows].tolist(), occurrence[repeats].tolist())]
                flags[rows] = True
                alarms = alarms.assign(event_id=pd.array(ids, dtype=alarms["event_id"].dtype), duplicate=flags)
        given = ~numbered
        if given.any():
            series = pd.Series(ids, dtype=object)
            clash = np.zeros(len(ids), dtype=bool)
            if numbered.any():
                clash |= given & series.isin(pd.unique(ids[numbered])).to_numpy()
            rows_given = np.flatnonzero(given)
            clash[rows_given] |= series.iloc[rows_given].duplicated().to_numpy()
            if clash.any():
                origins = alarms["origin"].astype(object).to_numpy()
                first = dict(zip(ids[~clash].tolist(), origins[~clash].tolist()))
                for row in np.flatnonzero(clash).tolist():
                    self.loaded -= 1
                    self.read -= 1  # counted again as the rejected record it becomes
                    self.fault(
                        str(origins[row]),
                        "event_id",
                        f"repeats the event_id {ids[row]!r} of {first.get(ids[row], 'an earlier row')}",
                        "",
                    )
                alarms = alarms[~clash].reset_index(drop=True)
        return alarms


def _occurrence(codes: np.ndarray) -> np.ndarray:
    """For each position, how many earlier positions have the same code (0 for the first)."""
    order = np.argsort(codes, kind="stable")
    ordered = codes[order]
    starts = np.ones(len(codes), dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    first_of_group = np.maximum.accumulate(np.where(starts, np.arange(len(codes)), 0))
    out = np.empty(len(codes), dtype=np.int64)
    out[order] = np.arange(len(codes)) - first_of_group
    return out


@functools.lru_cache(maxsize=1)
def _frame_dtypes() -> dict[str, Any]:
    return dict(empty_alarm_frame().dtypes)


def _conformed(frame: pd.DataFrame) -> bool:
    """Whether a frame already has the AlarmFrame's columns and dtypes exactly (conform would keep it)."""
    wanted = _frame_dtypes()
    if list(frame.columns) != list(wanted):
        return False
    for column, dtype in wanted.items():
        have = frame[column].dtype
        if isinstance(dtype, pd.CategoricalDtype) and column not in ("state", "previous_state"):
            if not isinstance(have, pd.CategoricalDtype) or have.categories.dtype != dtype.categories.dtype:
                return False
            if not have.categories.is_monotonic_increasing or frame[column].hasnans:
                return False
        elif have != dtype or (isinstance(dtype, pd.StringDtype) and frame[column].hasnans):
            return False
    return True


def _plain_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns as text, so frames with different categories join without surprises."""
    changed = {c: frame[c].astype(object) for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)}
    return frame.assign(**changed) if changed else frame


# ----------------------------------------------------------------------------- files


def plain_name(path: Path) -> str:
    """The file's name in lower case without a ``.gz`` suffix (``Events.JSONL.gz`` -> ``events.jsonl``), to tell
    formats by."""
    name = path.name.lower()
    return name[:-3] if name.endswith(".gz") else name


def _is_parquet(path: Path) -> bool:
    return plain_name(path).endswith((".parquet", ".pq"))


def _is_json_lines(path: Path) -> bool:
    """JSON Lines when named so, or when the first non-blank line is a whole JSON value and another line follows."""
    if plain_name(path).endswith((".jsonl", ".ndjson")):
        return True
    first: bytes | None = None
    for item in line_blocks(path):
        if isinstance(item, StreamFault):
            return first is not None
        for line in item.lines:
            if not line.strip():
                continue
            if first is not None:
                return True
            first = line.strip()
            try:
                decode_json(first)
            except JSONTextError:
                return False
    return False


def _read_json_file(path: Path, collector: RowCollector, expected: str | None) -> None:
    if _is_json_lines(path):
        _read_json_lines(path, collector, expected)
    else:
        _read_json_document(path, collector, expected)


def _read_json_document(path: Path, collector: RowCollector, expected: str | None) -> None:
    name = path.name
    data, problem = read_document(path)
    if problem is not None:
        collector.fault(name, "<gzip>" if is_gzip(path) and "gzip" in problem else "<file>", problem, shown(data))
        return
    if not data.strip():
        collector.ctx.note(f"{name} is empty: it has no records", 0)
        return
    if not _is_utf8_text(data):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as error:
            line = data.count(b"\n", 0, error.start) + 1
            collector.fault(
                f"{name}:{line}", "<text>", not_utf8(error, data.rfind(b"\n", 0, error.start) + 1), shown(data)
            )
            return
    try:
        document = decode_json(data)
    except JSONTextError as error:
        collector.fault(f"{name}:{error.line or 1}", "<json>", error.problem, shown(data, 10000))
        return
    for origin, record in _expand(document, name, "#"):
        collector.seq += 1
        collector.record(record, compact(record), origin, expected)


_LOOKAHEAD = 3  # blocks read column-wise ahead of the one being finished
_WORKERS = 2  # threads preparing blocks (their compiled and pyarrow parts run without the GIL)


def _read_json_lines(path: Path, collector: RowCollector, expected: str | None) -> None:
    """JSON Lines a block at a time.  A worker thread scans and parses the next blocks (the compiled
    scan, pyarrow's parser and the record ids run without the GIL) while this thread finishes the
    current one, reading its unusual lines record by record, in line order."""
    name = path.name
    columnwise = _COLUMNWISE and expected in (None, "eventbridge")
    options = (name, collector.ctx.source, collector.keep_raw, collector.chunk_size, columnwise)
    pending: deque[Future[list[_Prepared]] | StreamFault] = deque()
    empty = True
    with ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="incidentsim-lines") as worker:
        try:
            for item in line_blocks(path):
                pending.append(item if isinstance(item, StreamFault) else worker.submit(_prepare_block, item, *options))
                while len(pending) > _LOOKAHEAD:
                    empty = _finish(pending.popleft(), name, collector, expected) and empty
            while pending:
                empty = _finish(pending.popleft(), name, collector, expected) and empty
        finally:
            for job in pending:
                if isinstance(job, Future):
                    job.cancel()
    if empty:
        collector.ctx.note(f"{name} is empty: it has no records", 0)


@dataclass
class _Prepared:
    """Some lines of a block, made ready off the main thread: the rows read column-wise, and
    the lines left to read record by record."""

    scan: Lines
    first: int
    frame: pd.DataFrame | None
    slow: np.ndarray


def _prepare_block(
    block: LineBlock, name: str, source: str, keep_raw: bool, chunk_size: int, columnwise: bool
) -> list[_Prepared]:
    scan = scan_lines(block.data, MAX_DEPTH)
    return [
        _prepare_lines(
            scan, np.arange(start, min(start + chunk_size, scan.count)), block.first, name, source, keep_raw, columnwise
        )
        for start in range(0, scan.count, chunk_size)
    ]


def _prepare_lines(
    scan: Lines, lines: np.ndarray, first: int, name: str, source: str, keep_raw: bool, columnwise: bool
) -> _Prepared:
    """Read the plain EventBridge events among some scanned lines column-wise (``first`` is the
    number of the scan's line 0); the others are left, in order, for the record-by-record reader."""
    flags = scan.flags[lines]
    whole = lines[(flags & WHOLE) > 0] if columnwise else lines[:0]
    frame = None
    taken = lines[:0]
    if len(whole):
        text: memoryview | None = None
        if len(whole) == int(np.count_nonzero(flags != BLANK)):  # every line is a candidate: read the text as it is
            text = memoryview(scan.data)[scan.starts[whole[0]] : scan.ends[whole[-1]]]
        if not _is_utf8_text(text if text is not None else scan.gather(whole)[0]):
            # some lines are not UTF-8: they are rejected record by record
            whole = whole[[_is_utf8(scan.text(i)) for i in whole.tolist()]]
            text = None
        if len(whole):
            fast, _ = eventbridge_block(scan, whole, source, text)
            if len(fast.positions):
                frame = _columnwise_frame(fast, scan, first, name, keep_raw)
                taken = fast.positions
    slow = np.setdiff1d(lines[flags != BLANK], taken, assume_unique=True) if len(taken) else lines[flags != BLANK]
    return _Prepared(scan, first, frame, slow)


def _finish(
    job: Future[list[_Prepared]] | StreamFault, name: str, collector: RowCollector, expected: str | None
) -> bool:
    """Account for a prepared block (or a line that could not be read); True when it was all blank."""
    if isinstance(job, StreamFault):
        collector.seq = job.line
        collector.fault(f"{name}:{job.line}", job.field, job.problem, job.raw)
        return False
    empty = True
    for part in job.result():
        if not len(part.slow) and part.frame is None:
            continue
        empty = False
        collector.holding = True
        try:
            for i in part.slow.tolist():
                collector.seq = part.first + i
                _read_line(part.scan.text(i), f"{name}:{part.first + i}", collector, expected)
            if part.frame is not None:
                collector.read += len(part.frame)
                collector.loaded += len(part.frame)
            collector.flush(part.frame)
        finally:
            collector.holding = False
    return empty


def _is_utf8_text(data: Any) -> bool:
    """Whether bytes are UTF-8 text (checked by Arrow, without decoding them into Python)."""
    size = len(data) if not isinstance(data, np.ndarray) else data.nbytes
    offsets = pa.py_buffer(np.array([0, size], dtype=np.int64))
    try:
        pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)]).cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def _is_utf8(text: bytes) -> bool:
    try:
        text.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _read_line(data: bytes, origin: str, collector: RowCollector, expected: str | None) -> None:
    """One line of JSON Lines, record by record: it is rejected whole, or its records are read."""
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError as error:
        collector.fault(origin, "<text>", not_utf8(error), shown(data))
        return
    if not text:  # a line of other Unicode white space
        return
    try:
        record = decode_json(text)
    except JSONTextError as error:
        collector.fault(origin, "<json>", error.problem, text)
        return
    for sub_origin, sub in _expand(record, origin, ":"):
        collector.record(sub, text if sub is record else compact(sub), sub_origin, expected)


def _columnwise_frame(rows: FastRows, scan: Lines, first: int, name: str, keep_raw: bool) -> pd.DataFrame:
    """The AlarmFrame rows of the lines read column-wise, with their ids, records and origins."""
    positions = rows.positions
    frame = pd.DataFrame(rows.columns)
    frame["event_id"] = _strings(line_ids(scan, positions))
    if keep_raw:
        buffer, offsets = scan.gather(positions)
        frame["raw"] = _strings(
            pa.Array.from_buffers(
                pa.large_string(), len(positions), [None, pa.py_buffer(offsets), pa.py_buffer(buffer)]
            )
        )
    else:
        frame["raw"] = _blank_strings(len(positions))
    numbers = positions + first
    frame["origin"] = _strings(_numbered(f"{name}:", numbers))
    frame[_SEQ] = numbers
    return frame


def _strings(values: pa.Array | pa.ChunkedArray) -> pd.Series:
    """Arrow text as a pandas string column (large_string, as pandas keeps its own)."""
    if values.type != pa.large_string():
        values = values.cast(pa.large_string())
    if isinstance(values, pa.Array):
        values = pa.chunked_array([values], type=values.type)
    return pd.Series(pd.arrays.ArrowStringArray(values))


def _blank_strings(count: int) -> pd.Series:
    offsets = pa.py_buffer(np.zeros(count + 1, dtype=np.int32).tobytes())
    return _strings(pa.Array.from_buffers(pa.string(), count, [None, offsets, pa.py_buffer(b"")]))


def _take_text(parts: Sequence[pa.Array | pa.ChunkedArray], rows: np.ndarray) -> pa.Array:
    """``rows`` of the text arrays ``parts`` read as one, as Arrow text (copied in one compiled
    pass rather than by Arrow's take, which is slow across many chunks)."""
    chunks = [
        c.cast(pa.large_string())
        for part in parts
        for c in (part.chunks if isinstance(part, pa.ChunkedArray) else [part])
    ]
    whole = pa.chunked_array(chunks, type=pa.large_string()).combine_chunks()
    data, offsets = text_spans(whole)
    buffer, out_offsets = gather_spans(data, offsets[rows], offsets[rows + 1])
    return pa.Array.from_buffers(pa.large_string(), len(rows), [None, pa.py_buffer(out_offsets), pa.py_buffer(buffer)])


def _numbered(prefix: str, numbers: np.ndarray) -> pa.Array:
    """``prefix`` followed by each number, as Arrow text."""
    text = pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string())
    return pc.binary_join_element_wise(prefix, text, "")


def _expand(document: Any, origin: str, sep: str) -> Iterator[tuple[str, Any]]:
    """The records inside a JSON document: arrays (at any depth), history pages, Lambda SNS events."""
    stack: list[Iterator[tuple[str, Any, str]]] = [iter([(origin, document, sep)])]
    while stack:
        try:
            where, value, separator = next(stack[-1])
        except StopIteration:
            stack.pop()
            continue
        if isinstance(value, list):
            stack.append(_items(value, where, separator))
        elif isinstance(value, dict) and isinstance(value.get("AlarmHistoryItems"), list):
            for index, item in enumerate(value["AlarmHistoryItems"]):
                yield f"{where}:AlarmHistoryItems[{index}]", item
        elif isinstance(value, dict) and isinstance(value.get("Records"), list):
            for index, item in enumerate(value["Records"]):
                yield f"{where}:Records[{index}]", item
        else:
            yield where, value


def _items(values: list[Any], where: str, separator: str) -> Iterator[tuple[str, Any, str]]:
    for index, item in enumerate(values):
        yield (f"{where}{separator}{index}" if separator == "#" else f"{where}[{index}]"), item, "["


def _is_table(path: Path) -> bool:
    return plain_name(path).endswith((".csv", ".tsv", ".txt", ".parquet", ".pq"))


# ----------------------------------------------------------------------------- tables


@dataclass
class _Chunk:
    """Rows of a table: the values (text for CSV, typed for Parquet) and each row's origin."""

    frame: pd.DataFrame
    origins: pd.Series


class _Table:
    """A table file or DataFrame read in chunks; problems with the file itself go to the collector.

    ``header`` is None when the table is empty or its header could not be read.
    """

    def __init__(self, header: list[str] | None, chunks: Iterator[_Chunk], label: str):
        self.header = header
        self.chunks = chunks
        self.label = label


def _open_table(path: Path, collector: RowCollector) -> _Table:
    if _is_parquet(path):
        return _parquet_table(path, collector)
    separator = "\t" if plain_name(path).endswith(".tsv") else ","
    reader = _csv_rows(path, separator, collector)
    header = next(reader)
    return _Table(header, reader, path.name)  # type: ignore[arg-type]


def _dataframe_table(frame: pd.DataFrame) -> _Table:
    frame = frame.reset_index(drop=True)
    frame.columns = _unique_names([str(c) for c in frame.columns])
    origins = _strings(_numbered("dataframe#", np.arange(len(frame))))
    return _Table(list(frame.columns), iter([_Chunk(frame, origins)] if len(frame) else []), "dataframe")


def _unique_names(names: list[str]) -> list[str]:
    """Column names made unique as pandas makes them (``a``, ``a.1``); blank ones ``Unnamed: <i>``."""
    seen: Counter[str] = Counter()
    out = []
    for index, name in enumerate(names):
        name = name if name.strip() else f"Unnamed: {index}"
        candidate = name
        while candidate in seen:
            candidate = f"{name}.{seen[name]}"
            seen[name] += 1
        seen[candidate] += 1
        out.append(candidate)
    return out


def _parquet_table(path: Path, collector: RowCollector) -> _Table:
    import pyarrow.parquet as pq

    label = path.name
    source: Any = path
    if is_gzip(path):
        data, problem = read_document(path)
        if problem is not None:
            collector.fault(label, "<gzip>" if "gzip" in problem else "<file>", problem, "")
            return _Table(None, iter([]), label)
        source = pa.BufferReader(data)
    if path.stat().st_size == 0 or (source is not path and source.size() == 0):
        collector.ctx.note(f"{label} is empty: it has no records", 0)
        return _Table(None, iter([]), label)
    try:
        parquet = pq.ParquetFile(source)
        header = list(parquet.schema_arrow.names)
    except (pa.ArrowException, OSError, ValueError) as error:
        collector.fault(label, "<parquet>", f"is not a readable Parquet file ({_one_line(error)})", "")
        return _Table(None, iter([]), label)
    names = _unique_names(header)

    def chunks() -> Iterator[_Chunk]:
        start = 0
        batches = parquet.iter_batches(batch_size=collector.chunk_size)
        while True:
            try:
                batch = next(batches, None)
                if batch is None:
                    return
                frame = _batch_frame(batch)
            except (pa.ArrowException, OSError, ValueError) as error:
                collector.fault(
                    f"{label}#{start}",
                    "<parquet>",
                    f"the rows from #{start} on could not be read ({_one_line(error)})",
                    "",
                )
                return
            frame.columns = names
            yield _Chunk(frame, _strings(_numbered(f"{label}#", np.arange(start, start + len(frame)))))
            start += len(frame)

    return _Table(names, chunks(), label)


def _batch_frame(batch: pa.RecordBatch) -> pd.DataFrame:
    """A Parquet batch as a DataFrame; pandas' own description of the columns, kept in the file, is
    used when it can be, and ignored when it is damaged (the columns are read from Arrow's types)."""
    try:
        return batch.to_pandas()
    except Exception:  # noqa: BLE001 - any failure of the stored pandas description, whatever it raises
        return batch.to_pandas(ignore_metadata=True)


def _one_line(error: BaseException) -> str:
    return shorten(" ".join(str(error).split()), 300)


def _csv_rows(path: Path, separator: str, collector: RowCollector) -> Iterator[list[str] | None | _Chunk]:
    """First the header (None for an empty file or an unreadable header), then chunks of rows.

    Rows are split at line ends outside quotes; a row that is not UTF-8, has another number
    of fields than the header, or opens a quote it never closes, is rejected at its line.
    """
    label = path.name
    header: list[str] | None = None
    opened: tuple[int, list[bytes]] | None = None  # a quoted field running over lines: (first line, lines)
    started = False
    quote = b'"'
    for item in line_blocks(path):
        if isinstance(item, StreamFault):
            if opened is not None:
                collector.fault(
                    f"{label}:{opened[0]}",
                    "<row>",
                    "a quoted field here runs into a line that could not be read",
                    shown(b"\n".join(opened[1])),
                )
                opened = None
            if header is None and not started:
                yield None
                started = True
            collector.fault(f"{label}:{item.line}", item.field, item.problem, item.raw)
            continue
        scan = scan_lines(item.data, MAX_DEPTH)
        item.count = scan.count
        for start in range(0, scan.count, collector.chunk_size):
            lines = np.arange(start, min(start + collector.chunk_size, scan.count))
            flags = scan.flags[lines]
            numbers: list[int] | np.ndarray
            records: list[bytes] | pa.Array
            if opened is None and not (flags & QUOTE).any():
                # no quotes: a line is a row, split column-wise
                rows = lines[flags != BLANK]
                numbers = rows + item.first
                buffer, offsets = scan.gather(rows, stripped=False)
                records = pa.Array.from_buffers(
                    pa.large_binary(), len(rows), [None, pa.py_buffer(offsets), pa.py_buffer(buffer)]
                )
            else:
                numbers, records = [], []
                for index in lines.tolist():
                    line = bytes(scan.data[scan.raw_starts[index] : scan.raw_ends[index]])
                    if opened is not None:
                        opened[1].append(line)
                        if line.count(quote) % 2:
                            numbers.append(opened[0])
                            records.append(b"\n".join(opened[1]))
                            opened = None
                        elif sum(map(len, opened[1])) > textfiles.MAX_LINE_BYTES:
                            collector.fault(
                                f"{label}:{opened[0]}",
                                "<row>",
                                "a quoted field opened here is not closed",
                                shown(b"\n".join(opened[1])),
                            )
                            opened = None
                    elif line.count(quote) % 2:
                        opened = (item.first + index, [line])
                    elif scan.flags[index] != BLANK:
                        numbers.append(item.first + index)
                        records.append(line)
            if header is None and len(records):
                header_text = records[0].as_py() if isinstance(records, pa.Array) else records[0]
                header_line = int(numbers[0])
                records, numbers = records[1:], numbers[1:]
                try:
                    header = _unique_names(_split_quoted(header_text.decode("utf-8"), separator))
                except UnicodeDecodeError as error:
                    collector.fault(
                        f"{label}:{header_line}",
                        "<header>",
                        f"the header {not_utf8(error)}; no row can be read",
                        shown(header_text),
                    )
                    if not started:
                        yield None
                    return
                except csv.Error as error:
                    collector.fault(
                        f"{label}:{header_line}",
                        "<header>",
                        f"the header cannot be read ({error}); no row can be read",
                        shown(header_text),
                    )
                    if not started:
                        yield None
                    return
                yield header
                started = True
            if header is not None and len(records):
                chunk = _csv_chunk(records, np.asarray(numbers, dtype=np.int64), header, separator, label, collector)
                if chunk is not None:
                    yield chunk
    if opened is not None:
        collector.fault(
            f"{label}:{opened[0]}",
            "<row>",
            "a quoted field opened here is not closed before the end of the file",
            shown(b"\n".join(opened[1])),
        )
        if header is None and not started:
            yield None
            return
    if header is None and not started:
        collector.ctx.note(f"{label} is empty: it has no records", 0)
        yield None


def _split_quoted(text: str, separator: str) -> list[str]:
    return next(csv.reader([text], delimiter=separator, strict=True), [])


def _csv_chunk(
    records: list[bytes] | pa.Array,
    numbers: np.ndarray,
    header: list[str],
    separator: str,
    label: str,
    collector: RowCollector,
) -> _Chunk | None:
    """Split rows into fields; reject the rows that are not UTF-8 or have the wrong number of fields."""
    width = len(header)
    problems: dict[int, tuple[str, str, str]] = {}  # row -> (field, problem, raw), reported in row order
    binary = records if isinstance(records, pa.Array) else pa.array(records, type=pa.large_binary())
    try:
        text = binary.cast(pa.large_string())
    except pa.ArrowInvalid:
        decodable = []
        for index, record in enumerate(binary.to_pylist()):
            try:
                record.decode("utf-8")
            except UnicodeDecodeError as error:
                problems[index] = ("<text>", not_utf8(error), shown(record))
                decodable.append(b"")
            else:
                decodable.append(record)
        text = pa.array(decodable, type=pa.large_binary()).cast(pa.large_string())
    good = np.ones(len(records), dtype=bool)
    good[list(problems)] = False
    if _fill_false(pc.match_substring(text, '"')).any():
        fields: list[list[str]] = []
        for index, value in enumerate(text.to_pylist()):
            try:
                fields.append(_split_quoted(value, separator) if '"' in value else value.split(separator))
            except csv.Error as error:
                fields.append([])
                problems.setdefault(index, ("<row>", f"cannot be read as CSV ({error})", shorten(value, 10000)))
        counts = np.array([len(f) for f in fields], dtype=np.int64)
        good &= counts == width
        kept = [f for f, g in zip(fields, good) if g]
        columns = {
            name: _strings(pa.array([f[j] for f in kept], type=pa.large_string())) for j, name in enumerate(header)
        }
    else:
        parts = pc.split_pattern(text, separator)
        counts = pc.list_value_length(parts).to_numpy(zero_copy_only=False).astype(np.int64)
        good &= counts == width
        flat = pc.list_flatten(parts.filter(pa.array(good)))
        columns = {name: _strings(flat.take(pa.array(np.arange(j, len(flat), width)))) for j, name in enumerate(header)}
    for index in np.flatnonzero(~good).tolist():
        if index not in problems:
            problems[index] = (
                "<row>",
                f"has {counts[index]} fields; the header has {width}",
                shorten(text[index].as_py(), 10000),
            )
    for index in sorted(problems):
        field, problem, raw = problems[index]
        collector.fault(f"{label}:{numbers[index]}", field, problem, raw)
    if not good.any():
        return None
    return _Chunk(pd.DataFrame(columns), _strings(_numbered(f"{label}:", numbers[good])))


def _fill_false(mask: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


_PLAIN_JSON_TEXT = r"^[ !#-\[\]-~]*$"  # printable ASCII without quote or backslash: JSON text as it is


def _json_texts(values: pd.Series) -> pa.Array:
    """Each value as JSON text, as ``json.dumps`` writes it (numbers, text, null)."""
    array = _arrow_text(values)
    if array is not None:
        out = pc.binary_join_element_wise('"', array, '"', "")
        if _all_plain(array):
            return out
        plain = _fill_false(pc.match_substring_regex(array, _PLAIN_JSON_TEXT))
        others = np.flatnonzero(~plain)
        texts = out.to_numpy(zero_copy_only=False).astype(object)
        texts[others] = [compact(v) for v in array.take(pa.array(others)).to_pylist()]
        return pa.array(texts, type=pa.string())
    return pa.array([compact(_plain_value(v)) for v in values.tolist()], type=pa.string())


_NOT_PLAIN = np.ones(256, dtype=bool)
_NOT_PLAIN[[c for c in range(0x20, 0x7F) if c not in b'"\\']] = False


def _all_plain(array: pa.Array) -> bool:
    """True when no value has a byte JSON would escape (a quote, a backslash, a control or
    non-ASCII byte): one look at the array's text bytes."""
    if array.null_count:
        return False
    text = array.cast(pa.large_string())
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)[text.offset : text.offset + len(text) + 1]
    data = text.buffers()[2]
    if data is None or offsets[-1] == offsets[0]:
        return True
    return not _NOT_PLAIN[np.frombuffer(data, dtype=np.uint8)[offsets[0] : offsets[-1]]].any()


def _arrow_text(values: pd.Series) -> pa.Array | None:
    """A column of text without missing values as one Arrow array, or None."""
    if not isinstance(values.dtype, pd.StringDtype) or values.hasnans:
        return None
    array = pa.array(values.array)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.cast(pa.string())


def _plain_value(value: Any) -> Any:
    """A cell as a JSON-ready Python value (numpy scalars and arrays, missing values)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return [_plain_value(v) for v in value.tolist()]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="backslashreplace")
    return value


def _row_json(frame: pd.DataFrame) -> pa.Array:
    """Each row as compact JSON with sorted keys (what ``compact(row_dict)`` gives), built column-wise."""
    if not len(frame):
        return pa.array([], type=pa.string())
    names = sorted(frame.columns, key=str)
    parts: list[Any] = ["{"]
    for index, name in enumerate(names):
        parts.append(("," if index else "") + compact(str(name)) + ":")
        parts.append(_json_texts(frame[name]))
    parts.append("}")
    return pc.binary_join_element_wise(*parts, "")


def _sorted_codes(values: pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    """Integer codes of text values, numbered in sorted order of the distinct values, and those values."""
    encoded = (
        pc.dictionary_encode(values).combine_chunks()
        if values.num_chunks > 1
        else pc.dictionary_encode(values.chunk(0))
    )
    if isinstance(encoded, pa.ChunkedArray):  # pragma: no cover - depends on the pyarrow version
        encoded = encoded.combine_chunks()
    dictionary = encoded.dictionary.to_pylist()
    order = np.argsort(np.array(dictionary, dtype=object), kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    codes = rank[encoded.indices.to_numpy(zero_copy_only=False)]
    return codes, [dictionary[i] for i in order]


def _text(values: pd.Series) -> pd.Series:
    """A column as Arrow text (missing values as "")."""
    if isinstance(values.dtype, pd.StringDtype) and not values.hasnans:
        return values.astype("string[pyarrow]")
    return pd.Series(
        [
            ("" if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else str(_plain_value(v)))
            for v in values.tolist()
        ],
        dtype="string[pyarrow]",
        index=values.index,
    )


def _times(
    values: pd.Series, field: str, time_origin: pd.Timestamp | None, problems: dict[int, tuple[str, str]]
) -> tuple[np.ndarray, np.ndarray]:
    """Parse a column of timestamps to int64 nanoseconds since the epoch, column-wise where it can,
    and say which cells were plain numbers; a bad cell leaves NaT and a problem for its row (the
    first problem of a row is kept)."""
    text = _text(values)
    numbers = _numbers(text)
    nat = np.iinfo(np.int64).min
    out = np.full(len(numbers), nat, dtype=np.int64)
    if time_origin is not None:
        nanos = np.round(np.where(np.isfinite(numbers) & (np.abs(numbers) < 1e10), numbers, 0.0) * 1e9)
        stamps = time_origin.value + nanos
        usable = np.isfinite(numbers) & (np.abs(numbers) < 1e10) & (stamps >= _EARLIEST_NS) & (stamps <= _LATEST_NS)
        out[usable] = time_origin.value + nanos[usable].astype(np.int64)
        for position in np.flatnonzero(~usable).tolist():
            value = shorten(text.iloc[position])
            problem = "is out of range" if np.isfinite(numbers[position]) else "expected seconds after the time origin"
            problems.setdefault(position, (field, f"{problem}, got {value!r}"))
        return out, np.isfinite(numbers)
    # whole epoch seconds or milliseconds, as parse_time reads them, without a Python call each
    size = np.abs(np.where(np.isfinite(numbers), numbers, 0.0))
    whole = np.isfinite(numbers) & (numbers == np.floor(numbers))
    # in nanoseconds these fit in 64 bits; larger numbers are read one by one (and refused)
    seconds = whole & (size <= EPOCH_MS_THRESHOLD) & (size < 9.2e9)
    milliseconds = whole & (size > EPOCH_MS_THRESHOLD) & (size < 9.2e12)
    nanos = np.zeros(len(numbers), dtype=np.int64)
    nanos[seconds] = numbers[seconds].astype(np.int64) * 1_000_000_000
    nanos[milliseconds] = numbers[milliseconds].astype(np.int64) * 1_000_000
    exact = (seconds | milliseconds) & (nanos >= _EARLIEST_NS) & (nanos <= _LATEST_NS)
    out[exact] = nanos[exact]
    values_list = text.tolist()
    for position in np.flatnonzero(~exact).tolist():
        try:
            out[position] = pd.Timestamp(parse_time(values_list[position], field)).value
        except BadRecord as error:
            problems.setdefault(position, (field, error.problem))
    return out, np.isfinite(numbers)


def _numbers(text: pd.Series) -> np.ndarray:
    """Each text as a number (NaN where it is none), as ``pandas.to_numeric`` reads it."""
    array = _arrow_text(text)
    if array is not None:
        try:  # plain decimal numbers, read by Arrow without a Python call each
            if not _fill_false(pc.match_substring_regex(array, r"^-?\d+(\.\d*)?$")).all():
                raise ValueError("not every value is a plain decimal number")
            return np.asarray(pc.cast(array, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
        except (pa.ArrowInvalid, ValueError):
            pass
    return pd.to_numeric(text.where(text.str.strip() != ""), errors="coerce").to_numpy(dtype=float, na_value=np.nan)


_EARLIEST_NS = pd.Timestamp(EARLIEST).value
_LATEST_NS = pd.Timestamp(LATEST).value


def _read_intervals(
    table: _Table,
    collector: RowCollector,
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
        unknown = _template_fields(name_template) - set(id_columns)
        if unknown:
            raise parameter_error(
                "name_template",
                "load_alarms",
                f"be a template of the id_columns ({', '.join(id_columns)}); "
                f"it uses {sorted(unknown)}, which are not among id_columns",
                shown_value(name_template),
            )
    label = table.label
    names_parts: list[pd.Series] = []
    starts_parts: list[np.ndarray] = []
    ends_parts: list[np.ndarray] = []
    raws_parts: list[pa.Array] = []
    ids_parts: list[np.ndarray] = []
    origins_parts: list[pd.Series] = []
    numeric_count = 0  # loaded rows whose start is a plain number
    for chunk in table.chunks:
        frame = chunk.frame
        collector.read += len(frame)
        for option, column in [
            *(("id_columns", c) for c in id_columns),
            ("start_column", start_column),
            ("end_column", end_column),
        ]:
            if column not in frame.columns:
                collector.read -= len(frame)
                problem = f"no such column; the table has {', '.join(map(str, frame.columns))}"
                for origin in chunk.origins.tolist():
                    collector.fault(origin, column, problem, "", option)
                frame = frame.iloc[:0]
                break
        if not len(frame):
            continue
        raws = _row_json(frame)
        ids = [_text(frame[c]) for c in id_columns]
        problems: dict[int, tuple[str, str]] = {}
        for column, series in zip(id_columns, ids):
            for blank in np.flatnonzero((series.str.strip() == "").to_numpy()).tolist():
                problems.setdefault(blank, (column, "is empty; it names the alarm"))
        starts, numeric = _times(frame[start_column], start_column, time_origin, problems)
        ends, _ = _times(frame[end_column], end_column, time_origin, problems)
        nat = np.iinfo(np.int64).min
        for backwards in np.flatnonzero((ends < starts) & (ends != nat) & (starts != nat)).tolist():
            problems.setdefault(
                backwards,
                (
                    end_column,
                    f"ends before it starts ({pd.Timestamp(ends[backwards], tz='UTC')} < "
                    f"{pd.Timestamp(starts[backwards], tz='UTC')})",
                ),
            )
        if problems:
            raw_texts = raws.take(pa.array(sorted(problems))).to_pylist()
            origins = chunk.origins.tolist()
            for (row_number, (column, problem)), raw in zip(sorted(problems.items()), raw_texts):
                collector.reject(origins[row_number], column, problem, raw)
        good = np.ones(len(frame), dtype=bool)
        good[list(problems)] = False
        if name_template:
            names = pd.Series(
                [name_template.format(**dict(zip(id_columns, values))) for values in zip(*(i.tolist() for i in ids))],
                dtype="string[pyarrow]",
            )
        else:
            names = f"{id_columns[0]}-" + ids[0].reset_index(drop=True)
            for column, series in zip(id_columns[1:], ids[1:]):
                names = names + f"_{column}-" + series.reset_index(drop=True)
        if not good.all():
            raws = raws.take(pa.array(np.flatnonzero(good)))
        names_parts.append(names[good].reset_index(drop=True))
        starts_parts.append(starts[good])
        ends_parts.append(ends[good])
        ids_parts.append(text_id_chars(raws))
        raws_parts.append(raws.cast(pa.large_string()) if collector.keep_raw else pa.array([], type=pa.large_string()))
        origins_parts.append(chunk.origins[good].reset_index(drop=True))
        collector.loaded += int(good.sum())
        numeric_count += int((numeric & good).sum())
    total = sum(len(s) for s in starts_parts)
    if not total:
        return
    account_id = collector.ctx.default_account("interval tables carry no account", total)
    region = collector.ctx.default_region("interval tables carry no Region", total)
    if time_origin is not None:
        collector.ctx.notes[f"{label}: times are seconds after {time_origin.isoformat()} (time_origin)"] += total
    elif numeric_count:
        collector.ctx.notes[
            f"{label}: times are plain numbers, taken as seconds since 1970-01-01 (milliseconds above 1e11) "
            "as no time origin was given; if they are relative, set time_origin= or --time-origin"
        ] += numeric_count
    name_codes, name_values = _sorted_codes(
        pa.chunked_array([pa.array(part.array) for part in names_parts], type=pa.large_string())
    )
    del names_parts
    starts = np.concatenate(starts_parts)
    ends = np.concatenate(ends_parts)
    del starts_parts, ends_parts
    # two events per occurrence: the starts, then the ends, each in read order
    count = len(starts)
    times = np.concatenate([starts, ends])
    codes = np.concatenate([name_codes, name_codes]).astype(np.min_scalar_type(max(len(name_values) - 1, 0)))
    del starts, ends
    # the AlarmFrame's order: by time; ties by alarm, start before end, read order (stable sorts
    # of the (kind, read order) above: by alarm, then by time)
    by_alarm = np.argsort(codes, kind="stable")
    final = by_alarm[np.argsort(times[by_alarm], kind="stable")]
    del by_alarm
    codes, times = codes[final], times[final]
    ends_now = final >= count
    kind = ends_now.astype(np.int8)
    occurrence = np.where(ends_now, final - count, final)
    del ends_now
    del final
    # each alarm's state follows the count of its open occurrences, taken in its own time order
    per_alarm = np.argsort(codes, kind="stable")
    alarm_codes = codes[per_alarm]
    running = np.cumsum(1 - 2 * kind[per_alarm].astype(np.int64))
    new_group = np.ones(len(alarm_codes), dtype=bool)
    new_group[1:] = alarm_codes[1:] != alarm_codes[:-1]
    group_start = np.maximum.accumulate(np.where(new_group, np.arange(len(alarm_codes)), 0))
    open_count = running - np.where(group_start > 0, running[group_start - 1], 0)
    in_alarm = (open_count > 0).astype(np.int8)  # ALARM or OK, codes of STATES
    before = np.zeros(len(in_alarm), dtype=np.int8)
    before[1:] = in_alarm[:-1]
    before[new_group] = 0
    state = np.empty_like(in_alarm)
    previous = np.empty_like(before)
    state[per_alarm] = in_alarm
    previous[per_alarm] = before
    del per_alarm, alarm_codes, running, new_group, group_start, open_count, in_alarm, before
    suffixes = pa.array([":start", ":end"], type=pa.large_string()).take(pa.array(kind))
    event_ids = pc.binary_join_element_wise(
        id_text(np.concatenate(ids_parts)[occurrence]), suffixes, pa.scalar("", pa.large_string())
    )
    del ids_parts, suffixes
    origins_all = _take_text([pa.array(part.array) for part in origins_parts], occurrence)
    del origins_parts
    arn_prefix = alarm_arn(account_id, region, "")
    categories = pd.Index(name_values, dtype=TEXT)
    reasons = pa.array(["Alarm occurrence started", "Alarm occurrence ended"], type=pa.large_string()).take(
        pa.array(kind)
    )
    frame = pd.DataFrame(
        {
            "event_id": _strings(event_ids),
            "timestamp": pd.DatetimeIndex(times.view("datetime64[ns]")).tz_localize("UTC"),
            "account_id": _constant(account_id, len(codes)),
            "region": _constant(region, len(codes)),
            "alarm_name": pd.Categorical.from_codes(codes, categories=categories),
            "alarm_arn": pd.Categorical.from_codes(
                codes, categories=pd.Index([arn_prefix + n for n in name_values], dtype=TEXT)
            ),
            "state": pd.Categorical.from_codes(state, categories=list(STATES)),
            "previous_state": pd.Categorical.from_codes(previous, categories=list(STATES)),
            "reason": _strings(reasons),
            "source": _constant(collector.ctx.source, len(codes)),
            "namespace": _constant("", len(codes)),
            "metric_name": _constant("", len(codes)),
            "dimensions": _constant("{}", len(codes)),
            "actions_suppressed_by": _constant("", len(codes)),
            "duplicate": np.zeros(len(codes), dtype=bool),
            "raw": _strings(_take_text(raws_parts, occurrence)) if collector.keep_raw else _blank_strings(len(codes)),
            "origin": _strings(origins_all),
        }
    )
    collector.add_frame(frame)


def _constant(value: str, count: int) -> pd.Categorical:
    return pd.Categorical.from_codes(
        np.zeros(count, dtype=np.int8), categories=pd.Index([value], dtype=TEXT), validate=False
    )


TABLE_FIELDS = (
    "timestamp",
    "alarm_name",
    "state",
    "previous_state",
    "account_id",
    "region",
    "alarm_arn",
    "reason",
    "namespace",
    "metric_name",
    "dimensions",
)


def _read_generic_table(
    table: _Table,
    collector: RowCollector,
    *,
    columns: Mapping[str, str],
    state_map: Mapping[str, str],
    name_template: str | None,
) -> None:
    """A flat export from another alerting tool: one row per state change, mapped by ``columns``
    (and its alarms named by ``name_template`` if given)."""
    states = {str(k).upper(): v for k, v in state_map.items()}
    last_state: dict[str, str] = {}
    for chunk in table.chunks:
        frame = chunk.frame
        origins = chunk.origins.tolist()
        collector.read += len(frame)
        raws = _row_json(frame).to_pylist()
        rows: list[Row] = []
        for position, record in enumerate(frame.to_dict(orient="records")):
            origin = origins[position]
            try:
                rows.append(_table_row(record, columns, states, name_template, collector.ctx, last_state))
            except BadRecord as bad:
                collector.reject(origin, bad.field, bad.problem, raws[position], bad.hint)
                continue
            rows[-1].update(
                event_id=record_id(raws[position]), raw=raws[position] if collector.keep_raw else "", origin=origin
            )
            collector.loaded += 1
        if rows:
            collector.add_frame(pd.DataFrame.from_records(rows, columns=_ROW_COLUMNS))


def _table_row(
    record: Mapping[str, Any],
    columns: Mapping[str, str],
    states: Mapping[str, str],
    name_template: str | None,
    ctx: ParseContext,
    last_state: dict[str, str],
) -> Row:
    def text(column: str) -> str:
        value = _plain_value(record[column])
        return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)

    def cell(name: str, required: bool = False) -> str:
        source = columns.get(name, name)
        if source not in record:
            if required:
                raise BadRecord(source, "no such column", f"columns.{name}")
            return ""
        return text(source)

    def state_of(name: str, value: str) -> str:
        mapped = states.get(value.upper(), value.upper())
        if mapped not in STATES:
            known = ", ".join(sorted({*STATES, *states}))
            hint = f"state_map.{shorten(value)}" if value.strip() else ""
            raise BadRecord(columns.get(name, name), f"expected one of {known}, got {shorten(value)!r}", hint)
        return mapped

    if name_template:
        fields = _template_fields(name_template)
        missing = sorted(fields - set(record))
        if missing:
            raise BadRecord(missing[0], f"no such column; name_template {name_template!r} uses it")
        name = name_template.format(**{column: text(column) for column in fields})
        if not name.strip():
            raise BadRecord("alarm_name", f"is empty (name_template {name_template!r})")
    else:
        name = cell("alarm_name", required=True)
        if not name.strip():
            raise BadRecord(columns.get("alarm_name", "alarm_name"), "is empty")
    new = state_of("state", cell("state", required=True))
    previous_text = cell("previous_state")
    account = cell("account_id") or ctx.default_account("the table has no account column")
    if not is_account_id(account):
        raise BadRecord(
            columns.get("account_id", "account_id"), f"expected a 12-digit account, got {shorten(account)!r}"
        )
    reg = cell("region") or ctx.default_region("the table has no Region column")
    code = region_code(reg)
    if code is None:
        raise BadRecord(
            columns.get("region", "region"), f"expected an AWS Region such as us-east-1, got {shorten(reg)!r}"
        )
    given_arn = cell("alarm_arn")
    arn = given_arn if given_arn.strip() else alarm_arn(account, code, name)
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


def _read_alarm_frame_table(table: _Table, collector: RowCollector) -> None:
    """A table already in the canonical schema: each row is checked, and the bad ones rejected."""
    seen: dict[str, str] = {}
    for chunk in table.chunks:
        frame = chunk.frame.reset_index(drop=True)
        origins = chunk.origins.tolist()
        collector.read += len(frame)
        problems = _alarm_frame_problems(frame, seen, origins)
        if problems:
            raws = _row_json(frame.iloc[sorted(problems)]).to_pylist()
            for (row, (column, problem)), raw in zip(sorted(problems.items()), raws):
                collector.reject(origins[row], column, problem, raw)
        good = np.ones(len(frame), dtype=bool)
        good[list(problems)] = False
        frame = frame[good]
        if "duplicate" in frame.columns:
            frame = frame.assign(duplicate=_flags(frame["duplicate"]))
        if not len(frame):
            continue
        try:
            frame = validate_alarm_frame(frame, sort=False)
        except AlarmFrameError as error:  # pragma: no cover - the checks above are validate_alarm_frame's
            for origin in chunk.origins[good].tolist():
                collector.reject(origin, "<table>", str(error), "")
            continue
        collector.loaded += len(frame)
        collector.add_frame(frame, numbered=False)


_TRUE = {"true": True, "1": True, "false": False, "0": False, "": False}


def _flags(values: pd.Series) -> pd.Series:
    if values.dtype == bool:
        return values
    return values.map(
        lambda v: v if isinstance(v, (bool, np.bool_)) else _TRUE.get(str(v).strip().lower(), False)
    ).astype(bool)


def _alarm_frame_problems(frame: pd.DataFrame, seen: dict[str, str], origins: list[str]) -> dict[int, tuple[str, str]]:
    """The rows ``validate_alarm_frame`` would refuse, each with its first problem."""
    problems: dict[int, tuple[str, str]] = {}
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        problem = f"the table has no column(s) {', '.join(missing)}; an AlarmFrame needs {', '.join(REQUIRED_COLUMNS)}"
        return {row: ("<table>", problem) for row in range(len(frame))}
    stamps = frame["timestamp"]
    if not isinstance(stamps.dtype, pd.DatetimeTZDtype) and not pd.api.types.is_datetime64_dtype(stamps.dtype):
        text = _text(stamps)
        parsed = pd.to_datetime(text.where(text.str.strip() != ""), utc=True, format="mixed", errors="coerce")
        for row in np.flatnonzero(parsed.isna().to_numpy()).tolist():
            problems.setdefault(row, ("timestamp", f"expected a timestamp, got {shorten(text.iloc[row])!r}"))
    else:
        parsed = pd.to_datetime(stamps, utc=True)
        for row in np.flatnonzero(stamps.isna().to_numpy()).tolist():
            problems.setdefault(row, ("timestamp", "is empty"))
    outside = parsed.notna() & ((parsed < EARLIEST) | (parsed > LATEST))
    for row in np.flatnonzero(outside.to_numpy()).tolist():
        problems.setdefault(row, ("timestamp", f"timestamp {parsed.iloc[row]} is outside 1677-09-22 .. 2262-04-11"))
    for column in ("state", "previous_state"):
        values = frame[column].astype(object)
        for row in np.flatnonzero(~values.isin(STATES).to_numpy()).tolist():
            problems.setdefault(
                row, (column, f"expected one of {', '.join(STATES)}, got {shorten(str(values.iloc[row]))!r}")
            )
    for column in ("event_id", "alarm_name", "alarm_arn", "account_id", "region", "source"):
        text = _text(frame[column])
        for row in np.flatnonzero((text.str.strip() == "").to_numpy()).tolist():
            problems.setdefault(row, (column, "is empty"))
    for row, value in enumerate(_text(frame["event_id"]).tolist()):
        if row in problems:
            continue
        if value in seen:
            problems[row] = ("event_id", f"repeats the event_id of {seen[value]}")
        else:
            seen[value] = origins[row]
    return problems


def _looks_like_alarm_frame(columns: Iterable[str]) -> bool:
    return set(REQUIRED_COLUMNS) <= set(columns)


def _looks_like_intervals(columns: Iterable[str], start: str, end: str, table_columns: Mapping[str, str]) -> bool:
    """Both interval columns; or one of them in a table that is no state-change table (so the reader names the
    other)."""
    names = set(columns)
    if start in names and end in names:
        return True
    state_change = {table_columns.get("alarm_name", "alarm_name"), table_columns.get("state", "state")} <= names
    return (start in names or end in names) and not state_change


def _template_fields(template: str) -> set[str]:
    """The columns a name template formats, e.g. ``{"alarm_id", "device_id"}`` for ``"{alarm_id}@{device_id}"``."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


# ----------------------------------------------------------------------------- entry point


@validate_params(LOAD_PARAMETERS)
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
        ``AlarmLoad.rejected`` with the same detail.  Either way nothing else is
        raised for anything a file holds: lines that are not UTF-8 or not JSON,
        JSON nested more than 128 levels deep, lines over 16 MiB, CSV rows with
        the wrong number of fields, truncated gzip and unreadable Parquet are
        each one rejected record, and an empty file has no records.
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
        e.g. ``{"firing": "ALARM", "resolved": "OK"}`` or ``{"0": "OK", "1": "ALARM"}``.
    id_columns, start_column, end_column, name_template, time_origin
        For ``"intervals"``: the columns that identify an alarm (joined into its
        name, or formatted with ``name_template`` such as ``"{alarm_id}@{device_id}"``),
        the start and end columns, and the time numbers are seconds after
        (``time_origin="2024-01-01"``; without it they are epoch seconds or timestamps,
        and ``notes`` says so).  A table in auto format with only one of the start and
        end columns is read as intervals, so the error names the missing one.
        For ``"table"``, ``name_template`` names each row's alarm from the table's
        columns instead of an ``alarm_name`` column (``"{service}-{metric}"``, or a
        fixed name such as ``"checkout-latency"`` for a file of one series).
    keep_raw : bool
        Keep each record's JSON text in ``raw`` (set False to save memory on very large inputs).
    chunk_size : int
        Records converted per chunk while reading JSON Lines and tables.

    Returns
    -------
    AlarmLoad
        ``.alarms`` (the AlarmFrame), ``.rejected``, ``.skipped``, ``.counts``, ``.notes``.

    Raises
    ------
    InvalidParameterError
        A parameter it cannot use, naming it (``.parameter``) and what it takes (``.must``);
        ``ParameterError`` is another name for it.
    LoadError
        With ``errors="raise"``, the first unreadable record, with the option that would read
        it where there is one (``.hint``).

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> event = {"version": "0", "id": "1", "detail-type": "CloudWatch Alarm State Change",
    ...          "source": "aws.cloudwatch", "account": "123456789012", "time": "2024-05-01T09:00:00Z",
    ...          "region": "us-east-1", "resources": ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:api-5xx"],
    ...          "detail": {"alarmName": "api-5xx", "state": {"value": "ALARM", "reason": "Threshold Crossed",
    ...                     "timestamp": "2024-05-01T09:00:00.000+0000"},
    ...                     "previousState": {"value": "OK", "reason": "",
    ...                                       "timestamp": "2024-05-01T08:00:00.000+0000"}}}
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "events.jsonl"
    >>> change = dict(event, id="2", **{"detail-type": "CloudWatch Alarm Configuration Change"})
    >>> _ = path.write_text(json.dumps(event) + "\\n" + json.dumps(change) + "\\n")
    >>> load = load_alarms(path)
    >>> load.counts["loaded"], load.counts["skipped"], load.alarms.loc[0, "state"]
    (1, 1, 'ALARM')
    """
    if account_id is not None and not is_account_id(account_id):
        raise parameter_error("account_id", "load_alarms", "be 12 digits", shown_value(account_id))
    if region is not None and not region_code(region):
        raise parameter_error("region", "load_alarms", "be an AWS Region such as us-east-1", shown_value(region))
    if not event_source.strip():
        raise parameter_error("event_source", "load_alarms", "be a non-empty string", shown_value(event_source))
    region = region_code(region) if region is not None else None
    ctx = ParseContext(account_id=account_id, region=region, source=event_source)
    collector = RowCollector(ctx, errors, keep_raw, chunk_size)
    table_options: dict[str, Any] = {
        "columns": _checked_columns(columns),
        "state_map": _checked_state_map(state_map),
        "name_template": _checked_template(name_template),
    }
    if "alarm_name" in table_options["columns"] and name_template:
        raise parameter_error(
            "name_template",
            "load_alarms",
            "be left out when columns maps alarm_name (a table's alarms are named one way)",
            shown_value(name_template),
        )
    interval_options: dict[str, Any] = {
        "id_columns": _checked_id_columns(id_columns),
        "start_column": _checked_column("start_column", start_column),
        "end_column": _checked_column("end_column", end_column),
        "name_template": name_template,
        "time_origin": _checked_time_origin(time_origin),
    }

    given_options = [
        name
        for name, value, default in (
            ("columns", columns, None),
            ("state_map", state_map, None),
            ("id_columns", tuple(id_columns), ("alarm_id", "device_id")),
            ("start_column", start_column, "start_timestamp"),
            ("end_column", end_column, "end_timestamp"),
            ("name_template", name_template, None),
            ("time_origin", time_origin, None),
        )
        if value and value != default
    ]
    if isinstance(source, pd.DataFrame):
        if format in ("auto", "alarm_frame") and _looks_like_alarm_frame(source.columns):
            try:
                frame = validate_alarm_frame(source)
            except AlarmFrameError as error:
                raise LoadError("dataframe", "<table>", str(error)) from None
            return AlarmLoad(
                frame,
                pd.DataFrame(columns=list(REJECTED_COLUMNS)),
                pd.DataFrame(columns=list(SKIPPED_COLUMNS)),
                read=len(frame),
                loaded=len(frame),
            )
        if format not in ("auto", "table"):
            raise parameter_error(
                "format", "load_alarms", "be 'auto', 'alarm_frame' or 'table' for a DataFrame", shown_value(format)
            )
        _read_generic_table(_dataframe_table(source), collector, **table_options)
        return collector.result()

    paths = [Path(source)] if isinstance(source, (str, Path)) else [Path(p) for p in source]
    if not paths:
        raise parameter_error("source", "load_alarms", "name at least one file", shown_value(source))
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"no such file: {path}")
    for path in paths:
        named = _ACCOUNT_REGION_NAME.match(plain_name(path).rsplit(".", 1)[0])
        if named and account_id is None and region is None:
            ctx.account_id, ctx.region, ctx.defaults_from = (
                named["account"],
                named["region"],
                f"from the file name {path.name}",
            )
        if format in ("intervals", "table", "alarm_frame") or (format == "auto" and _is_table(path)):
            reader = _read_table_file(path, format, collector, table_options, interval_options)
        else:
            expected = None if format == "auto" else format
            _read_json_file(path, collector, expected)
            reader = "json"
        _note_unused_options(path, reader, given_options, ctx)
        ctx.account_id, ctx.region, ctx.defaults_from = account_id, region, "given"
    return collector.result()


def _checked_columns(columns: Mapping[str, str] | None) -> dict[str, str]:
    """``columns=``, checked: AlarmFrame fields to non-empty column names."""
    given = dict(columns or {})
    unknown = sorted(set(given) - set(TABLE_FIELDS))
    if unknown or not all(isinstance(c, str) and c for c in given.values()):
        problem = f"unknown field(s) {unknown}" if unknown else "an empty or non-text column name"
        raise parameter_error(
            "columns",
            "load_alarms",
            f"be a mapping from fields ({', '.join(TABLE_FIELDS)}) to column names, without {problem}",
            shown_value(given),
        )
    return given


def _checked_state_map(state_map: Mapping[str, str] | None) -> dict[str, str]:
    """``state_map=``, checked: each state word to OK, ALARM or INSUFFICIENT_DATA (in any case)."""
    given = dict(state_map or {})
    bad = [v for v in given.values() if not isinstance(v, str) or v.upper() not in STATES]
    if bad:
        raise parameter_error(
            "state_map",
            "load_alarms",
            f"be a mapping from state words to {', '.join(STATES)}; {bad[0]!r} is none of them",
            shown_value(given),
        )
    return {str(word): state.upper() for word, state in given.items()}


def _checked_column(parameter: str, column: str) -> str:
    if not isinstance(column, str) or not column:
        raise parameter_error(parameter, "load_alarms", "be a column name", shown_value(column))
    return column


def _checked_id_columns(id_columns: Sequence[str]) -> tuple[str, ...]:
    """``id_columns=``, checked: one column name or a non-empty sequence of them."""
    columns = (id_columns,) if isinstance(id_columns, str) else tuple(id_columns)
    if not columns or not all(isinstance(c, str) and c for c in columns):
        raise parameter_error("id_columns", "load_alarms", "be one or more column names", shown_value(id_columns))
    return columns


def _checked_template(template: str | None) -> str | None:
    """``name_template=``, checked: text with named fields only (``{alarm_id}``, not ``{}`` or ``{0}``)."""
    if template is None:
        return None
    try:
        names = (
            [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
            if isinstance(template, str)
            else None
        )
    except ValueError:
        names = None
    if (
        not template
        or names is None
        or not all(re.fullmatch(r"[^.\[\]]+", name) and not name.isdigit() for name in names)
    ):
        raise parameter_error(
            "name_template",
            "load_alarms",
            "be text naming columns in braces, such as '{alarm_id}@{device_id}'",
            shown_value(template),
        )
    return template


def _checked_time_origin(time_origin: str | pd.Timestamp | None) -> pd.Timestamp | None:
    """``time_origin=`` as a UTC time (a naive time is UTC)."""
    if time_origin is None:
        return None
    try:
        stamp = pd.Timestamp(time_origin)
    except (ValueError, TypeError):
        stamp = pd.NaT
    if stamp is pd.NaT or isinstance(time_origin, bool):
        raise parameter_error(
            "time_origin",
            "load_alarms",
            "be a time such as 2024-01-01 or 2024-01-01T00:00:00Z",
            shown_value(time_origin),
        )
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


# An export named <account>_<region>.json (as `aws cloudwatch describe-alarm-history` output
# is often saved per account and Region) gives the account and Region its records lack.
_ACCOUNT_REGION_NAME = re.compile(r"^(?P<account>\d{12})[_-](?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)$")


def _read_table_file(
    path: Path,
    format: str,  # noqa: A002
    collector: RowCollector,
    table_options: dict[str, Any],
    interval_options: dict[str, Any],
) -> str:
    """Read a CSV, Parquet or text table as the reader its header (or ``format``) calls for; return
    which reader that was ("alarm_frame", "intervals" or "table"; "" for an unreadable header)."""
    table = _open_table(path, collector)
    if table.header is None:
        for _ in table.chunks:  # an unreadable header: the reader has said why
            pass
        return ""
    header = table.header
    if format == "alarm_frame" or (format == "auto" and _looks_like_alarm_frame(header)):
        _read_alarm_frame_table(table, collector)
        return "alarm_frame"
    if format == "intervals" or (
        format == "auto"
        and _looks_like_intervals(
            header, interval_options["start_column"], interval_options["end_column"], table_options["columns"]
        )
    ):
        _read_intervals(table, collector, **interval_options)
        return "intervals"
    _read_generic_table(table, collector, **table_options)
    return "table"


# the options each reader takes: one given for a file another reader read is noted, not dropped unseen
_READER_OPTIONS = {
    "table": ("columns", "state_map", "name_template"),
    "intervals": ("id_columns", "start_column", "end_column", "name_template", "time_origin"),
}
_READER_NAMES = {
    "alarm_frame": "an AlarmFrame table",
    "intervals": "an interval table",
    "table": "a state-change table",
    "json": "JSON alarm records",
}


def _note_unused_options(path: Path, reader: str, given: Sequence[str], ctx: ParseContext) -> None:
    unused = [name for name in given if name not in _READER_OPTIONS.get(reader, ())]
    if reader and unused:
        python = " or ".join(f"{name}=" for name in unused)
        cli = ", ".join("--" + name.replace("_", "-") for name in unused)
        ctx.note(f"{path.name} was read as {_READER_NAMES[reader]}, which takes no {python} ({cli}): left unused", 0)
