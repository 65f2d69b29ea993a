"""The live wiring of Incident Manager, read from AWS CLI outputs or read-only boto3 calls.

:func:`read_wiring` reads any mix of these outputs (one JSON document per file, several
concatenated as a shell loop writes them, or a JSON array of them), recognising each
document by its shape:

==============================================  ===========================================
AWS CLI command                                 what is kept
==============================================  ===========================================
``aws cloudwatch describe-alarms``              every metric and composite alarm: its ARN,
                                                actions, ``ActionsEnabled``, suppressor
``aws ssm-incidents get-response-plan``         a plan's ``incidentTemplate`` and names
``aws ssm-incidents list-response-plans``       the plans that exist (names only)
``aws events list-rules`` / ``describe-rule``   each rule's event pattern and state
``aws events list-targets-by-rule``             a rule's targets; the rule is named by a
                                                ``"Rule"`` key beside ``"Targets"`` (as
                                                :func:`fetch_wiring` writes them) or by the
                                                file's name (``list-targets-by-rule_<rule>.json``)
==============================================  ===========================================

:func:`fetch_wiring` makes the same calls through boto3 (``describe_alarms``,
``list_response_plans``, ``get_response_plan``, ``list_rules``, ``list_targets_by_rule``:
all read-only) and :meth:`Wiring.write` keeps what it read as CLI-shaped files that
:func:`read_wiring` reads back.

Anything that is not one of these outputs, or a field of the wrong type, raises
:class:`ConfigError` naming the file, the document and the path of the problem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from ..datasets.schema import parse_alarm_arn
from ..policy import ResponsePlan

#: ``arn:aws:ssm-incidents::<account>:responseplan/<name>`` (CloudWatch's spelling) or ``response-plan/`` (the API's).
PLAN_ARN = re.compile(
    r"^arn:(?P<partition>aws|aws-cn|aws-us-gov):ssm-incidents:(?P<region>[a-z0-9-]*):(?P<account>\d{12}):"
    r"(?:responseplan|response-plan)/(?P<name>[A-Za-z0-9_-]{1,200})$"
)
_RULE_ARN = re.compile(
    r"^arn:[a-z-]+:events:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):rule/(?:(?P<bus>[^/]+)/)?(?P<name>[^/]+)$"
)
KINDS = (
    "describe-alarms",
    "get-response-plan",
    "list-response-plans",
    "list-rules",
    "describe-rule",
    "list-targets-by-rule",
)


class ConfigError(ValueError):
    """An input that cannot be read; the message names the file (or call), the place and the problem."""


def parse_plan_arn(arn: str) -> tuple[str, str] | None:
    """(account_id, plan name) of a response-plan ARN in either spelling, else None.

    >>> parse_plan_arn("arn:aws:ssm-incidents::111122223333:responseplan/checkout")
    ('111122223333', 'checkout')
    >>> parse_plan_arn("arn:aws:sns:us-east-1:111122223333:topic") is None
    True
    """
    match = PLAN_ARN.match(arn or "")
    return (match["account"], match["name"]) if match else None


def is_incident_manager_arn(arn: str) -> bool:
    """True for any ``ssm-incidents`` ARN, well formed or not (a malformed one is reported, not dropped)."""
    return str(arn).startswith("arn:") and ":ssm-incidents:" in str(arn)


@dataclass(frozen=True)
class AlarmWiring:
    """One CloudWatch alarm as ``describe-alarms`` gives it (only what routing needs)."""

    name: str
    arn: str
    account_id: str
    region: str
    kind: str  # "metric" or "composite"
    alarm_actions: tuple[str, ...] = ()
    ok_actions: tuple[str, ...] = ()
    insufficient_data_actions: tuple[str, ...] = ()
    actions_enabled: bool = True
    suppressor: str = ""
    suppressor_wait_s: int | None = None
    suppressor_extension_s: int | None = None
    namespace: str = ""
    metric_name: str = ""
    origin: str = ""

    def facts(self) -> dict[str, str]:
        """The fields a policy route matches on."""
        return {
            "alarm_name": self.name,
            "alarm_arn": self.arn,
            "account_id": self.account_id,
            "region": self.region,
            "namespace": self.namespace,
            "metric_name": self.metric_name,
        }


@dataclass(frozen=True)
class PlanWiring:
    """One response plan: described (``get-response-plan``) or only known to exist (``list-response-plans``).

    Besides its incident template, a described plan keeps what a policy does not hold but a
    CloudFormation export must carry: ``engagements`` (contact and escalation-plan ARNs),
    ``chat_sns`` (its chat channel's SNS topics), ``actions`` and ``integrations`` (the
    ``get-response-plan`` JSON of its runbook and its PagerDuty integration, as text).
    """

    name: str
    arn: str
    account_id: str
    title: str | None = None
    impact: int | None = None
    summary: str | None = None
    dedupe_string: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    display_name: str | None = None
    notification_targets: tuple[str, ...] = ()
    engagements: tuple[str, ...] = ()
    chat_sns: tuple[str, ...] = ()
    actions: str = ""
    integrations: str = ""
    origin: str = ""

    @property
    def described(self) -> bool:
        return self.title is not None and self.impact is not None

    def response_plan(self, name: str | None = None) -> ResponsePlan:
        """The described plan as a policy's :class:`~incidentsim.policy.ResponsePlan` (named ``name``, else its own
        name)."""
        assert self.title is not None and self.impact is not None, f"plan {self.name} was not described"
        return ResponsePlan(
            name=name or self.name,
            title=self.title,
            impact=self.impact,
            summary=self.summary,
            dedupe_string=self.dedupe_string,
            tags=dict(self.tags),
            display_name=self.display_name,
        )

    def response_parts(self) -> list[str]:
        """What the plan does beyond its incident's title, impact, summary, dedupe string and tags, in words."""
        parts = [
            ("notification targets", self.notification_targets),
            ("engagements", self.engagements),
            ("a chat channel", self.chat_sns),
            ("a runbook", self.actions),
            ("integrations", self.integrations),
        ]
        return [name for name, value in parts if value]


