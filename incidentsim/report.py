"""Reports on trigger volumes: a self-contained HTML file, or Markdown with its plots beside it.

Headline figures come first (triggers, incidents, dedup ratio, incidents by
impact, off-hours interruptions, shifts over the limit), then where the noise
comes from (the noisiest alarms, each with its noise class and a remedy), then
the plots.  Every table shown is also written as CSV, and the report names the
history and the policy with their content hashes, so it can be reproduced.
"""

from __future__ import annotations

import base64
import hashlib
import html
import os
from collections.abc import Mapping, Sequence
from numbers import Integral
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from . import analysis
from .params import Interval, Options, TimeZone, parameter_error, shown, validate_params

FORMATS = ("html", "md")
#: What the parameters of :func:`write_report` and :func:`write_comparison_report` may be.
REPORT_PARAMETERS: dict[str, list[Any]] = {
    "out": [str, os.PathLike],
    "format": [Options(FORMATS)],
    "history": [list, tuple, None],
    "tz": [TimeZone()],
    "title": [str],
    "policies": [tuple, list],
    "n": [Interval(Integral, 1, None)],
}


@dataclass(frozen=True)
class Provenance:
    """What a report was made from: file names and SHA-256 of their content."""

    history: tuple[tuple[str, str], ...] = ()
    policy: tuple[str, str] = ("", "")

    @classmethod
    def of(cls, history: Sequence[str | Path] | None, policy: Any) -> Provenance:
        files = tuple((Path(p).name, _sha256(Path(p).read_bytes())) for p in history or ())
        if isinstance(policy, (str, Path)) and Path(policy).is_file():
            policy_entry = (Path(policy).name, _sha256(Path(policy).read_bytes()))
        elif policy is not None and hasattr(policy, "to_yaml"):
            policy_entry = (f"{policy.name} (built in Python)", _sha256(policy.to_yaml().encode()))
        else:
            policy_entry = ("", "")
        return cls(history=files, policy=policy_entry)

    def to_data(self) -> dict[str, Any]:
        """As JSON data: ``incidentsim replay`` keeps it in summary.json, so a report made from that folder names
        the same files."""
        return {
            "history": [{"file": name, "sha256": digest} for name, digest in self.history],
            "policy": {"file": self.policy[0], "sha256": self.policy[1]},
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any] | None) -> Provenance:
        """The provenance :meth:`to_data` wrote (nothing recorded: an empty one)."""
        if not data:
            return cls()
        policy = data.get("policy") or {}
        return cls(
            history=tuple((str(entry["file"]), str(entry["sha256"])) for entry in data.get("history", ())),
            policy=(str(policy.get("file", "")), str(policy.get("sha256", ""))),
        )

    def lines(self) -> list[str]:
        out = [f"history: {name} (sha256 {digest[:16]})" for name, digest in self.history]
        if self.policy[0]:
            out.append(f"policy: {self.policy[0]} (sha256 {self.policy[1][:16]})")
        return out or ["history and policy: not recorded with this result, so no SHA-256 to show"]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def report_analyses() -> list[tuple[str, dict[str, Any]]]:
    """The analyses of the events a report reads, with the parameters it reads them with: a distributed
    result computes them in the pass that writes its tables (``DaskReplayResult.to_parquet(analyses=...)``)."""
    import inspect

    noise = {
        name: p.default for name, p in inspect.signature(analysis.noise_classes).parameters.items() if name != "result"
    }
    return [
        ("trigger_volume", {"freq": "1D"}),
        ("outcomes_by", {"by": "plan"}),
        ("outcomes_by", {"by": "alarm"}),
        ("noise_classes", noise),
        ("title_cardinality", {}),
    ]


def _sections(result: Any, tz: str) -> tuple[dict[str, Any], dict[str, pd.DataFrame], dict[str, Any]]:
    """Headline figures, the tables shown, and the Displays drawn."""
    from . import plots

    headline = analysis.headline(result, tz=tz)
    tables = {
        "noisiest_alarms": analysis.top_noisy_alarms(result, n=15),
        "outcomes_by_plan": analysis.outcomes_by(result, by="plan"),
        "impact_mix": analysis.impact_mix(result),
        "interruptions": analysis.interruptions(result, tz=tz),
        "shifts_over_limit": analysis.shift_summary(result, tz=tz),
        "titles": analysis.title_cardinality(result),
    }
    figures = {
        "trigger_volume": plots.TriggerVolumeDisplay.from_result(result, freq="1D"),
        "incidents_by_impact": plots.ImpactDisplay.from_result(result, freq="1D"),
        "noisiest_alarms": plots.NoisyAlarmsDisplay.from_result(result, n=15),
        "interruptions_by_hour": plots.InterruptionHeatmapDisplay.from_result(result, tz=tz),
    }
    return headline, tables, figures


