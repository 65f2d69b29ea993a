"""What the browser tests share: Chromium driven by Playwright, a JupyterLab server, screenshots.

The tests skip, saying why, where Playwright, JupyterLab or a Chromium cannot be had. Chromium is the
system's (Debian's ``chromium``; ``INCIDENTSIM_CHROMIUM`` names another binary): Playwright's own browser
download is never used. Every screenshot is written to the test's temporary folder and its path printed,
so a failing test shows where to look.
"""

from __future__ import annotations

import base64
import itertools
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from incidentsim.dashboard import free_port

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
DATA = ROOT / "data"

# as root on a machine with no network beyond loopback: no sandbox (root), no GPU, no background calls home
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
NO_CHROMIUM = (
    "no Chromium on this machine: apt-get install chromium (or set INCIDENTSIM_CHROMIUM to a Chromium binary)"
    + (
        f"; INCIDENTSIM_CHROMIUM={os.environ['INCIDENTSIM_CHROMIUM']} is not a file"
        if os.environ.get("INCIDENTSIM_CHROMIUM")
        else ""
    )
)
VIEWPORT = {"width": 1366, "height": 768}  # the screen the panels must fit without scrolling sideways


def chromium_path() -> str | None:
    """The Chromium to drive: ``$INCIDENTSIM_CHROMIUM``, else ``chromium`` / ``chromium-browser`` /
    ``google-chrome`` on PATH."""
    named = os.environ.get("INCIDENTSIM_CHROMIUM")
    if named:
        return named if Path(named).is_file() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def wait_for_http(url: str, process: subprocess.Popen[Any], log: Path, timeout_s: float = 90.0) -> None:
    """Until ``url`` answers 200; fails with the server's log if it exits or never answers."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"the server exited with status {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    pytest.fail(f"no answer from {url} within {timeout_s:.0f} s:\n{log.read_text(errors='replace')[-3000:]}")


def stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason='browser tests need Playwright: pip install -e ".[test]"'
    )
    path = chromium_path()
    if path is None:
        pytest.skip(NO_CHROMIUM)
    playwright = sync_api.sync_playwright().start()
    try:
        launched = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_FLAGS)
    except Exception as error:  # a binary that does not start here: say so, as for a missing one
        playwright.stop()
        pytest.skip(f"Chromium at {path} did not start: {str(error).splitlines()[0]}")
    yield launched
    launched.close()
    playwright.stop()


@dataclass
class Screen:
    """A page of the browser, the console messages it logged and its screenshots."""

    page: Any
    folder: Path
    console: list[tuple[str, str]] = field(default_factory=list)
    shots: list[Path] = field(default_factory=list)

    def shot(self, name: str) -> Path:
        """Screenshot the page as it is now into the test's folder (the path is printed, shown when the test fails)."""
        path = self.folder / f"{len(self.shots) + 1:02d}-{name}.png"
        self.page.screenshot(path=str(path))
        self.shots.append(path)
        print(f"screenshot: {path}")
        return path

    def errors(self) -> list[str]:
        return [text for kind, text in self.console if kind in ("error", "pageerror")]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


FAILED = pytest.StashKey[bool]()


@pytest.fixture
def screen(browser: Any, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Screen]:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(60_000)
    shown = Screen(page, tmp_path)
    page.on("console", lambda message: shown.console.append((message.type, message.text)))
    page.on("pageerror", lambda error: shown.console.append(("pageerror", str(error))))
    yield shown
    if request.node.stash.get(FAILED, False):
        try:
            shown.shot("at-failure")  # the page as it was when the test failed
        except Exception as error:  # the page itself may be gone
            print(f"no screenshot at the failure: {error}")
    context.close()


@dataclass
class Lab:
    """A JupyterLab server on loopback over a copy of the notebooks (so nothing it saves touches the checkout)."""

    port: int
    token: str
    root: Path
    process: subprocess.Popen[Any]
    log: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}?token={self.token}"


@pytest.fixture(scope="session")
def lab(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """(After the browser: where there is none, no server is started for nothing.)"""
    pytest.importorskip("jupyterlab", reason='browser tests need JupyterLab: pip install -e ".[test]"')
    base = tmp_path_factory.mktemp("lab")
    root = base / "root"
    (root / "notebooks").mkdir(parents=True)
    for notebook in NOTEBOOKS.glob("*.ipynb"):
        shutil.copy(notebook, root / "notebooks" / notebook.name)
    (root / "data").symlink_to(DATA, target_is_directory=True)  # the notebooks read ../data
    settings = base / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    # no news or update checks: this machine may have no network, and their toasts cover the page
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false", "checkForUpdates": false}')
    port, token = free_port("127.0.0.1"), base64.urlsafe_b64encode(os.urandom(18)).decode()
    log = base / "jupyterlab.log"
    environment = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(base / "config"),
        JUPYTER_DATA_DIR=str(base / "data"),
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
        JUPYTER_PLATFORM_DIRS="1",
        MPLBACKEND="module://matplotlib_inline.backend_inline",
    )
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        f"--LabApp.user_settings_dir={base / 'settings'}",
        f"--LabApp.workspaces_dir={base / 'workspaces'}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    with open(log, "wb") as output:
        process = subprocess.Popen(command, env=environment, stdout=output, stderr=subprocess.STDOUT, cwd=root)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/api/status?token={token}", process, log)
        yield Lab(port, token, root, process, log)
    finally:
        stop(process)


