"""CloudWatch metric alarm definitions: the model of ``PutMetricAlarm`` that alarm evaluation takes.

:class:`AlarmDefinition` is a metric alarm with a static threshold, validated against
botocore's ``PutMetricAlarm`` model; :meth:`AlarmDefinition.from_api` reads the API's
PascalCase members (``PutMetricAlarm`` input or a ``describe-alarms`` entry), as YAML and
JSON definition files hold them, and names the place of any problem
(:class:`AlarmDefinitionError`). No file IO happens here (:mod:`.metrics` reads the
files); :mod:`.evaluation` evaluates a definition over a metric series.

What is modelled, with its source
---------------------------------
Settings and limits (botocore's ``PutMetricAlarm`` model and its documentation
strings, https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html):

- ``Period`` is 10, 20, 30 or a multiple of 60 seconds; ``Period x EvaluationPeriods``
  is at most 604,800 s, and at most 86,400 s when the period is under an hour.
- ``DatapointsToAlarm`` (M) defaults to ``EvaluationPeriods`` (N) and is at most N.
- ``TreatMissingData`` is ``missing`` (default), ``ignore``, ``breaching`` or
  ``notBreaching``; alarms on ``AWS/DynamoDB`` metrics always ignore missing data.
- ``Statistic`` is one of the model's enumeration, ``ExtendedStatistic`` a
  percentile ``pNN`` (the other extended statistics are refused).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

import numpy as np

from ..yamlfile import located
from .schema import DEFAULT_ACCOUNT_ID, DEFAULT_REGION, alarm_arn, is_account_id, is_region, parse_alarm_arn

__all__ = [
    "HIGH_RESOLUTION_PERIODS",
    "IGNORES_MISSING_DATA_NAMESPACES",
    "LOW_SAMPLE_COUNT_PERCENTILE",
    "MAX_TOTAL_SECONDS",
    "MAX_TOTAL_SECONDS_SHORT_PERIOD",
    "TREAT_MISSING_DATA",
    "AlarmDefinition",
    "AlarmDefinitionError",
    "UnsupportedAlarmError",
    "anomaly_operators",
    "percentile_of",
    "standard_statistics",
    "threshold_operators",
]

TREAT_MISSING_DATA = ("missing", "ignore", "breaching", "notBreaching")
LOW_SAMPLE_COUNT_PERCENTILE = ("evaluate", "ignore")
HIGH_RESOLUTION_PERIODS = (10, 20, 30)
MAX_TOTAL_SECONDS = 604_800  # Period x EvaluationPeriods
MAX_TOTAL_SECONDS_SHORT_PERIOD = 86_400  # ... when Period < 3600
IGNORES_MISSING_DATA_NAMESPACES = ("AWS/DynamoDB",)

_PERCENTILE = re.compile(r"^p(?P<value>100(?:\.0{1,2})?|\d{1,2}(?:\.\d{1,2})?)$")
# AlarmDefinition field -> PutMetricAlarm member, for error messages
_MEMBERS = {
    "alarm_name": "AlarmName",
    "metric_name": "MetricName",
    "namespace": "Namespace",
    "dimensions": "Dimensions",
    "statistic": "Statistic",
    "period": "Period",
    "threshold": "Threshold",
    "comparison_operator": "ComparisonOperator",
    "evaluation_periods": "EvaluationPeriods",
    "datapoints_to_alarm": "DatapointsToAlarm",
    "treat_missing_data": "TreatMissingData",
    "evaluate_low_sample_count_percentile": "EvaluateLowSampleCountPercentile",
    "unit": "Unit",
    "description": "AlarmDescription",
    "account_id": "AlarmArn",
    "region": "AlarmArn",
    "actions_enabled": "ActionsEnabled",
}


class AlarmDefinitionError(ValueError):
    """An alarm definition is not valid; the message names the place, the member and the problem.

    For example ``alarm.yaml:7 MetricAlarms[0].Period: must be 10, 20, 30 or a multiple of 60, got 45``,
    worded as every file reader words a problem (:func:`incidentsim.yamlfile.located`).
    """

    def __init__(self, where: str, member: str, problem: str):
        super().__init__(located(" ".join(part for part in (where, member) if part), problem))
        self.where = where
        self.member = member
        self.problem = problem


class UnsupportedAlarmError(AlarmDefinitionError):
    """A CloudWatch alarm incidentsim cannot evaluate from one metric series: metric math,
    anomaly detection, PromQL, composite alarms and alarms with a warm-up period."""


# ----------------------------------------------------------------------------- botocore's model


@functools.lru_cache(maxsize=1)
def _put_metric_alarm_shape() -> Any:
    import botocore.session

    model = botocore.session.get_session().get_service_model("cloudwatch")
    return model.operation_model("PutMetricAlarm").input_shape


@functools.lru_cache(maxsize=1)
def _metric_alarm_members() -> frozenset[str]:
    """Members of PutMetricAlarm's input and of describe-alarms' MetricAlarm (read-only state)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("cloudwatch")
    return frozenset(_put_metric_alarm_shape().members) | frozenset(model.shape_for("MetricAlarm").members)


