"""What a policy says about each state change, before any service call.

:func:`decide` is pure (AlarmFrame and Policy in, DataFrame out): which rows
trigger ``StartIncident`` (a change into ALARM from another state, as CloudWatch
alarm actions fire), which route and response plan they take, and the impact,
title and clientToken the call carries.  Every engine starts from it.

It works on whole columns: each route's patterns are evaluated once per distinct
value of a field, and each template once per distinct combination of the fields
it uses, so a million rows cost about as much as their distinct alarms.
"""

from __future__ import annotations

import hashlib

import jinja2.meta
import numpy as np
import pandas as pd

from ..policy import (
    _ENVIRONMENT,
    TITLE_LIMIT,
    TOKEN_LIMIT,
    Pattern,
    Policy,
    Template,
    TemplateRenderError,
    template_context,
)

DECISION_COLUMNS = (
    "trigger",  # bool: this row calls StartIncident
    "route",  # the route that matched ("" when none)
    "response_plan",  # the plan it goes to ("" when ignored)
    "impact",  # the impact sent (0: the plan's own, nothing sent)
    "title",  # the title sent ("" : the plan's own)
    "client_token",  # the token sent ("" : none)
    "decision_error",  # code of a problem found before any call ("" when none)
    "decision_note",  # why the row does not trigger, or what went wrong, in words
)

# template variable -> the AlarmFrame columns it is computed from
_TEMPLATE_SOURCES = {
    "alarm_name": ("alarm_name",),
    "alarm_arn": ("alarm_arn",),
    "account_id": ("account_id",),
    "region": ("region",),
    "namespace": ("namespace",),
    "metric_name": ("metric_name",),
    "dimensions": ("dimensions",),
    "reason": ("reason",),
    "state": ("state",),
    "previous_state": ("previous_state",),
    "source": ("source",),
    "timestamp": ("timestamp",),
    "time": ("timestamp",),
    "date": ("timestamp",),
    "response_plan": (),
}


class _Fields:
    """Factorised text columns, so a pattern is tested once per distinct value."""

    def __init__(self, alarms: pd.DataFrame):
        self.alarms = alarms
        self.cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def mask(self, match: dict[str, Pattern]) -> np.ndarray:
        result = np.ones(len(self.alarms), dtype=bool)
        for field, pattern in match.items():
            if field not in self.cache:
                values = self.alarms[field].astype(str) if field in self.alarms.columns else pd.Series([""] * len(self.alarms))
                codes, uniques = pd.factorize(values, use_na_sentinel=False)
                self.cache[field] = (codes, np.asarray(uniques, dtype=object))
            codes, uniques = self.cache[field]
            hits = np.fromiter((pattern.matches(str(u)) for u in uniques), dtype=bool, count=len(uniques))
            result &= hits[codes]
        return result


def _render_column(template: Template, alarms: pd.DataFrame, rows: np.ndarray, plan: np.ndarray) -> tuple[dict[int, str], dict[int, str]]:
    """Render ``template`` for the given row positions, once per distinct input; (texts, errors) by position."""
    variables = jinja2.meta.find_undeclared_variables(_ENVIRONMENT.parse(template.source))
    columns = sorted({c for v in variables for c in _TEMPLATE_SOURCES.get(v, ()) if c in alarms.columns})
    texts: dict[int, str] = {}
    errors: dict[int, str] = {}
    if not len(rows):
        return texts, errors
    subset = alarms.iloc[rows]
    keys = [subset[c].astype(str).to_numpy() for c in columns] + [np.asarray(plan, dtype=object)[rows]]
    codes = pd.MultiIndex.from_arrays(keys).factorize()[0] if len(keys) > 1 else pd.factorize(keys[0])[0]
    first_of: dict[int, int] = {}
    for position, code in enumerate(codes):
        first_of.setdefault(int(code), position)
    rendered: dict[int, tuple[str | None, str | None]] = {}
    firsts = list(first_of.items())
    records = subset.iloc[[position for _, position in firsts]].to_dict(orient="records")
    for (code, position), record in zip(firsts, records):
        try:
            rendered[code] = (template.render(template_context(record, plan[rows[position]])), None)
        except TemplateRenderError as failure:
            rendered[code] = (None, str(failure))
    for position, code in enumerate(codes):
        text, problem = rendered[int(code)]
        if problem is not None:
            errors[int(rows[position])] = problem
        else:
            texts[int(rows[position])] = str(text)
    return texts, errors


def _short_hash(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:12]


