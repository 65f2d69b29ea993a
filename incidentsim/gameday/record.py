"""The record of a game day: the replay result, every call sent and the faults met; and its check against a replay."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..replay.result import ReplayResult
from .status import GameDayStatus


@dataclass(frozen=True, eq=False)
class GameDayRecord:
    """What a game day did: the replay result, every call sent, and the faults met.

    Attributes
    ----------
    scenario : str
    result : ReplayResult
        The events played (one row each, with its outcome) and the incidents they created, so
        reports, plots and :func:`incidentsim.compare` work on a game day as on a replay.
    timeline : DataFrame
        One row per service call: ``operation`` (StartIncident or UpdateIncidentRecord),
        ``event_index``, ``event_id``, ``sim_time``, ``wall_s`` (seconds into the game day),
        ``duration_s``, ``attempts``, ``faults`` (error codes of the failed attempts, comma
        separated), ``error_code`` (when the call failed for good), ``outcome``, ``incident_arn``.
    faults_injected : dict
        What the emulator injected, by kind (throttle, server_error, commit_then_fail).
    status : GameDayStatus
    complete : bool
        True when every event was played.
    """

    scenario: str
    result: ReplayResult
    timeline: pd.DataFrame
    faults_injected: dict[str, int]
    status: GameDayStatus
    complete: bool

    def faults_met(self) -> dict[str, int]:
        """Failed attempts the client saw, by error code."""
        codes: Counter[str] = Counter()
        for text in self.timeline["faults"].astype(str):
            codes.update(code for code in text.split(",") if code)
        return dict(codes)

    def summary(self) -> dict[str, Any]:
        """The replay summary plus the game day's own figures."""
        timeline = self.timeline
        return {
            **self.result.summary(),
            "scenario": self.scenario,
            "complete": self.complete,
            "played": self.status.position,
            "total": self.status.total,
            "calls": int(len(timeline)),
            "retries": int((timeline["attempts"] - 1).sum()) if len(timeline) else 0,
            "calls_retried": int((timeline["attempts"] > 1).sum()) if len(timeline) else 0,
            "faults_met": int(sum(self.faults_met().values())),
            "faults_injected": int(sum(self.faults_injected.values())),
            "wall_s": round(self.status.wall_s, 3),
        }

    def summary_text(self) -> str:
        s = self.summary()
        played = "all" if s["complete"] else f"{s['played']:,} of {s['total']:,}"
        met = ", ".join(f"{n:,} x {code}" for code, n in sorted(self.faults_met().items())) or "none"
        return "\n".join(
            [
                f"Game day '{self.scenario}': {played} events played in {s['wall_s']:.1f} s; {s['calls']:,} calls, "
                f"{s['calls_retried']:,} retried ({s['retries']:,} retries); faults met: {met}.",
                self.result.summary_text(),
            ]
        )

    def __repr__(self) -> str:
        return f"GameDayRecord(\n{self.summary_text()}\n)"

    def write(self, folder: str | Path) -> dict[str, Path]:
        """events.csv, incidents.csv and summary.json (as a replay writes them), plus timeline.csv and gameday.json."""
        folder = Path(folder)
        paths = self.result.to_csv(folder)
        paths["timeline"] = folder / "timeline.csv"
        self.timeline.to_csv(paths["timeline"], index=False)
        paths["gameday"] = folder / "gameday.json"
        data = {
            **self.summary(),
            "faults_met_by_code": self.faults_met(),
            "faults_injected_by_kind": self.faults_injected,
        }
        paths["gameday"].write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
        return paths


def nothing_lost(record: GameDayRecord, reference: ReplayResult) -> pd.DataFrame:
    """Incidents that differ between a game day and the fault-free replay of its scenario.

    Incidents are compared by response plan, title, impact, trigger count, creation time and
    the alarms that fed them; an empty frame means the same incidents were created.  The
    ``side`` column says where a row was found only (``game_day`` or ``replay``).
    """
    keys = ["response_plan", "title", "impact", "trigger_count", "creation_time", "alarm_names"]

    def rows(table: pd.DataFrame) -> pd.DataFrame:
        out = table[keys].copy()
        out["alarm_names"] = out["alarm_names"].map(
            lambda names: ";".join(names) if isinstance(names, (tuple, list)) else str(names)
        )
        return out

    merged = rows(record.result.incidents).merge(rows(reference.incidents), how="outer", on=keys, indicator=True)
    different = merged[merged["_merge"] != "both"].copy()
    different["side"] = different.pop("_merge").map({"left_only": "game_day", "right_only": "replay"}).astype(str)
    return different.reset_index(drop=True)
