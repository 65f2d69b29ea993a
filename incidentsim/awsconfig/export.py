"""A policy as Incident Manager can hold it: CloudFormation (or Terraform) plans and alarm-action changes.

:func:`export_policy` turns a policy into:

* a template with one ``AWS::SSMIncidents::ResponsePlan`` per plan (its ``IncidentTemplate``:
  ``Title``, ``Impact``, ``Summary``, ``DedupeString``, ``IncidentTags``; the plan's name and
  display name kept). A policy holds only what a replay needs, so what else a live plan does
  (``NotificationTargets``, ``Engagements``, ``ChatChannel``, its runbook ``Actions`` and
  ``Integrations``) comes from the ``get-response-plan`` output given with the alarms, and a plan
  without one is named in the notes: the template would give it none of these;
* the alarm-action change each known alarm needs so that CloudWatch starts the incidents the
  policy routes (``arn:aws:ssm-incidents::<account>:responseplan/<plan>`` in its ``AlarmActions``,
  other response-plan actions removed, every other action kept): written into a copy of the
  user's own template for the alarms it defines (``AWS::CloudWatch::Alarm`` ``AlarmActions``),
  and as a CSV and JSON change list for the others;
* route by route, what Incident Manager cannot express natively, because an alarm action sends
  only the plan's ARN: a route's title template, its impact and impact rules, a clientToken
  strategy other than one request per state change, and any resolve strategy but ``never``.
  Each is listed (in the template's header and ``Metadata``, and by :meth:`Export.summary_text`)
  with what incidents get instead and what would keep it; nothing is flattened silently.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..policy import Policy, ResponsePlan, format_duration
from .wiring import AlarmWiring, ConfigError, PlanWiring, Wiring, is_incident_manager_arn, read_wiring

FORMATS = ("cloudformation", "terraform")
#: The columns of the change list (CSV, :meth:`Export.changes_frame`): one row per alarm whose actions change.
CHANGE_COLUMNS = (
    "alarm_name",
    "alarm_arn",
    "account_id",
    "region",
    "route",
    "plan",
    "current_actions",
    "current_known",
    "add",
    "remove",
    "new_actions",
    "where",
    "note",
)
#: The pattern AWS::SSMIncidents::ResponsePlan's schema (the CloudFormation registry's, as cfn-lint ships it) gives a
#: runbook's RoleArn: stricter than the Incident Manager API's, it allows no "." after the account (a service-linked
#: role's path has one).
CFN_ROLE_ARN = re.compile(r"^arn:aws(-(cn|us-gov))?:[a-z-]+:(([a-z]+-)+[0-9])?:([0-9]{12})?:[^.]+$")
CUSTOM_CALLER = (
    "a custom StartIncident caller (an EventBridge rule on the alarm's state change invoking a Lambda "
    "function that calls StartIncident with it)"
)


@dataclass(frozen=True)
class NotNative:
    """One thing a route (or the whole policy) does that an alarm action cannot."""

    route: str  # the route's name; "(every route)" for policy-wide strategies
    plan: str
    what: str
    instead: str  # what incidents get once exported
    keep_it: str  # what would keep it

    def text(self) -> str:
        return f"route {self.route} -> {self.plan}: {self.what}; exported, {self.instead}; to keep it: {self.keep_it}"


@dataclass(frozen=True)
class AlarmChange:
    """The alarm-action change one alarm needs: its ``AlarmActions`` before (when known) and after."""

    alarm_name: str
    alarm_arn: str
    account_id: str
    region: str
    route: str
    plan: str  # the plan the policy sends it to ("" : none)
    current_actions: tuple[str, ...] | None  # None: not known (the alarm came from a history)
    new_actions: tuple[str, ...]
    add: tuple[str, ...]
    remove: tuple[str, ...]
    where: str  # "template <LogicalId>" or "change list"
    note: str = ""

    def row(self) -> dict[str, str]:
        return {
            "alarm_name": self.alarm_name,
            "alarm_arn": self.alarm_arn,
            "account_id": self.account_id,
            "region": self.region,
            "route": self.route,
            "plan": self.plan,
            "current_actions": "" if self.current_actions is None else " ".join(self.current_actions),
            "current_known": str(self.current_actions is not None).lower(),
            "add": " ".join(self.add),
            "remove": " ".join(self.remove),
            "new_actions": " ".join(self.new_actions),
            "where": self.where,
            "note": self.note,
        }


@dataclass
class Export:
    """What :func:`export_policy` made; :meth:`write` keeps it beside a policy file."""

    policy: Policy
    format: str
    template: dict[str, Any]
    changes: list[AlarmChange]
    not_native: list[NotNative]
    alarm_template: dict[str, Any] | None = None  # the user's template with AlarmActions changed
    alarm_template_source: Path | None = None
    notes: list[str] = field(default_factory=list)
    #: the live plans (from get-response-plan output) whose other parts the template carries, by policy plan name
    live_plans: dict[str, PlanWiring] = field(default_factory=dict)
    #: alarms were given, so the change list is written (empty when nothing changes) and stale lists never linger
    alarms_given: bool = False

    def changes_frame(self) -> pd.DataFrame:
        """The change list as a table (one row per alarm whose actions change)."""
        return pd.DataFrame([change.row() for change in self.changes], columns=list(CHANGE_COLUMNS))

    def header(self) -> str:
        """The comment block that heads the written template: the not-native list, route by route."""
        lines = [
            f"Written by incidentsim policy export from the policy '{self.policy.name}'.",
            f"{len(self.policy.response_plans)} response plan(s); {len(self.changes)} alarm(s) need an alarm-action "
            f"change ({sum(1 for c in self.changes if c.where.startswith('template'))} in the alarm template, the rest "
            "in the change list).",
        ]
        if self.not_native:
            lines.append("Not expressible natively in Incident Manager (an alarm action sends only the plan's ARN):")
            lines += [f"  - {item.text()}" for item in self.not_native]
        else:
            lines.append("Everything the policy does is expressed natively.")
        lines += self.notes
        return "".join(f"# {line}\n" for line in lines)

    def template_text(self) -> str:
        if self.format == "terraform":
            return self.header() + _terraform(self.policy, self.live_plans)
        return self.header() + yaml.safe_dump(self.template, sort_keys=False, allow_unicode=True, width=120)

    def summary_text(self) -> str:
        lines = [
            f"{len(self.policy.response_plans)} response plan(s) exported; {len(self.changes)} alarm-action change(s)"
        ]
        if self.not_native:
            lines.append(f"not expressible natively ({len(self.not_native)}):")
            lines += [f"  - {item.text()}" for item in self.not_native]
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)

    def write(self, path: str | Path) -> dict[str, Path]:
        """Write the template to ``path`` and, beside it, the change list (``.alarm-changes.csv`` and ``.json``)
        and the changed alarm template (``.alarms.yaml`` / ``.alarms.json``) when there is one."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.template_text(), encoding="utf-8")
        written = {"template": target}
        stem = target.with_suffix("")
        listed = [c for c in self.changes if c.where == "change list"]
        if listed or self.alarms_given:
            csv_path = Path(f"{stem}.alarm-changes.csv")
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=list(CHANGE_COLUMNS), lineterminator="\n")
            writer.writeheader()
            writer.writerows(c.row() for c in listed)
            csv_path.write_text(buffer.getvalue(), encoding="utf-8")
            json_path = Path(f"{stem}.alarm-changes.json")
            json_path.write_text(json.dumps([asdict(c) for c in listed], indent=2) + "\n", encoding="utf-8")
            written["changes_csv"], written["changes_json"] = csv_path, json_path
        if self.alarm_template is not None:
            is_json = self.alarm_template_source is not None and self.alarm_template_source.suffix.lower() == ".json"
            alarms_path = Path(f"{stem}.alarms.{'json' if is_json else 'yaml'}")
            text = (
                json.dumps(self.alarm_template, indent=2) + "\n"
                if is_json
                else yaml.safe_dump(self.alarm_template, sort_keys=False, allow_unicode=True, width=120)
            )
            alarms_path.write_text(text, encoding="utf-8")
            written["alarm_template"] = alarms_path
        return written


