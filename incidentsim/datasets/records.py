"""Record parsers: one function per alarm-history format, record in, AlarmFrame rows out.

Each parser takes one decoded record (a dict) and a :class:`ParseContext` and
returns the rows it yields, or raises :class:`Skip` for a record that is not a
state change (it is counted, not loaded) or :class:`BadRecord` naming the field
and what was expected.  No file IO happens here; :mod:`.loaders` does that.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .schema import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_REGION,
    STATES,
    alarm_arn,
    is_account_id,
    is_region,
    parse_alarm_arn,
)
from .textfiles import JSONTextError, decode_json

Row = dict[str, Any]


class BadRecord(ValueError):
    """A record that cannot be read: ``field`` is the path inside it, ``problem`` what was expected,
    ``hint`` the option of ``load_alarms`` that would read it (see :class:`~.loaders.LoadError`)."""

    def __init__(self, field: str, problem: str, hint: str = ""):
        super().__init__(f"field '{field}': {problem}")
        self.field = field
        self.problem = problem
        self.hint = hint


class Skip(Exception):
    """A record that is readable but not an alarm state change (configuration changes, actions)."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


@dataclass
class ParseContext:
    """What a parser needs beyond the record: defaults and where to leave notes."""

    account_id: str | None = None
    region: str | None = None
    source: str = "aws.cloudwatch"
    notes: Counter[str] = field(default_factory=Counter)
    defaults_from: str = "given"

    def note(self, text: str, count: int = 1) -> None:
        self.notes[text] += count

    def default_account(self, why: str, count: int = 1) -> str:
        """The given account, else the default, with a note either way."""
        if self.account_id:
            self.note(f"account {self.account_id} ({self.defaults_from}) used where {why}", count)
            return self.account_id
        self.note(
            f"account {DEFAULT_ACCOUNT_ID} (the default; set account_id= or --account-id) used where {why}", count
        )
        return DEFAULT_ACCOUNT_ID

    def default_region(self, why: str, count: int = 1) -> str:
        """The given Region, else the default, with a note either way."""
        if self.region:
            self.note(f"region {self.region} ({self.defaults_from}) used where {why}", count)
            return self.region
        self.note(f"region {DEFAULT_REGION} (the default; set region= or --region) used where {why}", count)
        return DEFAULT_REGION


# ----------------------------------------------------------------------------- values

_OFFSET_WITHOUT_COLON = re.compile(r"([+-]\d{2})(\d{2})$")
_FRACTION = re.compile(r"\.(\d+)")
EPOCH_MS_THRESHOLD = 1e11  # a number above this is epoch milliseconds (year 5138 in seconds)


def parse_time(value: Any, where: str) -> datetime:
    """A UTC datetime from any timestamp style seen in alarm exports.

    ISO 8601 with ``Z``, ``+0000`` or ``+00:00``, with or without fractions;
    naive times are UTC; numbers (or digit strings) are epoch seconds, or epoch
    milliseconds above 1e11.

    Examples
    --------
    >>> parse_time("2019-10-02T17:04:40.989+0000", "t").isoformat()
    '2019-10-02T17:04:40.989000+00:00'
    >>> parse_time(1704067200, "t").isoformat()
    '2024-01-01T00:00:00+00:00'
    """
    if isinstance(value, bool) or value is None:
        raise BadRecord(where, f"expected a timestamp, got {value!r}")
    if isinstance(value, (int, float)) or (isinstance(value, str) and _is_number(value)):
        try:
            number = float(value)
        except OverflowError:  # an integer beyond any float
            raise BadRecord(where, f"timestamp {shorten(str(value))} is out of range") from None
        if not math.isfinite(number):
            raise BadRecord(where, f"expected a timestamp, got {shorten(repr(value))}")
        if abs(number) > EPOCH_MS_THRESHOLD:
            number /= 1000.0
        try:
            return _in_range(datetime.fromtimestamp(number, tz=timezone.utc), value, where)
        except (OverflowError, OSError, ValueError):
            raise BadRecord(where, f"timestamp {shorten(repr(value))} is out of range") from None
    if not isinstance(value, str):
        raise BadRecord(where, f"expected a timestamp, got {type(value).__name__}")
    stripped = value.strip()
    if len(stripped) > _LONGEST_TIMESTAMP:
        raise BadRecord(where, f"expected a timestamp, got {shorten(repr(value))}")
    return _in_range(_parse_iso(stripped, where), value, where)