def _enum(member: str) -> tuple[str, ...]:
    return tuple(_put_metric_alarm_shape().members[member].enum)


def _length(member: str, value: str, name: str) -> None:
    """The model's min/max length of the string member behind field ``name``."""
    metadata = _put_metric_alarm_shape().members[member].metadata
    low, high = metadata.get("min", 0), metadata.get("max")
    if len(value) < low or (high is not None and len(value) > high):
        raise AlarmDefinitionError("AlarmDefinition", name, f"must be {low} to {high} characters, got {len(value)}")


def standard_statistics() -> tuple[str, ...]:
    """``SampleCount``, ``Average``, ... as botocore's model lists them."""
    return _enum("Statistic")


def threshold_operators() -> tuple[str, ...]:
    """The static-threshold comparison operators of botocore's model (not the anomaly-band ones)."""
    return tuple(op for op in _enum("ComparisonOperator") if "Lower" not in op and "Upper" not in op)


def anomaly_operators() -> tuple[str, ...]:
    return tuple(op for op in _enum("ComparisonOperator") if op not in threshold_operators())


def percentile_of(statistic: str) -> float | None:
    """The percentile of an extended statistic such as ``p99`` or ``p99.9`` (in percent), else None."""
    match = _PERCENTILE.match(statistic)
    return float(match["value"]) if match else None


# ----------------------------------------------------------------------------- the definition


