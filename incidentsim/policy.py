"""Policy: which response plan each alarm goes to, with what impact, title, token and resolution.

A policy is plain data, loaded from YAML (or built in Python) and validated on
load; every error names the place in the file::

    policy.yaml:14 routes[1].title: template error: unexpected '}'

Example (the bundled ``data/sample-policy.yaml`` is a fuller one)::

    response_plans:
      - name: checkout-critical
        title: Checkout degraded
        impact: 2
        tags: {team: checkout}
    routes:
      - name: checkout-errors
        match: {alarm_name: "checkout-*", namespace: AWS/ApplicationELB}
        plan: checkout-critical
        impact: 1
        title: "{{ alarm_name }} in {{ region }}"
      - match: {alarm_name: {regex: "-latency-"}}
        ignore: true
    unmatched: ignore              # or the name of a default plan
    client_token: {strategy: per_event}        # per_alarm_window (with window: 1h) | template | none
    resolve: {strategy: on_ok, delay: 15m}     # after (with after: 4h) | never
    title_overflow: reject                     # or truncate (to the API's 200 characters)

Titles and token templates are Jinja2, rendered in a sandbox with strict
undefined variables; they see the alarm's fields: ``alarm_name``, ``alarm_arn``,
``account_id``, ``region``, ``namespace``, ``metric_name``, ``dimensions`` (a
dict), ``reason``, ``state``, ``previous_state``, ``source``, ``timestamp`` (a
datetime), ``time`` (ISO 8601 text), ``date`` and ``response_plan``.  A template that
fails only on some alarms (an undefined variable, a filter given the wrong type) is found
before a replay by :meth:`Policy.check`, which renders it over the history's distinct inputs.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd
import yaml

from . import yamlfile
from .rules import api_limits
from .templating import BoundedEnvironment, TemplateLimitError, render_bounded

TITLE_LIMIT = api_limits().title  # StartIncident.title, from botocore's model
TOKEN_LIMIT = api_limits().client_token  # StartIncident.clientToken
MATCH_FIELDS = ("alarm_name", "alarm_arn", "account_id", "region", "namespace", "metric_name")
TOKEN_STRATEGIES = ("per_event", "per_alarm_window", "template", "none")
RESOLVE_STRATEGIES = ("on_ok", "after", "never")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class PolicyError(ValueError):
    """A policy that cannot be used; the message names the place (file, line, path) and the problem."""


def parse_duration(value: Any, where: str = "duration") -> timedelta:
    """``15m``, ``1h``, ``2d``, ``90s``, ``1w`` or a number of seconds.

    >>> parse_duration("90m")
    datetime.timedelta(seconds=5400)
    """
    if isinstance(value, bool):
        raise PolicyError(f"{where}: expected a duration such as 15m, 1h or 2d, got {value!r}")
    if isinstance(value, (int, float)) and value >= 0:
        return timedelta(seconds=float(value))
    if isinstance(value, timedelta):
        return value
    match = _DURATION.match(str(value))
    if not match:
        raise PolicyError(f"{where}: expected a duration such as 15m, 1h or 2d, got {value!r}")
    return timedelta(seconds=float(match[1]) * _UNITS[match[2]])


def format_duration(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    for unit in ("w", "d", "h", "m"):
        if seconds and seconds % _UNITS[unit] == 0:
            return f"{int(seconds // _UNITS[unit])}{unit}"
    return f"{int(seconds)}s" if float(seconds).is_integer() else f"{seconds}s"


# --------------------------------------------------------------------------- templates

_ENVIRONMENT = BoundedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)


@dataclass(frozen=True)
class Template:
    """A sandboxed Jinja2 template; compiled once, rendered per event."""

    source: str
    where: str = field(default="template", compare=False)

    def __post_init__(self) -> None:
        try:
            compiled = _ENVIRONMENT.compile_bounded(self.source)
        except jinja2.TemplateSyntaxError as error:
            raise PolicyError(f"{self.where}: template error on its line {error.lineno}: {error.message}") from None
        object.__setattr__(self, "_compiled", compiled)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its text, compiled again where it is unpickled (a Dask worker, another process)."""
        return (Template, (self.source, self.where))

    def render(self, context: Mapping[str, Any]) -> str:
        """The rendered text; raises :class:`TemplateRenderError` naming the template's place."""
        try:
            return render_bounded(self._compiled, context)  # type: ignore[attr-defined]
        except TemplateLimitError as error:
            raise TemplateRenderError(self.where, f"the template {error}") from None
        except jinja2.UndefinedError as error:
            raise TemplateRenderError(self.where, f"undefined variable: {error.message}") from None
        except jinja2.exceptions.SecurityError as error:
            raise TemplateRenderError(self.where, f"not allowed in a template: {error}") from None
        except Exception as error:  # a template's own runtime error (division by zero, a bad filter argument ...)
            raise TemplateRenderError(self.where, f"{type(error).__name__}: {error}") from None


