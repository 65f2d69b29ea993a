"""Reading metric series and alarm definitions: the file IO of alarm evaluation.

:func:`load_metric_series` reads a metric's raw points (CSV, Parquet, a
``GetMetricData`` or ``get-metric-statistics`` JSON export) into a
``timestamp``/``value`` table; :func:`load_alarm_definitions` reads
``PutMetricAlarm``-shaped alarms (YAML or JSON, or ``describe-alarms`` output).
:mod:`.evaluation` evaluates one over the other.
"""

from __future__ import annotations

import gzip
import json
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np
import pandas as pd

from ..params import Options, parameter_error, shown, validate_params
from ..yamlfile import line_of
from .alarm_definitions import AlarmDefinition, AlarmDefinitionError, UnsupportedAlarmError, standard_statistics
from .loaders import plain_name
from .records import EARLIEST, LATEST, BadRecord, parse_time
from .schema import is_account_id, is_region

SERIES_FORMATS = ("auto", "csv", "parquet", "get_metric_data", "get_metric_statistics")
Errors = Literal["raise", "quarantine"]
#: What the parameters of :func:`load_metric_series` may be.
SERIES_PARAMETERS: dict[str, list[Any]] = {
    "path": [str, os.PathLike],
    "format": [Options(SERIES_FORMATS)],
    "id": [str, None],
    "label": [str, None],
    "statistic": [str, None],
    "timestamp_column": [str],
    "value_column": [str],
    "errors": [Options(("raise", "quarantine"))],
}
#: What the parameters of :func:`load_alarm_definitions` may be (an account is 12 digits, a Region a code such as
#: us-east-1, as checked in the body).
DEFINITION_PARAMETERS: dict[str, list[Any]] = {
    "path": [str, os.PathLike],
    "account_id": [str, None],
    "region": [str, None],
}
_NAN_WORDS = ("nan", "NaN", "NAN", "null", "NULL", "None")


class MetricSeriesError(ValueError):
    """A metric series could not be read; the message names the file and line (or member), the field and the problem."""

    def __init__(self, origin: str, field: str, problem: str):
        super().__init__(f"{origin}: {field}: {problem}")
        self.origin = origin
        self.field = field
        self.problem = problem


# ----------------------------------------------------------------------------- files


def _read_text(path: Path) -> str:
    with open(path, "rb") as handle:
        data = handle.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("utf-8-sig")


def _format_of(path: Path, format: str) -> str:  # noqa: A002
    if format != "auto":
        return format
    stem = plain_name(path)
    if stem.endswith((".parquet", ".pq")):
        return "parquet"
    if stem.endswith((".csv", ".tsv", ".txt")):
        return "csv"
    return "json"


# ----------------------------------------------------------------------------- cells


def _cells(values: pd.Series) -> pd.Series:
    """Each cell as stripped text ("" for None and NaN)."""
    return values.astype(object).map(
        lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip()
    )


def _parse_times(values: pd.Series, problems: dict[int, tuple[str, str]], field: str) -> np.ndarray:
    """Epoch nanoseconds of a column of timestamps (naive = UTC, numbers = epoch seconds or
    milliseconds); a bad cell records a problem for its row and gives 0."""
    out = np.zeros(len(values), dtype="int64")
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        stamps = pd.to_datetime(values, utc=True)
        bad = stamps.isna().to_numpy()
        for position in np.flatnonzero(bad).tolist():
            problems.setdefault(position, (field, "is empty"))
        out[~bad] = stamps[~bad].astype("datetime64[ns, UTC]").to_numpy(dtype="datetime64[ns]").view("int64")
        return out
    text = _cells(values)
    empty = (text == "").to_numpy()
    numbers = pd.to_numeric(text.where(~empty, None), errors="coerce")
    numeric = numbers.notna().to_numpy()
    parsed = pd.to_datetime(text.where(~numeric & ~empty, None), utc=True, format="ISO8601", errors="coerce")
    unparsed = parsed.isna().to_numpy() & ~numeric & ~empty
    in_range = (parsed >= pd.Timestamp(EARLIEST)) & (parsed <= pd.Timestamp(LATEST))
    outside = ~in_range.to_numpy() & ~unparsed & ~numeric & ~empty
    good = ~empty & ~numeric & ~unparsed & ~outside
    out[good] = parsed[good].astype("datetime64[ns, UTC]").to_numpy(dtype="datetime64[ns]").view("int64")
    for position in np.flatnonzero(empty).tolist():
        problems.setdefault(position, (field, "is empty"))
    for position in np.flatnonzero(unparsed).tolist():
        problems.setdefault(
            position, (field, f"expected an ISO 8601 timestamp such as 2014-02-14 14:30:00, got {text.iat[position]!r}")
        )
    for position in np.flatnonzero(outside).tolist():
        problems.setdefault(position, (field, f"timestamp {text.iat[position]!r} is outside 1677-09-22 .. 2262-04-11"))
    for position in np.flatnonzero(numeric).tolist():  # epoch numbers: rare, one by one
        try:
            out[position] = pd.Timestamp(parse_time(float(numbers.iat[position]), field)).as_unit("ns").value
        except BadRecord as error:
            problems.setdefault(position, (field, error.problem))
    return out


