"""The notebooks and their panels in JupyterLab, driven through the page as a person would."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest

from .conftest import (
    NOTEBOOKS,
    Lab,
    Screen,
    image_bytes,
    run_cells,
    no_sideways_scrolling,
    open_notebook,
    unnamed_controls,
)

expect = pytest.importorskip(
    "playwright.sync_api", reason='browser tests need Playwright: pip install -e ".[test]"'
).expect

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
]  # one JupyterLab, on one worker


def wait_changed(read: Any, before: Any, what: str, timeout_s: float = 60.0) -> Any:
    """Poll ``read()`` until it differs from ``before``; fail naming ``what`` if it never does."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        now = read()
        if now != before:
            return now
        time.sleep(0.2)
    pytest.fail(f"{what} did not change within {timeout_s:.0f} s")


def test_tuning_panel_answers_the_mouse(lab: Lab, screen: Screen) -> None:
    notebook = open_notebook(screen, lab, "02-tune-impact-and-titles.ipynb")
    page = screen.page
    screen.shot("opened")
    run_cells(page, notebook)
    panel_cell = notebook.locator(".jp-CodeCell").nth(0)
    panel_cell.scroll_into_view_if_needed()  # Run All leaves the view at the last cell
    headline = panel_cell.locator(".widget-html-content").filter(has_text="incidents (start:").first
    headline.wait_for(state="attached")
    headline.scroll_into_view_if_needed()
    screen.shot("ran")
    assert screen.errors() == [], screen.errors()

    # the figures are pictures, and the page fits a 1366-pixel screen without sideways scrolling
    figure = panel_cell.locator(".widget-output img").first
    figure.wait_for()
    assert image_bytes(figure).startswith(b"\x89PNG")
    box, frame = figure.bounding_box(), notebook.bounding_box()
    assert box["width"] > 300 and box["x"] + box["width"] <= frame["x"] + frame["width"], (box, frame)
    assert no_sideways_scrolling(page) == []

    # every control has a name a screen reader says
    assert unnamed_controls(panel_cell.locator(".widget-vbox").first) == []

    # the payments route's impact, changed with the page's own control: the impact mix and the figure follow
    payments = panel_cell.locator(".widget-vbox").filter(has_text="route payments").last
    impact = payments.get_by_role("combobox", name="impact")
    before_text, before_png = headline.inner_text(), image_bytes(figure)
    assert "1 critical" in before_text
    impact.scroll_into_view_if_needed()
    impact.select_option("5")
    after_text = wait_changed(headline.inner_text, before_text, "the headline after the impact change")
    critical = [
        int(re.search(rf"{label} ([\d,]+)", text).group(1).replace(",", ""))
        for text, label in ((before_text, "1 critical"), (after_text, "1 critical"))
    ]
    no_impact = [
        int(re.search(r"5 no impact ([\d,]+)", text).group(1).replace(",", "")) for text in (before_text, after_text)
    ]
    assert critical[1] < critical[0] and no_impact[1] > no_impact[0], (before_text, after_text)
    assert critical[0] - critical[1] == no_impact[1] - no_impact[0]  # the payments incidents moved from 1 to 5
    wait_changed(lambda: image_bytes(figure), before_png, "the drawn figure after the impact change")
    headline.scroll_into_view_if_needed()
    screen.shot("impact-changed")

    # a broken title template: the error is shown in the panel, the figures stay as they were
    title = payments.get_by_role("textbox", name="title")
    title.scroll_into_view_if_needed()
    shown = headline.inner_text()
    title.fill("{{ alarm_name")
    error = payments.get_by_text(re.compile(r"route 'payments' title: template error"))  # under the box itself
    error.wait_for()
    screen.shot("bad-title")
    assert "unexpected end of template" in error.inner_text()
    assert headline.inner_text() == shown
    title.fill("Payments: {{ alarm_name }}")
    error.wait_for(state="detached")
    preview = payments.get_by_text(re.compile(r"^Payments: payments-"))
    assert preview.count() >= 1
    screen.shot("title-fixed")
    assert screen.errors() == [], screen.errors()


