"""Exporting a policy: CloudFormation that lints clean, alarm-action changes, and what Incident Manager cannot
express."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from incidentsim.awsconfig import export_policy, import_policy
from incidentsim.awsconfig.export import CHANGE_COLUMNS, read_template
from incidentsim.cli import main
from incidentsim.datasets.loaders import load_alarms
from incidentsim.policy import ClientTokenStrategy, Policy

DATA = Path(__file__).resolve().parents[1] / "data"
CHECKOUT_5XX_US = "arn:aws:cloudwatch:us-east-1:111111111111:alarm:checkout-api-5xx-high"


def _cfn_lint(*paths: Path) -> list[str]:
    """cfn-lint's findings (errors, warnings and informational) on each template, as text; [] when clean."""
    pytest.importorskip("cfnlint", reason="cfn-lint (the test extra) lints the exported templates")
    from cfnlint.api import lint_file

    return [str(match) for path in paths for match in lint_file(path)]


def test_cfn_lint_finds_what_is_wrong_in_a_response_plan(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "Resources:\n  Plan:\n    Type: AWS::SSMIncidents::ResponsePlan\n    Properties:\n      Name: x\n"
        "      IncidentTemplate: {Title: t, Impact: 9}\n",
        encoding="utf-8",
    )
    assert any("9 is greater than the maximum of 5" in finding for finding in _cfn_lint(bad))


@pytest.fixture(scope="module")
def tuned() -> Policy:
    """The sample's live wiring, imported, then tuned: checkout gets its own critical plan with a dedupe string and a
    title template, search alarms are no longer routed."""
    data = import_policy(DATA / "live-config").policy.to_dict()
    data["name"] = "tuned"
    data["response_plans"].append(
        {
            "name": "checkout-p1",
            "title": "Checkout down",
            "impact": 1,
            "dedupe_string": "checkout-outage",
            "display_name": "Checkout P1",
            "tags": {"team": "checkout"},
        }
    )
    for route in data["routes"]:
        if route["name"] == "plan-checkout-critical":
            route.update(plan="checkout-p1", title="{{ alarm_name }} ({{ region }})")
        if route["name"] == "plan-search-degraded":
            route.pop("plan")
            route["ignore"] = True
    return Policy.from_dict(data, source="tuned")


def test_the_exported_template_holds_one_plan_each_and_lints_clean(tuned, tmp_path):
    exported = export_policy(tuned, alarms=DATA / "live-config")
    written = exported.write(tmp_path / "tuned.cfn.yaml")
    resources = exported.template["Resources"]
    plans = {
        r["Properties"]["Name"]: r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::SSMIncidents::ResponsePlan"
    }
    assert sorted(plans) == sorted(p.name for p in tuned.response_plans)
    assert plans["checkout-p1"]["IncidentTemplate"] == {
        "Title": "Checkout down",
        "Impact": 1,
        "DedupeString": "checkout-outage",
        "IncidentTags": [{"Key": "team", "Value": "checkout"}],
    }
    assert plans["checkout-p1"]["DisplayName"] == "Checkout P1"
    assert _cfn_lint(written["template"]) == []
    # the file is the template: its header comments name what is not native, route by route
    text = written["template"].read_text()
    assert (
        "# Not expressible natively" in text and "route plan-checkout-critical -> checkout-p1: title template" in text
    )
    assert yaml.safe_load(text)["Metadata"]["incidentsim"]["not_native"][0]["route"] == "plan-checkout-critical"


def test_alarm_action_changes_are_listed_for_every_alarm_that_changes(tuned, tmp_path):
    exported = export_policy(tuned, alarms=DATA / "live-config")
    by_arn = {c.alarm_arn: c for c in exported.changes}
    # the checkout alarms move to checkout-p1 and the search alarms lose search-degraded (both counted from the wiring);
    # capacity and payments alarms keep their actions, so they are not listed
    wiring = import_policy(DATA / "live-config").wiring
    moving = {a.arn for a in wiring.alarms if any(x.endswith("/checkout-critical") for x in a.alarm_actions)}
    dropped = {a.arn for a in wiring.alarms if any(x.endswith("/search-degraded") for x in a.alarm_actions)}
    assert set(by_arn) == moving | dropped and moving and dropped
    change = by_arn[CHECKOUT_5XX_US]
    assert change.add == ("arn:aws:ssm-incidents::111111111111:responseplan/checkout-p1",)
    assert change.remove == ("arn:aws:ssm-incidents::111111111111:responseplan/checkout-critical",)
    assert change.new_actions == (
        "arn:aws:sns:us-east-1:111111111111:checkout-oncall",
        change.add[0],
    )  # the topic is kept
    assert all(c.add == () and c.plan == "" for c in exported.changes if c.alarm_arn in dropped)
    written = exported.write(tmp_path / "tuned.cfn.yaml")
    rows = written["changes_csv"].read_text().splitlines()
    assert len(rows) == 1 + len(moving | dropped)
    assert len(json.loads(written["changes_json"].read_text())) == len(moving | dropped)