def _headline_rows(headline: dict[str, Any]) -> list[tuple[str, str]]:
    impacts = headline["incidents_by_impact"]
    return [
        ("alarm state changes", f"{headline['events']:,}"),
        ("triggers (entered ALARM, reached StartIncident)", f"{headline['triggers']:,}"),
        ("incidents created", f"{headline['incidents']:,}"),
        ("dedup ratio", f"{headline['dedup_ratio']:.1%}"),
        ("incidents by impact", ", ".join(f"{k}: {impacts.get(k, 0):,}" for k in (1, 2, 3, 4, 5))),
        ("off-hours and sleep-hours interruptions", f"{headline['off_hours_interruptions']:,}"),
        ("12-hour shifts over 2 incidents", f"{headline['shifts_over_limit']:,}"),
    ]


def _remedies(noisiest: pd.DataFrame) -> list[str]:
    return [
        f"{getattr(row, 'alarm_label', row.alarm_name)}: {row.triggers:,} triggers, {row.incidents:,} incidents; "
        f"{row.noise_class}. {row.remedy}"
        for row in noisiest.head(10).itertuples()
        if row.noise_class != "steady"
    ]


@validate_params({name: REPORT_PARAMETERS[name] for name in ("out", "format", "history", "tz", "title")})
def write_report(
    result: Any,
    out: str | Path,
    *,
    format: str = "html",  # noqa: A002 - as the CLI option
    history: Sequence[str | Path] | None = None,
    policy: Any = None,
    tz: str = "UTC",
    title: str = "Incident trigger report",
) -> Path:
    """Write the report for one replay into the folder ``out``; return the report's path.

    ``history`` and ``policy`` name what the replay read (their hashes go into the report);
    without them the report names what the result recorded (``meta["provenance"]``, which
    ``incidentsim replay`` writes into summary.json).

    Parameters
    ----------
    result : ReplayResult
    out : str or Path
        The folder to write into (made if missing).
    format : {"html", "md"}
        One self-contained HTML file, or Markdown with its plots as PNG files beside it.
    history : list of paths, optional
    policy : Policy or path, optional
    tz : str
        The time zone of the off-hours figures and the heatmap, e.g. ``"Europe/London"``.
    title : str
    """
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    headline, tables, figures = _sections(result, tz)
    for name, table in tables.items():
        table.to_csv(folder / f"{name}.csv", index=False)
    if history is None and policy is None:
        provenance = Provenance.from_data(result.meta.get("provenance"))
    else:
        provenance = Provenance.of(history, policy)
    made = (
        f"made {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by incidentsim, {result.engine} engine, "
        f"policy '{result.policy_name}'"
    )
    if format == "md":
        return _markdown(folder, title, made, provenance, headline, tables, figures)
    return _html(folder, title, made, provenance, headline, tables, figures)


def _html(
    folder: Path,
    title: str,
    made: str,
    provenance: Provenance,
    headline: dict[str, Any],
    tables: dict[str, pd.DataFrame],
    figures: dict[str, Any],
) -> Path:
    esc = html.escape
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{esc(title)}</title><style>",
        "body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#222}",
        "table{border-collapse:collapse;margin:0.5rem 0 1.5rem}"
        "td,th{border:1px solid #ccc;padding:0.25rem 0.6rem;text-align:left}",
        "th{background:#f3f3f3}.figure img{max-width:100%}.small{color:#666;font-size:0.9em}",
        "</style></head><body>",
        f"<h1>{esc(title)}</h1><p class='small'>{esc(made)}<br>"
        f"{'<br>'.join(esc(line) for line in provenance.lines())}</p>",
        "<h2>Headline</h2><table id='headline'>",
        *[f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in _headline_rows(headline)],
        "</table><h2>Where the noise comes from</h2><ul>",
        *[f"<li>{esc(line)}</li>" for line in _remedies(tables["noisiest_alarms"])],
        "</ul>",
    ]
    for name, display in figures.items():
        encoded = base64.b64encode(display.to_png()).decode()
        parts.append(f"<div class='figure'><img alt='{esc(name)}' src='data:image/png;base64,{encoded}'></div>")
    for name, table in tables.items():
        parts.append(f"<h2>{esc(name.replace('_', ' '))}</h2>")
        parts.append(table.to_html(index=False, border=0, float_format=lambda x: f"{x:.3g}"))
    parts.append("</body></html>")
    path = folder / "report.html"
    path.write_text("\n".join(parts), encoding="utf-8")
    _close(figures)
    return path


