"""Large alarm histories for the benchmarks: the bundled month, tiled over copies of its alarms."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from incidentsim import load_alarms, validate_alarm_frame

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "alarm-events.jsonl"


def tiled_history(events: int, keep_raw: bool = False) -> pd.DataFrame:
    """About ``events`` state changes in one month: the sample repeated for renamed copies of its alarms
    (``<name>-c<k>``), as if more teams ran the same services.  Row order stays by time; the frame has the
    dtypes a loaded history has."""
    base = load_alarms(SAMPLE, keep_raw=keep_raw).alarms
    copies = -(-events // len(base))
    frames = []
    for k in range(copies):
        suffix = f"-c{k}"
        frames.append(
            base.assign(
                event_id=base["event_id"].astype(str) + suffix,
                alarm_name=base["alarm_name"].astype(str) + suffix,
                alarm_arn=base["alarm_arn"].astype(str) + suffix,
                timestamp=base["timestamp"] + pd.Timedelta(seconds=k % 600),
            )
        )
    frame = pd.concat(frames, ignore_index=True).iloc[:events]
    return validate_alarm_frame(frame.sort_values("timestamp", kind="stable", ignore_index=True))
