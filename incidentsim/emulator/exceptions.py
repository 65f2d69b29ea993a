"""Errors of the ssm-incidents emulator, one class per error shape of the service model.

Each class carries only its code; moto's serializer looks the shape up in the
botocore model and sends the modelled HTTP status (400, 404, 409, 429, 500, ...),
the ``__type`` body member and the ``x-amzn-ErrorType`` header.
"""

from __future__ import annotations

from typing import Any

from moto.core.exceptions import ServiceException

SERVICE_CODE = "ssm-incidents"


class IncidentsError(ServiceException):
    """Base class of every error the emulator sends."""


class ValidationException(IncidentsError):
    code = "ValidationException"


class ResourceNotFoundException(IncidentsError):
    code = "ResourceNotFoundException"

    def __init__(self, message: str, resource_identifier: str, resource_type: str):
        super().__init__(message)
        self.resourceIdentifier = resource_identifier
        self.resourceType = resource_type


class ConflictException(IncidentsError):
    code = "ConflictException"

    def __init__(
        self,
        message: str,
        resource_identifier: str | None = None,
        resource_type: str | None = None,
    ):
        super().__init__(message)
        if resource_identifier is not None:
            self.resourceIdentifier = resource_identifier
        if resource_type is not None:
            self.resourceType = resource_type


class ThrottlingException(IncidentsError):
    code = "ThrottlingException"

    def __init__(self, message: str = "Rate exceeded", quota_code: str = "L-START-INCIDENT"):
        super().__init__(message)
        self.quotaCode = quota_code
        self.serviceCode = SERVICE_CODE


class InternalServerException(IncidentsError):
    code = "InternalServerException"


class AccessDeniedException(IncidentsError):
    code = "AccessDeniedException"


class ServiceQuotaExceededException(IncidentsError):
    code = "ServiceQuotaExceededException"

    def __init__(self, message: str, quota_code: str, **kwargs: Any):
        super().__init__(message)
        self.quotaCode = quota_code
        self.serviceCode = SERVICE_CODE
        for key, value in kwargs.items():
            setattr(self, key, value)


def not_found(kind: str, resource_type: str, identifier: str) -> ResourceNotFoundException:
    """The 404 for a missing resource, worded as the service words it."""
    return ResourceNotFoundException(
        f"{kind} {identifier} not found", resource_identifier=identifier, resource_type=resource_type
    )