def _parse_values(values: pd.Series, problems: dict[int, tuple[str, str]], field: str) -> np.ndarray:
    """Floats of a column of values: empty and NaN cells are missing datapoints (NaN); text
    that is not a number, booleans and infinities record a problem for their row."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        numbers = values.to_numpy(dtype="float64", na_value=np.nan).copy()
    else:
        raw = values.astype(object)
        text = _cells(raw)
        blank = (text == "") | text.isin(_NAN_WORDS)
        parsed = pd.to_numeric(text.where(~blank, None), errors="coerce")
        booleans = raw.map(lambda v: isinstance(v, (bool, np.bool_))).to_numpy(dtype=bool)
        bad = (parsed.isna() & ~blank).to_numpy() | booleans
        for position in np.flatnonzero(bad).tolist():
            problems.setdefault(position, (field, f"expected a number, got {raw.iat[position]!r}"))
        numbers = parsed.to_numpy(dtype="float64", na_value=np.nan).copy()
        numbers[bad] = np.nan
    for position in np.flatnonzero(np.isinf(numbers)).tolist():
        problems.setdefault(position, (field, f"expected a finite number, got {float(numbers[position])!r}"))
    return numbers


def _series(
    times: pd.Series,
    values: pd.Series,
    origins: Sequence[str],
    *,
    name: str,
    source: str,
    fmt: str,
    errors: Errors,
    notes: list[str],
    time_field: str,
    value_field: str,
) -> pd.DataFrame:
    """The series table (sorted by time, ties in reading order) with its accounting in ``attrs``."""
    problems: dict[int, tuple[str, str]] = {}
    ns = _parse_times(times.reset_index(drop=True), problems, time_field)
    numbers = _parse_values(values.reset_index(drop=True), problems, value_field)
    bad = sorted(problems)
    if bad and errors == "raise":
        field, problem = problems[bad[0]]
        more = f" ({len(bad) - 1} more bad rows; errors='quarantine' loads the good ones)" if len(bad) > 1 else ""
        raise MetricSeriesError(origins[bad[0]], field, problem + more)
    keep = np.ones(len(ns), dtype=bool)
    keep[bad] = False
    kept = np.flatnonzero(keep)
    order = np.argsort(ns[kept], kind="stable")
    kept = kept[order]
    frame = pd.DataFrame(
        {
            "timestamp": pd.to_datetime(ns[kept], utc=True).astype("datetime64[ns, UTC]"),
            "value": numbers[kept].astype("float64"),
        }
    )
    frame.attrs = {
        "name": name,
        "source": source,
        "format": fmt,
        "counts": {
            "read": len(ns),
            "loaded": int(keep.sum()),
            "rejected": len(bad),
            "missing": int(np.isnan(frame["value"].to_numpy()).sum()),
        },
        "rejected": [{"origin": origins[i], "field": problems[i][0], "problem": problems[i][1]} for i in bad],
        "notes": [*notes, *_irregular_times(ns[kept], [origins[i] for i in kept.tolist()])],
    }
    return frame


def _irregular_times(ns: np.ndarray, origins: Sequence[str]) -> list[str]:
    """Notes on sorted epoch-nanosecond times: rows that repeat a time, and gaps over 1.5 times the usual (median) step.

    Each note gives the count and the first example, such as the hour a daylight-saving change
    skips and the rows it writes twice.
    """
    steps = np.diff(ns)
    notes = []
    repeats = np.flatnonzero(steps == 0)
    if repeats.size:
        first = repeats[0] + 1
        notes.append(
            f"{repeats.size:,} duplicate timestamp{'' if repeats.size == 1 else 's'} "
            f"(the first: {_when(ns[first])} UTC again at {origins[first]}); an alarm's statistic combines them"
        )
    forward = steps[steps > 0]
    if forward.size:
        usual = float(np.median(forward))
        gaps = np.flatnonzero(steps > 1.5 * usual)
        if gaps.size:
            first = gaps[0]
            notes.append(
                f"{gaps.size:,} gap{'' if gaps.size == 1 else 's'} longer than the usual {usual / 1e9:g} s step "
                f"(the first: no point from {_when(ns[first])} to {_when(ns[first + 1])} UTC); "
                "periods inside a gap have no datapoint"
            )
    return notes


def _when(ns: int) -> str:
    return f"{pd.Timestamp(int(ns), tz='UTC'):%Y-%m-%d %H:%M:%S}"


# ----------------------------------------------------------------------------- formats


def _read_csv(path: Path, timestamp_column: str, value_column: str) -> tuple[pd.Series, pd.Series, list[str]]:
    separator = "\t" if plain_name(path).endswith(".tsv") else ","
    frame = pd.read_csv(path, sep=separator, dtype=str, keep_default_na=False, skip_blank_lines=False)
    for column in (timestamp_column, value_column):
        if column not in frame.columns:
            raise MetricSeriesError(
                f"{path.name}:1", column, f"no such column; the file has {', '.join(map(str, frame.columns))}"
            )
    lines = np.arange(len(frame)) + 2  # the header is line 1
    blank = (frame.astype(str).apply(lambda column: column.str.strip()) == "").all(axis=1).to_numpy()
    frame = frame.loc[~blank]
    return frame[timestamp_column], frame[value_column], [f"{path.name}:{line}" for line in lines[~blank]]


def _read_parquet(path: Path, timestamp_column: str, value_column: str) -> tuple[pd.Series, pd.Series, list[str]]:
    frame = pd.read_parquet(path)
    for column in (timestamp_column, value_column):
        if column not in frame.columns:
            raise MetricSeriesError(
                f"{path.name}", column, f"no such column; the file has {', '.join(map(str, frame.columns))}"
            )
    return frame[timestamp_column], frame[value_column], [f"{path.name}#{row}" for row in range(len(frame))]


def _get_metric_data(
    document: Any,
    name: str,
    id: str | None,
    label: str | None,
    notes: list[str],  # noqa: A002
) -> tuple[pd.Series, pd.Series, list[str]]:
    """One result of a GetMetricData response (or a list of response pages, merged by Id)."""
    pages = document if isinstance(document, list) else [document]
    results: dict[str, dict[str, Any]] = {}
    for page_index, page in enumerate(pages):
        page_place = f"[{page_index}]." if isinstance(document, list) else ""
        if not isinstance(page, dict) or not isinstance(page.get("MetricDataResults"), list):
            raise MetricSeriesError(
                name,
                f"{page_place}MetricDataResults",
                "expected a GetMetricData response with a MetricDataResults list",
            )
        for message in page.get("Messages") or []:
            notes.append(f"GetMetricData message: {message}")
        for index, result in enumerate(page["MetricDataResults"]):
            place = f"{page_place}MetricDataResults[{index}]"
            if not isinstance(result, dict):
                raise MetricSeriesError(name, place, f"expected an object, got {type(result).__name__}")
            key = str(result.get("Id", place))
            entry = results.setdefault(
                key, {"Id": result.get("Id"), "Label": result.get("Label"), "times": [], "values": [], "origins": []}
            )
            stamps, values = result.get("Timestamps") or [], result.get("Values") or []
            if not isinstance(stamps, list) or not isinstance(values, list) or len(stamps) != len(values):
                raise MetricSeriesError(
                    name,
                    place,
                    f"Timestamps and Values must be lists of the same length, got {len(stamps)} and {len(values)}",
                )
            entry["times"] += stamps
            entry["values"] += values
            entry["origins"] += [f"{name}: {place}.Values[{i}]" for i in range(len(values))]
            if result.get("StatusCode") not in (None, "Complete"):
                notes.append(
                    f"{place} has StatusCode {result.get('StatusCode')}: the export may not hold every datapoint"
                )
    choices = list(results.values())
    if id is not None:
        chosen = [r for r in choices if r["Id"] == id]
    elif label is not None:
        chosen = [r for r in choices if r["Label"] == label]
    else:
        chosen = choices
    if len(chosen) != 1:
        listed = ", ".join(f"Id {r['Id']!r} (Label {r['Label']!r})" for r in choices) or "none"
        wanted = f"Id {id!r}" if id is not None else f"Label {label!r}" if label is not None else "one result"
        how = "" if (id is not None or label is not None) and not chosen else "; choose one with id= or label="
        raise MetricSeriesError(
            name, "MetricDataResults", f"expected {wanted}, found {len(chosen)} among {listed}{how}"
        )
    result = chosen[0]
    return pd.Series(result["times"], dtype=object), pd.Series(result["values"], dtype=object), result["origins"]


def _get_metric_statistics(
    document: dict[str, Any], name: str, statistic: str | None
) -> tuple[pd.Series, pd.Series, list[str]]:
    """``aws cloudwatch get-metric-statistics`` output: ``{"Label", "Datapoints": [{"Timestamp", "Average", ...}]}``."""
    points = document["Datapoints"]
    if not isinstance(points, list):
        raise MetricSeriesError(name, "Datapoints", f"expected a list, got {type(points).__name__}")
    found: Counter[str] = Counter()
    for point in points:
        if isinstance(point, dict):
            found.update(k for k in point if k in standard_statistics())
            found.update((point.get("ExtendedStatistics") or {}).keys())
    if statistic is None:
        if len(found) != 1:
            raise MetricSeriesError(
                name, "Datapoints", f"holds statistics {', '.join(sorted(found)) or 'none'}; choose one with statistic="
            )
        statistic = next(iter(found))
    times: list[Any] = []
    values: list[Any] = []
    origins: list[str] = []
    for index, point in enumerate(points):
        origins.append(f"{name}: Datapoints[{index}]")
        if not isinstance(point, dict):
            times.append(None)
            values.append(f"<{type(point).__name__}>")
            continue
        times.append(point.get("Timestamp"))
        extended = point.get("ExtendedStatistics") or {}
        value = point.get(statistic, extended.get(statistic) if isinstance(extended, dict) else None)
        values.append(value if value is not None else f"<no {statistic}>")
    return pd.Series(times, dtype=object), pd.Series(values, dtype=object), origins


@validate_params(SERIES_PARAMETERS)
def load_metric_series(
    path: str | Path,
    *,
    format: str = "auto",  # noqa: A002 - the natural name, as in pandas
    id: str | None = None,  # noqa: A002 - GetMetricData's own name for it
    label: str | None = None,
    statistic: str | None = None,
    timestamp_column: str = "timestamp",
    value_column: str = "value",
    errors: Errors = "raise",
) -> pd.DataFrame:
    """Read a metric's raw points into a ``timestamp``/``value`` table.

    Parameters
    ----------
    path : str or Path
        A CSV (``timestamp,value``, as the NAB realAWSCloudwatch series), a Parquet file
        with the same columns, a ``GetMetricData`` response saved as JSON
        (``{"MetricDataResults": [{"Id", "Label", "Timestamps", "Values"}]}``, or a list
        of response pages) or ``aws cloudwatch get-metric-statistics`` output
        (``{"Datapoints": [{"Timestamp", "Average", ...}]}``).  gzip is recognised.
    format : {"auto", "csv", "parquet", "get_metric_data", "get_metric_statistics"}
        ``auto`` goes by the extension and, for JSON, by the keys.
    id, label : str, optional
        Which ``MetricDataResults`` entry, when the export holds more than one.
    statistic : str, optional
        Which statistic of a ``get-metric-statistics`` export (``Average``, ``p99`` ...),
        when it holds more than one.
    timestamp_column, value_column : str
        The CSV or Parquet columns.
    errors : {"raise", "quarantine"}
        ``raise`` stops at the first bad row with a :class:`MetricSeriesError` naming the
        file and line (or member), the column and the problem; ``quarantine`` loads the
        good rows and lists the bad ones in ``attrs["rejected"]``.

    Returns
    -------
    DataFrame
        ``timestamp`` (datetime64[ns, UTC]; naive times are UTC, numbers epoch seconds or
        milliseconds) and ``value`` (float64), sorted by time.  Empty and NaN values
        are kept as NaN: missing datapoints.  ``attrs`` holds ``name`` (the file name),
        ``source``, ``format``, ``counts`` (``read == loaded + rejected``; ``missing``
        counts the NaN values among the loaded), ``rejected`` (origin, field,
        problem of each bad row) and ``notes`` (what to know about the series, such as
        duplicate timestamps and gaps longer than its usual step: the count and the first).

    Notes
    -----
    A ``GetMetricData`` or ``get-metric-statistics`` export holds one datapoint per
    period already aggregated; evaluate it with an alarm of the same period and a
    statistic that leaves one value unchanged (``Average``, ``Minimum``, ``Maximum``,
    ``Sum``), not ``SampleCount``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "cpu.csv"
    >>> _ = path.write_text("timestamp,value\\n2014-02-14 14:30:00,0.132\\n2014-02-14 14:35:00,\\n")
    >>> series = load_metric_series(path)
    >>> series["value"].tolist(), series.attrs["counts"]
    ([0.132, nan], {'read': 2, 'loaded': 2, 'rejected': 0, 'missing': 1})
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    name = path.name
    fmt = _format_of(path, format)
    notes: list[str] = []
    time_field, value_field = timestamp_column, value_column
    if fmt == "csv":
        times, values, origins = _read_csv(path, timestamp_column, value_column)
    elif fmt == "parquet":
        times, values, origins = _read_parquet(path, timestamp_column, value_column)
    else:
        text = _read_text(path)
        try:
            document = json.loads(text)
        except ValueError as error:
            line, column = getattr(error, "lineno", "?"), getattr(error, "colno", "?")
            raise MetricSeriesError(
                f"{name}:{line}:{column}", "<json>", f"invalid JSON ({getattr(error, 'msg', error)})"
            ) from None
        if fmt == "json":
            if isinstance(document, dict) and "Datapoints" in document:
                fmt = "get_metric_statistics"
            elif isinstance(document, (dict, list)):
                fmt = "get_metric_data"
        if fmt == "get_metric_statistics":
            if not isinstance(document, dict) or "Datapoints" not in document:
                raise MetricSeriesError(
                    name, "Datapoints", "expected get-metric-statistics output with a Datapoints list"
                )
            times, values, origins = _get_metric_statistics(document, name, statistic)
            time_field, value_field = "Timestamp", statistic or "value"
        elif fmt == "get_metric_data":
            times, values, origins = _get_metric_data(document, name, id, label, notes)
            time_field, value_field = "Timestamps", "Values"
        else:
            raise MetricSeriesError(
                name,
                "<json>",
                f"expected a GetMetricData or get-metric-statistics export, got a JSON {type(document).__name__}",
            )
    return _series(
        times,
        values,
        origins,
        name=name,
        source=str(path),
        fmt=fmt,
        errors=errors,
        notes=notes,
        time_field=time_field,
        value_field=value_field,
    )


