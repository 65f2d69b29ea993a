"""Display objects, checked through their artists."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

import incidentsim  # noqa: E402
from incidentsim import analysis, plots  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data"


pytestmark = pytest.mark.usefixtures("close_figures")


def test_trigger_volume_bars_add_up_to_the_outcomes(result):
    display = plots.TriggerVolumeDisplay.from_result(result, freq="1D")
    assert display.plot() is display  # plot returns the Display itself
    heights = {outcome: sum(bar.get_height() for bar in bars) for outcome, bars in display.bars_.items()}
    summary = result.summary()
    assert heights["created"] == summary["created"]
    assert heights["deduplicated"] == summary["deduplicated"]
    assert len(display.bars_["created"]) == 30  # one bar a day for the sample's 30 days
    assert display.ax_.get_ylabel() == "triggers per day"
    assert "by what StartIncident did" in display.ax_.get_title()


def test_freq_is_checked_with_the_house_wording(result):
    with pytest.raises(
        ValueError,
        match=(
            r"The 'freq' parameter of TriggerVolumeDisplay.from_result must be one of \{15min, 1h, 1D, 1W\}. "
            r"Got '2d' instead."
        ),
    ):
        plots.TriggerVolumeDisplay.from_result(result, freq="2d")
    with pytest.raises(
        ValueError,
        match=r"The 'freq' parameter of TriggerVolumeDisplay must be one of \{15min, 1h, 1D, 1W\}. Got '2d' instead.",
    ):
        plots.TriggerVolumeDisplay(data=analysis.trigger_volume(result), freq="2d")


def test_impact_bars_count_every_incident(result):
    display = plots.ImpactDisplay.from_result(result).plot()
    total = sum(bar.get_height() for bars in display.bars_.values() for bar in bars)
    assert total == len(result.incidents)
    assert [t.get_text() for t in display.ax_.get_legend().get_texts()] == list(plots.IMPACT_LABELS.values())


def test_noisy_alarms_show_triggers_and_incidents(result):
    display = plots.NoisyAlarmsDisplay.from_result(result, n=5).plot()
    assert len(display.bars_["triggers"]) == 5
    widths = [bar.get_width() for bar in display.bars_["triggers"]]
    assert widths == sorted(widths)  # the noisiest at the top
    assert all("(" in tick.get_text() for tick in display.ax_.get_yticklabels())  # noise class in the label


def test_heatmap_has_a_week_of_hours_and_the_sleep_band(result):
    display = plots.InterruptionHeatmapDisplay.from_result(result, tz="Europe/Dublin").plot()
    assert display.image_.get_array().shape == (7, 24)
    assert display.image_.get_array().sum() == len(result.incidents)
    assert len(display.sleep_bands_) == 2  # 23:00 to 07:00 wraps midnight


def test_timeline_has_one_row_per_plan(result):
    display = plots.IncidentTimelineDisplay.from_result(result).plot()
    assert set(display.bars_) == set(result.incidents["response_plan"])
    drawn = [*display.bars_.values(), *display.open_.values()]  # resolved, and still open at the end
    assert sum(len(c.get_paths()) for c in drawn) == len(result.incidents)


def test_comparison_display_and_png(result):
    wider = incidentsim.Policy.from_yaml(DATA / "sample-policy.yaml")
    plans = tuple(
        p if p.name != "search-degraded" else type(p)(**{**p.__dict__, "dedupe_string": "search"})
        for p in wider.response_plans
    )
    tuned = incidentsim.replay(result.events, wider.replace(response_plans=plans, name="tuned"), engine="fast")
    display = plots.ComparisonDisplay.from_results(result, tuned, n=8).plot()
    assert set(display.bars_) == {"sample-policy", "tuned"}
    png = display._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


# ----------------------------------------------------------------------------- backtests

import matplotlib.dates as mdates  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from incidentsim.backtest import backtest, sweep  # noqa: E402
from incidentsim.datasets.evaluation import AlarmDefinition, evaluate_periods  # noqa: E402

START = pd.Timestamp("2024-05-01 00:00", tz="UTC")
STEP = pd.Timedelta("5min")


def at(index):
    """The time of the index-th five-minute point of the synthetic series."""
    return START + index * STEP


def synthetic_series(spikes=((200, 206, 50.0), (500, 504, 35.0), (700, 701, 40.0)), points=864):
    """Three days of a daily sine around 10 (8 to 12), one point per five minutes, with spikes [from, to) at known
    places."""
    index = np.arange(points)
    values = 10 + 2 * np.sin(2 * np.pi * index / 288)
    for first, last, height in spikes:
        values[first:last] = height
    series = pd.DataFrame({"timestamp": [at(i) for i in index], "value": values})
    series.attrs["name"] = "synthetic.csv"
    return series


# two labelled anomalies: around the first spike and around the second; the third spike is unlabelled
WINDOWS = pd.DataFrame(
    {"series": "synthetic.csv", "window": [0, 1], "start": [at(190), at(480)], "end": [at(230), at(520)]}
)
DEFINITION = AlarmDefinition(
    alarm_name="synthetic-high",
    metric_name="Synthetic",
    namespace="Test",
    statistic="Average",
    period=300,
    threshold=20,
    comparison_operator="GreaterThanThreshold",
    evaluation_periods=3,
    datapoints_to_alarm=2,
)


def numbers(times):
    return mdates.date2num(
        pd.Series(times).dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
    ).tolist()


def alarm_runs(periods):
    """ALARM stays read straight off the evaluation table: from the evaluation that went to ALARM to the one that left
    it."""
    runs, opened = [], None
    for when, state in zip(periods["evaluated_at"], periods["state"].astype(str)):
        if state == "ALARM" and opened is None:
            opened = when
        elif state != "ALARM" and opened is not None:
            runs.append((opened, when))
            opened = None
    if opened is not None:
        runs.append((opened, periods["evaluated_at"].iloc[-1]))
    return runs


def spans(patches):
    """The shaded spans' edges as date numbers, flat: [start, end, start, end, ...]."""
    return [edge for p in patches for edge in (p.get_x(), p.get_x() + p.get_width())]


