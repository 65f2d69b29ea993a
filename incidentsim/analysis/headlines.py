"""The figures a report leads with, in one dictionary."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..constants import IMPACTS, TRIGGER_OUTCOMES
from ..params import TimeZone, validate_params
from ._common import ResultLike, delegate, text
from .people import interruptions, shift_summary
from .volumes import impact_mix

__all__ = ["headline"]


@validate_params({"tz": [TimeZone()]})
def headline(result: ResultLike, tz: str = "UTC") -> dict[str, Any]:
    """The replay's headline figures.

    Parameters
    ----------
    result : ReplayResult
        Anything with ``events`` and ``incidents`` tables.
    tz : str
        Time zone of the people on call, for ``off_hours_interruptions`` and
        ``shifts_over_limit`` (a ``zoneinfo`` name).

    Returns
    -------
    dict
        Plain Python values:

        - ``events``: state changes replayed
        - ``triggers``: rows that reached StartIncident (created + deduplicated + rejected)
        - ``incidents``: incident records created
        - ``dedup_ratio``: deduplicated / (created + deduplicated), rounded to 4 places,
          0.0 when neither happened (the same figure as ``ReplayResult.summary()``)
        - ``incidents_by_impact``: ``{1: n, ..., 5: n}``
        - ``off_hours_interruptions``: incidents created outside business hours
          (off hours plus sleep hours, with :func:`interruptions`' defaults)
        - ``shifts_over_limit``: 12-hour shifts from 08:00 with more than two incidents

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> created = pd.to_datetime(["2024-04-01 10:00", "2024-04-01 23:30"], utc=True)
    >>> events = pd.DataFrame({"timestamp": created, "outcome": ["created", "created"], "dedup_reason": ""})
    >>> incidents = pd.DataFrame({"creation_time": created, "impact": [2, 4]})
    >>> figures = headline(SimpleNamespace(events=events, incidents=incidents))
    >>> figures["incidents"], figures["off_hours_interruptions"], figures["incidents_by_impact"][2]
    (2, 1, 1)
    """
    found = delegate(result, "headline", tz=tz)
    if found is not None:
        return found
    events = result.events
    outcome = text(events["outcome"]) if "outcome" in events.columns else pd.Series([], dtype=object)
    created = int((outcome == "created").sum())
    deduplicated = int((outcome == "deduplicated").sum())
    mix = impact_mix(result).set_index("impact")["incidents"]
    away = interruptions(result, tz=tz).set_index("category")["incidents"]
    shifts = shift_summary(result, tz=tz)
    return {
        "events": len(events),
        "triggers": int(outcome.isin(TRIGGER_OUTCOMES).sum()),
        "incidents": len(result.incidents),
        "dedup_ratio": round(deduplicated / (created + deduplicated), 4) if created + deduplicated else 0.0,
        "incidents_by_impact": {level: int(mix[level]) for level in IMPACTS},
        "off_hours_interruptions": int(away["off_hours"] + away["sleep_hours"]),
        "shifts_over_limit": int(shifts.loc[0, "shifts_over_limit"]),
    }
