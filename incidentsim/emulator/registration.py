"""Plugs the ssm-incidents backend into moto's service index.

moto finds a service in two places: ``moto.backend_index.backend_url_patterns``
(which host belongs to which service, used by the in-process mock and the
server alike) and ``moto.backends.get_backend(name)``, which imports
``moto.<name>`` and reads ``<name>_backends`` from it.  Registration adds the
URL patterns and makes this package importable as ``moto.ssmincidents``.
Nothing registers at import: :func:`register` is called explicitly (by
``mock_incidents``, ``make_client``, the server, or a user of a plain
``moto.mock_aws()``).  It is idempotent; :func:`check_registration` proves both lookups answer with
this emulator and fails loudly if moto's internals have moved.
"""

from __future__ import annotations

import re
import sys
import threading

SERVICE_NAME = "ssm-incidents"
MODULE_NAME = "moto.ssmincidents"

_lock = threading.Lock()


class RegistrationError(RuntimeError):
    """moto's service index no longer looks the way the emulator plugs into it."""


def register() -> None:
    """Make ``boto3.client("ssm-incidents")`` answer from this emulator under any moto mock.

    Importing :mod:`incidentsim.emulator` does not register anything: :class:`mock_incidents`,
    :func:`make_client` and the server call this themselves. Call it before a plain
    ``moto.mock_aws()`` (or moto's server started another way) that should serve
    ``ssm-incidents``. Calling it again does nothing.

    Raises
    ------
    RegistrationError
        If moto's service index no longer looks the way the emulator plugs into it, or
        ``moto.ssmincidents`` is already another module.

    Examples
    --------
    >>> import boto3, moto
    >>> import incidentsim.emulator
    >>> incidentsim.emulator.register()
    >>> with moto.mock_aws():
    ...     client = boto3.client("ssm-incidents", region_name="us-east-1")
    ...     client.create_response_plan(name="web", incidentTemplate={"title": "Web down", "impact": 2})["arn"]
    'arn:aws:ssm-incidents::123456789012:response-plan/web'
    """
    with _lock:
        try:
            from moto import backend_index
        except ImportError as error:  # pragma: no cover - depends on the installed moto
            raise RegistrationError(f"moto.backend_index is missing ({error}); moto's layout changed") from error
        from . import urls

        package = sys.modules[__package__]
        current = sys.modules.get(MODULE_NAME)
        if current is not None and current is not package:
            raise RegistrationError(f"{MODULE_NAME} is already taken by {current!r}")
        sys.modules[MODULE_NAME] = package

        patterns = getattr(backend_index, "backend_url_patterns", None)
        if not isinstance(patterns, list):
            raise RegistrationError("moto.backend_index.backend_url_patterns is no longer a list")
        known = {(name, pattern.pattern) for name, pattern in patterns}
        for base in urls.url_bases:
            if (SERVICE_NAME, base) not in known:
                patterns.append((SERVICE_NAME, re.compile(base)))


def check_registration() -> None:
    """Raise :class:`RegistrationError` unless moto routes ssm-incidents to this emulator."""
    from moto import backends
    from moto.backend_index import backend_url_patterns

    from .models import ssmincidents_backends

    url = "https://ssm-incidents.us-east-1.amazonaws.com/startIncident"
    service = next((name for name, pattern in backend_url_patterns if pattern.match(url)), None)
    if service != SERVICE_NAME:
        raise RegistrationError(f"moto routes {url} to {service!r}, not to the ssm-incidents emulator")
    if backends.get_backend(SERVICE_NAME) is not ssmincidents_backends:  # type: ignore[call-overload]
        raise RegistrationError("moto.backends.get_backend('ssm-incidents') does not return the emulator's backends")
