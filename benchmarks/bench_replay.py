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
replay(history.iloc[:2000], policy, engine="fast")  # the compiled scan loads from numba's cache
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
start = time.perf_counter()
history.groupby("alarm_arn", sort=False)["state"].shift()
shift = time.perf_counter() - start
start = time.perf_counter()
result = replay(history, policy, engine="fast")
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
del result
start = time.perf_counter()
result = replay(history, policy, engine="fast")
seconds = min(seconds, time.perf_counter() - start)
start = time.perf_counter()
result.events
explain = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "shift": shift, "peak_mb": peak, "peak_before_mb": before, "explain": explain,
                  "summary": result.summary()}))
"""

COMPILE = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
start = time.perf_counter()
from histories import tiled_history
from incidentsim import replay
from incidentsim.policy import Policy
history = tiled_history(500)
policy = Policy.from_yaml(sys.argv[2])
start = time.perf_counter()
replay(history, policy, engine="fast")
first = time.perf_counter() - start
start = time.perf_counter()
replay(history, policy, engine="fast")
print(first, time.perf_counter() - start)
"""


def compile_cost() -> tuple[float, float, float]:
    """First fast replay of 500 events in a fresh process: with an empty numba cache, with a warm one; and a second
    call."""
    import tempfile

    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        cold = subprocess.run(
            [sys.executable, "-c", COMPILE, str(HERE), str(POLICY)], capture_output=True, text=True, check=True, env=env
        )
        warm = subprocess.run(
            [sys.executable, "-c", COMPILE, str(HERE), str(POLICY)], capture_output=True, text=True, check=True, env=env
        )
    cold_first, _ = map(float, cold.stdout.split())
    warm_first, again = map(float, warm.stdout.split())
    return cold_first, warm_first, again


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
        arns = {
            p.name: client.create_response_plan(name=p.name, incidentTemplate=p.incident_template())["arn"]
            for p in policy.response_plans
        }
        clock = get_backend().clock
        start = time.perf_counter()
        for (_, row), plan in zip(triggers.iterrows(), plans):
            when = row["timestamp"].to_pydatetime()
            clock.set(when)
            client.start_incident(
                responsePlanArn=arns[plan],
                clientToken=row["event_id"].split("#")[0],
                triggerDetails={
                    "source": row["source"],
                    "triggerArn": row["alarm_arn"],
                    "timestamp": when,
                    "rawData": row["raw"][:10000],
                },
            )
        return time.perf_counter() - start


