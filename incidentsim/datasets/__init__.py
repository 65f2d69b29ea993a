"""Alarm history in: the AlarmFrame schema, readers for every format, a sample generator."""

from .alarm_definitions import AlarmDefinition
from .evaluation import evaluate_alarm
from .labels import WINDOW_COLUMNS, LabelError, load_windows, match_series
from .metrics import load_alarm_definitions, load_metric_series
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
    "WINDOW_COLUMNS",
    "AlarmDefinition",
    "AlarmFrameError",
    "LabelError",
    "alarm_arn",
    "empty_alarm_frame",
    "evaluate_alarm",
    "load_alarm_definitions",
    "load_metric_series",
    "load_windows",
    "match_series",
    "parse_alarm_arn",
    "validate_alarm_frame",
]
