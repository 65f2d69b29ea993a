"""The dask engine past one machine's comfort: a 20,000,000-event history on a LocalCluster.

Run:  python benchmarks/bench_dask.py [--events 20000000] [--memory-limit 3GB] [--folder DIR]

1. Writes the bundled month tiled over copies of its alarms and over the years before it
   (``<name>-c<k>``, one month after another) as a Parquet dataset, one file per month,
   never the whole history in memory.
2. Replays it as ``incidentsim replay DIR --engine dask`` does (the links pass, the shuffle,
   the scan per partition, the tables written and the report's analyses in one pass, the
   report) on a LocalCluster of 2 single-thread workers, then of 1, each worker limited to
   ``--memory-limit``; prints wall time, events per second, each worker's peak memory, and
   whether a worker was restarted.
3. The fast engine on a 1,000,000-event slice of the same history, in a fresh process, for scale.

Every figure is measured in this run; nothing passes or fails.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
POLICY = HERE.parent / "data" / "sample-policy.yaml"
SAMPLE = HERE.parent / "data" / "alarm-events.jsonl"

FAST = (
    r"""
import json, sys, time
from pathlib import Path
import pandas as pd
from incidentsim import replay, validate_alarm_frame
from incidentsim.policy import Policy
files, rows = sys.argv[2:], 0
frames = []
for f in files:
    frames.append(pd.read_parquet(f))
    rows += len(frames[-1])
history = validate_alarm_frame(pd.concat(frames, ignore_index=True).iloc[:1_000_000])
del frames
policy = Policy.from_yaml(sys.argv[1])
replay(history.iloc[:2000], policy, engine="fast")  # numba's cache, loaded once
def peak():  # VmHWM, not ru_maxrss, which a child inherits from the process that started it
    return next(int(l.split()[1]) / 1024 for l in Path("/proc/self/status").read_text().splitlines() """
    r"""if l.startswith("VmHWM:"))
before = peak()
start = time.perf_counter()
result = replay(history, policy, engine="fast")
result.events  # the sentences too, as the dask engine writes them
seconds = time.perf_counter() - start
print(json.dumps({"events": len(history), "seconds": seconds, "peak_mb": peak(),
                  "before_mb": before, "created": result.summary()["created"]}))