_LONGEST_TIMESTAMP = 64  # longer text is not a timestamp (and is not cached as one)


def shorten(text: str, limit: int = 120) -> str:
    """Text for a message: at most ``limit`` characters, with "..." where it was cut."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


# pandas keeps nanosecond times, which span 1677-09-21 to 2262-04-11
EARLIEST = datetime(1677, 9, 22, tzinfo=timezone.utc)
LATEST = datetime(2262, 4, 11, tzinfo=timezone.utc)


def _in_range(parsed: datetime, value: Any, where: str) -> datetime:
    if not EARLIEST <= parsed <= LATEST:
        raise BadRecord(where, f"timestamp {shorten(repr(value))} is outside 1677-09-22 .. 2262-04-11")
    return parsed


@functools.lru_cache(maxsize=65536)
def _parse_iso(text: str, where: str) -> datetime:
    try:  # Python 3.11+ reads every style seen in alarm exports directly
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = _parse_iso_normalised(text, where)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00
        raise BadRecord(where, f"timestamp {text!r} is out of range") from None


def _parse_iso_normalised(text: str, where: str) -> datetime:
    """The same, for Python 3.10's narrower fromisoformat."""
    normalised = text.replace(" ", "T", 1) if " " in text and "T" not in text else text
    if normalised.endswith(("Z", "z")):
        normalised = normalised[:-1] + "+00:00"
    normalised = _OFFSET_WITHOUT_COLON.sub(r"\1:\2", normalised)
    # Python 3.10's fromisoformat takes 3 or 6 fractional digits only
    normalised = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], normalised, count=1)
    try:
        return datetime.fromisoformat(normalised)
    except ValueError:
        raise BadRecord(where, f"expected an ISO 8601 timestamp, got {shorten(repr(text))}") from None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def get(record: Any, path: str, required: bool = True, default: Any = None) -> Any:
    """``record["a"]["b"]`` for ``path="a.b"``, with a :class:`BadRecord` naming the path."""
    current = record
    walked = []
    for part in path.split("."):
        walked.append(part)
        if not isinstance(current, dict):
            raise BadRecord(".".join(walked[:-1]) or "record", f"expected an object, got {type(current).__name__}")
        if part not in current or current[part] is None:
            if required:
                raise BadRecord(".".join(walked), "is missing")
            return default
        current = current[part]
    return current


def text(record: Any, path: str, required: bool = True) -> str:
    value = get(record, path, required, default="")
    if not isinstance(value, str):
        raise BadRecord(path, f"expected text, got {type(value).__name__}")
    return value


def state(record: Any, path: str) -> str:
    value = get(record, path)
    if value not in STATES:
        raise BadRecord(path, f"expected one of {', '.join(STATES)}, got {shorten(repr(value))}")
    return str(value)


def json_object(value: Any, where: str) -> dict[str, Any]:
    """An object given either as itself or as JSON text (``HistoryData``, ``Sns.Message``)."""
    if isinstance(value, str):
        try:
            value = decode_json(value)
        except JSONTextError as error:
            raise BadRecord(where, f"expected JSON text of an object ({error.problem})") from None
    if not isinstance(value, dict):
        raise BadRecord(where, f"expected an object, got {type(value).__name__}")
    return value


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)


# ----------------------------------------------------------------------------- identity


def alarm_of(arn: str) -> tuple[str, str, str] | None:
    """(account_id, region, alarm_name) of a well-formed alarm ARN whose name is not blank, else None."""
    parsed = parse_alarm_arn(arn) if arn else None
    return parsed if parsed is not None and parsed[2].strip() else None


