"""Game-day rehearsals: a recorded alarm storm played at speed, with faults, against a live endpoint.

=======================  ==================================================================
name                     what it is
=======================  ==================================================================
:class:`Scenario`        what to play (history slice or inline events), policy, speed, faults
:func:`load_scenario`    a scenario YAML file, validated with file:line messages
:class:`GameDay`         the player: start, pause, resume, step, seek, stop, run
:class:`GameDayRecord`   the events and incidents (a ReplayResult), the call timeline, faults
:func:`nothing_lost`     the incidents a game day and the fault-free replay disagree on
=======================  ==================================================================

Its parts, one concern each: :mod:`.player` (the :class:`GameDay` state machine and its thread),
:mod:`.pacing` (simulated time onto wall time), :mod:`.journal` (the journal and resuming from it),
:mod:`.endpoint` (the server's lifecycle, client and faults), :mod:`.status` (the live figures),
:mod:`.record` (what a game day did) and :mod:`.scenario`.
"""

from .errors import GameDayError
from .journal import read_journal
from .player import GameDay
from .record import GameDayRecord, nothing_lost
from .status import GameDayStatus
from .scenario import Scenario, ScenarioError, load_scenario, parse_speed

__all__ = [
    "GameDay",
    "GameDayError",
    "GameDayRecord",
    "GameDayStatus",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "nothing_lost",
    "parse_speed",
    "read_journal",
]
