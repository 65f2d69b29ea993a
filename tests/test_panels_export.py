"""The tuning panel started from an imported policy, its save button writing the CloudFormation export beside the
YAML."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import yaml  # noqa: E402

import incidentsim  # noqa: E402
from incidentsim.awsconfig import import_policy  # noqa: E402
from incidentsim.panels import TuningPanel  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data"


def test_the_panel_tunes_an_imported_policy_and_saves_its_cloudformation_beside_it(tmp_path):
    alarms = incidentsim.load_alarms(DATA / "alarm-events.jsonl").alarms
    panel = TuningPanel(alarms, import_policy(DATA / "live-config").policy, debounce_s=0)
    assert set(panel.route_controls) == {
        "plan-capacity-watch",
        "plan-checkout-critical",
        "plan-payments-critical",
        "plan-search-degraded",
    }
    panel.route_controls["plan-checkout-critical"]["title"].value = "{{ alarm_name }} in {{ region }}"
    panel.save_cloudformation.value = True
    panel.save_path.value = str(tmp_path / "tuned.yaml")
    panel.save_button.click()
    assert (tmp_path / "tuned.yaml").is_file()
    template = (tmp_path / "tuned.cfn.yaml").read_text()
    assert "route plan-checkout-critical -> checkout-critical: title template" in template
    resources = yaml.safe_load(template)["Resources"]
    assert sorted(r["Properties"]["Name"] for r in resources.values()) == sorted(
        p.name for p in panel.policy.response_plans
    )
    assert "tuned.cfn.yaml" in panel.message.value
    # from the history alone, every routed alarm is a change whose current actions are unknown
    from_history = json.loads((tmp_path / "tuned.cfn.alarm-changes.json").read_text())
    routed = {arn for arn in alarms["alarm_arn"].astype(str) if not panel.policy.route_for({"alarm_arn": arn}).ignore}
    assert {c["alarm_arn"] for c in from_history} == routed and all(c["current_actions"] is None for c in from_history)
    # from the live wiring, only real changes: a title is no alarm action, so none
    panel.live_config = DATA / "live-config"
    panel.save(tmp_path / "tuned.yaml")
    assert json.loads((tmp_path / "tuned.cfn.alarm-changes.json").read_text()) == []
    panel.save_cloudformation.value = False
    panel.save(tmp_path / "plain.yaml")
    assert not (tmp_path / "plain.cfn.yaml").exists()


def test_a_live_config_that_cannot_be_read_is_said_in_the_panel(tmp_path):
    alarms = incidentsim.load_alarms(DATA / "alarm-events.jsonl").alarms
    panel = TuningPanel(alarms, import_policy(DATA / "live-config").policy, debounce_s=0)
    panel.save_cloudformation.value = True
    panel.live_config = tmp_path / "missing"
    panel.save(tmp_path / "tuned.yaml")
    assert (tmp_path / "tuned.yaml").is_file() and not (tmp_path / "tuned.cfn.yaml").exists()
    assert (
        "no CloudFormation export" in panel.message.value and "missing: no such file or folder" in panel.message.value
    )
