"""An AWS Systems Manager Incident Manager (``ssm-incidents``) service for moto.

Importing this package changes nothing in moto. The service is registered with
moto by an explicit, idempotent call: :class:`mock_incidents`, :func:`make_client`
and the server (``incidentsim serve``) make it themselves; under a plain
``moto.mock_aws()``, call :func:`register` first, and ``boto3.client("ssm-incidents")``
answers from the emulator:

>>> import boto3, moto
>>> import incidentsim.emulator
>>> incidentsim.emulator.register()
>>> with moto.mock_aws():
...     boto3.client("ssm-incidents", region_name="us-east-1").list_response_plans()["responsePlanSummaries"]
[]

Examples
--------
>>> import incidentsim.emulator as emulator
>>> with emulator.mock_incidents() as mock:
...     client = mock.client()
...     plan = client.create_response_plan(
...         name="payments", incidentTemplate={"title": "Payments degraded", "impact": 3})
...     started = client.start_incident(responsePlanArn=plan["arn"])
...     record = client.get_incident_record(arn=started["incidentRecordArn"])["incidentRecord"]
...     record["status"], record["impact"]
('OPEN', 3)
"""

from .clock import EmulatorClock
from .core import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_REGION,
    THROWAWAY_CREDENTIALS,
    EmulatorNotAnsweringError,
    UnsafeEndpointError,
    check_endpoint,
    get_backend,
    is_loopback,
    make_client,
    mock_incidents,
)
from .exceptions import (
    ConflictException,
    InternalServerException,
    ResourceNotFoundException,
    ThrottlingException,
    ValidationException,
)
from .faults import FaultInjector, FaultRule
from .models import EmulatorOptions, SSMIncidentsBackend, StartIncidentOutcome, ssmincidents_backends
from .registration import RegistrationError, check_registration, register

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_REGION",
    "ConflictException",
    "EmulatorClock",
    "EmulatorNotAnsweringError",
    "EmulatorOptions",
    "FaultInjector",
    "FaultRule",
    "InternalServerException",
    "RegistrationError",
    "ResourceNotFoundException",
    "SSMIncidentsBackend",
    "THROWAWAY_CREDENTIALS",
    "StartIncidentOutcome",
    "ThrottlingException",
    "UnsafeEndpointError",
    "ValidationException",
    "check_endpoint",
    "check_registration",
    "get_backend",
    "is_loopback",
    "make_client",
    "mock_incidents",
    "register",
    "ssmincidents_backends",
]