class TemplateRenderError(ValueError):
    def __init__(self, where: str, problem: str):
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


def _split_message(message: str, templates: Sequence[Template]) -> tuple[str, str]:
    """A :class:`TemplateRenderError` message as (the template's place, the problem), given the templates it may be
    from."""
    for template in templates:
        if message.startswith(f"{template.where}: "):
            return template.where, message[len(template.where) + 2 :]
    return "", message


def template_context(event: Mapping[str, Any], response_plan: str = "") -> dict[str, Any]:
    """The variables a title or token template sees for one AlarmFrame row."""
    timestamp = pd.Timestamp(event["timestamp"]).to_pydatetime()
    try:
        dimensions = json.loads(event.get("dimensions") or "{}")
    except ValueError:
        dimensions = {}
    return {
        "alarm_name": event["alarm_name"],
        "alarm_arn": event["alarm_arn"],
        "account_id": event["account_id"],
        "region": event["region"],
        "namespace": event.get("namespace", ""),
        "metric_name": event.get("metric_name", ""),
        "dimensions": dimensions,
        "reason": event.get("reason", ""),
        "state": str(event["state"]),
        "previous_state": str(event["previous_state"]),
        "source": event.get("source", ""),
        "timestamp": timestamp,
        "time": timestamp.isoformat(),
        "date": timestamp.date().isoformat(),
        "response_plan": response_plan,
    }


# --------------------------------------------------------------------------- parts


@dataclass(frozen=True)
class Pattern:
    """A match on one field: globs (any of them), or a regular expression."""

    globs: tuple[str, ...] = ()
    regex: str | None = None

    def regex_text(self) -> str:
        if self.regex is not None:
            return self.regex
        return "|".join(f"(?:{fnmatch.translate(g)})" for g in self.globs)

    def matches(self, value: str) -> bool:
        if self.regex is not None:
            return re.search(self.regex, value) is not None
        return any(fnmatch.fnmatchcase(value, g) for g in self.globs)

    def to_data(self) -> Any:
        if self.regex is not None:
            return {"regex": self.regex}
        return self.globs[0] if len(self.globs) == 1 else list(self.globs)


@dataclass(frozen=True)
class ResponsePlan:
    """A response plan as ``CreateResponsePlan`` takes it."""

    name: str
    title: str
    impact: int
    summary: str | None = None
    dedupe_string: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    display_name: str | None = None

    def to_data(self) -> dict[str, Any]:
        """The plan as a policy file holds it (what :meth:`Policy.from_dict` reads back)."""
        item: dict[str, Any] = {"name": self.name, "title": self.title, "impact": self.impact}
        for key in ("summary", "dedupe_string", "display_name"):
            if getattr(self, key):
                item[key] = getattr(self, key)
        if self.tags:
            item["tags"] = dict(self.tags)
        return item

    def incident_template(self) -> dict[str, Any]:
        template: dict[str, Any] = {"title": self.title, "impact": self.impact}
        if self.summary:
            template["summary"] = self.summary
        if self.dedupe_string:
            template["dedupeString"] = self.dedupe_string
        if self.tags:
            template["incidentTags"] = dict(self.tags)
        return template


@dataclass(frozen=True)
class ImpactRule:
    when: dict[str, Pattern]
    impact: int


@dataclass(frozen=True)
class Route:
    """Alarms matching ``match`` (all fields) go to ``plan``, or are ignored."""

    name: str
    match: dict[str, Pattern] = field(default_factory=dict)
    plan: str | None = None
    ignore: bool = False
    impact: int | None = None
    impact_rules: tuple[ImpactRule, ...] = ()
    title: Template | None = None

    def matches(self, event: Mapping[str, Any]) -> bool:
        return all(pattern.matches(str(event.get(f, "") or "")) for f, pattern in self.match.items())

    def impact_for(self, event: Mapping[str, Any]) -> int | None:
        for rule in self.impact_rules:
            if all(p.matches(str(event.get(f, "") or "")) for f, p in rule.when.items()):
                return rule.impact
        return self.impact


