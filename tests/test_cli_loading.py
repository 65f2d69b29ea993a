"""Every option of load_alarms on the command line: parsed, applied, refused in one line, hinted in the CLI's
spelling."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from incidentsim.cli import build_parser, main
from incidentsim.datasets.loaders import LoadError, load_alarms
from incidentsim.gameday.scenario import Scenario, ScenarioError

SAMPLE_POLICY = Path(__file__).resolve().parents[1] / "data" / "sample-policy.yaml"
ALERTS = (
    "fired_at,alert,status,why\n"
    "2024-05-01T09:00:00Z,checkout-5xx,firing,errors up\n"
    "2024-05-01T09:05:00Z,search-latency,firing,slow\n"
    "2024-05-01T09:20:00Z,checkout-5xx,resolved,errors down\n"
)
ALERT_OPTIONS = [
    "--columns",
    "timestamp=fired_at",
    "--columns",
    "alarm_name=alert",
    "--columns",
    "state=status",
    "--columns",
    "reason=why",
    "--state-map",
    "firing=ALARM",
    "--state-map",
    "resolved=OK",
]
OUTAGES = "service,host,began,ended\ncheckout,web-1,0,600\nsearch,web-2,60,60\n"
OUTAGE_OPTIONS = ["--id-columns", "service,host", "--start-column", "began", "--end-column", "ended"]


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def loaded(tmp_path: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[pd.DataFrame, str]:
    """Run ``incidentsim load ... --out``; the table written and what was printed."""
    out = tmp_path / "alarms.parquet"
    assert main(["load", *argv, "--out", str(out)]) == 0, capsys.readouterr().err
    return pd.read_parquet(out), capsys.readouterr().out


def one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run a command that must fail: status 2 and exactly one line on stderr, no traceback."""
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    return lines[0]


# ----------------------------------------------------------------------------- each option applied


def test_columns_and_state_map_read_another_tools_table(tmp_path, capsys):
    alarms, _ = loaded(tmp_path, capsys, write(tmp_path, "alerts.csv", ALERTS), *ALERT_OPTIONS)
    assert alarms["alarm_name"].tolist() == ["checkout-5xx", "search-latency", "checkout-5xx"]
    assert alarms["state"].tolist() == ["ALARM", "ALARM", "OK"]
    assert alarms["previous_state"].tolist() == ["OK", "OK", "ALARM"]
    assert alarms["reason"].tolist() == ["errors up", "slow", "errors down"]
    assert alarms["timestamp"].iloc[-1] == pd.Timestamp("2024-05-01T09:20:00Z")


def test_a_state_word_maps_whatever_its_case_and_the_state_is_read_in_any_case(tmp_path, capsys):
    path = write(tmp_path, "alerts.csv", ALERTS.replace("firing", "FIRING"))
    options = [o.replace("=ALARM", "=alarm") for o in ALERT_OPTIONS]
    alarms, _ = loaded(tmp_path, capsys, path, *options)
    assert alarms["state"].tolist() == ["ALARM", "ALARM", "OK"]


def test_account_region_and_event_source_are_applied(tmp_path, capsys):
    path = write(tmp_path, "alerts.csv", ALERTS)
    alarms, _ = loaded(
        tmp_path,
        capsys,
        path,
        *ALERT_OPTIONS,
        "--account-id",
        "111122223333",
        "--region",
        "eu-west-1",
        "--event-source",
        "grafana",
    )
    assert set(alarms["account_id"]) == {"111122223333"} and set(alarms["region"]) == {"eu-west-1"}
    assert set(alarms["source"]) == {"grafana"}
    assert alarms["alarm_arn"].iloc[0] == "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:checkout-5xx"


def test_name_template_names_a_table_without_an_alarm_name_column(tmp_path, capsys):
    path = write(
        tmp_path,
        "checks.csv",
        "when,host,check,status\n2024-05-01T09:00:00Z,web-1,disk,firing\n2024-05-01T09:01:00Z,web-2,cpu,firing\n",
    )
    options = ["--columns", "timestamp=when", "--columns", "state=status", "--state-map", "firing=ALARM"]
    alarms, _ = loaded(tmp_path, capsys, path, *options, "--name-template", "{host}-{check}")
    assert alarms["alarm_name"].tolist() == ["web-1-disk", "web-2-cpu"]
    alarms, _ = loaded(tmp_path, capsys, path, *options, "--name-template", "fleet")  # no braces: one name
    assert set(alarms["alarm_name"]) == {"fleet"}


