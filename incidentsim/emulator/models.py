"""The ssm-incidents (AWS Systems Manager Incident Manager) backend.

Semantics follow section 7 of the semantics reference: documented behaviour is
reproduced, and every behaviour the documentation leaves open is an
:class:`EmulatorOptions` field with the choice made here as its default.

One backend holds one account's data.  Incident Manager is a global-regional
service whose ARNs carry no region, so the backend is keyed by account and
partition: a record started through ``us-east-1`` is read back through
``eu-west-1`` as it is across a replication set.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import inspect
import json
import random
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from numbers import Real
from typing import Any, Literal, TypeVar

from moto.core.base_backend import BackendDict, BaseBackend
from moto.utilities.utils import PARTITION_NAMES

from .. import rules
from ..params import Interval, Options, check_params
from .clock import EmulatorClock, as_utc
from .exceptions import (
    ConflictException,
    ResourceNotFoundException,
    ValidationException,
    not_found,
)
from .faults import FaultInjector

F = TypeVar("F", bound=Callable[..., Any])

MANUAL_SOURCE = "aws.ssm-incidents.custom"
INCIDENT_STARTED_EVENT = ("Custom Event", json.dumps("Incident Started"))
RECORD_UPDATE_EVENT_TYPE = "SSM Incident Record Update"
CREATABLE_EVENT_TYPES = ("Custom Event", "Note")

_PLAN_ARN = re.compile(
    r"^arn:(?P<partition>aws(?:-cn|-us-gov)?):ssm-incidents:(?P<region>[a-z0-9-]*):(?P<account>\d{12})"
    r":(?:response-plan|responseplan)/(?P<name>[a-zA-Z0-9_-]+)$"
)
_RECORD_ARN = re.compile(
    r"^arn:(?P<partition>aws(?:-cn|-us-gov)?):ssm-incidents:[a-z0-9-]*:(?P<account>\d{12})"
    r":incident-record/(?P<plan>[a-zA-Z0-9_-]+)/(?P<id>[0-9a-f-]{36})$"
)


@dataclass(frozen=True)
class EmulatorOptions:
    """Switches for the behaviours the service documentation leaves open.

    Every default is the emulator's best reading of the documentation; see the
    semantics reference for the evidence behind each.

    Attributes
    ----------
    dedupe_scope : {"account", "response_plan"}
        Which OPEN records a new incident's dedupe string is matched against.
        The documentation says "in the same account" (default).
    trigger_dedupe : bool
        When the plan has no dedupe string, an incident whose
        ``triggerDetails.source`` starts with ``aws.`` and that names a
        ``triggerArn`` is deduplicated by that ARN ("by default, Incident Manager
        automatically deduplicates multiple incidents created by the same Amazon
        CloudWatch alarm or Amazon EventBridge event").  The exact string the
        service stores is not documented; the trigger ARN is used.
    client_token_ttl_s : float or None
        How long a ``clientToken`` is remembered, in seconds of the emulator's
        clock (None: for ever).  Undocumented.
    token_mismatch : {"conflict", "return_existing"}
        A reused ``clientToken`` with different request members either answers
        ``ConflictException`` (default, as AWS services that document it do) or
        returns the first call's result.
    dedupe_timeline_event : bool
        Add a "Custom Event" timeline event to the open record that absorbs a
        duplicate.  Undocumented; off by default.
    auto_timeline_events : bool
        Add the timeline events the service adds by itself: "Incident Started"
        when a record is created and "SSM Incident Record Update" when it is
        updated (both seen in published samples).
    newest_first : bool
        Order of ``ListIncidentRecords`` (undocumented); newest first by default.
    """

    dedupe_scope: Literal["account", "response_plan"] = "account"
    trigger_dedupe: bool = True
    client_token_ttl_s: float | None = None
    token_mismatch: Literal["conflict", "return_existing"] = "conflict"
    dedupe_timeline_event: bool = False
    auto_timeline_events: bool = True
    newest_first: bool = True

    def __post_init__(self) -> None:
        check_params(
            {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}, EMULATOR_OPTIONS, "EmulatorOptions"
        )


_SWITCH = [Options((True, False))]
#: What each of :class:`EmulatorOptions` may be.
EMULATOR_OPTIONS: dict[str, list[Any]] = {
    "dedupe_scope": [Options(("account", "response_plan"))],
    "trigger_dedupe": _SWITCH,
    "client_token_ttl_s": [Interval(Real, 0, 1e12, closed="neither"), None],
    "token_mismatch": [Options(("conflict", "return_existing"))],
    "dedupe_timeline_event": _SWITCH,
    "auto_timeline_events": _SWITCH,
    "newest_first": _SWITCH,
}


# --------------------------------------------------------------------------------------
# Resources.  Attribute names are the API members in snake_case, so moto's serializer
# picks them straight from the objects.
# --------------------------------------------------------------------------------------


@dataclass
class ResponsePlan:
    arn: str
    name: str
    incident_template: dict[str, Any]
    display_name: str | None = None
    chat_channel: dict[str, Any] | None = None
    engagements: list[str] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    integrations: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class TimelineEvent:
    event_id: str
    incident_record_arn: str
    event_time: datetime
    event_type: str
    event_data: str
    event_updated_time: datetime
    event_references: list[dict[str, str]] = field(default_factory=list)


@dataclass
class IncidentRecord:
    arn: str
    response_plan_arn: str
    title: str
    impact: int
    status: str
    creation_time: datetime
    dedupe_string: str
    incident_record_source: dict[str, Any]
    last_modified_by: str
    last_modified_time: datetime
    summary: str | None = None
    resolved_time: datetime | None = None
    automation_executions: list[dict[str, str]] = field(default_factory=list)
    chat_channel: dict[str, Any] | None = None
    notification_targets: list[dict[str, str]] = field(default_factory=list)
    related_items: list[dict[str, Any]] = field(default_factory=list)
    timeline: dict[str, TimelineEvent] = field(default_factory=dict)
    trigger_count: int = 1
    """How many StartIncident calls this record absorbed (1 + duplicates); not an API member."""

    @property
    def plan_name(self) -> str:
        return self.arn.split("/")[-2]


@dataclass
class ReplicationSet:
    arn: str
    region_map: dict[str, dict[str, Any]]
    created_by: str
    created_time: datetime
    last_modified_by: str
    last_modified_time: datetime
    deletion_protected: bool = False
    status: str = "ACTIVE"


@dataclass
class ResourcePolicy:
    policy_id: str
    policy_document: str
    ram_resource_share_region: str


@dataclass(frozen=True)
class StartIncidentOutcome:
    """What a StartIncident call did: ``created``, ``deduplicated`` (absorbed by an
    OPEN record with the same dedupe string) or ``idempotent`` (a clientToken
    already answered)."""

    record: IncidentRecord
    outcome: Literal["created", "deduplicated", "idempotent"]


@dataclass
class _TokenEntry:
    fingerprint: str
    result: Any
    stored_at: datetime


def token_conflict_message(token: str, operation: str) -> str:
    """The ConflictException message for a clientToken reused with different parameters."""
    return f"The clientToken {token!r} was already used with different {operation} parameters"


def _fingerprint(params: dict[str, Any]) -> str:
    canonical = json.dumps(params, sort_keys=True, default=lambda v: as_utc(v).isoformat())
    return hashlib.sha256(canonical.encode()).hexdigest()


def _encode_token(position: int, key: str) -> str:
    raw = json.dumps({"p": position, "k": key}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_token(token: str, key: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        position = data["p"]
        if data["k"] != key or not isinstance(position, int) or position < 0:
            raise ValueError
    except (ValueError, KeyError, TypeError, json.JSONDecodeError):
        raise ValidationException("The nextToken is invalid or was issued for another request") from None
    return int(position)


# A filter key is either a time (before/after) or a set of values (equals); each
# listing names its keys and how to read them off its items.
_RECORD_FILTERS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "creationTime": ("time", lambda r: r.creation_time),
    "impact": ("integerValues", lambda r: {r.impact}),
    "status": ("stringValues", lambda r: {r.status}),
    "createdBy": ("stringValues", lambda r: {r.incident_record_source["createdBy"]}),
}
_EVENT_FILTERS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "eventTime": ("time", lambda e: e.event_time),
    "eventType": ("stringValues", lambda e: {e.event_type}),
    "eventReference": ("stringValues", lambda e: {v for ref in e.event_references for v in ref.values()}),
}


def _filter_predicate(
    flt: dict[str, Any], fields: dict[str, tuple[str, Callable[[Any], Any]]]
) -> Callable[[Any], bool]:
    """One Filter of a list operation as a predicate: AND across filters is the
    caller's, OR across the values of one filter is here."""
    key, condition = flt["key"], flt["condition"]
    if key not in fields:
        raise ValidationException(f"Unsupported filter key {key!r}; supported keys are {', '.join(fields)}")
    kind, read = fields[key]
    if kind == "time":
        if "before" in condition:
            before = as_utc(condition["before"])
            return lambda item: bool(read(item) < before)
        if "after" in condition:
            after = as_utc(condition["after"])
            return lambda item: bool(read(item) > after)
        raise ValidationException(f"The {key} filter takes a before or after condition")
    values = set((condition.get("equals") or {}).get(kind) or [])
    if not values:
        raise ValidationException(f"The {key} filter takes an equals condition with {kind}")
    return lambda item: bool(read(item) & values)


def paginate(
    items: Sequence[Any], max_results: int | None, next_token: str | None, key: str
) -> tuple[list[Any], str | None]:
    """One page of ``items`` and the token of the next page (None after the last).

    ``key`` names the listing (operation and filters), so a token is refused by
    a different listing.
    """
    start = _decode_token(next_token, key) if next_token else 0
    size = max_results or 100
    page = list(items[start : start + size])
    more = start + size < len(items)
    return page, (_encode_token(start + size, key) if more else None)


def idempotent(operation: str, on_replay: Callable[[Any], Any] | None = None) -> Callable[[F], F]:
    """Run a backend method once per ``clientToken`` (see :meth:`SSMIncidentsBackend._idempotent`).

    ``on_replay`` turns the stored result into the answer to a repeated call.
    """

    def decorate(method: F) -> F:
        signature = inspect.signature(method)

        @functools.wraps(method)
        def wrapper(self: SSMIncidentsBackend, *args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(self, *args, **kwargs)
            bound.apply_defaults()
            params = {k: v for k, v in bound.arguments.items() if k != "self"}
            result, replayed = self._idempotent(operation, params, lambda: method(self, *args, **kwargs))
            return on_replay(result) if replayed and on_replay else result

        return wrapper  # type: ignore[return-value]

    return decorate


class SSMIncidentsBackend(BaseBackend):
    """Implementation of the ssm-incidents API for one account (any region).

    Findings (``ListIncidentFindings``, ``BatchGetIncidentFindings``) are always
    empty: they come from CodeDeploy and CloudFormation deployments, which the
    emulator has no view of.

    Besides :class:`EmulatorOptions`, a few undocumented details are fixed
    choices: StartIncident on a duplicate answers 200 with the open record's ARN
    and changes nothing on it; an empty ``clientToken`` counts as no token;
    ``invokedBy`` is ``<service>.amazonaws.com`` for ``aws.<service>`` trigger
    sources; ListTimelineEvents defaults to newest first (as the published
    sample lists them); adding a related item twice is a ``ConflictException``
    and removing an absent one a ``ResourceNotFoundException``; a plan ARN of
    another account is not found (cross-account plans are not emulated); a
    replication set is not required before StartIncident.
    """

    def __init__(self, region_name: str, account_id: str):
        super().__init__(region_name, account_id)
        self.clock = EmulatorClock()
        self.faults = FaultInjector()
        self.options = EmulatorOptions()
        self.response_plans: dict[str, ResponsePlan] = {}
        self.incident_records: dict[str, IncidentRecord] = {}
        self.replication_sets: dict[str, ReplicationSet] = {}
        self.resource_policies: dict[str, dict[str, ResourcePolicy]] = defaultdict(dict)
        self.tags: dict[str, dict[str, str]] = defaultdict(dict)
        self._open_by_dedupe: dict[str, list[str]] = defaultdict(list)
        self._tokens: dict[tuple[str, str], _TokenEntry] = {}
        seed = int(hashlib.sha256(f"{account_id}/{region_name}".encode()).hexdigest()[:16], 16)
        self._random = random.Random(seed)

    # ------------------------------------------------------------------ helpers

    def configure(self, **changes: Any) -> EmulatorOptions:
        """Change options by name, e.g. ``backend.configure(dedupe_scope="response_plan")``."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(EmulatorOptions)}
        if unknown:
            raise ValueError(
                f"unknown emulator option(s) {sorted(unknown)}; "
                f"known: {sorted(f.name for f in dataclasses.fields(EmulatorOptions))}"
            )
        self.options = dataclasses.replace(self.options, **changes)
        return self.options

    def caller_arn(self) -> str:
        return f"arn:{self.partition}:sts::{self.account_id}:user/moto"

    def _new_id(self) -> str:
        """An 8-4-4-4-12 lowercase hex id, from the backend's seeded generator so a
        replay of the same input gives the same ARNs."""
        h = f"{self._random.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def _arn(self, resource: str) -> str:
        return f"arn:{self.partition}:ssm-incidents::{self.account_id}:{resource}"

    def _idempotent(self, operation: str, params: dict[str, Any], action: Callable[[], Any]) -> tuple[Any, bool]:
        """Run ``action`` once per clientToken; return (result, replayed)."""
        token = params.get("client_token")
        if not token:
            return action(), False
        now = self.clock.now()
        key = (operation, token)
        fingerprint = _fingerprint({k: v for k, v in params.items() if k != "client_token"})
        entry = self._tokens.get(key)
        ttl = self.options.client_token_ttl_s
        verdict = rules.token_verdict(
            entry is not None,
            (now - entry.stored_at).total_seconds() if entry is not None else 0.0,
            float(ttl) if ttl is not None else -1.0,
            entry is not None and entry.fingerprint == fingerprint,
            self.options.token_mismatch == "conflict",
        )
        if verdict == rules.TOKEN_CONFLICT:
            raise ConflictException(token_conflict_message(token, operation))
        if verdict == rules.TOKEN_REPLAY:
            assert entry is not None
            return entry.result, True
        result = action()
        self._tokens[key] = _TokenEntry(fingerprint, result, now)
        return result, False

    # ------------------------------------------------------------------ response plans

    def _plan_name(self, arn: str) -> str:
        match = _PLAN_ARN.match(arn)
        if not match or match["account"] != self.account_id:
            raise not_found("Response plan", "RESPONSE_PLAN", arn)
        return match["name"]

    def get_response_plan(self, arn: str) -> ResponsePlan:
        plan = self.response_plans.get(self._plan_name(arn))
        if plan is None:
            raise not_found("Response plan", "RESPONSE_PLAN", arn)
        return plan

    @idempotent("CreateResponsePlan")
    def create_response_plan(
        self,
        name: str,
        incident_template: dict[str, Any],
        client_token: str | None = None,
        display_name: str | None = None,
        chat_channel: dict[str, Any] | None = None,
        engagements: list[str] | None = None,
        actions: list[dict[str, Any]] | None = None,
        integrations: list[dict[str, Any]] | None = None,
        tags: dict[str, str] | None = None,
    ) -> ResponsePlan:
        if name in self.response_plans:
            arn = self._arn(f"response-plan/{name}")
            raise ConflictException(
                f"A response plan named {name} already exists", resource_identifier=arn, resource_type="RESPONSE_PLAN"
            )
        plan = ResponsePlan(
            arn=self._arn(f"response-plan/{name}"),
            name=name,
            incident_template=dict(incident_template),
            display_name=display_name,
            chat_channel=chat_channel,
            engagements=list(engagements or []),
            actions=list(actions or []),
            integrations=list(integrations or []),
        )
        self.response_plans[name] = plan
        self.tags[plan.arn] = dict(tags or {})
        return plan

    @idempotent("UpdateResponsePlan")
    def update_response_plan(
        self,
        arn: str,
        client_token: str | None = None,
        display_name: str | None = None,
        chat_channel: dict[str, Any] | None = None,
        engagements: list[str] | None = None,
        actions: list[dict[str, Any]] | None = None,
        integrations: list[dict[str, Any]] | None = None,
        incident_template_title: str | None = None,
        incident_template_impact: int | None = None,
        incident_template_summary: str | None = None,
        incident_template_dedupe_string: str | None = None,
        incident_template_notification_targets: list[dict[str, str]] | None = None,
        incident_template_tags: dict[str, str] | None = None,
    ) -> None:
        plan = self.get_response_plan(arn)
        template = plan.incident_template
        for member, value in (
            ("title", incident_template_title),
            ("impact", incident_template_impact),
            ("summary", incident_template_summary),
            ("dedupeString", incident_template_dedupe_string),
            ("notificationTargets", incident_template_notification_targets),
            ("incidentTags", incident_template_tags),
        ):
            if value is not None:
                template[member] = value
        if display_name is not None:
            plan.display_name = display_name
        if chat_channel is not None:
            plan.chat_channel = chat_channel
        if engagements is not None:
            plan.engagements = list(engagements)
        if actions is not None:
            plan.actions = list(actions)
        if integrations is not None:
            plan.integrations = list(integrations)

    def delete_response_plan(self, arn: str) -> None:
        match = _PLAN_ARN.match(arn)
        if match and match["account"] == self.account_id:
            plan = self.response_plans.pop(match["name"], None)
            if plan is not None:
                self.tags.pop(plan.arn, None)
                self.resource_policies.pop(plan.arn, None)

    def list_response_plans(
        self, max_results: int | None = None, next_token: str | None = None
    ) -> tuple[list[ResponsePlan], str | None]:
        plans = sorted(self.response_plans.values(), key=lambda p: p.name)
        return paginate(plans, max_results, next_token, "ListResponsePlans")

    # ------------------------------------------------------------------ incidents

    def _dedupe_key(self, plan: ResponsePlan, trigger_details: dict[str, Any] | None) -> str:
        details = trigger_details or {}
        key = rules.dedupe_key(
            plan.incident_template.get("dedupeString"),
            str(details.get("source", "")),
            details.get("triggerArn"),
            self.options.trigger_dedupe and bool(trigger_details),
        )
        return key if key is not None else self._new_id()

    def _open_duplicate(self, dedupe_string: str, plan: ResponsePlan) -> IncidentRecord | None:
        wanted = rules.dedupe_slot(dedupe_string, plan.name, self.options.dedupe_scope)
        for arn in self._open_by_dedupe.get(dedupe_string, ()):
            record = self.incident_records[arn]
            if rules.dedupe_slot(dedupe_string, record.plan_name, self.options.dedupe_scope) == wanted:
                return record
        return None

    def _index_open(self, record: IncidentRecord) -> None:
        arns = self._open_by_dedupe[record.dedupe_string]
        if record.status == "OPEN" and record.arn not in arns:
            arns.append(record.arn)
        elif record.status != "OPEN" and record.arn in arns:
            arns.remove(record.arn)
        if not arns:
            del self._open_by_dedupe[record.dedupe_string]

    def _add_timeline_event(
        self,
        record: IncidentRecord,
        event_type: str,
        event_data: str,
        event_time: datetime,
        event_references: list[dict[str, str]] | None = None,
        updated: datetime | None = None,
    ) -> TimelineEvent:
        event = TimelineEvent(
            event_id=self._new_id(),
            incident_record_arn=record.arn,
            event_time=event_time,
            event_type=event_type,
            event_data=event_data,
            event_updated_time=updated or self.clock.now(),
            event_references=list(event_references or []),
        )
        record.timeline[event.event_id] = event
        return event

    def _related_item(self, item: dict[str, Any]) -> dict[str, Any]:
        stored = {"identifier": item["identifier"]}
        if item.get("title") is not None:
            stored["title"] = item["title"]
        stored["generatedId"] = item.get("generatedId") or (
            f"related-item/{item['identifier']['type']}/{self._random.getrandbits(128):032X}"
        )
        return stored

    @idempotent("StartIncident", on_replay=lambda outcome: StartIncidentOutcome(outcome.record, "idempotent"))
    def start_incident(
        self,
        response_plan_arn: str,
        client_token: str | None = None,
        impact: int | None = None,
        title: str | None = None,
        related_items: list[dict[str, Any]] | None = None,
        trigger_details: dict[str, Any] | None = None,
    ) -> StartIncidentOutcome:
        plan = self.get_response_plan(response_plan_arn)
        dedupe_string = self._dedupe_key(plan, trigger_details)
        existing = self._open_duplicate(dedupe_string, plan)
        now = self.clock.now()
        if existing is not None:
            existing.trigger_count += 1
            if self.options.dedupe_timeline_event:
                data = json.dumps(
                    f"Duplicate incident deduplicated into this incident ({title or plan.incident_template['title']})"
                )
                self._add_timeline_event(existing, "Custom Event", data, now, updated=now)
            return StartIncidentOutcome(existing, "deduplicated")
        record = self._create_record(plan, dedupe_string, impact, title, related_items, trigger_details, now)
        return StartIncidentOutcome(record, "created")

    def _create_record(
        self,
        plan: ResponsePlan,
        dedupe_string: str,
        impact: int | None,
        title: str | None,
        related_items: list[dict[str, Any]] | None,
        trigger_details: dict[str, Any] | None,
        now: datetime,
    ) -> IncidentRecord:
        caller = self.caller_arn()
        source = MANUAL_SOURCE
        resource_arn = None
        invoked_by = caller
        if trigger_details:
            source = trigger_details["source"]
            resource_arn = trigger_details.get("triggerArn")
            if source.startswith("aws.") and source != MANUAL_SOURCE:
                # an AWS service (CloudWatch, EventBridge) started it on the caller's behalf
                invoked_by = f"{source[len('aws.') :]}.amazonaws.com"
        template = plan.incident_template
        record_source: dict[str, Any] = {"createdBy": caller, "invokedBy": invoked_by, "source": source}
        if resource_arn:
            record_source["resourceArn"] = resource_arn
        record = IncidentRecord(
            arn=self._arn(f"incident-record/{plan.name}/{self._new_id()}"),
            response_plan_arn=plan.arn,
            title=rules.incident_title(title, template["title"]),
            impact=rules.incident_impact(impact, template["impact"]),
            status="OPEN",
            creation_time=now,
            dedupe_string=dedupe_string,
            incident_record_source=record_source,
            last_modified_by=caller,
            last_modified_time=now,
            summary=template.get("summary"),
            chat_channel=plan.chat_channel,
            notification_targets=list(template.get("notificationTargets") or []),
            related_items=[self._related_item(item) for item in related_items or []],
        )
        self.incident_records[record.arn] = record
        self.tags[record.arn] = dict(template.get("incidentTags") or {})
        self._index_open(record)
        if self.options.auto_timeline_events:
            self._add_timeline_event(record, *INCIDENT_STARTED_EVENT, now, updated=now)
        return record

    def get_incident_record(self, arn: str) -> IncidentRecord:
        record = self.incident_records.get(arn)
        if record is None:
            raise not_found("Incident record", "INCIDENT_RECORD", arn)
        return record

    @idempotent("UpdateIncidentRecord")
    def update_incident_record(
        self,
        arn: str,
        client_token: str | None = None,
        title: str | None = None,
        summary: str | None = None,
        impact: int | None = None,
        status: str | None = None,
        chat_channel: dict[str, Any] | None = None,
        notification_targets: list[dict[str, str]] | None = None,
    ) -> None:
        record = self.get_incident_record(arn)
        now = self.clock.now()
        changed = {}
        for attribute, value in (
            ("title", title),
            ("summary", summary),
            ("impact", impact),
            ("chat_channel", chat_channel),
            ("notification_targets", notification_targets),
        ):
            if value is not None:
                setattr(record, attribute, value)
                changed[attribute] = value
        if status is not None and status != record.status:
            record.status = status
            record.resolved_time = now if status == "RESOLVED" else None
            changed["status"] = status
            self._index_open(record)
        record.last_modified_by = self.caller_arn()
        record.last_modified_time = now
        if self.options.auto_timeline_events and changed:
            data = json.dumps({"modifiedAttributes": sorted(changed)})
            self._add_timeline_event(record, RECORD_UPDATE_EVENT_TYPE, data, now, updated=now)

    def delete_incident_record(self, arn: str) -> None:
        record = self.incident_records.pop(arn, None)
        if record is not None:
            record.status = "DELETED"
            self._index_open(record)
            self.tags.pop(arn, None)

    def list_incident_records(
        self,
        filters: list[dict[str, Any]] | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> tuple[list[IncidentRecord], str | None]:
        predicates = [_filter_predicate(f, _RECORD_FILTERS) for f in filters or []]
        records = [r for r in self.incident_records.values() if all(p(r) for p in predicates)]
        records.sort(key=lambda r: (r.creation_time, r.arn), reverse=self.options.newest_first)
        key = "ListIncidentRecords:" + _fingerprint({"filters": filters or []})
        return paginate(records, max_results, next_token, key)

    # ------------------------------------------------------------------ timeline events

    @idempotent("CreateTimelineEvent")
    def create_timeline_event(
        self,
        incident_record_arn: str,
        event_time: datetime,
        event_type: str,
        event_data: str,
        client_token: str | None = None,
        event_references: list[dict[str, str]] | None = None,
    ) -> TimelineEvent:
        record = self.get_incident_record(incident_record_arn)
        _check_event_type(event_type)
        return self._add_timeline_event(record, event_type, event_data, as_utc(event_time), event_references)

    def get_timeline_event(self, incident_record_arn: str, event_id: str) -> TimelineEvent:
        record = self.get_incident_record(incident_record_arn)
        event = record.timeline.get(event_id)
        if event is None:
            raise not_found("Timeline event", "TIMELINE_EVENT", event_id)
        return event

    @idempotent("UpdateTimelineEvent")
    def update_timeline_event(
        self,
        incident_record_arn: str,
        event_id: str,
        client_token: str | None = None,
        event_time: datetime | None = None,
        event_type: str | None = None,
        event_data: str | None = None,
        event_references: list[dict[str, str]] | None = None,
    ) -> None:
        event = self.get_timeline_event(incident_record_arn, event_id)
        if event_type is not None:
            _check_event_type(event_type)
        if event_time is not None:
            event.event_time = as_utc(event_time)
        if event_type is not None:
            event.event_type = event_type
        if event_data is not None:
            event.event_data = event_data
        if event_references is not None:
            event.event_references = list(event_references)
        event.event_updated_time = self.clock.now()

    def delete_timeline_event(self, incident_record_arn: str, event_id: str) -> None:
        record = self.incident_records.get(incident_record_arn)
        if record is not None:
            record.timeline.pop(event_id, None)

    def list_timeline_events(
        self,
        incident_record_arn: str,
        filters: list[dict[str, Any]] | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> tuple[list[TimelineEvent], str | None]:
        record = self.incident_records.get(incident_record_arn)
        events = list(record.timeline.values()) if record is not None else []
        for flt in filters or []:
            keep = _filter_predicate(flt, _EVENT_FILTERS)
            events = [e for e in events if keep(e)]
        descending = (sort_order or "DESCENDING") == "DESCENDING"
        events.sort(key=lambda e: (e.event_time, e.event_updated_time, e.event_id), reverse=descending)
        key = "ListTimelineEvents:" + _fingerprint(
            {"arn": incident_record_arn, "filters": filters or [], "order": descending}
        )
        return paginate(events, max_results, next_token, key)

    # ------------------------------------------------------------------ related items

    def list_related_items(
        self, incident_record_arn: str, max_results: int | None = None, next_token: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        record = self.incident_records.get(incident_record_arn)
        items = record.related_items if record is not None else []
        return paginate(items, max_results, next_token, "ListRelatedItems:" + incident_record_arn)

    @idempotent("UpdateRelatedItems")
    def update_related_items(
        self, incident_record_arn: str, related_items_update: dict[str, Any], client_token: str | None = None
    ) -> None:
        record = self.get_incident_record(incident_record_arn)
        if "itemToAdd" in related_items_update:
            item = related_items_update["itemToAdd"]
            if any(existing["identifier"] == item["identifier"] for existing in record.related_items):
                raise ConflictException(
                    "The related item is already on the incident record",
                    resource_identifier=incident_record_arn,
                    resource_type="INCIDENT_RECORD",
                )
            record.related_items.append(self._related_item(item))
        else:
            identifier = related_items_update["itemToRemove"]
            kept = [i for i in record.related_items if i["identifier"] != identifier]
            if len(kept) == len(record.related_items):
                raise ResourceNotFoundException(
                    "The related item is not on the incident record",
                    resource_identifier=incident_record_arn,
                    resource_type="INCIDENT_RECORD",
                )
            record.related_items = kept
        record.last_modified_time = self.clock.now()

    # ------------------------------------------------------------------ replication sets

    @idempotent("CreateReplicationSet")
    def create_replication_set(
        self, regions: dict[str, dict[str, str]], client_token: str | None = None, tags: dict[str, str] | None = None
    ) -> ReplicationSet:
        if self.replication_sets:
            existing = next(iter(self.replication_sets))
            raise ConflictException(
                "A replication set already exists in this account",
                resource_identifier=existing,
                resource_type="REPLICATION_SET",
            )
        now = self.clock.now()
        replication_set = ReplicationSet(
            arn=self._arn(f"replication-set/{self._new_id()}"),
            region_map={name: self._region_info(spec, now) for name, spec in regions.items()},
            created_by=self.caller_arn(),
            created_time=now,
            last_modified_by=self.caller_arn(),
            last_modified_time=now,
        )
        self.replication_sets[replication_set.arn] = replication_set
        self.tags[replication_set.arn] = dict(tags or {})
        return replication_set

    @staticmethod
    def _region_info(spec: dict[str, str], now: datetime) -> dict[str, Any]:
        info: dict[str, Any] = {"status": "ACTIVE", "statusUpdateDateTime": now}
        info["sseKmsKeyId"] = spec.get("sseKmsKeyId") or "DefaultKey"
        return info

    def get_replication_set(self, arn: str) -> ReplicationSet:
        replication_set = self.replication_sets.get(arn)
        if replication_set is None:
            raise not_found("Replication set", "REPLICATION_SET", arn)
        return replication_set

    def list_replication_sets(
        self, max_results: int | None = None, next_token: str | None = None
    ) -> tuple[list[str], str | None]:
        return paginate(sorted(self.replication_sets), max_results, next_token, "ListReplicationSets")

    @idempotent("UpdateReplicationSet")
    def update_replication_set(self, arn: str, actions: list[dict[str, Any]], client_token: str | None = None) -> None:
        replication_set = self.get_replication_set(arn)
        now = self.clock.now()
        region_map = dict(replication_set.region_map)
        for action in actions:
            if "addRegionAction" in action:
                spec = action["addRegionAction"]
                if spec["regionName"] in region_map:
                    raise ValidationException(f"Region {spec['regionName']} is already in the replication set")
                region_map[spec["regionName"]] = self._region_info(spec, now)
            else:
                name = action["deleteRegionAction"]["regionName"]
                if name not in region_map:
                    raise ValidationException(f"Region {name} is not in the replication set")
                del region_map[name]
        if not region_map:
            raise ValidationException("A replication set must keep at least one Region; delete the set instead")
        if len(region_map) > 3:
            raise ValidationException("A replication set holds at most 3 Regions")
        replication_set.region_map = region_map
        replication_set.last_modified_by = self.caller_arn()
        replication_set.last_modified_time = now

    @idempotent("UpdateDeletionProtection")
    def update_deletion_protection(self, arn: str, deletion_protected: bool, client_token: str | None = None) -> None:
        replication_set = self.get_replication_set(arn)
        replication_set.deletion_protected = deletion_protected
        replication_set.last_modified_time = self.clock.now()

    def delete_replication_set(self, arn: str) -> None:
        replication_set = self.get_replication_set(arn)
        if replication_set.deletion_protected:
            raise ValidationException("Deletion protection is on for this replication set; turn it off first")
        del self.replication_sets[arn]
        self.tags.pop(arn, None)

    # ------------------------------------------------------------------ resource policies

    def put_resource_policy(self, resource_arn: str, policy: str, ram_resource_share_region: str = "us-east-1") -> str:
        self.get_response_plan(resource_arn)
        try:
            json.loads(policy)
        except ValueError:
            raise ValidationException(
                "Value at 'policy' failed to satisfy constraint: Member must be a JSON policy document"
            ) from None
        policy_id = hashlib.sha256(
            f"{resource_arn}/{len(self.resource_policies[resource_arn])}/{policy}".encode()
        ).hexdigest()[:32]
        self.resource_policies[resource_arn][policy_id] = ResourcePolicy(policy_id, policy, ram_resource_share_region)
        return policy_id

    def get_resource_policies(
        self, resource_arn: str, max_results: int | None = None, next_token: str | None = None
    ) -> tuple[list[ResourcePolicy], str | None]:
        self.get_response_plan(resource_arn)
        policies = list(self.resource_policies.get(resource_arn, {}).values())
        return paginate(policies, max_results, next_token, "GetResourcePolicies:" + resource_arn)

    def delete_resource_policy(self, resource_arn: str, policy_id: str) -> None:
        self.get_response_plan(resource_arn)
        if self.resource_policies.get(resource_arn, {}).pop(policy_id, None) is None:
            raise ResourceNotFoundException(
                f"Resource policy {policy_id} not found", resource_identifier=policy_id, resource_type="RESOURCE_POLICY"
            )

    # ------------------------------------------------------------------ tags

    def _tagged(self, resource_arn: str) -> dict[str, str]:
        exists = (
            resource_arn in self.incident_records
            or resource_arn in self.replication_sets
            or any(plan.arn == resource_arn for plan in self.response_plans.values())
        )
        if not exists:
            raise ResourceNotFoundException(
                f"Resource {resource_arn} not found",
                resource_identifier=resource_arn,
                resource_type=_resource_type(resource_arn),
            )
        return self.tags[resource_arn]

    def list_tags_for_resource(self, resource_arn: str) -> dict[str, str]:
        return dict(self._tagged(resource_arn))

    def tag_resource(self, resource_arn: str, tags: dict[str, str]) -> None:
        self._tagged(resource_arn).update(tags)

    def untag_resource(self, resource_arn: str, tag_keys: Iterable[str]) -> None:
        current = self._tagged(resource_arn)
        for key in tag_keys:
            current.pop(key, None)

    # ------------------------------------------------------------------ findings

    def list_incident_findings(
        self, incident_record_arn: str, max_results: int | None = None, next_token: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        self.get_incident_record(incident_record_arn)
        return [], None

    def batch_get_incident_findings(self, incident_record_arn: str, finding_ids: list[str]) -> dict[str, list[Any]]:
        self.get_incident_record(incident_record_arn)
        errors = [
            {"findingId": finding_id, "code": "404", "message": f"Finding {finding_id} not found"}
            for finding_id in finding_ids
        ]
        return {"findings": [], "errors": errors}


def _check_event_type(event_type: str) -> None:
    """Only "Custom Event" and "Note" timeline events can be created or set by callers (documented)."""
    if event_type not in CREATABLE_EVENT_TYPES:
        raise ValidationException(
            f"Value '{event_type}' at 'eventType' failed to satisfy constraint: "
            f"Member must be one of [{', '.join(CREATABLE_EVENT_TYPES)}]"
        )


def _resource_type(arn: str) -> str:
    if ":incident-record/" in arn:
        return "INCIDENT_RECORD"
    if ":replication-set/" in arn:
        return "REPLICATION_SET"
    return "RESPONSE_PLAN"


ssmincidents_backends = BackendDict(
    SSMIncidentsBackend,
    "ssm-incidents",
    use_boto3_regions=False,
    additional_regions=PARTITION_NAMES,
)
