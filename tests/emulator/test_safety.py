"""Nothing in incidentsim reaches real AWS by accident."""

from __future__ import annotations

import http.server
import json
import threading

import pytest

from incidentsim.emulator import (
    EmulatorNotAnsweringError,
    UnsafeEndpointError,
    check_endpoint,
    is_loopback,
    make_client,
    mock_incidents,
)
from incidentsim.emulator.server import EmulatorControl, EmulatorServer


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "localhost", "::1", "[::1]"])
def test_loopback_hosts_are_recognised(host):
    assert is_loopback(host)


@pytest.mark.parametrize(
    "host", ["0.0.0.0", "10.0.0.1", "192.168.1.2", "ssm-incidents.us-east-1.amazonaws.com", "", None]
)
def test_other_hosts_are_not_loopback(host):
    assert not is_loopback(host)


def test_a_client_outside_any_mock_refuses_to_send(monkeypatch):
    sent = []
    monkeypatch.setattr("botocore.httpsession.URLLib3Session.send", lambda self, request: sent.append(request))
    client = make_client()
    with pytest.raises(UnsafeEndpointError, match="no moto mock answered"):
        client.list_response_plans()
    assert sent == []


def test_clients_use_throw_away_credentials(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALLOOKINGKEY01")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-secret")
    credentials = make_client()._request_signer._credentials
    assert credentials.access_key == "testing"
    assert credentials.secret_key == "testing"


@pytest.mark.parametrize(
    "url", ["https://ssm-incidents.us-east-1.amazonaws.com", "http://10.1.2.3:5000", "http://0.0.0.0:5000"]
)
def test_non_loopback_endpoints_need_an_explicit_flag(url):
    with pytest.raises(UnsafeEndpointError, match="allow_remote"):
        make_client(endpoint_url=url)
    with pytest.raises(UnsafeEndpointError):
        EmulatorControl(url)
    assert check_endpoint(url, allow_remote=True) == url


def test_malformed_endpoint_is_refused():
    with pytest.raises(UnsafeEndpointError, match="must look like"):
        check_endpoint("127.0.0.1:5000")


def test_server_refuses_a_non_loopback_bind():
    with pytest.raises(UnsafeEndpointError, match="not a loopback address"):
        EmulatorServer(host="0.0.0.0", port=0)


class _Impostor(http.server.BaseHTTPRequestHandler):
    """A loopback server that answers like AWS but is not the emulator."""

    def do_POST(self):  # noqa: N802
        body = json.dumps({"responsePlanSummaries": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_an_answer_from_something_other_than_the_emulator_fails_loudly():
    impostor = http.server.HTTPServer(("127.0.0.1", 0), _Impostor)
    thread = threading.Thread(target=impostor.serve_forever, daemon=True)
    thread.start()
    try:
        client = make_client(endpoint_url=f"http://127.0.0.1:{impostor.server_port}")
        with pytest.raises(EmulatorNotAnsweringError, match="ListResponsePlans was answered by something other"):
            client.list_response_plans()
    finally:
        impostor.shutdown()
        impostor.server_close()


def test_inside_the_mock_the_emulator_header_is_present():
    with mock_incidents() as mock:
        response = mock.client().list_response_plans()
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-incidentsim-emulator"] == "ssm-incidents"
