"""``incidentsim serve``: boto3, the real AWS CLI and the control API against a served emulator."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from datetime import datetime, timezone

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from incidentsim.emulator import make_client
from incidentsim.emulator.server import EmulatorControl

pytestmark = pytest.mark.slow


@pytest.fixture
def control(server):
    control = EmulatorControl(server.endpoint_url)
    control.reset()
    yield control
    control.reset()


@pytest.fixture
def remote(server, control):
    return make_client(endpoint_url=server.endpoint_url, config=Config(retries={"total_max_attempts": 1}))


def _aws(server, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_PAGER": "",
    }
    command = [
        sys.executable,
        "-m",
        "awscli",
        "ssm-incidents",
        *args,
        "--endpoint-url",
        server.endpoint_url,
        "--output",
        "json",
    ]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def test_boto3_against_the_served_emulator(remote):
    plan = remote.create_response_plan(name="web", incidentTemplate={"title": "Web", "impact": 2})["arn"]
    trigger = {
        "source": "aws.cloudwatch",
        "triggerArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:a",
        "timestamp": datetime(2024, 1, 1, tzinfo=timezone.utc),
    }
    a = remote.start_incident(responsePlanArn=plan, triggerDetails=trigger)
    b = remote.start_incident(responsePlanArn=plan, triggerDetails=trigger)
    assert a["incidentRecordArn"] == b["incidentRecordArn"]
    assert b["ResponseMetadata"]["HTTPHeaders"]["x-incidentsim-outcome"] == "deduplicated"
    with pytest.raises(ClientError) as excinfo:
        remote.start_incident(responsePlanArn=plan, impact=6)
    assert excinfo.value.response["Error"]["Code"] == "ValidationException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_the_aws_cli_starts_and_lists_incidents(server, control):
    created = _aws(
        server, "create-response-plan", "--name", "cli-plan", "--incident-template", "title=From the CLI,impact=3"
    )
    assert created.returncode == 0, created.stderr
    plan_arn = json.loads(created.stdout)["arn"]
    assert plan_arn == "arn:aws:ssm-incidents::123456789012:response-plan/cli-plan"

    started = _aws(
        server, "start-incident", "--response-plan-arn", plan_arn, "--title", "Paged from the CLI", "--impact", "2"
    )
    assert started.returncode == 0, started.stderr
    record_arn = json.loads(started.stdout)["incidentRecordArn"]

    listed = _aws(server, "list-incident-records")
    assert listed.returncode == 0, listed.stderr
    summaries = json.loads(listed.stdout)["incidentRecordSummaries"]
    assert [(s["arn"], s["title"], s["impact"], s["status"]) for s in summaries] == [
        (record_arn, "Paged from the CLI", 2, "OPEN")
    ]

    resolved = _aws(server, "update-incident-record", "--arn", record_arn, "--status", "RESOLVED")
    assert resolved.returncode == 0 and resolved.stdout.strip() == ""  # "produces no output", as documented
    record = json.loads(_aws(server, "get-incident-record", "--arn", record_arn).stdout)["incidentRecord"]
    assert record["status"] == "RESOLVED" and "resolvedTime" in record


def test_the_aws_cli_sees_validation_errors(server, control):
    result = _aws(
        server,
        "start-incident",
        "--response-plan-arn",
        "arn:aws:ssm-incidents::123456789012:response-plan/x",
        "--impact",
        "7",
    )
    assert result.returncode != 0
    assert "ValidationException" in result.stderr and "impact" in result.stderr


def test_control_api_pins_the_clock(remote, control):
    state = control.set_clock("2019-10-02T17:04:40Z")
    assert state["clock"] == {"now": "2019-10-02T17:04:40+00:00", "virtual": True}
    plan = remote.create_response_plan(name="p", incidentTemplate={"title": "t", "impact": 3})["arn"]
    arn = remote.start_incident(responsePlanArn=plan)["incidentRecordArn"]
    assert remote.get_incident_record(arn=arn)["incidentRecord"]["creationTime"] == datetime(
        2019, 10, 2, 17, 4, 40, tzinfo=timezone.utc
    )
    assert control.advance_clock(60)["clock"]["now"] == "2019-10-02T17:05:40+00:00"
    assert control.set_clock(None)["clock"]["virtual"] is False


def test_control_api_sets_options_and_faults(remote, control):
    assert control.configure(dedupe_scope="response_plan")["options"]["dedupe_scope"] == "response_plan"
    control.set_faults({"StartIncident": {"throttle": 1.0}}, seed=3)
    plan = remote.create_response_plan(name="p", incidentTemplate={"title": "t", "impact": 3})["arn"]
    with pytest.raises(ClientError) as excinfo:
        remote.start_incident(responsePlanArn=plan)
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert control.state()["faults"]["injected"] == {"throttle": 1}
    control.set_faults(None)
    assert remote.start_incident(responsePlanArn=plan)["incidentRecordArn"]


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda c: c.configure(dedupe_scope="galaxy"), "dedupe_scope"),
        (lambda c: c.configure(colour="red"), "unknown emulator option"),
        (lambda c: c.set_clock("yesterday"), "ISO 8601"),
        (
            lambda c: c.set_faults({"StartIncident": {"throttle": 2}}),
            r"'throttle' parameter of FaultRule must be a number in \[0, 1\]",
        ),
    ],
)
def test_control_api_names_bad_input(control, call, message):
    with pytest.raises(ValueError, match=message):
        call(control)


def test_reset_forgets_everything(remote, control):
    remote.create_response_plan(name="p", incidentTemplate={"title": "t", "impact": 3})
    control.reset()
    assert remote.list_response_plans()["responsePlanSummaries"] == []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_incidentsim_serve_command(tmp_path):
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "incidentsim.cli", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        client = make_client(endpoint_url=f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        while True:
            try:
                client.list_response_plans()
                break
            except Exception:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        assert client.create_response_plan(name="p", incidentTemplate={"title": "t", "impact": 1})["arn"]
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert f"http://127.0.0.1:{port}" in output


def test_incidentsim_serve_refuses_a_public_bind():
    result = subprocess.run(
        [sys.executable, "-m", "incidentsim.cli", "serve", "--host", "0.0.0.0", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "not a loopback address" in result.stderr
    assert "Traceback" not in result.stderr


def test_reset_can_forget_incident_manager_alone(server, remote):
    from incidentsim.emulator.server import EmulatorControl

    control = EmulatorControl(server.endpoint_url)
    remote.create_response_plan(name="kept-until-reset", incidentTemplate={"title": "Web", "impact": 2})
    assert control.reset(service="ssm-incidents") == {"reset": "ssm-incidents"}
    assert remote.list_response_plans()["responsePlanSummaries"] == []
    with pytest.raises(ValueError, match="reset takes service 'ssm-incidents'"):
        control.reset(service="s3")


def _serve_and_read_banner(*args: str) -> tuple[str, subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "incidentsim.cli", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    return process.stdout.readline(), process


@pytest.mark.parametrize("host, url_host", [("127.0.0.1", "127.0.0.1"), ("[::1]", "[::1]"), ("::1", "[::1]")])
def test_serve_on_port_0_prints_the_port_it_picked_and_answers_there(host, url_host):
    if url_host == "[::1]" and not socket.has_ipv6:
        pytest.skip("this machine has no IPv6 loopback")
    banner, process = _serve_and_read_banner("--host", host, "--port", "0")
    try:
        if "cannot serve" in banner:
            pytest.skip(f"this machine cannot bind {host}: {banner.strip()}")
        url = banner.split(" at ", 1)[1].strip()
        assert url.startswith(f"http://{url_host}:") and not url.endswith(":0")
        assert make_client(endpoint_url=url).list_response_plans()["responsePlanSummaries"] == []
    finally:
        process.terminate()
        process.communicate(timeout=30)


def test_serve_on_a_port_in_use_says_so_in_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "incidentsim.cli", "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert f"incidentsim serve: cannot serve on 127.0.0.1 port {port}:" in result.stderr
    assert "Traceback" not in result.stderr and "serving" not in result.stdout


@pytest.mark.parametrize("port", [70000, -1, True, 5000.0, "5000"])
def test_a_server_and_the_dashboard_check_their_port_and_host_one_way(port, tmp_path):
    from incidentsim.dashboard import Dashboard
    from incidentsim.emulator.core import UnsafeEndpointError
    from incidentsim.emulator.server import EmulatorServer
    from incidentsim.params import InvalidParameterError

    for owner, make in (
        ("EmulatorServer", lambda **kw: EmulatorServer(**kw)),
        ("Dashboard", lambda **kw: Dashboard(None, tmp_path / "policy.yaml", **kw)),
    ):
        with pytest.raises(InvalidParameterError) as refused:
            make(port=port)
        assert str(refused.value) == (
            f"The 'port' parameter of {owner} must be an integer in [0, 65535]. Got {port!r} instead."
        )
        with pytest.raises(UnsafeEndpointError, match=r"on '10\.0\.0\.1': it is not a loopback address\. Pass"):
            make(host=" [10.0.0.1] ", port=0)


@pytest.mark.parametrize("command", ["serve", "dashboard"])
def test_the_commands_that_serve_word_a_bad_port_one_way(command, capsys):
    from incidentsim.cli import main

    assert main([command, "--port", "70000"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"incidentsim {command}: --port 70000: must be an integer in [0, 65535] (0: any free port)"
    )
