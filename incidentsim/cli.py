"""The ``incidentsim`` command."""

from __future__ import annotations

import argparse
import shlex
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any


class CommandError(Exception):
    """A problem with the user's input, reported as one line and exit status 2."""


def _check_port(port: int) -> None:
    """``--port``: a TCP port, 0 for any free one (the servers' own check, worded for the command line)."""
    from .emulator.core import PORT

    if not PORT.is_satisfied_by(port):
        raise CommandError(f"--port {port}: must be {PORT} (0: any free port)")


def _serve(args: argparse.Namespace) -> int:
    from .emulator.server import EmulatorServer

    _check_port(args.port)
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


# What each option of load_alarms takes, as the command line names it: its metavar, and the value in a hint.
_HINT_VALUES = {
    "columns": "COLUMN",
    "state_map": "STATE",
    "id_columns": "COLUMN,COLUMN",
    "start_column": "COLUMN",
    "end_column": "COLUMN",
}


def _add_history_options(parser: argparse.ArgumentParser, input_format: bool = True) -> None:
    """The options every command that reads alarm history takes: one for each option of ``load_alarms``
    a user needs (without ``--format`` where the command's ``--format`` is another thing)."""
    import inspect

    from .datasets.loaders import FORMATS, TABLE_FIELDS, load_alarms

    default = {name: parameter.default for name, parameter in inspect.signature(load_alarms).parameters.items()}
    if input_format:
        parser.add_argument("--format", default="auto", choices=FORMATS, help="input format (default: recognise it)")
    parser.add_argument(
        "--errors",
        default="raise",
        choices=("raise", "quarantine"),
        help="stop at the first unreadable record (raise, default) or set bad records aside (quarantine)",
    )
    parser.add_argument(
        "--account-id", help="account for formats that carry none (describe-alarm-history, interval tables)"
    )
    parser.add_argument("--region", help="Region for formats that carry none")
    parser.add_argument(
        "--event-source",
        metavar="SOURCE",
        help=f"the source column, triggerDetails.source in a replay (default {default['event_source']})",
    )
    tables = parser.add_argument_group(
        "other tools' exports (CSV or Parquet tables)",
        "a table with one row per state change is mapped with --columns, --state-map and --name-template;\n"
        "an interval table (one row per alarm occurrence, with a start and an end) with --id-columns,\n"
        "--start-column, --end-column, --name-template and --time-origin",
    )
    tables.add_argument(
        "--columns",
        action="append",
        metavar=f"FIELD={_HINT_VALUES['columns']}",
        help=f"the table's column for a field, e.g. alarm_name=alert (repeatable); fields: {', '.join(TABLE_FIELDS)}",
    )
    tables.add_argument(
        "--state-map",
        action="append",
        metavar=f"VALUE={_HINT_VALUES['state_map']}",
        help="a state word of the table and the state it means (OK, ALARM or INSUFFICIENT_DATA), e.g. firing=ALARM or "
        "1=ALARM (repeatable)",
    )
    tables.add_argument(
        "--id-columns",
        action="append",
        metavar=_HINT_VALUES["id_columns"],
        help=f"interval tables: the columns that identify an alarm (default {','.join(default['id_columns'])}; "
        "repeatable)",
    )
    tables.add_argument(
        "--start-column",
        metavar=_HINT_VALUES["start_column"],
        help=f"interval tables: the start column (default {default['start_column']})",
    )
    tables.add_argument(
        "--end-column",
        metavar=_HINT_VALUES["end_column"],
        help=f"interval tables: the end column (default {default['end_column']})",
    )
    tables.add_argument(
        "--name-template",
        metavar="TEXT",
        help="name each alarm from its row's columns, e.g. '{alarm_id}@{device_id}' (default for interval tables: the "
        "id columns joined); "
        "text without braces names every row's alarm (a table of one series)",
    )
    tables.add_argument(
        "--time-origin",
        metavar="TIME",
        help="interval tables: times are seconds after this time, e.g. 2024-01-01 (without it, plain numbers are "
        "seconds since 1970)",
    )


def _cli_hint(hint: str) -> str:
    """A loader's hint (see ``LoadError``) as command-line options:
    ``columns.alarm_name`` -> ``--columns alarm_name=COLUMN``."""
    option, dot, key = hint.partition(".")
    value = _HINT_VALUES.get(option, "VALUE")
    return f"--{option.replace('_', '-')} " + shlex.quote(f"{key}={value}" if dot else value)


