"""The tuning panel, driven as ipywidgets' own tests drive widgets: set .value, click, look at the result."""

from __future__ import annotations

import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

import incidentsim  # noqa: E402
from incidentsim.widgets import PLAN_IMPACT, TuningPanel  # noqa: E402

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
    assert panel.result.summary() == incidentsim.replay(panel.alarms, DATA / "sample-policy.yaml", engine="fast").summary()
    assert set(panel.route_controls) == {"capacity", "checkout", "payments", "search"}  # the ignore route has no controls
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
    assert "of these triggers were not sent. Not sent: route 'search' title: undefined variable: 'service' is undefined." in preview
    assert (panel.result.events["error_code"] == "TemplateError").sum() > 0
    panel.route_controls["search"]["title"].value = "{{ alarm_name"
    assert "template error" in panel.message.value


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
    days = panel.dates.options
    panel.dates.index = (0, 6)
    assert panel.result.summary()["events"] < len(panel.alarms)
    assert panel.result.events["timestamp"].dt.date.max() <= days[6][1]


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