@dataclass(frozen=True)
class ClientTokenStrategy:
    strategy: str = "per_event"
    window: timedelta | None = None
    template: Template | None = None
    on_mismatch: str = "return_existing"


@dataclass(frozen=True)
class ResolveStrategy:
    strategy: str = "on_ok"
    delay: timedelta = timedelta(0)
    after: timedelta | None = None


@dataclass(frozen=True)
class TemplateProblem:
    """One way a template fails on a route: its place, the error, and the triggers it rejects."""

    where: str  # the template's place: "policy.yaml:14 routes[1].title"
    problem: str  # "undefined variable: 'owner' is undefined"
    triggers: int  # triggers whose render fails this way
    first_alarm: str  # the alarm of the first such trigger

    def text(self) -> str:
        place = f"{self.where}: " if self.where else ""
        plural = "s" if self.triggers != 1 else ""
        return f"{place}{self.problem} ({self.triggers:,} trigger{plural}; first {self.first_alarm})"


@dataclass(frozen=True)
class RouteProblems:
    """The template failures of one route (``route`` is "" for unmatched alarms sent to the default ``plan``)."""

    route: str
    plan: str
    failed: int  # triggers of this route whose templates fail
    kinds: int  # distinct errors among them
    problems: tuple[TemplateProblem, ...]  # the first few, in the order they first occur

    @property
    def label(self) -> str:
        return f"route '{self.route}'" if self.route else f"alarms no route matched (sent to '{self.plan}')"


@dataclass(frozen=True, repr=False)
class PolicyCheck:
    """What :meth:`Policy.check` found: the templates that fail on a history, per route, before any call."""

    policy: str
    triggers: int  # triggers checked
    routes: tuple[RouteProblems, ...] = ()  # only routes with failures, in policy order

    @property
    def ok(self) -> bool:
        """True when every template renders for every trigger."""
        return not self.routes

    @property
    def failed(self) -> int:
        """Triggers a replay would reject with ``TemplateError``."""
        return sum(route.failed for route in self.routes)

    def summary_text(self) -> str:
        """A few lines a person reads: per route, how many triggers fail and the first errors with file:line and
        path."""
        if self.ok:
            return f"policy '{self.policy}': every template renders for all {self.triggers:,} triggers"
        lines = [f"policy '{self.policy}': templates fail on {self.failed:,} of {self.triggers:,} triggers"]
        for route in self.routes:
            lines.append(f"  {route.label}: {route.failed:,} trigger{'s' if route.failed != 1 else ''}")
            lines += [f"    {problem.text()}" for problem in route.problems]
            if route.kinds > len(route.problems):
                lines.append(f"    and {route.kinds - len(route.problems):,} more distinct errors on this route")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"PolicyCheck(\n{self.summary_text()}\n)"


