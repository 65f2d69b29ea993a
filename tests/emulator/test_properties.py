"""Hypothesis over StartIncident inputs: accepted, or a 4xx naming the bad member; never a 500."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from incidentsim.emulator import make_client, mock_incidents

from ..fuzzing import examples

PLAN = "arn:aws:ssm-incidents::123456789012:response-plan/prop"
MEMBERS = ("responsePlanArn", "clientToken", "impact", "title", "relatedItems", "triggerDetails")

text = st.text(max_size=260)
short = st.text(min_size=1, max_size=30)
ALARMS = [f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}" for name in ("api-5xx", "db-cpu")]


def mostly(valid: st.SearchStrategy, invalid: st.SearchStrategy) -> st.SearchStrategy:
    """Valid values nine times in ten, so every outcome (created, deduplicated,
    idempotent, conflict) is reached as well as every kind of rejection."""
    return st.one_of(*[valid] * 9, invalid)


arns = mostly(
    st.sampled_from([PLAN, PLAN.replace("response-plan", "responseplan")]),
    st.one_of(
        st.just("arn:aws:ssm-incidents::123456789012:response-plan/other"),
        st.sampled_from(["", "not-an-arn", "arn:aws:s3:::bucket"]),
        text,
    ),
)
timestamps = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(timezone.utc)
)
item_values = mostly(
    st.one_of(st.fixed_dictionaries({"url": short}), st.fixed_dictionaries({"metricDefinition": short})),
    st.one_of(st.fixed_dictionaries({"url": text, "arn": arns}), st.just({}), st.fixed_dictionaries({"arn": text})),
)
related = st.fixed_dictionaries(
    {
        "identifier": st.fixed_dictionaries(
            {"type": mostly(st.sampled_from(["METRIC", "OTHER"]), st.just("bogus")), "value": item_values}
        )
    },
    optional={"title": mostly(short, text)},
)
trigger = st.fixed_dictionaries(
    {
        "source": mostly(st.sampled_from(["aws.cloudwatch", "aws.events", "custom.monitor"]), text),
        "timestamp": timestamps,
    },
    optional={"triggerArn": mostly(st.sampled_from(ALARMS), text), "rawData": st.text(max_size=20)},
)
requests = st.fixed_dictionaries(
    {"responsePlanArn": arns},
    optional={
        "clientToken": mostly(st.sampled_from(["t1", "t2"]), text),
        "impact": mostly(st.integers(min_value=1, max_value=5), st.sampled_from([0, 6, -1, "2", 2.5, True])),
        "title": mostly(short, st.one_of(text, st.integers())),
        "relatedItems": st.lists(related, max_size=3),
        "triggerDetails": trigger,
    },
)


@pytest.mark.long
@settings(max_examples=examples(120, 2000), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(requests, min_size=1, max_size=6))
def test_start_incident_is_accepted_or_a_4xx_naming_the_member(batch):
    with mock_incidents() as mock:
        client = make_client(config=Config(parameter_validation=False, retries={"total_max_attempts": 1}))
        client.create_response_plan(name="prop", incidentTemplate={"title": "Prop", "impact": 3})
        if batch[0].get("impact") == 0:
            del batch[0]["responsePlanArn"]  # also send requests missing the required member
        for request in batch:
            try:
                response = client.start_incident(**request)
            except ClientError as error:
                status = error.response["ResponseMetadata"]["HTTPStatusCode"]
                code, message = error.response["Error"]["Code"], error.response["Error"]["Message"]
                assert 400 <= status < 500, (status, code, message)
                assert code in ("ValidationException", "ResourceNotFoundException", "ConflictException"), code
                event(f"rejected: {code}")
                if code == "ValidationException":
                    assert any(f"'{member}" in message for member in MEMBERS), message
                continue
            event(f"accepted: {response['ResponseMetadata']['HTTPHeaders']['x-incidentsim-outcome']}")
            record = client.get_incident_record(arn=response["incidentRecordArn"])["incidentRecord"]
            assert 1 <= record["impact"] <= 5 and len(record["title"]) <= 200
        assert len(mock.backend.incident_records) <= len(batch)


# ------------------------------------------------------------------ valid sequences against a reference model

steps = st.lists(
    st.one_of(
        st.tuples(
            st.just("start"),
            st.sampled_from([None, "t1", "t2", "t3"]),  # clientToken
            st.sampled_from([None, *ALARMS]),  # alarm (None: a manual start)
            st.sampled_from(["A", "B"]),  # title
        ),
        st.tuples(st.just("resolve"), st.integers(min_value=0, max_value=5)),
    ),
    min_size=1,
    max_size=12,
)


class Reference:
    """What the documentation says should happen, in a dozen lines."""

    def __init__(self) -> None:
        self.records: list[str] = []  # status per record, in creation order
        self.open_by_alarm: dict[str, int] = {}
        self.tokens: dict[str, tuple[tuple[object, ...], int]] = {}

    def start(self, token: str | None, alarm: str | None, title: str) -> tuple[str, int]:
        request = (alarm, title)
        if token in self.tokens:
            seen, index = self.tokens[token]
            return ("idempotent", index) if seen == request else ("ConflictException", -1)
        if alarm is not None and alarm in self.open_by_alarm:
            result = ("deduplicated", self.open_by_alarm[alarm])
        else:
            self.records.append("OPEN")
            result = ("created", len(self.records) - 1)
            if alarm is not None:
                self.open_by_alarm[alarm] = result[1]
        if token is not None:
            self.tokens[token] = (request, result[1])
        return result

    def resolve(self, index: int) -> None:
        self.records[index] = "RESOLVED"
        self.open_by_alarm = {a: i for a, i in self.open_by_alarm.items() if i != index}


@pytest.mark.long
@settings(max_examples=examples(120, 2000), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=steps)
def test_outcomes_match_the_reference_model(script):
    reference = Reference()
    arns: list[str] = []
    with mock_incidents() as mock:
        client = mock.client()
        client.create_response_plan(name="prop", incidentTemplate={"title": "Prop", "impact": 3})
        for step in script:
            if step[0] == "resolve":
                if not arns:
                    continue
                index = step[1] % len(arns)
                client.update_incident_record(arn=arns[index], status="RESOLVED")
                reference.resolve(index)
                continue
            _, token, alarm, title = step
            expected, index = reference.start(token, alarm, title)
            request = {"responsePlanArn": PLAN, "title": title}
            if token is not None:
                request["clientToken"] = token
            if alarm is not None:
                request["triggerDetails"] = {
                    "source": "aws.cloudwatch",
                    "triggerArn": alarm,
                    "timestamp": datetime(2024, 1, 1),
                }
            try:
                response = client.start_incident(**request)
            except ClientError as error:
                assert error.response["Error"]["Code"] == expected
                event("ConflictException")
                continue
            got = response["ResponseMetadata"]["HTTPHeaders"]["x-incidentsim-outcome"]
            event(got)
            assert got == expected
            if got == "created":
                arns.append(response["incidentRecordArn"])
            assert response["incidentRecordArn"] == arns[index]
        assert len(mock.backend.incident_records) == len(reference.records)
        statuses = [mock.backend.incident_records[arn].status for arn in arns]
        assert statuses == reference.records