def _pairs(option: str, given: Sequence[str], form: str, check: Callable[[str, str], str | None]) -> dict[str, str]:
    """Repeated ``KEY=VALUE`` options as a mapping; ``check(key, value)`` returns a problem or None.
    A malformed one is a CommandError naming the option and the value as typed."""
    pairs: dict[str, str] = {}
    for text in given:
        key, equals, value = text.partition("=")
        problem: str | None
        if not equals or not key.strip() or not value.strip():
            problem = f"expected {form}"
        elif "=" in value:
            problem = f"give one {form} per {option}"
        elif key in pairs:
            problem = f"{key} is given twice"
        else:
            problem = check(key, value)
        if problem:
            raise CommandError(f"{option} {text!r}: {problem}")
        pairs[key] = value
    return pairs


def _positive_int(text: str) -> int:
    """An argparse type: a whole number >= 1 (``1000000`` or ``1_000_000``)."""
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def _load_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options of ``load_alarms`` given on the command line, the mappings parsed and checked."""
    from .datasets.loaders import TABLE_FIELDS
    from .datasets.schema import STATES

    names = ("account_id", "region", "event_source", "start_column", "end_column", "name_template", "time_origin")
    options: dict[str, Any] = {name: getattr(args, name) for name in names if getattr(args, name) is not None}
    if args.columns:
        fields = ", ".join(TABLE_FIELDS)
        options["columns"] = _pairs(
            "--columns",
            args.columns,
            "FIELD=COLUMN",
            lambda field, _: None if field in TABLE_FIELDS else f"unknown field {field!r}; the fields are {fields}",
        )
    if args.state_map:
        states = ", ".join(STATES)
        options["state_map"] = _pairs(
            "--state-map",
            args.state_map,
            "VALUE=STATE",
            lambda _, state: None if state.upper() in STATES else f"unknown state {state!r}; STATE is one of {states}",
        )
    if args.id_columns:
        for text in args.id_columns:
            if not all(column.strip() for column in text.split(",")):
                raise CommandError(f"--id-columns {text!r}: expected COLUMN or COLUMN,COLUMN,...")
        options["id_columns"] = [column for text in args.id_columns for column in text.split(",")]
    return options


def _load_history(args: argparse.Namespace) -> Any:
    from .datasets.loaders import LoadError, ParameterError, load_alarms

    options = _load_options(args)
    try:
        return load_alarms(args.history, args.format, errors=args.errors, **options)
    except LoadError as error:
        raise CommandError(error.worded(_cli_hint)) from None
    except ParameterError as error:
        raise CommandError(f"--{error.parameter.replace('_', '-')} {error.got}: must {error.must}") from None
    except (ValueError, FileNotFoundError) as error:
        raise CommandError(str(error)) from None


def _load(args: argparse.Namespace) -> int:
    from .datasets.capture import write_alarm_dataset, write_alarm_frame

    load = _load_history(args)
    print(load.summary(_cli_hint))
    _warn_if_empty(args, load)
    if args.partitioned and not args.out:
        raise CommandError("--partitioned writes a Parquet dataset into the folder --out names; give --out DIR")
    if args.out and args.partitioned:
        try:
            parts = write_alarm_dataset(load.alarms, args.out, partition_rows=args.partition_rows)
        except (FileExistsError, ValueError) as error:
            raise CommandError(f"--out {args.out}: {error}") from None
        print(
            f"wrote {len(load.alarms):,} state changes to {args.out}/ ({len(parts):,} Parquet files of up to "
            f"{args.partition_rows:,} rows)"
        )
        if len(load.rejected):
            rejected = Path(args.out).with_name(Path(args.out).name + ".rejected.csv")
            load.rejected.to_csv(rejected, index=False)
            print(f"wrote {len(load.rejected):,} rejected records to {rejected}")
    elif args.out:
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
    if args.with_config:
        from .awsconfig.commands import capture_config

        capture_config(args, credentials)
    return 0


SAMPLE_DIR = Path(__file__).resolve().parents[1] / "data"
SAMPLE_HISTORY = SAMPLE_DIR / "alarm-events.jsonl"
SAMPLE_POLICY = SAMPLE_DIR / "sample-policy.yaml"
LOAD_EXAMPLES = """\
examples (the table options work the same on replay, compare and report):
  # a series of the Microsoft cloud-monitoring set (TimeStamp,Value,Label; Label 1 marks an anomaly)
  incidentsim load app1-01.csv --columns timestamp=TimeStamp --columns state=Label --columns reason=Value \\
      --state-map 0=OK --state-map 1=ALARM --name-template app1-01-crash-rate
  # a Huawei PCIC 2021 alarm log (alarm_id,device_id,start_timestamp,end_timestamp in seconds from an unknown origin)
  incidentsim load Alarm.csv --time-origin 2024-01-01 --name-template 'alarm-{alarm_id}@device-{device_id}'
  # an interval table with its own column names
  incidentsim load outages.csv --format intervals --id-columns service,host --start-column began --end-column ended
