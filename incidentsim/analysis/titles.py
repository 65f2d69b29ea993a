"""Whether incident titles tell incidents apart: distinct titles, collisions, and titles that failed."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..constants import TRIGGER_OUTCOMES
from ..rules import api_limits
from ._common import ResultLike, delegate, text

__all__ = ["title_cardinality", "title_counts", "title_groups", "title_kinds", "title_table"]

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
        ``outcome``, ``error_code``).

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
        - ``over_limit``: triggers rejected with ``ValidationException`` whose title is longer
          than the 200-character limit (``title_overflow: reject``); read from the ``outcome``,
          ``error_code`` and ``title`` columns, never from the ``explanation`` text

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> events = pd.DataFrame({"response_plan": ["web", "web", "db"], "alarm_arn": ["arn:a", "arn:b", "arn:c"],
    ...     "title": ["Web degraded", "Web degraded", "db-1"], "outcome": ["created", "created", "rejected"],
    ...     "error_code": ["", "", "TemplateError"]})
    >>> table = title_cardinality(SimpleNamespace(events=events, incidents=pd.DataFrame()))
    >>> table.set_index("response_plan").loc[
    ...     ["web", "all"], ["distinct_titles", "collisions", "undefined_variables"]
    ... ].to_numpy().tolist()
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
    codes, texts = pd.factorize(title)
    cut, over = title_kinds([str(t) for t in texts])
    cut_rows = cut[codes] if len(codes) else np.zeros(0, dtype=bool)
    over_rows = over[codes] if len(codes) else np.zeros(0, dtype=bool)
    rows = pd.DataFrame(
        {
            "response_plan": plan[keep],
            "alarm_arn": text(events["alarm_arn"])[keep],
            "title": title,
            "template_failed": (outcome[keep] == "rejected") & (error == "TemplateError"),
            "cut": cut_rows,
            "too_long": (outcome[keep] == "rejected") & (error == "ValidationException") & over_rows,
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
    titles = groups["title"].astype(str)
    codes, _ = pd.factorize(titles.where(titles != "", None), use_na_sentinel=True)
    alarms, _ = pd.factorize(groups["alarm_arn"].astype(str))
    counts = title_counts(
        codes,
        alarms,
        groups["template_failed"].to_numpy(dtype=bool),
        groups["cut"].to_numpy(dtype=bool),
        groups["too_long"].to_numpy(dtype=bool),
        weights=groups["triggers"].to_numpy(dtype="int64"),
    )
    return pd.Series(counts, dtype="int64")


def title_kinds(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per title text: whether it was cut (exactly the limit long, ending in an ellipsis: ``title_overflow:
    truncate``) and whether it is over the limit (so StartIncident refuses it: ``title_overflow: reject``).

    Examples
    --------
    >>> cut, over = title_kinds(["short", "x" * 199 + ELLIPSIS, "x" * 201])
    >>> cut.tolist(), over.tolist()
    ([False, True, False], [False, False, True])
    """
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    ends = np.fromiter((t.endswith(ELLIPSIS) for t in texts), dtype=bool, count=len(texts))
    return (lengths == TITLE_LIMIT) & ends, lengths > TITLE_LIMIT


def title_counts(
    title: np.ndarray,
    alarm: np.ndarray,
    template_failed: np.ndarray,
    cut: np.ndarray,
    too_long: np.ndarray,
    *,
    weights: np.ndarray | None = None,
) -> dict[str, int]:
    """The counts of one :func:`title_cardinality` row from per-trigger arrays: the one rule behind the
    report's table and the tuning panel's previews (which count from a replay's codes, not its tables).

    Parameters
    ----------
    title : int array
        A code per distinct title text sent (-1: no title of its own, or an empty one).
    alarm : int array
        A code per alarm (by ARN).
    template_failed, cut, too_long : bool arrays
        The trigger was rejected with ``TemplateError``; its title was cut to the limit; it was
        rejected with ``ValidationException`` for a title over the limit.
    weights : int array, optional
        How many triggers each row stands for (default one each).

    Returns
    -------
    dict
        ``triggers``, ``distinct_titles``, ``collisions``, ``undefined_variables``, ``cut_titles``,
        ``over_limit``, as :func:`title_cardinality` documents them.

    Examples
    --------
    >>> import numpy as np
    >>> no = np.zeros(3, dtype=bool)
    >>> title_counts(np.array([0, 0, 1]), np.array([0, 1, 1]), no, no, no)["collisions"]
    1
    """
    title = np.asarray(title, dtype=np.int64)
    alarm = np.asarray(alarm, dtype=np.int64)
    failed = np.asarray(template_failed, dtype=bool)
    n = np.ones(len(title), dtype=np.int64) if weights is None else np.asarray(weights, dtype=np.int64)
    sent = (title >= 0) & ~failed
    titles, alarms = title[sent], alarm[sent]
    distinct, collisions = 0, 0
    if len(titles):
        pairs = np.unique(titles * (int(alarms.max()) + 1) + alarms)  # distinct (title, alarm)
        per_title = np.unique(pairs // (int(alarms.max()) + 1), return_counts=True)[1]
        distinct, collisions = len(per_title), int((per_title > 1).sum())
    return {
        "triggers": int(n.sum()),
        "distinct_titles": distinct,
        "collisions": collisions,
        "undefined_variables": int(n[failed].sum()),
        "cut_titles": int(n[np.asarray(cut, dtype=bool)].sum()),
        "over_limit": int(n[np.asarray(too_long, dtype=bool)].sum()),
    }