@dataclass(frozen=True, kw_only=True)
class AlarmDefinition:
    """A CloudWatch metric alarm with a static threshold, as ``PutMetricAlarm`` takes it.

    Parameters
    ----------
    alarm_name, metric_name, namespace : str
        The alarm and the metric it watches.
    dimensions : mapping of str to str
        The metric's dimensions (``{"InstanceId": "i-0c986c72"}``).
    statistic : str
        ``SampleCount``, ``Average``, ``Sum``, ``Minimum``, ``Maximum`` or a
        percentile ``pNN`` (``p99``, ``p99.9``).
    period : int
        Seconds per datapoint: 10, 20, 30 or a multiple of 60.
    threshold : float
    comparison_operator : str
        ``GreaterThanThreshold``, ``GreaterThanOrEqualToThreshold``,
        ``LessThanThreshold`` or ``LessThanOrEqualToThreshold``.
    evaluation_periods : int
        N of "M out of N".
    datapoints_to_alarm : int, optional
        M of "M out of N"; None means N, as in CloudWatch.  See :attr:`m`.
    treat_missing_data : str
        ``missing`` (default), ``ignore``, ``breaching`` or ``notBreaching``.
    evaluate_low_sample_count_percentile : str
        ``evaluate`` (default) or ``ignore``; percentile statistics only.
    unit, description : str, optional
    account_id, region : str
        Where the alarm lives (defaults 123456789012 and us-east-1).
    actions_enabled : bool

    Raises
    ------
    AlarmDefinitionError
        naming the field and the problem.

    Examples
    --------
    >>> cpu = AlarmDefinition(alarm_name="cpu-high", metric_name="CPUUtilization", namespace="AWS/EC2",
    ...                       statistic="Average", period=300, threshold=70, evaluation_periods=5,
    ...                       datapoints_to_alarm=3, comparison_operator="GreaterThanThreshold")
    >>> cpu.m, cpu.n, cpu.alarm_arn
    (3, 5, 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:cpu-high')
    >>> try:
    ...     cpu.replace(period=45)
    ... except AlarmDefinitionError as error:
    ...     print(f"{type(error).__name__}: {error}")
    AlarmDefinitionError: AlarmDefinition period: must be 10, 20, 30 or a multiple of 60, got 45
    """

    alarm_name: str
    metric_name: str
    namespace: str
    dimensions: Mapping[str, str] = field(default_factory=dict, hash=False)
    statistic: str
    period: int
    threshold: float
    comparison_operator: str
    evaluation_periods: int
    datapoints_to_alarm: int | None = None
    treat_missing_data: str = "missing"
    evaluate_low_sample_count_percentile: str = "evaluate"
    unit: str | None = None
    description: str = ""
    account_id: str = DEFAULT_ACCOUNT_ID
    region: str = DEFAULT_REGION
    actions_enabled: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.dimensions, Mapping):
            _fail("dimensions", f"expected a mapping of name to value, got {type(self.dimensions).__name__}")
        object.__setattr__(self, "dimensions", dict(self.dimensions))  # a private copy: the caller's dict may change
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, (int, float, np.integer, np.floating)):
            _fail("threshold", f"expected a number, got {type(self.threshold).__name__}")
        object.__setattr__(self, "threshold", float(self.threshold))
        _validate(self)

    # "M out of N"
    @property
    def m(self) -> int:
        """Datapoints to alarm (M): ``datapoints_to_alarm``, or N when it is not set."""
        return self.evaluation_periods if self.datapoints_to_alarm is None else self.datapoints_to_alarm

    @property
    def n(self) -> int:
        """Evaluation periods (N)."""
        return self.evaluation_periods

    @property
    def alarm_arn(self) -> str:
        return alarm_arn(self.account_id, self.region, self.alarm_name)

    @property
    def percentile(self) -> float | None:
        """The percentile (in percent) of a ``pNN`` statistic, else None."""
        return percentile_of(self.statistic)

    @property
    def effective_treat_missing_data(self) -> str:
        """``ignore`` for ``AWS/DynamoDB`` metrics, whatever is set (as PutMetricAlarm documents), else the setting."""
        return "ignore" if self.namespace in IGNORES_MISSING_DATA_NAMESPACES else self.treat_missing_data

    def replace(self, **changes: Any) -> AlarmDefinition:
        """A copy with some fields changed (and validated), e.g. ``definition.replace(threshold=80)``."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_api(cls, data: Mapping[str, Any], where: str = "", *, path: str = "") -> AlarmDefinition:
        """A definition from ``PutMetricAlarm`` members (PascalCase), or a ``describe-alarms`` ``MetricAlarms`` entry.

        Parameters
        ----------
        data : mapping
            ``{"AlarmName": ..., "MetricName": ..., "Period": 300, ...}``.  ``Dimensions`` may be
            the API's ``[{"Name": ..., "Value": ...}]`` or a mapping.  ``AlarmArn`` (describe-alarms
            output) gives the account and Region.
        where : str
            The place of ``data`` for error messages, e.g. ``"alarm.yaml"`` or ``"alarm.yaml:7"``.
        path : str
            The path of ``data`` inside its document, e.g. ``"MetricAlarms[0]"``.

        Raises
        ------
        UnsupportedAlarmError
            for metric math (``Metrics``), anomaly detection (``ThresholdMetricId`` or a band
            operator), PromQL (``EvaluationCriteria``), composite (``AlarmRule``) alarms and
            ``WarmUpConfiguration``.
        AlarmDefinitionError
            naming ``where``, the member path and the problem.

        Examples
        --------
        >>> d = AlarmDefinition.from_api({"AlarmName": "cpu", "MetricName": "CPUUtilization", "Namespace": "AWS/EC2",
        ...     "Statistic": "Average", "Period": 300, "Threshold": 70.0, "EvaluationPeriods": 2,
        ...     "ComparisonOperator": "GreaterThanThreshold", "Dimensions": [{"Name": "InstanceId", "Value": "i-1"}]})
        >>> d.dimensions, d.m
        ({'InstanceId': 'i-1'}, 2)
        >>> try:
        ...     AlarmDefinition.from_api({**d.to_api(), "Period": 45}, "alarm.yaml", path="MetricAlarms[0]")
        ... except AlarmDefinitionError as error:
        ...     print(f"{type(error).__name__}: {error}")
        AlarmDefinitionError: alarm.yaml MetricAlarms[0].Period: must be 10, 20, 30 or a multiple of 60, got 45
        """
        return _from_api(cls, data, where, path)

    def to_api(self) -> dict[str, Any]:
        """The ``PutMetricAlarm`` members of this definition (``from_api(d.to_api())`` gives ``d`` back,
        but for the account and Region, which PutMetricAlarm does not carry)."""
        api: dict[str, Any] = {
            "AlarmName": self.alarm_name,
            "MetricName": self.metric_name,
            "Namespace": self.namespace,
            "Dimensions": [{"Name": k, "Value": v} for k, v in self.dimensions.items()],
            ("ExtendedStatistic" if self.percentile is not None else "Statistic"): self.statistic,
            "Period": self.period,
            "Threshold": self.threshold,
            "ComparisonOperator": self.comparison_operator,
            "EvaluationPeriods": self.evaluation_periods,
            "TreatMissingData": self.treat_missing_data,
            "ActionsEnabled": self.actions_enabled,
        }
        if self.datapoints_to_alarm is not None:
            api["DatapointsToAlarm"] = self.datapoints_to_alarm
        if self.percentile is not None:
            api["EvaluateLowSampleCountPercentile"] = self.evaluate_low_sample_count_percentile
        if self.unit is not None:
            api["Unit"] = self.unit
        if self.description:
            api["AlarmDescription"] = self.description
        return api


def _fail(name: str, problem: str, error: type[AlarmDefinitionError] = AlarmDefinitionError) -> NoReturn:
    raise error("AlarmDefinition", name, problem)


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _validate(d: AlarmDefinition) -> None:
    """Every field of a definition, against botocore's model where it holds the rule."""
    for name in ("alarm_name", "metric_name", "namespace"):
        value = getattr(d, name)
        if not isinstance(value, str):
            _fail(name, f"expected text, got {type(value).__name__}")
        _length(_MEMBERS[name], value, name)
    if not d.alarm_name.isascii():
        _fail("alarm_name", f"must contain only ASCII characters, got {d.alarm_name!r}")
    if d.namespace.startswith(":"):
        _fail("namespace", f"must not start with ':', got {d.namespace!r}")
    dimension_shape = _put_metric_alarm_shape().members["Dimensions"]
    if len(d.dimensions) > dimension_shape.metadata.get("max", 30):
        _fail("dimensions", f"at most {dimension_shape.metadata.get('max', 30)} dimensions, got {len(d.dimensions)}")
    for key, value in d.dimensions.items():
        if not isinstance(key, str) or not isinstance(value, str):
            _fail("dimensions", f"names and values must be text, got {key!r}: {value!r}")
        for part, text in (("Name", key), ("Value", value)):
            meta = dimension_shape.member.members[part].metadata
            if not meta.get("min", 0) <= len(text) <= meta.get("max", 1024):
                _fail(
                    "dimensions",
                    f"dimension {part.lower()} {text!r} must be {meta.get('min', 0)} to {meta.get('max')} characters",
                )
    if d.statistic not in standard_statistics() and d.percentile is None:
        _fail(
            "statistic",
            f"must be one of {', '.join(standard_statistics())} or a percentile such as p99 (other extended statistics "
            f"such as tm90 or IQM are not evaluated by incidentsim), got {d.statistic!r}",
        )
    if not _is_int(d.period) or d.period < 1 or not (d.period in HIGH_RESOLUTION_PERIODS or d.period % 60 == 0):
        _fail("period", f"must be 10, 20, 30 or a multiple of 60, got {d.period!r}")
    if not math.isfinite(d.threshold):
        _fail("threshold", f"must be a finite number, got {d.threshold!r}")
    if d.comparison_operator in anomaly_operators():
        _fail(
            "comparison_operator",
            f"{d.comparison_operator} compares with an anomaly detection band; incidentsim evaluates static "
            f"thresholds only ({', '.join(threshold_operators())})",
            UnsupportedAlarmError,
        )
    if d.comparison_operator not in threshold_operators():
        _fail(
            "comparison_operator", f"must be one of {', '.join(threshold_operators())}, got {d.comparison_operator!r}"
        )
    if not _is_int(d.evaluation_periods) or d.evaluation_periods < 1:
        _fail("evaluation_periods", f"must be an integer of at least 1, got {d.evaluation_periods!r}")
    if d.datapoints_to_alarm is not None:
        if not _is_int(d.datapoints_to_alarm) or d.datapoints_to_alarm < 1:
            _fail("datapoints_to_alarm", f"must be an integer of at least 1, got {d.datapoints_to_alarm!r}")
        if d.datapoints_to_alarm > d.evaluation_periods:
            _fail(
                "datapoints_to_alarm",
                f"must be at most EvaluationPeriods ({d.evaluation_periods}), got {d.datapoints_to_alarm}: CloudWatch "
                f"refuses an alarm whose DatapointsToAlarm (M) is more than its EvaluationPeriods (N)",
            )
    total = d.period * d.evaluation_periods
    if total > MAX_TOTAL_SECONDS:
        _fail(
            "period",
            f"Period x EvaluationPeriods must be at most {MAX_TOTAL_SECONDS:,} seconds (7 days), got {total:,}",
        )
    if d.period < 3600 and total > MAX_TOTAL_SECONDS_SHORT_PERIOD:
        _fail(
            "period",
            "with a period under an hour, Period x EvaluationPeriods must be at most "
            f"{MAX_TOTAL_SECONDS_SHORT_PERIOD:,} seconds (1 day), got {total:,}",
        )
    if d.treat_missing_data not in TREAT_MISSING_DATA:
        _fail("treat_missing_data", f"must be one of {', '.join(TREAT_MISSING_DATA)}, got {d.treat_missing_data!r}")
    if d.evaluate_low_sample_count_percentile not in LOW_SAMPLE_COUNT_PERCENTILE:
        _fail(
            "evaluate_low_sample_count_percentile",
            f"must be one of {', '.join(LOW_SAMPLE_COUNT_PERCENTILE)}, got {d.evaluate_low_sample_count_percentile!r}",
        )
    if d.unit is not None and d.unit not in _enum("Unit"):
        _fail("unit", f"must be one of {', '.join(_enum('Unit'))}, got {d.unit!r}")
    if not isinstance(d.description, str):
        _fail("description", f"expected text, got {type(d.description).__name__}")
    if not is_account_id(d.account_id):
        _fail("account_id", f"expected a 12-digit account, got {d.account_id!r}")
    if not is_region(d.region):
        _fail("region", f"expected an AWS Region such as us-east-1, got {d.region!r}")
    if not isinstance(d.actions_enabled, bool):
        _fail("actions_enabled", f"expected true or false, got {d.actions_enabled!r}")


