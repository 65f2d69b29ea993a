"""``DescribeAlarmHistory`` for moto's CloudWatch, which keeps alarm state history but does not serve it.

moto's ``Alarm.update_state`` appends the state it leaves to ``alarm.history``
as ``("StateUpdate", reason, reason_data, value, timestamp)``; each entry and the
state after it make one ``StateUpdate`` history item.  :func:`register` adds the
operation to moto's ``CloudWatchResponse`` when moto lacks it (and does nothing
once moto has its own), so ``incidentsim capture`` can be tested through boto3.

This is an addition to moto's CloudWatch, not part of the ``ssm-incidents`` emulator.
Importing this module changes nothing; :func:`register` patches, and
:class:`incidentsim.emulator.mock_incidents` and ``incidentsim serve`` call it. Under a
plain ``moto.mock_aws()``, call it yourself:

>>> import boto3, moto
>>> from incidentsim import moto_cloudwatch
>>> moto_cloudwatch.register()
>>> with moto.mock_aws():
...     cloudwatch = boto3.client("cloudwatch", region_name="eu-west-1")
...     cloudwatch.describe_alarm_history()["AlarmHistoryItems"]
[]
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from typing import Any

HISTORY_ENTRY_FIELDS = 5


class CloudWatchHistoryError(RuntimeError):
    """moto's CloudWatch no longer keeps alarm history the way this shim reads it."""


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _state(value: str, reason: str, reason_data: str | None, with_data: bool) -> dict[str, Any]:
    state: dict[str, Any] = {"stateValue": value, "stateReason": reason}
    if with_data:
        try:
            state["stateReasonData"] = json.loads(reason_data or "{}")
        except ValueError:
            state["stateReasonData"] = {}
    return state


def history_items(alarm: Any) -> list[dict[str, Any]]:
    """The StateUpdate history items of one moto alarm, oldest first."""
    entries = list(getattr(alarm, "history", []))
    current = (
        "StateUpdate",
        alarm.state_reason,
        alarm.state_reason_data,
        alarm.state_value,
        alarm.state_updated_timestamp,
    )
    items = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, tuple) or len(entry) != HISTORY_ENTRY_FIELDS:
            raise CloudWatchHistoryError(f"unexpected moto alarm history entry {entry!r}")
        _, old_reason, old_data, old_value, _ = entry
        new = entries[index + 1] if index + 1 < len(entries) else current
        _, new_reason, new_data, new_value, new_time = new
        history_data = {
            "version": "1.0",
            "oldState": _state(old_value, old_reason, old_data, with_data=False),
            "newState": _state(new_value, new_reason, new_data, with_data=True),
        }
        items.append(
            {
                "AlarmName": alarm.name,
                "AlarmType": "CompositeAlarm" if getattr(alarm, "rule", None) else "MetricAlarm",
                "Timestamp": _as_utc(new_time),
                "HistoryItemType": "StateUpdate",
                "HistorySummary": f"Alarm updated from {old_value} to {new_value}",
                "HistoryData": json.dumps(history_data, separators=(",", ":")),
            }
        )
    return items


def describe_alarm_history(self: Any) -> Any:
    """The CloudWatchResponse method: filters, ordering and paging as the API documents them."""
    from moto.cloudwatch.exceptions import InvalidParameterValue
    from moto.core.responses import ActionResult

    name = self._get_param("AlarmName")
    kind = self._get_param("HistoryItemType")
    types = self._get_param("AlarmTypes") or ["MetricAlarm"]  # the API's default: metric alarms only
    start = self._get_param("StartDate")
    end = self._get_param("EndDate")
    newest_first = (self._get_param("ScanBy") or "TimestampDescending") == "TimestampDescending"
    limit = int(self._get_param("MaxRecords") or 100)
    token = self._get_param("NextToken")
    items = [item for alarm in self.cloudwatch_backend.alarms.values() for item in history_items(alarm)]
    items = [
        item
        for item in items
        if (name is None or item["AlarmName"] == name)
        and (kind is None or item["HistoryItemType"] == kind)
        and item["AlarmType"] in types
        and (start is None or item["Timestamp"] >= _as_utc(start))
        and (end is None or item["Timestamp"] <= _as_utc(end))
    ]
    items.sort(key=lambda item: (item["Timestamp"], item["AlarmName"]), reverse=newest_first)
    offset = 0
    if token:
        try:
            offset = int(base64.urlsafe_b64decode(token.encode()).decode())
        except ValueError:
            raise InvalidParameterValue("Request parameter NextToken is invalid") from None
    page = items[offset : offset + limit]
    result: dict[str, Any] = {"AlarmHistoryItems": page}
    if offset + limit < len(items):
        result["NextToken"] = base64.urlsafe_b64encode(str(offset + limit).encode()).decode()
    return ActionResult(result)


def register() -> None:
    """Add DescribeAlarmHistory to moto's CloudWatch unless moto serves it itself. Idempotent."""
    from moto.cloudwatch.models import Alarm
    from moto.cloudwatch.responses import CloudWatchResponse

    if not hasattr(Alarm, "update_state"):
        raise CloudWatchHistoryError("moto.cloudwatch.models.Alarm has no update_state; its history layout moved")
    if not hasattr(CloudWatchResponse, "describe_alarm_history"):
        setattr(CloudWatchResponse, "describe_alarm_history", describe_alarm_history)  # noqa: B010