def test_a_name_template_column_the_table_lacks_is_named(tmp_path, capsys):
    path = write(tmp_path, "alerts.csv", ALERTS)
    line = one_line_error(
        capsys,
        ["load", path, "--columns", "timestamp=fired_at", "--columns", "state=status", "--name-template", "{host}"],
    )
    assert line == "incidentsim load: alerts.csv:2: field 'host': no such column; name_template '{host}' uses it"
    line = one_line_error(capsys, ["load", path, *ALERT_OPTIONS, "--name-template", "{alert}"])
    assert line.startswith("incidentsim load: --name-template '{alert}': must be left out when columns maps alarm_name")


def test_interval_options_name_the_columns_and_the_origin(tmp_path, capsys):
    path = write(tmp_path, "outages.csv", OUTAGES)
    alarms, printed = loaded(
        tmp_path, capsys, path, *OUTAGE_OPTIONS, "--time-origin", "2024-01-01", "--name-template", "{service}@{host}"
    )
    checkout = alarms[alarms["alarm_name"] == "checkout@web-1"]
    assert checkout["state"].tolist() == ["ALARM", "OK"]
    assert checkout["timestamp"].tolist() == [
        pd.Timestamp("2024-01-01T00:00:00Z"),
        pd.Timestamp("2024-01-01T00:10:00Z"),
    ]
    assert set(alarms["alarm_name"]) == {"checkout@web-1", "search@web-2"}
    assert "times are seconds after 2024-01-01T00:00:00+00:00" in printed


def test_id_columns_may_be_repeated_instead_of_comma_separated(tmp_path, capsys):
    path = write(tmp_path, "outages.csv", OUTAGES)
    ends = ["--start-column", "began", "--end-column", "ended", "--format", "intervals"]
    repeated, _ = loaded(tmp_path, capsys, path, "--id-columns", "service", "--id-columns", "host", *ends)
    joined, _ = loaded(tmp_path, capsys, path, "--id-columns", "service,host", *ends)
    assert (
        sorted(set(repeated["alarm_name"]))
        == sorted(set(joined["alarm_name"]))
        == ["service-checkout_host-web-1", "service-search_host-web-2"]
    )


@pytest.mark.parametrize("command", ["load", "replay", "compare", "report"])
def test_every_command_that_reads_history_takes_the_mapping_options(command):
    argv = [
        command,
        "h.csv",
        "--columns",
        "alarm_name=alert",
        "--state-map",
        "1=ALARM",
        "--id-columns",
        "a,b",
        "--start-column",
        "s",
        "--end-column",
        "e",
        "--name-template",
        "{a}",
        "--time-origin",
        "2024-01-01",
        "--event-source",
        "x",
    ]
    args = build_parser().parse_args(
        argv + (["--policy", "a.yaml", "--policy", "b.yaml"] if command == "compare" else [])
    )
    assert (args.columns, args.state_map, args.id_columns) == (["alarm_name=alert"], ["1=ALARM"], ["a,b"])
    assert (args.start_column, args.end_column, args.name_template, args.time_origin, args.event_source) == (
        "s",
        "e",
        "{a}",
        "2024-01-01",
        "x",
    )


def test_replay_applies_the_options_and_prints_the_notes(tmp_path, capsys):
    path = write(tmp_path, "outages.csv", OUTAGES)
    out = tmp_path / "replay"
    argv = ["replay", path, *OUTAGE_OPTIONS, "--engine", "fast", "--quiet", "--keep-going", "--out", str(out)]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "outages.csv: times are plain numbers, taken as seconds since 1970-01-01" in err and "--time-origin" in err
    events = pd.read_csv(out / "events.csv")
    assert sorted(set(events["alarm_name"])) == ["service-checkout_host-web-1", "service-search_host-web-2"]