# ----------------------------------------------------------------------------- from the API's shape

_UNSUPPORTED_MEMBERS = {
    "Metrics": "a metric math alarm (Metrics) evaluates an expression over several metrics, not one series",
    "ThresholdMetricId": "an anomaly detection alarm (ThresholdMetricId) compares with a band, not a static threshold",
    "EvaluationCriteria": "a PromQL alarm (EvaluationCriteria) is evaluated by its query, not a metric series",
    "AlarmRule": "a composite alarm (AlarmRule) follows other alarms' states, not a metric",
    "WarmUpConfiguration": "a warm-up period (WarmUpConfiguration) depends on when the alarm was created or updated",
}
_UTC_NAMES = ("UTC", "Etc/UTC", "GMT", "Z", "+00:00", "UTC+00:00", "UTC+0")


def _from_api(cls: type[AlarmDefinition], data: Any, where: str, path: str) -> AlarmDefinition:
    def place(member: str) -> str:
        return f"{path}.{member}" if path else member

    if not isinstance(data, Mapping):
        raise AlarmDefinitionError(
            where, path or "alarm", f"expected a mapping of PutMetricAlarm members, got {type(data).__name__}"
        )
    name = data.get("AlarmName")
    label = f"alarm {name!r}: " if isinstance(name, str) else ""
    for member, why in _UNSUPPORTED_MEMBERS.items():
        if member in data and data[member] is not None:
            raise UnsupportedAlarmError(
                where, place(member), f"{label}{why}; incidentsim evaluates single-metric static-threshold alarms"
            )
    known = _metric_alarm_members()
    unknown = sorted(str(k) for k in data if k not in known)
    if unknown:
        raise AlarmDefinitionError(
            where,
            place(unknown[0]),
            f"unknown member; PutMetricAlarm takes {', '.join(sorted(_put_metric_alarm_shape().members))}",
        )
    _check_window(data.get("EvaluationWindow"), where, place("EvaluationWindow"), label)

    def required(member: str) -> Any:
        if data.get(member) is None:
            raise AlarmDefinitionError(where, place(member), "is missing")
        return data[member]

    def text(member: str, value: Any) -> str:
        if not isinstance(value, str):
            raise AlarmDefinitionError(where, place(member), f"expected text, got {type(value).__name__} {value!r}")
        return value

    def integer(member: str, value: Any) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not _is_int(value):
            raise AlarmDefinitionError(
                where, place(member), f"expected an integer, got {type(value).__name__} {value!r}"
            )
        return int(value)

    def number(member: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise AlarmDefinitionError(where, place(member), f"expected a number, got {type(value).__name__} {value!r}")
        return float(value)

    statistic, extended = data.get("Statistic"), data.get("ExtendedStatistic")
    if statistic is not None and extended is not None:
        raise AlarmDefinitionError(
            where, place("ExtendedStatistic"), "give either Statistic or ExtendedStatistic, not both"
        )
    if statistic is None and extended is None:
        raise AlarmDefinitionError(where, place("Statistic"), "is missing (give Statistic or ExtendedStatistic)")
    stat_member = "Statistic" if statistic is not None else "ExtendedStatistic"
    if extended is not None and percentile_of(text("ExtendedStatistic", extended)) is None:
        raise UnsupportedAlarmError(
            where,
            place("ExtendedStatistic"),
            f"{label}only percentiles such as p99 are evaluated by incidentsim, got {extended!r}",
        )

    account, region = DEFAULT_ACCOUNT_ID, DEFAULT_REGION
    arn = data.get("AlarmArn")
    if arn is not None:
        parsed = parse_alarm_arn(text("AlarmArn", arn))
        if parsed is None:
            raise AlarmDefinitionError(
                where, place("AlarmArn"), f"expected arn:aws:cloudwatch:<region>:<account>:alarm:<name>, got {arn!r}"
            )
        account, region, arn_name = parsed
        if isinstance(name, str) and arn_name != name:
            raise AlarmDefinitionError(where, place("AlarmArn"), f"names alarm {arn_name!r}, but AlarmName is {name!r}")

    actions = data.get("ActionsEnabled", True)
    if not isinstance(actions, bool):
        raise AlarmDefinitionError(where, place("ActionsEnabled"), f"expected true or false, got {actions!r}")
    datapoints = data.get("DatapointsToAlarm")
    values: dict[str, Any] = {
        "alarm_name": text("AlarmName", required("AlarmName")),
        "metric_name": text("MetricName", required("MetricName")),
        "namespace": text("Namespace", required("Namespace")),
        "dimensions": _dimensions(data.get("Dimensions"), where, place("Dimensions")),
        "statistic": text(stat_member, data[stat_member]),
        "period": integer("Period", required("Period")),
        "threshold": number("Threshold", required("Threshold")),
        "comparison_operator": text("ComparisonOperator", required("ComparisonOperator")),
        "evaluation_periods": integer("EvaluationPeriods", required("EvaluationPeriods")),
        "datapoints_to_alarm": None if datapoints is None else integer("DatapointsToAlarm", datapoints),
        "treat_missing_data": text("TreatMissingData", data.get("TreatMissingData") or "missing"),
        "evaluate_low_sample_count_percentile": text(
            "EvaluateLowSampleCountPercentile", data.get("EvaluateLowSampleCountPercentile") or "evaluate"
        ),
        "unit": None if data.get("Unit") is None else text("Unit", data["Unit"]),
        "description": text("AlarmDescription", data.get("AlarmDescription") or ""),
        "account_id": account,
        "region": region,
        "actions_enabled": actions,
    }
    try:
        return cls(**values)
    except AlarmDefinitionError as error:
        member = stat_member if error.member == "statistic" else _MEMBERS.get(error.member, error.member)
        raise type(error)(
            where, place(member), f"{label if isinstance(error, UnsupportedAlarmError) else ''}{error.problem}"
        ) from None


def _dimensions(value: Any, where: str, member: str) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    if not isinstance(value, list):
        raise AlarmDefinitionError(
            where, member, f"expected a list of {{Name, Value}} or a mapping, got {type(value).__name__}"
        )
    out: dict[str, str] = {}
    shape = _put_metric_alarm_shape().members["Dimensions"].member
    for index, item in enumerate(value):
        if not isinstance(item, Mapping) or "Name" not in item or "Value" not in item:
            raise AlarmDefinitionError(where, f"{member}[{index}]", f"expected {{Name, Value}}, got {item!r}")
        for part in ("Name", "Value"):
            text, meta = item[part], shape.members[part].metadata
            if not isinstance(text, str):
                raise AlarmDefinitionError(
                    where, f"{member}[{index}].{part}", f"expected text, got {type(text).__name__} {text!r}"
                )
            if not meta.get("min", 0) <= len(text) <= meta.get("max", 1024):
                raise AlarmDefinitionError(
                    where,
                    f"{member}[{index}].{part}",
                    f"must be {meta.get('min', 0)} to {meta.get('max')} characters, got {text!r}",
                )
        out[item["Name"]] = item["Value"]
    return out


def _check_window(window: Any, where: str, member: str, label: str) -> None:
    """EvaluationWindow: a sliding window (the default) or a wall-clock window in UTC.

    Periods here are aligned to the epoch in UTC, which is the wall-clock window;
    a wall-clock window in another time zone is refused rather than misread.
    """
    if window is None:
        return
    if (
        not isinstance(window, Mapping)
        or len(window) != 1
        or next(iter(window)) not in ("SlidingWindow", "WallClockWindow")
    ):
        raise AlarmDefinitionError(
            where, member, f"expected exactly one of SlidingWindow or WallClockWindow, got {window!r}"
        )
    clock = window.get("WallClockWindow")
    zone = clock.get("Timezone") if isinstance(clock, Mapping) else None
    if zone is not None and zone not in _UTC_NAMES:
        raise UnsupportedAlarmError(
            where,
            f"{member}.WallClockWindow.Timezone",
            f"{label}periods are aligned in UTC here; time zone {zone!r} is not evaluated",
        )