def identity(ctx: ParseContext, arn: str, name: str, account: str, region: str) -> tuple[str, str, str, str]:
    """(alarm_arn, alarm_name, account_id, region) from whatever a record carries.

    A well-formed ARN wins; otherwise the ARN is built from the name, the
    record's account and region (or the defaults), and a note says so.
    """
    parsed = alarm_of(arn)
    if parsed is not None:
        arn_account, arn_region, arn_name = parsed
        if name and name != arn_name:
            ctx.note(
                f"alarm name {shorten(repr(name))} differs from the name in its ARN ({shorten(repr(arn_name))}); "
                "the ARN's name is the identity"
            )
        return arn, arn_name, arn_account, arn_region
    if not name.strip():
        raise BadRecord("alarm name", ("is blank" if name else "is missing") + " and there is no well-formed alarm ARN")
    if not is_account_id(account):
        account = ctx.default_account("the record has no 12-digit account")
    if not is_region(region):
        region = region_code(region) or ctx.default_region("the record has no Region code")
    reason = "it was not well formed" if arn else "the format carries none"
    ctx.note(f"alarm ARN built from account, Region and name ({reason})")
    return alarm_arn(account, region, name), name, account, region


@functools.lru_cache(maxsize=1)
def _region_names() -> dict[str, str]:
    """AWS Region display names ("US East (N. Virginia)") to codes, from botocore's endpoint data."""
    from botocore.loaders import Loader

    names: dict[str, str] = {}
    for partition in Loader().load_data("endpoints")["partitions"]:
        for code, info in partition.get("regions", {}).items():
            description = info.get("description")
            if description:
                names[description] = code
                if description.startswith("Europe ("):  # the older display name, still in old messages
                    names["EU (" + description[len("Europe (") :]] = code
    return names


def region_code(value: str) -> str | None:
    """``us-east-1`` for ``us-east-1`` or for its display name ``US East (N. Virginia)``."""
    if is_region(value):
        return value
    return _region_names().get(value)


def metric_of(metrics: Any, style: str) -> tuple[str, str, str]:
    """(namespace, metric_name, dimensions JSON) of an alarm's metric list.

    ``style`` is ``"lower"`` for EventBridge and Lambda payloads (``metricStat.metric.name``)
    or ``"upper"`` for SNS messages (``MetricStat.Metric.MetricName``).  Metric math
    alarms have no single metric: the namespace of their inputs is kept and the
    metric name left empty.
    """
    if not isinstance(metrics, list):
        return "", "", "{}"
    stat_key, metric_key, name_key, ns_key, dims_key, id_key = (
        ("metricStat", "metric", "name", "namespace", "dimensions", "returnData")
        if style == "lower"
        else ("MetricStat", "Metric", "MetricName", "Namespace", "Dimensions", "ReturnData")
    )
    stats = [m for m in metrics if isinstance(m, dict) and isinstance(m.get(stat_key), dict)]
    returned = [m for m in stats if m.get(id_key, True)]
    chosen = returned[0] if returned else None
    if chosen is None:
        namespaces = {
            _text_of(m[stat_key][metric_key].get(ns_key)) if isinstance(m[stat_key].get(metric_key), dict) else ""
            for m in stats
        }
        return (namespaces.pop() if len(namespaces) == 1 else ""), "", "{}"
    metric = chosen[stat_key].get(metric_key)
    if not isinstance(metric, dict):  # absent, null, or not an object: no metric to name
        return "", "", "{}"
    return _text_of(metric.get(ns_key)), _text_of(metric.get(name_key)), dimensions_json(metric.get(dims_key))


def _text_of(value: Any) -> str:
    """A member read as text: absent or null is ""; numbers and the like as written."""
    return "" if value is None else str(value)


def dimensions_json(value: Any) -> str:
    """Dimensions as compact JSON of a dict, from a dict or a [{name, value}] list."""
    if isinstance(value, dict):
        return compact(value)
    if isinstance(value, list):
        pairs = {}
        for item in value:
            if isinstance(item, dict):
                name = item.get("name", item.get("Name"))
                if name is not None:
                    pairs[str(name)] = item.get("value", item.get("Value"))
        return compact(pairs)
    return "{}"


def row(
    *,
    timestamp: datetime,
    arn: str,
    name: str,
    account: str,
    region: str,
    new: str,
    old: str,
    reason: str,
    ctx: ParseContext,
    namespace: str = "",
    metric_name: str = "",
    dimensions: str = "{}",
    suppressed_by: str = "",
) -> Row:
    return {
        "timestamp": timestamp,
        "account_id": account,
        "region": region,
        "alarm_name": name,
        "alarm_arn": arn,
        "state": new,
        "previous_state": old,
        "reason": reason,
        "source": ctx.source,
        "namespace": namespace,
        "metric_name": metric_name,
        "dimensions": dimensions,
        "actions_suppressed_by": suppressed_by,
    }