def test_game_day_panel_starts_pauses_and_steps(lab: Lab, screen: Screen) -> None:
    notebook = open_notebook(screen, lab, "04-game-day.ipynb")
    page = screen.page
    # play at the scenario's own speed (as the notebook says for a live rehearsal), so there is time to pause
    speed_cell = notebook.locator(".jp-CodeCell").filter(has_text='SPEED = "max"')
    speed_cell.locator(".cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(speed_cell.locator(".cm-content").inner_text().replace('SPEED = "max"', "SPEED = 60"))
    # run everything up to the panel: select the cell after it, then "Run All Above Selected Cell"
    notebook.locator(".jp-MarkdownCell").filter(has_text="Step through the first few").click()
    run_cells(page, notebook, "Run", "Run All Above Selected Cell")
    panel = notebook.locator(".jp-CodeCell").nth(1).locator(".widget-vbox").first
    panel.wait_for()
    panel.scroll_into_view_if_needed()
    screen.shot("ready")
    assert unnamed_controls(panel) == []

    cells = panel.locator(".widget-html-content table").first

    def status() -> dict[str, str]:
        heads = cells.locator("th").all_inner_texts()
        values = cells.locator("td").all_inner_texts()
        return dict(zip(heads, values))

    def position() -> int:
        return int(status()["events"].split("/")[0].replace(",", ""))

    def incident_rows() -> int:
        return panel.locator(".widget-html-content table.dataframe tbody tr").count()

    assert status()["state"] == "ready" and position() == 0
    button = {
        name: panel.get_by_role("button", name=name, exact=True)
        for name in ("Start", "Pause", "Resume", "Step", "Stop")
    }
    button["Step"].click()
    wait_changed(position, 0, "the position after Step")
    assert position() == 1
    button["Start"].click()
    page.wait_for_function("() => true")  # let the click go out
    grown = wait_changed(incident_rows, 0, "the incident list after Start")
    assert grown > 0
    screen.shot("playing")
    button["Pause"].click()
    deadline = time.monotonic() + 30
    while status()["state"] != "paused" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert status()["state"] == "paused"
    held = position()
    time.sleep(2.0)
    assert position() == held, "the player went on while paused"
    screen.shot("paused")
    button["Step"].click()
    wait_changed(position, held, "the position after Step while paused")
    assert position() == held + 1
    button["Stop"].click()
    deadline = time.monotonic() + 30
    while status()["state"] != "stopped" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert status()["state"] == "stopped"
    assert incident_rows() >= grown
    screen.shot("stopped")
    assert screen.errors() == [], screen.errors()


@pytest.mark.parametrize("notebook", sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")))
def test_every_notebook_opens_without_console_errors(lab: Lab, screen: Screen, notebook: str) -> None:
    page = screen.page
    opened = open_notebook(screen, lab, notebook)
    cells = len(json.loads((NOTEBOOKS / notebook).read_text())["cells"])
    expect(opened.locator(".jp-Cell")).to_have_count(cells)  # every cell drawn
    screen.shot("opened")
    assert page.locator(".jp-Dialog").count() == 0, page.locator(".jp-Dialog").inner_text()
    assert screen.errors() == [], screen.errors()


BACKTEST_NOTEBOOK = """\
import numpy as np
import pandas as pd

from incidentsim.datasets import AlarmDefinition
from incidentsim.panels import BacktestPanel

times = pd.date_range("2024-05-01", periods=864, freq="5min", tz="UTC")
values = 10 + 2 * np.sin(2 * np.pi * np.arange(864) / 288)
values[200:206], values[500:504] = 50.0, 35.0
series = pd.DataFrame({"timestamp": times, "value": values})
windows = pd.DataFrame({"series": "synthetic", "window": [0, 1],
                        "start": times[[190, 480]], "end": times[[230, 520]]})
definition = AlarmDefinition(
    alarm_name="synthetic-high", metric_name="Synthetic", namespace="Test", statistic="Average",
    period=300, threshold=20, comparison_operator="GreaterThanThreshold",
    evaluation_periods=3, datapoints_to_alarm=2,
)
panel = BacktestPanel(series, definition, windows=windows, series_name="synthetic")
panel
"""


def test_backtest_panel_fits_and_is_named(lab: Lab, screen: Screen) -> None:
    import nbformat

    notebook_file = lab.root / "notebooks" / "backtest-panel.ipynb"
    made = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(BACKTEST_NOTEBOOK)])
    made.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(made, notebook_file)
    notebook = open_notebook(screen, lab, notebook_file.name)
    run_cells(screen.page, notebook)
    panel = notebook.locator(".jp-CodeCell").nth(0).locator(".widget-vbox").first
    headline = panel.locator(".widget-html-content").filter(has_text="per week").first
    headline.wait_for()
    figure = panel.locator(".widget-output img").first
    figure.wait_for()
    figure.scroll_into_view_if_needed()
    screen.shot("backtest")
    assert image_bytes(figure).startswith(b"\x89PNG")
    assert no_sideways_scrolling(screen.page) == []
    assert unnamed_controls(panel) == []
    before_text, before_png = headline.inner_text(), image_bytes(figure)
    assert before_text.startswith("2 incidents")
    threshold = panel.get_by_role("spinbutton", name="threshold")
    threshold.fill("40")  # above the second spike (35): one incident left
    threshold.press("Enter")
    after_text = wait_changed(headline.inner_text, before_text, "the backtest headline after the threshold changed")
    assert after_text.startswith("1 incident,") and "recall 50%" in after_text, after_text
    wait_changed(lambda: image_bytes(figure), before_png, "the backtest figure after the threshold changed")
    figure.scroll_into_view_if_needed()
    screen.shot("threshold-40")
    assert screen.errors() == [], screen.errors()