def edges(intervals):
    return numbers([edge for interval in intervals for edge in interval])


def test_backtest_display_shades_alarm_windows_and_marks_incidents():
    series = synthetic_series()
    run = backtest(series, DEFINITION, windows=WINDOWS)
    periods = evaluate_periods(series, DEFINITION)
    display = plots.BacktestDisplay.from_backtest(run, periods)
    assert display.plot() is display
    # 2 of 3 breaching: the first spike (periods 200-205) alarms at the end of period 201 and recovers at the end of 207
    assert display.alarm_spans.values.tolist() == [[at(202), at(208)], [at(502), at(506)]]
    expected = alarm_runs(periods)
    assert spans(display.alarm_spans_) == pytest.approx(edges(expected))
    assert spans(display.window_spans_) == pytest.approx(edges(zip(WINDOWS["start"], WINDOWS["end"])))
    assert display.incidents_.get_xdata().tolist() == pytest.approx(numbers(run.result.incidents["creation_time"]))
    assert numbers(run.result.incidents["creation_time"]) == pytest.approx(numbers([at(202), at(502)]))
    assert list(display.threshold_.get_ydata()) == [20, 20]
    assert len(display.line_.get_xdata()) == len(periods)
    assert display.ax_.get_legend() is not None and "in ALARM" in [
        t.get_text() for t in display.ax_.get_legend().get_texts()
    ]
    assert "2 incidents" in display.ax_.get_title() and "caught 2 of 2 anomalies" in display.ax_.get_title()