def _tokens(alarms: pd.DataFrame, policy: Policy, rows: np.ndarray, plan: np.ndarray) -> tuple[dict[int, str], dict[int, str]]:
    """The clientToken of each triggering row (see :func:`incidentsim.policy.token_for`)."""
    strategy = policy.client_token
    if strategy.strategy == "none" or not len(rows):
        return {}, {}
    subset = alarms.iloc[rows]
    if strategy.strategy == "per_event":
        values = subset["event_id"].astype(str).str.split("#", n=1).str[0]
        return dict(zip(rows.tolist(), values.tolist())), {}
    if strategy.strategy == "per_alarm_window":
        assert strategy.window is not None
        seconds = int(strategy.window.total_seconds())
        stamps = subset["timestamp"].astype("datetime64[ns, UTC]").astype("int64").to_numpy() // 10**9
        window_start = stamps - stamps % seconds
        names = subset["alarm_name"].astype(str).str.replace(r"[^A-Za-z0-9]", "", regex=True).str[:60]
        arns = subset["alarm_arn"].astype(str)
        digests = arns.map({arn: _short_hash(arn) for arn in arns.unique()})
        tokens = names + "-" + digests + "-" + pd.Series(window_start, index=subset.index).astype(str)
        return dict(zip(rows.tolist(), tokens.tolist())), {}
    assert strategy.template is not None
    texts, errors = _render_column(strategy.template, alarms, rows, plan)
    for position, text in texts.items():
        if len(text) > TOKEN_LIMIT:
            texts[position] = text[: TOKEN_LIMIT - 13] + "-" + _short_hash(text)
    return texts, errors


def decide(alarms: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """One row of decisions per AlarmFrame row (same index).

    Examples
    --------
    >>> from incidentsim.policy import Policy
    >>> policy = Policy.from_dict({"response_plans": [{"name": "web", "title": "Web", "impact": 3}],
    ...     "routes": [{"match": {"alarm_name": "web-*"}, "plan": "web", "impact": 2}]})
    >>> frame = pd.DataFrame([{"event_id": "e1", "timestamp": pd.Timestamp("2024-05-01", tz="UTC"),
    ...     "alarm_name": "web-5xx", "alarm_arn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx",
    ...     "account_id": "123456789012", "region": "us-east-1", "state": "ALARM", "previous_state": "OK"}])
    >>> row = decide(frame, policy).iloc[0]
    >>> bool(row["trigger"]), row["response_plan"], int(row["impact"]), row["client_token"]
    (True, 'web', 2, 'e1')
    """
    n = len(alarms)
    state = alarms["state"].astype(str)
    previous = alarms["previous_state"].astype(str)
    suppressed = (
        alarms["actions_suppressed_by"].fillna("").astype(str) if "actions_suppressed_by" in alarms.columns else pd.Series([""] * n, index=alarms.index)
    )
    note = pd.Series([""] * n, index=alarms.index, dtype=object)
    not_alarm = (state != "ALARM").to_numpy()
    stayed = ~not_alarm & (previous == "ALARM").to_numpy()
    held = ~not_alarm & ~stayed & (suppressed != "").to_numpy()
    note[not_alarm] = ("went from " + previous + " to " + state + "; only a change into ALARM starts an incident")[not_alarm]
    note[stayed] = "stayed in ALARM; CloudWatch runs alarm actions only when the state changes"
    note[held] = ("entered ALARM with its actions suppressed by " + suppressed + ", so CloudWatch started nothing")[held]
    candidate = ~(not_alarm | stayed | held)

    fields = _Fields(alarms)
    route_name = np.full(n, "", dtype=object)
    plan = np.full(n, "", dtype=object)
    impact = np.zeros(n, dtype=np.int64)
    trigger = np.zeros(n, dtype=bool)
    remaining = candidate.copy()
    titled: list[tuple[Template, np.ndarray]] = []
    for route in policy.routes:
        mask = remaining & fields.mask(route.match)
        remaining &= ~mask
        route_name[mask] = route.name
        if route.ignore:
            note[mask] = f"route '{route.name}' ignores this alarm"
            continue
        trigger |= mask
        plan[mask] = route.plan
        impact[mask] = route.impact or 0
        for rule in reversed(route.impact_rules):  # the first rule that holds wins
            impact[mask & fields.mask(rule.when)] = rule.impact
        if route.title is not None:
            titled.append((route.title, np.flatnonzero(mask)))
    if policy.unmatched == "ignore":
        note[remaining] = "no route matched and the policy ignores unmatched alarms"
    else:
        trigger |= remaining
        plan[remaining] = policy.unmatched

    title = np.full(n, "", dtype=object)
    error = np.full(n, "", dtype=object)
    for template, rows in titled:
        texts, errors = _render_column(template, alarms, rows, plan)
        for position, text in texts.items():
            if len(text) > TITLE_LIMIT and policy.title_overflow == "truncate":
                note.iat[position] = f"title cut from {len(text)} to {TITLE_LIMIT} characters"
                text = text[: TITLE_LIMIT - 1] + "\u2026"
            title[position] = text
        for position, problem in errors.items():
            error[position] = problem
    token_rows = np.flatnonzero(trigger & (error == ""))
    tokens, token_errors = _tokens(alarms, policy, token_rows, plan)
    token = np.full(n, "", dtype=object)
    for position, text in tokens.items():
        token[position] = text
    for position, problem in token_errors.items():
        error[position] = problem
    failed = error != ""
    note[failed] = error[failed]
    trigger &= ~failed
    frame = pd.DataFrame(
        {
            "trigger": trigger,
            "route": route_name,
            "response_plan": plan,
            "impact": impact,
            "title": title,
            "client_token": token,
            "decision_error": np.where(failed, "TemplateError", ""),
            "decision_note": note.to_numpy(),
        },
        index=alarms.index,
    )
    return frame[list(DECISION_COLUMNS)]

