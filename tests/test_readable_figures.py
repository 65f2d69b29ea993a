"""Figures and numbers that read right: labels that say what is drawn, names told apart, counts on whole
numbers, legends off the data, open incidents that hide nothing, sweep points that say what they are,
durations and datapoints as people write them, notes on irregular series, and sweep values checked."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from incidentsim import analysis, plots  # noqa: E402
from incidentsim.backtest import backtest, parse_grid, sweep  # noqa: E402
from incidentsim.cli import main  # noqa: E402
from incidentsim.datasets import AlarmDefinition, load_metric_series  # noqa: E402
from incidentsim.datasets.evaluation import java_double  # noqa: E402

T0 = pd.Timestamp("2024-03-04T00:00:00Z")
STEP = pd.Timedelta(minutes=5)
CPU = AlarmDefinition(
    alarm_name="cpu-high",
    metric_name="CPUUtilization",
    namespace="AWS/EC2",
    statistic="Average",
    period=300,
    threshold=50.0,
    comparison_operator="GreaterThanThreshold",
    evaluation_periods=1,
)


pytestmark = pytest.mark.usefixtures("close_figures")


def at(period: int) -> pd.Timestamp:
    return T0 + period * STEP


def spike_series(height: float = 100.0) -> pd.DataFrame:
    """A day of 5-minute points at 10 with one spike to ``height`` over periods 101 to 106."""
    values = np.full(288, 10.0)
    values[101:107] = height
    return pd.DataFrame({"timestamp": [at(i) for i in range(288)], "value": values})


def drawn(display: plots._Display) -> None:
    """Lay the figure out as it is saved, so that ticks and extents are final."""
    display.figure_.canvas.draw()


def whole(ticks: np.ndarray) -> bool:
    return bool(np.allclose(ticks, np.round(ticks)))


def above_axes(ax) -> bool:
    """The legend sits over the axes, clear of everything drawn in them."""
    return ax.get_legend().get_window_extent().y0 >= ax.get_window_extent().y1 - 1


# -------------------------------------------------------------------- 1. the axis says what is drawn


def test_the_trigger_volume_axis_counts_what_the_title_counts(result):
    display = plots.TriggerVolumeDisplay.from_result(result, freq="1D").plot()
    assert display.ax_.get_ylabel() == "triggers per day"
    assert "triggers per day" in display.ax_.get_title()
    with_ignored = plots.TriggerVolumeDisplay.from_result(result, freq="1h", include_ignored=True).plot()
    assert with_ignored.ax_.get_ylabel() == "state changes per hour"
    assert "state changes per hour" in with_ignored.ax_.get_title()


def test_the_tallest_stack_does_not_touch_the_top_of_the_axes(result):
    display = plots.TriggerVolumeDisplay.from_result(result, freq="1h").plot()
    tallest = display.data[["created", "deduplicated", "rejected", "failed"]].sum(axis=1).max()
    assert display.ax_.get_ylim()[1] > tallest


# -------------------------------------------------------------------- 2. names told apart where they repeat


def test_alarm_labels_add_only_what_tells_repeated_names_apart():
    arns = pd.Series(
        [
            "arn:aws:cloudwatch:us-east-1:111111111111:alarm:web",
            "arn:aws:cloudwatch:eu-west-1:111111111111:alarm:web",
            "arn:aws:cloudwatch:eu-west-1:111111111111:alarm:db",
            "arn:aws:cloudwatch:eu-west-1:222222222222:alarm:db",
            "arn:aws:cloudwatch:eu-west-1:111111111111:alarm:queue",
            "arn:aws:cloudwatch:us-east-1:222222222222:alarm:queue",
        ]
    )
    names = pd.Series(["web", "web", "db", "db", "queue", "queue"])
    assert analysis.alarm_labels(arns, names).tolist() == [
        "web [us-east-1]",
        "web [eu-west-1]",
        "db [111111111111]",
        "db [222222222222]",
        "queue [eu-west-1 111111111111]",
        "queue [us-east-1 222222222222]",
    ]
    assert analysis.alarm_labels(arns[:3], names[:3]).tolist()[2] == "db"  # a name that does not repeat stays as it is


def test_the_noisiest_alarms_list_qualifies_a_repeated_name_as_the_plot_does(result):
    top = analysis.top_noisy_alarms(result, n=15)
    checkout = top[top["alarm_name"] == "checkout-service-degraded"]
    assert len(checkout) == 2  # the same name in us-east-1 and eu-west-1 of one account
    assert sorted(checkout["alarm_label"]) == [
        "checkout-service-degraded [eu-west-1]",
        "checkout-service-degraded [us-east-1]",
    ]
    assert top["alarm_label"].is_unique
    once = ~top["alarm_name"].duplicated(keep=False)
    assert (top.loc[once, "alarm_label"] == top.loc[once, "alarm_name"]).all()
    display = plots.NoisyAlarmsDisplay.from_result(result, n=15).plot()
    ticks = [tick.get_text() for tick in display.ax_.get_yticklabels()]
    assert ticks == [f"{label} ({cls})" for label, cls in zip(top["alarm_label"][::-1], top["noise_class"][::-1])]


# -------------------------------------------------------------------- 3. a month-long open incident hides nothing


def test_a_month_long_open_incident_leaves_its_lane_readable(result):
    display = plots.IncidentTimelineDisplay.from_result(result).plot()
    incidents = result.incidents
    still_open = incidents[incidents["resolved_time"].isna()]
    assert still_open["response_plan"].tolist() == ["capacity-watch"]  # open from 3 April to the end of the history
    plan = "capacity-watch"
    resolved = int((incidents["response_plan"] == plan).sum()) - 1
    assert len(display.bars_[plan].get_paths()) == resolved  # every resolved incident still has its own bar
    assert len(display.open_[plan].get_paths()) == 1
    bars = display.bars_[plan].get_paths()[0].get_extents()
    strip = display.open_[plan].get_paths()[0].get_extents()
    assert strip.height < bars.height / 4 and strip.y0 > bars.y1  # a thin line above the bars, not over them
    end = plots._date_numbers(pd.Series([result.events["timestamp"].max()]))[0]
    assert display.arrows_[plan].get_xdata()[0] == pytest.approx(end)  # the arrow: no end yet
    assert display.notes_[plan].get_text() == "open since Apr 03 06:40 (27d 17h)"
    assert set(display.open_) == set(display.arrows_) == set(display.notes_) == {plan}
    assert [t.get_text() for t in display.ax_.get_legend().get_texts()] == ["still open at the end of the history"]
    drawn(display)
    assert above_axes(display.ax_)


# -------------------------------------------------------------------- 4. sweep points say which setting they are


def coinciding_sweep() -> pd.DataFrame:
    """Six settings on three distinct points, one invalid: three resolve delays giving the same figures on the front,
    the current setting alone on the front, and two dominated settings on one point."""
    rows = [
        ("threshold=1, resolve_delay=0s", True, 0.5, 1.0, 600.0, False, True),
        ("threshold=1, resolve_delay=15m", True, 0.5, 1.0, 600.0, False, True),
        ("threshold=1, resolve_delay=1h", True, 0.5, 1.0, 600.0, False, True),
        ("threshold=2, resolve_delay=0s", True, 3.0, 1.0, 300.0, True, True),
        ("threshold=3, resolve_delay=0s", True, 20.0, 1.0, 900.0, False, False),
        ("threshold=3, resolve_delay=15m", True, 20.0, 1.0, 900.0, False, False),
        ("threshold=4, resolve_delay=0s", False, float("nan"), float("nan"), float("nan"), False, False),
    ]
    columns = ["setting", "valid", "incidents_per_week", "recall", "detection_delay_s_median", "current", "dominating"]
    return pd.DataFrame(rows, columns=columns)


def test_coinciding_sweep_settings_are_counted_and_the_front_is_numbered_and_listed():
    display = plots.SweepDisplay.from_sweep(coinciding_sweep()).plot()
    front = display.front_points
    assert front[["point", "incidents_per_week", "settings", "current"]].values.tolist() == [
        [1, 0.5, 3, False],
        [2, 3.0, 1, True],
    ]
    assert front["setting"].tolist() == ["threshold=1, resolve_delay=0s/15m/1h", "threshold=2, resolve_delay=0s"]
    for key, y in (("recall", (1.0, 1.0, 1.0)), ("delay", (10.0, 5.0, 15.0))):
        counts = {tuple(label.xy): label.get_text() for label in display.counts_[key]}
        assert counts == {(0.5, y[0]): "×3", (20.0, y[2]): "×2"}  # the lone current setting has no count
        numbers = {tuple(label.xy): label.get_text() for label in display.numbers_[key]}
        assert numbers == {(0.5, y[0]): "1", (3.0, y[1]): "2"}
    sizes = display.points_["recall"].get_sizes()
    assert sizes[0] > sizes[3] and sizes[4] > sizes[3]  # a point several settings share is drawn larger
    cells = display.table_.get_celld()
    assert [cells[(0, c)].get_text().get_text() for c in range(5)] == [
        "#",
        "incidents per week",
        "recall",
        "median delay",
        "settings",
    ]
    assert [cells[(1, c)].get_text().get_text() for c in range(5)] == [
        "1",
        "0.5",
        "100%",
        "10m",
        "threshold=1, resolve_delay=0s/15m/1h",
    ]
    assert [cells[(2, c)].get_text().get_text() for c in range(5)] == [
        "2",
        "3.0",
        "100%",
        "5m",
        "threshold=2, resolve_delay=0s (current)",
    ]


def test_the_sweep_legend_covers_no_point_and_delays_read_as_durations():
    display = plots.SweepDisplay.from_sweep(coinciding_sweep()).plot()
    drawn(display)
    recall_ax, delay_ax = display.ax_
    legend = recall_ax.get_legend().get_window_extent()
    points = recall_ax.transData.transform(display.points_["recall"].get_offsets())
    assert not any(legend.contains(x, y) for x, y in points)
    assert delay_ax.get_ylabel() == "median detection delay"
    shown = [tick.get_text() for tick in delay_ax.get_yticklabels() if tick.get_text()]
    assert shown and all(text[-1] in "smhd" for text in shown)


def test_a_long_front_is_listed_in_part_and_says_how_much_is_left_out():
    n = plots.SweepDisplay.FRONT_ROWS + 3
    table = pd.DataFrame(
        {
            "setting": [f"threshold={i}" for i in range(n)],
            "valid": True,
            "incidents_per_week": np.arange(1.0, n + 1),
            "recall": np.linspace(0.2, 1.0, n),
            "detection_delay_s_median": 600.0,
            "current": False,
            "dominating": True,
        }
    )
    display = plots.SweepDisplay.from_sweep(table).plot()
    assert len(display.front_points) == n
    assert len(display.numbers_["recall"]) == plots.SweepDisplay.FRONT_ROWS
    last = max(row for row, _ in display.table_.get_celld())
    assert display.table_.get_celld()[(last, 4)].get_text().get_text().startswith("and 3 more points on the front")


# -------------------------------------------------------------------- 5. counts on whole numbers, legends off the data


def test_every_count_axis_has_whole_number_ticks(result):
    volume = plots.TriggerVolumeDisplay.from_result(result, freq="1h").plot()
    impact = plots.ImpactDisplay.from_result(result, freq="1W").plot()
    noisy = plots.NoisyAlarmsDisplay.from_result(result, n=3).plot()
    comparison = plots.ComparisonDisplay.from_results(result, result, n=3).plot()
    heatmap = plots.InterruptionHeatmapDisplay.from_result(result).plot()
    for display, axis in (
        (volume, volume.ax_.yaxis),
        (impact, impact.ax_.yaxis),
        (noisy, noisy.ax_.xaxis),
        (comparison, comparison.ax_.xaxis),
        (heatmap, heatmap.figure_.axes[-1].yaxis),
    ):
        drawn(display)
        assert whole(axis.get_ticklocs()), (type(display).__name__, axis.get_ticklocs())


def game_day_calls() -> SimpleNamespace:
    """A game day's record, as far as the figure reads it: three calls took 2 or 3 attempts."""
    attempts = [1, 1, 2, 1, 3, 1, 1, 2, 1]
    faults = ["ThrottlingException" * (a > 1) for a in attempts]
    return SimpleNamespace(
        timeline=pd.DataFrame({"wall_s": np.linspace(0.1, 4.9, len(attempts)), "attempts": attempts, "faults": faults})
    )


