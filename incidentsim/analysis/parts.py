"""Analyses of a history replayed in parts: what each part computes, and how the parts combine.

The dask engine replays a history partition by partition, each holding whole
alarms (every row of an alarm, every incident it fed).  So an alarm's figures
from its part are final, counts per plan and per period add up over parts, and
storms, which join alarms of different parts, are found again over the entries
into ALARM of every part.  :func:`part` runs where a part's result is (a Dask
worker) and returns something small; :func:`combine` puts the parts together.
Analyses of the incidents alone run on the incidents table itself, which is far
smaller than the events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..constants import OUTCOMES
from ..params import Options, validate_params
from ._common import period_index
from .noise import NoiseThresholds, alarm_entries, entry_rows, noise_classes, with_storms
from .titles import title_groups, title_table
from .volumes import combine_outcomes, outcomes_by, trigger_volume

__all__ = ["EVENT_ANALYSES", "Part", "combine", "part"]

#: The analyses that read the events table, computed part by part.
EVENT_ANALYSES = ("trigger_volume", "outcomes_by", "noise_classes", "title_cardinality")


@dataclass(frozen=True)
class Part:
    """A part of a replayed history: its tables, and the span of the whole history."""

    events: pd.DataFrame
    incidents: pd.DataFrame
    span: tuple[pd.Timestamp, pd.Timestamp] | None


@validate_params({"name": [Options(EVENT_ANALYSES)]})
def part(name: str, result: Any, span: tuple[pd.Timestamp, pd.Timestamp] | None, kwargs: Mapping[str, Any]) -> Any:
    """What one part contributes to the analysis ``name`` (one of :data:`EVENT_ANALYSES`) with ``kwargs``."""
    # the sentences are read only for the titles' count of over-limit titles
    events = result.events if name == "title_cardinality" else result.event_table(explanations=False)
    view = Part(events, result.incidents, span)
    if name == "trigger_volume":
        return trigger_volume(view, **kwargs)
    if name == "outcomes_by":
        return outcomes_by(view, **kwargs)
    if name == "noise_classes":
        table, entries = noise_classes(view, **kwargs), alarm_entries(view)
        # the entries travel as (time, row of this part's table): 12 bytes each, not two texts
        return table, entries["time"].to_numpy(dtype=np.int64), entry_rows(table, entries)
    if name == "title_cardinality":
        return title_groups(view)
    raise AssertionError(name)  # validate_params admits only EVENT_ANALYSES


@validate_params({"name": [Options(EVENT_ANALYSES)]})
def combine(
    name: str, parts: Sequence[Any], span: tuple[pd.Timestamp, pd.Timestamp] | None, kwargs: Mapping[str, Any]
) -> Any:
    """The analysis ``name`` of the whole history from what :func:`part` returned for each part."""
    empty = Part(
        pd.DataFrame({"timestamp": pd.Series([], dtype="datetime64[ns, UTC]"), "outcome": pd.Series([], dtype=object)}),
        pd.DataFrame({"creation_time": pd.Series([], dtype="datetime64[ns, UTC]")}),
        span,
    )
    if name == "trigger_volume":
        total = trigger_volume(empty, **kwargs)  # checks the parameters; zeros over the whole span
        index = period_index(span, kwargs.get("freq", "1D"))
        for piece in parts:
            total = total.add(piece.reindex(index=index, fill_value=0), fill_value=0)
        return total.reindex(columns=pd.Index(list(OUTCOMES), name="outcome")).astype("int64")
    if name == "outcomes_by":
        if not parts:
            return outcomes_by(Part(_no_events(), empty.incidents, span), **kwargs)
        return combine_outcomes(list(parts), by=kwargs.get("by", "plan"))
    if name == "noise_classes":
        if not parts:
            return noise_classes(empty, **kwargs)
        limits = NoiseThresholds.parse(**kwargs)
        offsets = np.cumsum([0, *[len(piece[0]) for piece in parts]])
        table = pd.concat([piece[0] for piece in parts], ignore_index=True)
        order = np.argsort(
            pd.MultiIndex.from_frame(table[["alarm_arn", "alarm_name"]]).argsort(), kind="stable"
        )  # row -> sorted place
        times = np.concatenate([piece[1] for piece in parts])
        rows = np.concatenate([piece[2].astype(np.int64) + offset for piece, offset in zip(parts, offsets)])
        table = table.sort_values(["alarm_arn", "alarm_name"], kind="stable").reset_index(drop=True)
        return with_storms(table, times, order[rows], limits)
    if name == "title_cardinality":
        if not parts:
            return title_table(title_groups(Part(_no_events(), empty.incidents, span)))
        return title_table(pd.concat(list(parts), ignore_index=True))
    raise AssertionError(name)  # validate_params admits only EVENT_ANALYSES


def _no_events() -> pd.DataFrame:
    columns = (
        "timestamp",
        "alarm_arn",
        "alarm_name",
        "response_plan",
        "state",
        "previous_state",
        "outcome",
        "dedup_reason",
        "error_code",
        "title",
        "explanation",
    )
    return pd.DataFrame(
        {c: pd.Series([], dtype="datetime64[ns, UTC]" if c == "timestamp" else object) for c in columns}
    )