def test_backtest_display_computes_the_periods_from_the_series_and_ends_an_open_alarm_at_the_last_evaluation():
    series = synthetic_series(
        spikes=((200, 206, 50.0), (858, 864, 50.0))
    )  # the second spike runs to the end of the data
    definition = DEFINITION.replace(datapoints_to_alarm=1, evaluation_periods=1)
    run = backtest(series, definition)  # no windows: nothing scored, nothing shaded for them
    display = plots.BacktestDisplay.from_backtest(run, series=series).plot()
    periods = evaluate_periods(series, definition)
    assert display.data["evaluated_at"].tolist() == periods["evaluated_at"].tolist()
    assert display.alarm_spans.values.tolist() == [[at(201), at(207)], [at(859), periods["evaluated_at"].iloc[-1]]]
    assert spans(display.alarm_spans_) == pytest.approx(edges(alarm_runs(periods)))
    assert display.window_spans_ == []
    assert len(display.incidents_.get_xdata()) == 2
    assert "caught" not in display.ax_.get_title()


def test_backtest_display_takes_the_periods_the_backtest_keeps_and_evaluates_nothing(monkeypatch):
    series = synthetic_series()
    run = backtest(series, DEFINITION, windows=WINDOWS)
    periods = evaluate_periods(series, DEFINITION)
    pd.testing.assert_frame_equal(run.periods, periods)  # computed by backtest.py, once, and kept
    import incidentsim.backtest as backtest_module

    monkeypatch.setattr(backtest_module, "evaluate_periods", lambda *args, **kwargs: pytest.fail("evaluated again"))
    display = plots.BacktestDisplay.from_backtest(run).plot()
    pd.testing.assert_frame_equal(display.data, periods)
    assert display.alarm_spans.values.tolist() == [[at(202), at(208)], [at(502), at(506)]]
    assert not hasattr(plots, "alarm_intervals")  # a pure function: it lives in incidentsim.backtest


def test_backtest_display_needs_the_periods_when_the_backtest_keeps_no_series():
    run = backtest(synthetic_series(), DEFINITION)
    bare = dataclasses.replace(run, series=None)
    with pytest.raises(
        ValueError, match=r"The 'periods' parameter of BacktestDisplay.from_backtest must be the evaluation table"
    ):
        plots.BacktestDisplay.from_backtest(bare)
    with pytest.raises(ValueError, match=r"Got a table without \{evaluated_at, state\} instead."):
        plots.BacktestDisplay.from_backtest(run, pd.DataFrame({"period_start": [], "value": []}))


def trade_off_table():
    """A sweep table made by hand: a front of three, one dominated setting, one catching nothing, two invalid."""
    nan = float("nan")
    return pd.DataFrame(
        {
            "setting": ["a", "b", "c", "d", "e", "f", "g"],
            "valid": [True, True, True, True, True, False, False],
            "problem": ["", "", "", "", "", "M > N", "M > N"],
            "incidents_per_week": [10.0, 2.0, 1.0, 12.0, 0.0, nan, nan],
            "recall": [1.0, 1.0, 0.5, 1.0, 0.0, nan, nan],
            "detection_delay_s_median": [300.0, 1200.0, 1800.0, 600.0, nan, nan, nan],
            "current": [False, True, False, False, False, False, False],
            "dominating": [True, True, True, False, False, False, False],
        }
    )


def test_sweep_display_draws_valid_settings_the_front_and_the_current_one():
    display = plots.SweepDisplay.from_sweep(trade_off_table())
    assert display.plot() is display
    recall_ax, delay_ax = display.ax_
    assert display.figure_ is recall_ax.figure is delay_ax.figure
    assert sorted(map(tuple, display.points_["recall"].get_offsets().tolist())) == [
        (0, 0),
        (1, 0.5),
        (2, 1),
        (10, 1),
        (12, 1),
    ]
    assert sorted(map(tuple, display.points_["delay"].get_offsets().tolist())) == [(1, 30), (2, 20), (10, 5), (12, 10)]
    assert display.front_["recall"].get_xydata().tolist() == [[1, 0.5], [2, 1], [10, 1]]
    assert display.front_["delay"].get_xydata().tolist() == [[1, 30], [2, 20], [10, 5]]
    assert display.current_["recall"].get_xydata().tolist() == [[2, 1]]
    assert display.current_["delay"].get_xydata().tolist() == [[2, 20]]
    assert display.current_["recall"].get_marker() == "*" and display.labels_["recall"].get_text() == "current"
    assert display.title_.get_text() == "Sweep of 7 settings: 5 drawn, 2 invalid (not drawn), 3 on the front"
    assert "1 catching nothing not shown" in delay_ax.get_title()
    assert recall_ax.get_xlabel() == delay_ax.get_xlabel() == "incidents per week"


