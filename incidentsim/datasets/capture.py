"""Capture an account's CloudWatch alarm history before CloudWatch forgets it (about two weeks).

:func:`capture_alarm_history` reads ``describe_alarms`` and ``describe_alarm_history``
through boto3 paginators and returns the AlarmFrame, with each alarm's ARN and
metric taken from ``describe_alarms``; :func:`write_alarm_frame` keeps it as
Parquet, which :func:`incidentsim.load_alarms` reads back as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from .loaders import AlarmLoad, RowCollector
from .records import ParseContext, compact, dimensions_json, metric_of, parse_time
from .schema import as_category, parse_alarm_arn

ALARM_TYPES = ("MetricAlarm", "CompositeAlarm")


def _alarm_facts(alarm: dict[str, Any]) -> dict[str, str]:
    """ARN and metric of one ``describe_alarms`` entry."""
    if alarm.get("Metrics"):  # metric math
        namespace, metric_name, dimensions = metric_of(
            [{"MetricStat": m.get("MetricStat"), "ReturnData": m.get("ReturnData", True)} for m in alarm["Metrics"]],
            "upper",
        )
    else:
        namespace = alarm.get("Namespace", "")
        metric_name = alarm.get("MetricName", "")
        dimensions = dimensions_json(alarm.get("Dimensions"))
    return {
        "alarm_arn": alarm["AlarmArn"],
        "namespace": namespace,
        "metric_name": metric_name,
        "dimensions": dimensions,
    }


def capture_alarm_history(
    client: Any,
    start: datetime | str,
    end: datetime | str,
    *,
    alarm_names: Sequence[str] | None = None,
    account_id: str | None = None,
    region: str | None = None,
) -> AlarmLoad:
    """Every alarm state change between ``start`` and ``end``, as an AlarmFrame.

    Parameters
    ----------
    client : botocore CloudWatch client
        ``boto3.client("cloudwatch", region_name=...)``.
    start, end : datetime or ISO 8601 text
        The time range (CloudWatch keeps about two weeks of history).
    alarm_names : sequence of str, optional
        Only these alarms (default: every metric and composite alarm).
    account_id, region : str, optional
        For alarms that no longer exist (history outlives them, ARNs do not):
        their ARN is built from these, or from the account and Region of the
        other alarms' ARNs.

    Returns
    -------
    AlarmLoad
        Only ``StateUpdate`` items are requested, so nothing is skipped.

    Examples
    --------
    >>> import boto3
    >>> from incidentsim.emulator import mock_incidents
    >>> with mock_incidents():
    ...     cloudwatch = boto3.client("cloudwatch", region_name="eu-west-1")
    ...     _ = cloudwatch.put_metric_alarm(AlarmName="cpu", MetricName="CPUUtilization", Namespace="AWS/EC2",
    ...         Statistic="Average", Period=60, EvaluationPeriods=1, Threshold=80,
    ...         ComparisonOperator="GreaterThanThreshold")
    ...     _ = cloudwatch.set_alarm_state(AlarmName="cpu", StateValue="ALARM", StateReason="test")
    ...     capture_alarm_history(cloudwatch, "2000-01-01", "2100-01-01").alarms["state"].tolist()
    ['ALARM']
    """
    start_time = parse_time(start, "start") if isinstance(start, str) else start
    end_time = parse_time(end, "end") if isinstance(end, str) else end
    facts: dict[str, dict[str, str]] = {}
    for page in client.get_paginator("describe_alarms").paginate(AlarmTypes=list(ALARM_TYPES)):
        for alarm in page.get("MetricAlarms", []):
            facts[alarm["AlarmName"]] = _alarm_facts(alarm)
        for alarm in page.get("CompositeAlarms", []):
            facts[alarm["AlarmName"]] = {
                "alarm_arn": alarm["AlarmArn"],
                "namespace": "",
                "metric_name": "",
                "dimensions": "{}",
            }
    known = [parse_alarm_arn(f["alarm_arn"]) for f in facts.values()]
    known_accounts = {k[0] for k in known if k}
    known_regions = {k[1] for k in known if k}
    ctx = ParseContext(
        account_id=account_id or (known_accounts.pop() if len(known_accounts) == 1 else None),
        region=region or (known_regions.pop() if len(known_regions) == 1 else client.meta.region_name),
    )
    collector = RowCollector(ctx, "quarantine", keep_raw=True, chunk_size=100_000)
    names = list(alarm_names) if alarm_names else [None]
    for name in names:
        kwargs: dict[str, Any] = {
            "HistoryItemType": "StateUpdate",
            "AlarmTypes": list(ALARM_TYPES),
            "StartDate": start_time,
            "EndDate": end_time,
            "ScanBy": "TimestampAscending",
        }
        if name:
            kwargs["AlarmName"] = name
        for page_number, page in enumerate(client.get_paginator("describe_alarm_history").paginate(**kwargs)):
            for index, item in enumerate(page.get("AlarmHistoryItems", [])):
                item = dict(
                    item,
                    Timestamp=item["Timestamp"].isoformat()
                    if isinstance(item["Timestamp"], datetime)
                    else item["Timestamp"],
                )
                fact = facts.get(item.get("AlarmName", ""))
                raw = compact(item)
                if fact is not None:
                    # the history has no ARN; describe_alarms does
                    item = dict(item, AlarmArn=fact["alarm_arn"])
                collector.record(item, raw, f"describe_alarm_history:{page_number}:{index}", "alarm_history")
    load = collector.result()
    frame = load.alarms
    if len(frame) and facts:
        for column in ("namespace", "metric_name", "dimensions"):
            mapped = frame["alarm_name"].astype(str).map({name: f[column] for name, f in facts.items()})
            frame[column] = as_category(mapped.fillna(frame[column].astype(str)))
    return load


def write_alarm_dataset(frame: pd.DataFrame, folder: str | Path, partition_rows: int = 250_000) -> list[Path]:
    """Keep an AlarmFrame as a Parquet dataset: ``folder/part.00000.parquet`` ... of ``partition_rows`` rows
    each, in time order, one schema for all (what ``engine="dask"`` reads in parallel)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if isinstance(partition_rows, bool) or not isinstance(partition_rows, int) or partition_rows < 1:
        raise ValueError(
            "The 'partition_rows' parameter of write_alarm_dataset must be an int >= 1. "
            f"Got {partition_rows!r} instead."
        )
    target = Path(folder)
    if target.is_file():
        raise FileExistsError(f"{target} is a file; a partitioned table is written into a folder")
    target.mkdir(parents=True, exist_ok=True)
    for old in target.glob("part.*.parquet"):
        old.unlink()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    paths = []
    for number, start in enumerate(range(0, max(len(frame), 1), partition_rows)):
        path = target / f"part.{number:05d}.parquet"
        pq.write_table(table.slice(start, partition_rows), path)
        paths.append(path)
    return paths


def write_alarm_frame(frame: pd.DataFrame, path: str | Path) -> Path:
    """Keep an AlarmFrame as Parquet (``.parquet``) or CSV (any other suffix)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.suffix.lower() in (".parquet", ".pq"):
        frame.to_parquet(target, index=False)
    else:
        frame.to_csv(target, index=False, date_format="%Y-%m-%dT%H:%M:%S.%fZ")
    return target
