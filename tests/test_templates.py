"""Templates cannot hang a replay or exhaust memory: every bound is a TemplateError naming the place and
the bound, reached quickly, and ordinary templates render as before."""

from __future__ import annotations

import pytest

from incidentsim import replay
from incidentsim.policy import Template, TemplateRenderError
from incidentsim.templating import MAX_OUTPUT, MAX_STEPS, MAX_VALUE
from tests.replay.helpers import history, policy

CONTEXT = {
    "alarm_name": "web-5xx",
    "region": "us-east-1",
    "reason": "Threshold Crossed",
    "dimensions": {"InstanceId": "i-1"},
}


@pytest.mark.parametrize(
    "source, bound",
    [
        (
            "{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}",
            f"more than {MAX_VALUE} characters or items (range(99999))",
        ),
        (
            "{% for i in range(9999) %}{% for j in range(9999) %}{% endfor %}{% endfor %}",
            f"takes more than {MAX_STEPS} steps",
        ),
        (
            "{% set L = range(1000)|list %}{% for a in L %}{% for b in L %}{% for c in L %}"
            "{% endfor %}{% endfor %}{% endfor %}",
            "steps",
        ),
        ("{{ [1]*100000000 }}", "('*' repetition)"),
        ("{{ 'a'*200000000 }}", "('*' repetition)"),
        ('{{ "{:>1000000000}".format(alarm_name) }}', "width or precision over 10000 (str.format)"),
        ('{{ "{:{}}".format(alarm_name, 1000000000) }}', "width or count over 10000 (str.format)"),
        ("{{ alarm_name.center(1000000000) }}", "(str.center)"),
        ("{{ alarm_name|center(1000000000) }}", "(filter 'center')"),
        ("{{ '%1000000000d' % 5 }}", "('%' formatting)"),
        ("{{ '%1000000000d'|format(5) }}", "('%' formatting)"),
        ("{{ 9 ** (9 ** 9) }}", "whole number of more than"),
        ("{{ alarm_name.replace('', 'x' * 5000) }}", "(str.replace)"),
        (
            "{% set ns = namespace(x='ab') %}{% for i in range(40) %}{% set ns.x = ns.x ~ ns.x %}{% endfor %}",
            "('~' concatenation)",
        ),
        (
            "{% set ns = namespace(x=3) %}{% for i in range(40) %}{% set ns.x = ns.x * ns.x %}{% endfor %}",
            "whole number",
        ),
        ("{{ (range(10000)|list)|join(',') }}", "(filter 'join')"),
        ("{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}", "recurses too deeply"),
        ("{{ 'x' * 5000 }}", f"renders more than {MAX_OUTPUT} characters"),
        ("{% for i in range(2000) %}{{ alarm_name }}{% endfor %}", f"renders more than {MAX_OUTPUT} characters"),
    ],
)
def test_a_template_over_a_bound_is_a_template_error_naming_place_and_bound(source, bound):
    template = Template(source, "policy.yaml:12 routes[0].title")
    with pytest.raises(TemplateRenderError) as excinfo:
        template.render(CONTEXT)
    message = str(excinfo.value)
    assert message.startswith("policy.yaml:12 routes[0].title: the template ")
    assert bound in message
    assert not message.endswith("..")


def test_lipsum_is_not_offered():
    with pytest.raises(TemplateRenderError, match="'lipsum' is undefined"):
        Template("{{ lipsum(n=1000000000) }}").render(CONTEXT)


@pytest.mark.parametrize(
    "source, expected",
    [
        ("{{ alarm_name|upper }} in {{ region }}", "WEB-5XX in us-east-1"),
        ("{{ '{:>9}'.format(alarm_name) }}|{{ '%-8s' % alarm_name }}|", "  web-5xx|web-5xx |"),
        ("{% for i in range(3) %}{{ loop.index }}{% endfor %}", "123"),
        ("{% for k, v in dimensions.items() %}{{ k }}={{ v }}{% endfor %}", "InstanceId=i-1"),
        ("{{ 'ab' * 3 ~ '!' }} {{ 2 ** 10 }} {{ [1, 2] + [3] }}", "ababab! 1024 [1, 2, 3]"),
        ("{{ ((reason ~ ' ') * 3) | trim }}", "Threshold Crossed Threshold Crossed Threshold Crossed"),
        ("{{ 'x' * 1000 }}", "x" * 1000),
    ],
)
def test_ordinary_templates_render_as_before(source, expected):
    assert Template(source).render(CONTEXT) == expected


def test_a_replay_with_a_runaway_title_rejects_that_route_and_finishes():
    events = history(
        (0, "web-5xx", "ALARM", "OK"),
        (1, "db-cpu", "ALARM", "OK"),
        (2, "web-5xx", "OK", "ALARM"),
        (3, "web-5xx", "ALARM", "OK"),
    )
    runaway = policy(
        routes=[
            {"name": "db", "match": {"alarm_name": "db-*"}, "plan": "db"},
            {
                "name": "web",
                "match": {"alarm_name": "web-*"},
                "plan": "web",
                "title": "{% for i in range(9999) %}{% for j in range(9999) %}{% endfor %}{% endfor %}",
            },
        ]
    )
    for engine in ("fast", "emulator"):
        result = replay(events, runaway, engine=engine, progress=False)
        table = result.events
        web = table[table["alarm_name"] == "web-5xx"]
        triggers = web[web["state"] == "ALARM"]
        assert list(triggers["outcome"].astype(str)) == ["rejected", "rejected"], engine
        assert set(triggers["error_code"].astype(str)) == {"TemplateError"}
        for text in triggers["explanation"]:
            assert "routes[1].title: the template takes more than 100000 steps" in text, text
            assert text.endswith("operations).") and not text.endswith("..")
        assert table.loc[table["alarm_name"] == "db-cpu", "outcome"].astype(str).tolist() == ["created"]
        assert "0 x" not in result.summary_text()
