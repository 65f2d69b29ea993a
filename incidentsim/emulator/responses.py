"""Handles incoming ssm-incidents requests: validate, call the backend, wrap the result.

Parsing and serialization are moto's, driven by botocore's service model; this
module adds the checks the service makes before an operation runs (model-driven
validation, injected faults) and maps each operation onto the backend.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qs, unquote

from botocore.model import ServiceModel
from moto.core.responses import ActionResult, BaseResponse, EmptyResult
from moto.core.utils import camelcase_to_underscores

from .exceptions import IncidentsError, InternalServerException, ThrottlingException, ValidationException
from .models import SSMIncidentsBackend, ssmincidents_backends
from ..rules import botocore_model
from .validation import validate_request, wire_params

EMULATOR_HEADER = "x-incidentsim-emulator"
OUTCOME_HEADER = "x-incidentsim-outcome"




class SSMIncidentsResponse(BaseResponse):
    """One instance per request, as moto's responses are."""

    def __init__(self) -> None:
        super().__init__(service_name="ssm-incidents")
        # Parameters are parsed in call_action, after validation, so a malformed
        # request is answered with ValidationException rather than a crash.
        self.automated_parameter_parsing = False

    @property
    def backend(self) -> SSMIncidentsBackend:
        return ssmincidents_backends[self.current_account][self.partition]

    def call_action(self) -> Any:
        self.response_headers[EMULATOR_HEADER] = "ssm-incidents"
        operation = self._get_action()
        if not operation:
            return super().call_action()
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
        self.parse_parameters(self.normalized_request)
        status, headers, body = super().call_action()
        if fault == "commit_then_fail" and int(status) < 300:
            return self._error(InternalServerException(f"Internal error after {operation} committed (injected fault)"))
        return status, headers, body

    def _validate(self, operation: str) -> None:
        operation_model = self._service_model().operation_model(operation)
        raw = self.body
        body: Any = {}
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                raise ValidationException("The request body is not valid JSON") from None
            if not isinstance(body, dict):
                raise ValidationException("The request body must be a JSON object")
        query = parse_qs(self.parsed_url.query, keep_blank_values=True)
        uri = {k: unquote(str(v)) for k, v in (self.uri_match or {}).items()}
        message = validate_request(operation_model, wire_params(operation_model, body, query, uri))
        if message:
            raise ValidationException(message)

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