def test_sweep_display_draws_into_a_given_pair_of_axes():
    figure, pair = plt.subplots(1, 2)
    display = plots.SweepDisplay.from_sweep(trade_off_table()).plot(ax=pair)
    assert display.ax_ == tuple(pair) and display.figure_ is figure
    with pytest.raises(
        ValueError, match=r"The 'ax' parameter of SweepDisplay.plot must be None or a pair of Axes. Got .* instead."
    ):
        plots.SweepDisplay.from_sweep(trade_off_table()).plot(ax=pair[0])


def test_sweep_display_checks_its_table():
    with pytest.raises(
        ValueError,
        match=(
            r"The 'table' parameter of SweepDisplay.from_sweep must be a sweep table .* "
            r"Got a table without \{dominating\} instead."
        ),
    ):
        plots.SweepDisplay.from_sweep(trade_off_table().drop(columns="dominating"))
    unscored = trade_off_table().assign(recall=float("nan"))
    with pytest.raises(ValueError, match=r"must be a sweep scored against labelled windows"):
        plots.SweepDisplay.from_sweep(unscored)


def test_sweep_display_of_a_real_sweep_matches_its_rows():
    series = synthetic_series()
    table = sweep(
        series,
        DEFINITION,
        {"threshold": [20, 40, 45], "datapoints_to_alarm": [1, 2, 3], "evaluation_periods": [1, 3]},
        windows=WINDOWS,
    )
    display = plots.SweepDisplay.from_sweep(table).plot()
    valid = table[table["valid"]]
    assert (~table["valid"]).sum() == 6  # M of 2 or 3 with N = 1, at each threshold
    assert len(display.points_["recall"].get_offsets()) == len(valid)
    assert len(display.points_["delay"].get_offsets()) == valid["detection_delay_s_median"].notna().sum()
    current = table[table["current"]].iloc[0]
    assert current["incidents"] == 2 and current["recall"] == 1.0 and current["detection_delay_s_median"] == 5100.0
    assert display.current_["recall"].get_xydata().tolist() == [[current["incidents_per_week"], current["recall"]]]
    assert display.current_["delay"].get_xydata().tolist() == [
        [current["incidents_per_week"], current["detection_delay_s_median"] / 60]
    ]
    front = table[table["dominating"]]
    assert sorted(map(tuple, display.front_["recall"].get_xydata().tolist())) == sorted(
        zip(front["incidents_per_week"], front["recall"])
    )
    assert f"{len(table)} settings: {len(valid)} drawn, 6 invalid" in display.title_.get_text()
    assert display._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"


def test_backtest_and_sweep_displays_on_a_nab_series(corpus):
    from incidentsim.datasets import load_metric_series, load_windows

    folder = corpus / "nab-realAWSCloudwatch"
    series = load_metric_series(folder / "realAWSCloudwatch" / "ec2_cpu_utilization_24ae8d.csv")
    windows = load_windows(folder / "labels" / "combined_windows.json", series="ec2_cpu_utilization_24ae8d")
    definition = AlarmDefinition(
        alarm_name="ec2-cpu-high",
        metric_name="CPUUtilization",
        namespace="AWS/EC2",
        statistic="Average",
        period=300,
        threshold=0.2,
        comparison_operator="GreaterThanThreshold",
        evaluation_periods=3,
        datapoints_to_alarm=2,
    )
    run = backtest(series, definition, windows=windows)
    periods = evaluate_periods(series, definition)
    display = plots.BacktestDisplay.from_backtest(run, periods).plot()
    assert len(display.alarm_spans_) == (run.alarms["state"] == "ALARM").sum()
    assert spans(display.alarm_spans_) == pytest.approx(edges(alarm_runs(periods)))
    assert len(display.window_spans_) == len(windows) == 2
    assert len(display.incidents_.get_xdata()) == len(run.result.incidents)
    table = sweep(series, definition, {"threshold": [0.15, 0.2, 0.3], "datapoints_to_alarm": [1, 2]}, windows=windows)
    sweep_display = plots.SweepDisplay.from_sweep(table).plot()
    current = table[table["current"]].iloc[0]
    assert sweep_display.current_["recall"].get_xydata().tolist() == [
        [current["incidents_per_week"], current["recall"]]
    ]
    assert len(sweep_display.points_["recall"].get_offsets()) == table["valid"].sum()


