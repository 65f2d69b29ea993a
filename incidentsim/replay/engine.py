"""The emulator engine: every trigger through a boto3 ssm-incidents client, in time order.

The emulator's clock is set to each call's historical time first, so records
carry the times they would have had.  Outcomes are read from the API alone: a
new record ARN means created; a known ARN means deduplicated, by ``clientToken``
when this replay already got that ARN for the same token, otherwise by the
dedupe string of an OPEN incident.  The same code therefore works in process
(``mock_incidents``) and against ``incidentsim serve``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
import pandas as pd
from botocore.config import Config
from botocore.exceptions import ClientError

from ..datasets.schema import validate_alarm_frame
from ..policy import Policy, ResponsePlan
from ..rules import api_limits
from .codes import OUTCOME_CODES, REASON_CODES
from .decisions import decide_codes
from .result import EVENT_RESULT_COLUMNS, ReplayResult
from .simulation import (
    Incident,
    Outcomes,
    Resolver,
    event_table,
    fed_by,
    incident_table,
    rejections,
)

ENGINES = ("emulator", "fast", "dask")
#: The columns of :meth:`EmulatorReplay.timeline`, one row per service call.
TIMELINE_COLUMNS = (
    "operation", "event_index", "event_id", "sim_time", "wall_s", "duration_s", "attempts", "faults", "error_code", "outcome", "incident_arn",
)
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
    from ..emulator import get_backend, make_client, mock_incidents, register
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
    register()  # the caller's client inside their own moto mock: make sure moto serves ssm-incidents
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


TRANSIENT_CODES = frozenset({"ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded", "ServiceUnavailable"})


def is_transient(error: ClientError) -> bool:
    """True when botocore's retries would retry this error: a 5xx or a throttle."""
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return status >= 500 or status == 429 or error.response.get("Error", {}).get("Code", "") in TRANSIENT_CODES


@dataclass(frozen=True)
class Answer:
    """What one StartIncident trigger came to: ``outcome`` is created, deduplicated,
    rejected (the service refused the request) or failed (retries ran out)."""

    outcome: str
    incident_arn: str = ""
    error_code: str = ""
    error_message: str = ""


