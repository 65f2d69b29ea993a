"""Safe clients and the ``mock_incidents`` context manager.

Nothing here can reach real AWS by accident:

* clients are built with throw-away credentials, never the user's;
* a request that no moto mock answered, and whose endpoint is not loopback,
  is refused before it is sent (:class:`UnsafeEndpointError`);
* every answer must carry the emulator's header, so a mis-registered mock that
  lets a call through to something else fails loudly
  (:class:`EmulatorNotAnsweringError`) instead of paging real people.
"""

from __future__ import annotations

import functools
import ipaddress
import threading
from collections.abc import Callable
from numbers import Integral
from typing import Any, TypeVar
from urllib.parse import urlparse

import boto3
from botocore.config import Config

from ..params import Interval
from .models import SSMIncidentsBackend, ssmincidents_backends
from .registration import check_registration, register
from .responses import EMULATOR_HEADER

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
THROWAWAY_CREDENTIALS = {
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
    "aws_session_token": "testing",
}

F = TypeVar("F", bound=Callable[..., Any])

_SESSIONS = threading.local()


def throwaway_session() -> boto3.session.Session:
    """This thread's boto3 session with the throw-away credentials.

    botocore reads its data files (endpoints, the service model) once per session; a
    client made from a session that has read them takes a few tens of milliseconds instead
    of about half a second.  Sessions are not thread-safe, so each thread has its own.
    """
    session = getattr(_SESSIONS, "session", None)
    if session is None:
        session = _SESSIONS.session = boto3.session.Session(**THROWAWAY_CREDENTIALS)
    return session


class UnsafeEndpointError(RuntimeError):
    """A request was about to leave this machine for an endpoint that is not loopback."""


class EmulatorNotAnsweringError(RuntimeError):
    """A response came back without the emulator's header: something else answered."""


def is_loopback(host: str | None) -> bool:
    """True for ``localhost`` and addresses in 127.0.0.0/8 or ``::1``."""
    if not host:
        return False
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


#: What a server's ``port`` may be: a TCP port, 0 asking the system for a free one.
PORT = Interval(Integral, 0, 65535)


def serving_host(host: str, allow_remote: bool = False, what: str = "serve") -> str:
    """``host`` as a server binds it (``[::1]`` unbracketed); an address that is not loopback only
    with ``allow_remote``, else :class:`UnsafeEndpointError` (``what`` names the server in it)."""
    host = host.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]  # "[::1]", as written in a URL
    if not is_loopback(host) and not allow_remote:
        raise UnsafeEndpointError(
            f"refusing to {what} on {host!r}: it is not a loopback address. "
            "Pass allow_remote=True (--allow-remote) to serve beyond this machine."
        )
    return host


