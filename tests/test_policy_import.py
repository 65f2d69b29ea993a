"""Importing live Incident Manager wiring as a policy: files, boto3 against the emulator, the round trip, the report."""

from __future__ import annotations

import json
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest

import incidentsim
from incidentsim.awsconfig import ConfigError, export_policy, fetch_wiring, import_policy, read_wiring
from incidentsim.awsconfig.sample import write_sample_config
from incidentsim.cli import main
from incidentsim.datasets.loaders import load_alarms
from incidentsim.emulator import mock_incidents
from incidentsim.policy import Policy, ResolveStrategy

ACCOUNT = "123456789012"
REGION = "eu-west-1"
DATA = Path(__file__).resolve().parents[1] / "data"
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=timezone.utc)


def _alarm_arn(name: str, account: str = ACCOUNT, region: str = REGION) -> str:
    return f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}"


def _plan_action(name: str, account: str = ACCOUNT, spelling: str = "responseplan") -> str:
    return f"arn:aws:ssm-incidents::{account}:{spelling}/{name}"


def _metric_alarm(name: str, actions: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "AlarmName": name,
        "AlarmArn": _alarm_arn(name),
        "AlarmActions": actions,
        "OKActions": [],
        "InsufficientDataActions": [],
        "ActionsEnabled": True,
        "Namespace": "AWS/EC2",
        "MetricName": "CPUUtilization",
        **extra,
    }


def _plan(name: str, title: str, impact: int, account: str = ACCOUNT, **template: Any) -> dict[str, Any]:
    return {
        "arn": _plan_action(name, account, "response-plan"),
        "name": name,
        "incidentTemplate": {"title": title, "impact": impact, **template},
    }


def _write(path: Path, *documents: Any) -> Path:
    path.write_text("".join(json.dumps(d, indent=2) + "\n" for d in documents), encoding="utf-8")
    return path


def _awscli_output(command: str) -> Any:
    """The ``Output::`` JSON of an example the installed AWS CLI ships (read in place)."""
    import awscli

    rst = Path(awscli.__file__).parent / "examples" / command
    if not rst.is_file():
        pytest.skip(f"the AWS CLI's example {command} is not installed at {rst}")
    text = rst.read_text(encoding="utf-8").split("Output::", 1)[1]
    block = [line for line in text.splitlines()[1:]]
    end = next(i for i, line in enumerate(block) if line and not line.startswith(" "))
    return json.loads(textwrap.dedent("\n".join(block[:end])))


# ------------------------------------------------------------------------------ AWS's published samples


def test_the_published_describe_alarms_and_get_response_plan_samples_import(corpus, tmp_path):
    plan = _write(tmp_path / "get-response-plan.json", _awscli_output("ssm-incidents/get-response-plan.rst"))
    imported = import_policy([corpus / "aws-sample-events" / "aws-cli-example_cloudwatch_describe-alarms.json", plan])
    report = imported.report
    # myalarm pages an SNS topic only: it starts no incident and is listed in an ignore route
    assert (report.alarms_read, report.alarms_routed, report.alarms_ignored, report.alarms_reported) == (1, 0, 1, 0)
    assert imported.policy.route_for({"alarm_arn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:myalarm"}).ignore
    example = imported.policy.plans["Example-Response-Plan"]
    assert (example.title, example.impact, example.display_name) == ("Example-Incident", 5, "Example response plan")
    assert "1 read = 0 routed + 1 ignored (no response-plan action: 1) + 0 reported" in report.text()
    # its engagements, chat channel and runbook are no part of a policy: noted, and carried by the export from the
    # same files
    assert any(
        "Example-Response-Plan in 111122223333 also has engagements, a chat channel, a runbook" in n
        for n in report.notes
    )
    exported = export_policy(imported.policy, alarms=imported.wiring)
    props = exported.template["Resources"]["ResponsePlanExampleResponsePlan"]["Properties"]
    assert props["Engagements"] == ["arn:aws:ssm-contacts:us-east-1:111122223333:contact/example"]
    assert props["ChatChannel"] == {"ChatbotSns": ["arn:aws:sns:us-east-1:111122223333:Standard_User"]}
    assert props["Actions"][0]["SsmAutomation"]["DocumentName"] == "AWSIncidents-CriticalIncidentRunbookTemplate"
    # the sample's runbook role is a service-linked role, whose path has a '.' that CloudFormation's RoleArn pattern
    # refuses: kept (a deployment fails rather than drop the runbook) and said; cfn-lint finds that and nothing else
    assert any("role arn:aws:iam::111122223333:role/aws-service-role/" in note for note in exported.notes)
    cfnlint = pytest.importorskip("cfnlint.api", reason="cfn-lint (the test extra) lints the exported template")
    (finding,) = [str(m) for m in cfnlint.lint_file(exported.write(tmp_path / "plan.cfn.yaml")["template"])]
    assert finding.startswith("[E3031") and "AWSServiceRoleForIncidentManager' does not match" in finding


