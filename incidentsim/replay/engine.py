"""The emulator engine: every trigger through a boto3 ssm-incidents client, in time order.

The emulator's clock is set to each call's historical time first, so records
carry the times they would have had.  Outcomes are read from the API alone: a
new record ARN means created; a known ARN means deduplicated, by ``clientToken``
when this replay already got that ARN for the same token, otherwise by the
dedupe string of an OPEN incident.  The same code therefore works in process
(``mock_incidents``) and against ``incidentsim serve``.

:class:`EmulatorReplay` is the stepping interface, in SimPy's manner: ``now``,
``peek()``, ``step()``, ``run(until)``, ``position``/``total`` and ``result()`` (the
result so far).  :func:`replay` runs one to the end; the game-day player paces one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
import pandas as pd
from botocore.config import Config
from botocore.exceptions import ClientError

from ..constants import OUTCOMES
from ..datasets.schema import validate_alarm_frame
from ..policy import Policy, ResponsePlan
from ..rules import api_limits
from .codes import OUTCOME_CODES, REASON_CODES
from .decisions import decide_codes
from .result import EVENT_RESULT_COLUMNS, ReplayResult, summary_of_counts
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
    "operation",
    "event_index",
    "event_id",
    "sim_time",
    "wall_s",
    "duration_s",
    "attempts",
    "faults",
    "error_code",
    "outcome",
    "incident_arn",
)
RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 5})


@dataclass(frozen=True)
class EmulatorSession:
    """A boto3 ssm-incidents client on the emulator and the means to set its clock and options.

    What :func:`open_session` yields: ``set_clock(when)`` sets the emulator's clock,
    ``configure(**options)`` sets :class:`~incidentsim.emulator.EmulatorOptions`,
    and ``where`` names the emulator in words (a result's ``meta["emulator"]``).
    """

    client: Any
    set_clock: Callable[[datetime], Any]
    configure: Callable[..., Any]
    where: str


@contextmanager
def open_session(
    client: Any = None, endpoint_url: str | None = None, allow_remote: bool = False
) -> Iterator[EmulatorSession]:
    """A session on the emulator: in process by default, or a served one at ``endpoint_url``.

    With a served emulator, its clock goes back to the wall clock when the session ends
    (unless the endpoint is gone by then).
    """
    from ..emulator import get_backend, make_client, mock_incidents, register
    from ..emulator.core import guard_client, is_loopback
    from ..emulator.server import EmulatorControl

    if client is None and endpoint_url is None:
        with mock_incidents():
            backend = get_backend()
            yield EmulatorSession(
                make_client(config=RETRIES), backend.clock.set, backend.configure, "the in-process emulator"
            )
        return
    if client is None:
        client = make_client(endpoint_url=endpoint_url, allow_remote=allow_remote, config=RETRIES)
    else:
        guard_client(client, allow_remote=allow_remote)
    url = client.meta.endpoint_url
    if is_loopback(urlparse(url).hostname) or allow_remote and endpoint_url is not None:
        control = EmulatorControl(url, allow_remote=allow_remote)
        try:
            yield EmulatorSession(client, control.set_clock, control.configure, f"the emulator served at {url}")
        finally:
            try:
                control.set_clock(None)
            except OSError:
                pass  # the endpoint is gone (a crashed game day's): there is no clock left to reset
        return
    register()  # the caller's client inside their own moto mock: make sure moto serves ssm-incidents
    backend = get_backend()
    yield EmulatorSession(client, backend.clock.set, backend.configure, "the in-process emulator")


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
                p["arn"]
                for p in client.get_paginator("list_response_plans")
                .paginate()
                .build_full_result()["responsePlanSummaries"]
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


TRANSIENT_CODES = frozenset(
    {"ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded", "ServiceUnavailable"}
)


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


class ReplayFinished(IndexError):
    """:meth:`EmulatorReplay.step` after the last event: there is nothing left to play."""


@dataclass(frozen=True)
class Step:
    """What one alarm state change came to when :meth:`EmulatorReplay.step` played it.

    Attributes
    ----------
    index : int
        Its row in the history (0 for the first).
    event_id, alarm_name, state : str
        The AlarmFrame row's.
    time : Timestamp
        Its simulated time (the row's ``timestamp``).
    trigger : bool
        True when it called StartIncident (a state change into ALARM that a route sends to a plan).
    response_plan, title : str
        The plan it went to and the title sent with StartIncident ("" when the plan's own applies).
    impact : int
        The impact sent with StartIncident (0 when the plan's own applies).
    outcome : str
        ``created``, ``deduplicated``, ``ignored``, ``rejected`` or ``failed`` (the service's
        retries ran out), as in :attr:`ReplayResult.events`.
    dedup_reason : str
        ``client_token``, ``dedupe_string`` or "".
    incident_arn, error_code, error_message : str
        The incident it created or joined; the error of a refused row.
    calls : tuple of dict
        The service calls made while playing it (resolutions that fell due first, then the
        StartIncident), each a row of :meth:`EmulatorReplay.timeline`.
    """

    index: int
    event_id: str
    time: pd.Timestamp
    alarm_name: str
    state: str
    trigger: bool
    response_plan: str
    title: str
    impact: int
    outcome: str
    dedup_reason: str
    incident_arn: str
    error_code: str
    error_message: str
    calls: tuple[dict[str, Any], ...] = ()

    @property
    def answer(self) -> Answer:
        """The outcome as an :class:`Answer`, to hand back to :meth:`EmulatorReplay.step` when a run is restored."""
        return Answer(self.outcome, self.incident_arn, self.error_code, self.error_message)


class EmulatorReplay:
    """A replay through the emulator that advances one alarm state change at a time, in SimPy's manner.

    It holds the simulated clock: :attr:`now` is the time of the last event played,
    :meth:`peek` the time of the next, :meth:`step` plays the next one (its StartIncident
    call, after the resolutions that fell due) and returns a :class:`Step`, :meth:`run` plays up
    to a simulated time or to the end, and :meth:`result` is the :class:`ReplayResult` of what has
    been played.  :func:`incidentsim.replay` (``engine="emulator"``) runs one to the end; the
    game-day player paces its steps against wall time and journals them.

    Parameters
    ----------
    alarms : AlarmFrame
        The history, one row per state change in time order (as :func:`incidentsim.load_alarms`
        returns it in ``.alarms``).
    policy : Policy or path to a YAML policy
    client, endpoint_url, allow_remote
        Where the emulator is, as for :func:`incidentsim.replay`: a fresh in-process emulator
        when neither ``client`` nor ``endpoint_url`` is given (it lasts until :meth:`close`).
    wall_clock : callable, optional
        Seconds since the run began, stamped on each call as ``wall_s`` (NaN without it).

    Every service call is recorded (:attr:`calls`, :meth:`timeline`): operation, simulated time,
    attempts, the error codes of failed attempts and the outcome, so retries and faults met are
    counted.  Close it (or use it in a ``with`` block) when done: that ends the session.

    Examples
    --------
    >>> from incidentsim import Policy, load_alarms
    >>> alarms = load_alarms("data/alarm-events.jsonl").alarms.iloc[:40]
    >>> with EmulatorReplay(alarms, Policy.from_yaml("data/sample-policy.yaml")) as replay:
    ...     first = replay.step()
    ...     played = replay.run(until=alarms["timestamp"].iloc[19])
    ...     (replay.now == alarms["timestamp"].iloc[19], replay.position, replay.total)
    ...     replay.run()
    ...     replay.peek() is None and replay.result().summary()["events"] == 40
    (True, 20, 40)
    20
    True
    """

    def __init__(
        self,
        alarms: pd.DataFrame,
        policy: Policy | str | Path,
        *,
        client: Any = None,
        endpoint_url: str | None = None,
        allow_remote: bool = False,
        wall_clock: Callable[[], float] | None = None,
    ):
        self.alarms = alarms
        self.policy = policy if isinstance(policy, Policy) else Policy.from_yaml(policy)
        self._wall_clock = wall_clock
        self._stack = ExitStack()
        self._watching = False
        self.session: EmulatorSession = self._stack.enter_context(open_session(client, endpoint_url, allow_remote))
        try:
            self._codes = decide_codes(alarms, self.policy)
            decisions = self._codes.frame()
            n = len(alarms)
            self._outcome = ["ignored"] * n
            self._dedup_reason = [""] * n
            self._incident_arn = [""] * n
            self._error_code: list[str] = decisions["decision_error"].tolist()
            self._error_message = [""] * n
            self._position = 0
            # running counts for summary(): every key there from the start, so a reader on another thread never sees
            # one added
            self._outcome_counts = dict.fromkeys(OUTCOMES, 0)
            self._reason_counts = dict.fromkeys(REASON_CODES, 0)
            self._calls: list[dict[str, Any]] = []
            self._tokens: dict[str, str] = {}
            self._attempt_errors: list[str] = []
            self._times = [pd.Timestamp(t) for t in alarms["timestamp"].tolist()]
            self._alarm_arns = alarms["alarm_arn"].astype(str).tolist()
            self._alarm_names = alarms["alarm_name"].astype(str).tolist()
            self._states = alarms["state"].astype(str).tolist()
            self._event_ids = alarms["event_id"].astype(str).tolist()
            self._sources = [str(s) or "aws.cloudwatch" for s in alarms["source"].tolist()]
            self._raw = alarms["raw"].astype(str).str.slice(0, api_limits().raw_data).tolist()
            self._plans = decisions["response_plan"].tolist()
            self._triggers = decisions["trigger"].tolist()
            self._client_tokens = decisions["client_token"].tolist()
            self._titles = decisions["title"].tolist()
            self._impacts = decisions["impact"].tolist()
            self._resolver = Resolver(self.policy, self._resolve)
            self._offline = False
            self.session.client.meta.events.register("response-received.ssm-incidents", self._attempt)
            self._watching = True
            self.session.configure(**self.policy.emulator_options())
            self._plan_arns = _ensure_plans(self.session.client, self.policy.response_plans)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Stop watching the client's attempts and end the session (an in-process emulator is gone then)."""
        if self._watching:
            self.session.client.meta.events.unregister("response-received.ssm-incidents", self._attempt)
            self._watching = False
        self._stack.close()

    def __enter__(self) -> EmulatorReplay:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ------------------------------------------------------------------ where it is

    def __len__(self) -> int:
        return len(self.alarms)

    @property
    def total(self) -> int:
        """How many events the history holds."""
        return len(self.alarms)

    @property
    def position(self) -> int:
        """How many events have been played (the row :meth:`step` plays next)."""
        return self._position

    @property
    def done(self) -> bool:
        """True once every event has been played."""
        return self._position >= len(self.alarms)

    @property
    def now(self) -> pd.Timestamp | None:
        """The simulated time of the last event played; None before the first."""
        return self._times[self._position - 1] if self._position else None

    def peek(self) -> pd.Timestamp | None:
        """The simulated time of the next event; None when every event has been played."""
        return None if self.done else self._times[self._position]

    @property
    def calls(self) -> tuple[dict[str, Any], ...]:
        """Every service call made so far, each a row of :meth:`timeline` (read them, do not change them)."""
        return tuple(self._calls)

    def open_incidents(self) -> list[str]:
        """The ARNs of the incidents created so far that are still open, by this replay's own bookkeeping."""
        # a copy first: another thread (a game day's player) may be adding incidents meanwhile
        return [arn for arn, incident in list(self._resolver.incidents.items()) if incident.resolved is None]

    def summary(self) -> dict[str, Any]:
        """What :meth:`ReplayResult.summary` says of the events played so far, without building the tables."""
        return summary_of_counts(self._position, dict(self._outcome_counts), dict(self._reason_counts))

    # ------------------------------------------------------------------ calls

    def _attempt(
        self, parsed_response: dict[str, Any] | None = None, exception: Exception | None = None, **_: Any
    ) -> None:
        """Each HTTP attempt's answer (botocore's response-received event): note the failed ones."""
        if exception is not None:
            self._attempt_errors.append(type(exception).__name__)
        elif parsed_response is not None and "Error" in parsed_response:
            self._attempt_errors.append(str(parsed_response["Error"].get("Code") or "HTTP error"))

    def _call(
        self, operation: str, index: int, when: pd.Timestamp, incident: str, method: Callable[..., Any], **request: Any
    ) -> tuple[Any, ClientError | None]:
        self._attempt_errors = []
        response, failure = None, None
        wall = self._wall_clock() if self._wall_clock is not None else float("nan")
        began = time.perf_counter()
        try:
            response = method(**request)
        except ClientError as error:
            failure = error
        duration = time.perf_counter() - began
        answer: dict[str, Any] = failure.response if failure is not None else (response or {})
        meta = answer.get("ResponseMetadata", {})
        attempts = int(meta.get("RetryAttempts", 0)) + 1
        self._calls.append(
            {
                "operation": operation,
                "event_index": index,
                "event_id": self._event_ids[index] if index >= 0 else "",
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
        if self._offline:
            return True  # resolutions already made by the run being restored
        self.session.set_clock(when.to_pydatetime())
        _, failure = self._call(
            "UpdateIncidentRecord",
            -1,
            when,
            arn,
            self.session.client.update_incident_record,
            arn=arn,
            status="RESOLVED",
        )
        self._calls[-1]["outcome"] = (
            "resolved" if failure is None else ("failed" if is_transient(failure) else "rejected")
        )
        return failure is None

    def _start(self, i: int, when: pd.Timestamp) -> Answer:
        self.session.set_clock(when.to_pydatetime())
        request: dict[str, Any] = {
            "responsePlanArn": self._plan_arns[self._plans[i]],
            "triggerDetails": {
                "source": self._sources[i],
                "triggerArn": self._alarm_arns[i],
                "timestamp": when.to_pydatetime(),
                "rawData": self._raw[i],
            },
        }
        if self._client_tokens[i]:
            request["clientToken"] = self._client_tokens[i]
        if self._titles[i]:
            request["title"] = self._titles[i]
        if self._impacts[i]:
            request["impact"] = int(self._impacts[i])
        response, failure = self._call("StartIncident", i, when, "", self.session.client.start_incident, **request)
        if failure is None:
            return Answer("created", response["incidentRecordArn"])  # created or deduplicated: step() tells which
        code = failure.response["Error"].get("Code", "")
        message = failure.response["Error"].get("Message", "")
        if is_transient(failure):
            attempts = self._calls[-1]["attempts"]
            return Answer(
                "failed", "", code, f"{message} (gave up after {attempts} attempt{'s' if attempts != 1 else ''})"
            )
        return Answer("rejected", "", code, message)

    # ------------------------------------------------------------------ playing

    def step(self, recorded: Answer | None = None, *, offline: bool = False) -> Step:
        """Play the next alarm state change and return what it came to.

        The resolutions due by its time are carried out first; then, when it is a trigger, its
        StartIncident is sent.

        Parameters
        ----------
        recorded : Answer, optional
            For a trigger: the answer a previous run got, taken instead of sending the call
            again (restoring a run's bookkeeping).  Ignored for a row that is no trigger.
        offline : bool
            Call nothing: the resolutions falling due are taken as carried out (by the run
            being restored), and a trigger needs its ``recorded`` answer.

        Raises
        ------
        ReplayFinished
            When every event has been played already (see :attr:`done` and :meth:`peek`).
        """
        if self.done:
            raise ReplayFinished(f"every event of the history has been played ({self.total:,}); there is no next one")
        i = self._position
        trigger = bool(self._triggers[i])
        if offline and trigger and recorded is None:
            raise ValueError(f"event {i} is a trigger: playing it offline needs the answer a previous run recorded")
        first_call = len(self._calls)
        when = self._times[i]
        alarm = self._alarm_arns[i]
        self._offline = offline
        try:
            self._resolver.due(when)
        finally:
            self._offline = False
        if trigger:
            answer = recorded if recorded is not None else self._start(i, when)
            if answer.outcome in ("rejected", "failed"):
                self._outcome[i] = answer.outcome
                self._error_code[i] = answer.error_code
                self._error_message[i] = answer.error_message
            else:
                arn = answer.incident_arn
                self._incident_arn[i] = arn
                token = self._client_tokens[i]
                if arn not in self._resolver.incidents:
                    self._outcome[i] = "created"
                    self._resolver.created(Incident(arn, self._plans[i], when, {alarm}))
                else:
                    self._outcome[i] = "deduplicated"
                    self._dedup_reason[i] = (
                        "client_token" if token and self._tokens.get(token) == arn else "dedupe_string"
                    )
                    self._resolver.fed(self._resolver.incidents[arn], alarm)
                if token:
                    self._tokens.setdefault(token, arn)
            if recorded is None and len(self._calls) > first_call:
                self._calls[-1]["outcome"] = self._outcome[i]
        elif self._error_code[i]:
            self._outcome[i] = "rejected"
        self._resolver.state_changed(alarm, self._states[i], when)
        self._outcome_counts[self._outcome[i]] += 1
        self._reason_counts[self._dedup_reason[i]] += 1
        self._position += 1
        return Step(
            index=i,
            event_id=self._event_ids[i],
            time=when,
            alarm_name=self._alarm_names[i],
            state=self._states[i],
            trigger=trigger,
            response_plan=str(self._plans[i]),
            title=str(self._titles[i] or ""),
            impact=int(self._impacts[i] or 0),
            outcome=self._outcome[i],
            dedup_reason=self._dedup_reason[i],
            incident_arn=self._incident_arn[i],
            error_code=str(self._error_code[i]),
            error_message=self._error_message[i],
            calls=tuple(self._calls[first_call:]),
        )

    def run(self, until: Any = None) -> int:
        """Play every event up to and including the simulated time ``until`` (all of them when None).

        ``until`` is anything :class:`pandas.Timestamp` reads (a naive time is UTC).  Returns how
        many events were played; a time before :attr:`now` is refused, as SimPy refuses one.
        """
        if until is None:
            limit = None
        else:
            limit = pd.Timestamp(until)
            limit = limit.tz_localize("UTC") if limit.tzinfo is None else limit.tz_convert("UTC")
            if self.now is not None and limit < self.now:
                raise ValueError(
                    f"The 'until' parameter of run must not be before the replay's time {self.now}. "
                    f"Got {until!r} instead."
                )
        played = 0
        while not self.done and (limit is None or self._times[self._position] <= limit):
            self.step()
            played += 1
        return played

    def result(
        self,
        *,
        finish: bool | None = None,
        engine: str = "emulator",
        meta: dict[str, Any] | None = None,
        from_service: bool = True,
    ) -> ReplayResult:
        """The events played so far and every incident they created, as a :class:`ReplayResult`.

        ``finish`` carries out the resolutions still scheduled first, as a replay does after
        its last event; by default it does so once every event has been played (a stopped game
        day passes False to leave them).  Without ``from_service`` (the endpoint is gone) the
        incidents come from this replay's own bookkeeping: plan, times, triggers and alarms, with
        the service's fields (title, impact, dedupe string) left empty and the status ``UNKNOWN``.
        """
        if finish is None:
            finish = self.done
        elif finish and not self.done:
            raise ValueError(
                "finish=True carries out every resolution still scheduled; "
                f"{self.total - self._position:,} events are still to play"
            )
        if finish:
            self._resolver.due(None)
        k = self._position
        alarms = self.alarms.iloc[:k]
        outcome = np.asarray([OUTCOME_CODES[o] for o in self._outcome[:k]], dtype=np.int8)
        codes, arns = pd.factorize(pd.Series(self._incident_arn[:k], dtype=object).replace("", None))
        incident = codes.astype(np.int64)
        arns = np.asarray(arns, dtype=object)
        counts, names = fed_by(alarms, outcome, incident, len(arns))
        count_of = dict(zip(arns.tolist(), counts.tolist()))
        names_of = dict(zip(arns.tolist(), names))
        if from_service:
            incidents = _incident_table(self.session.client, self._resolver, count_of, names_of)
        else:
            incidents = incident_table(
                [
                    {
                        "incident_arn": arn,
                        "response_plan": incident.plan,
                        "title": "",
                        "impact": 0,
                        "status": "UNKNOWN",
                        "creation_time": incident.created,
                        "resolved_time": incident.resolved,
                        "trigger_count": count_of.get(arn, 0),
                        "dedupe_string": "",
                        "alarm_names": names_of.get(arn, ()),
                    }
                    for arn, incident in list(self._resolver.incidents.items())
                ]
            )
        dedupe_of = dict(zip(incidents["incident_arn"], incidents["dedupe_string"]))
        failed = self._codes.failed
        errors = {
            i: (self._error_code[i], self._error_message[i])
            for i in range(k)
            if self._outcome[i] in ("rejected", "failed") and not failed[i]
        }
        done = Outcomes(
            outcome,
            np.asarray([REASON_CODES[r] for r in self._dedup_reason[:k]], dtype=np.int8),
            incident,
            arns,
            np.asarray([dedupe_of.get(arn, "") for arn in arns.tolist()], dtype=object),
            errors,
        )
        decisions = self._codes.head(k)
        events, explain = event_table(alarms, decisions, done)
        return ReplayResult(
            events=events,
            incidents=incidents,
            engine=engine,
            policy_name=self.policy.name,
            meta={"emulator": self.session.where, "rejections": rejections(decisions, done), **(meta or {})},
            explain=explain,
        )

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

    with EmulatorReplay(alarms, policy, client=client, endpoint_url=endpoint_url, allow_remote=allow_remote) as run:
        with tqdm(total=run.total, disable=not progress, desc="replay", unit="event") as bar:
            while run.peek() is not None:
                run.step()
                bar.update(1)
        calls = run.calls
        return run.result(meta={"calls": len(calls), "retries": sum(call["attempts"] - 1 for call in calls)})


def _incident_table(
    client: Any, resolver: Resolver, counts: dict[str, int], names: dict[str, tuple[str, ...]]
) -> pd.DataFrame:
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
                "resolved_time": pd.Timestamp(record["resolvedTime"]).tz_convert("UTC")
                if record.get("resolvedTime")
                else pd.NaT,
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
    >>> result = incidentsim.replay("data/alarm-events.jsonl", "data/sample-policy.yaml",  # doctest: +SKIP
    ...                             progress=False)
    >>> result.summary()["created"]  # doctest: +SKIP
    """
    from ..datasets.loaders import AlarmLoad, load_alarms

    if engine not in ENGINES:
        raise ValueError(
            f"The 'engine' parameter of replay must be one of {{{', '.join(ENGINES)}}}. Got {engine!r} instead."
        )
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
    return run_emulator(
        frame, policy, client=client, endpoint_url=endpoint_url, allow_remote=allow_remote, progress=progress
    )
