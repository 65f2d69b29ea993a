"""The journal and resume: everything a game day plays, appended as it happens, and how a run carries on from it.

The journal (``journal.jsonl`` in a game day's ``out`` folder) is JSON Lines: a ``header`` line
(scenario, fingerprint, total, endpoint), then for each event played the ``call`` lines of the
service calls it made and its ``event`` line (row, event id, outcome, incident, error), a
``faults`` line when the game day ends, and a ``resume`` line each time it is carried on.
A crash (a killed process, a power cut) can cut the last line short at any byte: that line is
ignored when the journal is read and cut off before a resumed game day appends to it.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..replay.engine import Answer, EmulatorReplay, Step
from .errors import GameDayError

#: the journal's file name in a game day's ``out`` folder
JOURNAL = "journal.jsonl"

#: how often (at most) the journal is forced to disk; every event is flushed to the operating system
SYNC_EVERY_S = 1.0
#: how every journal's first line begins
_HEADER_START = b'{"kind": "header"'


class HeaderCutShort(GameDayError):
    """A journal whose header line was cut short: the game day stopped before it played anything."""


def scan_journal(path: Path) -> tuple[dict[str, Any], int]:
    """A journal's records (as :func:`read_journal` returns them) and the length in bytes of its complete part.

    The journal is read as bytes, line by line: a crash can cut the last line anywhere, even
    inside a multi-byte character, so a last line that is not UTF-8 JSON is taken as cut short
    and left out of the complete part, while such a line followed by more is damage.  Calls
    journaled ahead of an event line that never made it belong to an event that will be played
    again; they are left out too.
    """
    data = path.read_bytes()
    header: dict[str, Any] = {}
    answers: dict[int, dict[str, Any]] = {}
    calls: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []  # calls of the event being journaled
    injected: Counter[str] = Counter()
    lines = data.split(b"\n")  # the last item is whatever follows the last newline
    complete = start = 0
    for number, raw in enumerate(lines, 1):
        end = start + len(raw)
        ended = number < len(lines)  # the line has its newline
        if not raw.strip():
            if ended:
                complete = end + 1
            start = end + 1
            continue
        try:
            item = json.loads(raw.decode("utf-8"))
        except ValueError:  # JSONDecodeError and UnicodeDecodeError both are
            item = None
        if not isinstance(item, dict):
            if any(rest.strip() for rest in lines[number:]):
                raise GameDayError(
                    f"{path}:{number}: not a JSON line, and more follows: the journal is damaged"
                ) from None
            break  # a line cut short by a crash can only be the last one
        complete = end + 1 if ended else end
        start = end + 1
        kind = item.pop("kind", "")
        if kind in ("header", "resume"):
            pending.clear()
            if kind == "header":
                header = item
        elif kind == "event":
            answers[int(item["i"])] = item
            calls.extend(pending)
            pending.clear()
        elif kind == "call":
            pending.append(item)
        elif kind == "faults":
            injected.update(item.get("injected", {}))
    if not header:
        if b"\n" not in data and (_HEADER_START.startswith(data) or data.startswith(_HEADER_START)):
            raise HeaderCutShort(
                f"{path}:1: the header line is cut short: the game day stopped before it played anything"
            )
        raise GameDayError(f"{path}: no header line; this is not a game-day journal")
    positions = sorted(answers)
    if positions != list(range(len(positions))):
        raise GameDayError(f"{path}: events played are not a run from the first ({positions[:3]}...)")
    return {"header": header, "answers": answers, "calls": calls, "injected": dict(injected)}, complete


@dataclass
class Journal:
    """An append-only JSON Lines record of what was played, flushed after every event.

    Every record is one line, written whole and flushed to the operating system after each
    event (so a killed process loses at most the event in flight) and forced to disk at most
    every :data:`SYNC_EVERY_S` seconds and on close.  Opened to carry on (``fresh=False``), it
    first cuts off a last line left incomplete by a crash, so what is appended starts on a
    line of its own.
    """

    path: Path | None
    handle: Any = None
    synced_at: float = 0.0

    def open(self, header: dict[str, Any], fresh: bool) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not fresh:
            self._cut_torn_tail()
        self.handle = self.path.open("wb" if fresh else "ab")
        self.write({"kind": "header" if fresh else "resume", **header})
        self.flush(sync=True)

    def _cut_torn_tail(self) -> None:
        """Keep only the complete lines (and end the last one with its newline if the crash took just that)."""
        assert self.path is not None
        _, complete = scan_journal(self.path)
        with self.path.open("r+b") as handle:
            handle.seek(complete)
            handle.truncate()
            if complete:
                handle.seek(complete - 1)
                if handle.read(1) != b"\n":
                    handle.write(b"\n")
            handle.flush()
            os.fsync(handle.fileno())

    def write(self, item: dict[str, Any]) -> None:
        if self.handle is not None:
            self.handle.write(json.dumps(item, default=str).encode("utf-8") + b"\n")

    def flush(self, sync: bool = False) -> None:
        if self.handle is None:
            return
        self.handle.flush()
        now = time.monotonic()
        if sync or now - self.synced_at >= SYNC_EVERY_S:
            os.fsync(self.handle.fileno())
            self.synced_at = now

    def close(self) -> None:
        if self.handle is not None:
            self.flush(sync=True)
            self.handle.close()
            self.handle = None


def read_journal(path: str | Path) -> dict[str, Any]:
    """A journal's header, the answers of the events played (by row) and the calls made.

    A last line cut short by a crash is left out, with the calls of its event; a line that is
    not JSON followed by more lines raises :class:`GameDayError` (the journal is damaged), as
    does a journal without a header line.
    """
    return scan_journal(Path(path))[0]


def restore(replay: EmulatorReplay, journal: dict[str, Any], client: Any) -> list[Step]:
    """Play a journal's events again on a fresh ``replay``, so that it stands where the journaled run stopped.

    When the endpoint still holds the run's incidents (``client`` finds the first one), nothing
    is sent: every event takes its journaled answer and the resolutions falling due are taken as
    made.  On a fresh endpoint the triggers that reached an incident are sent again (the
    emulator's ids are seeded, so the same incidents come back, which is checked); the rest take
    their journaled answer.  Returns the steps played; raises :class:`GameDayError` when an
    answer differs from the journal's.
    """
    answers = journal["answers"]
    created = [a["incident_arn"] for a in answers.values() if a["outcome"] == "created"]
    still_there = False
    if created:
        try:
            client.get_incident_record(arn=created[0])
            still_there = True
        except client.exceptions.ResourceNotFoundException:
            still_there = False
    steps = []
    for i in range(len(answers)):
        saved = answers[i]
        recorded = Answer(
            saved["outcome"], saved.get("incident_arn", ""), saved.get("error_code", ""), saved.get("error_message", "")
        )
        sent_before = saved["outcome"] in ("created", "deduplicated")
        step = replay.step(recorded if still_there or not sent_before else None, offline=still_there)
        if step.trigger and (step.outcome, step.incident_arn) != (saved["outcome"], saved.get("incident_arn", "")):
            raise GameDayError(
                f"restoring event {i} ({saved.get('event_id')}) gave {step.outcome} {step.incident_arn}, but the "
                f"journal has {saved['outcome']} {saved.get('incident_arn', '')}: the endpoint does not hold what the "
                "run left behind"
            )
        steps.append(step)
    return steps


def journal_step(journal: Journal, step: Step) -> None:
    """Append what playing one event did: its calls, then its event line; flushed to the operating system."""
    for call in step.calls:
        journal.write({"kind": "call", **call})
    journal.write(
        {
            "kind": "event",
            "i": step.index,
            "event_id": step.event_id,
            "outcome": step.outcome,
            "incident_arn": step.incident_arn,
            "error_code": step.error_code,
            "error_message": step.error_message,
        }
    )
    journal.flush()
