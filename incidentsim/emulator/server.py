"""``incidentsim serve``: moto's server with the ssm-incidents emulator, on loopback.

Every moto service is served beside ssm-incidents, so the AWS CLI and any SDK
can point ``--endpoint-url`` at it.  A small control API under
``/_incidentsim/`` sets the clock, options and faults of an account's backend
from outside the process (a replay or a game day driving a served emulator):

====================  ======  ====================================================
path                  method  body (JSON; every one takes an optional account_id)
====================  ======  ====================================================
/_incidentsim/state   GET     (query ``account_id``) the clock, options and faults
/_incidentsim/clock   POST    ``{"time": "2024-05-01T12:00:00Z"}``, ``{"time": null}``
                              for the wall clock, or ``{"advance_s": 60}``
/_incidentsim/options POST    option names and values, e.g. ``{"dedupe_scope": "response_plan"}``
/_incidentsim/faults  POST    ``{"seed": 7, "rules": {"StartIncident": {"throttle": 0.2}}}``
/_incidentsim/reset   POST    forget every resource of every service, or ``{"service": "ssm-incidents"}``:
                              every Incident Manager resource of every account only
====================  ======  ====================================================
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from .core import DEFAULT_ACCOUNT_ID, UnsafeEndpointError, check_endpoint, get_backend, is_loopback
from .registration import check_registration, register

CONTROL_PREFIX = "/_incidentsim/"

StartResponse = Callable[..., Any]


def _parse_time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        raise ValueError(f"'time' must be an ISO 8601 time such as 2024-05-01T12:00:00Z, got {text!r}") from None


class ControlMiddleware:
    """Answers ``/_incidentsim/*`` itself and passes everything else to moto."""

    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(CONTROL_PREFIX):
            return self.app(environ, start_response)
        try:
            status, payload = self._handle(path[len(CONTROL_PREFIX) :], environ)
        except (ValueError, TypeError) as error:
            status, payload = 400, {"message": str(error)}
        body = json.dumps(payload, default=str).encode()
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}[status]
        start_response(
            f"{status} {reason}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]

    @staticmethod
    def _read_json(environ: dict[str, Any]) -> dict[str, Any]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        if not raw:
            return {}
        try:
            data = json.loads(raw)
        except ValueError:
            raise ValueError("the request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise ValueError("the request body must be a JSON object")
        return data

    def _handle(self, action: str, environ: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        method = environ.get("REQUEST_METHOD", "GET")
        if action == "state":
            from urllib.parse import parse_qs

            query = parse_qs(environ.get("QUERY_STRING", ""))
            account = query.get("account_id", [DEFAULT_ACCOUNT_ID])[0]
            return 200, describe_backend(account)
        if method != "POST":
            return 405, {"message": f"{CONTROL_PREFIX}{action} takes POST"}
        data = self._read_json(environ)
        account = str(data.pop("account_id", DEFAULT_ACCOUNT_ID))
        backend = get_backend(account)
        if action == "clock":
            if "advance_s" in data:
                backend.clock.advance(float(data["advance_s"]))
            elif "time" in data:
                if data["time"] is None:
                    backend.clock.use_wall_clock()
                else:
                    backend.clock.set(_parse_time(data["time"]))
            else:
                raise ValueError("clock takes 'time' (ISO 8601 or null) or 'advance_s'")
        elif action == "options":
            backend.configure(**data)
        elif action == "faults":
            unknown = set(data) - {"rules", "seed"}
            if unknown:
                raise ValueError(f"faults takes 'rules' and 'seed', not {sorted(unknown)}")
            backend.faults.configure(data.get("rules"), seed=data.get("seed"))
        elif action == "reset":
            service = data.pop("service", None)
            if data:
                raise ValueError(f"reset takes 'service' (optional), not {sorted(data)}")
            if service is None:
                from moto.core.base_backend import BackendDict

                BackendDict.reset()
            elif service == "ssm-incidents":
                from .models import ssmincidents_backends

                for account_backends in list(ssmincidents_backends.values()):
                    account_backends.reset()
            else:
                raise ValueError(f"reset takes service 'ssm-incidents' (or none: every service), not {service!r}")
            return 200, {"reset": service or "every service"}
        else:
            return 404, {"message": f"unknown control path {CONTROL_PREFIX}{action}"}
        return 200, describe_backend(account)


def describe_backend(account_id: str = DEFAULT_ACCOUNT_ID) -> dict[str, Any]:
    """The clock, options and faults of one account's backend, as JSON-ready data."""
    backend = get_backend(account_id)
    return {
        "account_id": account_id,
        "clock": {"now": backend.clock.now().isoformat(), "virtual": backend.clock.is_virtual},
        "options": vars(backend.options).copy(),
        "faults": backend.faults.describe(),
        "incident_records": len(backend.incident_records),
        "response_plans": len(backend.response_plans),
    }


def create_app() -> ControlMiddleware:
    """moto's WSGI application with ssm-incidents registered and the control API in front."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    register()
    check_registration()
    return ControlMiddleware(DomainDispatcherApplication(create_backend_app))


class EmulatorServer:
    """A served emulator on a background thread; ``port=0`` picks a free port.

    Examples
    --------
    >>> server = EmulatorServer(port=0).start()
    >>> server.endpoint_url.startswith("http://127.0.0.1:")
    True
    >>> server.stop()
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 5000, *, allow_remote: bool = False, quiet: bool = False):
        if not is_loopback(host) and not allow_remote:
            raise UnsafeEndpointError(
                f"refusing to serve on {host!r}: it is not a loopback address. "
                "Pass allow_remote=True (--allow-remote) to serve beyond this machine."
            )
        self.host = host
        self.port = port
        self.quiet = quiet  # no request log lines (a game day's own server)
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _make_server(self) -> Any:
        from werkzeug.serving import WSGIRequestHandler, make_server

        class QuietHandler(WSGIRequestHandler):
            def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
                pass

        handler = QuietHandler if self.quiet else None
        server = make_server(self.host, self.port, create_app(), threaded=True, request_handler=handler)
        self.port = server.server_port
        return server

    def start(self) -> EmulatorServer:
        self._server = self._make_server()
        self._thread = threading.Thread(target=self._server.serve_forever, name="incidentsim-serve", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve on this thread until interrupted."""
        self._server = self._make_server()
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class EmulatorControl:
    """Client of a served emulator's control API (clock, options, faults, reset).

    Examples
    --------
    >>> with EmulatorServer(port=0) as server:
    ...     control = EmulatorControl(server.endpoint_url)
    ...     control.set_clock("2024-05-01T12:00:00Z")["clock"]["now"]
    '2024-05-01T12:00:00+00:00'
    """

    def __init__(self, endpoint_url: str, account_id: str = DEFAULT_ACCOUNT_ID, *, allow_remote: bool = False):
        self.endpoint_url = check_endpoint(endpoint_url, allow_remote).rstrip("/")
        self.account_id = account_id

    def _call(self, action: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        url = f"{self.endpoint_url}{CONTROL_PREFIX}{action}"
        if payload is None:
            request = urllib.request.Request(f"{url}?account_id={self.account_id}")
        else:
            body = json.dumps({"account_id": self.account_id, **payload}, default=str).encode()
            request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback checked
                return dict(json.loads(response.read()))
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")
            raise ValueError(f"{url} answered {error.code}: {detail}") from None

    def state(self) -> dict[str, Any]:
        return self._call("state")

    def set_clock(self, when: datetime | str | None) -> dict[str, Any]:
        value = when.isoformat() if isinstance(when, datetime) else when
        return self._call("clock", {"time": value})

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        return self._call("clock", {"advance_s": seconds})

    def configure(self, **options: Any) -> dict[str, Any]:
        return self._call("options", options)

    def set_faults(self, rules: dict[str, Any] | None, seed: int | None = None) -> dict[str, Any]:
        return self._call("faults", {"rules": rules or {}, "seed": seed})

    def reset(self, service: str | None = None) -> dict[str, Any]:
        """Forget every resource of every service, or of ``service="ssm-incidents"`` only."""
        return self._call("reset", {"service": service} if service else {})
