"""The emulator engine: every trigger through a boto3 ssm-incidents client, in time order.

The emulator's clock is set to each call's historical time first, so records
carry the times they would have had.  Outcomes are read from the API alone: a
new record ARN means created; a known ARN means deduplicated, by ``clientToken``
when this replay already got that ARN for the same token, otherwise by the
dedupe string of an OPEN incident.  The same code therefore works in process
(``mock_incidents``) and against ``incidentsim serve``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pandas as pd
from botocore.config import Config
from botocore.exceptions import ClientError

from ..datasets.schema import validate_alarm_frame
from ..policy import Policy, ResponsePlan
from .decisions import decide
from .result import EVENT_RESULT_COLUMNS, ReplayResult
from .simulation import Incident, Resolver, event_table, fed_counts, incident_table

ENGINES = ("emulator", "fast")
RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 5})


@dataclass
class _Session:
    """A client and the means to set the emulator's clock and options."""

    client: Any
    set_clock: Callable[[datetime], Any]
    configure: Callable[..., Any]
    where: str


@contextmanager
def open_session(client: Any = None, endpoint_url: str | None = None, allow_remote: bool = False) -> Iterator[_Session]:
    """A session on the emulator: in process by default, or a served one at ``endpoint_url``."""
    from ..emulator import get_backend, make_client, mock_incidents
    from ..emulator.core import guard_client, is_loopback
    from ..emulator.server import EmulatorControl

    if client is None and endpoint_url is None:
        with mock_incidents():
            backend = get_backend()
            yield _Session(make_client(config=RETRIES), backend.clock.set, backend.configure, "the in-process emulator")
        return
    if client is None:
        client = make_client(endpoint_url=endpoint_url, allow_remote=allow_remote, config=RETRIES)
    else:
        guard_client(client, allow_remote=allow_remote)
    url = client.meta.endpoint_url
    if is_loopback(urlparse(url).hostname) or allow_remote and endpoint_url is not None:
        control = EmulatorControl(url, allow_remote=allow_remote)
        try:
            yield _Session(client, control.set_clock, control.configure, f"the emulator served at {url}")
        finally:
            control.set_clock(None)
        return
    backend = get_backend()
    yield _Session(client, backend.clock.set, backend.configure, "the in-process emulator")


def _ensure_plans(client: Any, plans: tuple[ResponsePlan, ...]) -> dict[str, str]:
    """Create the policy's response plans (or bring existing ones in line); name -> ARN."""
    arns = {}
    for plan in plans:
        kwargs: dict[str, Any] = {"name": plan.name, "incidentTemplate": plan.incident_template()}
        if plan.display_name:
            kwargs["displayName"] = plan.display_name
        try:
            arns[plan.name] = client.create_response_plan(**kwargs)["arn"]
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConflictException":
                raise
            arn = error.response.get("resourceIdentifier") or next(
                p["arn"] for p in client.get_paginator("list_response_plans").paginate().build_full_result()["responsePlanSummaries"]
                if p["name"] == plan.name
            )
            template = plan.incident_template()
            client.update_response_plan(
                arn=arn,
                incidentTemplateTitle=template["title"],
                incidentTemplateImpact=template["impact"],
                incidentTemplateSummary=template.get("summary", ""),
                incidentTemplateDedupeString=template.get("dedupeString", ""),
                incidentTemplateTags=template.get("incidentTags", {}),
            )
            arns[plan.name] = arn
    return arns


def run_emulator(
    alarms: pd.DataFrame,
    policy: Policy,
    *,
    client: Any = None,
    endpoint_url: str | None = None,
    allow_remote: bool = False,
    progress: bool = True,
) -> ReplayResult:
    """Replay ``alarms`` under ``policy`` through StartIncident calls; see :func:`incidentsim.replay`."""
    from tqdm.auto import tqdm

    decisions = decide(alarms, policy)
    n = len(alarms)
    outcome = ["ignored"] * n
    dedup_reason = [""] * n
    incident_arn = [""] * n
    error_code = decisions["decision_error"].tolist()
    error_message = [""] * n
    tokens: dict[str, str] = {}
    with open_session(client, endpoint_url, allow_remote) as session:
        session.configure(**policy.emulator_options())
        plan_arns = _ensure_plans(session.client, policy.response_plans)
        def resolve(arn: str, when: pd.Timestamp) -> None:
            session.set_clock(when.to_pydatetime())
            session.client.update_incident_record(arn=arn, status="RESOLVED")

        resolver = Resolver(policy, resolve)
        rows = alarms[["timestamp", "alarm_arn", "alarm_name", "state", "previous_state"]].to_dict(orient="records")
        source_column = [str(s) or "aws.cloudwatch" for s in alarms["source"].tolist()]
        raw_column = alarms["raw"].astype(str).str.slice(0, 10000).tolist()
        plan_column = decisions["response_plan"].tolist()
        trigger_column = decisions["trigger"].tolist()
        token_column = decisions["client_token"].tolist()
        title_column = decisions["title"].tolist()
        impact_column = decisions["impact"].tolist()
        with tqdm(total=n, disable=not progress, desc="replay", unit="event") as bar:
            for i, row in enumerate(rows):
                when = pd.Timestamp(row["timestamp"])
                resolver.due(when)
                alarm = row["alarm_arn"]
                if trigger_column[i]:
                    session.set_clock(when.to_pydatetime())
                    request: dict[str, Any] = {
                        "responsePlanArn": plan_arns[plan_column[i]],
                        "triggerDetails": {
                            "source": source_column[i],
                            "triggerArn": alarm,
                            "timestamp": when.to_pydatetime(),
                            "rawData": raw_column[i],
                        },
                    }
                    if token_column[i]:
                        request["clientToken"] = token_column[i]
                    if title_column[i]:
                        request["title"] = title_column[i]
                    if impact_column[i]:
                        request["impact"] = int(impact_column[i])
                    try:
                        arn = session.client.start_incident(**request)["incidentRecordArn"]
                    except ClientError as error:
                        outcome[i] = "rejected"
                        error_code[i] = error.response["Error"]["Code"]
                        error_message[i] = error.response["Error"].get("Message", "")
                    else:
                        incident_arn[i] = arn
                        token = token_column[i]
                        if arn not in resolver.incidents:
                            outcome[i] = "created"
                            resolver.created(Incident(arn, plan_column[i], when, {alarm}))
                        else:
                            outcome[i] = "deduplicated"
                            dedup_reason[i] = "client_token" if token and tokens.get(token) == arn else "dedupe_string"
                            resolver.fed(resolver.incidents[arn], alarm)
                        if token:
                            tokens.setdefault(token, arn)
                elif error_code[i]:
                    outcome[i] = "rejected"
                resolver.state_changed(alarm, str(row["state"]), when)
                bar.update(1)
        resolver.due(None)
        incidents = _incident_table(session.client, resolver, alarms, incident_arn, outcome)
    events = event_table(alarms, decisions, policy, outcome, dedup_reason, incident_arn, error_code, error_message, incidents)
    return ReplayResult(events=events, incidents=incidents, engine="emulator", policy_name=policy.name, meta={"emulator": session.where})


