"""Every operation of the ssm-incidents model answers with its modelled status and output shape."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest
from botocore.validate import ParamValidator

from .helpers import alarm_trigger

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


class World:
    """One of each resource, so every operation has something to act on."""

    def __init__(self, client: Any):
        self.client = client
        self.plan = client.create_response_plan(
            name="web",
            displayName="Web",
            incidentTemplate={"title": "Web down", "impact": 2, "summary": "s", "incidentTags": {"team": "web"}},
            chatChannel={"chatbotSns": ["arn:aws:sns:us-east-1:123456789012:chat"]},
            engagements=["arn:aws:ssm-contacts:us-east-1:123456789012:contact/oncall"],
            tags={"env": "test"},
        )["arn"]
        self.record = client.start_incident(
            responsePlanArn=self.plan,
            triggerDetails=alarm_trigger(),
            relatedItems=[{"identifier": {"type": "METRIC", "value": {"metricDefinition": "cpu"}}, "title": "cpu"}],
        )["incidentRecordArn"]
        self.event = client.create_timeline_event(
            incidentRecordArn=self.record, eventTime=NOW, eventType="Custom Event", eventData='"note"'
        )["eventId"]
        self.replication_set = client.create_replication_set(regions={"us-east-1": {}})["arn"]
        self.policy = client.put_resource_policy(resourceArn=self.plan, policy='{"Version": "2012-10-17"}')["policyId"]


CALLS: dict[str, Callable[[World], dict[str, Any]]] = {
    "BatchGetIncidentFindings": lambda w: w.client.batch_get_incident_findings(
        incidentRecordArn=w.record, findingIds=["f-1"]
    ),
    "CreateReplicationSet": lambda w: _fresh_replication_set(w),
    "CreateResponsePlan": lambda w: w.client.create_response_plan(
        name="db", incidentTemplate={"title": "DB", "impact": 1}
    ),
    "CreateTimelineEvent": lambda w: w.client.create_timeline_event(
        incidentRecordArn=w.record, eventTime=NOW, eventType="Note", eventData='"n"'
    ),
    "DeleteIncidentRecord": lambda w: w.client.delete_incident_record(arn=w.record),
    "DeleteReplicationSet": lambda w: w.client.delete_replication_set(arn=w.replication_set),
    "DeleteResourcePolicy": lambda w: w.client.delete_resource_policy(resourceArn=w.plan, policyId=w.policy),
    "DeleteResponsePlan": lambda w: w.client.delete_response_plan(arn=w.plan),
    "DeleteTimelineEvent": lambda w: w.client.delete_timeline_event(incidentRecordArn=w.record, eventId=w.event),
    "GetIncidentRecord": lambda w: w.client.get_incident_record(arn=w.record),
    "GetReplicationSet": lambda w: w.client.get_replication_set(arn=w.replication_set),
    "GetResourcePolicies": lambda w: w.client.get_resource_policies(resourceArn=w.plan),
    "GetResponsePlan": lambda w: w.client.get_response_plan(arn=w.plan),
    "GetTimelineEvent": lambda w: w.client.get_timeline_event(incidentRecordArn=w.record, eventId=w.event),
    "ListIncidentFindings": lambda w: w.client.list_incident_findings(incidentRecordArn=w.record),
    "ListIncidentRecords": lambda w: w.client.list_incident_records(),
    "ListRelatedItems": lambda w: w.client.list_related_items(incidentRecordArn=w.record),
    "ListReplicationSets": lambda w: w.client.list_replication_sets(),
    "ListResponsePlans": lambda w: w.client.list_response_plans(),
    "ListTagsForResource": lambda w: w.client.list_tags_for_resource(resourceArn=w.plan),
    "ListTimelineEvents": lambda w: w.client.list_timeline_events(incidentRecordArn=w.record),
    "PutResourcePolicy": lambda w: w.client.put_resource_policy(resourceArn=w.plan, policy="{}"),
    "StartIncident": lambda w: w.client.start_incident(responsePlanArn=w.plan),
    "TagResource": lambda w: w.client.tag_resource(resourceArn=w.record, tags={"k": "v"}),
    "UntagResource": lambda w: w.client.untag_resource(resourceArn=w.plan, tagKeys=["env"]),
    "UpdateDeletionProtection": lambda w: w.client.update_deletion_protection(
        arn=w.replication_set, deletionProtected=True
    ),
    "UpdateIncidentRecord": lambda w: w.client.update_incident_record(arn=w.record, status="RESOLVED"),
    "UpdateRelatedItems": lambda w: w.client.update_related_items(
        incidentRecordArn=w.record,
        relatedItemsUpdate={"itemToAdd": {"identifier": {"type": "OTHER", "value": {"url": "https://runbook"}}}},
    ),
    "UpdateReplicationSet": lambda w: w.client.update_replication_set(
        arn=w.replication_set, actions=[{"addRegionAction": {"regionName": "eu-west-1"}}]
    ),
    "UpdateResponsePlan": lambda w: w.client.update_response_plan(arn=w.plan, incidentTemplateImpact=1),
    "UpdateTimelineEvent": lambda w: w.client.update_timeline_event(
        incidentRecordArn=w.record, eventId=w.event, eventData='"x"'
    ),
}


def _fresh_replication_set(world: World) -> dict[str, Any]:
    world.client.delete_replication_set(arn=world.replication_set)
    return world.client.create_replication_set(regions={"eu-west-1": {}, "us-east-1": {"sseKmsKeyId": "alias/k"}})


def test_the_table_covers_every_operation(client):
    assert sorted(CALLS) == sorted(client.meta.service_model.operation_names)


@pytest.mark.parametrize("operation", sorted(CALLS))
def test_operation_answers_with_the_modelled_status_and_shape(client, operation):
    world = World(client)
    response = CALLS[operation](world)
    model = client.meta.service_model.operation_model(operation)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == model.http.get("responseCode", 200)
    body = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    if model.output_shape is not None:
        report = ParamValidator().validate(body, model.output_shape)
        assert not report.has_errors(), report.generate_report()


def test_get_response_plan_returns_what_was_created(client):
    world = World(client)
    plan = client.get_response_plan(arn=world.plan)
    assert plan["name"] == "web"
    assert plan["displayName"] == "Web"
    assert plan["incidentTemplate"] == {
        "title": "Web down",
        "impact": 2,
        "summary": "s",
        "incidentTags": {"team": "web"},
    }
    assert plan["chatChannel"] == {"chatbotSns": ["arn:aws:sns:us-east-1:123456789012:chat"]}
    assert plan["engagements"] == ["arn:aws:ssm-contacts:us-east-1:123456789012:contact/oncall"]
    assert client.list_tags_for_resource(resourceArn=world.plan)["tags"] == {"env": "test"}


def test_update_response_plan_changes_the_template(client):
    world = World(client)
    client.update_response_plan(
        arn=world.plan,
        incidentTemplateTitle="Web very down",
        incidentTemplateDedupeString="web-outage",
        incidentTemplateTags={"team": "sre"},
        displayName="Web (SRE)",
    )
    plan = client.get_response_plan(arn=world.plan)
    assert plan["incidentTemplate"]["title"] == "Web very down"
    assert plan["incidentTemplate"]["dedupeString"] == "web-outage"
    assert plan["incidentTemplate"]["incidentTags"] == {"team": "sre"}
    assert plan["incidentTemplate"]["impact"] == 2
    assert plan["displayName"] == "Web (SRE)"


def test_deletes_of_missing_resources_succeed_as_the_model_says(client):
    world = World(client)
    client.delete_incident_record(arn=world.record)
    client.delete_incident_record(arn=world.record)
    client.delete_response_plan(arn=world.plan)
    client.delete_response_plan(arn=world.plan)
    client.delete_timeline_event(incidentRecordArn=world.record, eventId="missing")
    assert client.list_timeline_events(incidentRecordArn=world.record)["eventSummaries"] == []
    assert client.list_related_items(incidentRecordArn=world.record)["relatedItems"] == []


def test_timeline_event_round_trip(client):
    world = World(client)
    event = client.get_timeline_event(incidentRecordArn=world.record, eventId=world.event)["event"]
    assert (event["eventType"], event["eventData"], event["eventTime"]) == ("Custom Event", '"note"', NOW)
    later = datetime(2024, 5, 1, 13, 0, tzinfo=timezone.utc)
    client.update_timeline_event(incidentRecordArn=world.record, eventId=world.event, eventTime=later, eventType="Note")
    event = client.get_timeline_event(incidentRecordArn=world.record, eventId=world.event)["event"]
    assert (event["eventType"], event["eventTime"]) == ("Note", later)


def test_only_custom_events_and_notes_can_be_created(client):
    from botocore.exceptions import ClientError

    world = World(client)
    with pytest.raises(ClientError) as excinfo:
        client.create_timeline_event(
            incidentRecordArn=world.record, eventTime=NOW, eventType="SSM Incident Record Update", eventData="{}"
        )
    assert excinfo.value.response["Error"]["Code"] == "ValidationException"
    assert "eventType" in excinfo.value.response["Error"]["Message"]


def test_related_items_add_and_remove(client):
    from botocore.exceptions import ClientError

    world = World(client)
    items = client.list_related_items(incidentRecordArn=world.record)["relatedItems"]
    assert [i["title"] for i in items] == ["cpu"]
    assert items[0]["generatedId"].startswith("related-item/METRIC/")
    runbook = {"type": "OTHER", "value": {"url": "https://runbook"}}
    client.update_related_items(
        incidentRecordArn=world.record, relatedItemsUpdate={"itemToAdd": {"identifier": runbook}}
    )
    with pytest.raises(ClientError) as excinfo:
        client.update_related_items(
            incidentRecordArn=world.record, relatedItemsUpdate={"itemToAdd": {"identifier": runbook}}
        )
    assert excinfo.value.response["Error"]["Code"] == "ConflictException"
    client.update_related_items(incidentRecordArn=world.record, relatedItemsUpdate={"itemToRemove": runbook})
    with pytest.raises(ClientError) as excinfo:
        client.update_related_items(incidentRecordArn=world.record, relatedItemsUpdate={"itemToRemove": runbook})
    assert excinfo.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert len(client.list_related_items(incidentRecordArn=world.record)["relatedItems"]) == 1


def test_replication_set_lifecycle(client):
    from botocore.exceptions import ClientError

    world = World(client)
    with pytest.raises(ClientError) as excinfo:
        client.create_replication_set(regions={"eu-west-1": {}})
    assert excinfo.value.response["Error"]["Code"] == "ConflictException"
    client.update_replication_set(arn=world.replication_set, actions=[{"addRegionAction": {"regionName": "eu-west-1"}}])
    replication_set = client.get_replication_set(arn=world.replication_set)["replicationSet"]
    assert sorted(replication_set["regionMap"]) == ["eu-west-1", "us-east-1"]
    assert replication_set["status"] == "ACTIVE"
    client.update_deletion_protection(arn=world.replication_set, deletionProtected=True)
    with pytest.raises(ClientError) as excinfo:
        client.delete_replication_set(arn=world.replication_set)
    assert excinfo.value.response["Error"]["Code"] == "ValidationException"
    client.update_deletion_protection(arn=world.replication_set, deletionProtected=False)
    client.delete_replication_set(arn=world.replication_set)
    assert client.list_replication_sets()["replicationSetArns"] == []


def test_resource_policies(client):
    world = World(client)
    policies = client.get_resource_policies(resourceArn=world.plan)["resourcePolicies"]
    assert [p["policyId"] for p in policies] == [world.policy]
    assert policies[0]["ramResourceShareRegion"] == "us-east-1"
    client.delete_resource_policy(resourceArn=world.plan, policyId=world.policy)
    assert client.get_resource_policies(resourceArn=world.plan)["resourcePolicies"] == []


def test_tags_on_records_come_from_the_plan_and_can_change(client):
    world = World(client)
    assert client.list_tags_for_resource(resourceArn=world.record)["tags"] == {"team": "web"}
    client.tag_resource(resourceArn=world.record, tags={"sev": "2"})
    client.untag_resource(resourceArn=world.record, tagKeys=["team"])
    assert client.list_tags_for_resource(resourceArn=world.record)["tags"] == {"sev": "2"}


def test_findings_are_empty_and_missing_findings_are_reported(client):
    world = World(client)
    assert client.list_incident_findings(incidentRecordArn=world.record)["findings"] == []
    result = client.batch_get_incident_findings(incidentRecordArn=world.record, findingIds=["a", "b"])
    assert result["findings"] == []
    assert [e["findingId"] for e in result["errors"]] == ["a", "b"]