# ----------------------------------------------------------------------------- malformed values


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--columns", "alarm_name"], "--columns 'alarm_name': expected FIELD=COLUMN"),
        (["--columns", ""], "--columns '': expected FIELD=COLUMN"),
        (["--columns", "alarm_name="], "--columns 'alarm_name=': expected FIELD=COLUMN"),
        (["--columns", "=alert"], "--columns '=alert': expected FIELD=COLUMN"),
        (
            ["--columns", "when=fired_at"],
            (
                "--columns 'when=fired_at': unknown field 'when'; the fields are timestamp, alarm_name, state, "
                "previous_state, account_id, region, alarm_arn, reason, namespace, metric_name, dimensions"
            ),
        ),
        (
            ["--columns", "timestamp=fired_at,state=status"],
            "--columns 'timestamp=fired_at,state=status': give one FIELD=COLUMN per --columns",
        ),
        (["--columns", "state=a", "--columns", "state=b"], "--columns 'state=b': state is given twice"),
        (["--state-map", "firing"], "--state-map 'firing': expected VALUE=STATE"),
        (["--state-map", "=ALARM"], "--state-map '=ALARM': expected VALUE=STATE"),
        (
            ["--state-map", "firing=FIRING"],
            "--state-map 'firing=FIRING': unknown state 'FIRING'; STATE is one of OK, ALARM, INSUFFICIENT_DATA",
        ),
        (["--id-columns", "a,,b"], "--id-columns 'a,,b': expected COLUMN or COLUMN,COLUMN,..."),
        (["--id-columns", ""], "--id-columns '': expected COLUMN or COLUMN,COLUMN,..."),
        (["--start-column", ""], "--start-column '': must be a column name"),
        (["--end-column", ""], "--end-column '': must be a column name"),
        (
            ["--name-template", "{}"],
            "--name-template '{}': must be text naming columns in braces, such as '{alarm_id}@{device_id}'",
        ),
        (
            ["--name-template", "{host"],
            "--name-template '{host': must be text naming columns in braces, such as '{alarm_id}@{device_id}'",
        ),
        (["--time-origin", "soon"], "--time-origin 'soon': must be a time such as 2024-01-01 or 2024-01-01T00:00:00Z"),
        (["--account-id", "1234"], "--account-id '1234': must be 12 digits"),
        (["--region", "mars-1"], "--region 'mars-1': must be an AWS Region such as us-east-1"),
        (["--event-source", " "], "--event-source ' ': must be a non-empty string"),
    ],
)
def test_a_malformed_value_is_refused_in_one_line_naming_the_option_and_value(tmp_path, capsys, options, message):
    path = write(tmp_path, "alerts.csv", ALERTS)
    assert one_line_error(capsys, ["load", path, *options]) == f"incidentsim load: {message}"


def test_replay_refuses_a_malformed_value_before_anything_runs(tmp_path, capsys):
    argv = [
        "replay",
        write(tmp_path, "alerts.csv", ALERTS),
        "--state-map",
        "firing=ON",
        "--quiet",
        "--out",
        str(tmp_path / "o"),
    ]
    assert one_line_error(capsys, argv).startswith("incidentsim replay: --state-map 'firing=ON': unknown state 'ON'")
    assert not (tmp_path / "o").exists()


# ----------------------------------------------------------------------------- hints in each front end's spelling


def test_a_missing_column_is_hinted_as_an_option_on_the_cli_and_as_an_argument_in_python(tmp_path, capsys):
    path = write(tmp_path, "alerts.csv", ALERTS)
    line = one_line_error(capsys, ["load", path, "--columns", "timestamp=fired_at"])
    assert (
        line == "incidentsim load: alerts.csv:2: field 'alarm_name': no such column "
        "(map it with --columns alarm_name=COLUMN)"
    )
    with pytest.raises(LoadError) as raised:
        load_alarms(path, columns={"timestamp": "fired_at"})
    assert (
        str(raised.value)
        == "alerts.csv:2: field 'alarm_name': no such column (map it with columns={'alarm_name': ...})"
    )
    assert (raised.value.field, raised.value.hint) == ("alarm_name", "columns.alarm_name")


def test_an_unmapped_state_word_is_hinted_in_each_spelling(tmp_path, capsys):
    path = write(tmp_path, "alerts.csv", ALERTS)
    options = ["--columns", "timestamp=fired_at", "--columns", "alarm_name=alert", "--columns", "state=status"]
    line = one_line_error(capsys, ["load", path, *options])
    assert line.endswith(
        "field 'status': expected one of ALARM, INSUFFICIENT_DATA, OK, got 'firing' "
        "(map it with --state-map firing=STATE)"
    )
    with pytest.raises(LoadError, match=r"got 'firing' \(map it with state_map=\{'firing': \.\.\.\}\)$"):
        load_alarms(path, columns={"timestamp": "fired_at", "alarm_name": "alert", "state": "status"})


def test_quarantined_records_are_summarised_with_the_cli_spelling(tmp_path, capsys):
    path = write(tmp_path, "alerts.csv", ALERTS)
    _, printed = loaded(
        tmp_path,
        capsys,
        path,
        "--columns",
        "timestamp=fired_at",
        "--columns",
        "alarm_name=alert",
        "--columns",
        "state=status",
        "--state-map",
        "firing=ALARM",
        "--errors",
        "quarantine",
    )
    assert (
        "rejected 1 x status: expected one of ALARM, FIRING, INSUFFICIENT_DATA, OK, got 'resolved' "
        "(map it with --state-map resolved=STATE)" in printed
    )
    python = load_alarms(
        path,
        columns={"timestamp": "fired_at", "alarm_name": "alert", "state": "status"},
        state_map={"firing": "ALARM"},
        errors="quarantine",
    )
    assert python.rejected.loc[0, "hint"] == "state_map.resolved"
    assert "(map it with state_map={'resolved': ...})" in python.summary()


