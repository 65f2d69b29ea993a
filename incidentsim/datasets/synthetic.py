"""A deterministic, seeded sample alarm history: the generator behind ``data/``.

:func:`generate_history` builds a month of CloudWatch alarm state changes for three
services (``checkout``, ``payments``, ``search``) in two accounts and two Regions, as an
AlarmFrame whose ``raw`` column holds the exact "CloudWatch Alarm State Change"
EventBridge event of each row. Besides background noise that follows a daily traffic
cycle, the history holds five stories a replay should surface:

==================  ========================================================================
story               what happens
==================  ========================================================================
``chronic``         a dead-letter-queue alarm goes to ALARM early and never clears
``flapping``        a 1-of-1 latency alarm flips ALARM/OK every few minutes for an afternoon
``maintenance``     a scheduled Sunday 02:00-04:00 UTC database maintenance sets off a burst
                    of payments alarms; the payments composite alarm's actions are suppressed
                    (``WaitPeriod``, ``Alarm``, ``ExtensionPeriod``) by a maintenance alarm
``cascade``         a payments database overload spreads to checkout and search within half an
                    hour, then recovers over one to two hours
``metrics_gap``     every metric alarm of one account and Region goes INSUFFICIENT_DATA for
                    about twenty minutes; the search indexer also idles into INSUFFICIENT_DATA
                    most nights
==================  ========================================================================

:func:`to_eventbridge_events` and :func:`to_alarm_history` render a frame in the two
export formats the loaders read, and :func:`write_sample` writes the bundled files.
Every time derives from the ``start`` argument and every random draw from
``numpy.random.default_rng(seed)``: the same arguments give byte-identical output.

Regenerate the bundled files with ``python -m incidentsim.datasets.synthetic --out data``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .cloudwatch_text import (
    INITIAL_REASON,
    composite_created_reason,
    composite_transition_reason,
    insufficient_data_reason,
    state_timestamp,
    threshold_crossed_reason,
)
from .schema import alarm_arn, record_id, validate_alarm_frame

__all__ = [
    "ACCOUNTS",
    "REGIONS",
    "SERVICES",
    "STORY_ALARMS",
    "estate_alarms",
    "generate_history",
    "main",
    "story_windows",
    "to_alarm_history",
    "to_eventbridge_events",
    "write_sample",
]

SOURCE = "aws.cloudwatch"
DETAIL_TYPE = "CloudWatch Alarm State Change"
ACCOUNTS = ("111111111111", "222222222222")
REGIONS = ("us-east-1", "eu-west-1")
SERVICES = ("checkout", "payments", "search")

#: (service, account, Region) where each service runs.
DEPLOYMENTS: tuple[tuple[str, str, str], ...] = (
    ("checkout", "111111111111", "us-east-1"),
    ("checkout", "111111111111", "eu-west-1"),
    ("payments", "222222222222", "us-east-1"),
    ("payments", "222222222222", "eu-west-1"),
    ("search", "111111111111", "us-east-1"),
    ("search", "222222222222", "eu-west-1"),
)

#: The alarm at the centre of each story, by ARN.
STORY_ALARMS: dict[str, str] = {
    "chronic": alarm_arn("111111111111", "eu-west-1", "checkout-orders-dlq-not-empty"),
    "flapping": alarm_arn("111111111111", "us-east-1", "search-api-latency-high"),
    "maintenance": alarm_arn("222222222222", "eu-west-1", "payments-maintenance-mode"),
    "cascade": alarm_arn("222222222222", "us-east-1", "payments-db-cpu-high"),
    "metrics_gap": alarm_arn("222222222222", "eu-west-1", "payments-api-5xx-high"),
}

_MIN = 60_000
_HOUR = 60 * _MIN
_DAY = 24 * _HOUR
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
#: Hour of day (UTC) when traffic peaks in each Region.
_PEAK_HOUR = {"us-east-1": 18.0, "eu-west-1": 12.0}
#: Traffic that never goes away, added to the daily curve of :func:`_load`.
_LOAD_FLOOR = 0.08


# --------------------------------------------------------------------------------------
# The alarm catalogue
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Template:
    """One alarm of a service, before it is placed in an account and Region."""

    suffix: str
    namespace: str = ""
    metric_name: str = ""
    dimensions: tuple[tuple[str, str], ...] = ()
    stat: str = "Average"
    period: int = 60
    evaluation_periods: int = 1
    datapoints_to_alarm: int = 1
    threshold: float = 0.0
    comparison: str = "GreaterThanThreshold"
    healthy: tuple[float, float] = (0.0, 0.0)
    breach: tuple[float, float] = (1.0, 1.0)
    integer: bool = False
    load: bool = True
    description: str = ""
    treat_missing: str = "missing"
    expression: str = ""
    math_metrics: tuple[tuple[str, str, str], ...] = ()
    rule: tuple[str, ...] = ()


_ALB = "AWS/ApplicationELB"
_LB = (("LoadBalancer", "app/{service}-api/{lb}"),)

_TEMPLATES: dict[str, tuple[_Template, ...]] = {
    "checkout": (
        _Template(
            "api-5xx-high",
            _ALB,
            "HTTPCode_Target_5XX_Count",
            _LB,
            "Sum",
            60,
            5,
            3,
            50.0,
            healthy=(0, 24),
            breach=(55, 420),
            integer=True,
            description="Checkout API targets returned more than 50 5XX responses a minute in 3 of 5 minutes.",
        ),
        _Template(
            "api-latency-high",
            _ALB,
            "TargetResponseTime",
            _LB,
            "Average",
            60,
            5,
            3,
            1.5,
            healthy=(0.08, 0.9),
            breach=(1.55, 6.5),
            description="Checkout API average response time above 1.5 s in 3 of 5 minutes.",
        ),
        _Template(
            "api-unhealthy-hosts",
            _ALB,
            "UnHealthyHostCount",
            (("TargetGroup", "targetgroup/{service}-api/{tg}"), *_LB),
            "Maximum",
            60,
            2,
            2,
            0.0,
            healthy=(0, 0),
            breach=(1, 3),
            integer=True,
            load=False,
            description="At least one checkout API target failed its health checks for 2 minutes.",
        ),
        _Template(
            "api-error-rate-high",
            _ALB,
            "",
            _LB,
            "",
            60,
            3,
            3,
            5.0,
            healthy=(0.01, 2.5),
            breach=(5.2, 38.0),
            description="Checkout API 5XX error rate above 5% for 3 minutes.",
            expression="100 * m1 / m2",
            math_metrics=(("m1", "HTTPCode_Target_5XX_Count", "Sum"), ("m2", "RequestCount", "Sum")),
        ),
        _Template(
            "cart-lambda-errors",
            "AWS/Lambda",
            "Errors",
            (("FunctionName", "checkout-cart-handler"),),
            "Sum",
            60,
            3,
            2,
            10.0,
            healthy=(0, 6),
            breach=(11, 140),
            integer=True,
            description="checkout-cart-handler raised more than 10 errors a minute in 2 of 3 minutes.",
        ),
        _Template(
            "db-cpu-high",
            "AWS/RDS",
            "CPUUtilization",
            (("DBInstanceIdentifier", "checkout-db-1"),),
            "Average",
            300,
            3,
            3,
            80.0,
            healthy=(12.0, 68.0),
            breach=(80.5, 99.6),
            description="checkout-db-1 CPU above 80% for 15 minutes.",
        ),
        _Template(
            "db-connections-high",
            "AWS/RDS",
            "DatabaseConnections",
            (("DBInstanceIdentifier", "checkout-db-1"),),
            "Average",
            60,
            3,
            3,
            400.0,
            healthy=(40, 330),
            breach=(405, 900),
            integer=True,
            description="checkout-db-1 has more than 400 open connections for 3 minutes.",
        ),
        _Template(
            "orders-queue-age-high",
            "AWS/SQS",
            "ApproximateAgeOfOldestMessage",
            (("QueueName", "checkout-orders"),),
            "Maximum",
            60,
            5,
            5,
            300.0,
            healthy=(1, 95),
            breach=(305, 3600),
            integer=True,
            description="The oldest message on checkout-orders has waited more than 5 minutes.",
        ),
        _Template(
            "orders-dlq-not-empty",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            (("QueueName", "checkout-orders-dlq"),),
            "Maximum",
            300,
            1,
            1,
            0.0,
            healthy=(0, 0),
            breach=(1, 40),
            integer=True,
            load=False,
            treat_missing="notBreaching",
            description="Orders are waiting on the checkout-orders dead-letter queue.",
        ),
        _Template("service-degraded", rule=("api-5xx-high", "api-error-rate-high"), load=False),
    ),
    "payments": (
        _Template(
            "api-5xx-high",
            _ALB,
            "HTTPCode_Target_5XX_Count",
            _LB,
            "Sum",
            60,
            5,
            3,
            20.0,
            healthy=(0, 9),
            breach=(21, 260),
            integer=True,
            description="Payments API targets returned more than 20 5XX responses a minute in 3 of 5 minutes.",
        ),
        _Template(
            "api-latency-high",
            _ALB,
            "TargetResponseTime",
            _LB,
            "Average",
            60,
            5,
            3,
            1.0,
            healthy=(0.05, 0.7),
            breach=(1.02, 4.8),
            description="Payments API average response time above 1 s in 3 of 5 minutes.",
        ),
        _Template(
            "gateway-5xx-high",
            "AWS/ApiGateway",
            "5XXError",
            (("ApiName", "payments-public"),),
            "Sum",
            60,
            3,
            2,
            10.0,
            healthy=(0, 5),
            breach=(11, 180),
            integer=True,
            description="The payments-public API returned more than 10 5XX errors a minute in 2 of 3 minutes.",
        ),
        _Template(
            "authorize-lambda-errors",
            "AWS/Lambda",
            "Errors",
            (("FunctionName", "payments-authorize"),),
            "Sum",
            60,
            3,
            2,
            5.0,
            healthy=(0, 3),
            breach=(6, 90),
            integer=True,
            description="payments-authorize raised more than 5 errors a minute in 2 of 3 minutes.",
        ),
        _Template(
            "authorize-lambda-duration-high",
            "AWS/Lambda",
            "Duration",
            (("FunctionName", "payments-authorize"),),
            "Average",
            60,
            5,
            3,
            3000.0,
            healthy=(180.0, 1800.0),
            breach=(3050.0, 9500.0),
            description="payments-authorize average duration above 3 s in 3 of 5 minutes.",
        ),
        _Template(
            "db-cpu-high",
            "AWS/RDS",
            "CPUUtilization",
            (("DBInstanceIdentifier", "payments-db-1"),),
            "Average",
            300,
            3,
            3,
            80.0,
            healthy=(10.0, 66.0),
            breach=(80.5, 99.8),
            description="payments-db-1 CPU above 80% for 15 minutes.",
        ),
        _Template(
            "db-replica-lag-high",
            "AWS/RDS",
            "ReplicaLag",
            (("DBInstanceIdentifier", "payments-db-replica-1"),),
            "Maximum",
            60,
            3,
            3,
            30.0,
            healthy=(0.0, 4.0),
            breach=(31.0, 620.0),
            description="payments-db-replica-1 is more than 30 s behind its primary for 3 minutes.",
        ),
        _Template(
            "settlement-queue-age-high",
            "AWS/SQS",
            "ApproximateAgeOfOldestMessage",
            (("QueueName", "payments-settlement"),),
            "Maximum",
            300,
            2,
            2,
            900.0,
            healthy=(2, 300),
            breach=(905, 7200),
            integer=True,
            description="The oldest settlement message has waited more than 15 minutes.",
        ),
        _Template(
            "ledger-write-throttles",
            "AWS/DynamoDB",
            "WriteThrottleEvents",
            (("TableName", "payments-ledger"),),
            "Sum",
            60,
            3,
            2,
            25.0,
            healthy=(0, 8),
            breach=(26, 400),
            integer=True,
            description="Writes to payments-ledger were throttled more than 25 times a minute.",
        ),
        _Template("service-degraded", rule=("api-5xx-high", "authorize-lambda-errors"), load=False),
    ),
    "search": (
        _Template(
            "api-5xx-high",
            _ALB,
            "HTTPCode_Target_5XX_Count",
            _LB,
            "Sum",
            60,
            5,
            3,
            30.0,
            healthy=(0, 14),
            breach=(31, 300),
            integer=True,
            description="Search API targets returned more than 30 5XX responses a minute in 3 of 5 minutes.",
        ),
        _Template(
            "api-latency-high",
            _ALB,
            "TargetResponseTime",
            _LB,
            "Average",
            60,
            1,
            1,
            0.8,
            healthy=(0.05, 0.6),
            breach=(0.82, 2.4),
            description="Search API average response time above 0.8 s.",
        ),
        _Template(
            "indexer-lambda-errors",
            "AWS/Lambda",
            "Errors",
            (("FunctionName", "search-indexer"),),
            "Sum",
            300,
            1,
            1,
            3.0,
            healthy=(0, 2),
            breach=(4, 60),
            integer=True,
            description="search-indexer raised more than 3 errors in 5 minutes.",
        ),
        _Template(
            "indexer-queue-age-high",
            "AWS/SQS",
            "ApproximateAgeOfOldestMessage",
            (("QueueName", "search-index-updates"),),
            "Maximum",
            60,
            5,
            5,
            600.0,
            healthy=(1, 180),
            breach=(605, 5400),
            integer=True,
            description="The oldest index update has waited more than 10 minutes.",
        ),
        _Template(
            "domain-cpu-high",
            "AWS/ES",
            "CPUUtilization",
            (("DomainName", "search-prod"), ("ClientId", "{account}")),
            "Maximum",
            300,
            3,
            3,
            85.0,
            healthy=(15.0, 72.0),
            breach=(85.5, 100.0),
            description="search-prod data nodes above 85% CPU for 15 minutes.",
        ),
        _Template(
            "domain-jvm-memory-pressure-high",
            "AWS/ES",
            "JVMMemoryPressure",
            (("DomainName", "search-prod"), ("ClientId", "{account}")),
            "Maximum",
            300,
            3,
            3,
            80.0,
            healthy=(35.0, 74.0),
            breach=(80.5, 97.0),
            load=False,
            description="search-prod JVM memory pressure above 80% for 15 minutes.",
        ),
        _Template(
            "cluster-status-red",
            "AWS/ES",
            "ClusterStatus.red",
            (("DomainName", "search-prod"), ("ClientId", "{account}")),
            "Maximum",
            60,
            1,
            1,
            1.0,
            "GreaterThanOrEqualToThreshold",
            healthy=(0, 0),
            breach=(1, 1),
            integer=True,
            load=False,
            description="At least one primary shard of search-prod is unassigned.",
        ),
        _Template(
            "cache-cpu-high",
            "AWS/ElastiCache",
            "CPUUtilization",
            (("CacheClusterId", "search-cache-001"),),
            "Average",
            300,
            3,
            2,
            75.0,
            healthy=(8.0, 60.0),
            breach=(75.5, 98.0),
            description="search-cache-001 CPU above 75% in 2 of 3 five-minute periods.",
        ),
        _Template(
            "cache-evictions-high",
            "AWS/ElastiCache",
            "Evictions",
            (("CacheClusterId", "search-cache-001"),),
            "Sum",
            300,
            2,
            2,
            1000.0,
            healthy=(0, 400),
            breach=(1005, 25000),
            integer=True,
            description="search-cache-001 evicted more than 1000 keys in 5 minutes.",
        ),
        _Template("service-degraded", rule=("api-5xx-high", "cluster-status-red"), load=False),
    ),
}

_MAINTENANCE_TEMPLATE = _Template(
    "maintenance-mode",
    "Payments/Operations",
    "MaintenanceMode",
    (("Environment", "production"),),
    "Maximum",
    60,
    1,
    1,
    1.0,
    "GreaterThanOrEqualToThreshold",
    healthy=(0, 0),
    breach=(1, 1),
    integer=True,
    load=False,
    treat_missing="notBreaching",
    description="The payments platform is in a scheduled maintenance window.",
)
_SUPPRESSOR_WAIT_S = 120
_SUPPRESSOR_EXTENSION_S = 180


@dataclass(frozen=True)
class _Alarm:
    """One alarm in one account and Region."""

    service: str
    account_id: str
    region: str
    name: str
    arn: str
    template: _Template
    dimensions: tuple[tuple[str, str], ...]
    children: tuple[str, ...] = ()
    suppressor: str = ""

    @property
    def kind(self) -> str:
        if self.template.rule:
            return "composite"
        return "math" if self.template.expression else "metric"

    @property
    def topic(self) -> str:
        return f"arn:aws:sns:{self.region}:{self.account_id}:{self.service}-oncall"


def _hex(*parts: str, length: int = 16) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:length]


def _uuid(*parts: str) -> str:
    h = _hex(*parts, length=32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _catalogue() -> tuple[_Alarm, ...]:
    """Every alarm of the sample, in a fixed order; no randomness."""
    alarms: list[_Alarm] = []
    for service, account, region in DEPLOYMENTS:
        context = {
            "service": service,
            "account": account,
            "lb": _hex(account, region, service, "alb"),
            "tg": _hex(account, region, service, "tg"),
        }
        templates = list(_TEMPLATES[service])
        maintenance = (service, account, region) == ("payments", "222222222222", "eu-west-1")
        if maintenance:
            templates.insert(-1, _MAINTENANCE_TEMPLATE)
        for template in templates:
            name = f"{service}-{template.suffix}"
            dims = tuple((key, value.format(**context)) for key, value in template.dimensions)
            children = tuple(alarm_arn(account, region, f"{service}-{child}") for child in template.rule)
            suppressor = ""
            if template.rule and maintenance:
                suppressor = alarm_arn(account, region, f"{service}-{_MAINTENANCE_TEMPLATE.suffix}")
            alarms.append(
                _Alarm(
                    service,
                    account,
                    region,
                    name,
                    alarm_arn(account, region, name),
                    template,
                    dims,
                    children,
                    suppressor,
                )
            )
    return tuple(alarms)


def estate_alarms() -> list[dict[str, Any]]:
    """Every alarm of the sample estate as plain facts, in a fixed order (the wiring of
    :mod:`incidentsim.awsconfig.sample`).

    Each has ``service``, ``account_id``, ``region``, ``name``, ``arn``, ``kind`` (``metric``, ``math`` or
    ``composite``), ``namespace``, ``metric_name``, ``topic`` (the SNS topic it pages), and for a composite
    alarm with a suppressor ``suppressor`` (its name), ``suppressor_wait_s`` and ``suppressor_extension_s``.

    >>> alarm = estate_alarms()[0]
    >>> alarm["name"], alarm["kind"], alarm["topic"]
    ('checkout-api-5xx-high', 'metric', 'arn:aws:sns:us-east-1:111111111111:checkout-oncall')
    """
    return [
        {
            "service": a.service,
            "account_id": a.account_id,
            "region": a.region,
            "name": a.name,
            "arn": a.arn,
            "kind": a.kind,
            "namespace": a.template.namespace,
            "metric_name": a.template.metric_name,
            "topic": a.topic,
            "suppressor": a.suppressor.rsplit(":", 1)[1] if a.suppressor else "",
            "suppressor_wait_s": _SUPPRESSOR_WAIT_S if a.suppressor else None,
            "suppressor_extension_s": _SUPPRESSOR_EXTENSION_S if a.suppressor else None,
        }
        for a in _catalogue()
    ]


# --------------------------------------------------------------------------------------
# Time helpers (integer milliseconds since the Unix epoch)
# --------------------------------------------------------------------------------------


def _utc(t_ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=t_ms)


def _iso_offset(t_ms: int) -> str:
    """``2024-04-01T09:05:12.345+0000`` as in ``state.timestamp``."""
    return state_timestamp(_utc(t_ms))


def _iso_z(t_ms: int) -> str:
    """``2024-04-01T09:05:12Z`` as in an event's ``time``."""
    return f"{_utc(t_ms):%Y-%m-%dT%H:%M:%S}Z"