def test_the_published_list_response_plans_sample_gives_a_placeholder_that_is_reported(tmp_path):
    listed = _write(tmp_path / "plans.json", _awscli_output("ssm-incidents/list-response-plans.rst"))
    imported = import_policy(listed)
    assert imported.report.placeholder_plans == 1
    (finding,) = imported.report.findings
    assert finding.kind == "plan_not_described" and "Example-Response-Plan" in finding.effect
    assert imported.policy.plans["Example-Response-Plan"].title == "Example-Response-Plan"


# ------------------------------------------------------------------------------ the round trip through the emulator


def _event(name: str, state: str, previous: str, when: datetime) -> dict[str, Any]:
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    return {
        "version": "0",
        "id": f"{name}-{when:%H%M}",
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "account": ACCOUNT,
        "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [_alarm_arn(name)],
        "detail": {
            "alarmName": name,
            "state": {"value": state, "reason": "test", "timestamp": stamp},
            "previousState": {"value": previous, "reason": "test", "timestamp": stamp},
        },
    }


#: (minutes after T0, alarm, new state): flaps, overlapping database alarms, an ignored alarm, a disabled one, a
#: two-plan one
SCRIPT = [
    (0, "web-5xx", "ALARM"),
    (5, "web-5xx", "OK"),
    (9, "web-5xx", "ALARM"),
    (20, "db-cpu", "ALARM"),
    (22, "db-connections", "ALARM"),
    (25, "web-latency", "ALARM"),
    (30, "db-cpu", "OK"),
    (31, "db-connections", "OK"),
    (40, "noisy-disk", "ALARM"),
    (45, "muted-web", "ALARM"),
    (50, "two-plans", "ALARM"),
    (80, "web-5xx", "OK"),
    (95, "web-5xx", "ALARM"),
    (100, "db-cpu", "ALARM"),
    (150, "db-connections", "ALARM"),
    (170, "web-latency", "OK"),
    (200, "web-latency", "ALARM"),
    (210, "two-plans", "OK"),
    (215, "two-plans", "ALARM"),
]
PLANS = {
    "web": ("Web degraded", 2, None),
    "db": ("Database trouble", 3, "db-outage"),
    "pager": ("Page the on-call", 1, None),
}
ALARMS = {
    "web-5xx": (["web"], True),
    "web-latency": (["web"], True),
    "db-cpu": (["db"], True),
    "db-connections": (["db"], True),
    "noisy-disk": ([], True),
    "muted-web": (["web"], False),
    "two-plans": (["web", "pager"], True),
}