# ----------------------------------------------------------------------------- alarm definitions


@dataclass(frozen=True)
class DefinitionLoad:
    """What :func:`load_alarm_definitions` read: the definitions and every alarm it skipped.

    It behaves as the sequence of definitions (``len``, iteration, ``[0]``) and is
    indexable by alarm name (``load["cpu-high"]``).

    Attributes
    ----------
    definitions : tuple of AlarmDefinition
    skipped : tuple of (place, why)
        Alarms that are valid CloudWatch alarms but cannot be evaluated from one
        metric series (composite, metric math, anomaly detection, PromQL, Logs alarms).
    source : str
    """

    definitions: tuple[AlarmDefinition, ...]
    skipped: tuple[tuple[str, str], ...]
    source: str

    def __len__(self) -> int:
        return len(self.definitions)

    def __iter__(self) -> Iterator[AlarmDefinition]:
        return iter(self.definitions)

    @overload
    def __getitem__(self, key: int) -> AlarmDefinition: ...

    @overload
    def __getitem__(self, key: str) -> AlarmDefinition: ...

    def __getitem__(self, key: int | str) -> AlarmDefinition:
        if isinstance(key, str):
            for definition in self.definitions:
                if definition.alarm_name == key:
                    return definition
            raise KeyError(f"no alarm named {key!r} in {self.source}; it defines {', '.join(self.names) or 'none'}")
        return self.definitions[key]

    @property
    def names(self) -> list[str]:
        return [d.alarm_name for d in self.definitions]

    def summary(self) -> str:
        lines = [f"{len(self.definitions)} alarm definitions from {self.source}, {len(self.skipped)} skipped"]
        lines += [f"  skipped {place}: {why}" for place, why in self.skipped]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"DefinitionLoad({self.summary()})"


