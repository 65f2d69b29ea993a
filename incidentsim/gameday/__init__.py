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
"""

from .player import GameDay, GameDayError, GameDayRecord, GameDayStatus, nothing_lost, read_journal
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