# --------------------------------------------------------------------------- what is not native


def not_native(policy: Policy) -> list[NotNative]:
    """Route by route, what an alarm action cannot do of what the policy does."""
    items: list[NotNative] = []
    plans = policy.plans
    for route in policy.routes:
        if route.ignore or route.plan is None:
            continue
        plan = plans[route.plan]
        if route.title is not None:
            items.append(
                NotNative(
                    route.name,
                    plan.name,
                    f"title template {route.title.source!r}",
                    f"incidents get the plan's title {plan.title!r}",
                    f"{CUSTOM_CALLER}, or a response plan per title",
                )
            )
        if route.impact is not None and route.impact != plan.impact:
            items.append(
                NotNative(
                    route.name,
                    plan.name,
                    f"impact {route.impact} (the plan's is {plan.impact})",
                    f"incidents get impact {plan.impact}",
                    f"a response plan with impact {route.impact} for this route's alarms "
                    f"(e.g. {plan.name}-impact-{route.impact})",
                )
            )
        for i, rule in enumerate(route.impact_rules):
            when = ", ".join(f"{f}={json.dumps(p.to_data())}" for f, p in rule.when.items())
            items.append(
                NotNative(
                    route.name,
                    plan.name,
                    f"impact rule {i + 1}: impact {rule.impact} when {when}",
                    f"those incidents get impact {route.impact or plan.impact}",
                    f"a response plan with impact {rule.impact} for the alarms the rule matches",
                )
            )
    if policy.unmatched != "ignore":
        items.append(
            NotNative(
                "(unmatched)",
                policy.unmatched,
                f"alarms no route matches go to {policy.unmatched}",
                "only the alarms known at export get the action",
                "add the action to every new alarm",
            )
        )
    token = policy.client_token
    if token.strategy in ("per_alarm_window", "template"):
        if token.strategy == "per_alarm_window":
            detail = f"window {format_duration(token.window)}" if token.window else ""
        else:
            detail = f"template {token.template.source!r}" if token.template else ""
        items.append(
            NotNative(
                "(every route)",
                "*",
                f"clientToken strategy {token.strategy} ({detail})",
                "each state change into ALARM is its own StartIncident request",
                CUSTOM_CALLER,
            )
        )
    resolve = policy.resolve
    if resolve.strategy != "never":
        when = (
            f"{format_duration(resolve.delay)} after every alarm that fed it is OK"
            if resolve.strategy == "on_ok"
            else f"{format_duration(resolve.after) if resolve.after else '?'} after it opens"
        )
        items.append(
            NotNative(
                "(every route)",
                "*",
                f"resolve strategy {resolve.strategy} (an incident is resolved {when})",
                "Incident Manager never resolves an incident by itself: a responder does",
                "a responder's practice, or an automation that calls UpdateIncidentRecord (status RESOLVED)",
            )
        )
    return items


