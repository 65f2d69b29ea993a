"""Loading benchmark: a million-record JSON Lines file and a million-row interval CSV.

Run:  python benchmarks/bench_load.py [--records 1000000] [--only jsonl|csv] [--naive]

Each measurement runs in a fresh subprocess so its peak memory (max RSS) is its own; the
libraries are imported before the clock starts, so times are the reading alone.  Side by side,
in the same run, it measures the bare baselines the targets are stated against: for JSON Lines,
``pyarrow.json.read_json`` of the same file; for the interval CSV, ``pandas.read_csv`` plus the
interval expansion done directly (two state changes per row, each alarm's state from the count
of its open occurrences).  ``--naive`` adds the old naive baseline (decode every line into a
list, one DataFrame), which needs about 7 GB at a million records.  Figures and ratios are
printed; nothing passes or fails.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ALARMS = [f"svc{s}-{kind}" for s in range(20) for kind in ("5xx", "latency", "cpu")]

MEASURE = (
    r"""
import json, resource, sys, time
import numpy as np
import pandas as pd
import pyarrow.json
kind, path = sys.argv[1], sys.argv[2]
if kind.startswith("load"):
    from incidentsim.datasets.loaders import load_alarms
frame_mb = None
start = time.perf_counter()
if kind == "pyarrow_json":
    rows = pyarrow.json.read_json(path).num_rows
elif kind == "naive_jsonl":
    with open(path) as handle:
        records = [json.loads(line) for line in handle.read().splitlines()]
    rows = len(pd.json_normalize(records))
elif kind == "pandas_csv_expand":
    table = pd.read_csv(path)
    origin = pd.Timestamp("2024-01-01", tz="UTC")
    names = "alarm_id-" + table["alarm_id"].astype(str) + "_device_id-" + table["device_id"].astype(str)
    events = pd.DataFrame({
        "alarm_name": pd.concat([names, names], ignore_index=True),
        "timestamp": origin + pd.to_timedelta(pd.concat([table["start_timestamp"], table["end_timestamp"]], """
    r"""ignore_index=True), unit="s"),
        "step": np.repeat([1, -1], len(table)),
        "kind": np.repeat([0, 1], len(table)),
    }).sort_values(["alarm_name", "timestamp", "kind"], kind="stable", ignore_index=True)
    events["state"] = np.where(events.groupby("alarm_name", sort=False)["step"].cumsum() > 0, "ALARM", "OK")
    rows = len(events)
else:
    load = load_alarms(path, time_origin="2024-01-01" if path.endswith(".csv") else None, """
    r"""keep_raw=kind != "load_no_raw")
    rows = len(load.alarms)
    seconds = time.perf_counter() - start
    if kind == "load_no_raw":
        frame_mb = load.alarms.memory_usage(deep=True).sum() / 2**20
seconds = time.perf_counter() - start if not kind.startswith("load") else seconds
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"rows": rows, "seconds": seconds, "peak_mb": peak_mb, "frame_mb": frame_mb}))
"""
)


def write_inputs(folder: Path, records: int) -> tuple[Path, Path]:
    """A JSON Lines file of EventBridge alarm state changes and an interval CSV, both ``records`` long."""
    events = folder / "events.jsonl"
    with events.open("w") as handle:
        for i in range(records):
            name = ALARMS[i % len(ALARMS)]
            state, previous = ("ALARM", "OK") if (i // len(ALARMS)) % 2 == 0 else ("OK", "ALARM")
            second = i * 3
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(1704067200 + second))
            event = {
                "version": "0",
                "id": f"00000000-0000-0000-0000-{i:012d}",
                "detail-type": "CloudWatch Alarm State Change",
                "source": "aws.cloudwatch",
                "account": "123456789012",
                "time": stamp + "Z",
                "region": "us-east-1",
                "resources": [f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}"],
                "detail": {
                    "alarmName": name,
                    "state": {
                        "value": state,
                        "reason": "Threshold Crossed: 1 out of the last 1 datapoints",
                        "timestamp": stamp + ".000+0000",
                    },
                    "previousState": {"value": previous, "reason": "", "timestamp": stamp + ".000+0000"},
                    "configuration": {
                        "metrics": [
                            {
                                "id": "m1",
                                "returnData": True,
                                "metricStat": {
                                    "metric": {
                                        "namespace": "AWS/EC2",
                                        "name": "CPUUtilization",
                                        "dimensions": {"InstanceId": f"i-{i % 97:04d}"},
                                    },
                                    "period": 60,
                                    "stat": "Average",
                                },
                            }
                        ]
                    },
                },
            }
            handle.write(json.dumps(event, separators=(",", ":")) + "\n")
    intervals = folder / "intervals.csv"
    with intervals.open("w") as handle:
        handle.write("alarm_id,device_id,start_timestamp,end_timestamp\n")
        for i in range(records):
            start = i * 2
            handle.write(f"{i % 25},{i % 474},{start},{start + (i % 7) * 30}\n")
    return events, intervals


def measure(kind: str, path: Path) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, "-c", MEASURE, kind, str(path)], capture_output=True, text=True, check=True
    )
    return dict(json.loads(output.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--only", choices=("jsonl", "csv"), help="measure one input only")
    parser.add_argument(
        "--naive", action="store_true", help="also run the naive JSON Lines baseline (about 7 GB at a million records)"
    )
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, {args.records:,} records per input")
    with tempfile.TemporaryDirectory() as folder:
        events, intervals = write_inputs(Path(folder), args.records)
        inputs = {
            "jsonl": (
                "JSON Lines",
                events,
                ("pyarrow_json", "load", "load_no_raw", *(("naive_jsonl",) if args.naive else ())),
            ),
            "csv": ("interval CSV", intervals, ("pandas_csv_expand", "load", "load_no_raw")),
        }
        for key, (label, path, runs) in inputs.items():
            if args.only and key != args.only:
                continue
            size_mb = path.stat().st_size / 2**20
            print(f"\n{label}: {path.name}, {size_mb:,.0f} MB")
            results = {kind: measure(kind, path) for kind in runs}
            bare = results[runs[0]]
            for kind, result in results.items():
                frame = f"  frame {result['frame_mb']:,.0f} MB without raw" if result.get("frame_mb") else ""
                print(
                    f"  {kind:<18} {result['rows']:>10,} rows  {result['seconds']:7.2f} s  "
                    f"x{result['seconds'] / bare['seconds']:5.2f} of {runs[0]}"
                    f"  peak {result['peak_mb']:7,.0f} MB  (x{result['peak_mb'] / size_mb:.2f} of the file){frame}"
                )


if __name__ == "__main__":
    main()
