"""Reports: the headline numbers are there, the plots are embedded, every table has its CSV."""

from __future__ import annotations

import hashlib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import incidentsim  # noqa: E402
from incidentsim.cli import main  # noqa: E402
from incidentsim.params import InvalidParameterError  # noqa: E402
from incidentsim.report import write_comparison_report, write_report  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data"


def test_html_report_is_self_contained_with_headline_first(result, tmp_path):
    path = write_report(result, tmp_path, history=[DATA / "alarm-events.jsonl"], policy=DATA / "sample-policy.yaml")
    text = path.read_text()
    summary = result.summary()
    assert text.index("Headline") < text.index("Where the noise comes from") < text.index("<img")
    assert f"<td>{summary['created']:,}</td>" in text and f"<td>{summary['dedup_ratio']:.1%}</td>" in text
    assert text.count("src='data:image/png;base64,") == 4
    assert "http://" not in text and "https://" not in text  # no external assets
    digest = hashlib.sha256((DATA / "alarm-events.jsonl").read_bytes()).hexdigest()[:16]
    assert f"alarm-events.jsonl (sha256 {digest})" in text
    assert "sample-policy.yaml (sha256" in text
    for table in ("noisiest_alarms", "outcomes_by_plan", "impact_mix", "interruptions", "shifts_over_limit", "titles"):
        assert len(pd.read_csv(tmp_path / f"{table}.csv")) > 0


def test_markdown_report_has_its_plots_beside_it(result, tmp_path):
    path = write_report(result, tmp_path, format="md")
    text = path.read_text()
    assert text.startswith("# Incident trigger report")
    assert "| incidents created | " in text
    for name in ("trigger_volume", "incidents_by_impact", "noisiest_alarms", "interruptions_by_hour"):
        assert f"]({name}.png)" in text and (tmp_path / f"{name}.png").read_bytes()[:4] == b"\x89PNG"


def test_the_remedy_list_tells_apart_alarms_of_one_name_in_two_regions(result, tmp_path):
    text = write_report(result, tmp_path, format="md").read_text()
    remedies = [line for line in text.splitlines() if line.startswith("- checkout-service-degraded")]
    assert len(remedies) == 2
    assert {line.split(":")[0] for line in remedies} == {
        "- checkout-service-degraded [us-east-1]",
        "- checkout-service-degraded [eu-west-1]",
    }


def test_report_format_is_checked(result, tmp_path):
    with pytest.raises(
        InvalidParameterError,
        match=r"^The 'format' parameter of write_report must be one of \{html, md\}\. Got 'pdf' instead\.$",
    ):
        write_report(result, tmp_path, format="pdf")


@pytest.mark.parametrize(
    "function, options, parameter, shown",
    [
        ("write_report", {"format": "pdf"}, "format", "'pdf'"),
        ("write_report", {"tz": "Mars/Olympus"}, "tz", "'Mars/Olympus'"),
        ("write_report", {"history": "events.jsonl"}, "history", "'events.jsonl'"),
        ("write_report", {"title": 3}, "title", "3"),
        ("write_report", {"out": 3}, "out", "3"),
        ("write_comparison_report", {"format": "pdf"}, "format", "'pdf'"),
        ("write_comparison_report", {"tz": "nowhere"}, "tz", "'nowhere'"),
        ("write_comparison_report", {"n": 0}, "n", "0"),
        ("write_comparison_report", {"policies": "a.yaml"}, "policies", "'a.yaml'"),
        ("write_comparison_report", {"policies": (None, None, None)}, "policies", "(None, None, None)"),
    ],
)
def test_each_report_parameter_is_checked_before_anything_is_written(tmp_path, function, options, parameter, shown):
    out = tmp_path / "report"
    options = {"out": out, **options}
    with pytest.raises(InvalidParameterError) as caught:
        if function == "write_report":
            write_report(None, **options)
        else:
            write_comparison_report(None, None, **options)
    assert (caught.value.parameter, caught.value.owner, caught.value.got) == (parameter, function, shown)
    assert str(caught.value).startswith(f"The '{parameter}' parameter of {function} must ")
    assert not out.exists()


def test_report_command_from_a_replay_folder(tmp_path, capsys):
    assert main(["replay", "--engine", "fast", "--quiet", "--out", str(tmp_path / "replay")]) == 0
    assert (tmp_path / "replay" / "report.html").is_file()
    capsys.readouterr()
    assert main(["report", str(tmp_path / "replay"), "--format", "md", "--out", str(tmp_path / "rep")]) == 0
    assert "wrote" in capsys.readouterr().out
    again = incidentsim.ReplayResult.read(tmp_path / "replay")
    assert (
        again.summary()
        == incidentsim.replay(DATA / "alarm-events.jsonl", DATA / "sample-policy.yaml", engine="fast").summary()
    )
    assert "| incidents created | " in (tmp_path / "rep" / "report.md").read_text()


def test_report_command_on_a_folder_without_a_result(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "holds no replay result" in capsys.readouterr().err


def test_comparison_report(result, tmp_path):
    policy = incidentsim.Policy.from_yaml(DATA / "sample-policy.yaml")
    plans = tuple(
        p if p.name != "search-degraded" else type(p)(**{**p.__dict__, "dedupe_string": "search"})
        for p in policy.response_plans
    )
    tuned = incidentsim.replay(result.events, policy.replace(response_plans=plans, name="wider-search"), engine="fast")
    path = write_comparison_report(result, tuned, tmp_path, policies=(DATA / "sample-policy.yaml", None))
    text = path.read_text()
    assert "Two policies compared: &#x27;sample-policy&#x27; and &#x27;wider-search&#x27;" in text
    assert f"<td>{result.summary()['created']:,}</td>" in text and f"<td>{tuned.summary()['created']:,}</td>" in text
    by_alarm = pd.read_csv(tmp_path / "comparison_by_alarm.csv")
    assert by_alarm["incidents_b"].sum() == tuned.summary()["created"]
    md = write_comparison_report(result, tuned, tmp_path / "md", format="md")
    assert (
        tmp_path / "md" / "comparison.png"
    ).is_file() and "| figure | sample-policy | wider-search |" in md.read_text()