# --------------------------------------------------------------------------- CloudFormation


def logical_id(name: str, prefix: str, taken: set[str]) -> str:
    """A CloudFormation logical ID from a name: ``checkout-critical`` -> ``ResponsePlanCheckoutCritical``."""
    base = prefix + "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part)
    base = base[:240]
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}{n}", n + 1
    taken.add(candidate)
    return candidate


def cfn_shape(value: Any, key: str = "") -> Any:
    """``get-response-plan`` JSON (``actions``, ``integrations``) in CloudFormation's spelling.

    Keys are capitalised; the ``parameters`` and ``dynamicParameters`` maps of a runbook become
    CloudFormation's lists of ``Key``/``Values`` and ``Key``/``Value`` items.

    >>> cfn_shape([{"ssmAutomation": {"documentName": "Runbook", "parameters": {"env": ["prod"]}}}])
    [{'SsmAutomation': {'DocumentName': 'Runbook', 'Parameters': [{'Key': 'env', 'Values': ['prod']}]}}]
    """
    if key == "parameters" and isinstance(value, dict):
        return [{"Key": k, "Values": v} for k, v in value.items()]
    if key == "dynamicParameters" and isinstance(value, dict):
        return [{"Key": k, "Value": cfn_shape(v)} for k, v in value.items()]
    if isinstance(value, dict):
        return {k[:1].upper() + k[1:]: cfn_shape(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [cfn_shape(v) for v in value]
    return value


def _plan_resource(plan: ResponsePlan, live: PlanWiring | None) -> dict[str, Any]:
    template: dict[str, Any] = {"Title": plan.title, "Impact": plan.impact}
    if plan.summary:
        template["Summary"] = plan.summary
    if plan.dedupe_string:
        template["DedupeString"] = plan.dedupe_string
    if plan.tags:
        template["IncidentTags"] = [{"Key": k, "Value": v} for k, v in plan.tags.items()]
    if live is not None and live.notification_targets:
        template["NotificationTargets"] = [{"SnsTopicArn": arn} for arn in live.notification_targets]
    properties: dict[str, Any] = {"Name": plan.name}
    if plan.display_name:
        properties["DisplayName"] = plan.display_name
    properties["IncidentTemplate"] = template
    if live is not None:
        if live.engagements:
            properties["Engagements"] = list(live.engagements)
        if live.chat_sns:
            properties["ChatChannel"] = {"ChatbotSns": list(live.chat_sns)}
        if live.actions:
            properties["Actions"] = cfn_shape(json.loads(live.actions))
        if live.integrations:
            properties["Integrations"] = cfn_shape(json.loads(live.integrations))
    return {"Type": "AWS::SSMIncidents::ResponsePlan", "Properties": properties}


def _other_parts(plan: PlanWiring) -> tuple[Any, ...]:
    return (plan.notification_targets, plan.engagements, plan.chat_sns, plan.actions, plan.integrations)


def _live_plans(policy: Policy, wiring: Wiring | None) -> tuple[dict[str, PlanWiring], list[str]]:
    """The described live plan of each policy plan (by name, or ``<name>-<account>`` as the import names a clash),
    and notes."""
    described = [p for p in (wiring.plans if wiring is not None else []) if p.described]
    by_name: dict[str, list[PlanWiring]] = {}
    for live in described:
        by_name.setdefault(live.name, []).append(live)
        by_name.setdefault(f"{live.name}-{live.account_id}", []).append(live)
    found: dict[str, PlanWiring] = {}
    missing: list[str] = []
    notes: list[str] = []
    for plan in policy.response_plans:
        candidates = by_name.get(plan.name, [])
        if not candidates:
            missing.append(plan.name)
            continue
        found[plan.name] = candidates[0]
        for action in json.loads(candidates[0].actions or "[]"):
            role = (action.get("ssmAutomation") or {}).get("roleArn")
            if isinstance(role, str) and not CFN_ROLE_ARN.match(role):
                notes.append(
                    f"plan {plan.name}: its runbook's role {role} is kept, but CloudFormation's schema for RoleArn "
                    "allows no '.' after the account, so cfn-lint flags it and a deployment may refuse it; give the "
                    "runbook a role without one"
                )
        differing = sorted({c.account_id for c in candidates if _other_parts(c) != _other_parts(candidates[0])})
        if differing:
            notes.append(
                f"plan {plan.name}: the template carries the engagements, chat channel, runbook and integrations of "
                f"account {candidates[0].account_id}'s plan; account(s) {', '.join(differing)} have others"
            )
    if missing:
        what = "notification targets, engagements, chat channel, runbook (Actions) or integrations"
        notes.append(
            f"no get-response-plan output was given for {', '.join(missing)}: the template gives "
            f"{'it' if len(missing) == 1 else 'them'} no {what}; deployed over a live plan of that name it would "
            "remove them (give the plans' get-response-plan output with --alarms to carry them)"
        )
    return found, notes


def _cloudformation(
    policy: Policy,
    not_native_items: Sequence[NotNative],
    changes: Sequence[AlarmChange],
    live_plans: dict[str, PlanWiring],
) -> dict[str, Any]:
    taken: set[str] = set()
    resources: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    for plan in policy.response_plans:
        key = logical_id(plan.name, "ResponsePlan", taken)
        resources[key] = _plan_resource(plan, live_plans.get(plan.name))
        outputs[f"{key}Arn"] = {"Description": f"The ARN of the response plan {plan.name}", "Value": {"Ref": key}}
    description = f"Incident Manager response plans of the incidentsim policy '{policy.name}'"
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": description[:1024],
        "Metadata": {
            "incidentsim": {
                "policy": policy.name,
                "not_native": [asdict(item) for item in not_native_items],
                "alarm_changes": len(changes),
            }
        },
        "Resources": resources,
        "Outputs": outputs,
    }


def _hcl(value: str) -> str:
    return json.dumps(value).replace("${", "$${").replace("%{", "%%{")


def _terraform(policy: Policy, live_plans: dict[str, PlanWiring]) -> str:
    blocks = []
    taken: set[str] = set()
    for plan in policy.response_plans:
        live = live_plans.get(plan.name)
        label = (
            logical_id(plan.name, "", taken).lower()
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", plan.name)
            else plan.name
        )
        lines = [f'resource "aws_ssmincidents_response_plan" "{label}" {{', f"  name = {_hcl(plan.name)}"]
        if plan.display_name:
            lines.append(f"  display_name = {_hcl(plan.display_name)}")
        if live is not None and live.engagements:
            lines.append(f"  engagements = [{', '.join(_hcl(arn) for arn in live.engagements)}]")
        if live is not None and live.chat_sns:
            lines.append(f"  chat_channel = [{', '.join(_hcl(arn) for arn in live.chat_sns)}]")
        if live is not None and (live.actions or live.integrations):
            lines.append(
                "  # its runbook (action) and integrations are not written here: "
                "copy them from the CloudFormation export"
            )
        lines += ["", "  incident_template {", f"    title  = {_hcl(plan.title)}", f"    impact = {plan.impact}"]
        if plan.summary:
            lines.append(f"    summary = {_hcl(plan.summary)}")
        if plan.dedupe_string:
            lines.append(f"    dedupe_string = {_hcl(plan.dedupe_string)}")
        if plan.tags:
            lines.append("    incident_tags = {")
            lines += [f"      {_hcl(k)} = {_hcl(v)}" for k, v in plan.tags.items()]
            lines.append("    }")
        for arn in live.notification_targets if live is not None else ():
            lines += ["    notification_target {", f"      sns_topic_arn = {_hcl(arn)}", "    }"]
        lines += ["  }", "}"]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


# --------------------------------------------------------------------------- alarms and their actions


def plan_action(account_id: str, plan: str, partition: str = "aws") -> str:
    """The alarm action that starts an incident with ``plan`` (CloudWatch's spelling, no Region).

    >>> plan_action("111122223333", "checkout")
    'arn:aws:ssm-incidents::111122223333:responseplan/checkout'
    """
    return f"arn:{partition}:ssm-incidents::{account_id}:responseplan/{plan}"


def _known_alarms(alarms: Wiring | Iterable[AlarmWiring] | pd.DataFrame | None) -> list[AlarmWiring | dict[str, str]]:
    """Alarms from describe-alarms (current actions known) or an AlarmFrame (one per ARN, actions unknown)."""
    if alarms is None:
        return []
    if isinstance(alarms, pd.DataFrame):
        columns = [
            c
            for c in ("alarm_arn", "alarm_name", "account_id", "region", "namespace", "metric_name")
            if c in alarms.columns
        ]
        distinct = alarms[columns].astype(str).drop_duplicates("alarm_arn")
        return [dict(row) for row in distinct.to_dict("records")]
    items = alarms.alarms if isinstance(alarms, Wiring) else list(alarms)
    seen: dict[str, AlarmWiring] = {}
    for alarm in items:
        seen.setdefault(alarm.arn, alarm)
    return list(seen.values())


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags read as their long form (``!Ref x`` -> ``{"Ref": "x"}``)."""


def _short_form(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        return {"Fn::GetAtt": value.split(".", 1)}
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _short_form)


def read_template(path: str | Path) -> dict[str, Any]:
    """A CloudFormation template (JSON or YAML, short-form tags allowed) as plain data."""
    source = Path(path)
    if not source.is_file():
        raise ConfigError(f"{source}: no such template file")
    text = source.read_text(encoding="utf-8-sig")
    try:
        data = json.loads(text) if source.suffix.lower() == ".json" else yaml.load(text, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader
    except (ValueError, yaml.YAMLError) as error:
        raise ConfigError(f"{source}: not a readable template ({str(error).splitlines()[0]})") from None
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        raise ConfigError(f"{source}: not a CloudFormation template (no Resources mapping)")
    return data


def export_policy(
    policy: Policy,
    *,
    alarms: Wiring | Iterable[AlarmWiring] | pd.DataFrame | str | Path | Sequence[str | Path] | None = None,
    alarm_template: str | Path | None = None,
    format: str = "cloudformation",
) -> Export:
    """The policy as a CloudFormation (or Terraform) template, its alarm-action changes and what is not native.

    Parameters
    ----------
    policy : Policy
    alarms : Wiring, AlarmWiring list, AlarmFrame or AWS CLI output files, optional
        The alarms the change list covers: ``describe-alarms`` output (their current actions are
        known, so only real changes are listed) or a history (every routed alarm is listed).
        ``get-response-plan`` output among the files (or in the Wiring) gives each plan of that
        name its notification targets, engagements, chat channel, runbook and integrations.
    alarm_template : path, optional
        The user's own CloudFormation template defining alarms (JSON or YAML): its
        ``AWS::CloudWatch::Alarm`` resources whose ``AlarmName`` names a known alarm get the new
        ``AlarmActions`` in a copy (:attr:`Export.alarm_template`); other alarms go to the change list.
    format : {"cloudformation", "terraform"}

    Returns
    -------
    Export

    Examples
    --------
    >>> policy = Policy.from_dict({"response_plans": [{"name": "web", "title": "Web down", "impact": 2}],
    ...     "routes": [{"name": "web", "match": {"alarm_name": "web-*"}, "plan": "web", "title": "{{ alarm_name }}"}]})
    >>> exported = export_policy(policy)
    >>> exported.template["Resources"]["ResponsePlanWeb"]["Properties"]["IncidentTemplate"]
    {'Title': 'Web down', 'Impact': 2}
    >>> for item in exported.not_native:
    ...     print(item.what)
    title template '{{ alarm_name }}'
    resolve strategy on_ok (an incident is resolved 0s after every alarm that fed it is OK)
    """
    if format not in FORMATS:
        raise ValueError(
            f"The 'format' parameter of export_policy must be one of {set(FORMATS)}. Got {format!r} instead."
        )
    if isinstance(alarms, (str, Path)) or (
        isinstance(alarms, Sequence) and alarms and isinstance(alarms[0], (str, Path))
    ):
        alarms = read_wiring(alarms)
    known = _known_alarms(alarms)
    live_plans, notes = _live_plans(policy, alarms if isinstance(alarms, Wiring) else None)
    user_template = read_template(alarm_template) if alarm_template is not None else None
    in_template: dict[str, list[str]] = {}
    if user_template is not None:
        for key, resource in user_template["Resources"].items():
            if isinstance(resource, dict) and resource.get("Type") == "AWS::CloudWatch::Alarm":
                properties = resource.get("Properties")
                name = properties.get("AlarmName") if isinstance(properties, dict) else None
                if not isinstance(properties, dict) or not isinstance(name, str):
                    notes.append(
                        f"{alarm_template}: the alarm {key} has no literal AlarmName, "
                        "so no known alarm is matched to it"
                    )
                elif not isinstance(properties.get("AlarmActions", []), list):
                    notes.append(
                        f"{alarm_template}: the alarm {key}'s AlarmActions is not a list, "
                        "so its change goes to the change list"
                    )
                else:
                    in_template.setdefault(name, []).append(key)
    changes: list[AlarmChange] = []
    template_actions: dict[str, tuple[str, ...]] = {}  # logical ID -> the plan actions its alarm needs
    for alarm in known:
        facts = alarm.facts() if isinstance(alarm, AlarmWiring) else alarm
        current = alarm.alarm_actions if isinstance(alarm, AlarmWiring) else None
        route = policy.route_for(facts)
        plan = (route.plan or "") if route is not None else ("" if policy.unmatched == "ignore" else policy.unmatched)
        route_name = route.name if route is not None else "(unmatched)"
        keep = [a for a in (current or ()) if not is_incident_manager_arn(a)]
        wanted = [plan_action(facts["account_id"], plan)] if plan else []
        new = tuple(keep + wanted)
        add = tuple(a for a in wanted if a not in (current or ()))
        remove = tuple(a for a in (current or ()) if is_incident_manager_arn(a) and a not in wanted)
        if current is not None and not add and not remove:
            continue
        if current is None and not plan:
            continue  # a history's alarm that the policy ignores: nothing known to remove
        keys = in_template.get(facts["alarm_name"], [])
        note = ""
        if isinstance(alarm, AlarmWiring) and not alarm.actions_enabled and plan:
            note = "ActionsEnabled is false: enable actions for the plan to be called"
        if len(keys) == 1:
            where = f"template {keys[0]}"
            previous = template_actions.setdefault(keys[0], tuple(wanted))
            if [p.rsplit("/", 1)[1] for p in previous] != [p.rsplit("/", 1)[1] for p in wanted]:
                note = (
                    note + "; " if note else ""
                ) + "alarms of this name elsewhere need other actions: see the change list"
                where = "change list"
        else:
            where = "change list"
        changes.append(
            AlarmChange(
                facts["alarm_name"],
                facts["alarm_arn"],
                facts["account_id"],
                facts["region"],
                route_name,
                plan,
                current,
                new,
                add,
                remove,
                where,
                note,
            )
        )
    changed_template = None
    if user_template is not None:
        changed_template = copy.deepcopy(user_template)
        for key, actions in template_actions.items():
            properties = changed_template["Resources"][key].setdefault("Properties", {})
            others = [
                a for a in properties.get("AlarmActions", []) if not (isinstance(a, str) and is_incident_manager_arn(a))
            ]
            plans = [
                {
                    "Fn::Sub": "arn:${AWS::Partition}:ssm-incidents::${AWS::AccountId}:responseplan/"
                    f"{a.rsplit('/', 1)[1]}"
                }
                for a in actions
                if is_incident_manager_arn(a)
            ]
            properties["AlarmActions"] = others + plans
    if not known:
        notes.append("no alarms were given (describe-alarms output or a history), so no alarm-action change is listed")
    items = not_native(policy)
    template = _cloudformation(policy, items, changes, live_plans)
    return Export(
        policy,
        format,
        template,
        changes,
        items,
        changed_template,
        Path(alarm_template) if alarm_template is not None else None,
        notes,
        live_plans,
        alarms_given=bool(known),
    )
