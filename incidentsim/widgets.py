"""The panels under their first name: ``incidentsim.widgets`` is :mod:`incidentsim.panels`.

>>> import incidentsim.widgets, incidentsim.panels
>>> incidentsim.widgets.TuningPanel is incidentsim.panels.TuningPanel
True
"""

from .panels import PLAN_IMPACT, BacktestPanel, TuningPanel, show_figure, threshold_range

__all__ = ["PLAN_IMPACT", "BacktestPanel", "TuningPanel", "show_figure", "threshold_range"]