def client_cost(repeat: int = 10) -> tuple[float, float]:
    """Seconds per ssm-incidents client: from a new boto3 session each time, and from make_client."""
    import boto3

    from incidentsim.emulator import make_client, mock_incidents
    from incidentsim.emulator.core import THROWAWAY_CREDENTIALS

    with mock_incidents():
        make_client()
        start = time.perf_counter()
        for _ in range(repeat):
            boto3.session.Session(region_name="us-east-1", **THROWAWAY_CREDENTIALS).client("ssm-incidents")
        fresh = (time.perf_counter() - start) / repeat
        start = time.perf_counter()
        for _ in range(repeat):
            make_client()
        shared = (time.perf_counter() - start) / repeat
    return fresh, shared


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
    replay(history.iloc[:500], policy, engine="fast")  # the compiled scan, loaded once (its cost is figure 0)
    fast, fast_s = min((timed(replay, history, policy, engine="fast") for _ in range(3)), key=lambda pair: pair[1])
    same = emulated.summary() == fast.summary()
    cold, warm, again = compile_cost()
    print(
        f"\n0. first fast replay in a fresh process (500 events): {cold:.2f} s with an empty numba cache (the compile, "
        f"once per machine), {warm:.2f} s with the cache warm, {again * 1000:.0f} ms for the next call"
    )
    print(f"\n1. fast vs emulator engine, {len(history):,} events ({emulated.summary()['triggers']:,} triggers):")
    print(
        f"   emulator {emulator_s:8.2f} s   fast {fast_s:6.3f} s   -> fast is {emulator_s / fast_s:,.0f}x faster "
        f"(target >= 500x); same summary: {same}"
    )

    result = subprocess.run(
        [sys.executable, "-c", LARGE, str(HERE), str(args.large), str(POLICY)],
        capture_output=True,
        text=True,
        check=True,
    )
    large = json.loads(result.stdout.strip().splitlines()[-1])
    print(
        f"\n2. fast engine on {args.large:,} events ({large['summary']['triggers']:,} triggers, "
        f"{large['summary']['created']:,} incidents):"
    )
    print(
        f"   {large['seconds']:.2f} s; groupby('alarm_arn')['state'].shift() on the same frame {large['shift']:.3f} s "
        f"-> x{large['seconds'] / large['shift']:.1f} (target <= 5)"
    )
    print(
        f"   peak RSS {large['peak_mb']:,.0f} MB, {large['peak_mb'] - large['peak_before_mb']:,.0f} MB above the "
        "loaded history "
        f"({large['peak_before_mb']:,.0f} MB; target <= 500 MB above)"
    )
    print(f"   the explanation sentences, written when the events table is first read: {large['explain']:.2f} s")

    emulated_start_only, engine_s = timed(replay, history, start_only, progress=False)
    bare_s = bare_loop(history, start_only)
    triggers = emulated_start_only.summary()["triggers"]
    print(
        f"\n3. emulator engine vs a bare boto3 start_incident loop, the same {triggers:,} calls on the same emulator:"
    )
    print(
        f"   engine {engine_s:6.2f} s ({engine_s / len(history) * 1e6:,.0f} us/event)   bare loop {bare_s:6.2f} s "
        f"({bare_s / len(history) * 1e6:,.0f} us/event)   -> x{engine_s / bare_s:.2f} (target < 1.3)"
    )
    print(
        f"   with resolutions (the sample policy resolves 15 min after OK): engine {emulator_s:.2f} s, "
        f"x{emulator_s / bare_s:.2f} of the bare loop, which makes no UpdateIncidentRecord calls"
    )

    import matplotlib

    matplotlib.use("Agg")
    from incidentsim.panels import TuningPanel

    for size in (len(history), args.panel_events):
        frame = tiled_history(size)
        start = time.perf_counter()
        frame.groupby("alarm_arn", sort=False)["state"].shift()
        shift = time.perf_counter() - start
        panel = TuningPanel(frame, policy, debounce_s=0)
        changes = [  # (what, the control, its new value)
            ("impact", panel.route_controls["payments"]["impact"], 3),
            ("title", panel.route_controls["payments"]["title"], "{{ alarm_name }} ({{ region }})"),
            ("token", panel.token_strategy, "per_alarm_window"),
            ("resolve", panel.resolve_delay, "30m"),
        ]
        print(
            f"\n4. tuning panel, {size:,} events, one control change to redrawn figures saved as PNG "
            f"(groupby-shift on the same frame: {shift:.3f} s):"
        )
        for name, control, value in changes:
            start = time.perf_counter()
            control.value = value  # the panel redraws and renders its PNG itself
            seconds = time.perf_counter() - start
            target = "target <= 3x" if name in ("impact", "title") else "target <= 1 s"
            print(f"   {name:8s} {seconds:6.2f} s  x{seconds / shift:,.0f} of groupby-shift ({target})")
        del panel, frame

    fresh_s, shared_s = client_cost()
    print("\n5. a boto3 client for the emulator (every replay, game day and test makes at least one):")
    print(
        f"   make_client {shared_s * 1000:6.1f} ms   a client of a new boto3 session {fresh_s * 1000:6.1f} ms "
        f"-> x{fresh_s / shared_s:.0f}"
    )


if __name__ == "__main__":
    main()