@dataclass(frozen=True)
class Policy:
    """Routes from alarms to response plans, with impact, title, token and resolve rules.

    Build it in Python or with :meth:`from_yaml`; :meth:`to_yaml` writes it back.

    Examples
    --------
    >>> policy = Policy.from_dict({
    ...     "response_plans": [{"name": "web", "title": "Web down", "impact": 3}],
    ...     "routes": [{"match": {"alarm_name": "web-*"}, "plan": "web", "title": "{{ alarm_name }}"}],
    ... })
    >>> policy.route_for({"alarm_name": "web-5xx"}).plan, policy.unmatched
    ('web', 'ignore')
    """

    response_plans: tuple[ResponsePlan, ...]
    routes: tuple[Route, ...]
    unmatched: str = "ignore"
    client_token: ClientTokenStrategy = ClientTokenStrategy()
    resolve: ResolveStrategy = ResolveStrategy()
    title_overflow: str = "reject"
    emulator: dict[str, Any] = field(default_factory=dict)
    name: str = "policy"

    @property
    def plans(self) -> dict[str, ResponsePlan]:
        return {plan.name: plan for plan in self.response_plans}

    def route_for(self, event: Mapping[str, Any]) -> Route | None:
        """The first route whose match holds, or None (then ``unmatched`` applies)."""
        for route in self.routes:
            if route.matches(event):
                return route
        return None

    def emulator_options(self) -> dict[str, Any]:
        """Emulator options this policy needs, e.g. how a reused clientToken is answered."""
        options = {"token_mismatch": self.client_token.on_mismatch}
        options.update(self.emulator)
        return options

    def check(self, alarms: pd.DataFrame, limit: int = 3) -> PolicyCheck:
        """Render the title and clientToken templates over a history before any call, and report what fails.

        The rows are decided as a replay decides them (which rows trigger, the first route
        that matches), and each template is rendered once per distinct input among the
        triggers its route takes, so a history of a million rows is checked in seconds.

        Parameters
        ----------
        alarms : DataFrame
            An AlarmFrame (``load_alarms(...).alarms``).
        limit : int
            List at most this many distinct errors per route (all are counted).

        Returns
        -------
        PolicyCheck
            ``ok``, ``failed`` (the triggers a replay would reject with ``TemplateError``),
            ``routes`` (per route: the count and its first errors, each with the template's
            file:line and path) and ``summary_text()``.

        Examples
        --------
        >>> policy = Policy.from_dict({
        ...     "response_plans": [{"name": "web", "title": "Web down", "impact": 3}],
        ...     "routes": [{"name": "web", "match": {"alarm_name": "web-*"}, "plan": "web", "title": "{{ owner }}"}],
        ... })
        >>> alarms = pd.DataFrame([{"event_id": "e1", "timestamp": pd.Timestamp("2024-05-01", tz="UTC"),
        ...     "alarm_name": "web-5xx", "alarm_arn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx",
        ...     "account_id": "123456789012", "region": "us-east-1", "state": "ALARM", "previous_state": "OK"}])
        >>> print(policy.check(alarms).summary_text())
        policy 'policy': templates fail on 1 of 1 triggers
          route 'web': 1 trigger
            policy routes[0].title: undefined variable: 'owner' is undefined (1 trigger; first web-5xx)
        """
        from .replay.decisions import decide_codes  # the replay's own decisions: the same rows, rendered the same way

        decisions = decide_codes(alarms, self)
        errors = decisions.errors
        triggers = int(decisions.trigger.sum()) + len(errors)
        if not errors:
            return PolicyCheck(self.name, triggers)
        rows = np.sort(np.fromiter(errors, dtype=np.int64, count=len(errors)))
        failures = pd.DataFrame(
            {"route": decisions.route[rows], "message": [errors[row] for row in rows.tolist()], "row": rows}
        )
        names = alarms["alarm_name"].astype(str).to_numpy()
        routes = []
        for code, group in sorted(failures.groupby("route"), key=lambda item: (item[0] < 0, item[0])):
            route = self.routes[code] if code >= 0 else None
            templates = [t for t in (route.title if route else None, self.client_token.template) if t is not None]
            kinds = group.groupby("message", sort=False)["row"].agg(["size", "min"]).sort_values("min")
            problems = tuple(
                TemplateProblem(*_split_message(str(message), templates), int(size), str(names[first]))
                for message, size, first in kinds.head(limit).itertuples()
            )
            plan = route.plan if route else self.unmatched
            routes.append(RouteProblems(route.name if route else "", str(plan), len(group), len(kinds), problems))
        return PolicyCheck(self.name, triggers, tuple(routes))

    # ------------------------------------------------------------------ YAML

    @classmethod
    def from_yaml(cls, path_or_text: str | Path) -> Policy:
        """Load and validate a policy from a YAML file (or YAML text)."""
        path = Path(path_or_text) if not (isinstance(path_or_text, str) and "\n" in path_or_text) else None
        if path is not None:
            if not path.is_file():
                raise PolicyError(f"no such policy file: {path}")
            text = path.read_text(encoding="utf-8")
            label = path.name
        else:
            text, label = str(path_or_text), "policy"
        try:
            document = yamlfile.read_document(text, label)
        except yamlfile.YamlFileError as problem:
            raise PolicyError(str(problem)) from None
        return cls.from_dict({} if document.empty else document.data, source=label, lines=document.lines)

    @classmethod
    def from_dict(cls, data: Any, source: str = "policy", lines: Mapping[str, int] | None = None) -> Policy:
        """Validate plain data (as from YAML) into a Policy."""
        return _Reader(source, lines or {}).policy(data)

    def to_dict(self) -> dict[str, Any]:
        plans = [plan.to_data() for plan in self.response_plans]
        routes = []
        for route in self.routes:
            item: dict[str, Any] = {"name": route.name}
            if route.match:
                item["match"] = {f: p.to_data() for f, p in route.match.items()}
            if route.ignore:
                item["ignore"] = True
            else:
                item["plan"] = route.plan
            if route.impact is not None:
                item["impact"] = route.impact
            if route.impact_rules:
                item["impact_rules"] = [
                    {"when": {f: p.to_data() for f, p in rule.when.items()}, "impact": rule.impact}
                    for rule in route.impact_rules
                ]
            if route.title is not None:
                item["title"] = route.title.source
            routes.append(item)
        token: dict[str, Any] = {"strategy": self.client_token.strategy}
        if self.client_token.window is not None:
            token["window"] = format_duration(self.client_token.window)
        if self.client_token.template is not None:
            token["template"] = self.client_token.template.source
        if self.client_token.strategy in ("per_alarm_window", "template"):
            token["on_mismatch"] = self.client_token.on_mismatch
        resolve: dict[str, Any] = {"strategy": self.resolve.strategy}
        if self.resolve.strategy == "on_ok":
            resolve["delay"] = format_duration(self.resolve.delay)
        if self.resolve.after is not None:
            resolve["after"] = format_duration(self.resolve.after)
        data: dict[str, Any] = {
            "name": self.name,
            "response_plans": plans,
            "routes": routes,
            "unmatched": self.unmatched,
            "client_token": token,
            "resolve": resolve,
            "title_overflow": self.title_overflow,
        }
        if self.emulator:
            data["emulator"] = dict(self.emulator)
        return data

    def to_yaml(self, path: str | Path | None = None) -> str:
        """The policy as YAML text; also written to ``path`` when given."""
        text = yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True, width=100)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def replace(self, **changes: Any) -> Policy:
        """A copy with some fields changed (the policy itself is immutable)."""
        return dataclasses.replace(self, **changes)