def test_the_game_day_attempts_axis_is_whole_and_its_legend_covers_no_call():
    display = plots.CallAttemptsDisplay.from_record(game_day_calls()).plot()
    drawn(display)
    assert whole(display.ax_.yaxis.get_ticklocs()) and display.ax_.get_ylabel() == "attempts per call"
    low, high = display.ax_.get_ylim()
    assert [tick for tick in display.ax_.yaxis.get_ticklocs() if low <= tick <= high] == [1, 2, 3]  # not 1.5 and 2.5
    assert display.points_["faults"].get_offsets()[:, 1].tolist() == [2, 3, 2]
    assert above_axes(display.ax_)


def test_bar_legends_sit_above_the_bars(result):
    for display in (
        plots.NoisyAlarmsDisplay.from_result(result, n=15).plot(),
        plots.TriggerVolumeDisplay.from_result(result).plot(),
        plots.ComparisonDisplay.from_results(result, result, n=5).plot(),
    ):
        drawn(display)
        assert above_axes(display.ax_), type(display).__name__


# -------------------------------------------------------------------- 6. durations and datapoints as people write them


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (30300, "8h 25m"),
        (45, "45s"),
        (183600, "2d 3h"),
        (7199, "2h"),
        (90, "1m 30s"),
        (0, "0s"),
        (float("nan"), "n/a"),
        (None, "n/a"),
    ],
)
def test_durations_for_people(seconds, text):
    assert analysis.human_duration(seconds) == text


