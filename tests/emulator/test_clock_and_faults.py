"""The injectable clock and seeded fault injection."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from incidentsim.emulator import EmulatorClock, FaultInjector, FaultRule, make_client
from incidentsim.params import InvalidParameterError

from .helpers import T0, alarm_trigger, error_of


def test_wall_clock_by_default(client, backend, make_plan):
    before = datetime.now(timezone.utc)
    arn = client.start_incident(responsePlanArn=make_plan())["incidentRecordArn"]
    after = datetime.now(timezone.utc)
    created = client.get_incident_record(arn=arn)["incidentRecord"]["creationTime"]
    assert not backend.clock.is_virtual
    assert before - timedelta(seconds=1) <= created <= after + timedelta(seconds=1)


def test_records_take_the_pinned_historical_time(client, backend, make_plan):
    plan = make_plan()
    backend.clock.set(datetime(2019, 10, 2, 17, 4, 40))  # naive: UTC
    arn = client.start_incident(responsePlanArn=plan)["incidentRecordArn"]
    backend.clock.advance(3600)
    client.update_incident_record(arn=arn, status="RESOLVED")
    record = client.get_incident_record(arn=arn)["incidentRecord"]
    assert record["creationTime"] == datetime(2019, 10, 2, 17, 4, 40, tzinfo=timezone.utc)
    assert record["resolvedTime"] == datetime(2019, 10, 2, 18, 4, 40, tzinfo=timezone.utc)


def test_clock_returns_to_wall_time():
    clock = EmulatorClock()
    clock.set(T0)
    assert clock.now() == T0
    clock.use_wall_clock()
    assert clock.now() > T0 + timedelta(days=365)


def test_clock_keeps_milliseconds_on_the_wire(client, backend, make_plan):
    backend.clock.set(T0 + timedelta(milliseconds=250))
    arn = client.start_incident(responsePlanArn=make_plan())["incidentRecordArn"]
    assert client.get_incident_record(arn=arn)["incidentRecord"]["creationTime"] == T0 + timedelta(milliseconds=250)


# ----------------------------------------------------------------- faults


def _no_retry_client():
    return make_client(config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))


def test_faults_are_off_by_default(backend):
    assert not backend.faults.enabled
    assert backend.faults.draw("StartIncident") is None


def test_injected_throttling_is_a_modelled_429(mock, backend, make_plan):
    plan = make_plan()
    backend.faults.configure({"StartIncident": {"throttle": 1.0}}, seed=1)
    with pytest.raises(ClientError) as excinfo:
        _no_retry_client().start_incident(responsePlanArn=plan)
    status, code, _ = error_of(excinfo)
    assert (status, code) == (429, "ThrottlingException")
    assert excinfo.value.response["serviceCode"] == "ssm-incidents"
    assert excinfo.value.response["quotaCode"]
    assert backend.incident_records == {}


def test_injected_server_error_is_a_500_and_creates_nothing(mock, backend, make_plan):
    plan = make_plan()
    backend.faults.configure({"*": {"server_error": 1.0}}, seed=1)
    with pytest.raises(ClientError) as excinfo:
        _no_retry_client().start_incident(responsePlanArn=plan)
    assert error_of(excinfo)[:2] == (500, "InternalServerException")
    assert backend.incident_records == {}


def test_commit_then_fail_creates_the_record_but_answers_500(mock, backend, make_plan):
    plan = make_plan()
    backend.faults.configure({"StartIncident": {"commit_then_fail": 1.0}}, seed=1)
    with pytest.raises(ClientError) as excinfo:
        _no_retry_client().start_incident(responsePlanArn=plan)
    assert error_of(excinfo)[:2] == (500, "InternalServerException")
    assert len(backend.incident_records) == 1


def test_faults_apply_only_to_their_operation(mock, backend, make_plan):
    plan = make_plan()
    backend.faults.configure({"StartIncident": {"throttle": 1.0}}, seed=1)
    client = _no_retry_client()
    assert client.get_response_plan(arn=plan)["name"]
    with pytest.raises(ClientError):
        client.start_incident(responsePlanArn=plan)


def test_botocore_retries_with_the_same_token_never_double_create(mock, backend, make_plan, monkeypatch):
    """Standard retry mode resends the same auto-filled clientToken after each 429/500, so
    every call creates exactly one record however the faults fall."""
    import botocore.endpoint

    monkeypatch.setattr(botocore.endpoint.time, "sleep", lambda seconds: None)  # keep the backoff, skip the wait
    plan = make_plan()
    backend.faults.configure(
        {"StartIncident": {"throttle": 0.2, "server_error": 0.1, "commit_then_fail": 0.2}}, seed=11
    )
    client = make_client(config=Config(retries={"total_max_attempts": 10, "mode": "standard"}))
    answered, retried = set(), 0
    for i in range(40):
        response = client.start_incident(responsePlanArn=plan, title=f"incident {i}")
        answered.add(response["incidentRecordArn"])
        retried += response["ResponseMetadata"]["RetryAttempts"]
    titles = sorted(r.title for r in backend.incident_records.values())
    assert len(answered) == 40
    assert titles == sorted(f"incident {i}" for i in range(40))
    assert retried == sum(backend.faults.injected.values())
    assert backend.faults.injected["commit_then_fail"] > 0 and backend.faults.injected["throttle"] > 0


def test_same_seed_same_faults():
    a, b = FaultInjector(), FaultInjector()
    rules = {"StartIncident": {"throttle": 0.3, "server_error": 0.2}}
    a.configure(rules, seed=42)
    b.configure(rules, seed=42)
    assert [a.draw("StartIncident") for _ in range(200)] == [b.draw("StartIncident") for _ in range(200)]
    assert 30 < a.injected["throttle"] < 90


@pytest.mark.parametrize(
    "rule, message",
    [
        (
            {"throttle": 1.5},
            r"^The 'throttle' parameter of FaultRule must be a number in \[0, 1\]\. Got 1\.5 instead\.$",
        ),
        (
            {"throttle": 0.6, "server_error": 0.6},
            r"^The 'server_error' parameter of FaultRule must add up to at most 1 with the other fault probabilities\. "
            r"Got 0\.6 \(1\.2 in all\) instead\.$",
        ),
        (
            {"latency_s": -1},
            r"^The 'latency_s' parameter of FaultRule must be a number in \[0, 60\]\. Got -1 instead\.$",
        ),
        (
            {"thrtotle": 0.1},
            r"^The 'rules' parameter of FaultInjector\.configure must give 'StartIncident' fault settings among "
            r"\{throttle, server_error, commit_then_fail, latency_s\}\. Got 'thrtotle' instead\.$",
        ),
    ],
)
def test_bad_fault_rules_are_named(rule, message):
    with pytest.raises(InvalidParameterError, match=message):
        FaultInjector().configure({"StartIncident": rule})


@pytest.mark.parametrize(
    "make, parameter, owner, shown",
    [
        (lambda: FaultRule(throttle=-0.1), "throttle", "FaultRule", "-0.1"),
        (lambda: FaultRule(server_error="0.5"), "server_error", "FaultRule", "'0.5'"),
        (lambda: FaultRule(commit_then_fail=True), "commit_then_fail", "FaultRule", "True"),
        (lambda: FaultRule(throttle=0.5, commit_then_fail=0.75), "commit_then_fail", "FaultRule", "0.75 (1.25 in all)"),
        (lambda: FaultRule(latency_s=61), "latency_s", "FaultRule", "61"),
        (lambda: FaultInjector(seed=1.5), "seed", "FaultInjector", "1.5"),
        (lambda: FaultInjector().configure(["StartIncident"]), "rules", "FaultInjector.configure", "['StartIncident']"),
        (lambda: FaultInjector().configure({}, seed="7"), "seed", "FaultInjector.configure", "'7'"),
        (
            lambda: FaultInjector().configure({"StartIncident": 0.5}),
            "rules",
            "FaultInjector.configure",
            "0.5",
        ),
    ],
)
def test_each_fault_parameter_is_checked_by_its_table(make, parameter, owner, shown):
    with pytest.raises(InvalidParameterError) as caught:
        make()
    assert (caught.value.parameter, caught.value.owner, caught.value.got) == (parameter, owner, shown)
    assert str(caught.value).startswith(f"The '{parameter}' parameter of {owner} must ")


def test_latency_delays_the_answer(mock, backend, make_plan):
    import time

    plan = make_plan()
    backend.faults.configure({"GetResponsePlan": FaultRule(latency_s=0.2)})
    started = time.perf_counter()
    mock.client().get_response_plan(arn=plan)
    assert time.perf_counter() - started >= 0.2


def test_faults_do_not_touch_a_dedupe(mock, backend, make_plan):
    plan = make_plan()
    client = mock.client()
    first = client.start_incident(responsePlanArn=plan, triggerDetails=alarm_trigger())["incidentRecordArn"]
    backend.faults.configure({"StartIncident": {"commit_then_fail": 1.0}})
    with pytest.raises(ClientError):
        _no_retry_client().start_incident(responsePlanArn=plan, triggerDetails=alarm_trigger())
    assert list(backend.incident_records) == [first]
    assert backend.incident_records[first].trigger_count == 2


@pytest.mark.parametrize(
    "rules, message",
    [
        (
            {"StartIncidnet": {"throttle": 0.5}},
            r"^The 'rules' parameter of FaultInjector\.configure must name ssm-incidents operations such as "
            r"StartIncident, or '\*'\. Got 'StartIncidnet' instead\.$",
        ),
        (
            "StartIncident",
            r"^The 'rules' parameter of FaultInjector\.configure must be a dict or None\. Got 'StartIncident'",
        ),
        (
            {"StartIncident": {"latency_s": 3600}},
            r"^The 'latency_s' parameter of FaultRule must be a number in \[0, 60\]",
        ),
    ],
)
def test_fault_rules_are_checked_against_the_model(backend, rules, message):
    with pytest.raises(InvalidParameterError, match=message):
        backend.faults.configure(rules, seed=1)
    assert backend.faults.rules == {}