def _iso_ms_z(t_ms: int) -> str:
    """``2024-04-01T09:05:12.345Z`` as in an alarm-history ``Timestamp``."""
    d = _utc(t_ms)
    return f"{d:%Y-%m-%dT%H:%M:%S}.{d.microsecond // 1000:03d}Z"


def _parse_offset(text: str) -> int:
    parsed = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")
    return (parsed - _EPOCH) // timedelta(milliseconds=1)


def _to_ms(value: str | pd.Timestamp) -> int:
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return int(stamp.value // 1_000_000)


# --------------------------------------------------------------------------------------
# Per-alarm timelines
# --------------------------------------------------------------------------------------


@dataclass
class _Timeline:
    """Planned state changes of one alarm, and the spans that stories have claimed."""

    busy: list[tuple[int, int]] = field(default_factory=list)
    moves: list[tuple[int, str]] = field(default_factory=list)

    def free(self, begin: int, end: int) -> bool:
        return all(end <= b or begin >= e for b, e in self.busy)

    def claim(self, begin: int, end: int, moves: Sequence[tuple[int, str]]) -> bool:
        """Add ``moves`` and reserve ``[begin, end)`` if nothing else holds that span."""
        if not self.free(begin, end):
            return False
        self.busy.append((begin, end))
        self.moves.extend(moves)
        return True


def _evaluated(rng: np.random.Generator, t_ms: int, period: int) -> int:
    """When an alarm evaluating at ``t_ms`` changes state: the next period boundary plus a delay."""
    step = period * 1000
    boundary = -(-t_ms // step) * step
    return boundary + int(rng.integers(8_000, 52_000))


def _load(t_ms: np.ndarray, region: str) -> np.ndarray:
    """Relative traffic at ``t_ms``: a daily peak per Region, quieter at weekends."""
    hours = (t_ms % _DAY) / _HOUR
    daily = np.exp(2.0 * (np.cos(2 * np.pi * (hours - _PEAK_HOUR[region]) / 24.0) - 1.0))
    weekday = ((t_ms // _DAY) + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    return (_LOAD_FLOOR + daily) * np.where(weekday >= 5, 0.55, 1.0)


#: Mean of :func:`_load` over a weekday, to turn "alarms per day" into a peak rate.
_MEAN_LOAD = _LOAD_FLOOR + math.exp(-2.0) * float(np.i0(2.0))


def _story_days(days: int) -> dict[str, int]:
    return {
        "chronic": max(1, round(0.07 * days)),
        "flapping": round(0.27 * days),
        "cascade": round(0.57 * days),
        "metrics_gap": round(0.77 * days),
    }


def _maintenance_start(first_day: int, days: int) -> int:
    """02:00 UTC of the Sunday nearest 43% into the history, inside it with room to spare."""
    target = first_day + round(0.43 * days) * _DAY
    sundays = [first_day + d * _DAY + 2 * _HOUR for d in range(days + 1) if (((first_day // _DAY) + d + 3) % 7) == 6]
    inside = [s for s in sundays if first_day + _DAY <= s <= first_day + (days - 1) * _DAY]
    if not inside:
        raise ValueError(f"a history of {days} days holds no Sunday for the maintenance window")
    return min(inside, key=lambda s: abs(s - target))


def story_windows(
    start: str | pd.Timestamp = "2024-04-01T00:00:00Z", days: int = 30
) -> dict[str, tuple[pd.Timestamp, pd.Timestamp]]:
    """When each story of :func:`generate_history` happens: ``{story: (begin, end)}``, UTC.

    The windows depend only on ``start`` and ``days``, not on the seed. ``chronic`` ends
    with the history because that alarm never clears; ``metrics_gap`` is the regional gap
    (the nightly search-indexer gaps repeat every night).

    Examples
    --------
    >>> windows = story_windows("2024-04-01T00:00:00Z", days=30)
    >>> str(windows["maintenance"][0]), windows["maintenance"][0].day_name()
    ('2024-04-14 02:00:00+00:00', 'Sunday')
    """
    if days < 8:
        raise ValueError(f"The 'days' parameter of generate_history must be at least 8. Got {days!r} instead.")
    begin = _to_ms(start)
    first_day = begin - begin % _DAY
    at = _story_days(days)
    windows_ms = {
        "chronic": (first_day + at["chronic"] * _DAY + 6 * _HOUR + 40 * _MIN, begin + days * _DAY),
        "flapping": (
            first_day + at["flapping"] * _DAY + 13 * _HOUR,
            first_day + at["flapping"] * _DAY + 20 * _HOUR + 30 * _MIN,
        ),
        "maintenance": (_maintenance_start(first_day, days), _maintenance_start(first_day, days) + 2 * _HOUR),
        "cascade": (
            first_day + at["cascade"] * _DAY + 14 * _HOUR + 5 * _MIN,
            first_day + at["cascade"] * _DAY + 16 * _HOUR + 35 * _MIN,
        ),
        "metrics_gap": (
            first_day + at["metrics_gap"] * _DAY + 10 * _HOUR + 40 * _MIN,
            first_day + at["metrics_gap"] * _DAY + 11 * _HOUR + 10 * _MIN,
        ),
    }
    return {
        name: (pd.Timestamp(b, unit="ms", tz="UTC"), pd.Timestamp(e, unit="ms", tz="UTC"))
        for name, (b, e) in windows_ms.items()
    }


# --------------------------------------------------------------------------------------
# Stories
# --------------------------------------------------------------------------------------


def _script(
    rng: np.random.Generator,
    timeline: _Timeline,
    alarm: _Alarm,
    anchor: int,
    steps: Sequence[tuple[float, str]],
    margin: int = 20 * _MIN,
) -> bool:
    """Schedule ``(minutes after anchor, state)`` steps on one alarm, evaluated at its period."""
    moves = [
        (_evaluated(rng, anchor + round(minutes * _MIN), alarm.template.period), state) for minutes, state in steps
    ]
    times = [t for t, _ in moves]
    if times != sorted(times):
        raise ValueError(f"story steps of {alarm.name} are out of order")
    return timeline.claim(times[0] - margin, times[-1] + margin, moves)


def _cascade(
    rng: np.random.Generator, lines: dict[str, _Timeline], by_key: dict[tuple[str, str, str], _Alarm], t0: int
) -> None:
    """A payments database overload that spreads to checkout and search, then recovers."""
    # (account, region, alarm, minutes to ALARM, minutes to OK, relapse)
    plan = (
        ("222222222222", "us-east-1", "payments-db-cpu-high", 0, 72, False),
        ("222222222222", "us-east-1", "payments-db-replica-lag-high", 2, 76, False),
        ("222222222222", "us-east-1", "payments-api-latency-high", 3, 68, True),
        ("222222222222", "us-east-1", "payments-authorize-lambda-duration-high", 4, 66, False),
        ("222222222222", "us-east-1", "payments-authorize-lambda-errors", 5, 70, False),
        ("222222222222", "us-east-1", "payments-api-5xx-high", 6, 71, True),
        ("222222222222", "us-east-1", "payments-gateway-5xx-high", 7, 69, False),
        ("222222222222", "us-east-1", "payments-ledger-write-throttles", 9, 61, False),
        ("222222222222", "us-east-1", "payments-settlement-queue-age-high", 14, 118, False),
        ("111111111111", "us-east-1", "checkout-api-latency-high", 8, 74, False),
        ("111111111111", "us-east-1", "checkout-api-5xx-high", 10, 76, True),
        ("111111111111", "us-east-1", "checkout-api-error-rate-high", 11, 75, False),
        ("111111111111", "us-east-1", "checkout-cart-lambda-errors", 12, 73, False),
        ("111111111111", "eu-west-1", "checkout-api-5xx-high", 13, 79, False),
        ("111111111111", "us-east-1", "checkout-orders-queue-age-high", 16, 131, False),
        ("111111111111", "us-east-1", "checkout-api-unhealthy-hosts", 19, 58, False),
        ("111111111111", "us-east-1", "search-indexer-queue-age-high", 18, 142, False),
        ("111111111111", "us-east-1", "search-indexer-lambda-errors", 21, 95, False),
        ("111111111111", "us-east-1", "search-api-latency-high", 24, 88, True),
        ("111111111111", "us-east-1", "search-api-5xx-high", 27, 84, False),
    )
    for account, region, name, fire, clear, relapse in plan:
        alarm = by_key[(account, region, name)]
        steps: list[tuple[float, str]] = [(fire, "ALARM")]
        if relapse:
            back = clear + float(rng.integers(6, 12))
            steps += [(clear, "OK"), (back, "ALARM"), (back + float(rng.integers(4, 9)), "OK")]
        else:
            steps.append((clear + float(rng.integers(0, 6)), "OK"))
        _script(rng, lines[alarm.arn], alarm, t0, steps, margin=45 * _MIN)


def _maintenance(
    rng: np.random.Generator, lines: dict[str, _Timeline], by_key: dict[tuple[str, str, str], _Alarm], w: int
) -> None:
    """The noisy Sunday 02:00-04:00 UTC payments database maintenance in eu-west-1."""
    A, O, I = "ALARM", "OK", "INSUFFICIENT_DATA"
    pay = ("222222222222", "eu-west-1")
    plan: tuple[tuple[tuple[str, str], str, tuple[tuple[float, str], ...]], ...] = (
        # The API errors start with the window, a minute before the maintenance flag is raised:
        # the composite alarm fires inside the suppressor's wait period.
        (pay, "payments-api-5xx-high", ((-0.9, A), (12, O), (25, A), (41, O), (63, A), (81, O), (121.2, A), (129, O))),
        (pay, "payments-maintenance-mode", ((0.5, A), (120, O))),
        (pay, "payments-gateway-5xx-high", ((2, A), (13, O), (26, A), (39, O))),
        (pay, "payments-api-latency-high", ((3, A), (18, O), (28, A), (50, O), (86, A), (102, O))),
        (pay, "payments-db-cpu-high", ((5, A), (20, I), (32, A), (55, O), (85, A), (110, O))),
        (pay, "payments-authorize-lambda-duration-high", ((7, A), (47, O))),
        (pay, "payments-authorize-lambda-errors", ((14, A), (22, O), (66, A), (78, O))),
        (pay, "payments-db-replica-lag-high", ((20, I), (33, A), (70, O))),
        (pay, "payments-settlement-queue-age-high", ((35, A), (115, O))),
        (pay, "payments-ledger-write-throttles", ((44, A), (52, O), (91, A), (97, O))),
        (("111111111111", "eu-west-1"), "checkout-api-5xx-high", ((27, A), (38, O))),
        (("111111111111", "eu-west-1"), "checkout-api-error-rate-high", ((28, A), (37, O))),
    )
    for (account, region), name, steps in plan:
        alarm = by_key[(account, region, name)]
        _script(rng, lines[alarm.arn], alarm, w, steps, margin=30 * _MIN)


# --------------------------------------------------------------------------------------
# State text: reasons (worded by .cloudwatch_text) and reason data as CloudWatch writes them
# --------------------------------------------------------------------------------------


def _draw(rng: np.random.Generator, bounds: tuple[float, float], integer: bool, n: int) -> list[float]:
    lo, hi = bounds
    if n <= 0:
        return []
    if integer:
        return [float(v) for v in rng.integers(int(lo), int(hi) + 1, size=n)]
    return [round(float(v), 3) for v in rng.uniform(lo, hi, size=n)]


def _metric_state(rng: np.random.Generator, alarm: _Alarm, t_ms: int, state: str) -> dict[str, Any]:
    """``{value, reason, reasonData}`` of a metric (or metric math) alarm entering ``state``."""
    tpl = alarm.template
    n, m = tpl.evaluation_periods, tpl.datapoints_to_alarm
    step = tpl.period * 1000
    newest = (t_ms // step) * step - step
    oldest = newest - (n - 1) * step
    query = t_ms - int(rng.integers(2, 6))
    data: dict[str, Any] = {"version": "1.0", "queryDate": _iso_offset(query)}
    if state == "INSUFFICIENT_DATA":
        if tpl.stat:
            data["statistic"] = tpl.stat
        data.update(period=tpl.period, recentDatapoints=[], threshold=float(tpl.threshold))
        reason = insufficient_data_reason(n)
    else:
        alarming = state == "ALARM"
        minimum = m if alarming else n - m + 1
        # An alarm usually changes state as soon as the minimum is reached, with the newest
        # datapoint tipping it; late datapoints sometimes make the count larger.
        count = minimum if rng.random() < 0.85 else int(rng.integers(minimum, n + 1))
        chosen = {n - 1, *(int(i) for i in rng.choice(n - 1, size=count - 1, replace=False))} if n > 1 else {0}
        hits = _draw(rng, tpl.breach if alarming else tpl.healthy, tpl.integer, count)
        misses = _draw(rng, tpl.healthy if alarming else tpl.breach, tpl.integer, n - count)
        values = [hits.pop() if i in chosen else misses.pop() for i in range(n)]
        reason = threshold_crossed_reason(
            [(values[i], _utc(oldest + i * step)) for i in sorted(chosen, reverse=True)],
            evaluation_periods=n,
            minimum=minimum,
            comparison_operator=tpl.comparison,
            threshold=tpl.threshold,
            to_alarm=alarming,
        )
        data["startDate"] = _iso_offset(oldest)
        if tpl.stat:
            data["statistic"] = tpl.stat
        data.update(period=tpl.period, recentDatapoints=values, threshold=float(tpl.threshold))
    return {"value": state, "reason": reason, "reasonData": json.dumps(data, separators=(",", ":"))}


def _composite_state(
    alarm: _Alarm,
    state: str,
    trigger: tuple[str, str, int] | None,
    children: dict[str, tuple[str, int]],
) -> dict[str, Any]:
    """``{value, reason, reasonData}`` of a composite alarm; ``trigger`` is (arn, state, time)."""
    if trigger is None:
        reason = composite_created_reason(alarm.arn, state)
        listed = list(children.items())
    else:
        arn, child_state, when = trigger
        reason = composite_transition_reason(arn, child_state, _utc(when))
        listed = [(arn, (child_state, when))] if state == "ALARM" else list(children.items())
    data = {
        "triggeringAlarms": [
            {"arn": arn, "state": {"value": value, "timestamp": _iso_offset(when)}} for arn, (value, when) in listed
        ]
    }
    return {"value": state, "reason": reason, "reasonData": json.dumps(data, separators=(",", ":"))}


def _configuration(alarm: _Alarm) -> dict[str, Any]:
    """``detail.configuration`` of the alarm's state-change events."""
    tpl = alarm.template
    if tpl.rule:
        config: dict[str, Any] = {"alarmRule": " OR ".join(f"ALARM({arn.rsplit(':', 1)[1]})" for arn in alarm.children)}
        if alarm.suppressor:
            config.update(
                actionsSuppressor=alarm.suppressor.rsplit(":", 1)[1],
                actionsSuppressorWaitPeriod=_SUPPRESSOR_WAIT_S,
                actionsSuppressorExtensionPeriod=_SUPPRESSOR_EXTENSION_S,
            )
        return config
    dims = dict(alarm.dimensions)
    if tpl.expression:
        metrics: list[dict[str, Any]] = [
            {"expression": tpl.expression, "id": "e1", "label": alarm.name, "returnData": True}
        ]
        for metric_id, name, stat in tpl.math_metrics:
            metrics.append(
                {
                    "id": metric_id,
                    "metricStat": {
                        "metric": {"dimensions": dims, "name": name, "namespace": tpl.namespace},
                        "period": tpl.period,
                        "stat": stat,
                    },
                    "returnData": False,
                }
            )
    else:
        metrics = [
            {
                "id": _uuid(alarm.arn, "metric"),
                "metricStat": {
                    "metric": {"dimensions": dims, "name": tpl.metric_name, "namespace": tpl.namespace},
                    "period": tpl.period,
                    "stat": tpl.stat,
                },
                "returnData": True,
            }
        ]
    return {"description": tpl.description, "metrics": metrics}


# --------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------


def _background(rng: np.random.Generator, alarm: _Alarm, line: _Timeline, begin: int, end: int, per_day: float) -> None:
    """Ordinary noise: short ALARM episodes (more at the daily peak) and a few data gaps."""
    tpl = alarm.template
    span_days = (end - begin) / _DAY
    peak_rate = per_day * (1.0 + _LOAD_FLOOR) / _MEAN_LOAD if tpl.load else per_day
    candidates = np.sort(rng.uniform(begin, end, size=int(rng.poisson(peak_rate * span_days))).astype(np.int64))
    if tpl.load:
        keep = rng.uniform(0.0, 1.0 + _LOAD_FLOOR, size=candidates.size) < _load(candidates, alarm.region)
        candidates = candidates[keep]
    floor = max(2 * tpl.period * 1000, 3 * _MIN)
    for start in candidates.tolist():
        kind = rng.random()
        length = int(min(max(rng.lognormal(math.log(14 * _MIN), 0.8), floor), 8 * _HOUR))
        t1 = _evaluated(rng, int(start), tpl.period)
        t2 = _evaluated(rng, t1 + length, tpl.period)
        if kind < 0.05:
            moves = [(t1, "INSUFFICIENT_DATA"), (t2, "OK")]
        elif kind < 0.15:
            t3 = _evaluated(rng, t2 + int(rng.integers(3, 9)) * _MIN, tpl.period)
            t4 = _evaluated(rng, t3 + int(rng.integers(2, 12)) * _MIN, tpl.period)
            moves = [(t1, "ALARM"), (t2, "OK"), (t3, "ALARM"), (t4, "OK")]
        elif kind < 0.19:
            t3 = _evaluated(rng, t2 + int(rng.integers(5, 25)) * _MIN, tpl.period)
            moves = [(t1, "ALARM"), (t2, "INSUFFICIENT_DATA"), (t3, "OK")]
        else:
            moves = [(t1, "ALARM"), (t2, "OK")]
        if moves[-1][0] < end:
            line.claim(t1 - 10 * _MIN, moves[-1][0] + 10 * _MIN, moves)


def _chain(moves: list[tuple[int, str]]) -> list[tuple[int, str, str]]:
    """Sorted ``(time, previous, state)`` real transitions, starting from INSUFFICIENT_DATA."""
    out: list[tuple[int, str, str]] = []
    current = "INSUFFICIENT_DATA"
    for t, state in sorted(moves):
        if state != current:
            out.append((t, current, state))
            current = state
    return out


def _state_at(chain: list[tuple[int, str, str]], t_ms: int) -> tuple[str, int]:
    """The state of an alarm just after ``t_ms`` and when it was entered (-1 before any)."""
    state, since = "INSUFFICIENT_DATA", -1
    for t, _, new in chain:
        if t > t_ms:
            break
        state, since = new, t
    return state, since


def _suppressed_by(suppressor: list[tuple[int, str, str]], t_ms: int) -> str:
    """Why a composite alarm's actions are suppressed at ``t_ms``, or ""."""
    state, _ = _state_at(suppressor, t_ms)
    if state == "ALARM":
        return "Alarm"
    if any(new == "ALARM" and t_ms < t <= t_ms + _SUPPRESSOR_WAIT_S * 1000 for t, _, new in suppressor):
        return "WaitPeriod"
    if any(old == "ALARM" and t_ms - _SUPPRESSOR_EXTENSION_S * 1000 <= t < t_ms for t, old, _ in suppressor):
        return "ExtensionPeriod"
    return ""


def generate_history(
    seed: int = 2024,
    start: str | pd.Timestamp = "2024-04-01T00:00:00Z",
    days: int = 30,
) -> pd.DataFrame:
    """A realistic, deterministic month of CloudWatch alarm state changes as an AlarmFrame.

    Parameters
    ----------
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed, ``start`` and ``days`` give a
        byte-identical frame.
    start : str or pandas.Timestamp
        When the history begins (UTC if no zone is given); the alarms are created then.
        Every timestamp derives from it.
    days : int
        Length of the history in days, at least 8 so that every story fits.

    Returns
    -------
    pandas.DataFrame
        A validated AlarmFrame sorted by ``timestamp``. ``raw`` is the compact JSON text of
        each row's "CloudWatch Alarm State Change" EventBridge event, ``event_id`` its
        :func:`~incidentsim.datasets.schema.record_id`, ``origin`` ``synthetic:<row>``.

    See Also
    --------
    story_windows : when the chronic, flapping, maintenance, cascade and gap stories happen.
    write_sample : the bundled files written from this frame.

    Examples
    --------
    >>> frame = generate_history(seed=7, days=8)
    >>> frame["alarm_arn"].nunique(), sorted(frame["region"].unique())
    (61, ['eu-west-1', 'us-east-1'])
    >>> bool((frame["state"] != frame["previous_state"]).all())
    True
    """
    if days < 8:
        raise ValueError(f"The 'days' parameter of generate_history must be at least 8. Got {days!r} instead.")
    rng = np.random.default_rng(seed)
    begin = _to_ms(start)
    end = begin + days * _DAY
    first_day = begin - begin % _DAY
    alarms = _catalogue()
    by_arn = {a.arn: a for a in alarms}
    by_key = {(a.account_id, a.region, a.name): a for a in alarms}
    lines = {a.arn: _Timeline() for a in alarms}
    created: dict[str, int] = {}

    # Creation: the stack deploys every alarm a couple of minutes into the history.
    for index, alarm in enumerate(alarms):
        created[alarm.arn] = begin + 2 * _MIN + index * 2_500 + int(rng.integers(0, 900))
        if alarm.kind != "composite":
            first = _evaluated(rng, created[alarm.arn] + _MIN, alarm.template.period)
            lines[alarm.arn].claim(begin, first + 30 * _MIN, [(first, "OK")])

    # Stories, before the noise so that they own their spans.
    at = _story_days(days)
    windows = story_windows(start, days)
    chronic = by_arn[STORY_ALARMS["chronic"]]
    fired = _evaluated(rng, first_day + at["chronic"] * _DAY + 6 * _HOUR + 40 * _MIN, chronic.template.period)
    lines[chronic.arn].claim(fired - 10 * _MIN, end + _DAY, [(fired, "ALARM")])

    flapper = by_arn[STORY_ALARMS["flapping"]]
    flap_begin, flap_end = (_to_ms(w) for w in windows["flapping"])
    flaps: list[tuple[int, str]] = []
    t = flap_begin
    while t < flap_end:
        t = _evaluated(rng, t, flapper.template.period)
        flaps.append((t, "ALARM"))
        t = _evaluated(rng, t + int(rng.integers(2, 6)) * _MIN, flapper.template.period)
        flaps.append((t, "OK"))
        t += int(rng.integers(3, 11)) * _MIN
    lines[flapper.arn].claim(flap_begin - 30 * _MIN, flaps[-1][0] + 30 * _MIN, flaps)

    _maintenance(rng, lines, by_key, _to_ms(windows["maintenance"][0]))
    _cascade(rng, lines, by_key, _to_ms(windows["cascade"][0]))

    gap = _to_ms(windows["metrics_gap"][0])
    for alarm in alarms:
        if (
            (alarm.account_id, alarm.region) == ("222222222222", "eu-west-1")
            and alarm.kind != "composite"
            and alarm.template.treat_missing == "missing"
        ):
            went = float(rng.uniform(0, 4))
            _script(
                rng,
                lines[alarm.arn],
                alarm,
                gap,
                ((went, "INSUFFICIENT_DATA"), (went + float(rng.uniform(14, 24)), "OK")),
            )

    # The search indexer has nothing to do at night: its error alarm runs out of data.
    for alarm in alarms:
        if alarm.name == "search-indexer-lambda-errors":
            quiet = 6 * _HOUR + 10 * _MIN if alarm.region == "us-east-1" else 1 * _HOUR + 10 * _MIN
            for day in range(1, days):
                if rng.random() < 0.1:
                    continue
                went = float(rng.uniform(-20, 20))
                back = went + float(rng.uniform(200, 250))
                anchor = first_day + day * _DAY + quiet
                if anchor + round(back * _MIN) < end:
                    _script(
                        rng,
                        lines[alarm.arn],
                        alarm,
                        anchor,
                        ((went, "INSUFFICIENT_DATA"), (back, "OK")),
                        margin=15 * _MIN,
                    )

    # Background noise, with a few alarms that are known to be chatty.
    chatty = {
        alarm_arn("111111111111", "us-east-1", "checkout-cart-lambda-errors"): 3.0,
        alarm_arn("222222222222", "eu-west-1", "payments-api-latency-high"): 3.0,
        alarm_arn("222222222222", "eu-west-1", "search-cache-evictions-high"): 3.0,
        STORY_ALARMS["flapping"]: 2.5,
    }
    for alarm in alarms:
        rate = float(np.clip(rng.lognormal(math.log(0.58), 0.6), 0.08, 3.0))
        if alarm.kind == "composite" or alarm.arn == STORY_ALARMS["maintenance"]:
            continue
        _background(rng, alarm, lines[alarm.arn], begin + _HOUR, end, rate * chatty.get(alarm.arn, 1.0))

    # Resolve every timeline into real transitions; composites follow their children.
    chains: dict[str, list[tuple[int, str, str]]] = {}
    for alarm in alarms:
        if alarm.kind != "composite":
            chains[alarm.arn] = _chain([m for m in lines[alarm.arn].moves if m[0] < end])
    triggers: dict[tuple[str, int], tuple[str, str, int] | None] = {}
    for alarm in alarms:
        if alarm.kind != "composite":
            continue
        first = created[alarm.arn] + int(rng.integers(800, 2_500))
        moves = [(first, "OK")]
        triggers[(alarm.arn, first)] = None
        current = "OK"
        states = {arn: "INSUFFICIENT_DATA" for arn in alarm.children}
        changes = sorted((t, arn, new) for arn in alarm.children for t, _, new in chains[arn])
        for t, arn, new in changes:
            states[arn] = new
            rule = "ALARM" if "ALARM" in states.values() else "OK"
            if rule != current and t > first:
                when = t + int(rng.integers(60, 900))
                moves.append((when, rule))
                triggers[(alarm.arn, when)] = (arn, new, t)
                current = rule
        chains[alarm.arn] = _chain(moves)

    rows: list[dict[str, Any]] = []
    for alarm in alarms:
        config = _configuration(alarm)
        previous: dict[str, Any] = {
            "value": "INSUFFICIENT_DATA",
            "reason": INITIAL_REASON,
            "timestamp": _iso_offset(created[alarm.arn]),
        }
        for t, old, new in chains[alarm.arn]:
            suppressed = ""
            if alarm.kind == "composite":
                children = {arn: _state_at(chains[arn], t) for arn in alarm.children}
                children = {arn: (s, since if since >= 0 else created[arn]) for arn, (s, since) in children.items()}
                body = _composite_state(alarm, new, triggers[(alarm.arn, t)], children)
                if alarm.suppressor and new == "ALARM":
                    suppressed = _suppressed_by(chains[alarm.suppressor], t)
            else:
                body = _metric_state(rng, alarm, t, new)
            state = {**body, "timestamp": _iso_offset(t)}
            if suppressed:
                state.update(
                    actionsSuppressedBy=suppressed, actionsSuppressedReason=f"Actions suppressed by {suppressed}"
                )
            event = {
                "version": "0",
                "id": _uuid(str(seed), alarm.arn, str(t), new),
                "detail-type": DETAIL_TYPE,
                "source": SOURCE,
                "account": alarm.account_id,
                "time": _iso_z(t),
                "region": alarm.region,
                "resources": [alarm.arn],
                "detail": {"alarmName": alarm.name, "state": state, "previousState": previous, "configuration": config},
            }
            rows.append(
                {
                    "t": t,
                    "timestamp": pd.Timestamp(t, unit="ms", tz="UTC"),
                    "account_id": alarm.account_id,
                    "region": alarm.region,
                    "alarm_name": alarm.name,
                    "alarm_arn": alarm.arn,
                    "state": new,
                    "previous_state": old,
                    "reason": state["reason"],
                    "source": SOURCE,
                    "namespace": alarm.template.namespace,
                    "metric_name": alarm.template.metric_name,
                    "dimensions": "{}"
                    if alarm.kind != "metric"
                    else json.dumps(dict(alarm.dimensions), separators=(",", ":"), sort_keys=True),
                    "actions_suppressed_by": suppressed,
                    "duplicate": False,
                    "raw": json.dumps(event, separators=(",", ":")),
                }
            )
            previous = state
    rows.sort(key=lambda row: (row["t"], row["alarm_arn"]))
    for index, row in enumerate(rows):
        del row["t"]
        row["event_id"] = record_id(row["raw"])
        row["origin"] = f"synthetic:{index}"
    return validate_alarm_frame(pd.DataFrame(rows))


# --------------------------------------------------------------------------------------
# Export formats
# --------------------------------------------------------------------------------------


def _is_state_change(event: Any, row: Any) -> bool:
    return (
        isinstance(event, dict)
        and event.get("detail-type") == DETAIL_TYPE
        and isinstance(event.get("detail"), dict)
        and event["detail"].get("alarmName") == row.alarm_name
        and isinstance(event["detail"].get("state"), dict)
        and event["detail"]["state"].get("value") == row.state
    )


def _event_from_columns(row: Any, previous: dict[str, Any] | None) -> dict[str, Any]:
    """An EventBridge event built from AlarmFrame columns when ``raw`` holds none."""
    t = int(pd.Timestamp(row.timestamp).value // 1_000_000)
    state: dict[str, Any] = {"value": str(row.state), "reason": str(row.reason), "timestamp": _iso_offset(t)}
    suppressed = str(getattr(row, "actions_suppressed_by", "") or "")
    if suppressed:
        state.update(actionsSuppressedBy=suppressed, actionsSuppressedReason=f"Actions suppressed by {suppressed}")
    if previous is None or previous.get("value") != str(row.previous_state):
        previous = {"value": str(row.previous_state), "reason": "", "timestamp": _iso_offset(t)}
    namespace = str(getattr(row, "namespace", "") or "")
    metric_name = str(getattr(row, "metric_name", "") or "")
    configuration: dict[str, Any] = {}
    if namespace and metric_name:
        dims = json.loads(str(getattr(row, "dimensions", "") or "{}"))
        configuration["metrics"] = [
            {
                "id": _uuid(str(row.alarm_arn), "metric"),
                "metricStat": {"metric": {"dimensions": dims, "name": metric_name, "namespace": namespace}},
                "returnData": True,
            }
        ]
    return {
        "version": "0",
        "id": _uuid(str(row.event_id)),
        "detail-type": DETAIL_TYPE,
        "source": str(row.source) or SOURCE,
        "account": str(row.account_id),
        "time": _iso_z(t),
        "region": str(row.region),
        "resources": [str(row.alarm_arn)],
        "detail": {
            "alarmName": str(row.alarm_name),
            "state": state,
            "previousState": previous,
            "configuration": configuration,
        },
    }


def to_eventbridge_events(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Each row of an AlarmFrame as a "CloudWatch Alarm State Change" EventBridge event.

    A row whose ``raw`` already holds such an event for that alarm and state (every row of
    :func:`generate_history`) gives that event unchanged. Any other row gets an event built
    from its columns: ``previousState`` is the alarm's previous row when it chains, and
    ``reasonData`` and ``configuration.description``, which the columns do not hold, are left out.

    Parameters
    ----------
    frame : pandas.DataFrame
        An AlarmFrame; it is validated (and so sorted by ``timestamp``) first.

    Returns
    -------
    list of dict
        One event per row, in the frame's order.

    Examples
    --------
    >>> frame = generate_history(days=8)
    >>> event = to_eventbridge_events(frame.head(1))[0]
    >>> event["detail-type"], event["time"].endswith("Z"), type(event["detail"]["state"]["reasonData"]).__name__
    ('CloudWatch Alarm State Change', True, 'str')
    """
    frame = validate_alarm_frame(frame)
    events: list[dict[str, Any]] = []
    last: dict[str, dict[str, Any]] = {}
    for row in frame.itertuples(index=False):
        try:
            event = json.loads(str(row.raw))
        except ValueError:
            event = None
        if not _is_state_change(event, row):
            event = _event_from_columns(row, last.get(str(row.alarm_arn)))
        last[str(row.alarm_arn)] = event["detail"]["state"]
        events.append(event)
    return events


def _history_state(state: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"stateValue": state.get("value", ""), "stateReason": state.get("reason", "")}
    if state.get("reasonData"):
        out["stateReasonData"] = json.loads(state["reasonData"])
    return out


def _created_item(alarm: _Alarm, created: int, kind: str) -> dict[str, Any]:
    tpl = alarm.template
    body: dict[str, Any] = {"alarmName": alarm.name, "alarmArn": alarm.arn}
    if alarm.kind == "composite":
        config = _configuration(alarm)
        body.update(alarmRule=config["alarmRule"], actionsEnabled=True, alarmActions=[alarm.topic], okActions=[])
        for key in ("actionsSuppressor", "actionsSuppressorWaitPeriod", "actionsSuppressorExtensionPeriod"):
            if key in config:
                body[key] = config[key]
    else:
        if tpl.expression:
            body["metrics"] = _configuration(alarm)["metrics"]
        else:
            body.update(
                namespace=tpl.namespace,
                metricName=tpl.metric_name,
                dimensions=[{"name": k, "value": v} for k, v in alarm.dimensions],
                statistic=tpl.stat,
                period=tpl.period,
            )
        body.update(
            alarmDescription=tpl.description,
            evaluationPeriods=tpl.evaluation_periods,
            datapointsToAlarm=tpl.datapoints_to_alarm,
            threshold=float(tpl.threshold),
            comparisonOperator=tpl.comparison,
            treatMissingData=tpl.treat_missing,
            actionsEnabled=True,
            alarmActions=[],
            okActions=[],
            insufficientDataActions=[],
        )
    return {
        "AlarmName": alarm.name,
        "AlarmType": kind,
        "Timestamp": _iso_ms_z(created),
        "HistoryItemType": "ConfigurationUpdate",
        "HistorySummary": f'Alarm "{alarm.name}" created',
        "HistoryData": json.dumps({"type": "Create", "version": "1.0", "createdAlarm": body}, separators=(",", ":")),
    }


def to_alarm_history(frame: pd.DataFrame) -> dict[tuple[str, str], dict[str, list[dict[str, Any]]]]:
    """An AlarmFrame as ``aws cloudwatch describe-alarm-history`` output per account and Region.

    Each row becomes a ``StateUpdate`` item (``HistoryData`` is a JSON string with
    ``oldState``/``newState``; ``stateReasonData`` is an object). As real exports do, the
    output also holds items that are not state changes: a ``ConfigurationUpdate`` "created"
    item for each alarm of the sample catalogue whose first row leaves the initial
    INSUFFICIENT_DATA state, and an ``Action`` item each time a sample composite alarm went to
    ALARM and notified its on-call SNS topic (none while its actions were suppressed).
    Items are newest first.

    Parameters
    ----------
    frame : pandas.DataFrame
        An AlarmFrame.

    Returns
    -------
    dict
        ``{(account_id, region): {"AlarmHistoryItems": [...]}}``.

    Examples
    --------
    >>> history = to_alarm_history(generate_history(days=8))
    >>> sorted(history)[0]
    ('111111111111', 'eu-west-1')
    >>> items = history[("111111111111", "eu-west-1")]["AlarmHistoryItems"]
    >>> items[0]["Timestamp"] >= items[-1]["Timestamp"], sorted({i["HistoryItemType"] for i in items})
    (True, ['Action', 'ConfigurationUpdate', 'StateUpdate'])
    """
    frame = validate_alarm_frame(frame)
    events = to_eventbridge_events(frame)
    catalogue = {a.arn: a for a in _catalogue()}
    items: dict[tuple[str, str], list[tuple[str, int, str, dict[str, Any]]]] = {}
    seen: set[str] = set()
    for row, event in zip(frame.itertuples(index=False), events):
        key = (str(row.account_id), str(row.region))
        bucket = items.setdefault(key, [])
        detail = event["detail"]
        kind = "CompositeAlarm" if "alarmRule" in detail.get("configuration", {}) else "MetricAlarm"
        t = int(pd.Timestamp(row.timestamp).value // 1_000_000)
        arn = str(row.alarm_arn)
        alarm = catalogue.get(arn)
        previous = detail.get("previousState", {})
        if arn not in seen:
            seen.add(arn)
            if alarm is not None and previous.get("reason") == INITIAL_REASON and previous.get("timestamp"):
                created = _parse_offset(previous["timestamp"])
                bucket.append((_iso_ms_z(created), 0, alarm.name, _created_item(alarm, created, kind)))
        history = {"version": "1.0", "oldState": _history_state(previous), "newState": _history_state(detail["state"])}
        bucket.append(
            (
                _iso_ms_z(t),
                1,
                str(row.alarm_name),
                {
                    "AlarmName": str(row.alarm_name),
                    "AlarmType": kind,
                    "Timestamp": _iso_ms_z(t),
                    "HistoryItemType": "StateUpdate",
                    "HistorySummary": f"Alarm updated from {row.previous_state} to {row.state}",
                    "HistoryData": json.dumps(history, separators=(",", ":")),
                },
            )
        )
        notify = alarm is not None and alarm.kind == "composite" and str(row.state) == "ALARM"
        if notify and alarm is not None and not str(row.actions_suppressed_by):
            sent = t + 120 + int(_hex(str(row.event_id), length=4), 16) % 600
            data = {"actionState": "Succeeded", "stateUpdateTimestamp": t, "notificationResource": alarm.topic}
            bucket.append(
                (
                    _iso_ms_z(sent),
                    2,
                    alarm.name,
                    {
                        "AlarmName": alarm.name,
                        "AlarmType": kind,
                        "Timestamp": _iso_ms_z(sent),
                        "HistoryItemType": "Action",
                        "HistorySummary": f"Successfully executed action {alarm.topic}",
                        "HistoryData": json.dumps(data, separators=(",", ":")),
                    },
                )
            )
    return {
        key: {"AlarmHistoryItems": [item for *_, item in sorted(bucket, key=lambda x: x[:3], reverse=True)]}
        for key, bucket in sorted(items.items())
    }


def write_sample(out_dir: str | Path, seed: int = 2024) -> dict[str, Path]:
    """Write the bundled sample: EventBridge events, alarm-history exports and the estate's wiring.

    Writes ``out_dir/alarm-events.jsonl`` (one compact event per line, in time order; each
    line is the ``raw`` text of its row) and ``out_dir/alarm-history/<account>_<region>.json``
    (``describe-alarm-history`` output, indented by 2 spaces) and ``out_dir/live-config/``
    (``describe-alarms`` and ``get-response-plan`` outputs, see :mod:`incidentsim.awsconfig.sample`). Other files in
    ``out_dir`` are left alone.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Folder to write into; created when missing.
    seed : int
        Seed passed to :func:`generate_history` (default start and length).

    Returns
    -------
    dict of str to pathlib.Path
        Each written file by its path relative to ``out_dir``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     for name in sorted(write_sample(folder)):
    ...         print(name)
    alarm-events.jsonl
    alarm-history/111111111111_eu-west-1.json
    alarm-history/111111111111_us-east-1.json
    alarm-history/222222222222_eu-west-1.json
    alarm-history/222222222222_us-east-1.json
    live-config/describe-alarms_111111111111_eu-west-1.json
    live-config/describe-alarms_111111111111_us-east-1.json
    live-config/describe-alarms_222222222222_eu-west-1.json
    live-config/describe-alarms_222222222222_us-east-1.json
    live-config/get-response-plan_111111111111.json
    live-config/get-response-plan_222222222222.json
    """
    out = Path(out_dir)
    frame = generate_history(seed=seed)
    written: dict[str, Path] = {}
    events = out / "alarm-events.jsonl"
    events.parent.mkdir(parents=True, exist_ok=True)
    events.write_text("".join(f"{raw}\n" for raw in frame["raw"]), encoding="utf-8", newline="\n")
    written["alarm-events.jsonl"] = events
    for (account, region), body in to_alarm_history(frame).items():
        name = f"alarm-history/{account}_{region}.json"
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8", newline="\n")
        written[name] = path
    from ..awsconfig.sample import (
        write_sample_config,
    )  # the estate's wiring: describe-alarms and get-response-plan outputs

    written.update(write_sample_config(out))
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m incidentsim.datasets.synthetic``: regenerate the bundled sample files."""
    parser = argparse.ArgumentParser(
        prog="python -m incidentsim.datasets.synthetic",
        description="Write the deterministic sample alarm history (EventBridge events and alarm-history exports).",
    )
    parser.add_argument("--out", default="data", help="folder to write into (default: data)")
    parser.add_argument("--seed", type=int, default=2024, help="random seed (default: 2024)")
    args = parser.parse_args(argv)
    for path in write_sample(args.out, seed=args.seed).values():
        print(f"{path}  ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
