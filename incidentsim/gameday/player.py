"""The game-day player: a scenario's triggers sent at scaled time to a live endpoint, with faults.

The player paces an :class:`~incidentsim.replay.engine.EmulatorReplay` through its public
stepping interface: each alarm state change is played when its simulated time comes round
(``speed`` simulated seconds per wall second, :mod:`~incidentsim.gameday.pacing`), through a
boto3 client in botocore's standard retry mode, so throttles and 500s are retried with the same
``clientToken`` as in production.  By default it starts ``incidentsim serve`` on 127.0.0.1 for
the session (:mod:`~incidentsim.gameday.endpoint`), so people can watch with the AWS CLI while
it plays.

Everything played is appended to a journal (``journal.jsonl`` in ``out``,
:mod:`~incidentsim.gameday.journal`) as it happens; stopping, Ctrl-C or a crash writes the
partial record (:mod:`~incidentsim.gameday.record`), and a new :class:`GameDay` with
``resume=True`` carries on from the last event played.  A crash (a killed process, a power cut)
can cut the journal's last line short at any byte: that line is ignored when the journal is
read and cut off before a resumed game day appends to it, so a game day can be crashed and
resumed any number of times.  The live figures are :mod:`~incidentsim.gameday.status`'s.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from ..replay.engine import TIMELINE_COLUMNS, EmulatorReplay
from .endpoint import Endpoint
from .errors import GameDayError
from .journal import JOURNAL, HeaderCutShort, Journal, journal_step, read_journal, restore
from .pacing import Pacer
from .record import GameDayRecord, nothing_lost
from .scenario import Scenario, load_scenario, parse_speed
from .status import INCIDENT_LOG_COLUMNS, GameDayStatus, IncidentLog, call_figures

__all__ = ["STATES", "GameDay", "GameDayError", "GameDayRecord", "GameDayStatus", "nothing_lost", "read_journal"]

STATES = ("ready", "playing", "paused", "stopped", "finished", "crashed")


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
            except HeaderCutShort:
                self.resume_from = None  # nothing was played: the game day starts afresh
            if (
                self.resume_from is not None
                and self.resume_from["header"].get("fingerprint") != self.scenario.fingerprint()
            ):
                raise GameDayError(
                    f"{journal} is the journal of another scenario or policy; "
                    f"it cannot be resumed with '{self.scenario.name}'"
                )
        self.allow_remote = allow_remote
        self.reset = reset
        self._endpoint = Endpoint(endpoint_url, allow_remote=allow_remote, max_attempts=self.scenario.max_attempts)
        self._run: EmulatorReplay | None = None
        self._restored_calls: list[dict[str, Any]] = []  # the calls of a resumed run, as its journal holds them
        self._first_call = 0  # where this sitting's calls begin in the replay's own (after the restoring ones)
        self._incidents = IncidentLog(self.scenario.policy)
        self._journal = Journal(self.out / JOURNAL if self.out is not None else None)
        self._cond = threading.Condition(threading.RLock())
        self._play_lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self._looping = False
        self._state = "ready"
        self._stop_requested = False
        self._pacer = Pacer(self.scenario.speed)
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
        return self._endpoint.url

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
        return self._endpoint.owns_server

    def prepare(self) -> EmulatorReplay:
        """Start the server (unless given an endpoint), create the policy's response plans, restore a
        resumed run and switch the faults on; :meth:`run`, :meth:`start`, :meth:`step` and :meth:`seek`
        call it when needed."""
        if self._run is not None:
            return self._run
        endpoint = self._endpoint
        endpoint.open(reset=self.reset, resuming=self.resume_from is not None)
        try:
            run = endpoint.replay(self.scenario, self._wall)
            try:
                self._started_wall = time.monotonic()
                if self.resume_from is not None:
                    for step in restore(run, self.resume_from, endpoint.client):
                        self._incidents.add(step)
                    # the record's timeline is the run's own calls, not the restoring ones
                    self._restored_calls = [dict(call) for call in self.resume_from["calls"]]
                    self._first_call = len(run.calls)
                endpoint.faults_on(self.scenario)
            except BaseException:
                run.close()
                raise
        except BaseException:
            self.close()
            raise
        header = {
            "scenario": self.scenario.name,
            "fingerprint": self.scenario.fingerprint(),
            "total": run.total,
            "endpoint_url": str(endpoint.url),
        }
        self._journal.open(header, fresh=self.resume_from is None)
        self._run = run
        if not run.done:
            self._playhead = run.peek()
        return run

    def _calls(self) -> list[dict[str, Any]]:
        """Every call of the game day so far (a resumed run's first), as rows of the record's timeline."""
        run = self._run
        return self._restored_calls + (list(run.calls[self._first_call :]) if run is not None else [])

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

    def _play_one(self) -> None:
        run = self.prepare()
        with self._play_lock:
            if run.done:
                return
            step = run.step()
            self._incidents.add(step)
            journal_step(self._journal, step)
            self._playhead = max(self._playhead, step.time) if self._playhead is not None else step.time
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
                        due = run.peek()
                        assert due is not None
                        delay = self._pacer.due_in(due, time.monotonic())
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
                played = self._run.now if self._run is not None else None
                if played is not None and self._playhead is not None:
                    self._playhead = max(self._playhead, played)
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
        while (due := run.peek()) is not None and due < target:
            self._play_one()
        with self._cond:
            self._playhead = target
        self._emit()
        return self.status

    def _restart(self) -> EmulatorReplay:
        assert self._run is not None
        with self._play_lock:
            self._run.close()
            self._injected.update(self._endpoint.injected())  # before the reset forgets them
            self._endpoint.forget()
            run = self._endpoint.replay(self.scenario, self._wall)
            self._endpoint.faults_on(self.scenario)
            self._journal.close()
            self._journal.open(
                {"scenario": self.scenario.name, "fingerprint": self.scenario.fingerprint(), "total": run.total},
                fresh=True,
            )
            self._restored_calls, self._first_call = [], 0
            self._incidents = IncidentLog(self.scenario.policy)
            self._run = run
            self._playhead = run.peek()
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

    def _finish(self, state: str) -> None:
        with self._play_lock:
            if self._final is not None:
                return
            run = self._run
            self._state = state
            if run is None:
                self._journal.close()
                return
            injected = self._endpoint.injected()
            self._injected.update(injected)
            self._journal.write({"kind": "faults", "injected": injected})
            self._journal.flush()
            self._endpoint.faults_off()  # a crashed endpoint: the record is built from what was kept
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
        timeline = pd.DataFrame(self._calls(), columns=list(TIMELINE_COLUMNS))
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
        run = self._run
        if run is None:
            return pd.DataFrame(columns=list(INCIDENT_LOG_COLUMNS))
        with self._play_lock:
            return self._incidents.table(run.open_incidents())

    @property
    def status(self) -> GameDayStatus:
        run = self._run
        total = len(self.scenario.alarms)
        if run is None:
            return GameDayStatus(self._state, 0, total, None, 0, 0, 0, 0, 0, 0, 0, 0, 0.0)
        position = run.position
        summary = run.summary()  # the replay result's own counts of what was played
        calls, retries, faults = call_figures(self._calls())
        sim = self._playhead
        if self._state == "playing":
            now = self._pacer.now(time.monotonic())
            sim = now if now is not None and (sim is None or now > sim) else sim
        return GameDayStatus(
            state=self._state,
            position=position,
            total=total,
            sim_time=sim,
            triggers_sent=summary["triggers"],
            incidents_created=summary["created"],
            incidents_open=len(run.open_incidents()),
            calls=calls,
            retries=retries,
            faults=faults,
            failed=summary["failed"],
            rejected=summary["rejected"],
            wall_s=self._wall(),
        )

    def close(self) -> None:
        """Stop the game day's own server (the record stays available)."""
        if self._run is not None:
            self._run.close()
        self._endpoint.close()

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