# ----------------------------------------------------------------------------- formats

STATE_CHANGE = "CloudWatch Alarm State Change"


def from_eventbridge(record: dict[str, Any], ctx: ParseContext) -> list[Row]:
    """An EventBridge event from CloudWatch (metric, metric math, anomaly detection, composite)."""
    detail_type = text(record, "detail-type")
    if detail_type != STATE_CHANGE:
        raise Skip(detail_type or "EventBridge event")
    detail = get(record, "detail")
    resources = record.get("resources") or []
    arn = resources[0] if isinstance(resources, list) and resources and isinstance(resources[0], str) else ""
    return _from_alarm_data(
        detail, "detail", ctx, arn, str(record.get("account", "")), str(record.get("region", "")), record.get("time")
    )


def _state_at(record: Any, path: str, prefix: str) -> str:
    try:
        return state(record, path)
    except BadRecord as error:
        raise BadRecord(prefix + error.field, error.problem) from None


def from_lambda(record: dict[str, Any], ctx: ParseContext) -> list[Row]:
    """The payload a CloudWatch alarm action sends to a Lambda function (``alarmData``)."""
    data = get(record, "alarmData")
    if not isinstance(data, dict):
        raise BadRecord("alarmData", f"expected an object, got {type(data).__name__}")
    return _from_alarm_data(
        data,
        "alarmData",
        ctx,
        text(record, "alarmArn", required=False),
        str(record.get("accountId", "")),
        str(record.get("region", "")),
        record.get("time"),
    )


def _from_alarm_data(
    data: Any, where: str, ctx: ParseContext, arn: str, account: str, region: str, fallback_time: Any
) -> list[Row]:
    """The alarm object EventBridge (``detail``) and Lambda alarm actions (``alarmData``) share:
    ``alarmName``, ``state``, ``previousState``, ``configuration``."""
    if not isinstance(data, dict):
        raise BadRecord(where, f"expected an object, got {type(data).__name__}")
    arn, name, account, region = identity(ctx, arn, text(data, "alarmName", required=False), account, region)
    configuration = data.get("configuration")
    metrics = configuration.get("metrics") if isinstance(configuration, dict) else None
    namespace, metric_name, dimensions = metric_of(metrics, "lower")
    return [
        row(
            timestamp=parse_time(
                get(data, "state.timestamp", required=False) or fallback_time, f"{where}.state.timestamp"
            ),
            arn=arn,
            name=name,
            account=account,
            region=region,
            new=_state_at(data, "state.value", f"{where}."),
            old=_state_at(data, "previousState.value", f"{where}."),
            reason=text(data, "state.reason", required=False),
            ctx=ctx,
            namespace=namespace,
            metric_name=metric_name,
            dimensions=dimensions,
            suppressed_by=text(data, "state.actionsSuppressedBy", required=False),
        )
    ]


def from_sns_message(message: dict[str, Any], ctx: ParseContext) -> list[Row]:
    """The alarm notification CloudWatch publishes to SNS (the decoded ``Sns.Message``)."""
    arn, name, account, region = identity(
        ctx,
        text(message, "AlarmArn", required=False),
        text(message, "AlarmName", required=False),
        str(message.get("AWSAccountId", "")),
        str(message.get("Region", "")),
    )
    trigger = message.get("Trigger") or {}
    if isinstance(trigger, dict) and "Metrics" in trigger:
        namespace, metric_name, dimensions = metric_of(trigger.get("Metrics"), "upper")
    elif isinstance(trigger, dict):
        namespace = _text_of(trigger.get("Namespace"))
        metric_name = _text_of(trigger.get("MetricName"))
        dimensions = dimensions_json(trigger.get("Dimensions"))
    else:
        namespace, metric_name, dimensions = "", "", "{}"
    return [
        row(
            timestamp=parse_time(get(message, "StateChangeTime"), "StateChangeTime"),
            arn=arn,
            name=name,
            account=account,
            region=region,
            new=state(message, "NewStateValue"),
            old=state(message, "OldStateValue"),
            reason=text(message, "NewStateReason", required=False),
            ctx=ctx,
            namespace=namespace,
            metric_name=metric_name,
            dimensions=dimensions,
        )
    ]