class _Reader:
    """Validates policy data, naming the file, line and path of every problem."""

    def __init__(self, source: str, lines: Mapping[str, int]):
        self.source = source
        self.lines = lines

    def where(self, path: str) -> str:
        return yamlfile.where(self.source, self.lines, path)

    def fail(self, path: str, problem: str) -> PolicyError:
        return PolicyError(yamlfile.located(self.where(path), problem))

    def mapping(self, value: Any, path: str, allowed: Sequence[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"expected a mapping, got {yamlfile.describe_value(value)}")
        unknown = [k for k in value if k not in allowed]
        if unknown:
            raise self.fail(
                f"{path}.{unknown[0]}" if path else str(unknown[0]),
                f"unknown key; expected one of {', '.join(allowed)}",
            )
        return value

    def text(self, value: Any, path: str, limit: int | None = None) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path, f"expected non-empty text, got {yamlfile.describe_value(value)}")
        if limit is not None and len(value) > limit:
            raise self.fail(path, f"is {len(value)} characters; the API allows at most {limit}")
        return value

    def impact(self, value: Any, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise self.fail(path, f"expected an impact from 1 (critical) to 5 (no impact), got {value!r}")
        return value

    def pattern(self, value: Any, path: str) -> Pattern:
        if isinstance(value, str):
            return Pattern(globs=(value,))
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return Pattern(globs=tuple(value))
        if isinstance(value, dict) and set(value) == {"regex"} and isinstance(value["regex"], str):
            try:
                re.compile(value["regex"])
            except re.error as error:
                raise self.fail(f"{path}.regex", f"not a valid regular expression ({error})") from None
            return Pattern(regex=value["regex"])
        raise self.fail(
            path, f"expected a glob, a list of globs or {{regex: ...}}, got {yamlfile.describe_value(value)}"
        )

    def match(self, value: Any, path: str) -> dict[str, Pattern]:
        data = self.mapping(value, path, MATCH_FIELDS)
        return {f: self.pattern(v, f"{path}.{f}") for f, v in data.items()}

    def plan(self, value: Any, path: str) -> ResponsePlan:
        data = self.mapping(
            value, path, ("name", "title", "impact", "summary", "dedupe_string", "tags", "display_name")
        )
        for required in ("name", "title", "impact"):
            if required not in data:
                raise self.fail(path, f"a response plan needs '{required}'")
        name = self.text(data["name"], f"{path}.name", api_limits().plan_name)
        if not re.fullmatch(r"[a-zA-Z0-9_-]+", name):
            raise self.fail(f"{path}.name", f"{name!r}: a response plan name takes letters, digits, - and _ only")
        tags = data.get("tags") or {}
        if not isinstance(tags, dict) or not all(
            isinstance(k, str) and isinstance(v, (str, int, float)) for k, v in tags.items()
        ):
            raise self.fail(f"{path}.tags", "expected a mapping of tag names to values")
        summary = data.get("summary")
        dedupe = data.get("dedupe_string")
        display = data.get("display_name")
        return ResponsePlan(
            name=name,
            title=self.text(data["title"], f"{path}.title", TITLE_LIMIT),
            impact=self.impact(data["impact"], f"{path}.impact"),
            summary=self.text(summary, f"{path}.summary", 8000) if summary is not None else None,
            dedupe_string=self.text(dedupe, f"{path}.dedupe_string", 1000) if dedupe is not None else None,
            tags={str(k): str(v) for k, v in tags.items()},
            display_name=self.text(display, f"{path}.display_name", api_limits().plan_display_name)
            if display is not None
            else None,
        )

    def route(self, value: Any, path: str, index: int, plans: Mapping[str, ResponsePlan]) -> Route:
        data = self.mapping(value, path, ("name", "match", "plan", "ignore", "impact", "impact_rules", "title"))
        name = self.text(data.get("name", f"route-{index + 1}"), f"{path}.name")
        ignore = data.get("ignore", False)
        if not isinstance(ignore, bool):
            raise self.fail(f"{path}.ignore", f"expected true or false, got {ignore!r}")
        plan = data.get("plan")
        if ignore and plan is not None:
            raise self.fail(path, "a route either ignores alarms or sends them to a plan, not both")
        if not ignore:
            if plan is None:
                raise self.fail(path, "a route needs 'plan' (or 'ignore: true')")
            if plan not in plans:
                raise self.fail(
                    f"{path}.plan", f"no response plan named {plan!r}; plans are {', '.join(plans) or 'none'}"
                )
        rules = []
        for i, rule in enumerate(data.get("impact_rules") or []):
            rule_path = f"{path}.impact_rules[{i}]"
            rule_data = self.mapping(rule, rule_path, ("when", "impact"))
            if "when" not in rule_data or "impact" not in rule_data:
                raise self.fail(rule_path, "an impact rule needs 'when' and 'impact'")
            rules.append(
                ImpactRule(
                    self.match(rule_data["when"], f"{rule_path}.when"),
                    self.impact(rule_data["impact"], f"{rule_path}.impact"),
                )
            )
        title = data.get("title")
        return Route(
            name=name,
            match=self.match(data.get("match") or {}, f"{path}.match"),
            plan=None if ignore else str(plan),
            ignore=ignore,
            impact=self.impact(data["impact"], f"{path}.impact") if data.get("impact") is not None else None,
            impact_rules=tuple(rules),
            title=Template(self.text(title, f"{path}.title"), self.where(f"{path}.title"))
            if title is not None
            else None,
        )

    def client_token(self, value: Any, path: str) -> ClientTokenStrategy:
        data = self.mapping(value, path, ("strategy", "window", "template", "on_mismatch"))
        strategy = data.get("strategy", "per_event")
        if strategy not in TOKEN_STRATEGIES:
            raise self.fail(f"{path}.strategy", f"expected one of {', '.join(TOKEN_STRATEGIES)}, got {strategy!r}")
        window = parse_duration(data["window"], self.where(f"{path}.window")) if "window" in data else None
        if strategy == "per_alarm_window" and (window is None or window.total_seconds() <= 0):
            raise self.fail(path, "per_alarm_window needs a positive 'window', e.g. 1h")
        template = data.get("template")
        if strategy == "template" and template is None:
            raise self.fail(path, "the template strategy needs 'template'")
        on_mismatch = data.get("on_mismatch", "return_existing")
        if on_mismatch not in ("return_existing", "conflict"):
            raise self.fail(f"{path}.on_mismatch", f"expected return_existing or conflict, got {on_mismatch!r}")
        return ClientTokenStrategy(
            strategy=strategy,
            window=window,
            template=Template(self.text(template, f"{path}.template"), self.where(f"{path}.template"))
            if template
            else None,
            on_mismatch=on_mismatch,
        )

    def resolve(self, value: Any, path: str) -> ResolveStrategy:
        data = self.mapping(value, path, ("strategy", "delay", "after"))
        strategy = data.get("strategy", "on_ok")
        if strategy not in RESOLVE_STRATEGIES:
            raise self.fail(f"{path}.strategy", f"expected one of {', '.join(RESOLVE_STRATEGIES)}, got {strategy!r}")
        delay = parse_duration(data.get("delay", 0), self.where(f"{path}.delay"))
        after = parse_duration(data["after"], self.where(f"{path}.after")) if "after" in data else None
        if strategy == "after" and (after is None or after.total_seconds() <= 0):
            raise self.fail(path, "the after strategy needs a positive 'after', e.g. 4h")
        return ResolveStrategy(strategy=strategy, delay=delay, after=after)

    def policy(self, data: Any) -> Policy:
        data = self.mapping(
            data,
            "",
            ("name", "response_plans", "routes", "unmatched", "client_token", "resolve", "title_overflow", "emulator"),
        )
        raw_plans = data.get("response_plans")
        if not isinstance(raw_plans, list) or not raw_plans:
            raise self.fail("response_plans", "expected a list of at least one response plan")
        plans: dict[str, ResponsePlan] = {}
        for i, item in enumerate(raw_plans):
            plan = self.plan(item, f"response_plans[{i}]")
            if plan.name in plans:
                raise self.fail(f"response_plans[{i}].name", f"the plan {plan.name!r} is defined twice")
            plans[plan.name] = plan
        raw_routes = data.get("routes") or []
        if not isinstance(raw_routes, list):
            raise self.fail("routes", f"expected a list of routes, got {yamlfile.describe_value(raw_routes)}")
        routes = [self.route(item, f"routes[{i}]", i, plans) for i, item in enumerate(raw_routes)]
        names = [r.name for r in routes]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise self.fail("routes", f"route names must be unique; {', '.join(repeated)} repeats")
        unmatched = data.get("unmatched", "ignore")
        if unmatched != "ignore" and unmatched not in plans:
            raise self.fail("unmatched", f"expected 'ignore' or the name of a response plan, got {unmatched!r}")
        overflow = data.get("title_overflow", "reject")
        if overflow not in ("reject", "truncate"):
            raise self.fail("title_overflow", f"expected reject or truncate, got {overflow!r}")
        emulator = data.get("emulator") or {}
        if not isinstance(emulator, dict):
            raise self.fail(
                "emulator", f"expected a mapping of emulator options, got {yamlfile.describe_value(emulator)}"
            )
        from .emulator.models import EmulatorOptions
        from .params import InvalidParameterError

        try:
            EmulatorOptions(**emulator)
        except InvalidParameterError as error:
            raise self.fail(f"emulator.{error.parameter}", error.requirement) from None
        except (TypeError, ValueError) as error:
            raise self.fail("emulator", str(error)) from None
        return Policy(
            response_plans=tuple(plans.values()),
            routes=tuple(routes),
            unmatched=str(unmatched),
            client_token=self.client_token(data.get("client_token") or {}, "client_token"),
            resolve=self.resolve(data.get("resolve") or {}, "resolve"),
            title_overflow=str(overflow),
            emulator=dict(emulator),
            name=str(data.get("name") or self.source),
        )


def token_for(policy: Policy, event: Mapping[str, Any], context: Mapping[str, Any] | None = None) -> str | None:
    """The clientToken this policy sends for a triggering event (None: let botocore make one)."""
    strategy = policy.client_token
    if strategy.strategy == "none":
        return None
    if strategy.strategy == "per_event":
        # the record's id without its duplicate number: a redelivered event reuses its token
        return str(event["event_id"]).split("#", 1)[0]
    if strategy.strategy == "per_alarm_window":
        assert strategy.window is not None
        seconds = int(strategy.window.total_seconds())
        stamp = int(pd.Timestamp(event["timestamp"]).timestamp())
        window_start = stamp - stamp % seconds
        alarm = re.sub(r"[^A-Za-z0-9]", "", str(event["alarm_name"]))[:60]
        digest = _short_hash(str(event["alarm_arn"]))
        return f"{alarm}-{digest}-{window_start}"
    assert strategy.template is not None
    text = strategy.template.render(context if context is not None else template_context(event))
    if len(text) > TOKEN_LIMIT:
        return text[: TOKEN_LIMIT - 13] + "-" + _short_hash(text)
    return text


def _short_hash(text: str) -> str:
    import hashlib

    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:12]


def load_policy(path: str | Path) -> Policy:
    """Shorthand for :meth:`Policy.from_yaml`."""
    return Policy.from_yaml(path)
