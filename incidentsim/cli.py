"""The ``incidentsim`` command."""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any


class CommandError(Exception):
    """A problem with the user's input, reported as one line and exit status 2."""


def _serve(args: argparse.Namespace) -> int:
    from .emulator.server import EmulatorServer

    try:
        server = EmulatorServer(args.host, args.port, allow_remote=args.allow_remote).bind()
    except OSError as error:
        raise CommandError(f"cannot serve on {args.host} port {args.port}: {error.strerror or error}") from None
    except ValueError as error:
        raise CommandError(str(error)) from None
    print(
        f"incidentsim: serving ssm-incidents (and moto's other services) at {server.endpoint_url}\n"
        f"  try: aws ssm-incidents list-response-plans --endpoint-url {server.endpoint_url} --region us-east-1\n"
        "  (any credentials will do, e.g. AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing)\n"
        "  stop with Ctrl-C",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("incidentsim: stopped", file=sys.stderr)
    return 0


def _demo(_: argparse.Namespace) -> int:
    """A short walk through the emulator: a plan, a few StartIncident calls, a dedupe."""
    from .emulator import mock_incidents

    alarm = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:checkout-5xx-high"
    start = datetime(2024, 5, 1, 9, 0, tzinfo=timezone.utc)
    rows: list[tuple[str, str, str, str]] = []
    with mock_incidents() as mock:
        client = mock.client()
        clock = mock.backend.clock
        plan = client.create_response_plan(
            name="checkout-critical",
            incidentTemplate={"title": "Checkout errors", "impact": 2, "incidentTags": {"team": "checkout"}},
        )["arn"]
        seen: dict[str, str] = {}

        def trigger(minutes: int, label: str, **extra: Any) -> None:
            clock.set(start + timedelta(minutes=minutes))
            response = client.start_incident(
                responsePlanArn=plan,
                triggerDetails={"source": "aws.cloudwatch", "triggerArn": alarm, "timestamp": clock.now()},
                **extra,
            )
            arn = response["incidentRecordArn"]
            outcome = response["ResponseMetadata"]["HTTPHeaders"].get("x-incidentsim-outcome", "?")
            seen.setdefault(arn, f"incident {len(seen) + 1}")
            rows.append((clock.now().strftime("%H:%M"), label, outcome, seen[arn]))

        trigger(0, "alarm checkout-5xx-high enters ALARM")
        trigger(7, "same alarm flaps back into ALARM")
        trigger(8, "it fires again; the call carries clientToken t-1", clientToken="t-1")
        trigger(8, "a network retry of that call (clientToken t-1)", clientToken="t-1")
        clock.set(start + timedelta(minutes=30))
        first = next(arn for arn, name in seen.items() if name == "incident 1")
        client.update_incident_record(arn=first, status="RESOLVED")
        rows.append(("09:30", "responder resolves incident 1", "resolved", "incident 1"))
        trigger(45, "alarm fires again after resolution")
        records = client.list_incident_records()["incidentRecordSummaries"]

    print("incidentsim demo: one CloudWatch alarm replayed into the emulated Incident Manager\n")
    width = max(len(r[1]) for r in rows)
    print(f"{'time':<6} {'what happened':<{width}}  {'StartIncident outcome':<22} incident")
    for time, label, outcome, incident in rows:
        print(f"{time:<6} {label:<{width}}  {outcome:<22} {incident}")
    print(
        f"\n{len(rows) - 1} StartIncident calls -> {len(records)} incident records. "
        "While incident 1 was OPEN, the alarm's repeat was deduplicated by its dedupe string "
        "(the alarm ARN); a repeated clientToken returned the same record; after resolution a new incident opened."
    )
    return 0


def _add_history_options(parser: argparse.ArgumentParser) -> None:
    """The options every command that reads alarm history takes."""
    from .datasets.loaders import FORMATS

    parser.add_argument("--format", default="auto", choices=FORMATS, help="input format (default: recognise it)")
    parser.add_argument(
        "--errors", default="raise", choices=("raise", "quarantine"),
        help="stop at the first unreadable record (raise, default) or set bad records aside (quarantine)",
    )
    parser.add_argument("--account-id", help="account for formats that carry none (describe-alarm-history, interval tables)")
    parser.add_argument("--region", help="Region for formats that carry none")
    parser.add_argument("--time-origin", help="interval tables: times are seconds after this time, e.g. 2024-01-01")


def _load_history(args: argparse.Namespace) -> Any:
    from .datasets.loaders import LoadError, load_alarms

    try:
        return load_alarms(
            args.history,
            args.format,
            errors=args.errors,
            account_id=args.account_id,
            region=args.region,
            time_origin=args.time_origin,
        )
    except (LoadError, ValueError, FileNotFoundError) as error:
        raise CommandError(str(error)) from None


def _load(args: argparse.Namespace) -> int:
    from .datasets.capture import write_alarm_frame

    load = _load_history(args)
    print(load.summary())
    if args.out:
        path = write_alarm_frame(load.alarms, args.out)
        print(f"wrote {len(load.alarms):,} state changes to {path}")
        if len(load.rejected):
            rejected = path.with_name(path.stem + ".rejected.csv")
            load.rejected.to_csv(rejected, index=False)
            print(f"wrote {len(load.rejected):,} rejected records to {rejected}")
    return 0


def _capture(args: argparse.Namespace) -> int:
    import boto3

    from urllib.parse import urlparse

    from .datasets.capture import capture_alarm_history, write_alarm_frame
    from .emulator import THROWAWAY_CREDENTIALS, check_endpoint, is_loopback

    credentials: dict[str, str] = {}
    if args.endpoint_url:
        check_endpoint(args.endpoint_url, args.allow_remote)
        if is_loopback(urlparse(args.endpoint_url).hostname):
            credentials = THROWAWAY_CREDENTIALS  # a local emulator: never send real keys to it
    client = boto3.client("cloudwatch", region_name=args.region, endpoint_url=args.endpoint_url, **credentials)
    where = args.endpoint_url or f"CloudWatch in {client.meta.region_name}, with your AWS credentials (read-only calls)"
    print(f"incidentsim capture: reading alarm history from {where}", flush=True)
    load = capture_alarm_history(client, args.start, args.end, alarm_names=args.alarm_name or None)
    path = write_alarm_frame(load.alarms, args.out)
    print(load.summary())
    print(f"wrote {len(load.alarms):,} state changes to {path}")
    return 0


SAMPLE_DIR = Path(__file__).resolve().parents[1] / "data"
SAMPLE_HISTORY = SAMPLE_DIR / "alarm-events.jsonl"
SAMPLE_POLICY = SAMPLE_DIR / "sample-policy.yaml"


def _history_and_policy(args: argparse.Namespace, policy_path: str | None) -> tuple[Any, Any]:
    from .policy import Policy, PolicyError

    if not args.history:
        if not SAMPLE_HISTORY.is_file():
            raise CommandError(f"no HISTORY given and the bundled sample is not at {SAMPLE_HISTORY} (it ships in the source checkout)")
        args.history = [str(SAMPLE_HISTORY)]
    try:
        policy = Policy.from_yaml(policy_path or SAMPLE_POLICY)
    except PolicyError as error:
        raise CommandError(str(error)) from None
    return _load_history(args), policy


def _replay_command(args: argparse.Namespace) -> int:
    from .emulator import check_endpoint
    from .replay import replay

    if args.endpoint_url:
        check_endpoint(args.endpoint_url, args.allow_remote)
    load, policy = _history_and_policy(args, args.policy)
    print(load.summary(), file=sys.stderr)
    result = replay(
        load, policy, engine=args.engine, endpoint_url=args.endpoint_url, allow_remote=args.allow_remote, progress=not args.quiet
    )
    out = Path(args.out)
    paths = result.to_csv(out)
    from .report import write_report

    paths["report"] = write_report(result, out, history=args.history, policy=args.policy or SAMPLE_POLICY)
    print(result.summary_text())
    print(f"wrote {', '.join(str(p) for p in paths.values())}")
    return 0


def _gameday_command(args: argparse.Namespace) -> int:
    import signal

    from tqdm.auto import tqdm

    from .gameday import GameDay, GameDayError, ScenarioError, nothing_lost
    from .policy import PolicyError
    from .replay import replay

    try:
        game = GameDay(
            args.scenario, speed=args.speed, endpoint_url=args.endpoint_url, allow_remote=args.allow_remote, out=args.out,
            resume=args.resume, reset=args.reset,
        )
    except (ScenarioError, PolicyError, GameDayError, FileNotFoundError) as error:
        raise CommandError(str(error)) from None
    scenario = game.scenario
    print(scenario.describe(), file=sys.stderr)
    bar = tqdm(total=len(scenario.alarms), unit="event", desc="game day", disable=args.quiet, file=sys.stderr)

    def show(status: Any) -> None:
        bar.n = status.position
        bar.set_postfix_str(status.figures(), refresh=True)

    game.on_update(show)

    def interrupt(signum: int, frame: Any) -> None:
        if game.state != "playing":
            raise KeyboardInterrupt
        game.request_stop()
        bar.write("incidentsim gameday: stopping after the call in flight (Ctrl-C again to abort); the partial record is kept", file=sys.stderr)
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = signal.signal(signal.SIGINT, interrupt)
    try:
        try:
            game.prepare()
        except (GameDayError, ValueError) as error:
            raise CommandError(str(error)) from None
        print(
            f"incidentsim gameday: playing against {game.endpoint_url}\n"
            f"  watch: aws ssm-incidents list-incident-records --endpoint-url {game.endpoint_url} --region us-east-1\n"
            "  (any credentials will do, e.g. AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing); Ctrl-C stops and keeps the record",
            file=sys.stderr, flush=True,
        )
        try:
            record = game.run()
        except GameDayError as error:
            bar.close()
            print(f"incidentsim gameday: {error}; wrote what was played to {args.out}; resume with --resume", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            record = game.record()
        bar.close()
        out = Path(args.out)
        from .report import write_report

        write_report(record.result, out)
        print(record.summary_text())
        if not record.complete:
            print(f"stopped after {record.status.position:,} of {record.status.total:,} events; "
                  f"carry on with: incidentsim gameday {args.scenario} --out {args.out} --resume")
            return 130
        reference = replay(scenario.alarms, scenario.policy, progress=False)
        different = nothing_lost(record, reference)
        failed = record.summary()["failed"]
        if different.empty and not failed:
            print(f"Every trigger accounted for: the {len(record.result.incidents):,} incidents equal the fault-free replay's "
                  "(plan, title, impact, trigger count, creation time, alarms).")
        else:
            print(f"NOT the same as the fault-free replay: {len(different):,} incident(s) differ, {failed:,} trigger(s) failed "
                  f"after their retries; see {out / 'events.csv'} (outcome, error_code) and {out / 'timeline.csv'}.")
            different.to_csv(out / "differences.csv", index=False)
        print(f"wrote {out}/ (events.csv, incidents.csv, summary.json, timeline.csv, gameday.json, journal.jsonl, report.html)")
        if args.hold and game.owns_server:
            print(f"incidentsim gameday: still serving at {game.endpoint_url}; Ctrl-C to stop", file=sys.stderr, flush=True)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                pass
        return 0
    finally:
        signal.signal(signal.SIGINT, previous)
        game.close()


def _backtest_command(args: argparse.Namespace) -> int:
    import json

    from .backtest import backtest, parse_grid, sweep
    from .datasets.evaluation import AlarmDefinitionError
    from .datasets.labels import LabelError, load_windows
    from .datasets.metrics import MetricSeriesError, load_alarm_definitions, load_metric_series

    try:
        series = load_metric_series(args.metrics, id=args.id, label=args.label, statistic=args.statistic, errors=args.errors)
        definitions = load_alarm_definitions(args.alarm)
        for place, why in definitions.skipped:
            print(f"incidentsim backtest: skipped {place}: {why}", file=sys.stderr)
        if not len(definitions):
            raise CommandError(f"{args.alarm} defines no metric alarm that can be evaluated from one series")
        if args.alarm_name:
            definition = definitions[args.alarm_name]
        elif len(definitions) > 1:
            raise CommandError(f"{args.alarm} defines {len(definitions)} alarms ({', '.join(definitions.names)}); choose one with --alarm-name")
        else:
            definition = definitions[0]
        name = args.series or series.attrs.get("name")
        windows = load_windows(args.labels, series=name) if args.labels else None
        grid = parse_grid(args.sweep or [])
    except (AlarmDefinitionError, MetricSeriesError, LabelError, KeyError) as error:
        raise CommandError(str(error).strip("\"'")) from None
    except ValueError as error:
        raise CommandError(str(error)) from None
    counts = series.attrs.get("counts", {})
    if counts:
        print(f"{args.metrics}: " + ", ".join(f"{value:,} {key}" for key, value in counts.items()), file=sys.stderr)
    run = backtest(series, definition, windows=windows, resolve_delay=args.resolve_delay, series_name=name)
    out = Path(args.out)
    paths = run.result.to_csv(out)
    paths["alarm_states"] = out / "alarm-states.csv"
    run.alarms.drop(columns=["raw"]).to_csv(paths["alarm_states"], index=False)
    summary = {"alarm": definition.to_api(), "metrics": str(args.metrics), "resolve_delay": args.resolve_delay, **run.summary()}
    if run.score is not None:
        paths["windows"] = out / "windows.csv"
        run.score.windows.to_csv(paths["windows"], index=False)
        paths["scored_incidents"] = out / "scored-incidents.csv"
        run.score.incidents.to_csv(paths["scored_incidents"], index=False)
    paths["backtest"] = out / "backtest.json"
    paths["backtest"].write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    print(run.summary_text())
    if grid:
        try:
            table = sweep(series, definition, grid, windows=windows, resolve_delay=args.resolve_delay, series_name=name)
        except ValueError as error:
            raise CommandError(str(error)) from None
        paths["sweep"] = out / "sweep.csv"
        table.to_csv(paths["sweep"], index=False)
        valid = int(table["valid"].sum())
        print(f"sweep: {len(table):,} settings, {valid:,} valid, {len(table) - valid:,} refused (see the problem column of sweep.csv)")
        shown = table[table["current"] | table["dominating"]]
        columns = [c for c in ("setting", "incidents_per_week", "recall", "precision", "detection_delay_s_median", "current", "dominating")
                   if c in shown.columns]
        print(shown[columns].to_string(index=False, float_format=lambda v: f"{v:.3g}"))
        if windows is not None and table["recall"].notna().any():
            from .plots import SweepDisplay

            display = SweepDisplay.from_sweep(table).plot()
            paths["sweep_plot"] = out / "sweep.png"
            display.figure_.savefig(paths["sweep_plot"], dpi=110, bbox_inches="tight")
    print(f"wrote {', '.join(str(p) for p in paths.values())}")
    return 0


def _report_command(args: argparse.Namespace) -> int:
    from .replay import ReplayResult, replay
    from .report import write_report

    sources = [Path(p) for p in args.history]
    if len(sources) == 1 and sources[0].is_dir():
        try:
            result = ReplayResult.read(sources[0])
        except FileNotFoundError as error:
            raise CommandError(str(error)) from None
        history, policy = None, None
    else:
        load, policy_object = _history_and_policy(args, args.policy)
        result = replay(load, policy_object, engine=args.engine, progress=False)
        history, policy = args.history, args.policy or SAMPLE_POLICY
    path = write_report(result, args.out, format=args.report_format, history=history, policy=policy, tz=args.tz)
    print(f"wrote {path} (and the CSV of every table beside it)")
    return 0


def _compare_command(args: argparse.Namespace) -> int:
    from .policy import Policy, PolicyError
    from .replay import compare, replay

    if len(args.policy) != 2:
        raise CommandError("compare takes exactly two --policy files")
    load, first = _history_and_policy(args, args.policy[0])
    try:
        second = Policy.from_yaml(args.policy[1])
    except PolicyError as error:
        raise CommandError(str(error)) from None
    results = [
        replay(load, p, engine=args.engine, endpoint_url=args.endpoint_url, allow_remote=args.allow_remote, progress=False)
        for p in (first, second)
    ]
    table = compare(results[0], results[1], by=args.by)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "comparison.csv", index=False)
    for label, result in zip("AB", results):
        summary = result.summary()
        print(f"{label}: {result.policy_name}: {summary['created']:,} incidents, {summary['deduplicated']:,} deduplicated, "
              f"{summary['rejected']:,} rejected")
    changed = table[table["incidents_diff"] != 0]
    print(f"{len(changed):,} of {len(table):,} {'alarms' if args.by == 'alarm' else 'plans'} change their incident count:")
    print(changed.head(15).to_string(index=False) if len(changed) else "  none")
    from .report import write_comparison_report

    report = write_comparison_report(results[0], results[1], out, history=args.history, policies=(args.policy[0], args.policy[1]))
    print(f"wrote {out / 'comparison.csv'} and {report}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="incidentsim",
        description="Replay alarm history into an emulated AWS Incident Manager.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    serve = commands.add_parser("serve", help="serve the emulator (and moto's other services) over HTTP")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=5000, help="port to bind (default 5000)")
    serve.add_argument(
        "--allow-remote", action="store_true", help="allow binding a non-loopback address (reachable from other machines)"
    )
    serve.set_defaults(func=_serve)

    demo = commands.add_parser("demo", help="a short demo of the emulator: a plan, a few incidents, a dedupe")
    demo.set_defaults(func=_demo)

    load = commands.add_parser("load", help="read alarm history files and report what was read, rejected and skipped")
    load.add_argument("history", nargs="+", help="alarm history files (EventBridge, describe-alarm-history, SNS, CSV, Parquet ...)")
    _add_history_options(load)
    load.add_argument("--out", help="write the canonical table here (.parquet or .csv); rejected records go beside it")
    load.set_defaults(func=_load)

    replay = commands.add_parser(
        "replay", help="replay alarm history into the emulated StartIncident (default: the bundled sample and its policy)"
    )
    replay.add_argument("history", nargs="*", help="alarm history files (default: the bundled sample)")
    replay.add_argument("--policy", help="policy YAML (default: the bundled sample policy)")
    replay.add_argument("--out", default="replay-out", help="folder for events.csv, incidents.csv, summary.json (default replay-out)")
    replay.add_argument(
        "--engine", default="emulator", choices=("emulator", "fast"),
        help="emulator: a StartIncident call per trigger (default); fast: the same tables computed without calls",
    )
    replay.add_argument("--endpoint-url", help="a served emulator, e.g. http://127.0.0.1:5000 from incidentsim serve")
    replay.add_argument("--allow-remote", action="store_true", help="allow an --endpoint-url that is not loopback")
    replay.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_history_options(replay)
    replay.set_defaults(func=_replay_command)

    compare = commands.add_parser("compare", help="replay one history under two policies and compare them")
    compare.add_argument("history", nargs="*", help="alarm history files (default: the bundled sample)")
    compare.add_argument("--policy", action="append", required=True, help="a policy YAML; give it twice")
    compare.add_argument("--by", default="alarm", choices=("alarm", "plan"), help="compare per alarm (default) or per plan")
    compare.add_argument("--out", default="compare-out", help="folder for comparison.csv (default compare-out)")
    compare.add_argument("--engine", default="emulator", choices=("emulator", "fast"), help="as for replay (default emulator)")
    compare.add_argument("--endpoint-url", help="a served emulator")
    compare.add_argument("--allow-remote", action="store_true", help="allow an --endpoint-url that is not loopback")
    _add_history_options(compare)
    compare.set_defaults(func=_compare_command)

    gameday = commands.add_parser(
        "gameday", help="play a scenario's alarm storm at speed, with faults, against a live local endpoint (a game day)"
    )
    gameday.add_argument("scenario", help="scenario YAML, e.g. data/gameday-cascade.yaml")
    gameday.add_argument("--speed", help="override the scenario's speed: simulated seconds per second (e.g. 120 or 120x) or max")
    gameday.add_argument("--endpoint-url", help="a running incidentsim serve (default: one is started on 127.0.0.1 for the game day)")
    gameday.add_argument("--allow-remote", action="store_true", help="allow an --endpoint-url that is not loopback")
    gameday.add_argument("--out", default="gameday-out", help="folder for the journal and the record (default gameday-out)")
    gameday.add_argument("--resume", action="store_true", help="carry on the run whose journal is in --out")
    gameday.add_argument("--reset", action="store_true", help="forget the incidents already on --endpoint-url first")
    gameday.add_argument("--hold", action="store_true", help="keep the game day's own server running after the end, until Ctrl-C")
    gameday.add_argument("--quiet", action="store_true", help="no status line")
    gameday.set_defaults(func=_gameday_command)

    backtest = commands.add_parser(
        "backtest", help="evaluate a CloudWatch alarm over metric history, replay its incidents, score them against labelled anomalies"
    )
    backtest.add_argument("metrics", help="the metric series: CSV (timestamp,value), Parquet, or GetMetricData / get-metric-statistics JSON")
    backtest.add_argument("--alarm", required=True, help="alarm definition(s): PutMetricAlarm YAML/JSON or describe-alarms output")
    backtest.add_argument("--alarm-name", help="which alarm, when the file defines several")
    backtest.add_argument("--labels", help="labelled anomaly windows: NAB combined_windows.json or a series,start,end table")
    backtest.add_argument("--series", help="the series' name in --labels (default: the metrics file's name)")
    backtest.add_argument("--sweep", action="append", metavar="NAME=VALUES",
                          help="vary a setting: threshold=70,80,90 or threshold=60:90:5, datapoints_to_alarm=1,2,3, "
                               "evaluation_periods=3,5, resolve_delay=0s,15m,1h (repeatable: the grid is every combination)")
    backtest.add_argument("--resolve-delay", default="0s", help="resolve the incident this long after the alarm returns to OK (default 0s)")
    backtest.add_argument("--id", help="GetMetricData export: the MetricDataResults Id to use")
    backtest.add_argument("--label", help="GetMetricData export: the MetricDataResults Label to use")
    backtest.add_argument("--statistic", help="get-metric-statistics export: the statistic to use")
    backtest.add_argument("--errors", default="raise", choices=("raise", "quarantine"), help="bad rows of the series: stop (default) or set aside")
    backtest.add_argument("--out", default="backtest-out", help="output folder (default backtest-out)")
    backtest.set_defaults(func=_backtest_command)

    report = commands.add_parser("report", help="a trigger-volume report: HTML (self-contained) or Markdown, with CSVs")
    report.add_argument("history", nargs="*", help="a replay's output folder, or alarm history files (default: the bundled sample)")
    report.add_argument("--policy", help="policy YAML when replaying history (default: the bundled sample policy)")
    report.add_argument("--format", dest="report_format", default="html", choices=("html", "md"), help="html (default) or md")
    report.add_argument("--out", default="report-out", help="folder for the report (default report-out)")
    report.add_argument("--tz", default="UTC", help="time zone for business, off and sleep hours (default UTC)")
    report.add_argument("--engine", default="fast", choices=("emulator", "fast"), help="engine when replaying history (default fast)")
    report.add_argument("--errors", default="raise", choices=("raise", "quarantine"), help="as for load")
    report.add_argument("--account-id", help="as for load")
    report.add_argument("--region", help="as for load")
    report.add_argument("--time-origin", help="as for load")
    report.set_defaults(func=_report_command, format="auto")

    capture = commands.add_parser("capture", help="export CloudWatch alarm history to Parquet before CloudWatch forgets it")
    capture.add_argument("--start", required=True, help="start of the time range (ISO 8601)")
    capture.add_argument("--end", required=True, help="end of the time range (ISO 8601)")
    capture.add_argument("--alarm-name", action="append", help="only this alarm (repeatable)")
    capture.add_argument("--region", help="the Region to read (default: your AWS configuration's)")
    capture.add_argument("--endpoint-url", help="a CloudWatch-compatible endpoint, e.g. incidentsim serve on 127.0.0.1")
    capture.add_argument("--allow-remote", action="store_true", help="allow an --endpoint-url that is not loopback")
    capture.add_argument("--out", required=True, help="where to write the table (.parquet or .csv)")
    capture.set_defaults(func=_capture)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except CommandError as error:
        print(f"incidentsim {args.command}: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # one line, not a traceback, for errors the user can act on
        from .emulator import UnsafeEndpointError

        from botocore.exceptions import BotoCoreError, ClientError

        if isinstance(error, (UnsafeEndpointError, OSError, BotoCoreError, ClientError)):
            print(f"incidentsim {args.command}: {error}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
