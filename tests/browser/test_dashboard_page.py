"""`incidentsim dashboard` as a person meets it: the command, its URL, the page in a browser."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import DATA, Screen, image_bytes, no_sideways_scrolling, unnamed_controls

pytest.importorskip("voila", reason='the dashboard needs Voila: pip install -e ".[dashboard]"')

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
]  # one JupyterLab, on one worker


@pytest.fixture
def dashboard(tmp_path: Any) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """The command as a user runs it (the sample history and policy named), its printed URL."""
    command = [
        sys.executable,
        "-m",
        "incidentsim.cli",
        "dashboard",
        str(DATA / "alarm-events.jsonl"),
        "--policy",
        str(DATA / "sample-policy.yaml"),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    lines = []
    deadline = time.monotonic() + 120
    url = None
    while url is None and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        found = re.search(r"(http://127\.0\.0\.1:\d+/\?token=\S+)", line)
        url = found.group(1) if found else None
    if url is None:
        process.kill()
        pytest.fail(f"no URL printed; stdout: {''.join(lines)!r}; stderr: {process.stderr.read()!r}")
    yield process, url
    if process.poll() is None:  # the test failed before stopping it: as a user would, so Voila stops with it
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_the_dashboard_serves_the_panel_and_answers_a_control(screen: Screen, dashboard: Any) -> None:
    process, url = dashboard
    base = url.split("?")[0]
    # Jupyter's token is required: without it, no page
    try:
        with urllib.request.urlopen(base, timeout=30) as answer:
            body, status = answer.read().decode(errors="replace"), answer.status
    except urllib.error.HTTPError as refused:
        body, status = "", refused.code
    assert status in (401, 403) or "login" in body.lower(), (status, body[:200])
    assert "incidents (start:" not in body

    page = screen.page
    page.goto(url)
    headline = page.locator(".widget-html-content").filter(has_text="incidents (start:").first
    headline.wait_for(timeout=120_000)
    screen.shot("loaded")
    assert page.get_by_text("incidentsim: tune impact and titles").count() == 1
    assert page.get_by_text("read 3,297 records: 3,297 loaded, 0 rejected, 0 skipped").count() == 1
    figure = page.locator(".widget-output img").first
    figure.wait_for()
    assert no_sideways_scrolling(page) == []
    assert unnamed_controls(page.locator("body")) == []

    before_text, before_png = headline.inner_text(), image_bytes(figure)
    route = page.locator(".widget-vbox").filter(has_text="route checkout").last
    route.get_by_role("combobox", name="impact").select_option("4")
    deadline = time.monotonic() + 60
    while headline.inner_text() == before_text and time.monotonic() < deadline:
        time.sleep(0.2)
    after_text = headline.inner_text()
    assert after_text != before_text
    low = [int(re.search(r"4 low ([\d,]+)", text).group(1).replace(",", "")) for text in (before_text, after_text)]
    assert low[1] > low[0]
    while image_bytes(figure) == before_png and time.monotonic() < deadline:
        time.sleep(0.2)
    assert image_bytes(figure) != before_png
    figure.scroll_into_view_if_needed()
    screen.shot("changed")

    # stopping the command stops the page
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(base, timeout=5)