"""


def _history_and_policy(args: argparse.Namespace, policy_path: str | None) -> tuple[Any, Any]:
    from .policy import Policy, PolicyError

    if not args.history:
        if not SAMPLE_HISTORY.is_file():
            raise CommandError(
                f"no HISTORY given and the bundled sample is not at {SAMPLE_HISTORY} (it ships in the source checkout)"
            )
        args.history = [str(SAMPLE_HISTORY)]
    try:
        policy = Policy.from_yaml(policy_path or SAMPLE_POLICY)
    except PolicyError as error:
        raise CommandError(str(error)) from None
    load = _load_history(args)
    print(load.summary(_cli_hint), file=sys.stderr)  # the accounting and the notes (what the reader assumed)
    _warn_if_empty(args, load)
    return load, policy


def _warn_if_empty(args: argparse.Namespace, load: Any) -> None:
    """Say so on stderr when the history holds no state change: every count that follows is zero for that reason."""
    if not len(load.alarms):
        print(
            f"incidentsim {args.command}: warning: {', '.join(str(p) for p in args.history)} gave no alarm state "
            "changes "
            f"({load.read:,} records read): nothing to replay, every count is 0",
            file=sys.stderr,
        )


def _check_templates(args: argparse.Namespace, policy: Any, alarms: Any) -> None:
    """Render the policy's templates over the history before any call; stop on failures unless --keep-going."""
    check = policy.check(alarms)
    if check.ok:
        return
    print(f"incidentsim {args.command}: {check.summary_text()}", file=sys.stderr)
    if not args.keep_going:
        raise CommandError(
            f"no StartIncident call made: {check.failed:,} triggers would be rejected with TemplateError; "
            "fix the templates above, or add --keep-going to replay anyway"
        )


def _dask_replay(args: argparse.Namespace) -> int:
    """``replay --engine dask``: the history is a Parquet dataset, read and replayed on the cluster."""
    from .policy import Policy, PolicyError

    if not args.history:
        raise CommandError(
            "--engine dask replays a Parquet dataset: give its folder or a glob (incidentsim load ... --partitioned "
            "--out DIR)"
        )
    if args.endpoint_url:
        raise CommandError("--engine dask calls no service; --endpoint-url goes with --engine emulator")
    unused = [
        f"--{name.replace('_', '-')}" for name, value in _load_options(args).items() if value not in (None, [], ())
    ]
    unused += ["--format"] if args.format != "auto" else []
    unused += ["--errors"] if args.errors != "raise" else []
    if unused:
        raise CommandError(
            f"--engine dask reads an AlarmFrame Parquet dataset as written by `incidentsim load --partitioned`; "
            f"{', '.join(unused)} {'applies' if len(unused) == 1 else 'apply'} when loading: use "
            f"{'it' if len(unused) == 1 else 'them'} with incidentsim load"
        )
    try:
        policy = Policy.from_yaml(args.policy or SAMPLE_POLICY)
    except PolicyError as error:
        raise CommandError(str(error)) from None
    client = None
    if args.scheduler:
        from distributed import Client

        try:
            client = Client(args.scheduler, timeout="20s")
        except OSError as error:
            raise CommandError(f"--scheduler {args.scheduler}: cannot reach a Dask scheduler there ({error})") from None
    print(
        f"incidentsim replay: dask engine on {args.scheduler or 'a local cluster (127.0.0.1)'}",
        file=sys.stderr,
        flush=True,
    )
    try:
        return _dask_replay_on(args, policy, client)
    finally:
        if client is not None:
            client.close()