def from_sns_record(record: dict[str, Any], ctx: ParseContext) -> list[Row]:
    """One entry of a Lambda SNS event's ``Records`` (or an SNS notification as delivered to SQS)."""
    envelope = record.get("Sns", record)
    message = json_object(get(envelope, "Message"), "Sns.Message" if "Sns" in record else "Message")
    try:
        return from_sns_message(message, ctx)
    except BadRecord as error:
        raise BadRecord(f"Sns.Message.{error.field}", error.problem) from None


HISTORY_STATE_UPDATE = "StateUpdate"


def from_history_item(item: dict[str, Any], ctx: ParseContext) -> list[Row]:
    """An ``AlarmHistoryItems`` entry of ``describe-alarm-history`` (no ARN: it is built)."""
    kind = text(item, "HistoryItemType")
    if kind != HISTORY_STATE_UPDATE:
        raise Skip(kind)
    data = json_object(get(item, "HistoryData"), "HistoryData")
    name = text(item, "AlarmName")
    # the export has no ARN, account or Region; incidentsim capture adds the ARN from describe_alarms
    arn = text(item, "AlarmArn", required=False)
    if alarm_of(arn) is None:
        account = ctx.default_account("describe-alarm-history records carry no account")
        region = ctx.default_region("describe-alarm-history records carry no Region")
    else:
        account = region = ""
    arn, name, account, region = identity(ctx, arn, name, account, region)
    try:
        new = state(data, "newState.stateValue")
        old = state(data, "oldState.stateValue")
        reason = text(data, "newState.stateReason", required=False)
    except BadRecord as error:
        raise BadRecord(f"HistoryData.{error.field}", error.problem) from None
    return [
        row(
            timestamp=parse_time(get(item, "Timestamp"), "Timestamp"),
            arn=arn,
            name=name,
            account=account,
            region=region,
            new=new,
            old=old,
            reason=reason,
            ctx=ctx,
        )
    ]


def kind_of(record: Any) -> str:
    """Which format a decoded JSON record is in, from its keys."""
    if not isinstance(record, dict):
        return "unknown"
    if "detail-type" in record:
        return "eventbridge"
    if "alarmData" in record:
        return "lambda"
    if "HistoryItemType" in record:
        return "alarm_history"
    if "Sns" in record or ("Message" in record and "TopicArn" in record):
        return "sns"
    if "NewStateValue" in record and "AlarmName" in record:
        return "sns_message"
    return "unknown"


PARSERS: dict[str, Callable[[dict[str, Any], ParseContext], list[Row]]] = {
    "eventbridge": from_eventbridge,
    "lambda": from_lambda,
    "alarm_history": from_history_item,
    "sns": from_sns_record,
    "sns_message": from_sns_message,
}

JSON_FORMATS = ("eventbridge", "lambda", "alarm_history", "sns")


def parse_record(record: Any, ctx: ParseContext, expected: str | None = None) -> list[Row]:
    """Rows of one decoded JSON record, of the ``expected`` format or any recognised one."""
    kind = kind_of(record)
    if expected is not None and kind != expected and not (expected == "sns" and kind == "sns_message"):
        raise BadRecord("record", f"expected a {expected} record, found {_describe(record, kind)}")
    if kind == "unknown":
        raise BadRecord(
            "record",
            f"not an alarm state change: found {_describe(record, kind)}; expected an EventBridge event, "
            "a describe-alarm-history item, an SNS alarm notification or a Lambda alarm payload",
        )
    return PARSERS[kind](record, ctx)


def _describe(record: Any, kind: str) -> str:
    if kind != "unknown":
        return f"a {kind} record"
    if isinstance(record, dict):
        keys = ", ".join(shorten(str(key), 40) for key in list(record)[:6])
        return f"an object with keys {keys}" if keys else "an empty object"
    return f"a JSON {type(record).__name__}"
