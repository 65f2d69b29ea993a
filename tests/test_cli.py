"""The incidentsim command as a user runs it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from incidentsim.cli import main


def test_demo_shows_a_create_a_dedupe_an_idempotent_retry_and_a_new_incident(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line[:2].isdigit()]
    assert len(lines) == 6
    assert "created" in lines[0] and "incident 1" in lines[0]
    assert "deduplicated" in lines[1] and "incident 1" in lines[1]
    assert "idempotent" in lines[3]
    assert "created" in lines[5] and "incident 2" in lines[5]
    assert "5 StartIncident calls -> 2 incident records" in out


def test_no_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as excinfo:
        main([])
    assert excinfo.value.code == 2
    assert "COMMAND" in capsys.readouterr().err


def test_console_script_is_installed():
    result = subprocess.run(
        [sys.executable, "-m", "incidentsim.cli", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    assert "serve" in result.stdout and "demo" in result.stdout


def test_load_prints_the_accounting_and_writes_the_table(corpus, tmp_path, capsys):
    samples = corpus / "aws-sample-events"
    files = [str(p) for p in sorted(samples.glob("cloudwatch-and-eventbridge_*.json"))]
    out = tmp_path / "alarms.parquet"
    assert main(["load", *files, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "read 10 records: 4 loaded, 0 rejected, 6 skipped" in printed
    assert "skipped 6 x CloudWatch Alarm Configuration Change" in printed
    import pandas as pd

    assert len(pd.read_parquet(out)) == 4


def test_load_quarantine_writes_rejected_records_beside_the_table(tmp_path, capsys):
    path = tmp_path / "events.jsonl"
    path.write_text('{"detail-type": "CloudWatch Alarm State Change", "detail": {}}\n')
    assert main(["load", str(path), "--errors", "quarantine", "--out", str(tmp_path / "a.csv")]) == 0
    assert "1 rejected" in capsys.readouterr().out
    assert (tmp_path / "a.rejected.csv").read_text().count("events.jsonl:1") == 1


def test_load_bad_input_is_one_line_and_status_2(tmp_path, capsys):
    path = tmp_path / "events.jsonl"
    path.write_text("{not json\n")
    assert main(["load", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("incidentsim load: events.jsonl:1: field '<json>': invalid JSON")
    assert "\n" not in err


def test_capture_from_a_served_endpoint(server, tmp_path, capsys):
    import boto3

    from incidentsim.emulator import THROWAWAY_CREDENTIALS
    from incidentsim.emulator.server import EmulatorControl

    EmulatorControl(server.endpoint_url).reset()
    cloudwatch = boto3.client(
        "cloudwatch", region_name="eu-west-1", endpoint_url=server.endpoint_url, **THROWAWAY_CREDENTIALS
    )
    cloudwatch.put_metric_alarm(
        AlarmName="cpu",
        MetricName="CPUUtilization",
        Namespace="AWS/EC2",
        Statistic="Average",
        Period=60,
        EvaluationPeriods=1,
        Threshold=80,
        ComparisonOperator="GreaterThanThreshold",
    )
    cloudwatch.set_alarm_state(AlarmName="cpu", StateValue="ALARM", StateReason="test")
    out = tmp_path / "captured.parquet"
    code = main(
        [
            "capture",
            "--endpoint-url",
            server.endpoint_url,
            "--region",
            "eu-west-1",
            "--start",
            "2000-01-01",
            "--end",
            "2100-01-01",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    assert "read 1 records: 1 loaded" in capsys.readouterr().out
    from incidentsim import load_alarms

    frame = load_alarms(out).alarms
    assert frame.loc[0, "alarm_arn"] == "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:cpu"
    EmulatorControl(server.endpoint_url).reset()


def test_capture_refuses_a_remote_endpoint_without_the_flag(capsys):
    code = main(
        [
            "capture",
            "--endpoint-url",
            "http://10.0.0.5:5000",
            "--start",
            "2024-01-01",
            "--end",
            "2024-01-02",
            "--out",
            "x.parquet",
        ]
    )
    assert code == 2
    assert "allow_remote" in capsys.readouterr().err


def test_replay_with_no_arguments_replays_the_bundled_sample(tmp_path, capsys, monkeypatch):
    import json

    monkeypatch.chdir(tmp_path)
    assert main(["replay", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "3,297 alarm state changes replayed with policy 'sample-policy'" in out
    assert "(emulator engine)" in out
    summary = json.loads((tmp_path / "replay-out" / "summary.json").read_text())
    assert set(summary) >= {
        "events",
        "triggers",
        "created",
        "deduplicated",
        "deduplicated_by_token",
        "deduplicated_by_dedupe_string",
        "ignored",
        "rejected",
        "dedup_ratio",
    }
    assert summary["events"] == 3297
    import pandas as pd

    events = pd.read_csv(tmp_path / "replay-out" / "events.csv")
    assert len(events) == 3297 and (events["outcome"] == "created").sum() == summary["created"]
    assert len(pd.read_csv(tmp_path / "replay-out" / "incidents.csv")) == summary["created"]

    # the fast engine says so, and agrees
    assert main(["replay", "--engine", "fast", "--quiet", "--out", str(tmp_path / "fast")]) == 0
    assert "(fast engine)" in capsys.readouterr().out
    fast = json.loads((tmp_path / "fast" / "summary.json").read_text())
    assert fast.pop("engine") == "fast" and summary.pop("engine") == "emulator"
    fast.pop("emulator"), summary.pop("emulator")
    # the emulator engine also counts its service calls; without faults nothing is retried
    assert summary.pop("retries") == 0 and summary.pop("calls") >= summary["triggers"]
    assert fast == summary


def test_replay_bad_policy_is_one_line(tmp_path, capsys):
    policy = tmp_path / "p.yaml"
    policy.write_text("response_plans:\n  - name: web\n    title: Web\n    impact: 9\n")
    assert main(["replay", "--policy", str(policy), "--quiet", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert (
        err == "incidentsim replay: p.yaml:4 response_plans[0].impact: expected an impact from 1 (critical) "
        "to 5 (no impact), got 9"
    )


def test_replay_refuses_a_remote_endpoint(capsys):
    assert main(["replay", "--endpoint-url", "https://ssm-incidents.us-east-1.amazonaws.com", "--quiet"]) == 2
    assert "not on this machine" in capsys.readouterr().err


def test_compare_two_policies_on_the_sample(tmp_path, capsys):
    from pathlib import Path

    sample_policy = Path(__file__).resolve().parents[1] / "data" / "sample-policy.yaml"
    wider = tmp_path / "wider.yaml"
    text = sample_policy.read_text().replace(
        "    tags: {team: search}", "    tags: {team: search}\n    dedupe_string: search-outage"
    )
    wider.write_text(text)
    assert (
        main(
            ["compare", "--engine", "fast", "--policy", str(sample_policy), "--policy", str(wider)]
            + ["--out", str(tmp_path / "cmp")]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "A: sample-policy:" in out and "change their incident count" in out
    import pandas as pd

    table = pd.read_csv(tmp_path / "cmp" / "comparison.csv")
    search = table[table["alarm_name"].str.startswith("search-")]
    assert search["incidents_b"].sum() < search["incidents_a"].sum()