def _dask_replay_on(args: argparse.Namespace, policy: Any, client: Any) -> int:
    from .replay.distributed import DaskEngineError, run_dask
    from .report import Provenance, report_analyses, write_report

    try:
        result = run_dask(
            args.history if len(args.history) > 1 else args.history[0],
            policy,
            client=client,
            partition_rows=args.partition_rows,
        )
    except DaskEngineError as error:
        raise CommandError(str(error)) from None
    print(
        f"incidentsim replay: {result.meta['rows']:,} state changes in {result.meta['components']:,} independent "
        "groups of alarms, "
        f"{result.meta['partitions']:,} partitions",
        file=sys.stderr,
    )
    import glob

    files = [
        Path(f)
        for h in args.history
        for f in (sorted(Path(h).glob("*.parquet")) if Path(h).is_dir() else sorted(glob.glob(h)) or [h])
        if Path(f).is_file()
    ]
    provenance = Provenance.of(files, args.policy or SAMPLE_POLICY).to_data()
    out = Path(args.out)
    try:
        paths = result.to_parquet(
            out, extra={"provenance": provenance}, analyses=report_analyses(), progress=not args.quiet
        )
        result.meta["provenance"] = provenance
        paths["report"] = write_report(result, out)
        print(result.summary_text())
    finally:
        result.close()
    print(f"wrote {', '.join(str(p) for p in paths.values())}")
    return 0


def _replay_command(args: argparse.Namespace) -> int:
    from .emulator import check_endpoint
    from .replay import replay

    if args.engine == "dask":
        return _dask_replay(args)
    if args.scheduler:
        raise CommandError("--scheduler goes with --engine dask")
    if args.endpoint_url:
        check_endpoint(args.endpoint_url, args.allow_remote)
    load, policy = _history_and_policy(args, args.policy)
    _check_templates(args, policy, load.alarms)
    result = replay(
        load,
        policy,
        engine=args.engine,
        endpoint_url=args.endpoint_url,
        allow_remote=args.allow_remote,
        progress=not args.quiet,
    )
    from .report import Provenance, write_report

    result.meta["provenance"] = Provenance.of(
        args.history, args.policy or SAMPLE_POLICY
    ).to_data()  # kept in summary.json
    out = Path(args.out)
    paths = result.to_csv(out)
    paths["report"] = write_report(result, out)
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
            args.scenario,
            speed=args.speed,
            endpoint_url=args.endpoint_url,
            allow_remote=args.allow_remote,
            out=args.out,
            resume=args.resume,
            reset=args.reset,
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
        bar.write(
            "incidentsim gameday: stopping after the call in flight (Ctrl-C again to abort); the partial record is "
            "kept",
            file=sys.stderr,
        )
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
            "  (any credentials will do, e.g. AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing); Ctrl-C stops "
            "and keeps the record",
            file=sys.stderr,
            flush=True,
        )
        try:
            record = game.run()
        except GameDayError as error:
            bar.close()
            print(
                f"incidentsim gameday: {error}; wrote what was played to {args.out}; resume with --resume",
                file=sys.stderr,
            )
            return 1
        except KeyboardInterrupt:
            record = game.record()
        bar.close()
        out = Path(args.out)
        from .report import write_report

        write_report(record.result, out)
        print(record.summary_text())
        if not record.complete:
            print(
                f"stopped after {record.status.position:,} of {record.status.total:,} events; "
                f"carry on with: incidentsim gameday {args.scenario} --out {args.out} --resume"
            )
            return 130
        reference = replay(scenario.alarms, scenario.policy, progress=False)
        different = nothing_lost(record, reference)
        failed = record.summary()["failed"]
        if different.empty and not failed:
            print(
                f"Every trigger accounted for: the {len(record.result.incidents):,} incidents equal the fault-free "
                "replay's "
                "(plan, title, impact, trigger count, creation time, alarms)."
            )
        else:
            print(
                f"NOT the same as the fault-free replay: {len(different):,} incident(s) differ, {failed:,} trigger(s) "
                "failed "
                f"after their retries; see {out / 'events.csv'} (outcome, error_code) and {out / 'timeline.csv'}."
            )
            different.to_csv(out / "differences.csv", index=False)
        print(
            f"wrote {out}/ (events.csv, incidents.csv, summary.json, timeline.csv, gameday.json, journal.jsonl, "
            "report.html)"
        )
        if args.hold and game.owns_server:
            print(
                f"incidentsim gameday: still serving at {game.endpoint_url}; Ctrl-C to stop",
                file=sys.stderr,
                flush=True,
            )
            signal.signal(signal.SIGINT, signal.default_int_handler)
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                pass
        return 0
    finally:
        signal.signal(signal.SIGINT, previous)
        game.close()


