"""The game-day panel: the live figures, the incidents as they open, and the player's controls, in a notebook.

Examples
--------
>>> from incidentsim.gameday import GameDay
>>> from incidentsim.gameday.panel import GameDayPanel
>>> panel = GameDayPanel(GameDay("data/gameday-cascade.yaml"))  # doctest: +SKIP
>>> panel  # in Jupyter: press Start, watch the incidents open  # doctest: +SKIP
"""

from __future__ import annotations

import html
import re
import threading
import time
from typing import Any

import ipywidgets as w

from .player import GameDay, GameDayStatus


class GameDayPanel:
    """Figures (events, triggers, incidents open, retries, faults, failed), the incident list and
    Start / Pause / Resume / Step / Seek / Stop for one :class:`GameDay`.

    Attributes
    ----------
    game : GameDay
    buttons : dict
        ``start``, ``pause``, ``resume``, ``step``, ``seek``, ``stop`` buttons.
    seek_to : ipywidgets.Text
        The simulated time the Seek button goes to.
    figures, incidents, message : ipywidgets.HTML
    progress : ipywidgets.IntProgress
    widget : the ipywidgets box to show.
    """

    def __init__(self, game: GameDay, *, rows: int = 12, refresh_s: float = 0.25):
        self.game = game
        self.rows = rows
        self.refresh_s = refresh_s
        self._last = 0.0
        self._lock = threading.Lock()
        total = len(game.scenario.alarms)
        self.progress = w.IntProgress(value=0, min=0, max=total, description="events", layout=w.Layout(width="60%"))
        self.figures = w.HTML()
        self.incidents = w.HTML()
        self.message = w.HTML()
        self.seek_to = w.Text(
            value=str(game.scenario.alarms["timestamp"].iloc[0]), description="seek to", layout=w.Layout(width="330px")
        )
        self.buttons = {
            name: w.Button(description=name.capitalize())
            for name in ("start", "pause", "resume", "step", "seek", "stop")
        }
        actions = {
            "start": game.start,
            "pause": game.pause,
            "resume": game.resume,
            "step": game.step,
            "seek": lambda: game.seek(self.seek_to.value),
            "stop": game.stop,
        }
        for name, button in self.buttons.items():
            button.on_click(lambda _, action=actions[name], label=name: self._do(label, action))
        title = html.escape(game.scenario.describe())
        self.widget = w.VBox(
            [
                w.HTML(f"<b>Game day</b>: {title}"),
                w.HBox([self.buttons[n] for n in ("start", "pause", "resume", "step", "stop")]),
                w.HBox([self.seek_to, self.buttons["seek"]]),
                self.progress,
                self.figures,
                self.message,
                self.incidents,
            ]
        )
        game.on_update(self._updated)
        self.refresh()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def _do(self, label: str, action: Any) -> None:
        try:
            action()
        except Exception as error:  # shown in the panel: a notebook user sees it where they clicked
            self.message.value = f"<span style='color:#D55E00'>{html.escape(label)}: {html.escape(str(error))}</span>"
        else:
            self.message.value = ""
        self.refresh()

    def _updated(self, status: GameDayStatus) -> None:
        now = time.monotonic()
        final = status.state in ("stopped", "finished", "crashed") or status.position == status.total
        if final or now - self._last >= self.refresh_s:
            self._last = now
            self.refresh(status)

    def refresh(self, status: GameDayStatus | None = None) -> None:
        """Redraw the figures and the incident list from the game day as it is now."""
        with self._lock:
            status = status or self.game.status
            self.progress.value = status.position
            when = f"{status.sim_time:%Y-%m-%d %H:%M:%S} UTC" if status.sim_time is not None else "not started"
            cells = [
                ("state", status.state),
                ("simulated time", when),
                ("events", f"{status.position:,} / {status.total:,}"),
                ("triggers sent", f"{status.triggers_sent:,}"),
                ("incidents", f"{status.incidents_created:,}"),
                ("open", f"{status.incidents_open:,}"),
                ("calls", f"{status.calls:,}"),
                ("retries", f"{status.retries:,}"),
                ("faults met", f"{status.faults:,}"),
                ("failed", f"{status.failed:,}"),
            ]
            self.figures.value = (
                "<table><tr>"
                + "".join(f"<th style='padding:0 8px'>{k}</th>" for k, _ in cells)
                + "</tr><tr>"
                + "".join(f"<td style='padding:0 8px;text-align:center'>{html.escape(v)}</td>" for _, v in cells)
                + "</tr></table>"
            )
            table = self.game.incidents_so_far().head(self.rows)
            if table.empty:
                self.incidents.value = "<i>no incidents yet</i>"
            else:
                shown = table.drop(columns=["incident_arn"]).assign(
                    creation_time=table["creation_time"].dt.strftime("%H:%M:%S")
                )
                table_html = shown.to_html(index=False, border=0)  # cells padded, or neighbouring columns run together
                for tag in ("th", "td"):
                    table_html = re.sub(
                        rf"<{tag}(?=[ >])", f"<{tag} style='padding:2px 10px;text-align:left'", table_html
                    )
                self.incidents.value = f"<b>Latest incidents</b> ({status.incidents_created:,} in all)" + table_html
