"""The row-by-row reading of a policy, kept as the oracle for the vectorised ``decide``."""

from __future__ import annotations

from typing import Any

import pandas as pd

from incidentsim.policy import TITLE_LIMIT, Policy, TemplateRenderError, template_context, token_for
from incidentsim.replay.decisions import DECISION_COLUMNS


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


def reference_decide(alarms: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """One row of decisions per AlarmFrame row (same index)."""
    rows: list[dict[str, Any]] = []
    for row in alarms.to_dict(orient="records"):
        decision: dict[str, Any] = {
            "trigger": False,
            "route": "",
            "response_plan": "",
            "impact": 0,
            "title": "",
            "client_token": "",
            "decision_error": "",
            "decision_note": "",
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