def test_the_backtest_prints_its_delay_as_a_duration_and_the_datapoint_as_given():
    series = spike_series(height=99.24799999999999)  # float noise, as in NAB's files
    windows = pd.DataFrame({"start": [at(1)], "end": [at(110)]})  # the alarm fires 101 periods (8h 25m) after it opens
    run = backtest(series, CPU, windows=windows)
    assert run.summary()["detection_delay_s_median"] == 30300.0
    text = run.summary_text()
    assert "median detection delay 8h 25m" in text and "e+" not in text
    reason = run.alarms.loc[run.alarms["state"] == "ALARM", "reason"].iloc[0]
    assert reason == (
        "Threshold Crossed: 1 out of the last 1 datapoints [99.248 (04/03/24 08:25:00)] was greater than the "
        "threshold (50.0) (minimum 1 datapoint for OK -> ALARM transition)."
    )
    display = plots.BacktestDisplay.from_backtest(run, series=series).plot()
    assert "median delay 8h 25m" in display.ax_.get_title()


def test_reason_numbers_drop_float_noise_but_keep_real_digits():
    assert [java_double(v) for v in (99.24799999999999, 51.846000000000004, 0.1 + 0.2, 94.79799999999999)] == [
        "99.248",
        "51.846",
        "0.3",
        "94.798",
    ]
    assert java_double(99.50160229693434) == "99.50160229693434"  # a real CloudWatch average keeps its digits
    assert java_double(12345000.000000002) == "1.2345E7"