def _history(tmp_path: Path) -> Path:
    states: dict[str, str] = {}
    lines = []
    for minutes, name, state in SCRIPT:
        lines.append(json.dumps(_event(name, state, states.get(name, "OK"), T0 + timedelta(minutes=minutes))))
        states[name] = state
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _build_live_setup() -> None:
    """Plans through the ssm-incidents client, alarms through moto's CloudWatch with real AlarmActions, a rule through
    EventBridge."""
    incidents = boto3.client("ssm-incidents", region_name=REGION)
    for name, (title, impact, dedupe) in PLANS.items():
        template: dict[str, Any] = {"title": title, "impact": impact}
        if dedupe:
            template["dedupeString"] = dedupe
        incidents.create_response_plan(name=name, incidentTemplate=template)
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    for name, (plans, enabled) in ALARMS.items():
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            MetricName="M",
            Namespace="Test",
            Statistic="Average",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1.0,
            ComparisonOperator="GreaterThanThreshold",
            ActionsEnabled=enabled,
            AlarmActions=[f"arn:aws:sns:{REGION}:{ACCOUNT}:oncall"] + [_plan_action(p) for p in plans],
        )
    events = boto3.client("events", region_name=REGION)
    events.put_rule(Name="not-alarms", EventPattern=json.dumps({"source": ["aws.ec2"]}))
    events.put_targets(Rule="not-alarms", Targets=[{"Id": "1", "Arn": f"arn:aws:sns:{REGION}:{ACCOUNT}:ec2"}])


def _alarm_actions_replayed(history: Path) -> list[tuple[str, str, int, str, str]]:
    """What the alarms' actions would open: StartIncident with the plan and nothing else, for every action of every
    enabled alarm on each change into ALARM; a responder resolves each incident an hour after it opens."""
    load = load_alarms(history)
    found = []
    with mock_incidents() as mock:
        client = mock.client()
        arns = {}
        for name, (title, impact, dedupe) in PLANS.items():
            template: dict[str, Any] = {"title": title, "impact": impact}
            if dedupe:
                template["dedupeString"] = dedupe
            arns[name] = client.create_response_plan(name=name, incidentTemplate=template)["arn"]
        due: list[tuple[datetime, str]] = []
        for row in load.alarms.itertuples():
            when = row.timestamp.to_pydatetime()
            for at, arn in sorted(due):
                if at <= when:
                    mock.backend.clock.set(at)
                    client.update_incident_record(arn=arn, status="RESOLVED")
            due = [(at, arn) for at, arn in due if at > when]
            plans, enabled = ALARMS[row.alarm_name]
            if row.state != "ALARM" or row.previous_state == "ALARM" or not enabled:
                continue
            for plan in plans[
                :1
            ]:  # the first plan: the second one's incidents are reported, not replayed (checked below)
                mock.backend.clock.set(when)
                answer = client.start_incident(
                    responsePlanArn=arns[plan],
                    triggerDetails={"source": "aws.cloudwatch", "triggerArn": row.alarm_arn, "timestamp": when},
                )
                arn = answer["incidentRecordArn"]
                if all(arn != known for _, known in due) and all(arn != f[4] for f in found):
                    due.append((when + timedelta(hours=1), arn))
                    record = client.get_incident_record(arn=arn)["incidentRecord"]
                    found.append((plan, record["title"], record["impact"], record["creationTime"].isoformat(), arn))
    return sorted(f[:4] + ("",) for f in found)