def _load_yaml(text: str, name: str) -> tuple[Any, dict[str, int]]:
    """A YAML alarm file as plain data (None when empty) and the line of every member path,
    e.g. ``MetricAlarms[0].Period`` -> 9; see :mod:`incidentsim.yamlfile` for the limits on
    aliases and nesting."""
    from ..yamlfile import YamlFileError, read_document

    try:
        document = read_document(text, name)
    except YamlFileError as error:
        problem = f"invalid YAML ({error.reason})" if error.reason is not None else error.problem
        raise AlarmDefinitionError(error.where, "", problem) from None
    return document.data, document.lines


@validate_params(DEFINITION_PARAMETERS)
def load_alarm_definitions(
    path: str | Path,
    *,
    account_id: str | None = None,
    region: str | None = None,
) -> DefinitionLoad:
    """Read metric alarm definitions from YAML or JSON.

    Parameters
    ----------
    path : str or Path
        One ``PutMetricAlarm``-shaped mapping (as ``aws cloudwatch put-metric-alarm
        --cli-input-yaml`` takes), a list of them, or ``aws cloudwatch describe-alarms``
        output (``{"MetricAlarms": [...], "CompositeAlarms": [...]}``).  ``.yaml``/``.yml``
        is read as YAML, ``.json`` as JSON, anything else as whichever parses.
    account_id, region : str, optional
        For definitions without an ``AlarmArn`` (describe-alarms output carries one);
        by default 123456789012 and us-east-1.

    Returns
    -------
    DefinitionLoad
        The definitions (a sequence, also indexable by name) and the alarms skipped with
        why: composite, metric math (``Metrics``), anomaly detection, PromQL and Logs
        alarms are never dropped silently.

    Raises
    ------
    AlarmDefinitionError
        naming the file (and line, for YAML), the member path and the problem, e.g.
        ``alarms.yaml:9 MetricAlarms[0].Period: must be 10, 20, 30 or a multiple of 60, got 45``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "alarm.yaml"
    >>> _ = path.write_text('''
    ... AlarmName: cpu-high
    ... Namespace: AWS/EC2
    ... MetricName: CPUUtilization
    ... Dimensions: [{Name: InstanceId, Value: i-0c986c72}]
    ... Statistic: Average
    ... Period: 300
    ... EvaluationPeriods: 5
    ... DatapointsToAlarm: 3
    ... Threshold: 70
    ... ComparisonOperator: GreaterThanThreshold
    ... ''')
    >>> load = load_alarm_definitions(path)
    >>> load["cpu-high"].m, load[0].dimensions
    (3, {'InstanceId': 'i-0c986c72'})
    """
    if account_id is not None and not is_account_id(account_id):
        raise parameter_error("account_id", "load_alarm_definitions", "be 12 digits", shown(account_id))
    if region is not None and not is_region(region):
        raise parameter_error("region", "load_alarm_definitions", "be an AWS Region such as us-east-1", shown(region))
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    name = path.name
    text = _read_text(path)
    lines: dict[str, int] = {}
    stem = plain_name(path)
    if not text.strip():
        document = None
    elif stem.endswith((".yaml", ".yml")):
        document, lines = _load_yaml(text, name)
    else:
        try:
            document = json.loads(text)
        except ValueError as error:
            if stem.endswith(".json"):
                line, column = getattr(error, "lineno", "?"), getattr(error, "colno", "?")
                raise AlarmDefinitionError(
                    f"{name}:{line}:{column}", "", f"invalid JSON ({getattr(error, 'msg', error)})"
                ) from None
            document, lines = _load_yaml(text, name)

    def where(member: str) -> str:
        """``alarm.yaml:9``: the file and the line of ``member`` (or of what holds it), for YAML."""
        line = line_of(lines, member)
        return f"{name}:{line}" if line is not None else name

    skipped: list[tuple[str, str]] = []
    items: list[tuple[str, Any]] = []
    if isinstance(document, dict) and any(k in document for k in ("MetricAlarms", "CompositeAlarms", "LogAlarms")):
        for kind, what in (
            ("CompositeAlarms", "a composite alarm follows other alarms' states, not a metric"),
            ("LogAlarms", "a Logs alarm evaluates a log query, not a metric series"),
        ):
            entries = document.get(kind) or []
            if not isinstance(entries, list):
                raise AlarmDefinitionError(where(kind), kind, f"expected a list, got {type(entries).__name__}")
            for index, entry in enumerate(entries):
                alarm = entry.get("AlarmName") if isinstance(entry, dict) else None
                skipped.append((f"{where(f'{kind}[{index}]')} {kind}[{index}]", f"alarm {alarm!r}: {what}"))
        metric = document.get("MetricAlarms") or []
        if not isinstance(metric, list):
            raise AlarmDefinitionError(
                where("MetricAlarms"), "MetricAlarms", f"expected a list, got {type(metric).__name__}"
            )
        items = [(f"MetricAlarms[{index}]", entry) for index, entry in enumerate(metric)]
    elif isinstance(document, dict):
        items = [("", document)]
    elif isinstance(document, list):
        items = [(f"[{index}]", entry) for index, entry in enumerate(document)]
    elif document is None:
        raise AlarmDefinitionError(
            name, "", "is empty; expected a PutMetricAlarm mapping, a list of them or describe-alarms output"
        )
    else:
        raise AlarmDefinitionError(
            name,
            "",
            "expected a PutMetricAlarm mapping, a list of them or describe-alarms output, "
            f"got {type(document).__name__}",
        )

    definitions: list[AlarmDefinition] = []
    places: dict[tuple[str, str, str], str] = {}
    for member_path, item in items:
        try:
            definition = AlarmDefinition.from_api(item, name, path=member_path)
            if isinstance(item, dict) and item.get("AlarmArn") is None and (account_id or region):
                definition = definition.replace(
                    account_id=account_id or definition.account_id, region=region or definition.region
                )
        except UnsupportedAlarmError as error:
            skipped.append((f"{where(error.member)} {error.member}", error.problem))
            continue
        except AlarmDefinitionError as error:
            raise type(error)(where(error.member), error.member, error.problem) from None
        key = (definition.account_id, definition.region, definition.alarm_name)
        here = f"{where(member_path)} {member_path or 'AlarmName'}"
        if key in places:
            member = f"{member_path}.AlarmName" if member_path else "AlarmName"
            raise AlarmDefinitionError(
                where(member), member, f"alarm {definition.alarm_name!r} is defined twice (also at {places[key]})"
            )
        places[key] = here
        definitions.append(definition)
    return DefinitionLoad(definitions=tuple(definitions), skipped=tuple(skipped), source=str(path))