# -------------------------------------------------------------------- 7. duplicate timestamps and gaps noted


def dst_csv(folder: Path) -> Path:
    """Five-minute points where the clocks skip 02:00-03:00 and the first 03:00 point is written three times."""
    times = [
        *pd.date_range("2014-03-09 01:30", "2014-03-09 01:55", freq="5min"),
        *[pd.Timestamp("2014-03-09 03:00")] * 3,
        *pd.date_range("2014-03-09 03:05", "2014-03-09 03:30", freq="5min"),
    ]
    path = folder / "dst.csv"
    pd.DataFrame({"timestamp": [f"{t:%Y-%m-%d %H:%M:%S}" for t in times], "value": 1.0}).to_csv(path, index=False)
    return path


def test_duplicate_timestamps_and_gaps_are_noted_when_a_series_is_loaded(tmp_path):
    series = load_metric_series(dst_csv(tmp_path))
    assert series.attrs["counts"] == {"read": 15, "loaded": 15, "rejected": 0, "missing": 0}
    assert series.attrs["notes"] == [
        "2 duplicate timestamps (the first: 2014-03-09 03:00:00 UTC again at dst.csv:9); "
        "an alarm's statistic combines them",
        "1 gap longer than the usual 300 s step (the first: no point from 2014-03-09 01:55:00 to 2014-03-09 03:00:00 "
        "UTC); periods inside a gap have no datapoint",
    ]
    regular = spike_series().assign(timestamp=lambda f: f["timestamp"].dt.strftime("%Y-%m-%d %H:%M:%S"))
    regular.to_csv(tmp_path / "regular.csv", index=False)
    assert load_metric_series(tmp_path / "regular.csv").attrs["notes"] == []