def test_the_imported_policy_replays_the_incidents_the_alarm_actions_would_open(tmp_path):
    with mock_incidents():
        _build_live_setup()
        wiring = fetch_wiring(
            boto3.client("cloudwatch", region_name=REGION),
            boto3.client("ssm-incidents", region_name=REGION),
            boto3.client("events", region_name=REGION),
        )
    imported = import_policy(wiring)
    report = imported.report
    assert (report.alarms_read, report.alarms_routed, report.alarms_ignored, report.alarms_reported) == (7, 4, 2, 1)
    assert report.ignored_reasons == {"no response-plan action": 1, "actions disabled": 1}
    (finding,) = report.findings
    assert finding.kind == "several_plans" and "two-plans" in finding.subject and "pager" in finding.effect
    assert (report.rules_read, report.rules_ignored) == (1, 1)  # a rule with no response-plan target starts nothing
    # the plans as they are: no route overrides title or impact, the dedupe string is the plan's
    policy = imported.policy.replace(resolve=ResolveStrategy("after", after=timedelta(hours=1)))
    assert all(route.title is None and route.impact is None and not route.impact_rules for route in policy.routes)
    assert policy.plans["db"].dedupe_string == "db-outage"
    history = _history(tmp_path)
    result = incidentsim.replay(str(history), policy, engine="emulator", progress=False)
    replayed = sorted(
        (row.response_plan, row.title, int(row.impact), row.creation_time.isoformat(), "")
        for row in result.incidents.itertuples()
    )
    expected = _alarm_actions_replayed(history)
    assert replayed == expected
    # the shared dedupe string merges the two database alarms; the disabled and SNS-only alarms open nothing
    assert [p for p, *_ in expected].count("db") == 2 and len(expected) == 8
    events = result.events.set_index("alarm_name")
    assert set(events.loc[["noisy-disk", "muted-web"], "outcome"]) == {"ignored"}


def test_import_from_aws_on_the_command_line_says_where_it_reads_and_keeps_the_files(tmp_path, capsys):
    with mock_incidents():
        _build_live_setup()
        out = tmp_path / "current.yaml"
        code = main(
            [
                "policy",
                "import",
                "--from-aws",
                "--region",
                REGION,
                "--out",
                str(out),
                "--save-config",
                str(tmp_path / "cfg"),
                "--report",
                str(tmp_path / "report.json"),
            ]
        )
    assert code == 0
    captured = capsys.readouterr()
    assert "reading alarms, response plans and EventBridge rules from your AWS account" in captured.err
    assert "7 read = 4 routed + 2 ignored" in captured.out
    saved = import_policy(tmp_path / "cfg")  # what was read, kept as CLI-shaped files, imports to the same policy
    assert saved.policy.to_dict() | {"name": "x"} == Policy.from_yaml(out).to_dict() | {"name": "x"}
    assert json.loads((tmp_path / "report.json").read_text())["alarms_reported"] == 1


def test_capture_with_config_fetches_history_and_wiring_in_one_go(tmp_path, capsys):
    with mock_incidents():
        _build_live_setup()
        boto3.client("cloudwatch", region_name=REGION).set_alarm_state(
            AlarmName="web-5xx", StateValue="ALARM", StateReason="test"
        )
        code = main(
            [
                "capture",
                "--start",
                "2000-01-01",
                "--end",
                "2100-01-01",
                "--region",
                REGION,
                "--with-config",
                "--out",
                str(tmp_path / "alarms.parquet"),
            ]
        )
    assert code == 0
    assert (tmp_path / "alarms.parquet").is_file()
    assert sorted(p.name for p in (tmp_path / "live-config").iterdir()) == [
        f"describe-alarms_{ACCOUNT}_{REGION}.json",
        f"get-response-plan_{ACCOUNT}.json",
        "list-rules.json",
        "list-targets-by-rule.json",
    ]
    assert (
        Policy.from_yaml(tmp_path / "imported-policy.yaml").route_for({"alarm_arn": _alarm_arn("web-5xx")}).plan
        == "web"
    )


# ------------------------------------------------------------------------------ what the service does, and the report


