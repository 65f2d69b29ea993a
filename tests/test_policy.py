"""Policies: YAML in and out, validation naming the place, sandboxed templates."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from incidentsim.policy import Policy, PolicyError, Template, TemplateRenderError, parse_duration

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample-policy.yaml"

GOOD = """\
response_plans:
  - name: web
    title: Web degraded
    impact: 3
routes:
  - name: web
    match: {alarm_name: "web-*"}
    plan: web
"""


def load(text: str, tmp_path: Path) -> Policy:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    return Policy.from_yaml(path)


def test_the_sample_policy_loads_and_round_trips():
    policy = Policy.from_yaml(SAMPLE)
    assert [plan.name for plan in policy.response_plans] == [
        "checkout-critical",
        "payments-critical",
        "search-degraded",
        "capacity-watch",
    ]
    assert policy.resolve.delay == timedelta(minutes=15)
    assert Policy.from_yaml(policy.to_yaml()) == policy


def test_written_yaml_can_be_read_back(tmp_path):
    policy = load(GOOD, tmp_path).replace(title_overflow="truncate")
    policy.to_yaml(tmp_path / "tuned.yaml")
    assert Policy.from_yaml(tmp_path / "tuned.yaml").title_overflow == "truncate"


@pytest.mark.parametrize(
    "change, message",
    [
        (
            GOOD.replace("impact: 3", "impact: 7"),
            "policy.yaml:4 response_plans[0].impact: expected an impact from 1 (critical) to 5",
        ),
        (
            GOOD.replace("plan: web", "plan: api"),
            "policy.yaml:8 routes[0].plan: no response plan named 'api'; plans are web",
        ),
        (
            GOOD.replace("name: web\n    title", "name: web site\n    title"),
            "response_plans[0].name: 'web site': a response plan name takes",
        ),
        (
            GOOD.replace("match: {alarm_name", "match: {alarm_nom"),
            "routes[0].match.alarm_nom: unknown key; expected one of alarm_name",
        ),
        (
            GOOD + "resolve: {strategy: on_ok, delay: soon}\n",
            "policy.yaml:9 resolve.delay: expected a duration such as 15m",
        ),
        (
            GOOD + "client_token: {strategy: per_alarm_window}\n",
            "client_token: per_alarm_window needs a positive 'window'",
        ),
        (GOOD + "unmatched: pager\n", "unmatched: expected 'ignore' or the name of a response plan, got 'pager'"),
        (
            GOOD + "emulator: {dedupe_scope: galaxy}\n",
            "emulator.dedupe_scope: must be one of {account, response_plan}. Got 'galaxy' instead.",
        ),
        (GOOD + "colour: red\n", "colour: unknown key"),
        (
            GOOD.replace('match: {alarm_name: "web-*"}', 'match: {alarm_name: {regex: "web-("}}'),
            "routes[0].match.alarm_name.regex: not a valid regular expression",
        ),
        (GOOD + '    title: "{{ alarm_name"\n', "policy.yaml:9 routes[0].title: template error"),
        ("response_plans: [\n", "policy.yaml:2: not valid YAML"),
        ("routes: []\n", "response_plans: expected a list of at least one response plan"),
    ],
)
def test_errors_name_the_file_line_and_path(tmp_path, change, message):
    with pytest.raises(PolicyError) as excinfo:
        load(change, tmp_path)
    assert message in str(excinfo.value)


def test_a_missing_policy_file_is_named(tmp_path):
    with pytest.raises(PolicyError, match="no such policy file"):
        Policy.from_yaml(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    "source",
    [
        "{{ alarm_name.__class__.__mro__ }}",
        "{{ ''.__class__.__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ dimensions.update({'x': 1}) }}",
    ],
)
def test_templates_cannot_reach_python_internals(source):
    template = Template(source, "routes[0].title")
    with pytest.raises(TemplateRenderError) as excinfo:
        template.render({"alarm_name": "web-5xx", "dimensions": {}})
    assert excinfo.value.where == "routes[0].title"


def test_templates_render_alarm_fields_and_filters():
    template = Template("{{ alarm_name | upper }} {{ dimensions.InstanceId }} {{ reason | truncate(12, true, '...') }}")
    assert (
        template.render(
            {"alarm_name": "cpu", "dimensions": {"InstanceId": "i-1"}, "reason": "Threshold Crossed: 3 of 5"}
        )
        == "CPU i-1 Threshold..."
    )


@pytest.mark.parametrize(
    "text, seconds", [("90s", 90), ("15m", 900), ("1.5h", 5400), ("2d", 172800), ("1w", 604800), (30, 30)]
)
def test_durations(text, seconds):
    assert parse_duration(text).total_seconds() == seconds


def test_route_matching_globs_lists_and_regex():
    policy = Policy.from_dict(
        {
            "response_plans": [{"name": "p", "title": "t", "impact": 3}],
            "routes": [
                {"name": "a", "match": {"alarm_name": ["db-*", "cache-*"], "region": "eu-*"}, "plan": "p"},
                {"name": "b", "match": {"alarm_name": {"regex": "latency$"}}, "plan": "p"},
            ],
        }
    )
    assert policy.route_for({"alarm_name": "db-cpu", "region": "eu-west-1"}).name == "a"
    assert policy.route_for({"alarm_name": "db-cpu", "region": "us-east-1"}) is None
    assert policy.route_for({"alarm_name": "api-latency", "region": "us-east-1"}).name == "b"
