"""Handles incoming ssm-incidents requests: validate, call the backend, wrap the result.

Parsing and serialization are moto's, driven by botocore's service model; this
module adds the checks the service makes before an operation runs (model-driven
validation, injected faults) and maps each operation onto the backend.
"""

from __future__ import annotations

import functools
import json
import re
import time
from typing import Any
from urllib.parse import parse_qs, unquote

from botocore.model import ServiceModel
from moto.core.responses import ActionResult, BaseResponse, EmptyResult
from moto.core.utils import camelcase_to_underscores

from .exceptions import (
    IncidentsError,
    InternalServerException,
    ThrottlingException,
    ValidationException,
)
from .models import SSMIncidentsBackend, ssmincidents_backends
from ..rules import botocore_model
from .validation import validate_request, wire_params

EMULATOR_HEADER = "x-incidentsim-emulator"
OUTCOME_HEADER = "x-incidentsim-outcome"

#: The largest request body accepted.  The largest request the model allows (a response plan with every
#: list at its maximum) is a few tens of kilobytes.
MAX_BODY_BYTES = 1 << 20
#: The deepest JSON nesting accepted.  The model's deepest member path is under ten levels.
MAX_DEPTH = 32
#: Content types the service's parser cannot read as JSON (it is restJson1 only).
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_FORM_REFUSED = "Content-Type {} is not accepted: send the request body as application/json"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def read_json_body(raw: bytes | str, where: str = "The request body") -> Any:
    """A request body as JSON, or ValueError with the service's kind of sentence.

    Refuses what would otherwise crash a reader further on: bodies over
    :data:`MAX_BODY_BYTES`, bytes that are not UTF-8, ``NaN`` and ``Infinity``,
    and nesting deeper than :data:`MAX_DEPTH`.
    """
    if len(raw) > MAX_BODY_BYTES:
        raise ValueError(f"{where} is {len(raw)} bytes; at most {MAX_BODY_BYTES} are accepted")
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(f"{where} is not valid UTF-8 (byte {error.start})") from None
    try:
        data = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValueError(f"{where} nests deeper than {MAX_DEPTH} levels") from None
    except ValueError as error:
        raise ValueError(f"{where} is not valid JSON: {error}") from None
    if _depth_over(data, MAX_DEPTH):
        raise ValueError(f"{where} nests deeper than {MAX_DEPTH} levels")
    return data


@functools.lru_cache(maxsize=1)
def _routes() -> tuple[tuple[str, re.Pattern[str], str], ...]:
    """(method, path pattern, operation) for every operation of the model."""
    routes = []
    for name in botocore_model().operation_names:
        http = botocore_model().operation_model(name).http
        path = http["requestUri"].split("?")[0]
        pattern = ".+".join(re.escape(part) for part in re.split(r"\{[^}]+\}", path))
        routes.append((http["method"], re.compile(pattern + "$", re.DOTALL), name))
    return tuple(routes)


def _operation_by_path(method: str, path: str) -> str | None:
    for route_method, pattern, name in _routes():
        if route_method == method and pattern.match(path):
            return name
    return None


def _depth_over(data: Any, limit: int) -> bool:
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = list(value.values())
        elif not isinstance(value, list):
            continue
        if depth > limit:
            return True
        stack.extend((item, depth + 1) for item in value if isinstance(item, (dict, list)))
    return False