"""
)


def write_history(folder: Path, events: int, copies: int) -> tuple[int, int, float]:
    """The tiled history as ``folder/part.NNNNN.parquet``, one month per file; (rows, files, peak MB of this
    process)."""
    from incidentsim import load_alarms

    base = load_alarms(SAMPLE, keep_raw=False).alarms
    text = {
        c: base[c].astype(str)
        for c in base.columns
        if isinstance(base[c].dtype, pd.CategoricalDtype) or c in ("event_id", "raw", "origin")
    }
    month = pd.Timedelta(days=31)
    folder.mkdir(parents=True, exist_ok=True)
    rows, number = 0, 0
    while rows < events:
        frames = []
        for k in range(copies):
            suffix = f"-c{k}"
            frames.append(
                base.assign(
                    **{c: v for c, v in text.items() if c not in ("event_id", "alarm_name", "alarm_arn")},
                    event_id=text["event_id"] + f"{suffix}-m{number}",
                    alarm_name=text["alarm_name"] + suffix,
                    alarm_arn=text["alarm_arn"] + suffix,
                    timestamp=base["timestamp"] + number * month + pd.Timedelta(seconds=k % 600),
                )
            )
        chunk = pd.concat(frames, ignore_index=True).sort_values("timestamp", kind="stable", ignore_index=True)
        chunk = chunk.iloc[: events - rows]
        chunk.to_parquet(folder / f"part.{number:05d}.parquet", index=False)
        rows += len(chunk)
        number += 1
    return rows, number, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _peak_mb() -> float:
    """This process's peak RSS since it started (VmHWM: unlike ru_maxrss, not inherited from the parent)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def on_cluster(folder: Path, out: Path, workers: int, memory_limit: str) -> dict:
    """One replay as the command line runs it, on a fresh LocalCluster; its figures."""
    import logging

    from distributed import Client, LocalCluster

    from incidentsim.policy import Policy
    from incidentsim.replay.distributed import LOCAL_CLUSTER, run_dask
    from incidentsim.report import report_analyses, write_report

    logging.getLogger("distributed.shuffle._scheduler_plugin").setLevel(logging.ERROR)
    policy = Policy.from_yaml(POLICY)
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            memory_limit=memory_limit,
            **LOCAL_CLUSTER,
        ) as cluster,
        Client(cluster) as client,
    ):
        pids = client.run(os.getpid)
        start = time.perf_counter()
        result = run_dask(folder, policy, client=client)
        planned = time.perf_counter() - start
        result.to_parquet(out, analyses=report_analyses())
        written = time.perf_counter() - start
        write_report(result, out)
        seconds = time.perf_counter() - start
        peaks = client.run(_peak_mb)
        after = client.run(os.getpid)
        restarted = sorted(set(pids.values()) ^ set(after.values()))
        summary = result.summary()
    return {
        "workers": workers,
        "seconds": seconds,
        "planned": planned,
        "written": written,
        "summary": summary,
        "peaks": sorted(peaks.values()),
        "restarted": len(restarted) // 2,
        "partitions": result.meta["partitions"],
        "components": result.meta["components"],
        "largest": max(result.meta["rows_per_partition"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000_000, help="history size (default 20,000,000)")
    parser.add_argument(
        "--copies", type=int, default=50, help="copies of the sample's 61 alarms (default 50: 3,050 alarms)"
    )
    parser.add_argument("--memory-limit", default="3GB", help="memory limit of each worker (default 3GB)")
    parser.add_argument(
        "--folder", help="where to write the history and the results (default: a temporary folder, removed)"
    )
    parser.add_argument("--workers", default="2,1", help="the cluster sizes to run, in order (default 2,1)")
    args = parser.parse_args()
    print(f"{datetime.now(timezone.utc):%Y-%m-%d}, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    root = Path(args.folder) if args.folder else Path(tempfile.mkdtemp(prefix="bench-dask-"))
    try:
        history = root / "history"
        start = time.perf_counter()
        rows, files, writer_mb = write_history(history, args.events, args.copies)
        size = sum(f.stat().st_size for f in history.glob("*.parquet")) / 2**20
        print(
            f"\n1. history: {rows:,} state changes of {61 * args.copies:,} alarms, {files:,} monthly Parquet files, "
            f"{size:,.0f} MB, written in {time.perf_counter() - start:.0f} s "
            f"(the writer's peak RSS {writer_mb:,.0f} MB)"
        )
        runs = []
        print(
            f"\n2. replay --engine dask on a LocalCluster, 1 thread per worker, {args.memory_limit} per worker:",
            flush=True,
        )
        for workers in [int(w) for w in args.workers.split(",")]:
            run = on_cluster(history, root / f"out-{workers}", workers, args.memory_limit)
            runs.append(run)
            s = run["summary"]
            print(
                f"   {run['workers']} worker(s): {run['seconds']:,.0f} s ({rows / run['seconds']:,.0f} events/s; "
                f"links pass and plan {run['planned']:.0f} s, shuffle + scan + tables + report's analyses "
                f"{run['written'] - run['planned']:.0f} s, report {run['seconds'] - run['written']:.0f} s)"
            )
            print(
                f"      peak RSS per worker {', '.join(f'{p:,.0f} MB' for p in run['peaks'])}; "
                f"workers restarted: {run['restarted']}; "
                f"{run['partitions']} partitions of {run['components']:,} components (largest {run['largest']:,} rows)"
            )
            print(
                f"      {s['events']:,} events, {s['triggers']:,} triggers, {s['created']:,} incidents created, "
                f"{s['deduplicated']:,} deduplicated",
                flush=True,
            )
        if len(runs) > 1:
            same = runs[0]["summary"] == runs[1]["summary"]
            print(
                f"   {runs[0]['workers']} workers vs {runs[1]['workers']}: "
                f"x{runs[1]['seconds'] / runs[0]['seconds']:.2f} faster; same summary: {same}; "
                f"this process's peak RSS {_peak_mb():,.0f} MB (it reads the incidents for the report)"
            )

        first = sorted(history.glob("part.*.parquet"))
        needed, take = 0, []
        for f in first:
            take.append(str(f))
            needed += len(pd.read_parquet(f, columns=["event_id"]))
            if needed >= 1_000_000:
                break
        found = subprocess.run(
            [sys.executable, "-c", FAST, str(POLICY), *take], capture_output=True, text=True, check=True
        )
        fast = json.loads(found.stdout.strip().splitlines()[-1])
        print(
            f"\n3. fast engine, one process, the first {fast['events']:,} events of the same history: "
            f"{fast['seconds']:.2f} s "
            f"({fast['events'] / fast['seconds']:,.0f} events/s), peak RSS {fast['peak_mb']:,.0f} MB "
            f"({fast['before_mb']:,.0f} MB with the history loaded)"
        )
        print(
            f"   the dask engine with {runs[0]['workers']} workers: {rows / runs[0]['seconds']:,.0f} events/s "
            f"(x{(rows / runs[0]['seconds']) / (fast['events'] / fast['seconds']):.2f} of the fast engine's rate)"
        )
    finally:
        if not args.folder:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
