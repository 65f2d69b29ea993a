"""Whether incident titles tell incidents apart: distinct titles, collisions, and titles that failed."""

from __future__ import annotations

import pandas as pd

from ..rules import api_limits
from ._common import TRIGGER_OUTCOMES, ResultLike, text

__all__ = ["title_cardinality"]

#: StartIncident's title limit, from the service model.
TITLE_LIMIT = api_limits().title
#: What a truncated title ends with (``title_overflow: truncate`` in the policy).
ELLIPSIS = "\u2026"
_COUNTS = ["triggers", "distinct_titles", "collisions", "undefined_variables", "cut_titles", "over_limit"]


def title_cardinality(result: ResultLike) -> pd.DataFrame:
    """Per response plan: how many titles the triggers produced and how many went wrong.

    Only triggers count: rows routed to a plan whose outcome is created, deduplicated or
    rejected.

    Parameters
    ----------
    result : ReplayResult
        Anything with an ``events`` table (``response_plan``, ``alarm_arn``, ``title``,
        ``outcome``, ``error_code``, ``explanation``).

    Returns
    -------
    DataFrame
        One row per response plan (most triggers first, ties by name), then a row whose
        ``response_plan`` is ``"all"`` for the whole replay. int64 columns:

        - ``triggers``
        - ``distinct_titles``: different titles sent (rows whose template failed have no
          title of their own and are left out)
        - ``collisions``: titles that more than one alarm (by ARN) produced, so responders
          cannot tell those incidents apart by title
        - ``undefined_variables``: triggers rejected with ``TemplateError`` (the template
          used a variable the alarm does not have)
        - ``cut_titles``: titles exactly 200 characters long ending in an ellipsis, i.e.
          truncated by ``title_overflow: truncate``
        - ``over_limit``: triggers rejected with ``ValidationException`` whose explanation
          names ``'title'`` (``title_overflow: reject``)

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> events = pd.DataFrame({"response_plan": ["web", "web", "db"], "alarm_arn": ["arn:a", "arn:b", "arn:c"],
    ...     "title": ["Web degraded", "Web degraded", "db-1"], "outcome": ["created", "created", "rejected"],
    ...     "error_code": ["", "", "TemplateError"], "explanation": ""})
    >>> table = title_cardinality(SimpleNamespace(events=events, incidents=pd.DataFrame()))
    >>> table.set_index("response_plan").loc[["web", "all"], ["distinct_titles", "collisions", "undefined_variables"]].to_numpy().tolist()
    [[1, 1, 0], [1, 1, 1]]
    """
    events = result.events
    plan = text(events["response_plan"])
    outcome = text(events["outcome"])
    keep = (plan != "") & outcome.isin(TRIGGER_OUTCOMES)
    error = text(events["error_code"])[keep]
    title = text(events["title"])[keep]
    rows = pd.DataFrame(
        {
            "response_plan": plan[keep],
            "alarm_arn": text(events["alarm_arn"])[keep],
            "title": title,
            "template_failed": (outcome[keep] == "rejected") & (error == "TemplateError"),
            "cut": (title.str.len() == TITLE_LIMIT) & title.str.endswith(ELLIPSIS),
            "too_long": (outcome[keep] == "rejected")
            & (error == "ValidationException")
            & text(events["explanation"])[keep].str.contains("'title'", regex=False),
        }
    )
    table = pd.DataFrame(
        [_counts(group).rename(name) for name, group in rows.groupby("response_plan", sort=True, observed=True)],
        columns=_COUNTS,
    )
    table = table.sort_values("triggers", ascending=False, kind="stable")
    table.loc["all"] = _counts(rows)
    table.index.name = "response_plan"
    return table.astype("int64").reset_index()


def _counts(rows: pd.DataFrame) -> pd.Series:
    sent = rows[~rows["template_failed"] & (rows["title"] != "")]
    alarms_per_title = sent.groupby("title", observed=True)["alarm_arn"].nunique()
    return pd.Series(
        {
            "triggers": len(rows),
            "distinct_titles": len(alarms_per_title),
            "collisions": int((alarms_per_title > 1).sum()),
            "undefined_variables": int(rows["template_failed"].sum()),
            "cut_titles": int(rows["cut"].sum()),
            "over_limit": int(rows["too_long"].sum()),
        },
        dtype="int64",
    )
