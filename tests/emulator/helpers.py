"""Small helpers for emulator tests."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

ALARM_ARN = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:api-5xx"
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=timezone.utc)


def alarm_trigger(alarm_arn: str = ALARM_ARN, when: datetime = T0, source: str = "aws.cloudwatch") -> dict[str, Any]:
    return {"source": source, "triggerArn": alarm_arn, "timestamp": when}


def outcome(response: dict[str, Any]) -> str:
    return str(response["ResponseMetadata"]["HTTPHeaders"]["x-incidentsim-outcome"])


def error_of(excinfo: Any) -> tuple[int, str, str]:
    """(HTTP status, error code, message) of a botocore ClientError."""
    response = excinfo.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )
