"""The status of a game day: its live figures, and the incidents created so far from its own bookkeeping."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..policy import Policy
from ..replay.engine import Step


@dataclass(frozen=True)
class GameDayStatus:
    """The live figures of a game day (what the status line and the panel show)."""

    state: str
    position: int
    total: int
    sim_time: pd.Timestamp | None
    triggers_sent: int
    incidents_created: int
    incidents_open: int
    calls: int
    retries: int
    faults: int
    failed: int
    rejected: int
    wall_s: float

    def figures(self) -> str:
        """The figures after the event count, e.g.
        ``14:32:10 UTC  incidents 17 (12 open)  retries 5  faults 5  failed 0``."""
        when = f"{self.sim_time:%H:%M:%S} UTC" if self.sim_time is not None else "--:--:-- UTC"
        return (
            f"{when}  triggers {self.triggers_sent}  incidents {self.incidents_created} ({self.incidents_open} open)  "
            f"retries {self.retries}  faults {self.faults}  failed {self.failed}"
        )

    def line(self) -> str:
        """One terminal line: events played, the :meth:`figures` and the state."""
        return f"events {self.position}/{self.total}  {self.figures()}  {self.state}"


def call_figures(calls: Iterable[Mapping[str, Any]]) -> tuple[int, int, int]:
    """Calls made, retries (attempts past each call's first) and faults met (failed attempts), from timeline rows."""
    count = retries = faults = 0
    for call in calls:
        count += 1
        retries += int(call["attempts"]) - 1
        faults += len([code for code in str(call["faults"]).split(",") if code])
    return count, retries, faults


#: the columns of :meth:`IncidentLog.table` (and :meth:`GameDay.incidents_so_far`)
INCIDENT_LOG_COLUMNS = (
    "creation_time",
    "response_plan",
    "title",
    "impact",
    "alarm_name",
    "triggers",
    "status",
    "incident_arn",
)


class IncidentLog:
    """The incidents a game day's steps created and the triggers that reached each, kept as the steps are played.

    No service calls: the table shows what each incident was created with (the title and impact
    sent, or the plan's own) and whether the replay's bookkeeping has it open.
    """

    def __init__(self, policy: Policy):
        self._plans = policy.plans
        self._created: list[Step] = []
        self._reached: Counter[str] = Counter()

    def add(self, step: Step) -> None:
        if step.outcome == "created":
            self._created.append(step)
        if step.outcome in ("created", "deduplicated"):
            self._reached[step.incident_arn] += 1

    def table(self, open_arns: Iterable[str]) -> pd.DataFrame:
        """The incidents, newest first; ``open_arns`` are those still open."""
        still_open = set(open_arns)
        rows = []
        for step in self._created:
            plan = self._plans[step.response_plan]
            rows.append(
                [
                    step.time,
                    plan.name,
                    step.title or plan.title,
                    int(step.impact or plan.impact),
                    step.alarm_name,
                    self._reached[step.incident_arn],
                    "OPEN" if step.incident_arn in still_open else "RESOLVED",
                    step.incident_arn,
                ]
            )
        table = pd.DataFrame(rows, columns=list(INCIDENT_LOG_COLUMNS))
        return table.iloc[::-1].reset_index(drop=True)
