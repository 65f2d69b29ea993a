"""ListIncidentRecords filters, ordering and paging, and boto3 paginators over every list operation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from .helpers import T0


@pytest.fixture
def records(client, backend, make_plan):
    """Five incidents an hour apart with impacts 1..5; the two oldest are resolved."""
    plan = make_plan()
    arns = []
    for i in range(5):
        backend.clock.set(T0 + timedelta(hours=i))
        arns.append(client.start_incident(responsePlanArn=plan, impact=i + 1, title=f"i{i}")["incidentRecordArn"])
    for arn in arns[:2]:
        client.update_incident_record(arn=arn, status="RESOLVED")
    return arns


def _titles(client, **kwargs):
    return [r["title"] for r in client.list_incident_records(**kwargs)["incidentRecordSummaries"]]


def test_no_filter_lists_all_newest_first(client, records):
    assert _titles(client) == ["i4", "i3", "i2", "i1", "i0"]


def test_oldest_first_option(client, backend, records):
    backend.configure(newest_first=False)
    assert _titles(client) == ["i0", "i1", "i2", "i3", "i4"]


def test_status_filter(client, records):
    assert _titles(client, filters=[{"key": "status", "condition": {"equals": {"stringValues": ["RESOLVED"]}}}]) == [
        "i1",
        "i0",
    ]


def test_impact_filter_ors_its_values(client, records):
    flt = [{"key": "impact", "condition": {"equals": {"integerValues": [1, 5]}}}]
    assert _titles(client, filters=flt) == ["i4", "i0"]


def test_creation_time_before_and_after(client, records):
    after = [{"key": "creationTime", "condition": {"after": T0 + timedelta(minutes=90)}}]
    before = [{"key": "creationTime", "condition": {"before": T0 + timedelta(minutes=90)}}]
    assert _titles(client, filters=after) == ["i4", "i3", "i2"]
    assert _titles(client, filters=before) == ["i1", "i0"]


def test_filters_are_anded(client, records):
    flt = [
        {"key": "status", "condition": {"equals": {"stringValues": ["OPEN"]}}},
        {"key": "creationTime", "condition": {"before": T0 + timedelta(minutes=150)}},
    ]
    assert _titles(client, filters=flt) == ["i2"]


def test_created_by_filter(client, records):
    me = [{"key": "createdBy", "condition": {"equals": {"stringValues": ["arn:aws:sts::123456789012:user/moto"]}}}]
    other = [{"key": "createdBy", "condition": {"equals": {"stringValues": ["arn:aws:iam::123456789012:user/x"]}}}]
    assert len(_titles(client, filters=me)) == 5
    assert _titles(client, filters=other) == []


def test_paging_by_hand(client, records):
    first = client.list_incident_records(maxResults=2)
    assert [r["title"] for r in first["incidentRecordSummaries"]] == ["i4", "i3"]
    second = client.list_incident_records(maxResults=2, nextToken=first["nextToken"])
    third = client.list_incident_records(maxResults=2, nextToken=second["nextToken"])
    assert [r["title"] for r in third["incidentRecordSummaries"]] == ["i0"]
    assert "nextToken" not in third


def test_a_bad_next_token_is_a_validation_error(client, records):
    with pytest.raises(ClientError) as excinfo:
        client.list_incident_records(nextToken="garbage")
    assert excinfo.value.response["Error"]["Code"] == "ValidationException"


def test_a_token_from_another_listing_is_refused(client, records):
    token = client.list_incident_records(maxResults=1)["nextToken"]
    flt = [{"key": "status", "condition": {"equals": {"stringValues": ["OPEN"]}}}]
    with pytest.raises(ClientError):
        client.list_incident_records(filters=flt, nextToken=token)


def test_paginators_walk_every_list_operation(client, backend, make_plan):
    plans = [make_plan(name=f"p{i:03d}") for i in range(7)]
    arn = client.start_incident(responsePlanArn=plans[0])["incidentRecordArn"]
    for i in range(6):
        client.create_timeline_event(
            incidentRecordArn=arn, eventTime=T0 + timedelta(minutes=i), eventType="Note", eventData=f'"{i}"'
        )
        client.update_related_items(
            incidentRecordArn=arn,
            relatedItemsUpdate={"itemToAdd": {"identifier": {"type": "OTHER", "value": {"url": f"https://r/{i}"}}}},
        )
    for i in range(4):
        client.put_resource_policy(resourceArn=plans[0], policy=f'{{"n": {i}}}')

    def walk(name, key, **kwargs):
        pages = list(client.get_paginator(name).paginate(PaginationConfig={"PageSize": 2}, **kwargs))
        return len(pages), [item for page in pages for item in page[key]]

    pages, items = walk("list_response_plans", "responsePlanSummaries")
    assert (pages, [p["name"] for p in items]) == (4, [f"p{i:03d}" for i in range(7)])
    pages, events = walk("list_timeline_events", "eventSummaries", incidentRecordArn=arn)
    assert (pages, len(events)) == (4, 7)  # six notes and the automatic "Incident Started"
    pages, items = walk("list_related_items", "relatedItems", incidentRecordArn=arn)
    assert (pages, len(items)) == (3, 6)
    pages, policies = walk("get_resource_policies", "resourcePolicies", resourceArn=plans[0])
    assert (pages, len(policies)) == (2, 4)
    pages, records = walk("list_incident_records", "incidentRecordSummaries")
    assert (pages, len(records)) == (1, 1)


def test_timeline_events_sort_and_filter(client, backend, make_plan):
    backend.configure(auto_timeline_events=False)
    arn = client.start_incident(responsePlanArn=make_plan())["incidentRecordArn"]
    for i, kind in enumerate(["Note", "Custom Event", "Note"]):
        client.create_timeline_event(
            incidentRecordArn=arn,
            eventTime=T0 + timedelta(minutes=i),
            eventType=kind,
            eventData=f'"{i}"',
            eventReferences=[{"resource": f"arn:aws:ec2:us-east-1:123456789012:instance/i-{i}"}],
        )

    def times(**kwargs):
        events = client.list_timeline_events(incidentRecordArn=arn, **kwargs)["eventSummaries"]
        return [int((e["eventTime"] - T0).total_seconds() // 60) for e in events]

    assert times() == [2, 1, 0]
    assert times(sortBy="EVENT_TIME", sortOrder="ASCENDING") == [0, 1, 2]
    assert times(filters=[{"key": "eventType", "condition": {"equals": {"stringValues": ["Note"]}}}]) == [2, 0]
    assert times(filters=[{"key": "eventTime", "condition": {"after": T0}}]) == [2, 1]
    ref = "arn:aws:ec2:us-east-1:123456789012:instance/i-1"
    assert times(filters=[{"key": "eventReference", "condition": {"equals": {"stringValues": [ref]}}}]) == [1]