# ----------------------------------------------------------------------------- styling passes through plot(**kwargs)


def test_plot_keyword_arguments_style_the_trigger_volume_bars(result):
    display = plots.TriggerVolumeDisplay.from_result(result).plot(alpha=0.5, edgecolor="black")
    assert {bar.get_alpha() for bars in display.bars_.values() for bar in bars} == {0.5}
    assert {bar.get_edgecolor() for bar in display.bars_["created"]} == {(0.0, 0.0, 0.0, 0.5)}
    plain = plots.TriggerVolumeDisplay.from_result(result).plot()
    assert {bar.get_alpha() for bars in plain.bars_.values() for bar in bars} == {None}
    # a keyword over a default wins
    assert {
        bar.get_facecolor()[:3]
        for bar in plots.TriggerVolumeDisplay.from_result(result).plot(color="black").bars_["created"]
    } == {(0.0, 0.0, 0.0)}


def test_plot_keyword_arguments_reach_the_main_artists_of_every_display(result):
    wider = incidentsim.Policy.from_yaml(DATA / "sample-policy.yaml").replace(name="other")

    def alphas(container):
        return {artist.get_alpha() for artist in container}

    assert all(alphas(bars) == {0.5} for bars in plots.ImpactDisplay.from_result(result).plot(alpha=0.5).bars_.values())
    assert all(
        alphas(bars) == {0.5} for bars in plots.NoisyAlarmsDisplay.from_result(result).plot(alpha=0.5).bars_.values()
    )
    comparison = plots.ComparisonDisplay.from_results(
        result, incidentsim.replay(result.events, wider, engine="fast")
    ).plot(alpha=0.5)
    assert all(alphas(bars) == {0.5} for bars in comparison.bars_.values())
    assert plots.InterruptionHeatmapDisplay.from_result(result).plot(cmap="viridis").image_.get_cmap().name == "viridis"
    timeline = plots.IncidentTimelineDisplay.from_result(result).plot(alpha=0.5)
    assert {c.get_alpha() for c in [*timeline.bars_.values(), *timeline.open_.values()]} == {0.5}


def test_plot_keyword_arguments_of_the_backtest_sweep_and_game_day_displays():
    from types import SimpleNamespace

    run = backtest(synthetic_series(), DEFINITION, windows=WINDOWS)
    assert plots.BacktestDisplay.from_backtest(run).plot(linewidth=3).line_.get_linewidth() == 3
    assert plots.BacktestDisplay.from_backtest(run).plot().line_.get_linewidth() == 0.9
    sweep_display = plots.SweepDisplay.from_sweep(trade_off_table()).plot(alpha=0.25)
    assert {points.get_alpha() for points in sweep_display.points_.values()} == {0.25}
    timeline = pd.DataFrame({"wall_s": [0.1, 0.4], "attempts": [1, 3], "faults": ["", "ThrottlingException"]})
    calls = plots.CallAttemptsDisplay.from_record(SimpleNamespace(timeline=timeline)).plot(alpha=0.5)
    assert {points.get_alpha() for points in calls.points_.values()} == {0.5}


def test_no_display_reads_the_clock():
    source = (Path(plots.__file__)).read_text()
    for clock in ("now(", "import time", "time.time", "datetime.now", "Timestamp.now", "datasets.evaluation import"):
        assert clock not in source, clock
