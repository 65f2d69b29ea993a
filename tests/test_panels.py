"""The tuning panel, driven as ipywidgets' own tests drive widgets: set .value, click, look at the result."""

from __future__ import annotations

import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

import incidentsim  # noqa: E402
from incidentsim.panels import PLAN_IMPACT, TuningPanel  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def alarms():
    return incidentsim.load_alarms(DATA / "alarm-events.jsonl")


@pytest.fixture
def panel(alarms):
    return TuningPanel(alarms, DATA / "sample-policy.yaml", debounce_s=0)


def incidents_of(panel, plan):
    return panel.result.incidents[panel.result.incidents["response_plan"] == plan]


def test_the_panel_starts_with_the_policy_replayed_by_the_fast_engine(panel):
    assert panel.result.engine == "fast"
    assert (
        panel.result.summary() == incidentsim.replay(panel.alarms, DATA / "sample-policy.yaml", engine="fast").summary()
    )
    assert set(panel.route_controls) == {
        "capacity",
        "checkout",
        "payments",
        "search",
    }  # the ignore route has no controls
    heights = sum(bar.get_height() for bar in panel.volume_display.bars_["created"])
    assert heights == panel.result.summary()["created"]
    assert f"<b>{panel.result.summary()['created']:,}</b> incidents" in panel.headline.value


def test_an_impact_change_reaches_every_incident_of_the_route(panel):
    before = panel.updates
    panel.route_controls["payments"]["impact"].value = 3
    assert panel.updates == before + 1
    assert set(incidents_of(panel, "payments-critical")["impact"]) == {3}
    panel.route_controls["payments"]["impact"].value = PLAN_IMPACT
    assert set(incidents_of(panel, "payments-critical")["impact"]) == {1}  # the plan's own


def test_impact_rules_still_win_over_the_route_impact(panel):
    panel.route_controls["checkout"]["impact"].value = 1
    incidents = incidents_of(panel, "checkout-critical")
    latency = incidents["alarm_names"].map(lambda names: any("latency" in n for n in names))
    assert set(incidents.loc[latency, "impact"]) == {3} and set(incidents.loc[~latency, "impact"]) == {1}


def test_a_title_change_previews_and_replays(panel):
    panel.route_controls["search"]["title"].value = "Search: {{ alarm_name }}"
    assert set(incidents_of(panel, "search-degraded")["title"].str.slice(0, 8)) == {"Search: "}
    preview = panel.route_controls["search"]["preview"].value
    assert "distinct titles" in preview and "Search: search-" in preview


def test_a_bad_title_template_is_shown_inline_never_raised(panel):
    panel.route_controls["search"]["title"].value = "{{ service }} down"
    import html

    preview = html.unescape(panel.route_controls["search"]["preview"].value)
    assert (
        "of these triggers were not sent. Not sent: route 'search' title: undefined variable: 'service' is undefined."
        in preview
    )
    assert (panel.result.events["error_code"] == "TemplateError").sum() > 0
    panel.route_controls["search"]["title"].value = "{{ alarm_name"
    assert "template error" in panel.message.value
    assert "route 'search' title: template error" in html.unescape(panel.route_controls["search"]["preview"].value)
    assert (
        "template error" not in panel.route_controls["payments"]["preview"].value
    )  # the other routes keep their previews
    panel.route_controls["search"]["title"].value = "Search: {{ alarm_name }}"
    assert panel.message.value == "" and "distinct titles" in panel.route_controls["search"]["preview"].value


def test_token_and_resolve_controls(panel):
    created = panel.result.summary()["created"]
    panel.token_strategy.value = "per_alarm_window"
    panel.token_window.value = "6h"
    assert panel.result.summary()["deduplicated_by_token"] > 0
    assert panel.result.summary()["created"] < created
    panel.resolve_strategy.value = "never"
    assert (panel.result.incidents["status"] == "OPEN").all()
    panel.resolve_delay.value = "soon"
    assert "expected a duration" in panel.message.value


def test_the_date_range_narrows_the_history(panel):
    days = [day for _, day in panel.date_from.options]
    panel.date_to.value = days[6]
    assert panel.result.summary()["events"] < len(panel.alarms)
    assert panel.result.events["timestamp"].dt.date.max() == days[6]
    assert "7 days, " in panel.dates_text.value
    panel.date_from.value = days[9]  # after the last day: the two are taken in order
    assert panel.dates() == (days[6], days[9])
    replayed = panel.result.events["timestamp"].dt.date
    assert replayed.min() == days[6] and replayed.max() == days[9]


