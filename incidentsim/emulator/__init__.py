"""An AWS Systems Manager Incident Manager (``ssm-incidents``) service for moto.

Importing this package registers the service with moto, so that
``boto3.client("ssm-incidents")`` answers from the emulator inside
:class:`mock_incidents` or a plain ``moto.mock_aws()``.

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
from . import cloudwatch_history
from .registration import RegistrationError, check_registration, register

register()
cloudwatch_history.register()

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
