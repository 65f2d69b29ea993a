"""Build a :class:`~incidentsim.policy.Policy` equal in effect to live Incident Manager wiring.

What CloudWatch and EventBridge do, and what the imported policy does about it:

* An alarm whose ``AlarmActions`` name a response plan
  (``arn:aws:ssm-incidents::<account>:responseplan/<name>``) starts an incident with that
  plan on every transition into ALARM, sending no title, impact or dedupe string of its
  own: the policy routes the alarm (by its exact ARN) to the plan, with no overrides.
* An alarm with no response-plan action, or with ``ActionsEnabled`` false, starts nothing:
  it goes to an ``ignore`` route that lists it.
* A composite alarm is routed as any alarm (composite alarms may start incidents). Its
  ``ActionsSuppressor`` acts when its state changes: a replay skips the state changes that the
  history marks as suppressed (``actionsSuppressedBy``). The service skips the actions of a change
  suppressed by ``Alarm``; for ``WaitPeriod`` and ``ExtensionPeriod`` it performs them once that
  period runs out with the composite still in ALARM, which a replay does not (each such alarm is
  a note of the report).
* An EventBridge rule whose pattern selects "CloudWatch Alarm State Change" events and whose
  target is a response plan becomes a route with the pattern's alarm names, ARNs, account and
  Region (strings, ``prefix``, ``suffix`` and ``wildcard`` matches), after the alarms' own routes.
* Alarms in a history that no ``describe-alarms`` output lists are unmatched, and ignored.
* Each alarm transition is one request (``client_token: per_event``); when a responder
  resolves is not configuration, so ``resolve`` stays the policy default (on OK) and may be
  changed freely.

What a policy cannot say is never dropped: alarms whose actions name several plans, a plan
in another account, an ``OKActions`` or ``InsufficientDataActions`` plan, a plan that exists
but was not described (``get-response-plan``), plans of one name with different templates,
rules whose pattern has no route equivalent or whose targets are unknown: each is a
:class:`Finding` of the :class:`ImportReport`, with what the policy does instead. What a plan
does beyond its incident template (notification targets, engagements, chat channel, runbook,
integrations) changes no incident a replay opens: it is a note, and
:func:`~incidentsim.awsconfig.export_policy` carries it from the same outputs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..policy import Pattern, Policy, Route
from .wiring import AlarmWiring, PlanWiring, RuleWiring, Wiring, is_incident_manager_arn, parse_plan_arn, read_wiring

ALARM_EVENT = "CloudWatch Alarm State Change"
PLACEHOLDER_IMPACT = 3
STATES = ("OK", "ALARM", "INSUFFICIENT_DATA")


def escape_glob(text: str) -> str:
    """``text`` as a glob that matches only itself.

    >>> escape_glob("web[1]*")
    'web[[]1][*]'
    """
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


@dataclass(frozen=True)
class Finding:
    """Something of the live wiring the policy cannot say as it is, and what the policy does instead."""

    kind: str  # several_plans, other_account, plan_on_ok, malformed_plan_arn, plan_not_described, plan_name_clash,
    # rule_pattern, rule_targets_unknown, rule_several_plans
    subject: str  # "alarm checkout-5xx-high (arn:...)", "rule page-on-alarms", "plan checkout"
    problem: str
    effect: str
    origin: str = ""

    def text(self) -> str:
        origin = f" [{self.origin}]" if self.origin else ""
        return f"{self.subject}: {self.problem}; {self.effect}{origin}"


@dataclass(frozen=True)
class ImportReport:
    """The accounting of an import: every alarm, rule and plan read, and the findings."""

    alarms_read: int
    alarms_routed: int
    alarms_ignored: int
    alarms_reported: int
    ignored_reasons: dict[str, int]
    rules_read: int
    rules_routed: int
    rules_ignored: int
    rules_reported: int
    plans_read: int
    plans_in_policy: int
    placeholder_plans: int
    findings: tuple[Finding, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the policy says all the wiring says (no findings)."""
        return not self.findings

    def counts(self) -> dict[str, int]:
        return {
            "alarms_read": self.alarms_read,
            "alarms_routed": self.alarms_routed,
            "alarms_ignored": self.alarms_ignored,
            "alarms_reported": self.alarms_reported,
            "rules_read": self.rules_read,
            "rules_routed": self.rules_routed,
            "rules_ignored": self.rules_ignored,
            "rules_reported": self.rules_reported,
            "plans_read": self.plans_read,
            "plans_in_policy": self.plans_in_policy,
            "placeholder_plans": self.placeholder_plans,
            "findings": len(self.findings),
        }

    def text(self) -> str:
        """The report a person reads: counts that add up, then every finding and note."""
        reasons = ", ".join(f"{reason}: {count:,}" for reason, count in self.ignored_reasons.items() if count)
        lines = [
            f"alarms: {self.alarms_read:,} read = {self.alarms_routed:,} routed + {self.alarms_ignored:,} ignored"
            + (f" ({reasons})" if reasons else "")
            + f" + {self.alarms_reported:,} reported",
            f"rules: {self.rules_read:,} read = {self.rules_routed:,} routed + {self.rules_ignored:,} ignored "
            f"(no response-plan target, or disabled) + {self.rules_reported:,} reported",
            f"response plans: {self.plans_read:,} read; {self.plans_in_policy:,} in the policy"
            + (f", {self.placeholder_plans:,} of them placeholders (not described)" if self.placeholder_plans else ""),
        ]
        if self.findings:
            lines.append(f"reported ({len(self.findings):,}): what the policy cannot say as the wiring does")
            lines += [f"  - {finding.text()}" for finding in self.findings]
        else:
            lines.append("reported: nothing; the policy says all the wiring says")
        if self.notes:
            lines.append("notes:")
            lines += [f"  - {note}" for note in self.notes]
        return "\n".join(lines)

    def to_data(self) -> dict[str, Any]:
        return {
            **self.counts(),
            "ignored_reasons": dict(self.ignored_reasons),
            "reported": [finding.__dict__ for finding in self.findings],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class ImportResult:
    """The imported policy, its report and the wiring it came from."""

    policy: Policy
    report: ImportReport
    wiring: Wiring = field(repr=False)


class _Unexpressible(Exception):
    pass


# --------------------------------------------------------------------------- EventBridge patterns


def _pattern_globs(value: Any, key: str) -> list[str]:
    if not isinstance(value, list) or not value:
        raise _Unexpressible(f"'{key}' is not a list of values")
    globs = []
    for item in value:
        if isinstance(item, str):
            globs.append(escape_glob(item))
        elif isinstance(item, dict) and len(item) == 1 and isinstance(next(iter(item.values())), str):
            operator, argument = next(iter(item.items()))
            if operator == "prefix":
                globs.append(escape_glob(argument) + "*")
            elif operator == "suffix":
                globs.append("*" + escape_glob(argument))
            elif operator == "wildcard":
                globs.append("*".join(escape_glob(part) for part in argument.split("*")))
            else:
                raise _Unexpressible(f"'{key}' uses {{{operator!r}: ...}}, which a route cannot match")
        else:
            raise _Unexpressible(f"'{key}' holds {json.dumps(item)[:60]}, which a route cannot match")
    return globs


def _states(value: Any, key: str) -> set[str]:
    if (
        not isinstance(value, dict)
        or set(value) != {"value"}
        or not isinstance(value["value"], list)
        or not all(isinstance(v, str) for v in value["value"])
    ):
        raise _Unexpressible(f"'{key}' is not {{\"value\": [states]}}")
    return set(value["value"])


def rule_match(rule: RuleWiring) -> tuple[dict[str, list[str]], list[str]]:
    """The route match of a rule's event pattern, and notes on what the route does differently.

    Raises ``_Unexpressible`` naming what has no route equivalent.
    """
    if rule.schedule is not None and rule.event_pattern is None:
        raise _Unexpressible(f"a scheduled rule ({rule.schedule}) starts incidents on a clock, not on alarms")
    if rule.event_bus != "default":
        raise _Unexpressible(f"it is on the event bus {rule.event_bus!r}; alarm events reach only the default bus")
    try:
        pattern = json.loads(rule.event_pattern or "")
    except ValueError:
        raise _Unexpressible("its EventPattern is not JSON") from None
    if not isinstance(pattern, dict):
        raise _Unexpressible("its EventPattern is not a JSON object")
    notes: list[str] = []
    unknown = sorted(set(pattern) - {"source", "detail-type", "account", "region", "resources", "detail"})
    if unknown:
        raise _Unexpressible(f"it matches on {', '.join(repr(k) for k in unknown)}, which a route cannot")
    sources = pattern.get("source")
    if sources is None:
        notes.append("it matches every source's events; only alarm state changes are replayed")
    elif not isinstance(sources, list) or "aws.cloudwatch" not in sources:
        raise _Unexpressible("it does not match CloudWatch (source aws.cloudwatch) events")
    elif len(sources) > 1:
        notes.append("it also matches other sources' events, which are not replayed")
    types = pattern.get("detail-type")
    if types is None:
        notes.append("it also matches alarm configuration changes, which start incidents too but are not replayed")
    elif not isinstance(types, list) or ALARM_EVENT not in types:
        raise _Unexpressible(f"it does not match {ALARM_EVENT!r} events")
    match: dict[str, list[str]] = {"account_id": [escape_glob(rule.account_id)], "region": [escape_glob(rule.region)]}
    for key, name in (("account", rule.account_id), ("region", rule.region)):
        if key in pattern:
            globs = _pattern_globs(pattern[key], key)
            if not any(Pattern(globs=(g,)).matches(name) for g in globs):
                raise _Unexpressible(
                    f"its '{key}' never matches the rule's own ({name}), the only one whose alarm events it sees"
                )
    if "resources" in pattern:
        match["alarm_arn"] = _pattern_globs(pattern["resources"], "resources")
    detail = pattern.get("detail", {})
    if not isinstance(detail, dict):
        raise _Unexpressible("its 'detail' is not an object")
    unknown = sorted(set(detail) - {"alarmName", "state", "previousState"})
    if unknown:
        raise _Unexpressible(f"it matches on detail {', '.join(repr(k) for k in unknown)}, which a route cannot")
    if "alarmName" in detail:
        match["alarm_name"] = _pattern_globs(detail["alarmName"], "detail.alarmName")
    states = _states(detail["state"], "detail.state") if "state" in detail else set(STATES)
    if "ALARM" not in states:
        raise _Unexpressible("it never matches a change into ALARM (its detail.state leaves ALARM out)")
    if states - {"ALARM"}:
        notes.append(
            f"it also starts incidents on changes into {', '.join(sorted(states - {'ALARM'}))}, which are not replayed"
        )
    if "previousState" in detail:
        before = _states(detail["previousState"], "detail.previousState")
        if not {"OK", "INSUFFICIENT_DATA"} <= before:
            raise _Unexpressible(
                f"it matches only changes from {', '.join(sorted(before))}; a route takes every change into ALARM"
            )
    return match, notes


# --------------------------------------------------------------------------- import


def _template_key(plan: PlanWiring) -> tuple[Any, ...]:
    return (plan.title, plan.impact, plan.summary, plan.dedupe_string, plan.tags, plan.display_name)


def _alarm_label(alarm: AlarmWiring) -> str:
    return f"alarm {alarm.name} ({alarm.arn})"


class _Importer:
    def __init__(self, wiring: Wiring):
        self.wiring = wiring
        self.findings: list[Finding] = []
        self.notes: list[str] = []
        self.reported_alarms: set[str] = set()
        self.reported_rules: set[str] = set()
        # (account, plan name) -> the policy plan name; policy plan name -> its data
        self.plan_names: dict[tuple[str, str], str] = {}
        self.policy_plans: dict[str, dict[str, Any]] = {}
        self.placeholders: set[str] = set()

    def report(self, kind: str, subject: str, problem: str, effect: str, origin: str = "") -> None:
        self.findings.append(Finding(kind, subject, problem, effect, origin))

    # ------------------------------------------------------------------ plans

    def read_plans(self) -> None:
        by_key: dict[tuple[str, str], PlanWiring] = {}
        for plan in self.wiring.plans:
            key = (plan.account_id, plan.name)
            known = by_key.get(key)
            if known is None or (plan.described and not known.described):
                by_key[key] = plan
            elif plan.described and _template_key(plan) != _template_key(known):
                self.notes.append(
                    f"plan {plan.name} in {plan.account_id} was read twice with different templates; "
                    f"the first is kept [{known.origin}; {plan.origin}]"
                )
        self.by_key = by_key
        variants: dict[str, list[PlanWiring]] = {}
        for plan in by_key.values():
            if plan.described:
                group = variants.setdefault(plan.name, [])
                if not any(_template_key(v) == _template_key(plan) for v in group):
                    group.append(plan)
        for name, group in variants.items():
            for i, plan in enumerate(group):
                policy_name = name if i == 0 else f"{name}-{plan.account_id}"
                self.policy_plans[policy_name] = plan.response_plan(policy_name).to_data()
                if i:
                    self.report(
                        "plan_name_clash",
                        f"plan {name}",
                        f"account {plan.account_id}'s template differs from "
                        f"account {group[0].account_id}'s, and a policy names each plan once",
                        f"it is the plan {policy_name!r} in the policy",
                        plan.origin,
                    )
            for plan in by_key.values():
                if plan.name == name:
                    same = next(
                        i for i, v in enumerate(group) if not plan.described or _template_key(v) == _template_key(plan)
                    )
                    self.plan_names[(plan.account_id, name)] = name if same == 0 else f"{name}-{plan.account_id}"
            accounts = sorted({p.account_id for p in by_key.values() if p.name == name and p.described})
            if len(accounts) > 1 and len(group) == 1:
                self.notes.append(
                    f"plan {name} exists in accounts {', '.join(accounts)} with the same template: one plan in the "
                    "policy (a plan's dedupe string, if any, is then shared across those accounts in a replay)"
                )
        for plan in by_key.values():
            parts = plan.response_parts()
            if parts:
                self.notes.append(
                    f"plan {plan.name} in {plan.account_id} also has {', '.join(parts)}: a policy does not hold them "
                    "(a replay needs none of them); `incidentsim policy export --alarms <these outputs>` carries them "
                    "into the template"
                )
            if (plan.account_id, plan.name) not in self.plan_names:
                self.plan_names[(plan.account_id, plan.name)] = self.placeholder(
                    plan.name, plan.account_id, plan.origin
                )
            elif not plan.described:
                self.notes.append(
                    f"plan {plan.name} in {plan.account_id} was not described; "
                    "taken to be the same as the one described"
                )

    def placeholder(self, name: str, account: str, origin: str) -> str:
        if name not in self.policy_plans:
            self.policy_plans[name] = {"name": name, "title": name, "impact": PLACEHOLDER_IMPACT}
            self.placeholders.add(name)
            self.report(
                "plan_not_described",
                f"plan {name}",
                f"no get-response-plan output for it (account {account}), so its "
                "title, impact and dedupe string are unknown",
                f"a placeholder plan (title {name!r}, impact {PLACEHOLDER_IMPACT}) stands in; read "
                f"`aws ssm-incidents get-response-plan --arn arn:aws:ssm-incidents::{account}:response-plan/{name}` "
                "too",
                origin,
            )
        return name

    def plan_for(self, account: str, name: str, origin: str) -> str:
        key = (account, name)
        if key not in self.plan_names:
            self.plan_names[key] = self.placeholder(name, account, origin)
        return self.plan_names[key]

    # ------------------------------------------------------------------ rules

    def read_rules(self) -> list[tuple[RuleWiring, dict[str, list[str]], str]]:
        """Rules that become routes: (rule, match, policy plan name)."""
        routes = []
        self.rule_counts = {"routed": 0, "ignored": 0, "reported": 0}
        for rule in self.wiring.rules:
            subject = f"rule {rule.name} ({rule.arn})"
            if rule.targets is None:
                self.report(
                    "rule_targets_unknown",
                    subject,
                    "no list-targets-by-rule output was read for it, so whether it starts incidents is unknown",
                    "not routed; read its targets too",
                    rule.origin,
                )
                self.rule_counts["reported"] += 1
                continue
            plans = [parse_plan_arn(arn) for arn in rule.targets if is_incident_manager_arn(arn)]
            bad = [arn for arn in rule.targets if is_incident_manager_arn(arn) and parse_plan_arn(arn) is None]
            known = [p for p in plans if p is not None]
            if bad:
                self.report(
                    "malformed_plan_arn",
                    subject,
                    f"target {bad[0]!r} is not a response-plan ARN",
                    "that target is not routed",
                    rule.origin,
                )
            if not known:
                self.rule_counts["reported" if bad else "ignored"] += 1
                continue
            if rule.state != "ENABLED":
                self.notes.append(
                    f"{subject} targets a response plan but is {rule.state}: it starts nothing and is not routed"
                )
                self.rule_counts["ignored"] += 1
                continue
            try:
                match, notes = rule_match(rule)
            except _Unexpressible as why:
                self.report(
                    "rule_pattern", subject, f"its event pattern cannot be a route: {why}", "not routed", rule.origin
                )
                self.rule_counts["reported"] += 1
                continue
            account, name = known[0]
            plan = self.plan_for(account, name, rule.origin)
            reported = bool(bad)
            if len(known) > 1:
                others = ", ".join(n for _, n in known[1:])
                self.report(
                    "rule_several_plans",
                    subject,
                    f"it targets {len(known)} response plans; a route sends to one",
                    f"routed to {plan}; the incidents of {others} are not replayed",
                    rule.origin,
                )
                reported = True
            if account != rule.account_id:
                self.report(
                    "other_account",
                    subject,
                    f"its target plan {name} is in account {account}, not the rule's {rule.account_id}",
                    f"routed to {plan} as if it were in the rule's account",
                    rule.origin,
                )
                reported = True
            self.notes += [f"{subject}: {note}" for note in notes]
            self.notes.append(f"{subject}: replayed with each alarm as the trigger (triggerArn the alarm's ARN)")
            self.rule_counts["reported" if reported else "routed"] += 1
            if reported:
                self.reported_rules.add(rule.arn)
            routes.append((rule, match, plan))
        return routes

    # ------------------------------------------------------------------ alarms

    def build(self, name: str) -> tuple[Policy, ImportReport]:
        self.read_plans()
        rule_routes = self.read_rules()
        rule_objects = [
            (rule, Route(name=rule.name, match={f: Pattern(globs=tuple(g)) for f, g in match.items()}, plan=plan), plan)
            for rule, match, plan in rule_routes
        ]
        alarms: dict[str, AlarmWiring] = {}
        for alarm in self.wiring.alarms:
            if alarm.arn in alarms:
                if alarm != alarms[alarm.arn]:
                    self.notes.append(
                        f"{_alarm_label(alarm)} was read twice, differently; the first is kept "
                        f"[{alarms[alarm.arn].origin}; {alarm.origin}]"
                    )
                continue
            alarms[alarm.arn] = alarm
        by_plan: dict[str, list[str]] = {}
        ignored: dict[str, list[str]] = {"no response-plan action": [], "actions disabled": []}
        counts = {"routed": 0, "ignored": 0, "reported": 0}
        reasons = dict.fromkeys(ignored, 0)
        for alarm in alarms.values():
            plan, reason, was_reported = self.route_alarm(alarm, rule_objects)
            if plan is not None:
                by_plan.setdefault(plan, []).append(alarm.arn)
            elif reason is not None:
                ignored[reason].append(alarm.arn)
            if was_reported:  # each alarm is counted once: reported, else ignored, else routed
                counts["reported"] += 1
            elif reason is not None:
                counts["ignored"] += 1
                reasons[reason] += 1
            else:
                counts["routed"] += 1
        if not self.policy_plans:
            raise ValueError(
                f"nothing to import: none of the {len(alarms):,} alarms and {len(self.wiring.rules):,} rules read "
                "names a response plan, and no response plan was read (a policy needs at least one); read "
                "get-response-plan output too"
            )
        routes: list[dict[str, Any]] = []
        for plan_name, arns in by_plan.items():
            routes.append(
                {
                    "name": f"plan-{plan_name}",
                    "match": {"alarm_arn": [escape_glob(a) for a in sorted(arns)]},
                    "plan": plan_name,
                }
            )
        taken = {r["name"] for r in routes}
        for rule, match, plan in rule_routes:
            route_name = f"rule-{rule.name}"
            if route_name in taken:
                route_name = f"rule-{rule.name}-{rule.account_id}-{rule.region}"
            taken.add(route_name)
            routes.append({"name": route_name, "match": match, "plan": plan})
        for reason, arns in ignored.items():
            if arns:
                routes.append(
                    {
                        "name": reason.replace(" ", "-"),
                        "match": {"alarm_arn": [escape_glob(a) for a in sorted(arns)]},
                        "ignore": True,
                    }
                )
        data = {
            "name": name,
            "response_plans": list(self.policy_plans.values()),
            "routes": routes,
            "unmatched": "ignore",
            "client_token": {"strategy": "per_event"},
            "resolve": {"strategy": "on_ok", "delay": "0s"},
        }
        policy = Policy.from_dict(data, source=name)
        if alarms:
            self.notes.append(
                "alarms that no describe-alarms output lists (deleted, or in other Regions) are unmatched and ignored"
            )
        report = ImportReport(
            alarms_read=len(alarms),
            alarms_routed=counts["routed"],
            alarms_ignored=counts["ignored"],
            alarms_reported=counts["reported"],
            ignored_reasons=reasons,
            rules_read=len(self.wiring.rules),
            rules_routed=self.rule_counts["routed"],
            rules_ignored=self.rule_counts["ignored"],
            rules_reported=self.rule_counts["reported"],
            plans_read=len(self.by_key),
            plans_in_policy=len(self.policy_plans),
            placeholder_plans=len(self.placeholders),
            findings=tuple(self.findings),
            notes=tuple(dict.fromkeys(self.notes)),
        )
        return policy, report

    def route_alarm(
        self, alarm: AlarmWiring, rules: Sequence[tuple[RuleWiring, Route, str]]
    ) -> tuple[str | None, str | None, bool]:
        """(the policy plan it is routed to by its own actions, the ignore reason, whether it is reported).

        An alarm routed only through a rule gives (None, None, ...): the rule's route takes it.
        """
        label = _alarm_label(alarm)
        reported = False
        plans: list[str] = []
        for action in alarm.alarm_actions:
            if not is_incident_manager_arn(action):
                continue
            parsed = parse_plan_arn(action)
            if parsed is None:
                self.report(
                    "malformed_plan_arn",
                    label,
                    f"the alarm action {action!r} is not a response-plan ARN",
                    "that action is not routed",
                    alarm.origin,
                )
                reported = True
                continue
            account, name = parsed
            plan = self.plan_for(account, name, alarm.origin)
            if account != alarm.account_id:
                self.report(
                    "other_account",
                    label,
                    f"its action names the plan {name} in account {account}, not the alarm's {alarm.account_id}",
                    f"routed to {plan} as if it were in the alarm's account",
                    alarm.origin,
                )
                reported = True
            if plan not in plans:
                plans.append(plan)
        for key, actions in (
            ("OKActions", alarm.ok_actions),
            ("InsufficientDataActions", alarm.insufficient_data_actions),
        ):
            named = [parse_plan_arn(a) for a in actions if is_incident_manager_arn(a)]
            if named and alarm.actions_enabled:
                state = "OK" if key == "OKActions" else "INSUFFICIENT_DATA"
                self.report(
                    "plan_on_ok",
                    label,
                    f"its {key} name a response plan ({', '.join(n[1] if n else '?' for n in named)})",
                    f"the incidents it starts on changes into {state} are not replayed "
                    "(a policy starts them on ALARM only)",
                    alarm.origin,
                )
                reported = True
        if not alarm.actions_enabled and plans:
            self.notes.append(
                f"{label}: ActionsEnabled is false, so its plan action ({', '.join(plans)}) starts nothing: ignored"
            )
            plans = []
            disabled = True
        else:
            disabled = False
        via_rules = [(rule, plan) for rule, route, plan in rules if route.matches(alarm.facts())]
        everything = plans + [plan for _, plan in via_rules if plan not in plans]
        if alarm.kind == "composite" and alarm.suppressor:
            self.notes.append(
                f"{label}: actions suppressed by {alarm.suppressor} (wait {alarm.suppressor_wait_s}s, extension "
                f"{alarm.suppressor_extension_s}s); a replay skips the state changes the history marks "
                "actionsSuppressedBy, where the service still performs the actions once a WaitPeriod or "
                "ExtensionPeriod runs out in ALARM"
            )
        if len(everything) > 1:
            sources = [f"its AlarmActions ({', '.join(plans)})"] if plans else []
            sources += [f"rule {rule.name} ({plan})" for rule, plan in via_rules]
            first = everything[0]
            self.report(
                "several_plans",
                label,
                f"it starts incidents with {len(everything)} response plans: {'; '.join(sources)}",
                f"routed to {first} only; the incidents of {', '.join(everything[1:])} are not replayed",
                alarm.origin,
            )
            reported = True
        if plans:
            return plans[0], None, reported
        if via_rules:
            return None, None, reported  # the rule's route takes it
        return None, "actions disabled" if disabled else "no response-plan action", reported


def import_policy(source: Wiring | str | Path | Sequence[str | Path], *, name: str = "imported") -> ImportResult:
    """A policy equal in effect to the wiring read from AWS CLI outputs (or a :class:`Wiring`).

    Parameters
    ----------
    source : Wiring, path or sequence of paths
        ``describe-alarms``, ``get-response-plan``, ``list-response-plans``, ``list-rules`` /
        ``describe-rule`` and ``list-targets-by-rule`` outputs in any mix (see
        :func:`~incidentsim.awsconfig.read_wiring`), or what :func:`~incidentsim.awsconfig.fetch_wiring` read.
    name : str
        The policy's name.

    Returns
    -------
    ImportResult
        ``policy``, ``report`` (counts that add up, findings, notes) and ``wiring``.

    Raises
    ------
    ConfigError
        An input that cannot be read, naming the file and place.
    ValueError
        Nothing to import: no response plan read or named.

    Examples
    --------
    >>> wiring = Wiring(
    ...     alarms=[AlarmWiring("web-5xx", "arn:aws:cloudwatch:us-east-1:111122223333:alarm:web-5xx", "111122223333",
    ...                         "us-east-1", "metric",
    ...                         alarm_actions=("arn:aws:ssm-incidents::111122223333:responseplan/web",))],
    ...     plans=[PlanWiring("web", "arn:aws:ssm-incidents::111122223333:response-plan/web", "111122223333",
    ...                       "Web down", 2)])
    >>> imported = import_policy(wiring)
    >>> imported.policy.route_for({"alarm_arn": "arn:aws:cloudwatch:us-east-1:111122223333:alarm:web-5xx"}).plan
    'web'
    >>> imported.report.alarms_routed, imported.report.ok
    (1, True)
    """
    wiring = source if isinstance(source, Wiring) else read_wiring(source)
    policy, report = _Importer(wiring).build(name)
    return ImportResult(policy, report, wiring)
