"""The live wiring of the bundled sample, as the AWS CLI would print it.

The sample's estate (see :mod:`incidentsim.datasets.synthetic`) is wired as a team would wire
it before any tuning: every alarm pages through its SNS topic, and its ``AlarmActions`` also name
one response plan per service (``checkout-critical``, ``payments-critical``, ``search-degraded``),
except database, cache and queue alarms, which go to ``capacity-watch``, and the payments
maintenance flag, which starts nothing. The plans are those of ``data/sample-policy.yaml``,
without its per-route titles and impacts. :func:`write_sample_config` writes, into
``<out>/live-config/``, one ``describe-alarms`` output per account and Region and one file of
``get-response-plan`` outputs per account, which ``incidentsim policy import`` reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..datasets import synthetic
from .wiring import AlarmWiring, PlanWiring, Wiring

#: The plans of the sample: name -> (title, impact, summary, team).
SAMPLE_PLANS: dict[str, tuple[str, int, str | None, str]] = {
    "checkout-critical": ("Checkout degraded", 2, "Customers may be unable to complete a purchase.", "checkout"),
    "payments-critical": ("Payments degraded", 1, "Card authorisation or settlement is failing.", "payments"),
    "search-degraded": ("Search degraded", 3, "Search results are slow, stale or missing.", "search"),
    "capacity-watch": ("Capacity or backlog building up", 4, None, "platform"),
}
CAPACITY_NAMESPACES = ("AWS/RDS", "AWS/ElastiCache", "AWS/SQS", "AWS/DynamoDB")
SERVICE_PLANS = {"checkout": "checkout-critical", "payments": "payments-critical", "search": "search-degraded"}
FOLDER = "live-config"


def plan_of(alarm: dict[str, Any]) -> str | None:
    """The response plan an alarm of :func:`~incidentsim.datasets.synthetic.estate_alarms` names, if any."""
    if alarm["name"].endswith("-maintenance-mode"):
        return None
    if alarm["namespace"] in CAPACITY_NAMESPACES:
        return "capacity-watch"
    return SERVICE_PLANS[alarm["service"]]


def sample_wiring() -> Wiring:
    """The sample estate's alarms and plans (deterministic; no randomness)."""
    wiring = Wiring()
    used: dict[str, list[str]] = {}
    for alarm in synthetic.estate_alarms():
        plan = plan_of(alarm)
        actions = [alarm["topic"]]
        if plan is not None:
            actions.append(f"arn:aws:ssm-incidents::{alarm['account_id']}:responseplan/{plan}")
            if plan not in used.setdefault(alarm["account_id"], []):
                used[alarm["account_id"]].append(plan)
        composite = alarm["kind"] == "composite"
        wiring.alarms.append(
            AlarmWiring(
                name=alarm["name"],
                arn=alarm["arn"],
                account_id=alarm["account_id"],
                region=alarm["region"],
                kind="composite" if composite else "metric",
                alarm_actions=tuple(actions),
                suppressor=alarm["suppressor"],
                suppressor_wait_s=alarm["suppressor_wait_s"],
                suppressor_extension_s=alarm["suppressor_extension_s"],
                namespace="" if composite else alarm["namespace"],
                metric_name="" if composite else alarm["metric_name"],
            )
        )
    for account, plans in sorted(used.items()):
        for name in sorted(plans):
            title, impact, summary, team = SAMPLE_PLANS[name]
            wiring.plans.append(
                PlanWiring(
                    name,
                    f"arn:aws:ssm-incidents::{account}:response-plan/{name}",
                    account,
                    title,
                    impact,
                    summary,
                    tags=(("team", team),),
                )
            )
    return wiring


def write_sample_config(out_dir: str | Path) -> dict[str, Path]:
    """Write ``<out_dir>/live-config/``: ``describe-alarms_<account>_<region>.json`` and
    ``get-response-plan_<account>.json``.

    Returns each written file by its path relative to ``out_dir``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     for name in sorted(write_sample_config(folder))[:2]:
    ...         print(name)
    live-config/describe-alarms_111111111111_eu-west-1.json
    live-config/describe-alarms_111111111111_us-east-1.json
    """
    written = sample_wiring().write(Path(out_dir) / FOLDER)
    return {f"{FOLDER}/{name}": path for name, path in written.items()}