@dataclass(frozen=True)
class RuleWiring:
    """One EventBridge rule: its pattern, state and (once known) target ARNs."""

    name: str
    arn: str
    account_id: str
    region: str
    event_pattern: str | None = None
    schedule: str | None = None
    state: str = "ENABLED"
    event_bus: str = "default"
    targets: tuple[str, ...] | None = None  # None: no list-targets-by-rule output read for it
    origin: str = ""


@dataclass
class Wiring:
    """Everything read: alarms, plans and rules, and what each input held."""

    alarms: list[AlarmWiring] = field(default_factory=list)
    plans: list[PlanWiring] = field(default_factory=list)
    rules: list[RuleWiring] = field(default_factory=list)
    #: (file or call, kind of output, items in it)
    sources: list[tuple[str, str, int]] = field(default_factory=list)
    #: targets read for rules not (yet) seen: rule name -> (target ARNs, origin)
    pending_targets: dict[str, tuple[tuple[str, ...], str]] = field(default_factory=dict)

    def merge(self, other: Wiring) -> Wiring:
        merged = Wiring(
            self.alarms + other.alarms,
            self.plans + other.plans,
            self.rules + other.rules,
            self.sources + other.sources,
            {**self.pending_targets, **other.pending_targets},
        )
        merged.attach_targets()
        return merged

    def attach_targets(self) -> None:
        """Give each rule the targets read for it (by name)."""
        for i, rule in enumerate(self.rules):
            if rule.name in self.pending_targets and rule.targets is None:
                self.rules[i] = replace(rule, targets=self.pending_targets.pop(rule.name)[0])

    def summary(self) -> str:
        """One line per input: what it was and how many items it held."""
        return "\n".join(
            f"  {where}: {kind}, {count:,} item{'s' if count != 1 else ''}" for where, kind, count in self.sources
        )

    def write(self, folder: str | Path) -> dict[str, Path]:
        """Keep the wiring as the AWS CLI would print it, one file per output, for :func:`read_wiring`."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        written: dict[str, Path] = {}

        def dump(name: str, body: Any) -> None:
            path = out / name
            path.write_text(json.dumps(body, indent=2, default=str) + "\n", encoding="utf-8", newline="\n")
            written[name] = path

        by_place: dict[tuple[str, str], list[AlarmWiring]] = {}
        for alarm in self.alarms:
            by_place.setdefault((alarm.account_id, alarm.region), []).append(alarm)
        for (account, region), alarms in sorted(by_place.items()):
            dump(f"describe-alarms_{account}_{region}.json", describe_alarms_output(alarms))
        by_account: dict[str, list[PlanWiring]] = {}
        for plan in self.plans:
            by_account.setdefault(plan.account_id, []).append(plan)
        for account, plans in sorted(by_account.items()):
            dump(f"get-response-plan_{account}.json", [get_response_plan_output(p) for p in plans])
        if self.rules:
            dump("list-rules.json", {"Rules": [_rule_output(r) for r in self.rules]})
            targets = [
                {"Rule": r.name, "Targets": [{"Id": str(i + 1), "Arn": arn} for i, arn in enumerate(r.targets or ())]}
                for r in self.rules
                if r.targets is not None
            ]
            if targets:
                dump("list-targets-by-rule.json", targets)
        return written


# --------------------------------------------------------------------------- CLI-shaped output


def describe_alarms_output(alarms: Iterable[AlarmWiring]) -> dict[str, Any]:
    """``describe-alarms`` output for these alarms (the fields routing reads)."""
    metric, composite = [], []
    for alarm in alarms:
        body: dict[str, Any] = {
            "AlarmName": alarm.name,
            "AlarmArn": alarm.arn,
            "ActionsEnabled": alarm.actions_enabled,
            "OKActions": list(alarm.ok_actions),
            "AlarmActions": list(alarm.alarm_actions),
            "InsufficientDataActions": list(alarm.insufficient_data_actions),
        }
        if alarm.kind == "composite":
            if alarm.suppressor:
                body.update(
                    ActionsSuppressor=alarm.suppressor,
                    ActionsSuppressorWaitPeriod=alarm.suppressor_wait_s,
                    ActionsSuppressorExtensionPeriod=alarm.suppressor_extension_s,
                )
            composite.append(body)
        else:
            if alarm.namespace:
                body["Namespace"] = alarm.namespace
            if alarm.metric_name:
                body["MetricName"] = alarm.metric_name
            metric.append(body)
    return {"CompositeAlarms": composite, "MetricAlarms": metric}


def get_response_plan_output(plan: PlanWiring) -> dict[str, Any]:
    """``get-response-plan`` output for a described plan (``list-response-plans`` shape otherwise)."""
    body: dict[str, Any] = {"arn": plan.arn, "name": plan.name}
    if plan.display_name:
        body["displayName"] = plan.display_name
    if not plan.described:
        return body
    template = plan.response_plan().incident_template()
    if plan.notification_targets:
        template["notificationTargets"] = [{"snsTopicArn": arn} for arn in plan.notification_targets]
    body["incidentTemplate"] = template
    if plan.engagements:
        body["engagements"] = list(plan.engagements)
    if plan.chat_sns:
        body["chatChannel"] = {"chatbotSns": list(plan.chat_sns)}
    if plan.actions:
        body["actions"] = json.loads(plan.actions)
    if plan.integrations:
        body["integrations"] = json.loads(plan.integrations)
    return body


def _rule_output(rule: RuleWiring) -> dict[str, Any]:
    body: dict[str, Any] = {"Name": rule.name, "Arn": rule.arn, "State": rule.state, "EventBusName": rule.event_bus}
    if rule.event_pattern is not None:
        body["EventPattern"] = rule.event_pattern
    if rule.schedule is not None:
        body["ScheduleExpression"] = rule.schedule
    return body


# --------------------------------------------------------------------------- reading


class _Doc:
    """One JSON document of one input, with the place of every problem."""

    def __init__(self, where: str):
        self.where = where

    def fail(self, path: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.where} {path}: {problem}" if path else f"{self.where}: {problem}")

    def text(self, data: dict[str, Any], key: str, path: str, required: bool = True) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                raise self.fail(path, f"'{key}' is missing")
            return None
        if not isinstance(value, str):
            raise self.fail(_join(path, key), f"expected text, got {_kind(value)}")
        return value

    def texts(self, data: dict[str, Any], key: str, path: str) -> tuple[str, ...]:
        value = data.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(_join(path, key), f"expected a list of ARNs, got {_kind(value)}")
        return tuple(value)

    def mapping(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"expected an object, got {_kind(value)}")
        return value

    def items(self, data: dict[str, Any], key: str, path: str = "") -> list[dict[str, Any]]:
        value = data.get(key) or []
        where = _join(path, key)
        if not isinstance(value, list):
            raise self.fail(where, f"expected a list, got {_kind(value)}")
        return [self.mapping(item, f"{where}[{i}]") for i, item in enumerate(value)]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, (dict, list)):
        return f"a JSON {'object' if isinstance(value, dict) else 'array'}"
    return repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."


def _alarm(doc: _Doc, data: dict[str, Any], path: str, kind: str) -> AlarmWiring:
    name = doc.text(data, "AlarmName", path)
    arn = doc.text(data, "AlarmArn", path)
    assert name is not None and arn is not None
    parsed = parse_alarm_arn(arn)
    if parsed is None:
        raise doc.fail(
            _join(path, "AlarmArn"), f"{arn!r} is not an alarm ARN (arn:aws:cloudwatch:<region>:<account>:alarm:<name>)"
        )
    enabled = data.get("ActionsEnabled", True)
    if not isinstance(enabled, bool):
        raise doc.fail(_join(path, "ActionsEnabled"), f"expected true or false, got {_kind(enabled)}")
    periods = []
    for key in ("ActionsSuppressorWaitPeriod", "ActionsSuppressorExtensionPeriod"):
        value = data.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise doc.fail(_join(path, key), f"expected a number of seconds, got {_kind(value)}")
        periods.append(value)
    return AlarmWiring(
        name=name,
        arn=arn,
        account_id=parsed[0],
        region=parsed[1],
        kind=kind,
        alarm_actions=doc.texts(data, "AlarmActions", path),
        ok_actions=doc.texts(data, "OKActions", path),
        insufficient_data_actions=doc.texts(data, "InsufficientDataActions", path),
        actions_enabled=enabled,
        suppressor=doc.text(data, "ActionsSuppressor", path, required=False) or "",
        suppressor_wait_s=periods[0],
        suppressor_extension_s=periods[1],
        namespace=doc.text(data, "Namespace", path, required=False) or "",
        metric_name=doc.text(data, "MetricName", path, required=False) or "",
        origin=f"{doc.where} {path}",
    )


def _plan(doc: _Doc, data: dict[str, Any], path: str) -> PlanWiring:
    arn = doc.text(data, "arn", path)
    assert arn is not None
    parsed = parse_plan_arn(arn)
    if parsed is None:
        raise doc.fail(
            _join(path, "arn"),
            f"{arn!r} is not a response-plan ARN (arn:aws:ssm-incidents::<account>:response-plan/<name>)",
        )
    name = doc.text(data, "name", path, required=False) or parsed[1]
    display = doc.text(data, "displayName", path, required=False)
    template = data.get("incidentTemplate")
    if template is None:
        return PlanWiring(name, arn, parsed[0], display_name=display, origin=f"{doc.where} {path}")
    tpath = _join(path, "incidentTemplate")
    template = doc.mapping(template, tpath)
    title = doc.text(template, "title", tpath)
    impact = template.get("impact")
    if isinstance(impact, bool) or not isinstance(impact, int) or not 1 <= impact <= 5:
        raise doc.fail(f"{tpath}.impact", f"expected an impact from 1 to 5, got {_kind(impact)}")
    tags = template.get("incidentTags") or {}
    if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
        raise doc.fail(f"{tpath}.incidentTags", f"expected an object of tag names to text, got {_kind(tags)}")
    targets = []
    for i, target in enumerate(doc.items(template, "notificationTargets", tpath)):
        topic = doc.text(target, "snsTopicArn", f"{tpath}.notificationTargets[{i}]")
        targets.append(str(topic))
    chat = doc.mapping(data.get("chatChannel") or {}, _join(path, "chatChannel"))
    return PlanWiring(
        name=name,
        arn=arn,
        account_id=parsed[0],
        title=title,
        impact=impact,
        summary=doc.text(template, "summary", tpath, required=False) or None,
        dedupe_string=doc.text(template, "dedupeString", tpath, required=False) or None,
        tags=tuple(sorted(tags.items())),
        display_name=display,
        notification_targets=tuple(targets),
        engagements=doc.texts(data, "engagements", path),
        chat_sns=doc.texts(chat, "chatbotSns", _join(path, "chatChannel")),
        actions=_json_text(doc.items(data, "actions", path)),
        integrations=_json_text(doc.items(data, "integrations", path)),
        origin=f"{doc.where} {path}",
    )


def _json_text(items: list[dict[str, Any]]) -> str:
    return json.dumps(items, sort_keys=True) if items else ""


def _rule(doc: _Doc, data: dict[str, Any], path: str) -> RuleWiring:
    name = doc.text(data, "Name", path)
    arn = doc.text(data, "Arn", path)
    assert name is not None and arn is not None
    match = _RULE_ARN.match(arn)
    if match is None:
        raise doc.fail(
            _join(path, "Arn"),
            f"{arn!r} is not an EventBridge rule ARN (arn:aws:events:<region>:<account>:rule/<name>)",
        )
    return RuleWiring(
        name=name,
        arn=arn,
        account_id=match["account"],
        region=match["region"],
        event_pattern=doc.text(data, "EventPattern", path, required=False),
        schedule=doc.text(data, "ScheduleExpression", path, required=False),
        state=doc.text(data, "State", path, required=False) or "ENABLED",
        event_bus=doc.text(data, "EventBusName", path, required=False) or match["bus"] or "default",
        origin=f"{doc.where} {path}",
    )


def _targets(doc: _Doc, data: dict[str, Any]) -> tuple[str, ...]:
    arns = []
    for i, target in enumerate(doc.items(data, "Targets")):
        arns.append(str(doc.text(target, "Arn", f"Targets[{i}]")))
    return tuple(arns)


def _documents(text: str, label: str) -> list[tuple[str, Any]]:
    """Every JSON document in ``text`` (one, several concatenated, or an array of them) with its place."""
    decoder = json.JSONDecoder()
    documents: list[tuple[str, Any]] = []
    position = 0
    while True:
        while position < len(text) and text[position] in " \t\r\n\ufeff":
            position += 1
        if position >= len(text):
            break
        try:
            value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise ConfigError(f"{label}:{error.lineno}: not JSON ({error.msg}, column {error.colno})") from None
        line = text.count("\n", 0, position) + 1
        if isinstance(value, list):
            documents += [(f"{label}:{line} [{i}]", item) for i, item in enumerate(value)]
        else:
            documents.append((f"{label}:{line}" if position else label, value))
        position = end
    return documents


def read_document(data: Any, where: str, wiring: Wiring, file_name: str = "") -> None:
    """Add one CLI output (already decoded) to ``wiring``; ``where`` names it in errors."""
    doc = _Doc(where)
    if not isinstance(data, dict):
        raise doc.fail("", f"expected the JSON object an AWS CLI command prints, got {_kind(data)}")
    if "MetricAlarms" in data or "CompositeAlarms" in data:
        found = [
            _alarm(doc, item, f"MetricAlarms[{i}]", "metric") for i, item in enumerate(doc.items(data, "MetricAlarms"))
        ]
        found += [
            _alarm(doc, item, f"CompositeAlarms[{i}]", "composite")
            for i, item in enumerate(doc.items(data, "CompositeAlarms"))
        ]
        wiring.alarms += found
        wiring.sources.append((where, "describe-alarms", len(found)))
    elif "responsePlanSummaries" in data:
        plans = [
            _plan(doc, item, f"responsePlanSummaries[{i}]")
            for i, item in enumerate(doc.items(data, "responsePlanSummaries"))
        ]
        wiring.plans += plans
        wiring.sources.append((where, "list-response-plans", len(plans)))
    elif "incidentTemplate" in data and "arn" in data:
        wiring.plans.append(_plan(doc, data, ""))
        wiring.sources.append((where, "get-response-plan", 1))
    elif "Rules" in data:
        rules = [_rule(doc, item, f"Rules[{i}]") for i, item in enumerate(doc.items(data, "Rules"))]
        wiring.rules += rules
        wiring.sources.append((where, "list-rules", len(rules)))
    elif "Name" in data and "Arn" in data and ("EventPattern" in data or "ScheduleExpression" in data):
        wiring.rules.append(_rule(doc, data, ""))
        wiring.sources.append((where, "describe-rule", 1))
    elif "Targets" in data:
        targets = _targets(doc, data)
        rule = data.get("Rule")
        if rule is not None and not isinstance(rule, str):
            raise doc.fail("Rule", f"expected the rule's name, got {_kind(rule)}")
        if rule is None:
            rule = _rule_from_file_name(file_name)
            if rule is None:
                raise doc.fail(
                    "",
                    'list-targets-by-rule output does not say which rule it is for: add "Rule": "<name>" '
                    'beside "Targets", or name the file list-targets-by-rule_<rule name>.json',
                )
        wiring.pending_targets[rule] = (targets, where)
        wiring.sources.append((where, f"list-targets-by-rule ({rule})", len(targets)))
    else:
        keys = ", ".join(sorted(map(str, data))[:6]) or "none"
        raise doc.fail("", f"not an output this import reads ({', '.join(KINDS)}); its keys are {keys}")


def _rule_from_file_name(file_name: str) -> str | None:
    stem = Path(file_name).name
    for suffix in (".json", ".txt"):
        stem = stem.removesuffix(suffix)
    for prefix in ("list-targets-by-rule_", "list-targets-by-rule-", "targets_", "targets-"):
        if stem.startswith(prefix) and len(stem) > len(prefix):
            return stem[len(prefix) :]
    return None


def read_wiring(paths: str | Path | Sequence[str | Path]) -> Wiring:
    """Read AWS CLI outputs (files, or folders of ``*.json`` files) into a :class:`Wiring`.

    Parameters
    ----------
    paths : path or sequence of paths
        Files holding ``describe-alarms``, ``get-response-plan``, ``list-response-plans``,
        ``list-rules``, ``describe-rule`` or ``list-targets-by-rule`` output, in any mix;
        a folder stands for the ``*.json`` files in it.

    Returns
    -------
    Wiring

    Raises
    ------
    ConfigError
        A missing file, text that is not JSON, or an output of another shape, naming the
        file, its line and the path of the problem.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "alarms.json").write_text(json.dumps({"MetricAlarms": [{
    ...     "AlarmName": "web-5xx", "AlarmArn": "arn:aws:cloudwatch:us-east-1:111122223333:alarm:web-5xx",
    ...     "AlarmActions": ["arn:aws:ssm-incidents::111122223333:responseplan/web"]}]}))
    >>> [alarm.alarm_actions for alarm in read_wiring(folder).alarms]
    [('arn:aws:ssm-incidents::111122223333:responseplan/web',)]
    """
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    files: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.glob("*.json") if p.is_file())
            if not found:
                raise ConfigError(f"{path}: a folder with no .json file in it")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise ConfigError(f"{path}: no such file or folder")
    wiring = Wiring()
    for path in files:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as error:
            raise ConfigError(f"{path}: not UTF-8 text (byte {error.start})") from None
        documents = _documents(text, str(path))
        if not documents:
            raise ConfigError(
                f"{path}: "
                + ("an empty JSON array, with no AWS CLI output in it" if text.strip(" \t\r\n\ufeff") else "empty file")
            )
        for where, data in documents:
            read_document(data, where, wiring, path.name)
    wiring.attach_targets()
    for rule, (_, where) in wiring.pending_targets.items():
        raise ConfigError(
            f"{where}: targets for the rule {rule!r}, but no list-rules or describe-rule output names that rule"
        )
    return wiring


# --------------------------------------------------------------------------- boto3


def _plain(value: Any) -> Any:
    """A boto3 answer as the CLI prints it (datetimes as text), without ResponseMetadata."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def fetch_wiring(cloudwatch: Any = None, incidents: Any = None, events: Any = None) -> Wiring:
    """Read the wiring with read-only boto3 calls; any client may be None (that part is skipped).

    Parameters
    ----------
    cloudwatch : botocore CloudWatch client, optional
        ``describe_alarms`` (metric and composite alarms).
    incidents : botocore ssm-incidents client, optional
        ``list_response_plans`` and ``get_response_plan`` for each plan.
    events : botocore EventBridge client, optional
        ``list_rules`` (default bus) and ``list_targets_by_rule`` for each rule.

    Returns
    -------
    Wiring
        Its ``sources`` name the calls; :meth:`Wiring.write` keeps it as CLI-shaped files.
    """
    wiring = Wiring()
    if cloudwatch is not None:
        where = f"describe_alarms ({cloudwatch.meta.region_name})"
        for number, page in enumerate(
            cloudwatch.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm", "CompositeAlarm"])
        ):
            read_document(
                _plain(
                    {"MetricAlarms": page.get("MetricAlarms", []), "CompositeAlarms": page.get("CompositeAlarms", [])}
                ),
                f"{where} page {number + 1}",
                wiring,
            )
    if incidents is not None:
        summaries = (
            incidents.get_paginator("list_response_plans")
            .paginate()
            .build_full_result()
            .get("responsePlanSummaries", [])
        )
        for summary in summaries:
            read_document(
                _plain(incidents.get_response_plan(arn=summary["arn"])), f"get_response_plan({summary['arn']})", wiring
            )
    if events is not None:
        where = f"list_rules ({events.meta.region_name})"
        rules = events.get_paginator("list_rules").paginate().build_full_result().get("Rules", [])
        read_document(_plain({"Rules": rules}), where, wiring)
        for rule in rules:
            targets = (
                events.get_paginator("list_targets_by_rule")
                .paginate(Rule=rule["Name"])
                .build_full_result()
                .get("Targets", [])
            )
            read_document(
                _plain({"Rule": rule["Name"], "Targets": targets}), f"list_targets_by_rule({rule['Name']})", wiring
            )
        wiring.attach_targets()
    return wiring
