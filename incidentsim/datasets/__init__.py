"""Alarm history in: the AlarmFrame schema, readers for every format, a sample generator."""

from .schema import (
    COLUMNS,
    STATES,
    AlarmFrameError,
    alarm_arn,
    empty_alarm_frame,
    parse_alarm_arn,
    validate_alarm_frame,
)

__all__ = [
    "COLUMNS",
    "STATES",
    "AlarmFrameError",
    "alarm_arn",
    "empty_alarm_frame",
    "parse_alarm_arn",
    "validate_alarm_frame",
]
