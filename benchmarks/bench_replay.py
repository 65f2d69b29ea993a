"""Replay benchmarks: fast vs emulator engine, a million events, and the emulator engine's overhead.

Run:  python benchmarks/bench_replay.py [--events 20000] [--large 1000000]

Histories are the bundled month tiled over renamed copies of its alarms
(benchmarks/histories.py), replayed under the bundled sample policy.  Every
figure is measured in this run, side by side; nothing passes or fails.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
POLICY = HERE.parent / "data" / "sample-policy.yaml"

LARGE = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from histories import tiled_history
from incidentsim import replay
from incidentsim.policy import Policy
history = tiled_history(int(sys.argv[2]))
policy = Policy.from_yaml(sys.argv[3])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
start = time.perf_counter()
result = replay(history, policy, engine="fast")
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "peak_before_mb": before, "summary": result.summary()}))
"""


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return value, time.perf_counter() - start


def bare_loop(history, policy) -> float:
    """The same StartIncident calls as the replay's triggers, in a plain boto3 loop on the same emulator."""
    from incidentsim.emulator import get_backend, make_client, mock_incidents
    from incidentsim.replay import decide

    decisions = decide(history, policy)
    triggers = history[decisions["trigger"].to_numpy()]
    plans = decisions.loc[triggers.index, "response_plan"].tolist()
    with mock_incidents():
        client = make_client()
        arns = {p.name: client.create_response_plan(name=p.name, incidentTemplate=p.incident_template())["arn"] for p in policy.response_plans}
        clock = get_backend().clock
        start = time.perf_counter()
        for (_, row), plan in zip(triggers.iterrows(), plans):
            when = row["timestamp"].to_pydatetime()
            clock.set(when)
            client.start_incident(
                responsePlanArn=arns[plan],
                clientToken=row["event_id"].split("#")[0],
                triggerDetails={"source": row["source"], "triggerArn": row["alarm_arn"], "timestamp": when, "rawData": row["raw"][:10000]},
            )
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000, help="history size for the engine comparisons")
    parser.add_argument("--large", type=int, default=1_000_000, help="history size for the fast engine alone")
    parser.add_argument("--panel-events", type=int, default=1_000_000, help="history size for the tuning panel")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from histories import tiled_history

    from incidentsim import replay
    from incidentsim.policy import Policy

    policy = Policy.from_yaml(POLICY)
    start_only = policy.replace(resolve=policy.resolve.__class__(strategy="never"))
    print(f"{datetime.now(timezone.utc):%Y-%m-%d}, {os.cpu_count()} cores, Python {sys.version.split()[0]}")

    history = tiled_history(args.events, keep_raw=True)
    emulated, emulator_s = timed(replay, history, policy, progress=False)
    fast, fast_s = timed(replay, history, policy, engine="fast")
    same = emulated.summary() == fast.summary()
    print(f"\n1. fast vs emulator engine, {len(history):,} events ({emulated.summary()['triggers']:,} triggers):")
    print(f"   emulator {emulator_s:8.2f} s   fast {fast_s:6.3f} s   -> fast is {emulator_s / fast_s:,.0f}x faster "
          f"(target >= 200x); same summary: {same}")

    result = subprocess.run([sys.executable, "-c", LARGE, str(HERE), str(args.large), str(POLICY)], capture_output=True, text=True, check=True)
    large = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"\n2. fast engine on {args.large:,} events ({large['summary']['triggers']:,} triggers, "
          f"{large['summary']['created']:,} incidents):")
    print(f"   {large['seconds']:.2f} s (target < 2 s), peak RSS {large['peak_mb']:,.0f} MB (target < 1,500 MB; "
          f"{large['peak_before_mb']:,.0f} MB before the replay, with the history loaded)")

    emulated_start_only, engine_s = timed(replay, history, start_only, progress=False)
    bare_s = bare_loop(history, start_only)
    triggers = emulated_start_only.summary()["triggers"]
    print(f"\n3. emulator engine vs a bare boto3 start_incident loop, the same {triggers:,} calls on the same emulator:")
    print(f"   engine {engine_s:6.2f} s ({engine_s / len(history) * 1e6:,.0f} us/event)   bare loop {bare_s:6.2f} s "
          f"({bare_s / len(history) * 1e6:,.0f} us/event)   -> x{engine_s / bare_s:.2f} (target < 1.3)")
    print(f"   with resolutions (the sample policy resolves 15 min after OK): engine {emulator_s:.2f} s, "
          f"x{emulator_s / bare_s:.2f} of the bare loop, which makes no UpdateIncidentRecord calls")

    import matplotlib

    matplotlib.use("Agg")
    from incidentsim.widgets import TuningPanel

    for size in (len(history), args.panel_events):
        panel = TuningPanel(tiled_history(size), policy, debounce_s=0)
        start = time.perf_counter()
        panel.route_controls["payments"]["impact"].value = 3  # one control change: replay, previews, headline, plots
        seconds = time.perf_counter() - start
        print(f"\n4. tuning panel, one control change to redrawn plots, {size:,} events: {seconds:.2f} s (target < 0.5 s on 1,000,000)")


if __name__ == "__main__":
    main()