def test_save_writes_the_tuned_policy(panel, tmp_path):
    panel.route_controls["payments"]["impact"].value = 2
    path = panel.save(tmp_path / "tuned.yaml")
    tuned = incidentsim.Policy.from_yaml(path)
    assert next(r for r in tuned.routes if r.name == "payments").impact == 2
    panel.save_path.value = str(tmp_path / "clicked.yaml")
    panel.save_button.click()
    assert (tmp_path / "clicked.yaml").is_file()


def test_compare_shows_before_and_after(panel):
    panel.token_strategy.value = "per_alarm_window"
    table = panel.comparison_table()
    assert (table["incidents_diff"] < 0).any()
    panel.compare_button.click()
    bars = panel.comparison_display.bars_["tuned"]
    assert sum(bar.get_width() for bar in bars) == panel.comparison_display.data["incidents_b"].sum()


def test_changes_are_debounced(alarms):
    panel = TuningPanel(alarms, DATA / "sample-policy.yaml", debounce_s=0.3)
    start = panel.updates
    for impact in (1, 2, 3, 4, 5):
        panel.route_controls["payments"]["impact"].value = impact
    time.sleep(1.5)
    assert panel.updates == start + 1
    assert set(incidents_of(panel, "payments-critical")["impact"]) == {5}


# ----------------------------------------------------------------------------- the backtest panel

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from incidentsim.backtest import backtest  # noqa: E402
from incidentsim.datasets.evaluation import AlarmDefinition  # noqa: E402
from incidentsim.panels import BacktestPanel, threshold_range  # noqa: E402

START = pd.Timestamp("2024-05-01 00:00", tz="UTC")


def at(index):
    return START + index * pd.Timedelta("5min")


@pytest.fixture(scope="module")
def series():
    """Three days of a daily sine between 8 and 12, one point per five minutes, with spikes at known places and one gap.

    Spikes (points [from, to)): 200-206 at 50 and 500-504 at 35, both inside a labelled window; 700 at 40, unlabelled.
    Points 300-305 are missing (half an hour without data).
    """
    index = np.arange(864)
    values = 10 + 2 * np.sin(2 * np.pi * index / 288)
    for first, last, height in ((200, 206, 50.0), (500, 504, 35.0), (700, 701, 40.0)):
        values[first:last] = height
    kept = (index < 300) | (index > 305)
    frame = pd.DataFrame({"timestamp": [at(i) for i in index[kept]], "value": values[kept]})
    frame.attrs["name"] = "synthetic.csv"
    return frame


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


@pytest.fixture
def backtest_panel(series):
    return BacktestPanel(series, DEFINITION, windows=WINDOWS, debounce_s=0)


def figures(panel):
    return panel.run.summary()


def test_the_backtest_panel_starts_with_the_alarm_backtested(backtest_panel, series):
    panel = backtest_panel
    assert panel.run.summary() == backtest(series, DEFINITION, windows=WINDOWS).summary()
    assert panel.definition == DEFINITION and panel.updates == 0 and panel.problem == ""
    s = figures(panel)
    assert (s["incidents"], s["detected"], s["precision"], s["recall"], s["detection_delay_s_median"]) == (
        2,
        2,
        1.0,
        1.0,
        5100.0,
    )
    assert "<b>2</b> incidents" in panel.headline.value and "recall <b>100%</b>" in panel.headline.value
    assert "median detection delay <b>1h 25m</b>" in panel.headline.value  # (60 + 110) / 2 minutes
    assert len(panel.backtest_display.alarm_spans_) == 2 and len(panel.backtest_display.window_spans_) == 2
    # the threshold box spans the metric (its 0.5th to 99.9th percentile) and holds the threshold
    assert (
        (panel.threshold.min, panel.threshold.max, panel.threshold.step)
        == (8.0, 50.0, 0.5)
        == threshold_range(series["value"], 20)
    )
    assert (panel.datapoints_to_alarm.value, panel.evaluation_periods.value) == (2, 3)


def test_a_threshold_change_backtests_again(backtest_panel):
    panel = backtest_panel
    panel.threshold.value = 40
    assert panel.updates == 1
    assert panel.run.definition.threshold == 40.0 and panel.definition.threshold == 40.0
    s = figures(panel)
    assert (s["incidents"], s["detected"], s["recall"], s["precision"]) == (
        1,
        1,
        0.5,
        1.0,
    )  # only the spike at 50 is above 40
    assert "<b>1</b> incident," in panel.headline.value and "recall <b>50%</b>" in panel.headline.value
    assert "median detection delay <b>1h</b>" in panel.headline.value
    assert panel.backtest_display.threshold_.get_ydata()[0] == 40
    assert len(panel.backtest_display.alarm_spans_) == len(panel.backtest_display.incidents_.get_xdata()) == 1


