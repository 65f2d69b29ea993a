"""The tuning panel as a web page: ``incidentsim dashboard``, served by Voila.

The page is a notebook shipped with the package (``tuning.ipynb``); Voila runs it in a kernel of its own
and shows its outputs (the panel, its headline and figures) without the code.  What to tune reaches that
kernel through a small JSON file that the ``INCIDENTSIM_DASHBOARD`` environment variable names: the
history, already read and checked here (so a bad file is a one-line error before anything is served),
kept as Parquet; the policy file; and the folder the panel's save button writes into.

Like ``incidentsim serve``, the page binds a loopback address unless ``allow_remote`` is given, and it
answers only requests that carry Jupyter's token (printed in the URL).

Examples
--------
>>> from incidentsim.dashboard import Dashboard
>>> with Dashboard.from_files(["data/alarm-events.jsonl"], "data/sample-policy.yaml") as page:  # doctest: +SKIP
...     print(page.url)      # open it in a browser
...     page.wait()          # until Ctrl-C
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ENVIRONMENT = "INCIDENTSIM_DASHBOARD"
NOTEBOOK = Path(__file__).with_name("tuning.ipynb")


class DashboardError(RuntimeError):
    """The page could not be served (Voila missing, the address refused, the server gone)."""


@dataclass(frozen=True)
class DashboardSettings:
    """What the dashboard's kernel reads: where the history and the policy are, and where to save."""

    history: str  #: the history as Parquet (an AlarmFrame)
    policy: str  #: the policy YAML
    workdir: str  #: the folder the save button writes into (where the command was run)
    sources: tuple[str, ...] = ()  #: the files the history was read from, as the user named them
    loaded: str = ""  #: what the loader said (records read, loaded, rejected, skipped)

    def write(self, path: Path) -> Path:
        path.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        return path

    @classmethod
    def from_environment(cls) -> DashboardSettings:
        """The settings the command left for this kernel (``$INCIDENTSIM_DASHBOARD``)."""
        where = os.environ.get(ENVIRONMENT)
        if not where:
            raise DashboardError(
                f"${ENVIRONMENT} is not set: this notebook is the page `incidentsim dashboard` serves; run that command"
            )
        data = json.loads(Path(where).read_text(encoding="utf-8"))
        data["sources"] = tuple(data.get("sources", ()))
        return cls(**data)


def header_html(settings: DashboardSettings) -> str:
    """The line above the panel: what is being tuned, from which files."""
    import html

    sources = ", ".join(settings.sources) or settings.history
    loaded = f"<div style='font-size:0.9em'>{html.escape(settings.loaded)}</div>" if settings.loaded else ""
    return (
        "<h2 style='margin:0.2em 0'>incidentsim: tune impact and titles</h2>"
        f"<div>history <code>{html.escape(sources)}</code>, policy <code>{html.escape(settings.policy)}</code>; "
        f"the save button writes into <code>{html.escape(settings.workdir)}</code></div>{loaded}"
    )


@dataclass
class DashboardPage:
    """What the page shows: the header and the panel (its :attr:`panel` is a
    :class:`~incidentsim.panels.TuningPanel`)."""

    panel: Any
    widget: Any

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def open_page(settings: DashboardSettings | None = None) -> DashboardPage:
    """The page's content: the header and a :class:`~incidentsim.panels.TuningPanel` on the settings' history.

    Run inside the dashboard's kernel; the working folder becomes ``settings.workdir``, so a relative
    "save as" path lands where the command was run.
    """
    import ipywidgets as w

    from .. import load_alarms
    from ..panels import TuningPanel

    settings = settings or DashboardSettings.from_environment()
    os.chdir(settings.workdir)
    panel = TuningPanel(load_alarms(settings.history).alarms, settings.policy)
    return DashboardPage(panel, w.VBox([w.HTML(header_html(settings)), panel.widget]))


def check_host(host: str, allow_remote: bool = False) -> str:
    """``host`` as Voila binds it (``[::1]`` unbracketed); a non-loopback address only with ``allow_remote``."""
    from ..emulator.core import serving_host

    return serving_host(host, allow_remote, what="serve the dashboard")


