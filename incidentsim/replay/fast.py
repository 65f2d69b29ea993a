"""The fast engine: the emulator engine's answer without a service call per event.

It applies the same decisions (:func:`~incidentsim.replay.decisions.decide`) and
then plays the service's rules itself, in the same order the emulator does:
the ``clientToken`` store first (same request -> the stored incident; different
request -> the stored incident or a ConflictException, per ``token_mismatch``;
tokens expire after ``client_token_ttl_s`` of simulated time), then the dedupe
string (the plan's, else the alarm ARN for ``aws.*`` sources, else a unique
string) against the OPEN incidents of the account (or of the plan, with
``dedupe_scope: response_plan``), else a new incident.  Requests the service
would refuse are found with the emulator's own model-driven validator, so the
messages are the same.  Resolutions come from the same scheduler as in the
emulator engine.

Incident ARNs follow the real format but are synthetic: derived from the plan
and the creating event, stable for the same input.  Times go through the same
rounding the wire applies (milliseconds, as epoch seconds).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import numpy as np
import pandas as pd

from ..emulator.core import DEFAULT_ACCOUNT_ID
from ..emulator.models import EmulatorOptions, token_conflict_message
from ..emulator.validation import validate_request
from ..policy import TITLE_LIMIT, TOKEN_LIMIT, Policy
from .decisions import decide
from .result import ReplayResult
from .simulation import Incident, Resolver, event_table, fed_counts, incident_table

SOURCE_LIMIT = 50
RAW_LIMIT = 10000
_ARN_PATTERN = re.compile(r"^arn:aws(-cn|-us-gov)?:[a-z0-9-]*:[a-z0-9-]*:([0-9]{12})?:.+$")


def _uuid_like(*parts: str) -> str:
    digest = hashlib.sha1("\x1f".join(parts).encode(), usedforsecurity=False).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def _wire_times(nanoseconds: pd.Series) -> pd.Series:
    """Times as a client reads them back: the service sends epoch seconds cut to milliseconds."""
    floored = (nanoseconds // 10**6) * 10**6
    return pd.to_datetime(floored, utc=True).astype("datetime64[ns, UTC]")


def _plan_arn(plan: str) -> str:
    return f"arn:aws:ssm-incidents::{DEFAULT_ACCOUNT_ID}:response-plan/{plan}"


def _invalid_rows(alarms: pd.DataFrame, decisions: pd.DataFrame, sources: np.ndarray) -> np.ndarray:
    """Positions of triggers whose request the service's validation would refuse (column-wise pre-check)."""
    trigger = decisions["trigger"].to_numpy()
    titles = decisions["title"].astype(str)
    tokens = decisions["client_token"].astype(str)
    suspect = (titles.str.len() > TITLE_LIMIT).to_numpy() | (tokens.str.len() > TOKEN_LIMIT).to_numpy()
    suspect |= np.fromiter((len(s) > SOURCE_LIMIT for s in sources), dtype=bool, count=len(sources))
    arns = alarms["alarm_arn"].astype(str)
    bad_arns = {arn for arn in arns.unique() if len(arn) > 1000 or not _ARN_PATTERN.search(arn)}
    if bad_arns:
        suspect |= arns.isin(bad_arns).to_numpy()
    return np.flatnonzero(trigger & suspect)


