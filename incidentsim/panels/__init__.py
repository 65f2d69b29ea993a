"""Notebook panels: change a policy or an alarm with controls and see what it would have done, at once.

- :class:`TuningPanel` (:mod:`incidentsim.panels.tuning`): a policy's impact, titles, tokens, resolution and dates
  over one alarm history; ``incidentsim dashboard`` serves it as a web page.
- :class:`BacktestPanel` (:mod:`incidentsim.panels.backtest`): a proposed CloudWatch alarm over a metric series,
  scored against labelled anomalies.
- :class:`GameDayPanel` (:mod:`incidentsim.gameday.panel`): a game day's controls, figures and incidents.
"""

from ..gameday.panel import GameDayPanel
from .backtest import BacktestPanel, threshold_range
from .common import Panel, show_figure
from .tuning import PLAN_IMPACT, TuningPanel

__all__ = ["PLAN_IMPACT", "BacktestPanel", "GameDayPanel", "Panel", "TuningPanel", "show_figure", "threshold_range"]