def test_more_datapoints_than_periods_is_shown_and_the_last_valid_run_kept(backtest_panel):
    panel = backtest_panel
    run, updates = panel.run, panel.updates
    panel.evaluation_periods.value = 1  # M = 2 of N = 1: CloudWatch refuses it
    assert panel.run is run and panel.updates == updates and panel.definition == DEFINITION
    assert (
        "datapoints_to_alarm: must be at most EvaluationPeriods (1), got 2" in panel.problem
    )  # AlarmDefinition's own message
    assert "DatapointsToAlarm (M) is more than its EvaluationPeriods (N)" in panel.message.value
    assert "Still showing the last valid setting (2 of 3" in panel.message.value
    panel.datapoints_to_alarm.value = 1  # 1 of 1: valid again
    assert panel.problem == "" and panel.message.value == ""
    assert (panel.run.definition.m, panel.run.definition.n) == (1, 1)
    s = figures(panel)
    assert (s["incidents"], s["precision"], s["recall"]) == (3, 2 / 3, 1.0)  # the unlabelled spike at 40 now alarms too


def test_missing_data_resolve_delay_and_statistic_controls(backtest_panel):
    panel = backtest_panel
    assert figures(panel)["incidents"] == 2  # the gap only sends the alarm to INSUFFICIENT_DATA
    panel.treat_missing_data.value = "breaching"
    assert panel.run.definition.treat_missing_data == "breaching"
    assert (figures(panel)["incidents"], figures(panel)["precision"]) == (3, 2 / 3)  # the gap is now an incident
    panel.treat_missing_data.value = "notBreaching"
    assert figures(panel)["incidents"] == 2
    panel.resolve_delay_control.value = "never"
    assert panel.resolve_delay is None and panel.run.policy.resolve.strategy == "never"
    assert (
        figures(panel)["incidents"] == 1 and panel.run.result.incidents["resolved_time"].isna().all()
    )  # one incident absorbs all
    panel.resolve_delay_control.value = "15m"
    assert panel.resolve_delay == "15m" and panel.run.policy.resolve.delay == pd.Timedelta("15min")
    resolved = panel.run.result.incidents["resolved_time"].tolist()
    assert resolved == [
        at(208) + pd.Timedelta("15min"),
        at(506) + pd.Timedelta("15min"),
    ]  # 15 minutes after each return to OK
    panel.statistic.value = "SampleCount"  # one sample per period, never above 20
    assert panel.run.definition.statistic == "SampleCount" and figures(panel)["incidents"] == 0
    panel.operator.value = "LessThanThreshold"
    assert panel.run.definition.comparison_operator == "LessThanThreshold"
    # one sample per period is always below 20, but for the gap (missing data not breaching): alarmed before it
    # and after it
    assert figures(panel)["incidents"] == 2 and (panel.run.result.incidents["creation_time"] > at(305)).sum() == 1


def test_the_sweep_draws_the_trade_off_around_the_current_setting(backtest_panel):
    panel = backtest_panel
    assert panel.default_grid() == {
        "threshold": [14.0, 17.0, 20.0, 23.0, 26.0],
        "datapoints_to_alarm": [1, 2, 3],
        "evaluation_periods": [2, 3, 4],
    }
    panel.sweep_button.click()
    table = panel.sweep_table
    assert len(table) == 5 * 3 * 3 and table["current"].sum() == 1
    current = table[table["current"]].iloc[0]
    assert current["incidents"] == figures(panel)["incidents"] and current["recall"] == figures(panel)["recall"]
    assert panel.sweep_display.current_["recall"].get_xydata().tolist() == [
        [current["incidents_per_week"], current["recall"]]
    ]
    assert (
        len(panel.sweep_display.points_["recall"].get_offsets()) == table["valid"].sum() == len(table) - 5
    )  # 3 of 2, at 5 thresholds
    table = panel.sweep_here({"threshold": [20, 40]})
    assert table["threshold"].tolist() == [20, 40] and table["incidents"].tolist() == [2, 1]


def test_backtest_panel_changes_are_debounced(series):
    panel = BacktestPanel(series, DEFINITION, windows=WINDOWS, debounce_s=0.3)
    for threshold in (25, 30, 35, 40):
        panel.threshold.value = threshold
    assert panel.updates == 0  # nothing yet: still within the quiet time
    time.sleep(1.5)
    assert panel.updates == 1
    assert panel.run.definition.threshold == 40 and figures(panel)["incidents"] == 1


def test_backtest_panel_without_windows_is_not_scored(series):
    panel = BacktestPanel(series, DEFINITION, debounce_s=0)
    assert panel.run.score is None and "nothing is scored" in panel.headline.value
    table = panel.sweep_here({"threshold": [20, 40]})
    assert panel.sweep_display is None and table["recall"].isna().all()