def _markdown(
    folder: Path,
    title: str,
    made: str,
    provenance: Provenance,
    headline: dict[str, Any],
    tables: dict[str, pd.DataFrame],
    figures: dict[str, Any],
) -> Path:
    lines = [f"# {title}", "", made, ""]
    lines += [f"- {line}" for line in provenance.lines()]
    lines += ["", "## Headline", "", "| figure | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in _headline_rows(headline)]
    lines += ["", "## Where the noise comes from", ""]
    lines += [f"- {line}" for line in _remedies(tables["noisiest_alarms"])]
    lines.append("")
    for name, display in figures.items():
        (folder / f"{name}.png").write_bytes(display.to_png())
        lines += [f"![{name.replace('_', ' ')}]({name}.png)", ""]
    for name, table in tables.items():
        lines += [f"## {name.replace('_', ' ')}", "", *markdown_table(table), ""]
    path = folder / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    _close(figures)
    return path


def markdown_table(table: pd.DataFrame) -> list[str]:
    """A DataFrame as the lines of a Markdown table (pipes in cells escaped)."""

    def cell(value: Any) -> str:
        text = f"{value:.3g}" if isinstance(value, float) else str(value)
        return text.replace("|", "\\|").replace("\n", " ")

    header = "| " + " | ".join(cell(c) for c in table.columns) + " |"
    rule = "|" + "---|" * len(table.columns)
    return [header, rule, *("| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False))]


def _close(figures: dict[str, Any]) -> None:
    import matplotlib.pyplot as plt

    for display in figures.values():
        if display.figure_ is not None:
            plt.close(display.figure_)


@validate_params({name: REPORT_PARAMETERS[name] for name in ("out", "format", "history", "policies", "tz", "n")})
def write_comparison_report(
    before: Any,
    after: Any,
    out: str | Path,
    *,
    format: str = "html",  # noqa: A002 - as the CLI option
    history: Sequence[str | Path] | None = None,
    policies: tuple[Any, Any] = (None, None),
    tz: str = "UTC",
    n: int = 20,
) -> Path:
    """Write a before/after report of one history under two policies into ``out``; return its path.

    Parameters
    ----------
    before, after : ReplayResult
        The same history replayed under two policies.
    out : str or Path
        The folder to write into (made if missing).
    format : {"html", "md"}
    history : list of paths, optional
    policies : pair
        What each result was replayed under (a Policy, a policy file or None), for their hashes.
    tz : str
        The time zone of the headline's off-hours figures.
    n : int
        How many alarms whose incident count changes are listed and drawn.
    """
    from .plots import ComparisonDisplay
    from .replay import compare

    if len(policies) != 2:
        raise parameter_error("policies", "write_comparison_report", "be a pair (before, after)", shown(policies))
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    heads = [analysis.headline(result, tz=tz) for result in (before, after)]
    side_by_side = pd.DataFrame(
        {
            "figure": [k for k, _ in _headline_rows(heads[0])],
            before.policy_name: [v for _, v in _headline_rows(heads[0])],
            after.policy_name: [v for _, v in _headline_rows(heads[1])],
        }
    )
    tables = {
        "headline": side_by_side,
        "by_alarm": compare(before, after, by="alarm"),
        "by_plan": compare(before, after, by="plan"),
    }
    for name, table in tables.items():
        table.to_csv(folder / f"comparison_{name}.csv", index=False)
    display = ComparisonDisplay.from_results(before, after, n=n)
    provenance = [Provenance.of(history, policy).lines() for policy in policies]
    names = f"'{before.policy_name}' and '{after.policy_name}'"
    title = f"Two policies compared: {names}"
    made = f"made {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by incidentsim, {before.engine} engine"
    changed = tables["by_alarm"][tables["by_alarm"]["incidents_diff"] != 0]
    summary = f"{len(changed):,} of {len(tables['by_alarm']):,} alarms change their incident count."
    if format == "md":
        (folder / "comparison.png").write_bytes(display.to_png())
        lines = [f"# {title}", "", made, "", *[f"- {line}" for block in provenance for line in block], "", summary, ""]
        lines += ["## Headline", "", *markdown_table(side_by_side), "", "![comparison](comparison.png)", ""]
        lines += ["## Alarms whose incident count changes", "", *markdown_table(changed.head(n)), ""]
        path = folder / "comparison.md"
        path.write_text("\n".join(lines), encoding="utf-8")
    else:
        esc = html.escape
        encoded = base64.b64encode(display.to_png()).decode()
        parts = [
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
            f"<title>{esc(title)}</title>"
            "<style>body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem}",
            "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:0.25rem 0.6rem}img{max-width:100%}"
            "</style></head><body>",
            f"<h1>{esc(title)}</h1><p>{esc(made)}<br>"
            f"{'<br>'.join(esc(line) for block in provenance for line in block)}</p>",
            f"<p>{esc(summary)}</p><h2>Headline</h2>",
            side_by_side.to_html(index=False, border=0),
            f"<img alt='comparison' src='data:image/png;base64,{encoded}'>",
            "<h2>Alarms whose incident count changes</h2>",
            changed.head(n).to_html(index=False, border=0),
            "</body></html>",
        ]
        path = folder / "comparison.html"
        path.write_text("\n".join(parts), encoding="utf-8")
    _close({"comparison": display})
    return path
