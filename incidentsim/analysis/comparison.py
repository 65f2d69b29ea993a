"""Before and after: what changed, per alarm or per response plan, between two replays of one history."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..params import Options, validate_params

if TYPE_CHECKING:  # pragma: no cover
    from ..replay.result import ReplayResult

__all__ = ["compare"]

#: What :func:`compare` groups by, for each value of its ``by``.
_KEYS = {"alarm": ["alarm_arn", "alarm_name"], "plan": ["response_plan"]}
#: The columns of :func:`compare` after the ``_KEYS``.
_COLUMNS = [
    "incidents_a",
    "incidents_b",
    "incidents_diff",
    "deduplicated_a",
    "deduplicated_b",
    "deduplicated_diff",
    "triggers_a",
    "triggers_b",
]


@validate_params({"by": [Options(tuple(_KEYS))]})
def compare(result_a: ReplayResult, result_b: ReplayResult, by: str = "alarm") -> pd.DataFrame:
    """Incidents and deduplications per alarm (or per response plan) under two replays, and the difference.

    Parameters
    ----------
    by : {"alarm", "plan"}
        ``"alarm"`` groups by alarm ARN (with its name); ``"plan"`` by response plan.

    Returns
    -------
    DataFrame
        ``incidents_a``, ``incidents_b``, ``incidents_diff`` (b - a), ``deduplicated_a``,
        ``deduplicated_b``, ``deduplicated_diff``, ``triggers_a``, ``triggers_b``; sorted by the
        largest change in incidents.

    Examples
    --------
    >>> import incidentsim
    >>> history = "data/alarm-events.jsonl"
    >>> before = incidentsim.replay(history, "data/sample-policy.yaml", engine="fast")  # doctest: +SKIP
    >>> after = incidentsim.replay(history, "tuned-policy.yaml", engine="fast")  # doctest: +SKIP
    >>> compare(before, after, by="plan")[["response_plan", "incidents_diff"]]  # doctest: +SKIP
    """
    table = _counts(result_a, by, "a").join(_counts(result_b, by, "b"), how="outer").fillna(0).astype("int64")
    table["incidents_diff"] = table["incidents_b"] - table["incidents_a"]
    table["deduplicated_diff"] = table["deduplicated_b"] - table["deduplicated_a"]
    table = table[_COLUMNS]
    order = table["incidents_diff"].abs().sort_values(ascending=False, kind="stable").index
    return table.loc[order].reset_index()


def _counts(result: ReplayResult, by: str, suffix: str) -> pd.DataFrame:
    """Incidents created, deduplications and triggers per alarm or plan in one result, as ``*_{suffix}`` columns."""
    events = result.event_table(explanations=False)
    if by == "plan":
        events = events[events["response_plan"] != ""]
    grouped = events.groupby(_KEYS[by], observed=True)["outcome"]
    return pd.DataFrame(
        {
            f"incidents_{suffix}": grouped.apply(lambda s: int((s == "created").sum())),
            f"deduplicated_{suffix}": grouped.apply(lambda s: int((s == "deduplicated").sum())),
            f"triggers_{suffix}": grouped.apply(
                lambda s: int(s.isin(["created", "deduplicated", "rejected", "failed"]).sum())
            ),
        }
    )
