"""The server's lifecycle: the endpoint a game day plays against, its client, its faults and its reset.

By default the game day starts ``incidentsim serve`` on 127.0.0.1 for itself (and stops it on
:meth:`Endpoint.close`); given a running endpoint, it only talks to it.  Either way the client
retries in botocore's standard mode, so throttles and 500s are retried with the same
``clientToken`` as in production.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..replay.engine import EmulatorReplay
from .errors import GameDayError
from .scenario import Scenario


class Endpoint:
    """A game day's endpoint: its own server or a given one, with a client and the emulator's control API.

    Parameters
    ----------
    url : str or None
        A running ``incidentsim serve``; None starts one on 127.0.0.1 at :meth:`open`.
    allow_remote : bool
        Needed for an endpoint that is not loopback.
    max_attempts : int
        The client's attempts per call (botocore's standard retry mode).
    """

    def __init__(self, url: str | None, *, allow_remote: bool = False, max_attempts: int = 5):
        self.url = url
        self.allow_remote = allow_remote
        self.max_attempts = max_attempts
        self.server: Any = None
        self.client: Any = None
        self.control: Any = None

    @property
    def owns_server(self) -> bool:
        """True while the server this endpoint started runs."""
        return self.server is not None

    def open(self, *, reset: bool, resuming: bool) -> None:
        """Start the own server (when no URL was given), make the client, and make sure the service is fit to play on.

        An own server (it shares this process's emulator) and ``reset`` start from an empty
        Incident Manager; otherwise an endpoint that already holds incident records is refused
        unless a run is being resumed.  Faults are switched off, for the response plans and the
        restoring of a resumed run.  On failure the own server is stopped again.
        """
        from botocore.config import Config

        from ..emulator.core import make_client
        from ..emulator.server import EmulatorControl, EmulatorServer

        owned = self.url is None
        if owned:
            self.server = EmulatorServer("127.0.0.1", port=0, quiet=True).start()
            self.url = self.server.endpoint_url
        url = str(self.url)
        try:
            config = Config(retries={"mode": "standard", "total_max_attempts": self.max_attempts})
            self.client = make_client(endpoint_url=url, allow_remote=self.allow_remote, config=config)
            self.control = EmulatorControl(url, allow_remote=self.allow_remote)
            if owned or reset:
                # the game day's own server shares this process's emulator: it starts from an empty Incident Manager
                self.control.reset(service="ssm-incidents")
            elif not resuming and self.client.list_incident_records(maxResults=1)["incidentRecordSummaries"]:
                raise GameDayError(
                    f"{url} already holds incident records, which would deduplicate this game day's triggers; "
                    "pass reset=True (--reset) to forget them, or resume=True to carry on a run"
                )
            self.control.set_faults(None)  # none while the plans are made and a resumed run is restored
        except BaseException:
            self.close()
            raise

    def replay(self, scenario: Scenario, wall_clock: Callable[[], float]) -> EmulatorReplay:
        """A replay of the scenario's history under its policy through this endpoint's client (response plans made)."""
        return EmulatorReplay(
            scenario.alarms,
            scenario.policy,
            client=self.client,
            endpoint_url=self.url,
            allow_remote=self.allow_remote,
            wall_clock=wall_clock,
        )

    def faults_on(self, scenario: Scenario) -> None:
        self.control.set_faults(scenario.fault_rules(), seed=scenario.seed)

    def faults_off(self) -> None:
        """Switch the faults off, if the endpoint still answers (a crashed one's record is built from what was kept)."""
        if self.control is None:
            return
        try:
            self.control.set_faults(None)
        except Exception:
            pass

    def forget(self) -> None:
        """Forget every ssm-incidents resource on the endpoint."""
        self.control.reset(service="ssm-incidents")

    def injected(self) -> dict[str, int]:
        """The faults the endpoint injected, by kind; empty when it is gone (what it injected is unknown)."""
        if self.control is None:
            return {}
        try:
            return dict(self.control.state()["faults"]["injected"])
        except Exception:
            return {}

    def close(self) -> None:
        """Stop the own server, if one runs."""
        if self.server is not None:
            self.server.stop()
            self.server = None