def test_alarms_defined_in_the_users_template_get_their_alarm_actions_there(tuned, tmp_path):
    user = tmp_path / "alarms.yaml"
    user.write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\n"
        "Parameters:\n  Topic:\n    Type: String\n"
        "Resources:\n"
        "  Checkout5xx:\n    Type: AWS::CloudWatch::Alarm\n    Properties:\n"
        "      AlarmName: checkout-api-5xx-high\n      Namespace: AWS/ApplicationELB\n"
        "      MetricName: HTTPCode_Target_5XX_Count\n"
        "      Statistic: Sum\n      Period: 60\n      EvaluationPeriods: 5\n      Threshold: 50\n"
        "      ComparisonOperator: GreaterThanThreshold\n"
        "      AlarmActions:\n        - !Ref Topic\n"
        "        - arn:aws:ssm-incidents::111111111111:responseplan/checkout-critical\n",
        encoding="utf-8",
    )
    exported = export_policy(tuned, alarms=DATA / "live-config", alarm_template=user)
    written = exported.write(tmp_path / "tuned.cfn.yaml")
    changed = read_template(written["alarm_template"])
    actions = changed["Resources"]["Checkout5xx"]["Properties"]["AlarmActions"]
    assert actions == [
        {"Ref": "Topic"},
        {"Fn::Sub": "arn:${AWS::Partition}:ssm-incidents::${AWS::AccountId}:responseplan/checkout-p1"},
    ]
    in_template = [c for c in exported.changes if c.where == "template Checkout5xx"]
    assert {c.alarm_name for c in in_template} == {"checkout-api-5xx-high"} and len(
        in_template
    ) == 2  # both Regions' alarms
    assert all(c["alarm_name"] != "checkout-api-5xx-high" for c in json.loads(written["changes_json"].read_text()))
    assert _cfn_lint(written["template"], written["alarm_template"]) == []


def test_what_incident_manager_cannot_express_is_listed_route_by_route():
    sample = Policy.from_yaml(DATA / "sample-policy.yaml")
    items = export_policy(sample).not_native
    listed = {(i.route, i.what.split(" ")[0]) for i in items}
    assert listed == {
        ("capacity", "title"),
        ("capacity", "impact"),
        ("checkout", "title"),
        ("checkout", "impact"),
        ("payments", "title"),
        ("search", "title"),
        ("(every route)", "resolve"),
    }
    checkout_rule = next(i for i in items if i.route == "checkout" and i.what.startswith("impact"))
    assert "impact 3 when metric_name" in checkout_rule.what and "impact 2" in checkout_rule.instead
    windowed = sample.replace(client_token=ClientTokenStrategy("per_alarm_window", window=timedelta(hours=1)))
    assert any(
        i.what.startswith("clientToken strategy per_alarm_window (window 1h)")
        for i in export_policy(windowed).not_native
    )
    # an imported policy is native through and through, but for when a responder resolves
    imported = import_policy(DATA / "live-config").policy
    assert [i.what.split(" ")[0] for i in export_policy(imported).not_native] == ["resolve"]


def test_a_history_gives_the_changes_when_no_describe_alarms_output_is_at_hand(tuned):
    alarms = load_alarms(DATA / "alarm-events.jsonl").alarms
    exported = export_policy(tuned, alarms=alarms)
    routed = {c.alarm_arn for c in exported.changes}
    assert CHECKOUT_5XX_US in routed and all(c.current_actions is None for c in exported.changes)
    assert all(c.plan for c in exported.changes)  # an ignored alarm of a history has nothing known to remove


def test_terraform_writes_one_response_plan_resource_each(tuned, tmp_path):
    text = export_policy(tuned, format="terraform").template_text()
    assert text.count('resource "aws_ssmincidents_response_plan"') == len(tuned.response_plans)
    assert 'dedupe_string = "checkout-outage"' in text and "incident_template {" in text
    with pytest.raises(ValueError, match="The 'format' parameter of export_policy must be one of"):
        export_policy(tuned, format="pulumi")