def test_the_backtest_output_shows_the_series_notes(tmp_path, capsys):
    series = load_metric_series(dst_csv(tmp_path))
    notes = [line for line in backtest(series, CPU).summary_text().splitlines() if line.startswith("  note: ")]
    assert notes == [f"  note: {note}" for note in series.attrs["notes"]]
    (tmp_path / "alarm.yaml").write_text(
        "{AlarmName: cpu-high, Namespace: AWS/EC2, MetricName: CPUUtilization, Statistic: Average, "
        "Period: 300, Threshold: 50, ComparisonOperator: GreaterThanThreshold, EvaluationPeriods: 1}\n"
    )
    assert (
        main(
            [
                "backtest",
                str(tmp_path / "dst.csv"),
                "--alarm",
                str(tmp_path / "alarm.yaml"),
                "--out",
                str(tmp_path / "out"),
            ]
        )
        == 0
    )
    assert "note: 2 duplicate timestamps" in capsys.readouterr().out


def test_the_dst_change_in_a_nab_series_is_noted(corpus):
    series = load_metric_series(
        corpus / "nab-realAWSCloudwatch" / "realAWSCloudwatch" / "ec2_disk_write_bytes_1ef3de.csv"
    )
    assert series.attrs["counts"]["missing"] == 0
    duplicates, gaps = series.attrs["notes"]
    assert duplicates.startswith("11 duplicate timestamps (the first: 2014-03-09 03:00:00 UTC")
    assert gaps.startswith(
        "1 gap longer than the usual 300 s step (the first: no point from 2014-03-09 01:59:00 to 2014-03-09 03:00:00 "
        "UTC)"
    )


# -------------------------------------------------------------------- 8. sweep values that must be numbers


def test_a_sweep_value_that_is_no_number_is_a_one_line_error(tmp_path, capsys):
    spike_series().to_csv(tmp_path / "cpu.csv", index=False)
    (tmp_path / "alarm.yaml").write_text(
        "{AlarmName: cpu-high, Namespace: AWS/EC2, MetricName: CPUUtilization, Statistic: Average, "
        "Period: 300, Threshold: 50, ComparisonOperator: GreaterThanThreshold, EvaluationPeriods: 1}\n"
    )
    code = main(
        [
            "backtest",
            str(tmp_path / "cpu.csv"),
            "--alarm",
            str(tmp_path / "alarm.yaml"),
            "--sweep",
            "threshold=abc",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    printed = capsys.readouterr()
    assert code != 0 and printed.out == ""
    assert (
        printed.err
        == "incidentsim backtest: --sweep 'threshold=abc': threshold takes numbers, and 'abc' is not a number\n"
    )
    assert not (tmp_path / "out").exists()


def test_sweep_values_are_checked_where_numbers_are_needed():
    with pytest.raises(
        ValueError,
        match=r"^--sweep 'evaluation_periods=3,five': evaluation_periods takes numbers, and 'five' is not a number$",
    ):
        parse_grid(["evaluation_periods=3,five"])
    assert parse_grid(["threshold=5e7", "resolve_delay=0s,1h", "treat_missing_data=breaching"]) == {
        "threshold": [50000000],
        "resolve_delay": ["0s", "1h"],
        "treat_missing_data": ["breaching"],
    }
    with pytest.raises(
        ValueError, match=r"^The 'grid' parameter of sweep must give numbers for 'threshold'. Got 'abc' instead.$"
    ):
        sweep(spike_series(), CPU, {"threshold": [40, "abc"]})
