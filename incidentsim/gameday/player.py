"""The game-day player: a scenario's triggers sent at scaled time to a live endpoint, with faults.

The player paces an :class:`~incidentsim.replay.engine.EmulatorReplay`: each alarm
state change is played when its simulated time comes round (``speed`` simulated
seconds per wall second), through a boto3 client in botocore's standard retry
mode, so throttles and 500s are retried with the same ``clientToken`` as in
production.  By default it starts ``incidentsim serve`` on 127.0.0.1 for the
session, so people can watch with the AWS CLI while it plays.

Everything played is appended to a journal (``journal.jsonl`` in ``out``) as it
happens; stopping, Ctrl-C or a crash writes the partial record, and a new
:class:`GameDay` with ``resume=True`` carries on from the last event played.
A crash (a killed process, a power cut) can cut the journal's last line short at
any byte: that line is ignored when the journal is read and cut off before a
resumed game day appends to it, so a game day can be crashed and resumed any
number of times.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..replay.engine import Answer, EmulatorReplay, _Session
from ..replay.result import ReplayResult
from .scenario import Scenario, load_scenario, parse_speed

STATES = ("ready", "playing", "paused", "stopped", "finished", "crashed")
JOURNAL = "journal.jsonl"


class GameDayError(RuntimeError):
    """A game day that cannot go on (a journal of another scenario, an endpoint already in use, ...)."""


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
        """The figures after the event count, e.g. ``14:32:10 UTC  incidents 17 (12 open)  retries 5  faults 5  failed 0``."""
        when = f"{self.sim_time:%H:%M:%S} UTC" if self.sim_time is not None else "--:--:-- UTC"
        return (
            f"{when}  triggers {self.triggers_sent}  incidents {self.incidents_created} ({self.incidents_open} open)  "
            f"retries {self.retries}  faults {self.faults}  failed {self.failed}"
        )

    def line(self) -> str:
        """One terminal line: events played, the :meth:`figures` and the state."""
        return f"events {self.position}/{self.total}  {self.figures()}  {self.state}"


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
        data = {**self.summary(), "faults_met_by_code": self.faults_met(), "faults_injected_by_kind": self.faults_injected}
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
        out["alarm_names"] = out["alarm_names"].map(lambda names: ";".join(names) if isinstance(names, (tuple, list)) else str(names))
        return out

    merged = rows(record.result.incidents).merge(rows(reference.incidents), how="outer", on=keys, indicator=True)
    different = merged[merged["_merge"] != "both"].copy()
    different["side"] = different.pop("_merge").map({"left_only": "game_day", "right_only": "replay"}).astype(str)
    return different.reset_index(drop=True)


@dataclass
class _Pacer:
    """Maps simulated time onto wall time at ``speed``, across pauses and seeks."""

    speed: float
    sim_origin: pd.Timestamp | None = None
    wall_origin: float = 0.0

    def rebase(self, sim: pd.Timestamp, wall: float) -> None:
        self.sim_origin, self.wall_origin = sim, wall

    def due_in(self, sim: pd.Timestamp, wall: float) -> float:
        if math.isinf(self.speed) or self.sim_origin is None:
            return 0.0
        return self.wall_origin + (sim - self.sim_origin).total_seconds() / self.speed - wall

    def now(self, wall: float) -> pd.Timestamp | None:
        if self.sim_origin is None:
            return None
        if math.isinf(self.speed):
            return self.sim_origin
        return self.sim_origin + pd.Timedelta(seconds=(wall - self.wall_origin) * self.speed)


#: how often (at most) the journal is forced to disk; every event is flushed to the operating system
SYNC_EVERY_S = 1.0
#: how every journal's first line begins
_HEADER_START = b'{"kind": "header"'


class _HeaderCutShort(GameDayError):
    """A journal whose header line was cut short: the game day stopped before it played anything."""


def _scan_journal(path: Path) -> tuple[dict[str, Any], int]:
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
                raise GameDayError(f"{path}:{number}: not a JSON line, and more follows: the journal is damaged") from None
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
            raise _HeaderCutShort(f"{path}:1: the header line is cut short: the game day stopped before it played anything")
        raise GameDayError(f"{path}: no header line; this is not a game-day journal")
    positions = sorted(answers)
    if positions != list(range(len(positions))):
        raise GameDayError(f"{path}: events played are not a run from the first ({positions[:3]}...)")
    return {"header": header, "answers": answers, "calls": calls, "injected": dict(injected)}, complete


@dataclass
class _Journal:
    """An append-only JSON Lines record of what was played, flushed after every event.

    Every record is one line, written whole and flushed to the operating system after each
    event (so a killed process loses at most the event in flight) and forced to disk at most
    every :data:`SYNC_EVERY_S` seconds and on close.  Opened to carry on (``fresh=False``), it
    first cuts off a last line left incomplete by a crash, so what is appended starts on a
    line of its own.
    """

    path: Path | None
    handle: Any = None
    written_calls: int = 0
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
        _, complete = _scan_journal(self.path)
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
    return _scan_journal(Path(path))[0]


class GameDay:
    """Play a scenario against a live endpoint; start, pause, resume, step, seek and stop.

    Parameters
    ----------
    scenario : Scenario or path to a scenario YAML file
    speed : float or str, optional
        Overrides the scenario's speed (``120``, ``"120x"`` or ``"max"``).
    endpoint_url : str, optional
        A running ``incidentsim serve``; by default one is started on 127.0.0.1 for the game
        day (its address is :attr:`endpoint_url`) and stopped by :meth:`close`.  That server
        runs in this process and shares its emulator, so the game day starts it from an empty
        Incident Manager (every ssm-incidents resource of this process is forgotten).
    allow_remote : bool
        Needed for an endpoint that is not loopback.
    out : path, optional
        Where the journal and the record go (``journal.jsonl``, ``events.csv``,
        ``incidents.csv``, ``summary.json``, ``timeline.csv``, ``gameday.json``).  Without
        it, everything stays in memory (:meth:`record`).
    resume : bool
        Carry on from the journal in ``out``: the events already played are not sent again
        when the endpoint still holds their incidents; against a fresh endpoint they are
        re-sent without faults (the emulator's ids are seeded, so the same incidents come back,
        which is checked) and play continues from the next event.  A last journal line cut
        short by a crash is dropped (its event is played again); a journal whose header line
        was cut short (nothing was played) starts the game day afresh.
    reset : bool
        Forget every Incident Manager resource on ``endpoint_url`` first.  Without it, an endpoint that already
        holds incident records is refused (they would deduplicate this game day's triggers).

    Examples
    --------
    >>> from incidentsim.gameday import GameDay
    >>> game = GameDay("data/gameday-cascade.yaml", speed="max")  # doctest: +SKIP
    >>> record = game.run()  # doctest: +SKIP
    >>> record.summary()["failed"]  # doctest: +SKIP
    0
    """

    def __init__(
        self,
        scenario: Scenario | str | Path,
        *,
        speed: float | str | None = None,
        endpoint_url: str | None = None,
        allow_remote: bool = False,
        out: str | Path | None = None,
        resume: bool = False,
        reset: bool = False,
    ):
        self.scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        if speed is not None:
            self.scenario = self.scenario.replace(speed=parse_speed(speed, "speed"))
        if resume and out is None:
            raise ValueError("resume=True needs the 'out' folder that holds the journal of the run to resume")
        self.out = Path(out) if out is not None else None
        self.resume_from: dict[str, Any] | None = None
        if resume and self.out is not None:
            journal = self.out / JOURNAL
            if not journal.is_file():
                raise GameDayError(f"nothing to resume: {journal} does not exist")
            try:
                self.resume_from = read_journal(journal)
            except _HeaderCutShort:
                self.resume_from = None  # nothing was played: the game day starts afresh
            if self.resume_from is not None and self.resume_from["header"].get("fingerprint") != self.scenario.fingerprint():
                raise GameDayError(f"{journal} is the journal of another scenario or policy; it cannot be resumed with '{self.scenario.name}'")
        self._endpoint_url = endpoint_url
        self.allow_remote = allow_remote
        self.reset = reset
        self._server: Any = None
        self._control: Any = None
        self._run: EmulatorReplay | None = None
        self._journal = _Journal(self.out / JOURNAL if self.out is not None else None)
        self._cond = threading.Condition(threading.RLock())
        self._play_lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self._looping = False
        self._state = "ready"
        self._stop_requested = False
        self._pacer = _Pacer(self.scenario.speed)
        self._playhead: pd.Timestamp | None = None
        self._started_wall: float | None = None
        self._injected: Counter[str] = Counter(self.resume_from["injected"] if self.resume_from else {})
        self._error: BaseException | None = None
        self._listeners: list[Callable[[GameDayStatus], None]] = []
        self._final: GameDayRecord | None = None

    # ------------------------------------------------------------------ setup

    @property
    def endpoint_url(self) -> str | None:
        """Where the game day plays (the session's own server once started)."""
        return self._endpoint_url

    @property
    def state(self) -> str:
        return self._state

    @property
    def error(self) -> BaseException | None:
        """What crashed the game day, if it crashed."""
        return self._error

    def on_update(self, listener: Callable[[GameDayStatus], None]) -> None:
        """Call ``listener(status)`` after every event played and every change of state."""
        self._listeners.append(listener)

    def _wall(self) -> float:
        return time.monotonic() - self._started_wall if self._started_wall is not None else 0.0

    @property
    def owns_server(self) -> bool:
        """True when the game day started its own ``incidentsim serve`` (stopped by :meth:`close`)."""
        return self._server is not None

    def prepare(self) -> EmulatorReplay:
        """Start the server (unless given an endpoint), create the policy's response plans, restore a
        resumed run and switch the faults on; :meth:`run`, :meth:`start`, :meth:`step` and :meth:`seek`
        call it when needed."""
        if self._run is not None:
            return self._run
        from botocore.config import Config

        from ..emulator.core import make_client
        from ..emulator.server import EmulatorControl, EmulatorServer

        owned = self._endpoint_url is None
        if owned:
            self._server = EmulatorServer("127.0.0.1", port=0, quiet=True).start()
            self._endpoint_url = self._server.endpoint_url
        url = str(self._endpoint_url)
        try:
            config = Config(retries={"mode": "standard", "total_max_attempts": self.scenario.max_attempts})
            client = make_client(endpoint_url=url, allow_remote=self.allow_remote, config=config)
            self._control = EmulatorControl(url, allow_remote=self.allow_remote)
            if owned or self.reset:
                # the game day's own server shares this process's emulator: it starts from an empty Incident Manager
                self._control.reset(service="ssm-incidents")
            elif self.resume_from is None and client.list_incident_records(maxResults=1)["incidentRecordSummaries"]:
                raise GameDayError(
                    f"{url} already holds incident records, which would deduplicate this game day's triggers; "
                    "pass reset=True (--reset) to forget them, or resume=True to carry on a run"
                )
            self._control.set_faults(None)  # none while the plans are made and a resumed run is restored
            session = _Session(client, self._control.set_clock, self._control.configure, f"the emulator served at {url}")
            run = EmulatorReplay(self.scenario.alarms, self.scenario.policy, session)
            self._started_wall = time.monotonic()
            run.wall = self._wall
            if self.resume_from is not None:
                self._restore(run)
            self._control.set_faults(self.scenario.fault_rules(), seed=self.scenario.seed)
        except BaseException:
            self.close()
            raise
        header = {"scenario": self.scenario.name, "fingerprint": self.scenario.fingerprint(), "total": len(run), "endpoint_url": url}
        self._journal.open(header, fresh=self.resume_from is None)
        self._journal.written_calls = len(run.calls)
        self._run = run
        if not run.done:
            self._playhead = run.times[run.position]
        return run

    def _restore(self, run: EmulatorReplay) -> None:
        """Bring the bookkeeping (and, on a fresh endpoint, the service) to where the journal stopped."""
        assert self.resume_from is not None
        answers = self.resume_from["answers"]
        created = [a["incident_arn"] for a in answers.values() if a["outcome"] == "created"]
        still_there = False
        if created:
            try:
                run.session.client.get_incident_record(arn=created[0])
                still_there = True
            except run.session.client.exceptions.ResourceNotFoundException:
                still_there = False
        run.offline = still_there
        for i in range(len(answers)):
            saved = answers[i]
            recorded = Answer(saved["outcome"], saved.get("incident_arn", ""), saved.get("error_code", ""), saved.get("error_message", ""))
            sent_before = saved["outcome"] in ("created", "deduplicated")
            answer = run.step(recorded=recorded if still_there or not sent_before else None)
            if answer is not None and (answer.outcome, answer.incident_arn) != (saved["outcome"], saved.get("incident_arn", "")):
                raise GameDayError(
                    f"restoring event {i} ({saved.get('event_id')}) gave {answer.outcome} {answer.incident_arn}, but the journal "
                    f"has {saved['outcome']} {saved.get('incident_arn', '')}: the endpoint does not hold what the run left behind"
                )
        run.offline = False
        run.calls = [dict(call) for call in self.resume_from["calls"]]

    # ------------------------------------------------------------------ playing

    def _emit(self, final: bool = False) -> None:
        status = self.status
        for listener in list(self._listeners):
            try:
                listener(status)
            except Exception:
                if not final:
                    raise  # a listener failing mid-game crashes it, like any other failure
                # the game day has ended and its record is written; a failing display changes nothing

    def _journal_step(self, run: EmulatorReplay, i: int) -> None:
        for call in run.calls[self._journal.written_calls :]:
            self._journal.write({"kind": "call", **call})
        self._journal.written_calls = len(run.calls)
        self._journal.write(
            {"kind": "event", "i": i, "event_id": run.event_ids[i], "outcome": run.outcome[i], "incident_arn": run.incident_arn[i],
             "error_code": run.error_code[i], "error_message": run.error_message[i]}
        )
        self._journal.flush()

    def _play_one(self) -> None:
        run = self.prepare()
        with self._play_lock:
            if run.done:
                return
            i = run.position
            run.step()
            self._journal_step(run, i)
            self._playhead = max(self._playhead, run.times[i]) if self._playhead is not None else run.times[i]
        self._emit()

    def _loop(self) -> None:
        run = self.prepare()
        try:
            self._loop_until_done(run)
        finally:
            self._looping = False

    def _loop_until_done(self, run: EmulatorReplay) -> None:
        try:
            while True:
                with self._cond:
                    while True:
                        if self._stop_requested:
                            self._finish("stopped")
                            return
                        if run.done:
                            self._finish("finished")
                            return
                        if self._state == "paused":
                            self._cond.wait(0.5)
                            continue
                        delay = self._pacer.due_in(run.times[run.position], time.monotonic())
                        if delay <= 0:
                            break
                        self._cond.wait(min(delay, 0.25))
                self._play_one()
        except KeyboardInterrupt:
            self._finish("stopped")
            raise
        except BaseException as error:  # a crash: keep what was played, say why
            self._error = error
            self._finish("crashed")

    def _begin(self) -> EmulatorReplay:
        with self._cond:
            if self._state not in ("ready", "paused"):
                raise GameDayError(f"the game day is {self._state}; it cannot be started again")
            run = self.prepare()
            if self._playhead is not None:
                self._pacer.rebase(self._playhead, time.monotonic())
            self._state = "playing"
            self._cond.notify_all()
        return run

    def _ensure_thread(self) -> None:
        if self._looping:
            return
        self._looping = True
        self._thread = threading.Thread(target=self._loop, name=f"gameday-{self.scenario.name}", daemon=True)
        self._thread.start()

    def run(self) -> GameDayRecord:
        """Play to the end on this thread (Ctrl-C stops after the call in flight) and return the record."""
        self._begin()
        self._emit()
        self._looping = True
        self._loop()
        if self._error is not None:
            raise GameDayError(f"the game day crashed: {self._error!r}; the partial record is kept") from self._error
        return self.record()

    def start(self) -> GameDay:
        """Start (or carry on) playing on a background thread, for notebooks; returns at once."""
        self._begin()
        self._ensure_thread()
        self._emit()
        return self

    def pause(self) -> None:
        """Hold play; the simulated clock stops where it is."""
        with self._cond:
            if self._state == "playing":
                self._playhead = self._pacer.now(time.monotonic()) or self._playhead
                if self._run is not None and self._run.position and self._playhead is not None:
                    self._playhead = max(self._playhead, self._run.times[self._run.position - 1])
                self._state = "paused"
                self._cond.notify_all()
        self._emit()

    def resume(self) -> None:
        """Carry on playing from the paused simulated time (on a background thread unless one is playing)."""
        with self._cond:
            if self._state == "ready":
                raise GameDayError("the game day has not started; call start() or run()")
            if self._state != "paused":
                return
        self.start()

    def step(self, events: int = 1) -> GameDayStatus:
        """Play the next ``events`` alarm state changes now (pausing first if playing)."""
        if events < 1:
            raise ValueError(f"The 'events' parameter of step must be at least 1. Got {events!r} instead.")
        with self._cond:
            if self._state == "playing":
                self.pause()
            if self._state == "ready":
                self.prepare()
                self._state = "paused"
            if self._state != "paused":
                raise GameDayError(f"the game day is {self._state}; there is nothing to step")
        for _ in range(events):
            if self._run is None or self._run.done:
                break
            self._play_one()
        return self.status

    def seek(self, when: str | pd.Timestamp) -> GameDayStatus:
        """Move the simulated clock to ``when``.

        Forward, every event before ``when`` is played at once (through the service, with
        faults).  Backward, the endpoint is reset and the game day starts again, playing every
        event before ``when`` at once.  The game day is paused afterwards.
        """
        target = pd.Timestamp(when)
        target = target.tz_localize("UTC") if target.tzinfo is None else target.tz_convert("UTC")
        with self._cond:
            if self._state not in ("ready", "paused", "playing"):
                raise GameDayError(f"the game day is {self._state}; it cannot seek")
            if self._state == "playing":
                self.pause()
            run = self.prepare()
            if self._state == "ready":
                self._state = "paused"
            if self._playhead is not None and target < self._playhead and run.position > 0:
                run = self._restart()
        while not run.done and run.times[run.position] < target:
            self._play_one()
        with self._cond:
            self._playhead = target
        self._emit()
        return self.status

    def _restart(self) -> EmulatorReplay:
        assert self._run is not None and self._control is not None
        with self._play_lock:
            old = self._run
            old.close()
            self._injected.update(self._counted_injections())  # before the reset forgets them
            self._control.reset(service="ssm-incidents")
            run = EmulatorReplay(self.scenario.alarms, self.scenario.policy, old.session)
            run.wall = self._wall
            self._control.set_faults(self.scenario.fault_rules(), seed=self.scenario.seed)
            self._journal.close()
            self._journal.open({"scenario": self.scenario.name, "fingerprint": self.scenario.fingerprint(), "total": len(run)}, fresh=True)
            self._journal.written_calls = 0
            self._run = run
            self._playhead = run.times[0]
        return run

    def stop(self, timeout: float | None = 30) -> GameDayRecord:
        """Stop after the call in flight and return the record (written to ``out`` if set)."""
        with self._cond:
            self._stop_requested = True
            self._cond.notify_all()
            if self._state in ("ready", "paused"):
                self._finish("stopped")
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        return self.record()

    def request_stop(self) -> None:
        """Ask a running game day to stop after the call in flight (safe from a signal handler)."""
        self._stop_requested = True

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for a started game day to finish or stop; False on timeout."""
        if self._thread is None:
            return self._state in ("stopped", "finished", "crashed")
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # ------------------------------------------------------------------ the record

    def _counted_injections(self) -> dict[str, int]:
        if self._control is None:
            return {}
        try:
            return dict(self._control.state()["faults"]["injected"])
        except Exception:  # the endpoint is gone: what it injected is unknown
            return {}

    def _finish(self, state: str) -> None:
        with self._play_lock:
            if self._final is not None:
                return
            run = self._run
            self._state = state
            if run is None:
                self._journal.close()
                return
            injected = self._counted_injections()
            self._injected.update(injected)
            self._journal.write({"kind": "faults", "injected": injected})
            self._journal.flush()
            if self._control is not None:
                try:
                    self._control.set_faults(None)
                except Exception:
                    pass  # a crashed endpoint: the record is built from what was kept
            self._final = self._build(finish=state == "finished")
            self._journal.close()
            if self.out is not None:
                self._final.write(self.out)
        self._emit(final=True)

    def _build(self, finish: bool) -> GameDayRecord:
        run = self._run
        assert run is not None
        try:
            result = run.result(finish=finish and run.done, engine="gameday", meta={"scenario": self.scenario.name})
        except Exception:
            if self._state != "crashed":
                raise
            meta = {"scenario": self.scenario.name, "endpoint": "unreachable when the record was built"}
            result = run.result(finish=False, engine="gameday", meta=meta, from_service=False)
        timeline = run.timeline()
        timeline["sim_time"] = pd.to_datetime(timeline["sim_time"], utc=True, format="ISO8601")
        return GameDayRecord(self.scenario.name, result, timeline, dict(self._injected), self.status, complete=run.done)

    def record(self) -> GameDayRecord:
        """The record so far: final once stopped or finished, else a snapshot of what was played."""
        if self._final is not None:
            return self._final
        if self._run is None:
            raise GameDayError("nothing has been played yet")
        with self._play_lock:
            return self._build(finish=False)

    def incidents_so_far(self) -> pd.DataFrame:
        """The incidents created so far, newest first, from the player's own bookkeeping (no service calls).

        Columns: ``creation_time``, ``response_plan``, ``title``, ``impact``, ``alarm_name`` (the
        alarm that opened it), ``triggers`` (triggers that reached it), ``status`` (OPEN or
        RESOLVED) and ``incident_arn``.
        """
        columns = ["creation_time", "response_plan", "title", "impact", "alarm_name", "triggers", "status", "incident_arn"]
        run = self._run
        if run is None:
            return pd.DataFrame(columns=columns)
        with self._play_lock:
            k = run.position
            plans = run.policy.plans
            fed = Counter(arn for arn, outcome in zip(run.incident_arn[:k], run.outcome[:k]) if outcome in ("created", "deduplicated"))
            rows = []
            for i in range(k):
                if run.outcome[i] != "created":
                    continue
                arn = run.incident_arn[i]
                plan = plans[run.plans[i]]
                incident = run.resolver.incidents[arn]
                rows.append([run.times[i], plan.name, run.titles[i] or plan.title, int(run.impacts[i] or plan.impact),
                             str(run.alarms["alarm_name"].iat[i]), fed[arn], "OPEN" if incident.resolved is None else "RESOLVED", arn])
        table = pd.DataFrame(rows, columns=columns)
        return table.iloc[::-1].reset_index(drop=True)

    @property
    def status(self) -> GameDayStatus:
        run = self._run
        total = len(self.scenario.alarms)
        if run is None:
            return GameDayStatus(self._state, 0, total, None, 0, 0, 0, 0, 0, 0, 0, 0, 0.0)
        k = run.position
        outcomes = Counter(run.outcome[:k])
        calls = run.calls
        sim = self._playhead
        if self._state == "playing":
            now = self._pacer.now(time.monotonic())
            sim = now if now is not None and (sim is None or now > sim) else sim
        return GameDayStatus(
            state=self._state,
            position=k,
            total=total,
            sim_time=sim,
            triggers_sent=outcomes["created"] + outcomes["deduplicated"] + outcomes["rejected"] + outcomes["failed"],
            incidents_created=len(run.resolver.incidents),
            incidents_open=run.open_incidents(),
            calls=len(calls),
            retries=sum(int(c["attempts"]) - 1 for c in calls),
            faults=sum(len([code for code in str(c["faults"]).split(",") if code]) for c in calls),
            failed=outcomes["failed"],
            rejected=outcomes["rejected"],
            wall_s=self._wall(),
        )

    def close(self) -> None:
        """Stop the game day's own server (the record stays available)."""
        if self._run is not None:
            self._run.close()
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> GameDay:
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._state in ("playing", "paused"):
            self.stop()
        self.close()

    def __repr__(self) -> str:
        return f"GameDay({self.scenario.name!r}, {self.status.line()})"

    def _repr_html_(self) -> str:
        import html

        return f"<pre>{html.escape(repr(self))}</pre>"