def test_an_interval_table_with_a_misnamed_end_column_names_the_end_column(tmp_path, capsys):
    path = write(tmp_path, "Alarm.csv", "alarm_id,device_id,start_timestamp,finish\n1,7,0,100\n")
    line = one_line_error(capsys, ["load", path, "--time-origin", "2024-01-01"])
    assert line == (
        "incidentsim load: Alarm.csv:2: field 'end_timestamp': no such column; the table has alarm_id, device_id, "
        "start_timestamp, finish (map it with --end-column COLUMN)"
    )
    with pytest.raises(LoadError, match=r"field 'end_timestamp': .* \(map it with end_column=\.\.\.\)$"):
        load_alarms(path)
    alarms, _ = loaded(tmp_path, capsys, path, "--end-column", "finish", "--time-origin", "2024-01-01")
    assert alarms["state"].tolist() == ["ALARM", "OK"]


def test_a_state_change_table_with_a_start_timestamp_column_is_still_a_table(tmp_path, capsys):
    path = write(tmp_path, "alerts.csv", "timestamp,alarm_name,state,start_timestamp\n2024-05-01T09:00:00Z,a,ALARM,x\n")
    alarms, _ = loaded(tmp_path, capsys, path)
    assert alarms["alarm_name"].tolist() == ["a"]


# ----------------------------------------------------------------------------- the time-origin note


def test_plain_number_interval_times_without_an_origin_get_a_note(tmp_path, capsys):
    path = write(tmp_path, "outages.csv", OUTAGES)
    alarms, printed = loaded(tmp_path, capsys, path, *OUTAGE_OPTIONS)
    assert alarms["timestamp"].min() == pd.Timestamp("1970-01-01T00:00:00Z")
    note = (
        "note (2 records): outages.csv: times are plain numbers, taken as seconds since 1970-01-01 "
        "(milliseconds above 1e11) "
        "as no time origin was given; if they are relative, set time_origin= or --time-origin"
    )
    assert note in printed
    load = load_alarms(path, id_columns=["service", "host"], start_column="began", end_column="ended")
    assert any("taken as seconds since 1970-01-01" in text for text in load.notes)


def test_no_time_origin_note_with_an_origin_or_with_timestamps(tmp_path, capsys):
    path = write(tmp_path, "outages.csv", OUTAGES)
    _, printed = loaded(tmp_path, capsys, path, *OUTAGE_OPTIONS, "--time-origin", "2024-01-01")
    assert "plain numbers" not in printed
    stamped = write(
        tmp_path, "stamped.csv", "service,host,began,ended\ncheckout,web-1,2024-05-01T09:00:00Z,2024-05-01T09:10:00Z\n"
    )
    _, printed = loaded(tmp_path, capsys, stamped, *OUTAGE_OPTIONS)
    assert "plain numbers" not in printed


# ----------------------------------------------------------------------------- game-day scenarios


def scenario_file(tmp_path: Path, history: str) -> Path:
    write(tmp_path, "alerts.csv", ALERTS)
    path = tmp_path / "storm.yaml"
    path.write_text(f"name: storm\nhistory:\n  files: alerts.csv\n{history}policy: {SAMPLE_POLICY}\nspeed: max\n")
    return path


def test_a_scenario_takes_the_mapping_options(tmp_path):
    history = (
        "  columns: {timestamp: fired_at, alarm_name: alert, state: status}\n"
        "  state_map: {firing: ALARM, resolved: OK}\n  account_id: '111122223333'\n  region: eu-west-1\n"
    )
    scenario = Scenario.from_yaml(scenario_file(tmp_path, history))
    assert scenario.alarms["state"].tolist() == ["ALARM", "ALARM", "OK"]
    assert set(scenario.alarms["account_id"]) == {"111122223333"}