def run_fast(alarms: pd.DataFrame, policy: Policy, *, progress: bool = False) -> ReplayResult:
    """Replay ``alarms`` under ``policy`` without service calls; see :func:`incidentsim.replay`."""
    from ..emulator.responses import _botocore_model

    options = EmulatorOptions(**policy.emulator_options())
    decisions = decide(alarms, policy)
    n = len(alarms)
    times = alarms["timestamp"].astype("datetime64[ns, UTC]").astype("int64").to_numpy()
    sources = np.asarray([s or "aws.cloudwatch" for s in alarms["source"].astype(str).tolist()], dtype=object)
    arns = alarms["alarm_arn"].astype(str).to_numpy(dtype=object)
    states = alarms["state"].astype(str).to_numpy(dtype=object)
    raws = alarms["raw"].astype(str).str.slice(0, RAW_LIMIT).to_numpy(dtype=object)
    event_ids = alarms["event_id"].astype(str).to_numpy(dtype=object)
    trigger = decisions["trigger"].to_numpy()
    plan_of = decisions["response_plan"].to_numpy(dtype=object)
    title_of = decisions["title"].to_numpy(dtype=object)
    impact_of = decisions["impact"].to_numpy()
    token_of = decisions["client_token"].to_numpy(dtype=object)

    outcome = np.full(n, "ignored", dtype=object)
    outcome[decisions["decision_error"].to_numpy() != ""] = "rejected"
    dedup_reason = np.full(n, "", dtype=object)
    incident_arn = np.full(n, "", dtype=object)
    error_code = decisions["decision_error"].to_numpy(dtype=object).copy()
    error_message = np.full(n, "", dtype=object)

    operation = _botocore_model().operation_model("StartIncident")
    refused = np.zeros(n, dtype=bool)
    for position in _invalid_rows(alarms, decisions, sources):
        params: dict[str, Any] = {
            "responsePlanArn": _plan_arn(plan_of[position]),
            "triggerDetails": {"source": sources[position], "triggerArn": arns[position], "timestamp": 0, "rawData": raws[position]},
        }
        if token_of[position]:
            params["clientToken"] = token_of[position]
        if title_of[position]:
            params["title"] = title_of[position]
        message = validate_request(operation, params)
        if message:
            refused[position] = True
            error_code[position] = "ValidationException"
            error_message[position] = message

    service = _Service(
        policy,
        options,
        {"plan": plan_of, "token": token_of, "title": title_of, "impact": impact_of, "source": sources, "arn": arns,
         "raw": raws, "event_id": event_ids},
    )
    replay_tokens: dict[str, str] = {}

    resolver = Resolver(policy, service.close, nanoseconds=True)
    heap = resolver.heap
    open_by_alarm = resolver.open_by_alarm
    track_ok = policy.resolve.strategy == "on_ok"
    for i in range(n):
        when = int(times[i])
        if heap and heap[0][0] <= when:
            resolver.due(when)
        if trigger[i]:
            if refused[i]:
                outcome[i] = "rejected"
            else:
                arn = service.start(i, when)
                if arn is None:
                    outcome[i] = "rejected"
                    error_code[i] = "ConflictException"
                    error_message[i] = token_conflict_message(token_of[i], "StartIncident")
                else:
                    incident_arn[i] = arn
                    token = token_of[i]
                    if arn not in resolver.incidents:
                        outcome[i] = "created"
                        resolver.created(Incident(arn, plan_of[i], when, {arns[i]}))
                    else:
                        outcome[i] = "deduplicated"
                        dedup_reason[i] = "client_token" if token and replay_tokens.get(token) == arn else "dedupe_string"
                        resolver.fed(resolver.incidents[arn], arns[i])
                    if token:
                        replay_tokens.setdefault(token, arn)
        # an alarm's state matters once it has fed an open incident (feeding puts it in ALARM)
        if track_ok and (trigger[i] or open_by_alarm.get(arns[i])):
            resolver.state_changed(arns[i], states[i], when)
    resolver.due(None)

    counts, names = fed_counts(alarms, incident_arn.tolist(), outcome.tolist())
    made = list(resolver.incidents)
    records = [service.records[arn] for arn in made]
    resolved = pd.Series([r["resolved"] for r in records], dtype="Int64")  # nanoseconds need all 64 bits
    resolved_times = pd.Series(pd.NaT, index=resolved.index, dtype="datetime64[ns, UTC]")
    ended = resolved.notna()
    if ended.any():
        resolved_times[ended] = _wire_times(resolved[ended].astype("int64"))
    table = pd.DataFrame(
        {
            "incident_arn": made,
            "response_plan": [resolver.incidents[arn].plan for arn in made],
            "title": [r["title"] for r in records],
            "impact": [r["impact"] for r in records],
            "status": np.where(ended, "RESOLVED", "OPEN"),
            "creation_time": _wire_times(pd.Series([r["created"] for r in records], dtype="int64")),
            "resolved_time": resolved_times,
            "trigger_count": [int(counts.get(arn, 0)) for arn in made],
            "dedupe_string": [r["dedupe"] for r in records],
            "alarm_names": [names.get(arn, ()) for arn in made],
        }
    )
    incidents = incident_table(table)
    events = event_table(
        alarms, decisions, policy, outcome.tolist(), dedup_reason.tolist(), incident_arn.tolist(),
        error_code.tolist(), error_message.tolist(), incidents,
    )
    return ReplayResult(events=events, incidents=incidents, engine="fast", policy_name=policy.name, meta={"emulator": "none (fast engine)"})


class _Service:
    """The service's StartIncident rules over the decided columns, with its token store and OPEN incidents."""

    def __init__(self, policy: Policy, options: EmulatorOptions, columns: dict[str, np.ndarray]):
        self.plans = policy.plans
        self.options = options
        self.columns = columns
        self.records: dict[str, dict[str, Any]] = {}
        self.open_by_key: dict[str, list[str]] = {}
        self.store: dict[str, tuple[tuple[Any, ...], str, int]] = {}
        self.ttl = int(options.client_token_ttl_s * 10**9) if options.client_token_ttl_s is not None else None

    def close(self, arn: str, when: int) -> None:
        record = self.records[arn]
        record["resolved"] = when
        opened = self.open_by_key.get(record["dedupe"], [])
        if arn in opened:
            opened.remove(arn)

    def start(self, i: int, when: int) -> str | None:
        """One StartIncident: the incident's ARN, or None for a clientToken conflict."""
        c = self.columns
        plan_name, token, source, alarm = c["plan"][i], c["token"][i], c["source"][i], c["arn"][i]
        request = (plan_name, c["title"][i] or None, int(c["impact"][i]) or None, source, alarm, when // 10**9, c["raw"][i])
        if token:
            entry = self.store.get(token)
            if entry is not None and self.ttl is not None and when - entry[2] > self.ttl:
                entry = None
            if entry is not None:
                if entry[0] != request and self.options.token_mismatch == "conflict":
                    return None
                return entry[1]
        plan = self.plans[plan_name]
        if plan.dedupe_string:
            key = plan.dedupe_string
        elif self.options.trigger_dedupe and source.startswith("aws.") and alarm:
            key = alarm
        else:
            key = _uuid_like("dedupe", c["event_id"][i])
        arn = None
        for candidate in self.open_by_key.get(key, ()):
            if self.options.dedupe_scope == "response_plan" and self.records[candidate]["plan"] != plan_name:
                continue
            arn = candidate
            break
        if arn is None:
            arn = f"arn:aws:ssm-incidents::{DEFAULT_ACCOUNT_ID}:incident-record/{plan_name}/{_uuid_like(plan_name, c['event_id'][i])}"
            self.records[arn] = {
                "plan": plan_name,
                "title": c["title"][i] or plan.title,
                "impact": int(c["impact"][i]) or plan.impact,
                "created": when,
                "resolved": None,
                "dedupe": key,
            }
            self.open_by_key.setdefault(key, []).append(arn)
        if token:
            self.store[token] = (request, arn, when)
        return arn
