"""Backtests of a metric alarm: hand-worked incidents and scores, sweeps, and the command."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from incidentsim.backtest import backtest, backtest_policy, parse_grid, sweep
from incidentsim.cli import main
from incidentsim.datasets import AlarmDefinition

T0 = pd.Timestamp("2024-03-04T00:00:00Z")  # a Monday
STEP = pd.Timedelta(minutes=5)
SPIKES = [*range(100, 106), 300, 301, 500]  # two anomalies, then one lone spike


def at(period: int) -> pd.Timestamp:
    return T0 + period * STEP


def metric() -> pd.DataFrame:
    """Two days of 5-minute points at 10, with spikes to 100 at SPIKES."""
    values = np.full(576, 10.0)
    values[SPIKES] = 100.0
    return pd.DataFrame({"timestamp": [at(i) for i in range(576)], "value": values})


WINDOWS = pd.DataFrame({"start": [at(98), at(295), at(400)], "end": [at(110), at(305), at(410)]})
CPU = AlarmDefinition(
    alarm_name="cpu-high",
    metric_name="CPUUtilization",
    namespace="AWS/EC2",
    statistic="Average",
    period=300,
    threshold=50.0,
    comparison_operator="GreaterThanThreshold",
    evaluation_periods=3,
    datapoints_to_alarm=2,
)


def test_two_of_three_opens_two_incidents_and_the_score_is_the_hand_worked_one():
    run = backtest(metric(), CPU, windows=WINDOWS, resolve_delay="15m")
    incidents = run.result.incidents
    # the second breaching period of each anomaly ends at the evaluation that alarms
    assert incidents["creation_time"].tolist() == [at(102), at(302)]
    # back to OK once fewer than 2 of the last 3 breach (at the end of period 107; of 303), resolved 15 minutes later
    assert incidents["resolved_time"].tolist() == [at(111), at(307)]
    s = run.summary()
    assert (s["incidents"], s["detected"], s["windows"]) == (2, 2, 3)
    assert s["precision"] == 1.0 and s["recall"] == pytest.approx(2 / 3)
    assert s["detection_delay_s_median"] == pytest.approx(((102 - 98) * 300 + (302 - 295) * 300) / 2)
    reset = run.score.windows["reset_time_s"].tolist()
    assert reset[0] == pytest.approx(300) and reset[1] == pytest.approx(600) and np.isnan(reset[2])
    assert s["incidents_per_week"] == pytest.approx(2 / ((at(575) - at(0)).total_seconds() / 604800))
    text = run.summary_text()
    assert "2 of 3" in text and "anomalies caught: 2 of 3" in text
    # the incidents are the alarm's, with the default policy's plan and title
    assert set(run.result.events.loc[run.result.events["outcome"] == "created", "alarm_name"]) == {"cpu-high"}
    assert incidents["title"].tolist() == ["cpu-high", "cpu-high"]


def test_one_of_one_pages_for_the_lone_spike_too():
    run = backtest(metric(), CPU.replace(evaluation_periods=1, datapoints_to_alarm=1), windows=WINDOWS)
    s = run.summary()
    assert s["incidents"] == 3 and s["precision"] == pytest.approx(2 / 3)
    assert run.result.incidents["creation_time"].tolist() == [at(101), at(301), at(501)]


def test_without_windows_there_is_no_score_and_never_resolving_keeps_the_incident_open():
    run = backtest(metric(), CPU, resolve_delay=None)
    assert run.score is None and "recall" not in run.summary()
    assert run.result.incidents["status"].tolist() == ["OPEN"]  # the second anomaly is deduplicated into the first
    assert run.result.summary()["deduplicated"] == 1
    assert backtest_policy(CPU, None).resolve.strategy == "never"


def test_a_sweep_keeps_refused_settings_marks_the_current_one_and_finds_the_front():
    grid = {"threshold": [50, 150], "datapoints_to_alarm": [1, 2, 3, 4], "resolve_delay": ["15m"]}
    table = sweep(metric(), CPU, grid, windows=WINDOWS, resolve_delay="15m")
    assert len(table) == 2 * 4 * 1
    refused = table[~table["valid"]]
    assert refused["datapoints_to_alarm"].tolist() == [4, 4]
    assert refused["problem"].str.contains("EvaluationPeriods").all() and refused["incidents"].isna().all()
    assert table["current"].sum() == 1
    current = table[table["current"]].iloc[0]
    assert (current["threshold"], current["datapoints_to_alarm"], current["incidents"]) == (50, 2, 2)
    assert table.loc[table["threshold"] == 150, "incidents"].dropna().tolist() == [0, 0, 0]
    # brute force: a valid setting that catches something, beaten by no other on all three figures
    valid = table[table["valid"] & (table["detected"] > 0)]
    expected = set()
    for i, row in valid.iterrows():
        delay = row["detection_delay_s_median"]
        beaten = any(
            o["incidents_per_week"] <= row["incidents_per_week"]
            and o["recall"] >= row["recall"]
            and o["detection_delay_s_median"] <= delay
            and (
                o["incidents_per_week"] < row["incidents_per_week"]
                or o["recall"] > row["recall"]
                or o["detection_delay_s_median"] < delay
            )
            for j, o in valid.iterrows()
            if j != i
        )
        if not beaten:
            expected.add(i)
    assert set(table.index[table["dominating"]]) == expected and expected
    # 1 of 3 catches the same anomalies sooner than 2 of 3, at the cost of the lone spike
    one = table[(table["threshold"] == 50) & (table["datapoints_to_alarm"] == 1)].iloc[0]
    assert one["incidents"] == 3 and one["detection_delay_s_median"] < current["detection_delay_s_median"]


def test_the_current_setting_is_added_to_a_grid_that_leaves_it_out():
    table = sweep(metric(), CPU, {"threshold": [60, 70]})
    assert table["threshold"].tolist() == [50.0, 60, 70] and table["current"].tolist() == [True, False, False]
    assert not table["dominating"].any()  # without windows there is no trade-off to show
    with pytest.raises(ValueError, match="The 'grid' parameter of sweep must name settings among"):
        sweep(metric(), CPU, {"treshold": [1]})


def test_grids_as_the_command_line_writes_them():
    assert parse_grid(["threshold=60:80:10", "datapoints_to_alarm=1,2", "resolve_delay=0s,15m"]) == {
        "threshold": [60, 70, 80],
        "datapoints_to_alarm": [1, 2],
        "resolve_delay": ["0s", "15m"],
    }
    assert parse_grid(["threshold=0.1:0.3:0.1"])["threshold"] == [0.1, 0.2, 0.3]
    for bad in ("threshold", "threshold=", "threshold=9:1:1"):
        with pytest.raises(ValueError, match="--sweep"):
            parse_grid([bad])


@pytest.fixture
def files(tmp_path):
    metric().assign(timestamp=lambda f: f["timestamp"].dt.strftime("%Y-%m-%d %H:%M:%S")).to_csv(
        tmp_path / "cpu.csv", index=False
    )
    (tmp_path / "alarm.yaml").write_text(
        "MetricAlarms:\n"
        "  - {AlarmName: cpu-high, Namespace: AWS/EC2, MetricName: CPUUtilization, Statistic: Average, Period: 300,\n"
        "     Threshold: 50, ComparisonOperator: GreaterThanThreshold, EvaluationPeriods: 3, DatapointsToAlarm: 2}\n"
        "  - {AlarmName: cpu-low, Namespace: AWS/EC2, MetricName: CPUUtilization, Statistic: Average, Period: 300,\n"
        "     Threshold: 5, ComparisonOperator: LessThanThreshold, EvaluationPeriods: 1}\n"
    )
    WINDOWS.assign(series="cpu.csv").to_csv(tmp_path / "windows.csv", index=False)
    return tmp_path


def test_the_backtest_command_writes_the_incidents_the_score_and_the_sweep(files, capsys):
    out = files / "out"
    code = main(
        [
            "backtest",
            str(files / "cpu.csv"),
            "--alarm",
            str(files / "alarm.yaml"),
            "--alarm-name",
            "cpu-high",
            "--labels",
            str(files / "windows.csv"),
            "--resolve-delay",
            "15m",
            "--sweep",
            "datapoints_to_alarm=1:3:1",
            "--out",
            str(out),
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0
    assert "anomalies caught: 2 of 3" in printed and "sweep: 3 settings, 3 valid" in printed
    summary = json.loads((out / "backtest.json").read_text())
    assert summary["incidents"] == 2 and summary["alarm"]["AlarmName"] == "cpu-high"
    assert len(pd.read_csv(out / "incidents.csv")) == 2
    states = pd.read_csv(out / "alarm-states.csv")
    assert (
        states["state"].tolist()[:3] == ["OK", "ALARM", "OK"]
        and states["reason"].str.startswith("Threshold Crossed").all()
    )
    assert pd.read_csv(out / "windows.csv")["detected"].tolist() == [True, True, False]
    # 3 of 3 misses the two-period anomaly
    assert pd.read_csv(out / "sweep.csv")["incidents"].tolist() == [3, 2, 1]
    header = next(line for line in printed.splitlines() if line.lstrip().startswith("setting"))
    assert "median_delay" in header and "detection_delay_s_median" not in header
    assert "e+" not in printed.split("sweep:")[1]  # delays as 8h 25m, never 3.03e+04
    assert (out / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_backtest_command_names_the_problem(files, capsys):
    assert main(["backtest", str(files / "cpu.csv"), "--alarm", str(files / "alarm.yaml")]) == 2
    assert "defines 2 alarms (cpu-high, cpu-low); choose one with --alarm-name" in capsys.readouterr().err
    assert (
        main(["backtest", str(files / "cpu.csv"), "--alarm", str(files / "alarm.yaml"), "--alarm-name", "cpu-hi"]) == 2
    )
    assert "no alarm named 'cpu-hi'" in capsys.readouterr().err
    assert (
        main(
            [
                "backtest",
                str(files / "cpu.csv"),
                "--alarm",
                str(files / "alarm.yaml"),
                "--alarm-name",
                "cpu-low",
                "--sweep",
                "threshold",
            ]
        )
        == 2
    )
    assert "--sweep 'threshold': expected NAME=V1,V2" in capsys.readouterr().err


def test_a_nab_series_end_to_end_on_the_command_line(corpus, tmp_path, capsys):
    nab = corpus / "nab-realAWSCloudwatch"
    (tmp_path / "alarm.json").write_text(
        json.dumps(
            {
                "AlarmName": "ec2-cpu-high",
                "Namespace": "AWS/EC2",
                "MetricName": "CPUUtilization",
                "Statistic": "Average",
                "Period": 300,
                "Threshold": 0.2,
                "ComparisonOperator": "GreaterThanThreshold",
                "EvaluationPeriods": 3,
                "DatapointsToAlarm": 2,
            }
        )
    )
    out = tmp_path / "out"
    code = main(
        [
            "backtest",
            str(nab / "realAWSCloudwatch" / "ec2_cpu_utilization_24ae8d.csv"),
            "--alarm",
            str(tmp_path / "alarm.json"),
            "--labels",
            str(nab / "labels" / "combined_windows.json"),
            "--sweep",
            "threshold=0.15,0.2,0.25",
            "--out",
            str(out),
        ]
    )
    assert code == 0, capsys.readouterr().err
    summary = json.loads((out / "backtest.json").read_text())
    windows = pd.read_csv(out / "windows.csv")
    labels = json.loads((nab / "labels" / "combined_windows.json").read_text())
    assert len(windows) == len(labels["realAWSCloudwatch/ec2_cpu_utilization_24ae8d.csv"])
    assert summary["recall"] == pytest.approx(windows["detected"].mean())
    assert summary["incidents"] == len(pd.read_csv(out / "incidents.csv"))
    sweep_table = pd.read_csv(out / "sweep.csv")
    assert sweep_table["current"].sum() == 1 and sweep_table["valid"].all()
