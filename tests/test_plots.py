"""Display objects, checked through their artists."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

import incidentsim  # noqa: E402
from incidentsim import plots  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def result():
    return incidentsim.replay(DATA / "alarm-events.jsonl", DATA / "sample-policy.yaml", engine="fast")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_trigger_volume_bars_add_up_to_the_outcomes(result):
    display = plots.TriggerVolumeDisplay.from_result(result, freq="1D")
    assert display.plot() is display  # plot returns the Display itself
    heights = {outcome: sum(bar.get_height() for bar in bars) for outcome, bars in display.bars_.items()}
    summary = result.summary()
    assert heights["created"] == summary["created"]
    assert heights["deduplicated"] == summary["deduplicated"]
    assert len(display.bars_["created"]) == 30  # one bar a day for the sample's 30 days
    assert display.ax_.get_ylabel() == "state changes per day"
    assert "by what StartIncident did" in display.ax_.get_title()


def test_freq_is_checked_with_the_house_wording(result):
    with pytest.raises(ValueError, match=r"The 'freq' parameter of TriggerVolumeDisplay must be one of \{15min, 1h, 1D, 1W\}. Got '2d' instead."):
        plots.TriggerVolumeDisplay.from_result(result, freq="2d")


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
    assert sum(len(c.get_paths()) for c in display.bars_.values()) == len(result.incidents)


def test_comparison_display_and_png(result):
    wider = incidentsim.Policy.from_yaml(DATA / "sample-policy.yaml")
    plans = tuple(p if p.name != "search-degraded" else type(p)(**{**p.__dict__, "dedupe_string": "search"}) for p in wider.response_plans)
    tuned = incidentsim.replay(result.events, wider.replace(response_plans=plans, name="tuned"), engine="fast")
    display = plots.ComparisonDisplay.from_results(result, tuned, n=8).plot()
    assert set(display.bars_) == {"sample-policy", "tuned"}
    png = display._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