def test_composite_suppressed_disabled_other_account_and_ok_actions(tmp_path):
    alarms = {
        "MetricAlarms": [
            _metric_alarm("api-5xx", [_plan_action("api")]),
            _metric_alarm("off", [_plan_action("api")], ActionsEnabled=False),
            _metric_alarm("elsewhere", [_plan_action("central", "999999999999")]),
            _metric_alarm("recovery", [_plan_action("api")], OKActions=[_plan_action("api")]),
            _metric_alarm("typo", ["arn:aws:ssm-incidents::123456789012:plan/api"]),
        ],
        "CompositeAlarms": [
            {
                "AlarmName": "service-down",
                "AlarmArn": _alarm_arn("service-down"),
                "AlarmRule": "ALARM(api-5xx)",
                "AlarmActions": [_plan_action("api", spelling="response-plan")],
                "ActionsEnabled": True,
                "ActionsSuppressor": "maintenance",
                "ActionsSuppressorWaitPeriod": 120,
                "ActionsSuppressorExtensionPeriod": 180,
            }
        ],
    }
    files = [
        _write(tmp_path / "alarms.json", alarms),
        _write(tmp_path / "plans.json", _plan("api", "API down", 2), _plan("central", "Central", 1, "999999999999")),
    ]
    imported = import_policy(files)
    report, policy = imported.report, imported.policy
    assert report.alarms_read == report.alarms_routed + report.alarms_ignored + report.alarms_reported == 6
    assert (report.alarms_routed, report.alarms_ignored, report.alarms_reported) == (2, 1, 3)
    kinds = sorted(f.kind for f in report.findings)
    assert kinds == ["malformed_plan_arn", "other_account", "plan_on_ok"]
    assert policy.route_for({"alarm_arn": _alarm_arn("service-down")}).plan == "api"  # composite alarms route as any
    assert policy.route_for({"alarm_arn": _alarm_arn("off")}).name == "actions-disabled"
    assert policy.route_for({"alarm_arn": _alarm_arn("elsewhere")}).plan == "central"
    assert any("suppressed by maintenance" in note for note in report.notes)


def test_suppressed_composite_changes_start_nothing_in_the_replay(corpus, tmp_path):
    files = [
        corpus
        / "aws-sample-events"
        / "cloudwatch-and-eventbridge_04_state-change-for-a-composite-alarm-with-a-suppressor-alarm.json"
    ]
    load = load_alarms(files)
    row = load.alarms.iloc[0]
    wiring = {
        "CompositeAlarms": [
            {
                "AlarmName": row.alarm_name,
                "AlarmArn": row.alarm_arn,
                "AlarmActions": [_plan_action("svc", str(row.account_id))],
                "ActionsSuppressor": "ServiceMaintenanceAlarm",
            }
        ]
    }
    imported = import_policy(_wiring_folder(tmp_path, wiring, _plan("svc", "Service", 2, str(row.account_id))))
    result = incidentsim.replay(load, imported.policy, engine="emulator", progress=False)
    assert row.actions_suppressed_by  # the sample's change into ALARM came while its suppressor held
    assert result.events["outcome"].tolist() == ["ignored"] and result.incidents.empty


def _wiring_folder(folder: Path, *documents: Any) -> Path:
    for i, document in enumerate(documents):
        _write(folder / f"{i}.json", document)
    return folder


