"""Backtest benchmarks: alarm evaluation, one backtest, and a sweep, on a quarter of one-minute metric data.

Run:  python benchmarks/bench_backtest.py [--days 90] [--seed 1]

The series is generated here (a daily sine, noise, and short spikes at seeded times, with a few
hours of missing data); labelled windows are put around the longer spikes.  Every figure is
measured in this run; nothing passes or fails.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from incidentsim.backtest import backtest, sweep
from incidentsim.datasets import AlarmDefinition, evaluate_alarm
from incidentsim.datasets.evaluation import evaluate_periods


def series_and_windows(days: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n = days * 1440
    minutes = np.arange(n)
    values = 50 + 10 * np.sin(minutes / 1440 * 2 * np.pi) + rng.normal(0, 4, n)
    starts = np.sort(rng.choice(n - 60, size=days * 2, replace=False))
    lengths = rng.integers(2, 40, size=starts.size)
    for start, length in zip(starts, lengths):
        values[start : start + length] += 35
    keep = np.ones(n, dtype=bool)
    for gap in rng.choice(n - 240, size=3, replace=False):
        keep[gap : gap + 180] = False
    times = pd.date_range("2024-01-01", periods=n, freq="1min", tz="UTC")
    series = pd.DataFrame({"timestamp": times[keep], "value": values[keep]})
    long = lengths >= 15
    windows = pd.DataFrame(
        {"start": times[starts[long]] - pd.Timedelta(minutes=10), "end": times[starts[long] + lengths[long]]}
    )
    return series, windows


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return value, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=90, help="days of one-minute data (default 90)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    series, windows = series_and_windows(args.days, args.seed)
    cpu = AlarmDefinition(
        alarm_name="cpu-high",
        metric_name="CPUUtilization",
        namespace="AWS/EC2",
        statistic="Maximum",
        period=60,
        threshold=80.0,
        comparison_operator="GreaterThanThreshold",
        evaluation_periods=5,
        datapoints_to_alarm=3,
    )
    print(
        f"{datetime.now(timezone.utc):%Y-%m-%d}: {len(series):,} one-minute points over {args.days} days, "
        f"{len(windows)} labelled windows"
    )

    periods, seconds = timed(evaluate_periods, series, cpu)
    print(f"1. evaluate_periods (3 of 5, 60 s periods): {seconds * 1000:.0f} ms for {len(periods):,} evaluations")
    changes, seconds = timed(evaluate_alarm, series, cpu)
    print(
        f"   evaluate_alarm (with CloudWatch's reasons and raw events): {seconds * 1000:.0f} ms for "
        f"{len(changes):,} state changes"
    )

    run, seconds = timed(backtest, series, cpu, windows=windows, resolve_delay="15m")
    s = run.summary()
    print(
        f"2. backtest (evaluate, fast replay, score): {seconds * 1000:.0f} ms -> {s['incidents']:,} incidents, "
        f"recall {s['recall']:.2f}, precision {s['precision']:.2f}"
    )

    grid = {
        "threshold": [75, 80, 85, 90],
        "datapoints_to_alarm": [1, 2, 3],
        "evaluation_periods": [3, 5],
        "resolve_delay": ["0s", "15m", "1h"],
    }
    table, seconds = timed(sweep, series, cpu, grid, windows=windows, resolve_delay="15m")
    valid = int(table["valid"].sum())
    print(
        f"3. sweep of {len(table)} settings ({valid} valid, {len(table) - valid} refused): {seconds:.2f} s, "
        f"{seconds / max(valid, 1) * 1000:.0f} ms per valid setting; {int(table['dominating'].sum())} on the front"
    )


if __name__ == "__main__":
    main()
