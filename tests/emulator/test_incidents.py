"""StartIncident semantics: overrides, dedupe, clientToken idempotency, record fields, listing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from .helpers import ALARM_ARN, T0, alarm_trigger, error_of, outcome

OTHER_ALARM = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:db-latency"


# ----------------------------------------------------------------- record fields and overrides


def test_record_takes_the_plan_template_when_not_overridden(client, backend, make_plan):
    plan = make_plan(
        title="Checkout errors",
        impact=2,
        summary="Customers cannot pay",
        notificationTargets=[{"snsTopicArn": "arn:aws:sns:us-east-1:123456789012:pager"}],
    )
    backend.clock.set(T0)
    arn = client.start_incident(responsePlanArn=plan)["incidentRecordArn"]
    record = client.get_incident_record(arn=arn)["incidentRecord"]
    assert (record["title"], record["impact"], record["summary"], record["status"]) == (
        "Checkout errors",
        2,
        "Customers cannot pay",
        "OPEN",
    )
    assert record["notificationTargets"] == [{"snsTopicArn": "arn:aws:sns:us-east-1:123456789012:pager"}]
    assert record["creationTime"] == T0 and record["lastModifiedTime"] == T0
    assert "resolvedTime" not in record


def test_title_and_impact_given_to_start_incident_override_the_template(client, make_plan):
    plan = make_plan(title="Template title", impact=4)
    arn = client.start_incident(responsePlanArn=plan, title="Override", impact=1)["incidentRecordArn"]
    record = client.get_incident_record(arn=arn)["incidentRecord"]
    assert (record["title"], record["impact"]) == ("Override", 1)


def test_manual_start_has_the_custom_source_and_a_unique_dedupe_string(client, make_plan):
    plan = make_plan()
    first = client.start_incident(responsePlanArn=plan)
    second = client.start_incident(responsePlanArn=plan)
    assert (outcome(first), outcome(second)) == ("created", "created")
    records = [client.get_incident_record(arn=r["incidentRecordArn"])["incidentRecord"] for r in (first, second)]
    assert records[0]["arn"] != records[1]["arn"]
    assert records[0]["incidentRecordSource"] == {
        "createdBy": "arn:aws:sts::123456789012:user/moto",
        "invokedBy": "arn:aws:sts::123456789012:user/moto",
        "source": "aws.ssm-incidents.custom",
    }
    assert records[0]["dedupeString"] != records[1]["dedupeString"]
    assert len(records[0]["dedupeString"]) == 36


def test_alarm_triggered_record_names_its_source_and_resource(client, make_plan):
    plan = make_plan()
    arn = client.start_incident(responsePlanArn=plan, triggerDetails=alarm_trigger())["incidentRecordArn"]
    source = client.get_incident_record(arn=arn)["incidentRecord"]["incidentRecordSource"]
    assert source["source"] == "aws.cloudwatch"
    assert source["resourceArn"] == ALARM_ARN
    assert source["invokedBy"] == "cloudwatch.amazonaws.com"


def test_record_arn_is_region_less_and_embeds_the_plan_name(client, make_plan):
    plan = make_plan(name="checkout-critical")
    arn = client.start_incident(responsePlanArn=plan)["incidentRecordArn"]
    prefix = "arn:aws:ssm-incidents::123456789012:incident-record/checkout-critical/"
    assert arn.startswith(prefix)
    record_id = arn[len(prefix) :]
    assert [len(part) for part in record_id.split("-")] == [8, 4, 4, 4, 12]


def test_chat_channel_is_copied_from_the_plan(client):
    channel = {"chatbotSns": ["arn:aws:sns:us-east-1:123456789012:chat"]}
    plan = client.create_response_plan(name="p", incidentTemplate={"title": "t", "impact": 3}, chatChannel=channel)[
        "arn"
    ]
    arn = client.start_incident(responsePlanArn=plan)["incidentRecordArn"]
    assert client.get_incident_record(arn=arn)["incidentRecord"]["chatChannel"] == channel


def test_an_incident_started_timeline_event_is_added(client, backend, make_plan):
    backend.clock.set(T0)
    arn = client.start_incident(responsePlanArn=make_plan())["incidentRecordArn"]
    events = client.list_timeline_events(incidentRecordArn=arn)["eventSummaries"]
    assert [(e["eventType"], e["eventTime"]) for e in events] == [("Custom Event", T0)]
    event = client.get_timeline_event(incidentRecordArn=arn, eventId=events[0]["eventId"])["event"]
    assert event["eventData"] == '"Incident Started"'


def test_automatic_timeline_events_can_be_turned_off(client, backend, make_plan):
    backend.configure(auto_timeline_events=False)
    arn = client.start_incident(responsePlanArn=make_plan())["incidentRecordArn"]
    client.update_incident_record(arn=arn, status="RESOLVED")
    assert client.list_timeline_events(incidentRecordArn=arn)["eventSummaries"] == []


def test_related_items_from_start_incident_are_stored(client, make_plan):
    items = [
        {"identifier": {"type": "METRIC", "value": {"metricDefinition": "AWS/EC2 CPUUtilization"}}, "title": "cpu"},
        {"identifier": {"type": "OTHER", "value": {"url": "https://runbooks/api"}}},
    ]
    arn = client.start_incident(responsePlanArn=make_plan(), relatedItems=items)["incidentRecordArn"]
    stored = client.list_related_items(incidentRecordArn=arn)["relatedItems"]
    assert [i["identifier"] for i in stored] == [i["identifier"] for i in items]
    assert stored[0]["generatedId"].startswith("related-item/METRIC/")
    assert stored[1]["generatedId"].startswith("related-item/OTHER/")


# ----------------------------------------------------------------- plans


def test_unknown_plan_is_resource_not_found(client, make_plan):
    make_plan(name="exists")
    with pytest.raises(ClientError) as excinfo:
        client.start_incident(responsePlanArn="arn:aws:ssm-incidents::123456789012:response-plan/missing")
    status, code, _ = error_of(excinfo)
    assert (status, code) == (404, "ResourceNotFoundException")
    assert excinfo.value.response["resourceType"] == "RESPONSE_PLAN"


def test_plan_of_another_account_is_not_found(client, make_plan):
    make_plan(name="p")
    with pytest.raises(ClientError) as excinfo:
        client.start_incident(responsePlanArn="arn:aws:ssm-incidents::999999999999:response-plan/p")
    assert error_of(excinfo)[1] == "ResourceNotFoundException"


def test_alarm_action_spelling_responseplan_is_accepted(client, make_plan):
    make_plan(name="checkout")
    arn = client.start_incident(responsePlanArn="arn:aws:ssm-incidents::123456789012:responseplan/checkout")[
        "incidentRecordArn"
    ]
    assert ":incident-record/checkout/" in arn


def test_duplicate_plan_name_is_a_conflict(client, make_plan):
    make_plan(name="dup")
    with pytest.raises(ClientError) as excinfo:
        make_plan(name="dup")
    status, code, _ = error_of(excinfo)
    assert (status, code) == (409, "ConflictException")


# ----------------------------------------------------------------- dedupe


def test_same_alarm_while_open_is_deduplicated_into_the_open_record(client, backend, make_plan):
    plan = make_plan()
    backend.clock.set(T0)
    first = client.start_incident(responsePlanArn=plan, triggerDetails=alarm_trigger())
    backend.clock.set(T0 + timedelta(minutes=5))
    second = client.start_incident(responsePlanArn=plan, title="different title", triggerDetails=alarm_trigger())
    assert (outcome(first), outcome(second)) == ("created", "deduplicated")
    assert first["incidentRecordArn"] == second["incidentRecordArn"]
    assert len(client.list_incident_records()["incidentRecordSummaries"]) == 1
    record = client.get_incident_record(arn=first["incidentRecordArn"])["incidentRecord"]
    assert record["dedupeString"] == ALARM_ARN
    assert record["title"] == "Service degraded"  # the absorbed call changes nothing


def test_different_alarms_are_not_deduplicated(client, make_plan):
    plan = make_plan()
    a = client.start_incident(responsePlanArn=plan, triggerDetails=alarm_trigger())
    b = client.start_incident(responsePlanArn=plan, triggerDetails=alarm_trigger(OTHER_ALARM))
    assert a["incidentRecordArn"] != b["incidentRecordArn"]


def test_plan_dedupe_string_groups_different_alarms(client, make_plan):
    plan = make_plan(dedupeString="checkout-outage")
    a = client.start_incident(responsePlanArn=plan, triggerDetails=alarm_trigger())
    b = client.start_incident(responsePlanArn=plan, triggerDetails=alarm_trigger(OTHER_ALARM))
    c = client.start_incident(responsePlanArn=plan)  # manual, same plan: the plan's string still applies
    assert a["incidentRecordArn"] == b["incidentRecordArn"] == c["incidentRecordArn"]
    assert [outcome(r) for r in (a, b, c)] == ["created", "deduplicated", "deduplicated"]


def test_resolved_records_absorb_nothing(client, backend, make_plan):
    plan = make_plan()
    backend.clock.set(T0)
    first = client.start_incident(responsePlanArn=plan, triggerDetails=alarm_trigger())["incidentRecordArn"]
    backend.clock.set(T0 + timedelta(hours=1))
    client.update_incident_record(arn=first, status="RESOLVED")
    backend.clock.set(T0 + timedelta(hours=2))
    second = client.start_incident(responsePlanArn=plan, triggerDetails=alarm_trigger())
    assert outcome(second) == "created"
    assert second["incidentRecordArn"] != first
    resolved = client.get_incident_record(arn=first)["incidentRecord"]
    assert (resolved["status"], resolved["resolvedTime"]) == ("RESOLVED", T0 + timedelta(hours=1))


def test_reopened_record_absorbs_again(client, make_plan):
    plan = make_plan()
    first = client.start_incident(responsePlanArn=plan, triggerDetails=alarm_trigger())["incidentRecordArn"]
    client.update_incident_record(arn=first, status="RESOLVED")
    client.update_incident_record(arn=first, status="OPEN")
    assert "resolvedTime" not in client.get_incident_record(arn=first)["incidentRecord"]
    again = client.start_incident(responsePlanArn=plan, triggerDetails=alarm_trigger())
    assert (outcome(again), again["incidentRecordArn"]) == ("deduplicated", first)


def test_deleted_records_absorb_nothing(client, make_plan):
    plan = make_plan()
    first = client.start_incident(responsePlanArn=plan, triggerDetails=alarm_trigger())["incidentRecordArn"]
    client.delete_incident_record(arn=first)
    again = client.start_incident(responsePlanArn=plan, triggerDetails=alarm_trigger())
    assert outcome(again) == "created"


def test_dedupe_is_account_wide_by_default_across_plans(client, make_plan):
    a = client.start_incident(responsePlanArn=make_plan(name="a"), triggerDetails=alarm_trigger())
    b = client.start_incident(responsePlanArn=make_plan(name="b"), triggerDetails=alarm_trigger())
    assert b["incidentRecordArn"] == a["incidentRecordArn"]


def test_dedupe_scope_response_plan_keeps_plans_apart(client, backend, make_plan):
    backend.configure(dedupe_scope="response_plan")
    a = client.start_incident(responsePlanArn=make_plan(name="a"), triggerDetails=alarm_trigger())
    b = client.start_incident(responsePlanArn=make_plan(name="b"), triggerDetails=alarm_trigger())
    assert b["incidentRecordArn"] != a["incidentRecordArn"]


def test_non_aws_sources_are_not_deduplicated_by_trigger(client, make_plan):
    plan = make_plan()
    a = client.start_incident(responsePlanArn=plan, triggerDetails=alarm_trigger(source="my.monitor"))
    b = client.start_incident(responsePlanArn=plan, triggerDetails=alarm_trigger(source="my.monitor"))
    assert a["incidentRecordArn"] != b["incidentRecordArn"]


def test_trigger_dedupe_can_be_turned_off(client, backend, make_plan):
    backend.configure(trigger_dedupe=False)
    plan = make_plan()
    a = client.start_incident(responsePlanArn=plan, triggerDetails=alarm_trigger())
    b = client.start_incident(responsePlanArn=plan, triggerDetails=alarm_trigger())
    assert a["incidentRecordArn"] != b["incidentRecordArn"]


def test_dedupe_timeline_event_option_notes_the_duplicate(client, backend, make_plan):
    backend.configure(dedupe_timeline_event=True)
    plan = make_plan()
    arn = client.start_incident(responsePlanArn=plan, triggerDetails=alarm_trigger())["incidentRecordArn"]
    client.start_incident(responsePlanArn=plan, triggerDetails=alarm_trigger())
    events = client.list_timeline_events(incidentRecordArn=arn)["eventSummaries"]
    assert len(events) == 2
    assert backend.incident_records[arn].trigger_count == 2


# ----------------------------------------------------------------- clientToken


def test_same_token_same_request_returns_the_same_record(client, make_plan):
    plan = make_plan()
    first = client.start_incident(responsePlanArn=plan, clientToken="tok-1", title="A")
    second = client.start_incident(responsePlanArn=plan, clientToken="tok-1", title="A")
    assert (outcome(first), outcome(second)) == ("created", "idempotent")
    assert first["incidentRecordArn"] == second["incidentRecordArn"]
    assert len(client.list_incident_records()["incidentRecordSummaries"]) == 1


def test_same_token_after_resolution_still_returns_the_first_record(client, make_plan):
    plan = make_plan()
    first = client.start_incident(responsePlanArn=plan, clientToken="tok-1")["incidentRecordArn"]
    client.update_incident_record(arn=first, status="RESOLVED")
    again = client.start_incident(responsePlanArn=plan, clientToken="tok-1")
    assert (outcome(again), again["incidentRecordArn"]) == ("idempotent", first)


def test_same_token_different_request_is_a_conflict(client, make_plan):
    plan = make_plan()
    client.start_incident(responsePlanArn=plan, clientToken="tok-1", title="A")
    with pytest.raises(ClientError) as excinfo:
        client.start_incident(responsePlanArn=plan, clientToken="tok-1", title="B")
    status, code, message = error_of(excinfo)
    assert (status, code) == (409, "ConflictException")
    assert "tok-1" in message


def test_token_mismatch_can_return_the_existing_record(client, backend, make_plan):
    backend.configure(token_mismatch="return_existing")
    plan = make_plan()
    first = client.start_incident(responsePlanArn=plan, clientToken="tok-1", title="A")
    second = client.start_incident(responsePlanArn=plan, clientToken="tok-1", title="B")
    assert second["incidentRecordArn"] == first["incidentRecordArn"]


def test_token_lifetime_is_measured_on_the_emulator_clock(client, backend, make_plan):
    backend.configure(client_token_ttl_s=3600)
    plan = make_plan()
    backend.clock.set(T0)
    first = client.start_incident(responsePlanArn=plan, clientToken="tok-1")["incidentRecordArn"]
    backend.clock.set(T0 + timedelta(minutes=59))
    assert client.start_incident(responsePlanArn=plan, clientToken="tok-1")["incidentRecordArn"] == first
    backend.clock.set(T0 + timedelta(minutes=61))
    later = client.start_incident(responsePlanArn=plan, clientToken="tok-1")
    assert (outcome(later), later["incidentRecordArn"] != first) == ("created", True)


def test_tokens_are_per_operation(client, make_plan):
    plan = make_plan()
    arn = client.start_incident(responsePlanArn=plan, clientToken="shared")["incidentRecordArn"]
    client.update_incident_record(arn=arn, clientToken="shared", status="RESOLVED")
    assert client.get_incident_record(arn=arn)["incidentRecord"]["status"] == "RESOLVED"


def test_update_with_a_repeated_token_is_not_applied_twice(client, backend, make_plan):
    arn = client.start_incident(responsePlanArn=make_plan())["incidentRecordArn"]
    client.update_incident_record(arn=arn, clientToken="u-1", status="RESOLVED")
    client.update_incident_record(arn=arn, status="OPEN")
    client.update_incident_record(arn=arn, clientToken="u-1", status="RESOLVED")  # replay: no effect
    assert client.get_incident_record(arn=arn)["incidentRecord"]["status"] == "OPEN"


def test_failed_call_does_not_burn_the_token(client, make_plan):
    missing = "arn:aws:ssm-incidents::123456789012:response-plan/later"
    with pytest.raises(ClientError):
        client.start_incident(responsePlanArn=missing, clientToken="tok-1")
    make_plan(name="later")
    assert outcome(client.start_incident(responsePlanArn=missing, clientToken="tok-1")) == "created"


def test_botocore_fills_a_fresh_token_so_plain_calls_never_collide(client, make_plan):
    plan = make_plan()
    arns = {client.start_incident(responsePlanArn=plan, title="same")["incidentRecordArn"] for _ in range(3)}
    assert len(arns) == 3


def test_create_response_plan_token_replay_returns_the_plan(client):
    template = {"title": "t", "impact": 3}
    a = client.create_response_plan(name="p", incidentTemplate=template, clientToken="c-1")["arn"]
    b = client.create_response_plan(name="p", incidentTemplate=template, clientToken="c-1")["arn"]
    assert a == b


# ----------------------------------------------------------------- updates


def test_update_incident_record_changes_fields_and_adds_a_timeline_event(client, backend, make_plan):
    backend.clock.set(T0)
    arn = client.start_incident(responsePlanArn=make_plan())["incidentRecordArn"]
    backend.clock.set(T0 + timedelta(minutes=10))
    client.update_incident_record(arn=arn, title="New", impact=1, summary="sum")
    record = client.get_incident_record(arn=arn)["incidentRecord"]
    assert (record["title"], record["impact"], record["summary"]) == ("New", 1, "sum")
    assert record["lastModifiedTime"] == T0 + timedelta(minutes=10)
    types = [e["eventType"] for e in client.list_timeline_events(incidentRecordArn=arn)["eventSummaries"]]
    assert types == ["SSM Incident Record Update", "Custom Event"]


def test_update_of_a_missing_record_is_not_found(client):
    missing = "arn:aws:ssm-incidents::123456789012:incident-record/p/00000000-0000-0000-0000-000000000000"
    for call in (
        lambda: client.update_incident_record(arn=missing, status="RESOLVED"),
        lambda: client.get_incident_record(arn=missing),
        lambda: client.create_timeline_event(incidentRecordArn=missing, eventTime=T0, eventType="Note", eventData="x"),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo)[:2] == (404, "ResourceNotFoundException")
