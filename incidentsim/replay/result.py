"""ReplayResult: the events and incidents tables of a replay, its summary, explanations and writers."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ..constants import OUTCOMES

EVENT_RESULT_COLUMNS = (
    "response_plan",
    "client_token",
    "dedupe_string",
    "impact",
    "title",
    "outcome",
    "dedup_reason",
    "incident_arn",
    "error_code",
    "explanation",
)
INCIDENT_COLUMNS = (
    "incident_arn",
    "response_plan",
    "title",
    "impact",
    "status",
    "creation_time",
    "resolved_time",
    "trigger_count",
    "dedupe_string",
    "alarm_names",
)
SUMMARY_KEYS = (
    "events",
    "triggers",
    "created",
    "deduplicated",
    "deduplicated_by_token",
    "deduplicated_by_dedupe_string",
    "ignored",
    "rejected",
    "failed",
    "dedup_ratio",
)


class ReplayResult:
    """What a replay produced.

    Attributes
    ----------
    events : DataFrame
        One row per AlarmFrame row: the input columns, then ``response_plan``,
        ``client_token``, ``dedupe_string``, ``impact``, ``title``, ``outcome``
        (created | deduplicated | ignored | rejected | failed), ``dedup_reason``
        (client_token | dedupe_string | ""), ``incident_arn``, ``error_code`` and
        ``explanation`` (one sentence: why this row had this outcome).  The
        sentences are written the first time the table is read, not before: the
        counts, analyses and panels read :meth:`event_table` without them.
    incidents : DataFrame
        One row per incident record created, as the service reports it.
    engine : str
        The engine that ran.
    policy_name : str
    """

    def __init__(
        self,
        events: pd.DataFrame,
        incidents: pd.DataFrame,
        engine: str = "emulator",
        policy_name: str = "policy",
        meta: dict[str, Any] | None = None,
        explain: Callable[[], pd.Series] | None = None,
    ):
        self._events = events
        self._explain = explain if "explanation" not in events.columns else None
        self.incidents = incidents
        self.engine = engine
        self.policy_name = policy_name
        self.meta = dict(meta or {})

    @property
    def events(self) -> pd.DataFrame:
        if self._explain is not None:
            self._events = self._events.assign(explanation=self._explain())
            self._explain = None
        return self._events

    def event_table(self, explanations: bool = True) -> pd.DataFrame:
        """The events table; without ``explanations`` the sentences are left out (unless already written)."""
        return self.events if explanations else self._events

    def summary(self) -> dict[str, Any]:
        """The headline counts; ``dedup_ratio`` is deduplicated triggers over all triggers that reached the service."""
        events = self.event_table(explanations=False)
        outcomes = events["outcome"].value_counts(sort=False)
        reasons = events["dedup_reason"].value_counts(sort=False)
        return summary_of_counts(len(events), outcomes.to_dict(), reasons.to_dict())

    def summary_text(self) -> str:
        """The summary as a few sentences a person reads."""
        by_plan = (
            self.incidents.groupby("response_plan", observed=True).size()
            if len(self.incidents)
            else pd.Series(dtype="int64")
        )
        return summary_sentences(self.summary(), self.policy_name, self.engine, by_plan, self._refusal_lines)

    def _refusal_lines(self, kind: str, total: int, shown: int = 5) -> list[str]:
        """``rejected: 351 x TemplateError on route 'checkout' (why)``, most first; the codes alone for a
        result that did not record routes and reasons (``meta["rejections"]``, written by the engines)."""
        groups = [group for group in self.meta.get("rejections", ()) if group["outcome"] == kind]
        if groups:
            return refusal_lines(groups, kind, total, shown)
        events = self.event_table(explanations=False)
        codes = events.loc[events["outcome"] == kind, "error_code"].value_counts()
        codes = codes[codes > 0]  # a categorical column counts its unused codes too
        return [f"  {kind}: " + ", ".join(f"{count:,} x {code}" for code, count in codes.items())]

    def explain(self, event_id: str) -> str:
        """Why the event ``event_id`` had its outcome, in words."""
        matches = self.events.index[self.events["event_id"] == event_id]
        if len(matches) == 0:
            raise KeyError(f"no event with event_id {event_id!r} in this result")
        row = self.events.loc[matches[0]]
        when = pd.Timestamp(row["timestamp"]).strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"{row['alarm_name']} at {when}: {row['outcome']}. {row['explanation']}"

    def __repr__(self) -> str:
        return f"ReplayResult(\n{self.summary_text()}\n)"

    def _repr_html_(self) -> str:
        import html

        return f"<pre>{html.escape(self.summary_text())}</pre>"

    @classmethod
    def read(cls, folder: str | Path) -> ReplayResult:
        """A result written by :meth:`to_csv` or :meth:`to_parquet` (as ``incidentsim replay`` does)."""
        folder = Path(folder)
        summary_path = folder / "summary.json"
        if not summary_path.is_file():
            raise FileNotFoundError(f"{folder} holds no replay result (no summary.json)")
        summary = json.loads(summary_path.read_text())
        kind = "parquet" if (folder / "events.parquet").exists() else "csv"
        if kind == "parquet":  # a file, or a dataset folder as the dask engine writes
            events = pd.read_parquet(folder / "events.parquet")
            incidents = pd.read_parquet(folder / "incidents.parquet")
            events = events.sort_values("timestamp", kind="stable", ignore_index=True)
            incidents = incidents.sort_values(["creation_time", "incident_arn"], kind="stable", ignore_index=True)
        else:
            events = pd.read_csv(folder / "events.csv", dtype=str, keep_default_na=False)
            incidents = pd.read_csv(folder / "incidents.csv", dtype=str, keep_default_na=False)
            events["timestamp"] = pd.to_datetime(events["timestamp"], utc=True, format="ISO8601")
            events["impact"] = pd.to_numeric(events["impact"].replace("", None)).astype("Int64")
            events["duplicate"] = events["duplicate"] == "True"
            for column in ("creation_time", "resolved_time"):
                incidents[column] = pd.to_datetime(incidents[column].replace("", None), utc=True, format="ISO8601")
            for column in ("impact", "trigger_count"):
                incidents[column] = incidents[column].astype("int64")
        events["outcome"] = pd.Categorical(events["outcome"], categories=list(OUTCOMES))
        incidents["alarm_names"] = incidents["alarm_names"].map(
            lambda names: tuple(names.split(";")) if isinstance(names, str) and names else ()
        )
        meta = {k: v for k, v in summary.items() if k not in (*SUMMARY_KEYS, "engine", "policy")}
        return cls(
            events=events,
            incidents=incidents,
            engine=summary.get("engine", "emulator"),
            policy_name=summary.get("policy", "policy"),
            meta=meta,
        )

    # ------------------------------------------------------------------ writers

    def to_csv(self, folder: str | Path) -> dict[str, Path]:
        """Write ``events.csv``, ``incidents.csv`` and ``summary.json`` into ``folder``."""
        return self._write(Path(folder), "csv")

    def to_parquet(self, folder: str | Path) -> dict[str, Path]:
        """Write ``events.parquet``, ``incidents.parquet`` and ``summary.json`` into ``folder``."""
        return self._write(Path(folder), "parquet")

    def _write(self, folder: Path, kind: str) -> dict[str, Path]:
        folder.mkdir(parents=True, exist_ok=True)
        paths = {
            "events": folder / f"events.{kind}",
            "incidents": folder / f"incidents.{kind}",
            "summary": folder / "summary.json",
        }
        incidents = self.incidents.assign(alarm_names=self.incidents["alarm_names"].map(lambda names: ";".join(names)))
        if kind == "csv":
            self.events.to_csv(paths["events"], index=False)
            incidents.to_csv(paths["incidents"], index=False)
        else:
            self.events.to_parquet(paths["events"], index=False)
            incidents.to_parquet(paths["incidents"], index=False)
        summary = {**self.summary(), "engine": self.engine, "policy": self.policy_name, **self.meta}
        paths["summary"].write_text(json.dumps(summary, indent=2, default=str) + "\n")
        return paths


def summary_of_counts(events: int, outcomes: Mapping[str, int], reasons: Mapping[str, int]) -> dict[str, Any]:
    """:meth:`ReplayResult.summary` from counts: ``events`` rows, how many had each outcome and each dedup reason.

    The one place the headline figures are worked out, for a finished result and for a replay
    in progress (:meth:`~incidentsim.replay.engine.EmulatorReplay.summary`) alike.

    Examples
    --------
    >>> summary_of_counts(4, {"created": 1, "deduplicated": 1, "ignored": 2}, {"dedupe_string": 1})["dedup_ratio"]
    0.5
    """
    created = int(outcomes.get("created", 0))
    deduplicated = int(outcomes.get("deduplicated", 0))
    rejected = int(outcomes.get("rejected", 0))
    failed = int(outcomes.get("failed", 0))
    return {
        "events": int(events),
        "triggers": created + deduplicated + rejected + failed,
        "created": created,
        "deduplicated": deduplicated,
        "deduplicated_by_token": int(reasons.get("client_token", 0)),
        "deduplicated_by_dedupe_string": int(reasons.get("dedupe_string", 0)),
        "ignored": int(outcomes.get("ignored", 0)),
        "rejected": rejected,
        "failed": failed,
        "dedup_ratio": round(deduplicated / (created + deduplicated), 4) if created + deduplicated else 0.0,
    }


def summary_sentences(
    s: dict[str, Any], policy_name: str, engine: str, by_plan: pd.Series, refusals: Callable[[str, int], list[str]]
) -> str:
    """The sentences of :meth:`ReplayResult.summary_text` from a summary, the incidents per plan and the
    lines that say what was rejected or failed (``refusals(kind, total)``)."""
    lines = [
        f"{s['events']:,} alarm state changes replayed with policy '{policy_name}' ({engine} engine):",
        f"  {s['triggers']:,} entered ALARM and reached StartIncident -> {s['created']:,} incidents created, "
        f"{s['deduplicated']:,} deduplicated ({s['deduplicated_by_dedupe_string']:,} by dedupe string, "
        f"{s['deduplicated_by_token']:,} by clientToken), {s['rejected']:,} rejected"
        + (f", {s['failed']:,} failed (retries ran out)" if s["failed"] else ""),
        f"  {s['ignored']:,} started nothing (returns to OK, repeats, suppressed actions, ignored routes)",
        f"  dedup ratio {s['dedup_ratio']:.1%}: of the calls the service accepted, this share opened no new incident",
    ]
    for kind in ("rejected", "failed"):
        if s[kind]:
            lines += refusals(kind, s[kind])
    by_plan = by_plan[by_plan > 0].sort_values(ascending=False)
    if len(by_plan):
        lines.append("  incidents per plan: " + ", ".join(f"{plan} {count:,}" for plan, count in by_plan.items()))
    return "\n".join(lines)


def refusal_lines(groups: list[dict[str, Any]], kind: str, total: int, shown: int = 5) -> list[str]:
    """``rejected: 351 x TemplateError on route 'checkout' (why)`` for the first ``shown`` of ``groups``
    (as ``meta["rejections"]`` holds them), and a line for the rest."""
    lines = []
    for group in groups[:shown]:
        where = f"on route '{group['route']}'" if group["route"] else "on alarms no route matched"
        reason = f" ({group['reason']})" if group["reason"] else ""
        lines.append(f"  {kind}: {group['triggers']:,} x {group['error_code']} {where}{reason}")
    rest = total - sum(group["triggers"] for group in groups[:shown])
    if rest:
        lines.append(
            f"  {kind}: {rest:,} more for other routes or reasons "
            "(the events table's error_code and explanation say which)"
        )
    return lines
