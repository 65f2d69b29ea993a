"""What a policy says about each state change, before any service call.

:func:`decide` is pure (AlarmFrame and Policy in, DataFrame out): which rows
trigger ``StartIncident`` (a change into ALARM from another state, as CloudWatch
alarm actions fire), which route and response plan they take, and the impact,
title and clientToken the call carries.  Every engine starts from it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..policy import TITLE_LIMIT, Policy, TemplateRenderError, template_context, token_for

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


def _not_a_trigger(row: Any) -> str | None:
    state, previous = str(row["state"]), str(row["previous_state"])
    if state != "ALARM":
        return f"went from {previous} to {state}; only a change into ALARM starts an incident"
    if previous == "ALARM":
        return "stayed in ALARM; CloudWatch runs alarm actions only when the state changes"
    suppressed = str(row.get("actions_suppressed_by") or "")
    if suppressed:
        return f"entered ALARM with its actions suppressed by {suppressed}, so CloudWatch started nothing"
    return None


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
    rows: list[dict[str, Any]] = []
    for row in alarms.to_dict(orient="records"):
        decision: dict[str, Any] = {
            "trigger": False, "route": "", "response_plan": "", "impact": 0, "title": "",
            "client_token": "", "decision_error": "", "decision_note": "",
        }
        reason = _not_a_trigger(row)
        if reason is not None:
            decision["decision_note"] = reason
            rows.append(decision)
            continue
        route = policy.route_for(row)
        if route is None:
            if policy.unmatched == "ignore":
                decision["decision_note"] = "no route matched and the policy ignores unmatched alarms"
                rows.append(decision)
                continue
            plan_name, route_name = policy.unmatched, ""
            impact, title_template = None, None
        elif route.ignore:
            decision["route"] = route.name
            decision["decision_note"] = f"route '{route.name}' ignores this alarm"
            rows.append(decision)
            continue
        else:
            plan_name, route_name = str(route.plan), route.name
            impact, title_template = route.impact_for(row), route.title
        decision.update(trigger=True, route=route_name, response_plan=plan_name, impact=impact or 0)
        context = template_context(row, plan_name)
        try:
            if title_template is not None:
                title = title_template.render(context)
                if len(title) > TITLE_LIMIT and policy.title_overflow == "truncate":
                    decision["decision_note"] = f"title cut from {len(title)} to {TITLE_LIMIT} characters"
                    title = title[: TITLE_LIMIT - 1] + "\u2026"
                decision["title"] = title
            decision["client_token"] = token_for(policy, row, context) or ""
        except TemplateRenderError as error:
            decision.update(trigger=False, decision_error="TemplateError", decision_note=str(error))
        rows.append(decision)
    frame = pd.DataFrame(rows, columns=list(DECISION_COLUMNS), index=alarms.index)
    frame["impact"] = frame["impact"].astype("int64")
    frame["trigger"] = frame["trigger"].astype(bool)
    return frame