# ---------------------------------------------------------------------------------------------- JupyterLab pages


def open_notebook(screen: Screen, lab: Lab, name: str) -> Any:
    """Open ``notebooks/<name>`` in a workspace of its own (no tab of an earlier test restored beside it), wait until
    its kernel is idle; the notebook's panel (a locator)."""
    page = screen.page
    workspace = f"{screen.folder.name[:40]}-{next(_workspaces)}"
    page.goto(lab.url(f"lab/workspaces/{workspace}/tree/notebooks/{name}"))
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    notebook.locator(".jp-Cell").first.wait_for()
    wait_idle(page)
    return notebook


_workspaces = itertools.count(1)


def wait_idle(page: Any, timeout_s: float = 240.0) -> None:
    """Until the notebook has its kernel (not "No Kernel"), the kernel is idle, no cell waits to run (no ``[*]``
    prompt) and every Markdown cell is rendered."""
    page.wait_for_function(
        """() => {
            const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
            if (!panel) return false;
            const indicator = panel.querySelector('.jp-Notebook-ExecutionIndicator');
            const kernel = panel.querySelector('.jp-Toolbar-kernelName');
            const idle = indicator && indicator.getAttribute('data-status') === 'idle'
                && kernel && kernel.textContent.trim() && !/No Kernel/i.test(kernel.textContent);
            const queued = [...panel.querySelectorAll('.jp-InputPrompt')]"""
        """.some(prompt => prompt.textContent.includes('*'));
            const unrendered = [...panel.querySelectorAll('.jp-MarkdownCell')]"""
        """.some(cell => !cell.querySelector('.jp-RenderedMarkdown'));
            return idle && !queued && !unrendered;
        }""",
        timeout=timeout_s * 1000,
    )


def menu(page: Any, *path: str) -> None:
    """Choose a menu item as a person does: the menu bar's entry, then the item."""
    page.get_by_role("menuitem", name=path[0], exact=True).click()
    for item in path[1:]:
        page.get_by_role("menuitem", name=item, exact=True).click()


def run_cells(page: Any, notebook: Any, *menu_path: str) -> None:
    """Run cells through the Run menu (``"Run", "Run All Cells"`` by default) and wait until the kernel is idle.

    JupyterLab leaves its Run items disabled until the kernel's session is connected, and a click on a
    disabled item does nothing; so the click is repeated until a prompt shows that something ran.
    """
    started = """(panel) => [...panel.querySelectorAll('.jp-InputPrompt')].some(p => /[*0-9]/.test(p.textContent))"""
    for _ in range(10):
        menu(page, *(menu_path or ("Run", "Run All Cells")))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if notebook.evaluate(started):
                wait_idle(page)
                return
            time.sleep(0.2)
        page.keyboard.press("Escape")  # close the menu if it is still open
    pytest.fail(f"{' > '.join(menu_path or ('Run', 'Run All Cells'))} ran nothing")


def image_bytes(image: Any) -> bytes:
    """The PNG an ``<img>`` shows (its data URL decoded)."""
    source = image.get_attribute("src") or ""
    assert source.startswith("data:image/png;base64,"), f"not an inline PNG: {source[:60]!r}"
    return base64.b64decode(source.split(",", 1)[1])


def no_sideways_scrolling(page: Any, within: Any = None) -> list[str]:
    """What a person would have to scroll sideways (content wider than its box), in ``within`` (a locator) or the
    whole page, each as its tag, classes, the notebook cell it is in and its widths."""
    script = (
        """(root) => [root, ...root.querySelectorAll('*')]
        .filter(el => /(auto|scroll)/.test(getComputedStyle(el).overflowX) && el.clientWidth > 0
                      && el.scrollWidth > el.clientWidth + 1)
        .map(el => {
            const cell = el.closest('.jp-Cell');
            const where = cell ? ` in cell ${[...cell.parentElement.children].indexOf(cell)}` : '';
            return `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}${where}: """
        """${el.scrollWidth} > ${el.clientWidth}`;
        })"""
    )
    if within is not None:
        return list(within.evaluate(script))
    found = list(page.locator("body").evaluate(script))
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    return found + ([f"the page: {width[0]} > {width[1]}"] if width[0] > width[1] + 1 else [])


INTERACTIVE_ROLES = (
    "button",
    "checkbox",
    "combobox",
    "textbox",
    "slider",
    "spinbutton",
    "radio",
    "switch",
    "listbox",
    "searchbox",
)


def unnamed_controls(locator: Any) -> list[str]:
    """The controls under ``locator`` that have no accessible name (what a screen reader would announce as,
    say, just "combo box"), from the accessibility tree Playwright computes for the page."""
    roles = "|".join(INTERACTIVE_ROLES)
    return [
        line.strip() for line in locator.aria_snapshot().splitlines() if re.match(rf"\s*- ({roles})\s*(:|\[|$)", line)
    ]
