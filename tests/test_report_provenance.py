"""Every report names its history and policy with their SHA-256; compare's console fits 100 columns; an empty
history is warned about."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from incidentsim.cli import main

DATA = Path(__file__).resolve().parents[1] / "data"
HISTORY = DATA / "alarm-events.jsonl"
POLICY = DATA / "sample-policy.yaml"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_report_made_from_a_replay_folder_names_the_same_files_and_hashes(tmp_path, capsys):
    replayed = tmp_path / "replay"
    assert (
        main(["replay", str(HISTORY), "--policy", str(POLICY), "--engine", "fast", "--quiet", "--out", str(replayed)])
        == 0
    )
    summary = json.loads((replayed / "summary.json").read_text())
    assert summary["provenance"] == {
        "history": [{"file": "alarm-events.jsonl", "sha256": digest(HISTORY)}],
        "policy": {"file": "sample-policy.yaml", "sha256": digest(POLICY)},
    }
    assert main(["report", str(replayed), "--format", "md", "--out", str(tmp_path / "report")]) == 0
    capsys.readouterr()
    lines = [
        f"history: alarm-events.jsonl (sha256 {digest(HISTORY)[:16]})",
        f"policy: sample-policy.yaml (sha256 {digest(POLICY)[:16]})",
    ]
    markdown = (tmp_path / "report" / "report.md").read_text()
    own = (replayed / "report.html").read_text()
    for line in lines:
        assert f"- {line}\n" in markdown
        assert line in own


def test_a_replay_folder_that_recorded_nothing_says_so(tmp_path, capsys):
    replayed = tmp_path / "replay"
    assert main(["replay", "--engine", "fast", "--quiet", "--out", str(replayed)]) == 0
    summary = json.loads((replayed / "summary.json").read_text())
    del summary["provenance"]  # as a folder written before the hashes were recorded
    (replayed / "summary.json").write_text(json.dumps(summary))
    assert main(["report", str(replayed), "--format", "md", "--out", str(tmp_path / "report")]) == 0
    capsys.readouterr()
    markdown = (tmp_path / "report" / "report.md").read_text()
    assert "- history and policy: not recorded with this result, so no SHA-256 to show\n" in markdown
    assert "sha256" not in markdown


@pytest.mark.parametrize("by", ["alarm", "plan"])
def test_compare_prints_at_most_100_columns_and_the_csv_keeps_every_column(by, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    wider = tmp_path / "wider.yaml"
    wider.write_text(
        POLICY.read_text().replace(
            "    tags: {team: search}", "    tags: {team: search}\n    dedupe_string: search-outage"
        )
    )
    assert (
        main(
            [
                "compare",
                "--policy",
                str(POLICY),
                "--policy",
                "wider.yaml",
                "--by",
                by,
                "--engine",
                "fast",
                "--out",
                "cmp",
            ]
        )
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= 100, max(lines, key=len)
    table = pd.read_csv(tmp_path / "cmp" / "comparison.csv")
    assert {
        "incidents_a",
        "incidents_b",
        "incidents_diff",
        "deduplicated_a",
        "deduplicated_b",
        "triggers_a",
        "triggers_b",
    } <= set(table)
    changed = table[table["incidents_diff"] != 0]
    if by == "alarm":
        # a name that repeats across Regions is shown with its Region and account, on its own line with its numbers
        first = changed.iloc[0]
        region, account = first["alarm_arn"].split(":")[3:5]
        row = next(line for line in lines if line.startswith(f"{first['alarm_name']} ({region}, {account})"))
        assert row.split()[-5:] == [
            str(first["incidents_a"]),
            str(first["incidents_b"]),
            f"{first['incidents_diff']:+}",
            str(first["deduplicated_a"]),
            str(first["deduplicated_b"]),
        ]
    else:
        assert any(line.startswith("search-degraded ") for line in lines)
    assert lines[-1] == f"wrote cmp/: comparison.csv (every {by}, every column), comparison.html and its CSVs"


@pytest.mark.parametrize("command", [["load"], ["replay", "--engine", "fast", "--quiet"], ["report"]])
def test_an_empty_history_is_warned_about(command, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty.jsonl").write_text("")
    assert main([command[0], "empty.jsonl", *command[1:]]) == 0
    err = capsys.readouterr().err
    assert (
        f"incidentsim {command[0]}: warning: empty.jsonl gave no alarm state changes (0 records read): "
        "nothing to replay, every count is 0"
    ) in err.splitlines()


def test_a_history_with_records_gets_no_warning(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["load", str(HISTORY)]) == 0
    assert "warning" not in capsys.readouterr().err