class EmulatorReplay:
    """A replay in progress through a session, one AlarmFrame row per :meth:`step`.

    :func:`incidentsim.replay` runs it to the end; the game-day player paces the
    steps and may stop anywhere, taking a partial :meth:`result`.  Every service
    call is recorded in :attr:`calls` (operation, simulated time, attempts, the
    error codes of failed attempts, outcome), so retries and faults met are counted.
    """

    def __init__(self, alarms: pd.DataFrame, policy: Policy, session: _Session):
        self.alarms = alarms
        self.policy = policy
        self.session = session
        self.codes = decide_codes(alarms, policy)
        self.decisions = self.codes.frame()
        n = len(alarms)
        self.outcome = ["ignored"] * n
        self.dedup_reason = [""] * n
        self.incident_arn = [""] * n
        self.error_code: list[str] = self.decisions["decision_error"].tolist()
        self.error_message = [""] * n
        self.position = 0
        self.calls: list[dict[str, Any]] = []
        self.tokens: dict[str, str] = {}
        self.offline = False
        #: seconds since the run began, for the calls' ``wall_s`` (the game-day player sets it)
        self.wall: Callable[[], float] | None = None
        self._attempt_errors: list[str] = []
        self.times = [pd.Timestamp(t) for t in alarms["timestamp"].tolist()]
        self.alarm_arns = alarms["alarm_arn"].astype(str).tolist()
        self.states = alarms["state"].astype(str).tolist()
        self.event_ids = alarms["event_id"].astype(str).tolist()
        self.sources = [str(s) or "aws.cloudwatch" for s in alarms["source"].tolist()]
        self.raw = alarms["raw"].astype(str).str.slice(0, api_limits().raw_data).tolist()
        self.plans = self.decisions["response_plan"].tolist()
        self.triggers = self.decisions["trigger"].tolist()
        self.client_tokens = self.decisions["client_token"].tolist()
        self.titles = self.decisions["title"].tolist()
        self.impacts = self.decisions["impact"].tolist()
        self.resolver = Resolver(policy, self._resolve)
        events = session.client.meta.events
        events.register("response-received.ssm-incidents", self._attempt)
        try:
            session.configure(**policy.emulator_options())
            self.plan_arns = _ensure_plans(session.client, policy.response_plans)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Stop watching the client's attempts (the client stays usable)."""
        self.session.client.meta.events.unregister("response-received.ssm-incidents", self._attempt)

    def __len__(self) -> int:
        return len(self.alarms)

    @property
    def done(self) -> bool:
        return self.position >= len(self.alarms)

    def is_trigger(self, i: int) -> bool:
        return bool(self.triggers[i])

    # ------------------------------------------------------------------ calls

    def _attempt(self, parsed_response: dict[str, Any] | None = None, exception: Exception | None = None, **_: Any) -> None:
        """Each HTTP attempt's answer (botocore's response-received event): note the failed ones."""
        if exception is not None:
            self._attempt_errors.append(type(exception).__name__)
        elif parsed_response is not None and "Error" in parsed_response:
            self._attempt_errors.append(str(parsed_response["Error"].get("Code") or "HTTP error"))

    def _call(self, operation: str, index: int, when: pd.Timestamp, incident: str, method: Callable[..., Any], **request: Any) -> tuple[Any, ClientError | None]:
        self._attempt_errors = []
        response, failure = None, None
        wall = self.wall() if self.wall is not None else float("nan")
        began = time.perf_counter()
        try:
            response = method(**request)
        except ClientError as error:
            failure = error
        duration = time.perf_counter() - began
        answer: dict[str, Any] = failure.response if failure is not None else (response or {})
        meta = answer.get("ResponseMetadata", {})
        attempts = int(meta.get("RetryAttempts", 0)) + 1
        self.calls.append(
            {
                "operation": operation,
                "event_index": index,
                "event_id": self.event_ids[index] if index >= 0 else "",
                "sim_time": when,
                "wall_s": round(wall, 6),
                "duration_s": round(duration, 6),
                "attempts": attempts,
                "faults": ",".join(self._attempt_errors),
                "error_code": failure.response["Error"].get("Code", "") if failure is not None else "",
                "incident_arn": incident or (response or {}).get("incidentRecordArn", ""),
            }
        )
        return response, failure

    def _resolve(self, arn: str, when: pd.Timestamp) -> bool:
        """Resolve the incident at ``when``; False when the service did not take it (it stays OPEN)."""
        if self.offline:
            return True  # resolutions already made by the run being restored
        self.session.set_clock(when.to_pydatetime())
        _, failure = self._call("UpdateIncidentRecord", -1, when, arn, self.session.client.update_incident_record, arn=arn, status="RESOLVED")
        self.calls[-1]["outcome"] = "resolved" if failure is None else ("failed" if is_transient(failure) else "rejected")
        return failure is None

    def _start(self, i: int, when: pd.Timestamp) -> Answer:
        self.session.set_clock(when.to_pydatetime())
        request: dict[str, Any] = {
            "responsePlanArn": self.plan_arns[self.plans[i]],
            "triggerDetails": {"source": self.sources[i], "triggerArn": self.alarm_arns[i], "timestamp": when.to_pydatetime(), "rawData": self.raw[i]},
        }
        if self.client_tokens[i]:
            request["clientToken"] = self.client_tokens[i]
        if self.titles[i]:
            request["title"] = self.titles[i]
        if self.impacts[i]:
            request["impact"] = int(self.impacts[i])
        response, failure = self._call("StartIncident", i, when, "", self.session.client.start_incident, **request)
        if failure is None:
            return Answer("created", response["incidentRecordArn"])  # created or deduplicated: step() tells which
        code = failure.response["Error"].get("Code", "")
        message = failure.response["Error"].get("Message", "")
        if is_transient(failure):
            attempts = self.calls[-1]["attempts"]
            return Answer("failed", "", code, f"{message} (gave up after {attempts} attempt{'s' if attempts != 1 else ''})")
        return Answer("rejected", "", code, message)

    # ------------------------------------------------------------------ playing

    def step(self, recorded: Answer | None = None) -> Answer | None:
        """Play the next row; return the StartIncident answer when it was a trigger.

        ``recorded`` replaces the service call with an answer a previous run got
        (restoring a run's bookkeeping without calling the service again).
        """
        i = self.position
        when = self.times[i]
        self.resolver.due(when)
        alarm = self.alarm_arns[i]
        answer = None
        if self.triggers[i]:
            answer = recorded if recorded is not None else self._start(i, when)
            if answer.outcome in ("rejected", "failed"):
                self.outcome[i] = answer.outcome
                self.error_code[i] = answer.error_code
                self.error_message[i] = answer.error_message
            else:
                arn = answer.incident_arn
                self.incident_arn[i] = arn
                token = self.client_tokens[i]
                if arn not in self.resolver.incidents:
                    self.outcome[i] = "created"
                    self.resolver.created(Incident(arn, self.plans[i], when, {alarm}))
                else:
                    self.outcome[i] = "deduplicated"
                    self.dedup_reason[i] = "client_token" if token and self.tokens.get(token) == arn else "dedupe_string"
                    self.resolver.fed(self.resolver.incidents[arn], alarm)
                if token:
                    self.tokens.setdefault(token, arn)
                answer = Answer(self.outcome[i], arn)
            if recorded is None and self.calls:
                self.calls[-1]["outcome"] = self.outcome[i]
        elif self.error_code[i]:
            self.outcome[i] = "rejected"
        self.resolver.state_changed(alarm, self.states[i], when)
        self.position += 1
        return answer

    def open_incidents(self) -> int:
        # a copy first: another thread (a game day's player) may be adding incidents meanwhile
        return sum(1 for incident in list(self.resolver.incidents.values()) if incident.resolved is None)

    def result(
        self, *, finish: bool = True, engine: str = "emulator", meta: dict[str, Any] | None = None, from_service: bool = True
    ) -> ReplayResult:
        """The events and incidents so far: the rows played, and every incident they created.

        With ``finish`` (after the last row) the resolutions still scheduled are
        carried out first, as a replay does; a stopped game day leaves them.  Without
        ``from_service`` (the endpoint is gone) the incidents come from this replay's own
        bookkeeping: plan, times, triggers and alarms, with the service's fields (title,
        impact, dedupe string) left empty and the status ``UNKNOWN``.
        """
        if finish:
            self.resolver.due(None)
        k = self.position
        alarms = self.alarms.iloc[:k]
        outcome = np.asarray([OUTCOME_CODES[o] for o in self.outcome[:k]], dtype=np.int8)
        codes, arns = pd.factorize(pd.Series(self.incident_arn[:k], dtype=object).replace("", None))
        incident = codes.astype(np.int64)
        arns = np.asarray(arns, dtype=object)
        counts, names = fed_by(alarms, outcome, incident, len(arns))
        count_of = dict(zip(arns.tolist(), counts.tolist()))
        names_of = dict(zip(arns.tolist(), names))
        if from_service:
            incidents = _incident_table(self.session.client, self.resolver, count_of, names_of)
        else:
            incidents = incident_table(
                [
                    {"incident_arn": arn, "response_plan": incident.plan, "title": "", "impact": 0, "status": "UNKNOWN",
                     "creation_time": incident.created, "resolved_time": incident.resolved, "trigger_count": count_of.get(arn, 0),
                     "dedupe_string": "", "alarm_names": names_of.get(arn, ())}
                    for arn, incident in list(self.resolver.incidents.items())
                ]
            )
        dedupe_of = dict(zip(incidents["incident_arn"], incidents["dedupe_string"]))
        failed = self.codes.failed
        errors = {
            i: (self.error_code[i], self.error_message[i])
            for i in range(k) if self.outcome[i] in ("rejected", "failed") and not failed[i]
        }
        done = Outcomes(
            outcome, np.asarray([REASON_CODES[r] for r in self.dedup_reason[:k]], dtype=np.int8), incident, arns,
            np.asarray([dedupe_of.get(arn, "") for arn in arns.tolist()], dtype=object), errors,
        )
        decisions = self.codes.head(k)
        events, explain = event_table(alarms, decisions, done)
        return ReplayResult(events=events, incidents=incidents, engine=engine, policy_name=self.policy.name,
                            meta={"emulator": self.session.where, "rejections": rejections(decisions, done), **(meta or {})},
                            explain=explain)

    def timeline(self) -> pd.DataFrame:
        """One row per service call: operation, event, simulated time, attempts, faults met, outcome."""
        return pd.DataFrame(self.calls, columns=list(TIMELINE_COLUMNS))


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

    with open_session(client, endpoint_url, allow_remote) as session:
        run = EmulatorReplay(alarms, policy, session)
        try:
            with tqdm(total=len(run), disable=not progress, desc="replay", unit="event") as bar:
                while not run.done:
                    run.step()
                    bar.update(1)
            retries = sum(call["attempts"] - 1 for call in run.calls)
            return run.result(meta={"calls": len(run.calls), "retries": retries})
        finally:
            run.close()