@pytest.mark.parametrize(
    ("history", "message"),
    [
        (
            "  columns: {timestamp: fired_at}\n",
            (
                r"^storm\.yaml:3 history\.files: cannot be read: alerts\.csv:2: field 'alarm_name': no such column "
                r"\(map it with history\.columns: \{alarm_name: COLUMN\}\)$"
            ),
        ),
        (
            "  columns: {timestamp: fired_at, alarm_name: alert, state: status}\n  state_map: {firing: FIRING}\n",
            r"^storm\.yaml:5 history\.state_map: expected a mapping from state words to OK, ALARM, INSUFFICIENT_DATA; "
            r"'FIRING' is none of them, got \{'firing': 'FIRING'\}$",
        ),
        (
            "  time_origin: soon\n",
            r"^storm\.yaml:4 history\.time_origin: expected a time such as 2024-01-01 or 2024-01-01T00:00:00Z, "
            r"got 'soon'$",
        ),
        ("  format: csv\n", r"^storm\.yaml:4 history\.format: expected one of \{auto, .*\}, got 'csv'$"),
        (
            "  account_id: 1234\n",
            r"^storm\.yaml:4 history\.account_id: expected a str or None, got 1234$",
        ),
        ("  end_colum: x\n", r"^storm\.yaml:4 history\.end_colum: unknown key"),
    ],
)
def test_a_scenario_names_its_file_and_key_for_each_loading_problem(tmp_path, history, message):
    with pytest.raises(ScenarioError, match=message):
        Scenario.from_yaml(scenario_file(tmp_path, history))


# ----------------------------------------------------------------------------- real exports, flags alone


def test_a_microsoft_series_loads_from_the_cli_with_flags_alone(corpus, tmp_path, capsys):
    folder = corpus / "microsoft-cloud-monitoring-dataset"
    if not folder.is_dir():
        pytest.skip(f"the Microsoft cloud-monitoring set is not at {folder}")
    path = folder / "application-crash-rate-1" / "app1-01.csv"
    alarms, printed = loaded(
        tmp_path,
        capsys,
        str(path),
        "--columns",
        "timestamp=TimeStamp",
        "--columns",
        "state=Label",
        "--columns",
        "reason=Value",
        "--state-map",
        "0=OK",
        "--state-map",
        "1=ALARM",
        "--name-template",
        "app1-01-crash-rate",
    )
    series = pd.read_csv(path)
    assert f"read {len(series):,} records: {len(series):,} loaded, 0 rejected" in printed
    assert len(alarms) == len(series) and set(alarms["alarm_name"]) == {"app1-01-crash-rate"}
    assert (alarms["state"] == "ALARM").sum() == (series["Label"] == 1).sum() > 0
    assert alarms["timestamp"].min() == pd.Timestamp(series["TimeStamp"].min(), tz="UTC")


def test_a_huawei_set_loads_from_the_cli_with_flags_alone(corpus, tmp_path, capsys):
    path = corpus / "huawei-pcic2021-alarms" / "18V_55N_Wireless" / "Alarm.csv"
    if not path.is_file():
        pytest.skip(f"the Huawei PCIC 2021 alarm set is not at {path.parent}")
    alarms, printed = loaded(
        tmp_path,
        capsys,
        str(path),
        "--time-origin",
        "2024-01-01",
        "--name-template",
        "alarm-{alarm_id}@device-{device_id}",
    )
    table = pd.read_csv(path)
    assert f"read {len(table):,} records: {len(table):,} loaded, 0 rejected" in printed
    assert len(alarms) == 2 * len(table)
    assert alarms["alarm_name"].nunique() == len(table.groupby(["alarm_id", "device_id"]))
    assert alarms["timestamp"].min() == pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(
        seconds=int(table["start_timestamp"].min())
    )
    assert "plain numbers" not in printed


def test_options_the_chosen_reader_does_not_take_are_noted_not_dropped_unseen(tmp_path, capsys):
    events = Path(__file__).resolve().parents[1] / "data" / "alarm-events.jsonl"
    _, printed = loaded(tmp_path, capsys, str(events), "--columns", "alarm_name=alert", "--time-origin", "2024-01-01")
    assert (
        "note: alarm-events.jsonl was read as JSON alarm records, which takes no columns= or time_origin= "
        "(--columns, --time-origin): left unused"
    ) in printed
    outages = write(tmp_path, "outages.csv", OUTAGES)
    load = load_alarms(
        outages, id_columns=["service", "host"], start_column="began", end_column="ended", state_map={"up": "OK"}
    )
    assert load.notes == {
        **load.notes,
        "outages.csv was read as an interval table, which takes no state_map= (--state-map): left unused": 0,
    }
    quiet = load_alarms(outages, id_columns=["service", "host"], start_column="began", end_column="ended")
    assert not [note for note in quiet.notes if "left unused" in note]