def _dashboard_command(args: argparse.Namespace) -> int:
    import signal

    from .dashboard import Dashboard, DashboardError, check_host
    from .emulator.core import UnsafeEndpointError

    _check_port(args.port)
    try:
        check_host(args.host, args.allow_remote)  # before the history is read
    except UnsafeEndpointError as error:
        raise CommandError(str(error)) from None
    try:
        import voila  # noqa: F401
    except ImportError:
        raise CommandError(
            'the dashboard needs Voila, which is not installed: pip install "incidentsim[dashboard]"'
        ) from None
    load, _ = _history_and_policy(args, args.policy)
    try:
        page = Dashboard(
            load.alarms,
            args.policy or SAMPLE_POLICY,
            host=args.host,
            port=args.port,
            allow_remote=args.allow_remote,
            sources=tuple(args.history),
            loaded=load.summary(_cli_hint),
        )
        page.start()
    except (UnsafeEndpointError, DashboardError, ValueError) as error:
        raise CommandError(str(error)) from None
    print(
        f"incidentsim dashboard: the tuning panel is served at\n  {page.url}\n"
        f"  (open it in a browser; the token in it is required; the save button writes into {page.workdir})\n"
        "  stop with Ctrl-C",
        flush=True,
    )

    def terminated(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt  # a kill stops Voila and its kernels too, as Ctrl-C does

    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        status = page.wait()
        if status:
            raise CommandError(f"Voila ended with exit status {status}:\n{page.log_tail()}")
    except KeyboardInterrupt:
        print("incidentsim dashboard: stopped", file=sys.stderr)
    finally:
        signal.signal(signal.SIGTERM, previous)
        page.stop()
    return 0


def _backtest_command(args: argparse.Namespace) -> int:
    import json

    from .backtest import backtest, parse_grid, sweep
    from .datasets.alarm_definitions import AlarmDefinitionError
    from .datasets.labels import LabelError, load_windows
    from .datasets.metrics import MetricSeriesError, load_alarm_definitions, load_metric_series

    try:
        series = load_metric_series(
            args.metrics, id=args.id, label=args.label, statistic=args.statistic, errors=args.errors
        )
        definitions = load_alarm_definitions(args.alarm)
        for place, why in definitions.skipped:
            print(f"incidentsim backtest: skipped {place}: {why}", file=sys.stderr)
        if not len(definitions):
            raise CommandError(f"{args.alarm} defines no metric alarm that can be evaluated from one series")
        if args.alarm_name:
            definition = definitions[args.alarm_name]
        elif len(definitions) > 1:
            raise CommandError(
                f"{args.alarm} defines {len(definitions)} alarms ({', '.join(definitions.names)}); choose one with "
                "--alarm-name"
            )
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
    summary = {
        "alarm": definition.to_api(),
        "metrics": str(args.metrics),
        "resolve_delay": args.resolve_delay,
        **run.summary(),
    }
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
        print(
            f"sweep: {len(table):,} settings, {valid:,} valid, {len(table) - valid:,} refused (see the problem column "
            "of sweep.csv)"
        )
        shown = table[table["current"] | table["dominating"]]
        columns = [
            c
            for c in (
                "setting",
                "incidents_per_week",
                "recall",
                "precision",
                "detection_delay_s_median",
                "current",
                "dominating",
            )
            if c in shown.columns
        ]
        printed = shown[columns].rename(columns={"detection_delay_s_median": "median_delay"})
        if "median_delay" in printed.columns:
            from .analysis import human_duration

            printed["median_delay"] = printed["median_delay"].map(human_duration)
        print(printed.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
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
        _check_templates(args, policy_object, load.alarms)
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
    for policy in (first, second):
        _check_templates(args, policy, load.alarms)
    results = [
        replay(
            load, p, engine=args.engine, endpoint_url=args.endpoint_url, allow_remote=args.allow_remote, progress=False
        )
        for p in (first, second)
    ]
    table = compare(results[0], results[1], by=args.by)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "comparison.csv", index=False)
    for label, result in zip("AB", results):
        summary = result.summary()
        print(
            f"{label}: {result.policy_name}: {summary['created']:,} incidents, {summary['deduplicated']:,} "
            "deduplicated, "
            f"{summary['rejected']:,} rejected"
        )
    changed = table[table["incidents_diff"] != 0]
    print(
        f"{len(changed):,} of {len(table):,} {'alarms' if args.by == 'alarm' else 'plans'} change their incident count:"
    )
    print("\n".join(_changes_table(table, args.by)) if len(changed) else "  none")
    from .report import write_comparison_report

    report = write_comparison_report(
        results[0], results[1], out, history=args.history, policies=(args.policy[0], args.policy[1])
    )
    print(f"wrote {out}/: comparison.csv (every {args.by}, every column), {report.name} and its CSVs")
    return 0


def _changes_table(table: Any, by: str, rows: int = 15, width: int = 100) -> list[str]:
    """The first ``rows`` alarms (or plans) of a comparison whose incident count changes, as lines of at most ``width``
    characters: the name (with its Region and account where the name repeats), incidents and deduplications A and B."""
    changed = table[table["incidents_diff"] != 0].head(rows)
    if by == "alarm":
        repeated = set(table.loc[table["alarm_name"].duplicated(keep=False), "alarm_name"])
        labels = [
            (str(name), _region_and_account(str(arn)) if name in repeated else "")
            for arn, name in zip(changed["alarm_arn"], changed["alarm_name"])
        ]
    else:
        labels = [(str(plan), "") for plan in changed["response_plan"]]
    headers = ("A", "B", "diff", "A", "B")
    cells = [
        [f"{a:,}", f"{b:,}", f"{diff:+,}", f"{dedup_a:,}", f"{dedup_b:,}"]
        for a, b, diff, dedup_a, dedup_b in changed[
            ["incidents_a", "incidents_b", "incidents_diff", "deduplicated_a", "deduplicated_b"]
        ].itertuples(index=False)
    ]
    widths = [max(5, *(len(row[k]) for row in cells)) for k in range(len(headers))]
    room = width - sum(widths) - 2 * len(widths)
    fit = min(max(len(by), *(len(name) + len(where) for name, where in labels)), room)

    def label(name: str, where: str) -> str:
        if len(name) + len(where) > fit:
            name = name[: max(fit - len(where) - 3, 1)] + "..."
        return f"{name}{where}"[:fit]

    incidents, deduplicated = sum(widths[:3]) + 4, sum(widths[3:]) + 2
    lines = [
        " " * fit + f"  {'incidents':^{incidents}}  {'deduplicated':^{deduplicated}}",
        by.ljust(fit) + "".join(f"  {header:>{w}}" for header, w in zip(headers, widths)),
    ]
    lines += [
        label(*text).ljust(fit) + "".join(f"  {cell:>{w}}" for cell, w in zip(row, widths))
        for text, row in zip(labels, cells)
    ]
    return lines


def _region_and_account(arn: str) -> str:
    """`` (eu-west-1, 222222222222)`` from an alarm ARN; "" when the ARN does not say."""
    parts = arn.split(":")
    return f" ({parts[3]}, {parts[4]})" if len(parts) > 5 and parts[3] and parts[4] else ""


KEEP_GOING_HELP = (
    "replay even when a title or clientToken template fails on some triggers (they are rejected with TemplateError); "
    "without it the templates are checked first and the command stops, exit status 2"
)


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
        "--allow-remote",
        action="store_true",
        help="allow binding a non-loopback address (reachable from other machines)",
    )
    serve.set_defaults(func=_serve)

    demo = commands.add_parser("demo", help="a short demo of the emulator: a plan, a few incidents, a dedupe")
    demo.set_defaults(func=_demo)

    load = commands.add_parser(
        "load",
        help="read alarm history files and report what was read, rejected and skipped",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=LOAD_EXAMPLES,
    )
    load.add_argument(
        "history", nargs="+", help="alarm history files (EventBridge, describe-alarm-history, SNS, CSV, Parquet ...)"
    )
    _add_history_options(load)
    load.add_argument("--out", help="write the canonical table here (.parquet or .csv); rejected records go beside it")
    load.add_argument(
        "--partitioned",
        action="store_true",
        help="write --out as a folder of Parquet files (a dataset for replay --engine dask)",
    )
    load.add_argument(
        "--partition-rows",
        type=_positive_int,
        default=250_000,
        metavar="N",
        help="rows per file with --partitioned (default 250,000)",
    )
    load.set_defaults(func=_load)

    replay = commands.add_parser(
        "replay",
        help="replay alarm history into the emulated StartIncident (default: the bundled sample and its policy)",
    )
    replay.add_argument("history", nargs="*", help="alarm history files (default: the bundled sample)")
    replay.add_argument("--policy", help="policy YAML (default: the bundled sample policy)")
    replay.add_argument(
        "--out", default="replay-out", help="folder for events.csv, incidents.csv, summary.json (default replay-out)"
    )
    replay.add_argument(
        "--engine",
        default="emulator",
        choices=("emulator", "fast", "dask"),
        help="emulator: a StartIncident call per trigger (default); fast: the same tables computed without calls; "
        "dask: the fast engine's tables computed on a Dask cluster, from a Parquet dataset",
    )
    replay.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="with --engine dask: the Dask scheduler to use, e.g. tcp://10.0.0.5:8786 (default: a local cluster)",
    )
    replay.add_argument(
        "--partition-rows",
        type=_positive_int,
        default=250_000,
        metavar="N",
        help="with --engine dask: rows per partition the shuffle aims at (default 250,000)",
    )
    replay.add_argument("--endpoint-url", help="a served emulator, e.g. http://127.0.0.1:5000 from incidentsim serve")
    replay.add_argument("--allow-remote", action="store_true", help="allow an --endpoint-url that is not loopback")
    replay.add_argument("--quiet", action="store_true", help="no progress bar")
    replay.add_argument("--keep-going", action="store_true", help=KEEP_GOING_HELP)
    _add_history_options(replay)
    replay.set_defaults(func=_replay_command)

    compare = commands.add_parser("compare", help="replay one history under two policies and compare them")
    compare.add_argument("history", nargs="*", help="alarm history files (default: the bundled sample)")
    compare.add_argument("--policy", action="append", required=True, help="a policy YAML; give it twice")
    compare.add_argument(
        "--by", default="alarm", choices=("alarm", "plan"), help="compare per alarm (default) or per plan"
    )
    compare.add_argument("--out", default="compare-out", help="folder for comparison.csv (default compare-out)")
    compare.add_argument(
        "--engine", default="emulator", choices=("emulator", "fast"), help="as for replay (default emulator)"
    )
    compare.add_argument("--endpoint-url", help="a served emulator")
    compare.add_argument("--allow-remote", action="store_true", help="allow an --endpoint-url that is not loopback")
    compare.add_argument("--keep-going", action="store_true", help=KEEP_GOING_HELP)
    _add_history_options(compare)
    compare.set_defaults(func=_compare_command)

    gameday = commands.add_parser(
        "gameday",
        help="play a scenario's alarm storm at speed, with faults, against a live local endpoint (a game day)",
    )
    gameday.add_argument("scenario", help="scenario YAML, e.g. data/gameday-cascade.yaml")
    gameday.add_argument(
        "--speed", help="override the scenario's speed: simulated seconds per second (e.g. 120 or 120x) or max"
    )
    gameday.add_argument(
        "--endpoint-url", help="a running incidentsim serve (default: one is started on 127.0.0.1 for the game day)"
    )
    gameday.add_argument("--allow-remote", action="store_true", help="allow an --endpoint-url that is not loopback")
    gameday.add_argument(
        "--out", default="gameday-out", help="folder for the journal and the record (default gameday-out)"
    )
    gameday.add_argument("--resume", action="store_true", help="carry on the run whose journal is in --out")
    gameday.add_argument("--reset", action="store_true", help="forget the incidents already on --endpoint-url first")
    gameday.add_argument(
        "--hold", action="store_true", help="keep the game day's own server running after the end, until Ctrl-C"
    )
    gameday.add_argument("--quiet", action="store_true", help="no status line")
    gameday.set_defaults(func=_gameday_command)

    dashboard = commands.add_parser(
        "dashboard",
        help="serve the tuning panel as a web page (Voila) on a history and policy (default: the bundled sample)",
    )
    dashboard.add_argument("history", nargs="*", help="alarm history files (default: the bundled sample)")
    dashboard.add_argument("--policy", help="policy YAML to start from (default: the bundled sample policy)")
    dashboard.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    dashboard.add_argument("--port", type=int, default=0, help="port to bind (default: a free one)")
    dashboard.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow binding a non-loopback address (reachable from other machines)",
    )
    _add_history_options(dashboard)
    dashboard.set_defaults(func=_dashboard_command)

    backtest = commands.add_parser(
        "backtest",
        help="evaluate a CloudWatch alarm over metric history, replay its incidents, score them against labelled "
        "anomalies",
    )
    backtest.add_argument(
        "metrics",
        help="the metric series: CSV (timestamp,value), Parquet, or GetMetricData / get-metric-statistics JSON",
    )
    backtest.add_argument(
        "--alarm", required=True, help="alarm definition(s): PutMetricAlarm YAML/JSON or describe-alarms output"
    )
    backtest.add_argument("--alarm-name", help="which alarm, when the file defines several")
    backtest.add_argument(
        "--labels", help="labelled anomaly windows: NAB combined_windows.json or a series,start,end table"
    )
    backtest.add_argument("--series", help="the series' name in --labels (default: the metrics file's name)")
    backtest.add_argument(
        "--sweep",
        action="append",
        metavar="NAME=VALUES",
        help="vary a setting: threshold=70,80,90 or threshold=60:90:5, datapoints_to_alarm=1,2,3, "
        "evaluation_periods=3,5, resolve_delay=0s,15m,1h (repeatable: the grid is every combination)",
    )
    backtest.add_argument(
        "--resolve-delay",
        default="0s",
        help="resolve the incident this long after the alarm returns to OK (default 0s)",
    )
    backtest.add_argument("--id", help="GetMetricData export: the MetricDataResults Id to use")
    backtest.add_argument("--label", help="GetMetricData export: the MetricDataResults Label to use")
    backtest.add_argument("--statistic", help="get-metric-statistics export: the statistic to use")
    backtest.add_argument(
        "--errors",
        default="raise",
        choices=("raise", "quarantine"),
        help="bad rows of the series: stop (default) or set aside",
    )
    backtest.add_argument("--out", default="backtest-out", help="output folder (default backtest-out)")
    backtest.set_defaults(func=_backtest_command)

    report = commands.add_parser("report", help="a trigger-volume report: HTML (self-contained) or Markdown, with CSVs")
    report.add_argument(
        "history", nargs="*", help="a replay's output folder, or alarm history files (default: the bundled sample)"
    )
    report.add_argument("--policy", help="policy YAML when replaying history (default: the bundled sample policy)")
    report.add_argument(
        "--format", dest="report_format", default="html", choices=("html", "md"), help="html (default) or md"
    )
    report.add_argument("--out", default="report-out", help="folder for the report (default report-out)")
    report.add_argument("--tz", default="UTC", help="time zone for business, off and sleep hours (default UTC)")
    report.add_argument(
        "--engine", default="fast", choices=("emulator", "fast"), help="engine when replaying history (default fast)"
    )
    report.add_argument("--keep-going", action="store_true", help=KEEP_GOING_HELP)
    _add_history_options(report, input_format=False)
    report.set_defaults(func=_report_command, format="auto")

    capture = commands.add_parser(
        "capture", help="export CloudWatch alarm history to Parquet before CloudWatch forgets it"
    )
    capture.add_argument("--start", required=True, help="start of the time range (ISO 8601)")
    capture.add_argument("--end", required=True, help="end of the time range (ISO 8601)")
    capture.add_argument("--alarm-name", action="append", help="only this alarm (repeatable)")
    capture.add_argument("--region", help="the Region to read (default: your AWS configuration's)")
    capture.add_argument("--endpoint-url", help="a CloudWatch-compatible endpoint, e.g. incidentsim serve on 127.0.0.1")
    capture.add_argument("--allow-remote", action="store_true", help="allow an --endpoint-url that is not loopback")
    capture.add_argument("--out", required=True, help="where to write the table (.parquet or .csv)")
    capture.add_argument(
        "--with-config",
        action="store_true",
        help="also read the wiring (alarm actions, response plans, EventBridge rules) into live-config/ beside --out, "
        "and the policy it makes into imported-policy.yaml",
    )
    capture.set_defaults(func=_capture)

    from .awsconfig.commands import add_commands

    add_commands(commands)
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