def port_is_free(host: str, port: int) -> bool:
    """True when nothing listens on ``host``:``port`` now (so a server started there answers for itself)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str) -> int:
    """A port nobody listens on at ``host`` now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class Dashboard:
    """A Voila server showing the tuning panel on one history and policy.

    ``port=0`` picks a free port. The token (random unless given) is required by every request;
    :attr:`url` carries it.
    """

    def __init__(
        self,
        alarms: Any,
        policy: str | Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        allow_remote: bool = False,
        token: str | None = None,
        workdir: str | Path | None = None,
        sources: tuple[str, ...] = (),
        loaded: str = "",
    ):
        host = check_host(host, allow_remote)
        from ..emulator.core import PORT
        from ..params import check_params

        check_params({"port": port}, {"port": [PORT]}, "Dashboard")
        if token is not None and (not token or not token.isprintable() or any(c.isspace() for c in token)):
            raise ValueError("token must be non-empty printable text without spaces")
        self.alarms = alarms
        self.policy = Path(policy).resolve()
        self.host = host
        self.port = port
        self.allow_remote = allow_remote
        self.token = token or secrets.token_urlsafe(24)
        self.workdir = Path(workdir or Path.cwd()).resolve()
        self.sources = tuple(sources)
        self.loaded = loaded
        self.process: subprocess.Popen[bytes] | None = None
        self._state: Path | None = None
        self._log: Any = None

    @classmethod
    def from_files(cls, history: list[str], policy: str | Path, **options: Any) -> Dashboard:
        """Read the history (as :func:`incidentsim.load_alarms` does) and check the policy before serving."""
        from .. import load_alarms
        from ..policy import Policy

        Policy.from_yaml(policy)  # a PolicyError now, not a broken page later
        load = load_alarms(history)
        return cls(load.alarms, policy, sources=tuple(str(h) for h in history), loaded=load.summary(), **options)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/?token={self.token}"

    @property
    def log_path(self) -> Path | None:
        """Voila's own log (its requests, its kernel's errors)."""
        return None if self._state is None else self._state / "voila.log"

    def start(self, timeout_s: float = 60.0) -> Dashboard:
        """Write the kernel's settings, start Voila and wait until it accepts connections."""
        if self.process is not None:
            return self
        try:
            import voila  # noqa: F401
        except ImportError:
            raise DashboardError('the dashboard needs Voila: pip install "incidentsim[dashboard]"') from None
        from ..datasets.capture import write_alarm_frame

        self._state = Path(tempfile.mkdtemp(prefix="incidentsim-dashboard-"))
        history = write_alarm_frame(self.alarms, self._state / "history.parquet")
        settings = DashboardSettings(str(history), str(self.policy), str(self.workdir), self.sources, self.loaded)
        environment = dict(os.environ, **{ENVIRONMENT: str(settings.write(self._state / "settings.json"))})
        if self.port == 0:
            self.port = free_port(self.host)
        elif not port_is_free(self.host, self.port):
            raise DashboardError(f"cannot serve on {self.host} port {self.port}: the address is in use")
        command = [
            sys.executable,
            "-m",
            "voila",
            str(NOTEBOOK),
            "--no-browser",
            f"--Voila.ip={self.host}",
            f"--Voila.port={self.port}",
            "--Voila.port_retries=0",
            f"--Voila.token={self.token}",
            f"--Voila.root_dir={NOTEBOOK.parent}",
        ]
        self._log = open(self._state / "voila.log", "wb")  # noqa: SIM115 (closed by stop)
        self.process = subprocess.Popen(
            command,
            env=environment,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
            # Ctrl-C in the terminal reaches the command, which stops Voila and its kernels in order
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            status = self.process.poll()
            if status is not None:
                last = self.log_tail()
                self.stop()
                raise DashboardError(f"Voila stopped before serving (exit status {status}):\n{last}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise DashboardError(f"Voila did not answer on {self.host} port {self.port} within {timeout_s:.0f} s")

    def wait(self) -> int:
        """Until the server ends (Ctrl-C stops it); its exit status. :meth:`log_tail` says why it ended."""
        if self.process is None:
            raise DashboardError("the dashboard was not started")
        return self.process.wait()

    def log_tail(self, lines: int = 8) -> str:
        """The last lines of Voila's log."""
        path = self.log_path
        if path is None or not path.is_file():
            return ""
        return "\n".join(path.read_text(errors="replace").strip().splitlines()[-lines:])

    def stop(self) -> None:
        """Stop Voila (and its kernels) and remove the settings it read."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()  # Voila shuts its kernels down on SIGTERM
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)  # its session: Voila and the kernels it started
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._state is not None:
            shutil.rmtree(self._state, ignore_errors=True)
            self._state = None

    def __enter__(self) -> Dashboard:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


__all__ = [
    "ENVIRONMENT",
    "NOTEBOOK",
    "Dashboard",
    "DashboardError",
    "DashboardPage",
    "DashboardSettings",
    "check_host",
    "header_html",
    "open_page",
]