def _incident_table(client: Any, resolver: Resolver, alarms: pd.DataFrame, incident_arn: list[str], outcome: list[str]) -> pd.DataFrame:
    """Every incident the replay created, as GetIncidentRecord reports it."""
    counts, names = fed_counts(alarms, incident_arn, outcome)
    rows = []
    for arn, incident in resolver.incidents.items():
        record = client.get_incident_record(arn=arn)["incidentRecord"]
        rows.append(
            {
                "incident_arn": arn,
                "response_plan": incident.plan,
                "title": record["title"],
                "impact": record["impact"],
                "status": record["status"],
                "creation_time": pd.Timestamp(record["creationTime"]).tz_convert("UTC"),
                "resolved_time": pd.Timestamp(record["resolvedTime"]).tz_convert("UTC") if record.get("resolvedTime") else pd.NaT,
                "trigger_count": int(counts.get(arn, 0)),
                "dedupe_string": record["dedupeString"],
                "alarm_names": names.get(arn, ()),
            }
        )
    return incident_table(rows)


def replay(
    alarms: Any,
    policy: Policy | str | Path,
    *,
    engine: str = "emulator",
    client: Any = None,
    endpoint_url: str | None = None,
    allow_remote: bool = False,
    progress: bool = True,
) -> ReplayResult:
    """Replay alarm history into the emulated Incident Manager and record what each event did.

    Parameters
    ----------
    alarms : AlarmFrame, AlarmLoad, or paths
        The history (anything :func:`incidentsim.load_alarms` reads, or its result).
    policy : Policy or path to a YAML policy
    engine : {"emulator", "fast"}
        ``"emulator"`` calls StartIncident for every trigger through boto3; ``"fast"``
        computes the same tables without service calls (synthetic incident ARNs in the
        real format), for tuning and large histories.
    client : boto3 ssm-incidents client, optional
        Use this client (inside a moto mock, or pointed at a served emulator).
    endpoint_url : str, optional
        A served emulator such as ``incidentsim serve`` (loopback unless ``allow_remote``).
        With neither, the replay runs against a fresh in-process emulator.
    progress : bool
        Show a progress bar (a notebook widget in Jupyter, text in a terminal).

    Returns
    -------
    ReplayResult
        ``events`` (one row per state change, with its outcome and why), ``incidents``,
        ``summary()``, ``explain(event_id)``, ``to_csv()``, ``to_parquet()``.

    Examples
    --------
    >>> import incidentsim
    >>> result = incidentsim.replay("data/alarm-events.jsonl", "data/sample-policy.yaml", progress=False)  # doctest: +SKIP
    >>> result.summary()["created"]  # doctest: +SKIP
    """
    from ..datasets.loaders import AlarmLoad, load_alarms

    if engine not in ENGINES:
        raise ValueError(f"The 'engine' parameter of replay must be one of {{{', '.join(ENGINES)}}}. Got {engine!r} instead.")
    if not isinstance(policy, Policy):
        policy = Policy.from_yaml(policy)
    if isinstance(alarms, AlarmLoad):
        frame = alarms.alarms
    elif isinstance(alarms, pd.DataFrame):
        frame = validate_alarm_frame(alarms)
    else:
        frame = load_alarms(alarms).alarms
    # a previous replay's events table replays as the history it holds
    frame = frame.drop(columns=[c for c in EVENT_RESULT_COLUMNS if c in frame.columns]).reset_index(drop=True)
    if engine == "fast":
        if client is not None or endpoint_url is not None:
            raise ValueError("the fast engine calls no service; client and endpoint_url go with engine='emulator'")
        from .fast import run_fast

        return run_fast(frame, policy)
    return run_emulator(frame, policy, client=client, endpoint_url=endpoint_url, allow_remote=allow_remote, progress=progress)
