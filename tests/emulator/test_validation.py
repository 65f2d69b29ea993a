"""Server-side validation from botocore's model: the emulator rejects what botocore sends unchecked."""

from __future__ import annotations

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from incidentsim.emulator import make_client

from .helpers import T0, error_of


@pytest.fixture
def raw_client(mock):
    """A client with botocore's own checks off, to reach the server with anything."""
    return make_client(config=Config(parameter_validation=False))


def _rejected(call) -> str:
    with pytest.raises(ClientError) as excinfo:
        call()
    status, code, message = error_of(excinfo)
    assert (status, code) == (400, "ValidationException"), message
    return message


def test_impact_above_five(client, make_plan):
    message = _rejected(lambda: client.start_incident(responsePlanArn=make_plan(), impact=6))
    assert message == (
        "1 validation error detected: Value '6' at 'impact' failed to satisfy constraint: "
        "Member must have value less than or equal to 5"
    )


def test_title_longer_than_200(client, make_plan):
    message = _rejected(lambda: client.start_incident(responsePlanArn=make_plan(), title="x" * 201))
    assert "at 'title'" in message and "length less than or equal to 200" in message


def test_title_of_exactly_200_is_accepted(client, make_plan):
    arn = client.start_incident(responsePlanArn=make_plan(), title="x" * 200)["incidentRecordArn"]
    assert len(client.get_incident_record(arn=arn)["incidentRecord"]["title"]) == 200


def test_plan_arn_that_is_not_an_arn(client):
    message = _rejected(lambda: client.start_incident(responsePlanArn="not-an-arn"))
    assert "at 'responsePlanArn'" in message and "regular expression pattern" in message


def test_nested_member_is_named_by_its_path(client, make_plan):
    trigger = {"source": "s" * 51, "timestamp": T0}
    message = _rejected(lambda: client.start_incident(responsePlanArn=make_plan(), triggerDetails=trigger))
    assert "at 'triggerDetails.source'" in message


def test_raw_data_over_10000_characters(client, make_plan):
    trigger = {"source": "aws.cloudwatch", "timestamp": T0, "rawData": "r" * 10001}
    message = _rejected(lambda: client.start_incident(responsePlanArn=make_plan(), triggerDetails=trigger))
    assert "triggerDetails.rawData" in message and "10000" in message


def test_enum_value(client, make_plan):
    arn = client.start_incident(responsePlanArn=make_plan())["incidentRecordArn"]
    message = _rejected(lambda: client.update_incident_record(arn=arn, status="CLOSED"))
    assert "at 'status'" in message and "enum value set: [OPEN, RESOLVED]" in message


def test_related_item_type_enum_inside_a_list(client, make_plan):
    items = [{"identifier": {"type": "BOGUS", "value": {"url": "https://x"}}}]
    message = _rejected(lambda: client.start_incident(responsePlanArn=make_plan(), relatedItems=items))
    assert "relatedItems[0].identifier.type" in message


def test_more_than_100_related_items(client, make_plan):
    items = [{"identifier": {"type": "OTHER", "value": {"url": f"https://x/{i}"}}} for i in range(101)]
    message = _rejected(lambda: client.start_incident(responsePlanArn=make_plan(), relatedItems=items))
    assert "at 'relatedItems'" in message and "less than or equal to 100" in message


def test_union_with_two_members(raw_client, make_plan):
    arn = raw_client.start_incident(responsePlanArn=make_plan())["incidentRecordArn"]
    update = {
        "itemToAdd": {"identifier": {"type": "OTHER", "value": {"url": "https://x"}}},
        "itemToRemove": {"type": "OTHER", "value": {"url": "https://x"}},
    }
    message = _rejected(lambda: raw_client.update_related_items(incidentRecordArn=arn, relatedItemsUpdate=update))
    assert "relatedItemsUpdate" in message and "exactly one" in message


def test_plan_name_pattern(client):
    message = _rejected(
        lambda: client.create_response_plan(name="has spaces", incidentTemplate={"title": "t", "impact": 1})
    )
    assert "at 'name'" in message and "pattern" in message


def test_too_many_incident_tags(client):
    tags = {f"k{i}": "v" for i in range(51)}
    message = _rejected(
        lambda: client.create_response_plan(
            name="p", incidentTemplate={"title": "t", "impact": 1, "incidentTags": tags}
        )
    )
    assert "incidentTemplate.incidentTags" in message


def test_tag_key_may_not_start_with_aws(client):
    message = _rejected(
        lambda: client.create_response_plan(name="p", incidentTemplate={"title": "t", "impact": 1}, tags={"aws:x": "v"})
    )
    assert "pattern" in message


def test_missing_required_member(raw_client):
    message = _rejected(lambda: raw_client.start_incident())
    assert message == (
        "1 validation error detected: Value null at 'responsePlanArn' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_impact_below_one(raw_client, make_plan):
    message = _rejected(lambda: raw_client.start_incident(responsePlanArn=make_plan(), impact=0))
    assert "greater than or equal to 1" in message


def test_wrong_type(raw_client, make_plan):
    message = _rejected(lambda: raw_client.start_incident(responsePlanArn=make_plan(), impact="high"))
    assert message.endswith("Value 'high' at 'impact' failed to satisfy constraint: Member must be of type integer")


def test_several_errors_are_reported_together(client, make_plan):
    message = _rejected(lambda: client.start_incident(responsePlanArn=make_plan(), impact=9, title="t" * 300))
    assert message.startswith("2 validation errors detected: ")
    assert "'impact'" in message and "'title'" in message


def test_querystring_members_are_validated(client):
    message = _rejected(lambda: client.get_incident_record(arn="x"))
    assert "at 'arn'" in message


def test_max_results_range(client):
    message = _rejected(lambda: client.list_incident_records(maxResults=101))
    assert "at 'maxResults'" in message


def test_unsupported_filter_key(client):
    message = _rejected(
        lambda: client.list_incident_records(
            filters=[{"key": "title", "condition": {"equals": {"stringValues": ["x"]}}}]
        )
    )
    assert "title" in message and "creationTime" in message


def test_validation_error_does_not_create_anything(client, make_plan):
    plan = make_plan()
    _rejected(lambda: client.start_incident(responsePlanArn=plan, impact=6, clientToken="t"))
    assert client.list_incident_records()["incidentRecordSummaries"] == []
    assert client.start_incident(responsePlanArn=plan, impact=5, clientToken="t")["incidentRecordArn"]


def test_the_message_lists_errors_in_the_model_order_whoever_builds_the_request(client, make_plan):
    """The fast engine validates its own request dict; the message must be the one the served request gets."""
    from incidentsim.emulator.validation import validate_request
    from incidentsim.rules import botocore_model

    plan = make_plan()
    details = {
        "source": "custom." + "x" * 50,
        "triggerArn": "arn:aws:cloudwatch:us-east-1:111111111111:alarm:a",
        "timestamp": T0,
    }
    served = _rejected(lambda: client.start_incident(responsePlanArn=plan, title="t" * 201, triggerDetails=details))
    operation = botocore_model().operation_model("StartIncident")
    for params in (
        {"responsePlanArn": plan, "triggerDetails": details, "title": "t" * 201},
        {"title": "t" * 201, "responsePlanArn": plan, "triggerDetails": details},
    ):
        message = validate_request(operation, params)
        assert message is not None and message.index("'title'") < message.index("'triggerDetails.source'")
        assert message in served