def test_backtest_panel_on_a_nab_series(corpus):
    from incidentsim.datasets import load_metric_series, load_windows

    folder = corpus / "nab-realAWSCloudwatch"
    nab = load_metric_series(folder / "realAWSCloudwatch" / "ec2_cpu_utilization_24ae8d.csv")
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
    panel = BacktestPanel(nab, definition, windows=windows, debounce_s=0)
    assert panel.threshold.min < 0.2 < panel.threshold.max <= nab["value"].max()
    assert figures(panel)["incidents"] == 2 and figures(panel)["recall"] == 1.0
    panel.threshold.value = 0.15  # into the noise: more incidents, the anomalies caught sooner
    assert figures(panel)["incidents"] > 2 and figures(panel)["precision"] < 1.0
    assert figures(panel)["detection_delay_s_median"] < panel.start_run.summary()["detection_delay_s_median"]


def test_the_figures_are_png_images_in_the_output_area(panel):
    import base64

    def shown():
        (output,) = panel.plots.outputs
        return base64.b64decode(output["data"]["image/png"])

    before = shown()
    assert before.startswith(b"\x89PNG") and panel.plots.outputs[0]["data"]["text/plain"] == "<Figure size 1000x600>"
    panel.route_controls["payments"]["impact"].value = 5  # the impact bars restack
    assert shown() != before and len(panel.plots.outputs) == 1
    panel.show_comparison()
    (comparison,) = panel.comparison.outputs
    assert base64.b64decode(comparison["data"]["image/png"]).startswith(b"\x89PNG")


def test_the_headline_gives_the_impact_mix(panel):
    import re

    def mix():
        return {
            int(level): int(count.replace(",", ""))
            for level, count in re.findall(r"(\d) [a-z ]+ <b>([\d,]+)</b>", panel.headline.value.split("by impact:")[1])
        }

    before = mix()
    assert sum(before.values()) == panel.result.summary()["created"]
    plan_impacts = panel.result.incidents.groupby("impact").size().to_dict()
    assert before == {level: plan_impacts.get(level, 0) for level in range(1, 6)}
    payments = len(incidents_of(panel, "payments-critical"))
    panel.route_controls["payments"]["impact"].value = 5
    after = mix()
    assert after[5] == before[5] + payments and sum(after.values()) == sum(before.values())


# ----------------------------------------------------------------------------- the panels' parameters

from incidentsim.params import InvalidParameterError  # noqa: E402


@pytest.mark.parametrize(
    "options, parameter, shown",
    [
        ({"alarms": [1, 2]}, "alarms", "[1, 2]"),
        ({"policy": 3}, "policy", "3"),
        ({"debounce_s": -1}, "debounce_s", "-1"),
        ({"debounce_s": float("inf")}, "debounce_s", "inf"),
        ({"debounce_s": "0.4"}, "debounce_s", "'0.4'"),
        ({"tz": "Mars/Olympus"}, "tz", "'Mars/Olympus'"),
    ],
)
def test_the_tuning_panel_checks_its_parameters_by_its_table(alarms, options, parameter, shown):
    options = {"alarms": alarms, "policy": DATA / "sample-policy.yaml", **options}
    with pytest.raises(InvalidParameterError) as caught:
        TuningPanel(**options)
    assert (caught.value.parameter, caught.value.owner, caught.value.got) == (parameter, "TuningPanel", shown)
    assert str(caught.value).startswith(f"The '{parameter}' parameter of TuningPanel must ")


@pytest.mark.parametrize(
    "options, parameter, shown",
    [
        ({"series": pd.DataFrame({"time": [START], "value": [1.0]})}, "series", "a table without {timestamp}"),
        ({"definition": "synthetic-high"}, "definition", "'synthetic-high'"),
        ({"windows": "windows.csv"}, "windows", "'windows.csv'"),
        ({"resolve_delay": -5}, "resolve_delay", "-5"),
        ({"series_name": 1}, "series_name", "1"),
        ({"debounce_s": 120}, "debounce_s", "120"),
        ({"debounce_s": None}, "debounce_s", "None"),
    ],
)
def test_the_backtest_panel_checks_its_parameters_by_its_table(series, options, parameter, shown):
    options = {"series": series, "definition": DEFINITION, **options}
    with pytest.raises(InvalidParameterError) as caught:
        BacktestPanel(**options)
    assert (caught.value.parameter, caught.value.owner, caught.value.got) == (parameter, "BacktestPanel", shown)
    assert str(caught.value).startswith(f"The '{parameter}' parameter of BacktestPanel must ")
