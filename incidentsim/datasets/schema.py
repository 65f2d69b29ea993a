"""The AlarmFrame: one row per alarm state change, the table every reader produces.

==========================  =========================  =====================================================
column                      dtype                      meaning
==========================  =========================  =====================================================
``event_id``                string (Arrow)             stable id: a hash of the record, the same on every
                                                       reload; an exact duplicate gets ``#2``, ``#3`` ...
``timestamp``               datetime64[ns, UTC]        when the state changed
``account_id``              category                   12-digit AWS account
``region``                  category                   AWS Region code, e.g. ``us-east-1``
``alarm_name``              category                   the alarm's name (its identity)
``alarm_arn``               category                   ``arn:aws:cloudwatch:<region>:<account>:alarm:<name>``
``state``                   category (STATES)          the new state
``previous_state``          category (STATES)          the state before
``reason``                  string (Arrow)             CloudWatch's state reason ("" when none)
``source``                  category                   event source for ``triggerDetails``: ``aws.cloudwatch``
``namespace``               category, optional         metric namespace ("" for composite alarms)
``metric_name``             category, optional         metric name ("" for composite and metric math)
``dimensions``              category, optional         metric dimensions as JSON text (``{}`` when none)
``actions_suppressed_by``   category, optional         composite alarms: ``Alarm``, ``ExtensionPeriod`` or
                                                       ``WaitPeriod`` when actions were suppressed, else ""
``duplicate``               bool                       True for the 2nd, 3rd ... copy of an identical record
``raw``                     string (Arrow)             the original record as JSON text ("" when not kept)
``origin``                  string (Arrow)             file and line or record index, e.g. ``events.jsonl:12``
==========================  =========================  =====================================================

Rows are sorted by ``timestamp``; ties keep the order the records were read in.
Timestamps without a zone are taken as UTC.

The frame is compact: a million state changes take well under 300 MB without ``raw``.  The text
that repeats from row to row (the alarm's identity, account, Region, source, metric) is held as
categoricals whose categories are sorted, so each row stores a small integer; the text that does
not repeat (ids, reasons, records, origins) is held as Arrow strings.  Categoricals compare,
filter, group (``observed=True``) and sort like text; code that builds new text from a column
converts it first (``frame["alarm_name"].astype(str) + "-x"``).  :func:`validate_alarm_frame`
accepts any text dtype (object, string, categorical) and returns these dtypes;
:func:`concat_alarm_frames` joins AlarmFrames without losing them.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.api.types import union_categoricals

STATES = ("OK", "ALARM", "INSUFFICIENT_DATA")
STATE_DTYPE = pd.CategoricalDtype(list(STATES))
TIMESTAMP_DTYPE = "datetime64[ns, UTC]"

REQUIRED_COLUMNS = (
    "event_id",
    "timestamp",
    "account_id",
    "region",
    "alarm_name",
    "alarm_arn",
    "state",
    "previous_state",
    "reason",
    "source",
    "raw",
    "origin",
)
OPTIONAL_COLUMNS = ("namespace", "metric_name", "dimensions", "actions_suppressed_by", "duplicate")
COLUMNS = (*REQUIRED_COLUMNS[:10], *OPTIONAL_COLUMNS, "raw", "origin")
#: Text that repeats from row to row, held as categoricals (sorted categories).
CATEGORY_COLUMNS = (
    "account_id",
    "region",
    "alarm_name",
    "alarm_arn",
    "source",
    "namespace",
    "metric_name",
    "dimensions",
    "actions_suppressed_by",
)
#: Text that differs from row to row, held as Arrow strings.
STRING_COLUMNS = ("event_id", "reason", "raw", "origin")
TEXT_COLUMNS = tuple(c for c in COLUMNS if c in CATEGORY_COLUMNS or c in STRING_COLUMNS)
STRING_DTYPE = "string[pyarrow]"

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"

_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_ALARM_ARN = re.compile(
    r"^arn:(?P<partition>aws(?:-cn|-us-gov)?):cloudwatch:(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+):(?P<account>\d{12}):alarm:(?P<name>.+)$"
)


class AlarmFrameError(ValueError):
    """A table is not a valid AlarmFrame; the message names the column and rows."""


def alarm_arn(account_id: str, region: str, alarm_name: str, partition: str = "aws") -> str:
    """The ARN CloudWatch gives an alarm."""
    return f"arn:{partition}:cloudwatch:{region}:{account_id}:alarm:{alarm_name}"


def parse_alarm_arn(arn: str) -> tuple[str, str, str] | None:
    """(account_id, region, alarm_name) of a well-formed alarm ARN, else None."""
    match = _ALARM_ARN.match(arn or "")
    if match is None:
        return None
    return match["account"], match["region"], match["name"]


def is_account_id(value: str) -> bool:
    return bool(_ACCOUNT.match(value or ""))


def is_region(value: str) -> bool:
    return bool(_REGION.match(value or ""))


def record_id(raw: str) -> str:
    """A stable id for a record: the first 20 hex digits of the SHA-1 of its text."""
    return hashlib.sha1(raw.encode("utf-8"), usedforsecurity=False).hexdigest()[:20]


def number_duplicates(ids: Iterable[str], seen: Counter[str] | None = None) -> tuple[list[str], list[bool]]:
    """Give the 2nd, 3rd ... copy of an id a ``#n`` suffix; return (ids, duplicate flags).

    ``seen`` carries the counts across chunks of one load.
    """
    counts = seen if seen is not None else Counter()
    out, flags = [], []
    for base in ids:
        counts[base] += 1
        n = counts[base]
        out.append(base if n == 1 else f"{base}#{n}")
        flags.append(n > 1)
    return out, flags


def empty_alarm_frame() -> pd.DataFrame:
    """An AlarmFrame with no rows and every column."""
    return conform(pd.DataFrame({column: [] for column in COLUMNS}))


def conform(frame: pd.DataFrame) -> pd.DataFrame:
    """Give a frame the AlarmFrame's column order and dtypes, adding optional columns.

    It does not check values; :func:`validate_alarm_frame` does.
    """
    frame = frame.copy(deep=False)  # columns are replaced, never written into: the caller's data is untouched
    for column in OPTIONAL_COLUMNS:
        if column not in frame.columns:
            frame[column] = False if column == "duplicate" else ""
    for column in STRING_COLUMNS:
        if frame[column].dtype != STRING_DTYPE:
            frame[column] = frame[column].fillna("").astype(STRING_DTYPE)
        elif frame[column].hasnans:
            frame[column] = frame[column].fillna("")
    for column in CATEGORY_COLUMNS:
        frame[column] = as_category(frame[column])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True).astype(TIMESTAMP_DTYPE)
    for column in ("state", "previous_state"):
        frame[column] = frame[column].astype(STATE_DTYPE)
    frame["duplicate"] = frame["duplicate"].astype(bool)
    extra = [c for c in frame.columns if c not in COLUMNS]
    return frame[[*COLUMNS, *extra]]


def as_category(values: pd.Series) -> pd.Series:
    """A text column as a categorical of Arrow strings with sorted categories; missing values become ""."""
    if isinstance(values.dtype, pd.CategoricalDtype) and all(isinstance(c, str) for c in values.cat.categories):
        texts = list(values.cat.categories)
        codes = values.cat.codes.to_numpy().astype(np.int64)
        if (codes < 0).any():
            if "" not in texts:
                texts.append("")
            codes = np.where(codes < 0, texts.index(""), codes)
        order = sorted(range(len(texts)), key=texts.__getitem__)
        if order != list(range(len(texts))):
            position = np.empty(len(texts), dtype=np.int64)
            position[order] = np.arange(len(texts))
            codes, texts = position[codes], [texts[i] for i in order]
        dtype = pd.CategoricalDtype(pd.Index(texts, dtype=STRING_DTYPE))
        return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype), index=values.index, name=values.name)
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    text = values.fillna("").astype(STRING_DTYPE)
    return text.astype(pd.CategoricalDtype(pd.Index(sorted(pd.unique(text.to_numpy())), dtype=STRING_DTYPE)))


def concat_alarm_frames(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """AlarmFrames (conformed) end to end, keeping every dtype: categoricals get the union of categories."""
    frames = [f for f in frames if len(f.columns)]
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    columns: dict[str, Any] = {}
    for column in frames[0].columns:
        parts = [f[column] for f in frames]
        if all(isinstance(p.dtype, pd.CategoricalDtype) for p in parts) and column not in ("state", "previous_state"):
            joined = union_categoricals([p.array for p in parts], sort_categories=True, ignore_order=True)
            columns[column] = pd.Series(joined, name=column)
        else:
            columns[column] = pd.concat(parts, ignore_index=True)
    return pd.DataFrame(columns)


def _rows(mask: pd.Series) -> str:
    positions = [i for i, bad in enumerate(mask.to_numpy()) if bad]
    shown = ", ".join(str(p) for p in positions[:5])
    more = f" and {len(positions) - 5} more" if len(positions) > 5 else ""
    return f"row {shown}{more}" if len(positions) == 1 else f"rows {shown}{more}"


def _blank(values: pd.Series) -> pd.Series:
    """Rows whose text is missing or only spaces (a categorical's distinct values are tested once)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = values.cat.categories
        blank_codes = np.flatnonzero(pd.Series(categories.astype(str)).str.strip().to_numpy() == "")
        codes = values.cat.codes.to_numpy()
        return pd.Series((codes < 0) | np.isin(codes, blank_codes), index=values.index)
    return values.isna() | (values.astype(STRING_DTYPE).str.strip() == "")


def _distinct(values: pd.Series) -> bool:
    """True when the text values surely all differ (a hash of each, without a set of them); False
    means they may not."""
    from .recordids import surely_distinct

    if not isinstance(values.dtype, pd.StringDtype) or values.hasnans:
        return False
    return surely_distinct(pa.array(values.array).cast(pa.large_string()))


def validate_alarm_frame(frame: pd.DataFrame, *, sort: bool = True) -> pd.DataFrame:
    """Check a table is an AlarmFrame and return it conformed (dtypes, column order, sorted).

    Every frame that enters the library from outside passes through here.

    Raises
    ------
    AlarmFrameError
        naming the missing columns, or the column and the (0-based) rows whose
        values are wrong.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = validate_alarm_frame(pd.DataFrame({
    ...     "event_id": ["e1"], "timestamp": ["2024-05-01T09:00:00Z"], "account_id": ["123456789012"],
    ...     "region": ["us-east-1"], "alarm_name": ["api-5xx"],
    ...     "alarm_arn": ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:api-5xx"],
    ...     "state": ["ALARM"], "previous_state": ["OK"], "reason": [""], "source": ["aws.cloudwatch"],
    ...     "raw": ["{}"], "origin": ["inline:0"]}))
    >>> frame.loc[0, "state"], str(frame["timestamp"].dtype)
    ('ALARM', 'datetime64[ns, UTC]')
    """
    if not isinstance(frame, pd.DataFrame):
        raise AlarmFrameError(f"an AlarmFrame must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise AlarmFrameError(
            f"the table has no column(s) {', '.join(missing)}; an AlarmFrame needs {', '.join(REQUIRED_COLUMNS)}"
        )
    frame = frame.reset_index(drop=True)
    try:
        timestamps = pd.to_datetime(frame["timestamp"], utc=True, format="mixed")
    except (ValueError, TypeError) as error:
        raise AlarmFrameError(f"column timestamp: {error}") from None
    if timestamps.isna().any():
        raise AlarmFrameError(f"column timestamp is empty at {_rows(timestamps.isna())}")
    frame = frame.assign(timestamp=timestamps)
    for column in ("state", "previous_state"):
        bad = ~frame[column].isin(STATES)
        if bad.any():
            value = frame.loc[bad.idxmax(), column]
            raise AlarmFrameError(f"column {column} must be one of {', '.join(STATES)}; {value!r} at {_rows(bad)}")
    for column in ("event_id", "alarm_name", "alarm_arn", "account_id", "region", "source"):
        blank = _blank(frame[column])
        if blank.any():
            raise AlarmFrameError(f"column {column} is empty at {_rows(blank)}")
    if not _distinct(frame["event_id"]):
        repeated = frame["event_id"].duplicated(keep=False)
        if repeated.any():
            raise AlarmFrameError(f"column event_id must be unique; repeated at {_rows(repeated)}")
    frame = conform(frame)
    if sort and not frame["timestamp"].is_monotonic_increasing:
        frame = frame.sort_values("timestamp", kind="stable", ignore_index=True)
    return frame
