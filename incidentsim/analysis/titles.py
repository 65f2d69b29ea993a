"""Whether incident titles tell incidents apart: distinct titles, collisions, and titles that failed."""

from __future__ import annotations

import pandas as pd

from ..rules import api_limits
from ..constants import TRIGGER_OUTCOMES
from ._common import ResultLike, delegate, text

__all__ = ["title_cardinality", "title_groups", "title_table"]

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
    found = delegate(result, "title_cardinality")
    if found is not None:
        return found
    return title_table(title_groups(result))


#: The columns of :func:`title_groups`.
TITLE_GROUP_COLUMNS = ("response_plan", "alarm_arn", "title", "template_failed", "cut", "too_long", "triggers")


def title_groups(result: ResultLike) -> pd.DataFrame:
    """The triggers :func:`title_cardinality` counts, grouped: one row per distinct (plan, alarm, title,
    template failed, cut, too long) with its number of ``triggers``.  Groups from several parts of a
    history concatenate into the groups of the whole (:func:`title_table` sums repeats)."""
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
    keys = list(TITLE_GROUP_COLUMNS[:-1])
    return rows.groupby(keys, sort=False, observed=True).size().rename("triggers").astype("int64").reset_index()


def title_table(groups: pd.DataFrame) -> pd.DataFrame:
    """:func:`title_cardinality`'s table from :func:`title_groups` (of one result, or of several parts concatenated)."""
    keys = list(TITLE_GROUP_COLUMNS[:-1])
    groups = groups.groupby(keys, sort=False, observed=True)["triggers"].sum().reset_index() if len(groups) else groups
    table = pd.DataFrame(
        [_counts(group).rename(name) for name, group in groups.groupby("response_plan", sort=True, observed=True)],
        columns=_COUNTS,
    )
    table = table.sort_values("triggers", ascending=False, kind="stable")
    table.loc["all"] = _counts(groups)
    table.index.name = "response_plan"
    return table.astype("int64").reset_index()


def _counts(groups: pd.DataFrame) -> pd.Series:
    n = groups["triggers"]
    sent = groups[~groups["template_failed"].astype(bool) & (groups["title"] != "")]
    alarms_per_title = sent.groupby("title", observed=True)["alarm_arn"].nunique()
    return pd.Series(
        {
            "triggers": int(n.sum()),
            "distinct_titles": len(alarms_per_title),
            "collisions": int((alarms_per_title > 1).sum()),
            "undefined_variables": int(n[groups["template_failed"].astype(bool)].sum()),
            "cut_titles": int(n[groups["cut"].astype(bool)].sum()),
            "over_limit": int(n[groups["too_long"].astype(bool)].sum()),
        },
        dtype="int64",
    )
