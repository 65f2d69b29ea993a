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

Bad control input is a 400 naming it; requests a web page could make (a foreign ``Host`` or
``Origin``, a POST that is not ``application/json``) are refused: see :class:`ControlMiddleware`.
"""

from __future__ import annotations

import io
import ipaddress
import json
import math
import re
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from datetime import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from ..params import check_params
from .core import PORT, DEFAULT_ACCOUNT_ID, check_endpoint, get_backend, serving_host
from .registration import check_registration, register

CONTROL_PREFIX = "/_incidentsim/"

StartResponse = Callable[..., Any]


#: How far one ``advance_s`` may move the clock (a hundred years, in seconds).
MAX_ADVANCE_S = 100 * 366 * 86400.0
#: What moto's own API on the served endpoint is reached under.
MOTO_API_PREFIX = "/moto-api/"
#: Content types a web page can send across origins without asking first (a "simple" request).
_SIMPLE_TYPES = ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data")


class ControlError(ValueError):
    """A control request that cannot be used; ``status`` is the HTTP status it is answered with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def _parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ControlError(f"'time' must be an ISO 8601 time such as 2024-05-01T12:00:00Z or null, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ControlError(f"'time' must be an ISO 8601 time such as 2024-05-01T12:00:00Z, got {value!r}") from None
    return parsed


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ControlError(f"'advance_s' must be a number of seconds, got {value!r}")
    if abs(value) > MAX_ADVANCE_S:
        raise ControlError(
            f"'advance_s' moves the clock at most {MAX_ADVANCE_S:.0f} s (a hundred years) at a time, got {value!r}"
        )
    return float(value)


def _host_name(host: str) -> str:
    """The name part of a ``Host`` or ``Origin`` authority: ``[::1]:5000`` -> ``::1``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class ControlMiddleware:
    """Answers ``/_incidentsim/*`` itself and passes everything else to moto.

    The control API and moto's ``/moto-api/`` reset and reconfigure the whole endpoint, so both
    answer only requests a web page in the user's browser cannot make: the ``Host`` must be the
    server's own address (a loopback address or ``localhost``; any IP address when the server was
    started with ``allow_remote``), which defeats DNS rebinding; an ``Origin``, which browsers
    send with every cross-origin request, must name the same host; and a control POST must be
    ``application/json`` (a page can send ``text/plain`` or a form to another origin without
    asking; moto's API refuses those types too).  Requests to ssm-incidents larger than
    :data:`~incidentsim.emulator.responses.MAX_BODY_BYTES` are refused before they are read.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]], *, allow_remote: bool = False, hosts: Iterable[str] = ()):
        self.app = app
        self.allow_remote = allow_remote
        self.hosts = {h.strip("[]").lower() for h in hosts}

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        control = path.startswith(CONTROL_PREFIX)
        if not control and not path.startswith(MOTO_API_PREFIX):
            too_large = self._too_large(environ)
            if too_large:
                return _answer(
                    start_response,
                    400,
                    {"__type": "ValidationException", "message": too_large},
                    [("x-amzn-ErrorType", "ValidationException")],
                )
            return self.app(environ, start_response)
        try:
            self._check_caller(environ, json_post=control)
            if not control:
                return self.app(environ, start_response)
            status, payload = self._handle(path[len(CONTROL_PREFIX) :], environ)
        except ControlError as error:
            status, payload = error.status, {"message": str(error)}
        except (ValueError, TypeError) as error:
            status, payload = 400, {"message": str(error)}
        return _answer(start_response, status, payload)

    def _allowed_host(self, name: str) -> bool:
        if name in ("localhost", "localhost.localdomain") or name in self.hosts:
            return True
        if not _is_ip(name):
            return False
        return self.allow_remote or ipaddress.ip_address(name).is_loopback

    def _check_caller(self, environ: dict[str, Any], json_post: bool) -> None:
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        if not self._allowed_host(_host_name(host)):
            raise ControlError(f"Host {host!r} is not this server's address; the control API answers only its own", 403)
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None:
            authority = origin.split("://", 1)[-1]
            if origin == "null" or not self._allowed_host(_host_name(authority)):
                raise ControlError(f"requests from the web page at {origin!r} are refused", 403)
        if environ.get("REQUEST_METHOD", "GET") in ("GET", "HEAD", "OPTIONS"):
            return
        content_type = str(environ.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
        if json_post and content_type != "application/json":
            raise ControlError(
                f"control requests must be sent as Content-Type application/json, not {content_type or 'none'!r}", 415
            )
        if content_type in _SIMPLE_TYPES:
            raise ControlError(f"moto's API does not take Content-Type {content_type} on this endpoint", 415)

    @staticmethod
    def _too_large(environ: dict[str, Any]) -> str | None:
        """Why an ssm-incidents request is too large to read, or None."""
        credential = str(environ.get("HTTP_AUTHORIZATION", ""))
        if "/ssm-incidents/" not in credential and not str(environ.get("HTTP_HOST", "")).startswith("ssm-incidents."):
            return None
        from .responses import MAX_BODY_BYTES

        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return "The request's Content-Length is not a number"
        if length > MAX_BODY_BYTES:
            return f"The request body is {length} bytes; at most {MAX_BODY_BYTES} are accepted"
        if not length and "chunked" in str(environ.get("HTTP_TRANSFER_ENCODING", "")).lower():
            body = environ["wsgi.input"].read(MAX_BODY_BYTES + 1)
            if len(body) > MAX_BODY_BYTES:
                return f"The request body is more than {MAX_BODY_BYTES} bytes; at most {MAX_BODY_BYTES} are accepted"
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return None

    @staticmethod
    def _read_json(environ: dict[str, Any]) -> dict[str, Any]:
        from .responses import MAX_BODY_BYTES, read_json_body

        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise ControlError("the request's Content-Length is not a number") from None
        if length > MAX_BODY_BYTES:
            raise ControlError(f"the request body is {length} bytes; at most {MAX_BODY_BYTES} are accepted")
        raw = environ["wsgi.input"].read(length) if length else b""
        if not raw:
            return {}
        try:
            data = read_json_body(raw, "the request body")
        except ValueError as error:
            raise ControlError(str(error)) from None
        if not isinstance(data, dict):
            raise ControlError("the request body must be a JSON object")
        return data

    def _handle(self, action: str, environ: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        method = environ.get("REQUEST_METHOD", "GET")
        if action == "state":
            query = parse_qs(environ.get("QUERY_STRING", ""))
            account = _account(query.get("account_id", [DEFAULT_ACCOUNT_ID])[0])
            return 200, describe_backend(account)
        if action not in ("clock", "options", "faults", "reset"):
            return 404, {"message": f"unknown control path {CONTROL_PREFIX}{action}"}
        if method != "POST":
            return 405, {"message": f"{CONTROL_PREFIX}{action} takes POST"}
        data = self._read_json(environ)
        account = _account(data.pop("account_id", DEFAULT_ACCOUNT_ID))
        if action == "reset":
            return 200, _reset(data)
        backend = get_backend(account)
        if action == "clock":
            if set(data) - {"time", "advance_s"} or len(data) != 1:
                raise ControlError(f"clock takes one of 'time' (ISO 8601 or null) and 'advance_s', got {sorted(data)}")
            if "advance_s" in data:
                seconds = _seconds(data["advance_s"])
                try:
                    backend.clock.advance(seconds)
                except OverflowError:
                    raise ControlError(f"advancing the clock by {seconds} s leaves the years 1-9999") from None
            elif data["time"] is None:
                backend.clock.use_wall_clock()
            else:
                backend.clock.set(_parse_time(data["time"]))
        elif action == "options":
            backend.configure(**data)
        else:
            unknown = set(data) - {"rules", "seed"}
            if unknown:
                raise ControlError(f"faults takes 'rules' and 'seed', not {sorted(unknown)}")
            backend.faults.configure(data.get("rules"), seed=_seed(data.get("seed")))
        return 200, describe_backend(account)


def _answer(
    start_response: StartResponse, status: int, payload: dict[str, Any], headers: Iterable[tuple[str, str]] = ()
) -> list[bytes]:
    body = json.dumps(payload, default=str).encode()
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body))), *headers],
    )
    return [body]


def _account(value: Any) -> str:
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not re.fullmatch(r"\d{12}", text):
        raise ControlError(f"'account_id' must be twelve digits, got {value!r}")
    return text


def _seed(value: Any) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ControlError(f"'seed' must be a whole number or null, got {value!r}")
    return value


def _reset(data: dict[str, Any]) -> dict[str, Any]:
    service = data.pop("service", None)
    if data:
        raise ControlError(f"reset takes 'service' (optional), not {sorted(data)}")
    if service is None:
        from moto.core.base_backend import BackendDict

        BackendDict.reset()
    elif service == "ssm-incidents":
        from .models import ssmincidents_backends

        for account_backends in list(ssmincidents_backends.values()):
            account_backends.reset()
    else:
        raise ControlError(f"reset takes service 'ssm-incidents' (or none: every service), not {service!r}")
    return {"reset": service or "every service"}


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


def create_app(*, allow_remote: bool = False, hosts: Iterable[str] = ()) -> ControlMiddleware:
    """moto's WSGI application with ssm-incidents registered and the control API in front.

    Registers the service with moto and adds ``DescribeAlarmHistory`` to moto's CloudWatch
    (:func:`incidentsim.moto_cloudwatch.register`), both idempotently, so that
    ``incidentsim capture --endpoint-url`` can read alarm history from the served endpoint.

    ``hosts`` are host names, besides loopback addresses and ``localhost``, that the control API
    answers to (the name a server bound with ``allow_remote`` is reached by).
    """
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from .. import moto_cloudwatch

    register()
    check_registration()
    moto_cloudwatch.register()
    return ControlMiddleware(DomainDispatcherApplication(create_backend_app), allow_remote=allow_remote, hosts=hosts)


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
        host = serving_host(host, allow_remote)
        check_params({"port": port}, {"port": [PORT]}, "EmulatorServer")
        self.host = host
        self.port = port
        self.allow_remote = allow_remote
        self.quiet = quiet  # no request log lines (a game day's own server)
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def bind(self) -> EmulatorServer:
        """Bind the address (``port=0`` picks a free port, then :attr:`port` is the one picked).

        Raises OSError (the address is in use, or not one of this machine's) before anything is served.
        """
        if self._server is None:
            from werkzeug.serving import WSGIRequestHandler, make_server

            class QuietHandler(WSGIRequestHandler):
                def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
                    pass

            handler = QuietHandler if self.quiet else None
            app = create_app(allow_remote=self.allow_remote, hosts=[self.host])
            # bind here, so an address in use is an OSError to the caller (werkzeug would exit the process)
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            with socket.socket(family, socket.SOCK_STREAM) as listener:
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                listener.bind((self.host, self.port))
                listener.listen(128)
                self._server = make_server(
                    self.host, self.port, app, threaded=True, request_handler=handler, fd=listener.fileno()
                )
            self.port = int(self._server.port)
        return self

    def start(self) -> EmulatorServer:
        self.bind()
        self._thread = threading.Thread(target=self._server.serve_forever, name="incidentsim-serve", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve on this thread until interrupted."""
        self.bind()
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()
            self._server = None

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