def test_eventbridge_rules_become_routes_or_are_reported(tmp_path):
    def rule(name: str, pattern: Any, **extra: Any) -> dict[str, Any]:
        return {
            "Name": name,
            "Arn": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{name}",
            "State": "ENABLED",
            "EventPattern": json.dumps(pattern),
            "EventBusName": "default",
            **extra,
        }

    alarm_events = {"source": ["aws.cloudwatch"], "detail-type": ["CloudWatch Alarm State Change"]}
    rules = {
        "Rules": [
            rule(
                "db-alarms",
                {**alarm_events, "detail": {"alarmName": [{"prefix": "db-"}], "state": {"value": ["ALARM"]}}},
            ),
            rule("by-reason", {**alarm_events, "detail": {"state": {"reason": [{"prefix": "Threshold"}]}}}),
            rule("no-targets-read", alarm_events),
            rule("paused", alarm_events, State="DISABLED"),
        ]
    }
    files = [
        _write(tmp_path / "rules.json", rules),
        _write(
            tmp_path / "list-targets-by-rule_db-alarms.json",
            {"Targets": [{"Id": "1", "Arn": _plan_action("db", spelling="response-plan")}]},
        ),
        _write(
            tmp_path / "targets.json",
            {"Rule": "by-reason", "Targets": [{"Id": "1", "Arn": _plan_action("db")}]},
            {"Rule": "paused", "Targets": [{"Id": "1", "Arn": _plan_action("db")}]},
        ),
        _write(tmp_path / "alarms.json", {"MetricAlarms": [_metric_alarm("db-cpu", []), _metric_alarm("web", [])]}),
        _write(tmp_path / "plan.json", _plan("db", "Database", 2)),
    ]
    imported = import_policy(files)
    report, policy = imported.report, imported.policy
    assert (report.rules_read, report.rules_routed, report.rules_ignored, report.rules_reported) == (4, 1, 1, 2)
    assert sorted(f.kind for f in report.findings) == ["rule_pattern", "rule_targets_unknown"]
    assert "'detail' 'reason'" not in report.text() and "by-reason" in report.text()
    route = policy.route_for(
        {"alarm_name": "db-cpu", "alarm_arn": _alarm_arn("db-cpu"), "account_id": ACCOUNT, "region": REGION}
    )
    assert route.name == "rule-db-alarms" and route.plan == "db"
    # the same name in another Region is another rule's business: a rule sees its own Region's alarm events only
    assert (
        policy.route_for(
            {
                "alarm_name": "db-cpu",
                "alarm_arn": _alarm_arn("db-cpu", region="us-east-1"),
                "account_id": ACCOUNT,
                "region": "us-east-1",
            }
        )
        is None
    )
    assert (report.alarms_routed, report.alarms_ignored) == (1, 1)  # db-cpu through the rule; web ignored


def test_plans_of_one_name_with_different_templates_are_both_kept_and_reported(tmp_path):
    other = "222222222222"
    alarms = {
        "MetricAlarms": [
            _metric_alarm("a", [_plan_action("ops")]),
            {**_metric_alarm("b", [_plan_action("ops", other)]), "AlarmArn": _alarm_arn("b", other)},
        ]
    }
    imported = import_policy(
        [
            _write(tmp_path / "a.json", alarms),
            _write(tmp_path / "p.json", [_plan("ops", "Ops", 2), _plan("ops", "Ops (EU)", 3, other)]),
        ]
    )
    assert sorted(imported.policy.plans) == ["ops", f"ops-{other}"]
    assert [f.kind for f in imported.report.findings] == ["plan_name_clash"]
    assert imported.policy.route_for({"alarm_arn": _alarm_arn("b", other)}).plan == f"ops-{other}"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"MetricAlarms": [\n  {"AlarmName": "x",\n', "a.json:3: not JSON"),
        (
            '{"MetricAlarms": [{"AlarmName": "x", "AlarmArn": "nope"}]}',
            "a.json MetricAlarms[0].AlarmArn: 'nope' is not an alarm ARN",
        ),
        (
            '{"MetricAlarms": [{"AlarmName": "x", "AlarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:x", '
            '"AlarmActions": "a"}]}',
            "a.json MetricAlarms[0].AlarmActions: expected a list of ARNs",
        ),
        (
            '{"incidentTemplate": {"title": "t", "impact": 9}, '
            '"arn": "arn:aws:ssm-incidents::123456789012:response-plan/p"}',
            "a.json incidentTemplate.impact: expected an impact from 1 to 5, got 9",
        ),
        ('{"AlarmHistoryItems": []}', "a.json: not an output this import reads"),
        ("", "a.json: empty file"),
        ("[]", "a.json: an empty JSON array, with no AWS CLI output in it"),
        ('[1, "x"]', "a.json:1 [0]: expected the JSON object an AWS CLI command prints, got 1"),
        (
            '{"incidentTemplate": {"title": "t", "impact": 2}, '
            '"arn": "arn:aws:ssm-incidents::123456789012:response-plan/p", "engagements": "x"}',
            "a.json engagements: expected a list of ARNs",
        ),
        ('{"Targets": []}', "a.json: list-targets-by-rule output does not say which rule it is for"),
        ('{"Rule": "r", "Targets": []}', "a.json: targets for the rule 'r', but no list-rules"),
    ],
)
def test_bad_input_names_the_file_the_place_and_the_problem(tmp_path, capsys, content, message):
    path = tmp_path / "a.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as excinfo:
        read_wiring(path)
    assert message in str(excinfo.value)
    assert main(["policy", "import", str(path), "--out", str(tmp_path / "p.yaml")]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "p.yaml").exists()


