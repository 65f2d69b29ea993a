"""Pure statistics over a replay: DataFrame in, DataFrame out.

Every function takes a :class:`~incidentsim.ReplayResult` (or anything with its ``events``
and ``incidents`` tables) and returns a new DataFrame (or, for :func:`headline`, a dict)
with documented columns. Nothing here draws, prompts or calls AWS; plots, reports and
widgets build on these.

=============================  ====================================================================
function                       answers
=============================  ====================================================================
:func:`trigger_volume`         events per period and outcome
:func:`incidents_by_impact`    incidents created per period and impact
:func:`incident_spans`         each incident from creation to resolution (or the end of the history)
:func:`outcomes_by`            triggers, incidents and deduplications per plan or alarm
:func:`impact_mix`             incidents per impact level, with shares and labels
:func:`noise_classes`          per alarm: flapping, short-lived, chronic, storm, and the remedy
:func:`top_noisy_alarms`       the alarms that triggered most, with their noise class
:func:`alarm_labels`           alarm names told apart by Region or account where they repeat
:func:`human_duration`         seconds as a person reads them (``8h 25m``)
:func:`interruptions`          incidents in business, off and sleep hours
:func:`interruptions_by_hour`  incidents per weekday and hour, for a heatmap
:func:`shifts_over_limit`      incidents per on-call shift, over the two-per-shift rule or not
:func:`shift_summary`          the shifts table in one row
:func:`title_cardinality`      distinct, colliding, truncated and failed titles per plan
:func:`compare`                incidents and deduplications per alarm or plan, before and after
:func:`score`                  precision, recall, detection and reset time against labelled windows
:func:`headline`               the figures a report leads with
=============================  ====================================================================

Examples
--------
>>> import incidentsim
>>> from incidentsim import analysis
>>> result = incidentsim.replay("data/alarm-events.jsonl", "data/sample-policy.yaml", engine="fast")  # doctest: +SKIP
>>> analysis.noise_classes(result).query("noise_class == 'chronic'")["alarm_name"].tolist()  # doctest: +SKIP
['checkout-orders-dlq-not-empty']
"""

from __future__ import annotations

from ..constants import IMPACT_LABELS
from ._common import ResultLike, alarm_labels, human_duration
from .comparison import compare
from .headlines import headline
from .noise import (
    NOISE_CLASSES,
    REMEDIES,
    NoiseThresholds,
    noise_classes,
    top_noisy_alarms,
)
from .people import (
    INTERRUPTION_CATEGORIES,
    interruptions,
    interruptions_by_hour,
    shift_summary,
    shifts_over_limit,
)
from .scoring import SCORE_INCIDENT_COLUMNS, SCORE_SUMMARY_KEYS, SCORE_WINDOW_COLUMNS, Score, score
from .titles import title_cardinality
from .volumes import impact_mix, incident_spans, incidents_by_impact, outcomes_by, trigger_volume

__all__ = [
    "IMPACT_LABELS",
    "INTERRUPTION_CATEGORIES",
    "NOISE_CLASSES",
    "REMEDIES",
    "SCORE_INCIDENT_COLUMNS",
    "SCORE_SUMMARY_KEYS",
    "SCORE_WINDOW_COLUMNS",
    "NoiseThresholds",
    "ResultLike",
    "Score",
    "alarm_labels",
    "compare",
    "headline",
    "human_duration",
    "impact_mix",
    "incident_spans",
    "incidents_by_impact",
    "interruptions",
    "interruptions_by_hour",
    "noise_classes",
    "outcomes_by",
    "score",
    "shift_summary",
    "shifts_over_limit",
    "title_cardinality",
    "top_noisy_alarms",
    "trigger_volume",
]
