"""`incidentsim dashboard` without a browser: its settings, its page's notebook, its refusals, its server."""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path

import nbformat
import pytest

import incidentsim
from incidentsim.cli import main
from incidentsim.dashboard import (
    ENVIRONMENT,
    NOTEBOOK,
    Dashboard,
    DashboardError,
    DashboardSettings,
    open_page,
)

DATA = Path(__file__).resolve().parents[1] / "data"
HISTORY, POLICY = DATA / "alarm-events.jsonl", DATA / "sample-policy.yaml"


@pytest.fixture
def settings(tmp_path: Path) -> DashboardSettings:
    load = incidentsim.load_alarms(HISTORY)
    history = tmp_path / "history.parquet"
    load.alarms.to_parquet(history, index=False)
    workdir = tmp_path / "work"
    workdir.mkdir()
    return DashboardSettings(str(history), str(POLICY), str(workdir), (str(HISTORY),), load.summary())


def test_settings_travel_through_the_environment(settings, tmp_path, monkeypatch):
    monkeypatch.delenv(ENVIRONMENT, raising=False)
    with pytest.raises(DashboardError, match=r"\$INCIDENTSIM_DASHBOARD is not set.*incidentsim dashboard"):
        DashboardSettings.from_environment()
    monkeypatch.setenv(ENVIRONMENT, str(settings.write(tmp_path / "settings.json")))
    assert DashboardSettings.from_environment() == settings


def test_the_page_is_the_tuning_panel_saving_where_the_command_ran(settings, monkeypatch):
    monkeypatch.chdir(Path.cwd())  # the page moves into the work folder; put this process back afterwards
    page = open_page(settings)
    header = page.widget.children[0].value
    assert "alarm-events.jsonl" in header and "read 3,297 records: 3,297 loaded, 0 rejected, 0 skipped" in header
    assert page.widget.children[1] is page.panel.widget
    assert page.panel.start_incidents == incidentsim.replay(HISTORY, POLICY, engine="fast").summary()["created"]
    page.panel.debounce_s = 0
    page.panel.route_controls["payments"]["impact"].value = 2
    written = page.panel.save()  # the "save as" box's relative path
    assert written.resolve() == Path(settings.workdir, "tuned-policy.yaml").resolve()
    tuned = incidentsim.Policy.from_yaml(written)
    assert next(r for r in tuned.routes if r.name == "payments").impact == 2


@pytest.mark.slow
def test_the_shipped_notebook_shows_the_panel(settings, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.chdir(Path.cwd())
    monkeypatch.setenv(ENVIRONMENT, str(settings.write(tmp_path / "settings.json")))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    ).execute()
    outputs = [output for cell in notebook.cells for output in cell.get("outputs", [])]
    assert [o for o in outputs if o["output_type"] == "error"] == []
    views = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(views) == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--host", "0.0.0.0"], "not a loopback address. Pass allow_remote=True (--allow-remote)"),
        (["--port", "70000"], "--port 70000: must be an integer in [0, 65535] (0: any free port)"),
        (["--policy", "no-such-policy.yaml"], "no-such-policy.yaml"),
        (["no-such-history.jsonl"], "no-such-history.jsonl"),
    ],
)
def test_mistakes_are_one_line_and_nothing_is_served(argv, message, capsys):
    pytest.importorskip("voila", reason='the dashboard needs Voila: pip install -e ".[dashboard]"')
    assert main(["dashboard", *argv]) == 2
    error = capsys.readouterr().err
    assert error.startswith("incidentsim dashboard: ") and message in error, error


def test_a_port_in_use_is_refused_before_starting(settings):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        page = Dashboard(incidentsim.load_alarms(HISTORY).alarms, POLICY, port=port)
        with pytest.raises(DashboardError, match=f"port {port}: the address is in use"):
            page.start()
        assert page.process is None


@pytest.mark.slow
def test_the_server_wants_its_token_and_stops(settings):
    pytest.importorskip("voila", reason='the dashboard needs Voila: pip install -e ".[dashboard]"')
    with Dashboard.from_files([str(HISTORY)], POLICY, workdir=settings.workdir) as page:
        assert page.url.startswith(f"http://127.0.0.1:{page.port}/?token=") and len(page.token) >= 24
        base = page.url.split("?")[0]
        for wrong in (base, base + "?token=wrong"):  # sent to Jupyter's login page, the notebook not run
            with urllib.request.urlopen(wrong, timeout=30) as answer:
                assert "/login" in answer.url and "incidents (start:" not in answer.read().decode(errors="replace")
        assert page.sources == (str(HISTORY),) and page.loaded.startswith("read 3,297 records")
        port = page.port
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    assert page.process is None and page.log_path is None