def check_endpoint(endpoint_url: str, allow_remote: bool = False) -> str:
    """Return ``endpoint_url`` if it is safe to call, else raise :class:`UnsafeEndpointError`."""
    parsed = urlparse(endpoint_url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise UnsafeEndpointError(f"endpoint URL {endpoint_url!r} must look like http://127.0.0.1:5000")
    if not allow_remote and not is_loopback(parsed.hostname):
        raise UnsafeEndpointError(
            f"endpoint URL {endpoint_url!r} is not on this machine (loopback); "
            "pass allow_remote=True (--allow-remote on the command line) if you really mean it"
        )
    return endpoint_url


def _mock_active() -> bool:
    """True while a moto mock intercepts botocore requests in this process."""
    from moto.core.models import botocore_stubber

    return bool(getattr(botocore_stubber, "enabled", False))


def _refuse_unanswered(request: Any, **_: Any) -> None:
    # botocore emits before-send to every handler; moto's stub answers when a mock
    # is active, and this guard lets nothing else leave the machine.
    host = urlparse(request.url).hostname
    if not is_loopback(host) and not _mock_active():
        raise UnsafeEndpointError(
            f"refusing to send {request.url}: no moto mock answered it and it would leave this machine. "
            "Use incidentsim.mock_incidents() or an endpoint_url on 127.0.0.1."
        )


def _require_emulator(http_response: Any, model: Any = None, **_: Any) -> None:
    if http_response is not None and EMULATOR_HEADER not in http_response.headers:
        operation = getattr(model, "name", "the call")
        raise EmulatorNotAnsweringError(
            f"{operation} was answered by something other than the incidentsim emulator "
            f"(HTTP {http_response.status_code}, no {EMULATOR_HEADER} header)"
        )


def make_client(
    region_name: str = DEFAULT_REGION,
    endpoint_url: str | None = None,
    *,
    allow_remote: bool = False,
    config: Config | None = None,
) -> Any:
    """A boto3 ``ssm-incidents`` client that can only talk to the emulator.

    Without ``endpoint_url`` it works inside :func:`mock_incidents` (or a plain
    ``moto.mock_aws()``); with one, the endpoint must be loopback unless
    ``allow_remote`` is set.

    Examples
    --------
    >>> with mock_incidents():
    ...     client = make_client()
    ...     client.list_response_plans()["responsePlanSummaries"]
    []
    """
    register()
    if endpoint_url is not None:
        check_endpoint(endpoint_url, allow_remote)
    client = throwaway_session().client(
        "ssm-incidents", region_name=region_name, endpoint_url=endpoint_url, config=config
    )
    return guard_client(client, allow_remote=allow_remote)


def guard_client(client: Any, *, allow_remote: bool = False) -> Any:
    """Add the two safety checks to an ssm-incidents client (idempotent): refuse to send a
    request nobody local answers, and fail when an answer is not the emulator's."""
    if not allow_remote:
        client.meta.events.register_last("before-send", _refuse_unanswered, unique_id="incidentsim-refuse-unanswered")
    client.meta.events.register_last(
        "after-call.ssm-incidents", _require_emulator, unique_id="incidentsim-require-emulator"
    )
    return client


def get_backend(account_id: str = DEFAULT_ACCOUNT_ID, partition: str = "aws") -> SSMIncidentsBackend:
    """The in-process backend of one account: its clock, faults, options and data."""
    return ssmincidents_backends[account_id][partition]


class mock_incidents:  # noqa: N801 - named like moto's mock_aws, which it wraps
    """Run code against the emulator: a context manager and a decorator around ``moto.mock_aws``.

    Every other moto service is mocked too.  Each ``with`` block starts from an
    empty account.  Entering registers the service with moto (:func:`register`) and adds
    ``DescribeAlarmHistory`` to moto's CloudWatch (:func:`incidentsim.moto_cloudwatch.register`);
    both are idempotent.

    Parameters
    ----------
    **options
        Emulator options applied to the default account on entry (see
        :class:`incidentsim.emulator.EmulatorOptions`).

    Examples
    --------
    >>> from incidentsim.emulator import mock_incidents
    >>> with mock_incidents(dedupe_scope="response_plan") as mock:
    ...     client = mock.client()
    ...     arn = client.create_response_plan(
    ...         name="web", incidentTemplate={"title": "Web down", "impact": 2})["arn"]
    ...     first = client.start_incident(responsePlanArn=arn)["incidentRecordArn"]
    ...     mock.backend.options.dedupe_scope
    'response_plan'
    """

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._mock: Any = None

    def __enter__(self) -> mock_incidents:
        from moto import mock_aws

        from .. import moto_cloudwatch

        register()
        check_registration()
        moto_cloudwatch.register()
        self._mock = mock_aws()
        self._mock.start()
        if self._options:
            self.backend.configure(**self._options)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._mock is not None:
            self._mock.stop()
            self._mock = None

    def __call__(self, func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with mock_incidents(**self._options):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    def client(self, region_name: str = DEFAULT_REGION, config: Config | None = None) -> Any:
        """A guarded ssm-incidents client for this mock."""
        return make_client(region_name, config=config)

    @property
    def backend(self) -> SSMIncidentsBackend:
        """The default account's backend (see :func:`get_backend` for others)."""
        return get_backend()