def _incident_table(client: Any, resolver: Resolver, counts: dict[str, int], names: dict[str, tuple[str, ...]]) -> pd.DataFrame:
    """Every incident the replay created, as GetIncidentRecord reports it."""
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
    partition_rows: int | None = None,
) -> Any:
    """Replay alarm history into the emulated Incident Manager and record what each event did.

    Parameters
    ----------
    alarms : AlarmFrame, AlarmLoad, or paths
        The history (anything :func:`incidentsim.load_alarms` reads, or its result). With
        ``engine="dask"``: a Dask DataFrame of AlarmFrame rows, or a path or glob of a
        Parquet dataset (``incidentsim load --partitioned`` writes one).
    policy : Policy or path to a YAML policy
    engine : {"emulator", "fast", "dask"}
        ``"emulator"`` calls StartIncident for every trigger through boto3; ``"fast"``
        computes the same tables without service calls (synthetic incident ARNs in the
        real format), for tuning and large histories; ``"dask"`` computes the fast
        engine's answer on a Dask cluster, for histories larger than one machine, and
        returns a :class:`~incidentsim.replay.distributed.DaskReplayResult` (lazy tables).
    client : boto3 ssm-incidents client, or dask.distributed.Client, optional
        Use this client (inside a moto mock, or pointed at a served emulator). With
        ``engine="dask"``, the Dask client to compute with (none: the default client,
        else a new ``LocalCluster`` on loopback).
    partition_rows : int, optional
        With ``engine="dask"``: rows per partition the shuffle aims at (default 250,000).
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
    if engine == "dask":
        if endpoint_url is not None:
            raise ValueError("the dask engine calls no service; endpoint_url goes with engine='emulator'")
        from .distributed import DEFAULT_PARTITION_ROWS, run_dask

        history = alarms.alarms if isinstance(alarms, AlarmLoad) else alarms
        return run_dask(history, policy, client=client, partition_rows=partition_rows or DEFAULT_PARTITION_ROWS)
    if partition_rows is not None:
        raise ValueError("partition_rows goes with engine='dask'")
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
