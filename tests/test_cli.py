"""The incidentsim command as a user runs it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from incidentsim.cli import main


def test_demo_shows_a_create_a_dedupe_an_idempotent_retry_and_a_new_incident(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line[:2].isdigit()]
    assert len(lines) == 6
    assert "created" in lines[0] and "incident 1" in lines[0]
    assert "deduplicated" in lines[1] and "incident 1" in lines[1]
    assert "idempotent" in lines[3]
    assert "created" in lines[5] and "incident 2" in lines[5]
    assert "5 StartIncident calls -> 2 incident records" in out


def test_no_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as excinfo:
        main([])
    assert excinfo.value.code == 2
    assert "COMMAND" in capsys.readouterr().err


def test_console_script_is_installed():
    result = subprocess.run([sys.executable, "-m", "incidentsim.cli", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "serve" in result.stdout and "demo" in result.stdout