def test_the_command_line_loop_import_then_export(tmp_path, capsys):
    policy = tmp_path / "current.yaml"
    assert main(["policy", "import", str(DATA / "live-config"), "--out", str(policy)]) == 0
    assert "61 read = 60 routed + 1 ignored" in capsys.readouterr().out
    assert main(["policy", "export", str(policy), "--alarms", str(DATA / "live-config")]) == 0
    out = capsys.readouterr().out
    assert "0 alarm-action change(s)" in out and (tmp_path / "current.cfn.yaml").is_file()
    assert main(["policy", "export", str(policy), "--format", "terraform", "--out", str(tmp_path / "plans.tf")]) == 0
    assert (tmp_path / "plans.tf").read_text().count("aws_ssmincidents_response_plan") == 4
    bad = tmp_path / "bad.yaml"
    bad.write_text("response_plans: []\n")
    assert main(["policy", "export", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml" in err and len(err.strip().splitlines()) == 1
    assert main(["policy", "export", str(policy), "--alarm-template", str(tmp_path / "none.yaml")]) == 2
    assert "none.yaml: no such template file" in capsys.readouterr().err


def test_what_a_live_plan_does_beyond_its_template_is_carried_into_the_export_or_named(tmp_path):
    """Engagements, chat channel, runbook, integrations and notification targets are no part of a policy: the export
    takes them from the get-response-plan output given with the alarms, and names the plans it has none for."""
    import boto3

    from incidentsim.awsconfig import fetch_wiring
    from incidentsim.emulator import mock_incidents

    account, region = "123456789012", "eu-west-1"
    runbook = {
        "ssmAutomation": {
            "documentName": "Runbook",
            "roleArn": f"arn:aws:iam::{account}:role/im",
            "documentVersion": "$DEFAULT",
            "targetAccount": "RESPONSE_PLAN_OWNER_ACCOUNT",
            "parameters": {"env": ["prod"]},
            "dynamicParameters": {"incident": {"variable": "INCIDENT_RECORD_ARN"}},
        }
    }
    pagerduty = {
        "pagerDutyConfiguration": {
            "name": "pd",
            "secretId": "pd-secret",
            "pagerDutyIncidentConfiguration": {"serviceId": "P1"},
        }
    }
    with mock_incidents():
        incidents = boto3.client("ssm-incidents", region_name=region)
        incidents.create_response_plan(
            name="db",
            incidentTemplate={
                "title": "Database",
                "impact": 2,
                "notificationTargets": [{"snsTopicArn": f"arn:aws:sns:{region}:{account}:im"}],
            },
            engagements=[f"arn:aws:ssm-contacts:{region}:{account}:contact/oncall"],
            chatChannel={"chatbotSns": [f"arn:aws:sns:{region}:{account}:chat"]},
            actions=[runbook],
            integrations=[pagerduty],
        )
        wiring = fetch_wiring(incidents=incidents)
    imported = import_policy(wiring)
    assert any(
        note.startswith(
            "plan db in 123456789012 also has notification targets, engagements, a chat channel, a runbook, "
            "integrations"
        )
        for note in imported.report.notes
    )
    data = imported.policy.to_dict()
    data["response_plans"].append({"name": "db-p1", "title": "Database down", "impact": 1})
    policy = Policy.from_dict(data)
    exported = export_policy(policy, alarms=wiring)
    props = exported.template["Resources"]["ResponsePlanDb"]["Properties"]
    assert props["Engagements"] == [f"arn:aws:ssm-contacts:{region}:{account}:contact/oncall"]
    assert props["ChatChannel"] == {"ChatbotSns": [f"arn:aws:sns:{region}:{account}:chat"]}
    assert props["IncidentTemplate"]["NotificationTargets"] == [{"SnsTopicArn": f"arn:aws:sns:{region}:{account}:im"}]
    assert props["Actions"][0]["SsmAutomation"]["Parameters"] == [{"Key": "env", "Values": ["prod"]}]
    assert props["Actions"][0]["SsmAutomation"]["DynamicParameters"] == [
        {"Key": "incident", "Value": {"Variable": "INCIDENT_RECORD_ARN"}}
    ]
    assert props["Integrations"][0]["PagerDutyConfiguration"]["PagerDutyIncidentConfiguration"] == {"ServiceId": "P1"}
    assert set(exported.template["Resources"]["ResponsePlanDbP1"]["Properties"]) == {"Name", "IncidentTemplate"}
    assert any("no get-response-plan output was given for db-p1" in note for note in exported.notes)
    written = exported.write(tmp_path / "db.cfn.yaml")
    assert _cfn_lint(written["template"]) == []
    terraform = export_policy(policy, alarms=wiring, format="terraform").template_text()
    assert f'engagements = ["arn:aws:ssm-contacts:{region}:{account}:contact/oncall"]' in terraform
    assert (
        f'sns_topic_arn = "arn:aws:sns:{region}:{account}:im"' in terraform
        and "runbook (action) and integrations" in terraform
    )


def test_the_change_list_is_written_even_when_empty_so_no_stale_list_stays_beside_the_template(tuned, tmp_path):
    target = tmp_path / "tuned.cfn.yaml"
    changed = export_policy(tuned, alarms=DATA / "live-config")
    assert tuple(changed.changes[0].row()) == CHANGE_COLUMNS
    changed.write(target)
    assert len((tmp_path / "tuned.cfn.alarm-changes.csv").read_text().splitlines()) > 1
    current = import_policy(DATA / "live-config").policy
    exported = export_policy(current, alarms=DATA / "live-config")
    assert exported.changes == [] and list(exported.changes_frame().columns) == list(CHANGE_COLUMNS)
    exported.write(target)
    assert (tmp_path / "tuned.cfn.alarm-changes.csv").read_text().splitlines() == [",".join(CHANGE_COLUMNS)]
    assert json.loads((tmp_path / "tuned.cfn.alarm-changes.json").read_text()) == []