def test_import_needs_input_and_a_missing_file_is_named(tmp_path, capsys):
    assert main(["policy", "import"]) == 2
    assert "give AWS CLI output files" in capsys.readouterr().err
    assert main(["policy", "import", str(tmp_path / "missing.json")]) == 2
    assert "missing.json: no such file or folder" in capsys.readouterr().err
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("{}")
    assert main(["policy", "import", str(tmp_path / "notes")]) == 2
    assert "notes: a folder with no .json file in it" in capsys.readouterr().err


def test_outputs_that_cannot_be_written_are_one_line_and_nothing_is_half_written(tmp_path, capsys):
    folder = tmp_path / "taken"
    folder.mkdir()
    policy = tmp_path / "p.yaml"
    for args in (["--out", str(folder)], ["--out", str(policy), "--report", str(folder)]):
        assert main(["policy", "import", str(DATA / "live-config"), *args]) == 2
        captured = capsys.readouterr()
        assert (
            captured.err.strip() == f"incidentsim policy: {folder}: is a folder; give a file name"
            and captured.out == ""
        )
        assert not policy.exists()
    assert (
        main(["policy", "import", str(DATA / "live-config"), "--out", str(tmp_path / "new" / "p.yaml")]) == 0
    )  # its folder made
    capsys.readouterr()
    assert main(["policy", "export", str(tmp_path / "new" / "p.yaml"), "--out", str(tmp_path / "new" / "p.yaml")]) == 2
    assert "is the policy itself" in capsys.readouterr().err


# ------------------------------------------------------------------------------ the bundled sample


def test_the_committed_sample_wiring_is_what_the_generator_writes(tmp_path):
    written = write_sample_config(tmp_path)
    assert (DATA / "live-config").is_dir(), (
        "data/live-config is missing: run python -m incidentsim.datasets.synthetic --out data"
    )
    for name, path in written.items():
        assert (DATA / name).read_bytes() == path.read_bytes(), name
    assert sorted(p.name for p in (DATA / "live-config").iterdir()) == sorted(Path(n).name for n in written)


def test_the_sample_wiring_imports_to_the_sample_policy_without_its_overrides():
    imported = import_policy(DATA / "live-config")
    report = imported.report
    # counted from the describe-alarms files themselves: an alarm is routed when an action names a response plan
    listed = [
        a
        for path in sorted((DATA / "live-config").glob("describe-alarms_*.json"))
        for kind in ("MetricAlarms", "CompositeAlarms")
        for a in json.loads(path.read_text())[kind]
    ]
    paging = [a for a in listed if any(":ssm-incidents::" in action for action in a["AlarmActions"])]
    assert report.ok and (report.alarms_read, report.alarms_routed, report.alarms_ignored) == (
        len(listed),
        len(paging),
        len(listed) - len(paging),
    )
    assert 0 < len(paging) < len(listed)
    sample = Policy.from_yaml(DATA / "sample-policy.yaml")
    assert {p.name: p for p in imported.policy.response_plans} == sample.plans
    alarms = load_alarms(DATA / "alarm-events.jsonl").alarms
    for row in alarms.drop_duplicates("alarm_arn").to_dict("records"):
        ours, theirs = imported.policy.route_for(row), sample.route_for(row)
        assert (ours.plan if ours else None) == (theirs.plan if theirs and not theirs.ignore else None), row[
            "alarm_name"
        ]