class SSMIncidentsResponse(BaseResponse):
    """One instance per request, as moto's responses are."""

    def __init__(self) -> None:
        super().__init__(service_name="ssm-incidents")
        # Parameters are parsed in call_action, after validation, so a malformed
        # request is answered with ValidationException rather than a crash.
        self.automated_parameter_parsing = False

    def setup_class(
        self, request: Any, full_url: str | None = None, headers: Any = None, use_raw_body: bool | None = None
    ) -> None:
        # The body is kept as bytes and decoded in _validate, so bytes that are not UTF-8 are
        # a ValidationException instead of an error inside moto's request setup.
        super().setup_class(request, full_url, headers, use_raw_body=True)

    def _get_action(self) -> str:
        # The operation is the one the method and path route to; an ``Action`` in the query string or in
        # a form body (what moto's query-protocol services read) does not choose it.
        operation = self._get_action_from_method_and_request_uri(self.normalized_request)
        if operation:
            return operation
        # moto's router also wants an operation's required query-string members; an operation whose
        # method and path match is still that operation (validation then names what is missing)
        return _operation_by_path(self.normalized_request.method, self.parsed_url.path) or ""

    def determine_response_protocol(self, service_model: ServiceModel) -> str:
        # ssm-incidents speaks restJson1 only; answer in it whatever Content-Type the request claimed.
        return "rest-json"

    @property
    def backend(self) -> SSMIncidentsBackend:
        return ssmincidents_backends[self.current_account][self.partition]

    def call_action(self) -> Any:
        self.response_headers[EMULATOR_HEADER] = "ssm-incidents"
        operation = self._get_action()
        if not operation:
            if self._content_type() in _FORM_TYPES:
                return self._error(ValidationException(_FORM_REFUSED.format(self._content_type())))
            return self._unknown_operation()
        backend = self.backend
        fault = backend.faults.draw(operation)
        rule = backend.faults.rule_for(operation)
        if rule is not None and rule.latency_s:
            time.sleep(rule.latency_s)
        try:
            if fault == "throttle":
                raise ThrottlingException(f"Rate exceeded for {operation} (injected fault)")
            if fault == "server_error":
                raise InternalServerException(f"Internal error in {operation} (injected fault)")
            self._validate(operation)
        except IncidentsError as error:
            return self._error(error)
        self.automated_parameter_parsing = True
        try:
            self.parse_parameters(self.normalized_request)
        except (ValueError, TypeError, OverflowError, RuntimeError) as error:
            # validation passed but moto's parser still could not read a member (a safety net: the
            # validator's checks are meant to catch these first)
            return self._error(ValidationException(f"The request could not be read: {error}"))
        status, headers, body = super().call_action()
        if fault == "commit_then_fail" and int(status) < 300:
            return self._error(InternalServerException(f"Internal error after {operation} committed (injected fault)"))
        return status, headers, body

    def _validate(self, operation: str) -> None:
        operation_model = self._service_model().operation_model(operation)
        raw = self.body
        if self._content_type() in _FORM_TYPES:
            raise ValidationException(_FORM_REFUSED.format(self._content_type()))
        body: Any = {}
        if raw:
            try:
                body = read_json_body(raw)
            except ValueError as error:
                raise ValidationException(str(error)) from None
            if not isinstance(body, dict):
                raise ValidationException("The request body must be a JSON object")
        shape = operation_model.input_shape
        for name in body:
            member = shape.members.get(name) if shape is not None else None
            location = member.serialization.get("location") if member is not None else None
            if location is not None:
                raise ValidationException(f"Member '{name}' belongs in the request's {location}, not in its body")
        query = parse_qs(self.parsed_url.query, keep_blank_values=True)
        uri = {k: unquote(str(v)) for k, v in (self.uri_match or {}).items()}
        message = validate_request(operation_model, wire_params(operation_model, body, query, uri))
        if message:
            raise ValidationException(message)

    def _unknown_operation(self) -> Any:
        """The JSON 404 restJson1 services answer for a method and path no operation has."""
        message = f"No ssm-incidents operation is {self.normalized_request.method} {self.parsed_url.path}"
        body = json.dumps({"__type": "UnknownOperationException", "message": message})
        headers = {
            **self.response_headers,
            "Content-Type": "application/json",
            "x-amzn-ErrorType": "UnknownOperationException",
            "status": "404",
        }
        return 404, headers, body

    def _content_type(self) -> str:
        return str(self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    def _service_model(self) -> ServiceModel:
        return botocore_model()

    def _error(self, error: IncidentsError) -> Any:
        status, headers, body = self.serialized(ActionResult(error))
        headers["status"] = str(status)
        headers, body = self._enrich_response(headers, body)
        return status, headers, body

    def _kwargs(self) -> dict[str, Any]:
        """The request's members as the backend method's keyword arguments."""
        return {camelcase_to_underscores(k): v for k, v in self.params.items()}

    # -------------------------------------------------------------- response plans

    def create_response_plan(self) -> ActionResult:
        plan = self.backend.create_response_plan(**self._kwargs())
        return ActionResult({"arn": plan.arn})

    def get_response_plan(self) -> ActionResult:
        return ActionResult(self.backend.get_response_plan(**self._kwargs()))

    def update_response_plan(self) -> ActionResult:
        self.backend.update_response_plan(**self._kwargs())
        return EmptyResult()

    def delete_response_plan(self) -> ActionResult:
        self.backend.delete_response_plan(**self._kwargs())
        return EmptyResult()

    def list_response_plans(self) -> ActionResult:
        plans, token = self.backend.list_response_plans(**self._kwargs())
        return ActionResult({"responsePlanSummaries": plans, "nextToken": token})

    # -------------------------------------------------------------- incident records

    def start_incident(self) -> ActionResult:
        outcome = self.backend.start_incident(**self._kwargs())
        self.response_headers[OUTCOME_HEADER] = outcome.outcome
        return ActionResult({"incidentRecordArn": outcome.record.arn})

    def get_incident_record(self) -> ActionResult:
        return ActionResult({"incidentRecord": self.backend.get_incident_record(**self._kwargs())})

    def update_incident_record(self) -> ActionResult:
        self.backend.update_incident_record(**self._kwargs())
        return EmptyResult()

    def delete_incident_record(self) -> ActionResult:
        self.backend.delete_incident_record(**self._kwargs())
        return EmptyResult()

    def list_incident_records(self) -> ActionResult:
        records, token = self.backend.list_incident_records(**self._kwargs())
        return ActionResult({"incidentRecordSummaries": records, "nextToken": token})

    # -------------------------------------------------------------- timeline events

    def create_timeline_event(self) -> ActionResult:
        event = self.backend.create_timeline_event(**self._kwargs())
        return ActionResult({"eventId": event.event_id, "incidentRecordArn": event.incident_record_arn})

    def get_timeline_event(self) -> ActionResult:
        return ActionResult({"event": self.backend.get_timeline_event(**self._kwargs())})

    def update_timeline_event(self) -> ActionResult:
        self.backend.update_timeline_event(**self._kwargs())
        return EmptyResult()

    def delete_timeline_event(self) -> ActionResult:
        self.backend.delete_timeline_event(**self._kwargs())
        return EmptyResult()

    def list_timeline_events(self) -> ActionResult:
        events, token = self.backend.list_timeline_events(**self._kwargs())
        return ActionResult({"eventSummaries": events, "nextToken": token})

    # -------------------------------------------------------------- related items

    def list_related_items(self) -> ActionResult:
        items, token = self.backend.list_related_items(**self._kwargs())
        return ActionResult({"relatedItems": items, "nextToken": token})

    def update_related_items(self) -> ActionResult:
        self.backend.update_related_items(**self._kwargs())
        return EmptyResult()

    # -------------------------------------------------------------- replication sets

    def create_replication_set(self) -> ActionResult:
        replication_set = self.backend.create_replication_set(**self._kwargs())
        return ActionResult({"arn": replication_set.arn})

    def get_replication_set(self) -> ActionResult:
        return ActionResult({"replicationSet": self.backend.get_replication_set(**self._kwargs())})

    def list_replication_sets(self) -> ActionResult:
        arns, token = self.backend.list_replication_sets(**self._kwargs())
        return ActionResult({"replicationSetArns": arns, "nextToken": token})

    def update_replication_set(self) -> ActionResult:
        self.backend.update_replication_set(**self._kwargs())
        return EmptyResult()

    def update_deletion_protection(self) -> ActionResult:
        self.backend.update_deletion_protection(**self._kwargs())
        return EmptyResult()

    def delete_replication_set(self) -> ActionResult:
        self.backend.delete_replication_set(**self._kwargs())
        return EmptyResult()

    # -------------------------------------------------------------- resource policies

    def put_resource_policy(self) -> ActionResult:
        policy_id = self.backend.put_resource_policy(**self._kwargs(), ram_resource_share_region=self.region)
        return ActionResult({"policyId": policy_id})

    def get_resource_policies(self) -> ActionResult:
        policies, token = self.backend.get_resource_policies(**self._kwargs())
        return ActionResult({"resourcePolicies": policies, "nextToken": token})

    def delete_resource_policy(self) -> ActionResult:
        self.backend.delete_resource_policy(**self._kwargs())
        return ActionResult({})

    # -------------------------------------------------------------- tags

    def list_tags_for_resource(self) -> ActionResult:
        return ActionResult({"tags": self.backend.list_tags_for_resource(**self._kwargs())})

    def tag_resource(self) -> ActionResult:
        self.backend.tag_resource(**self._kwargs())
        return EmptyResult()

    def untag_resource(self) -> ActionResult:
        self.backend.untag_resource(**self._kwargs())
        return EmptyResult()

    # -------------------------------------------------------------- findings

    def list_incident_findings(self) -> ActionResult:
        findings, token = self.backend.list_incident_findings(**self._kwargs())
        return ActionResult({"findings": findings, "nextToken": token})

    def batch_get_incident_findings(self) -> ActionResult:
        return ActionResult(self.backend.batch_get_incident_findings(**self._kwargs()))
