"""What a careless or hostile caller sends to ``incidentsim serve``: every request below is answered
with a 4xx that names the problem, over a real socket, and the server keeps serving."""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from incidentsim.emulator import make_client
from incidentsim.emulator.responses import MAX_BODY_BYTES
from incidentsim.emulator.server import EmulatorControl

pytestmark = pytest.mark.slow

SERVICE_HEADERS = {
    "Host": "ssm-incidents.us-east-1.amazonaws.com",
    "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/ssm-incidents/aws4_request, "
    "SignedHeaders=host, Signature=0",
    "Content-Type": "application/json",
}
PLAN = "arn:aws:ssm-incidents::123456789012:response-plan/hostile"


def _raw(
    server: Any,
    method: str,
    path: str,
    body: bytes | str = b"",
    headers: dict[str, str] | None = None,
    chunked: bool = False,
) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        data = body.encode() if isinstance(body, str) else body
        if chunked:
            connection.request(method, path, body=iter([data]), headers=headers or {}, encode_chunked=True)
        else:
            connection.request(method, path, body=data, headers=headers or {})
        response = connection.getresponse()
        text = response.read().decode("utf-8", errors="replace")
    finally:
        connection.close()
    try:
        return response.status, json.loads(text)
    except ValueError:
        return response.status, text


@pytest.fixture
def plan(server):
    EmulatorControl(server.endpoint_url).reset()
    client = make_client(endpoint_url=server.endpoint_url)
    client.create_response_plan(name="hostile", incidentTemplate={"title": "t", "impact": 3})
    yield client
    EmulatorControl(server.endpoint_url).reset()


def _start(body: dict[str, Any]) -> str:
    return json.dumps({"responsePlanArn": PLAN, **body})


@pytest.mark.parametrize(
    "path, body, expected",
    [
        ("/startIncident", "[" * 100_000 + "]" * 100_000, "nests deeper than 32 levels"),
        ("/startIncident", '{"a":' * 5_000 + "1" + "}" * 5_000, "nests deeper than 32 levels"),
        (
            "/startIncident",
            _start({"triggerDetails": {"source": "a", "timestamp": 1e30}}),
            "Value '1e+30' at 'triggerDetails.timestamp' failed to satisfy constraint: Member must be a time between",
        ),
        (
            "/createTimelineEvent",
            json.dumps({"incidentRecordArn": PLAN, "eventTime": -1e173, "eventType": "Custom Event", "eventData": "x"}),
            "at 'eventTime' failed to satisfy constraint: Member must be a time between",
        ),
        ("/startIncident", b'{"responsePlanArn": "caf\xe9"}', "not valid UTF-8 (byte 24)"),
        ("/startIncident", '{"responsePlanArn": "x", "impact": NaN}', "NaN is not a JSON number"),
        (
            "/startIncident",
            '{"responsePlanArn": "x", "triggerDetails": {"source": "a", "timestamp": Infinity}}',
            "Infinity is not a JSON number",
        ),
        ("/startIncident", '{"impact": 1' + "0" * 5000 + "}", "not valid JSON"),
        ("/startIncident", "[1, 2]", "must be a JSON object"),
        (
            "/startIncident",
            _start({"impact": "3"}),
            "Value '3' at 'impact' failed to satisfy constraint: Member must be of type integer",
        ),
        (
            "/startIncident",
            _start({"triggerDetails": "aws.cloudwatch"}),
            "at 'triggerDetails' failed to satisfy constraint: Member must be of type structure",
        ),
        (
            "/startIncident",
            _start({"triggerDetails": {"source": "a", "timestamp": "not a time"}}),
            "at 'triggerDetails.timestamp'",
        ),
        (
            "/tags/" + PLAN,
            json.dumps({"resourceArn": 5, "tags": {"a": "b"}}),
            "Member 'resourceArn' belongs in the request's uri",
        ),
        (
            "/tags/" + PLAN,
            json.dumps({"resourceArn": PLAN + "-other", "tags": {"a": "b"}}),
            "Member 'resourceArn' belongs in the request's uri",
        ),
    ],
    ids=[
        "deep-list",
        "deep-object",
        "timestamp-1e30",
        "eventTime--1e173",
        "not-utf8",
        "nan",
        "infinity",
        "huge-integer",
        "not-an-object",
        "string-impact",
        "string-structure",
        "bad-time-text",
        "tags-int-arn",
        "tags-other-arn",
    ],
)
def test_malformed_requests_are_validation_errors_naming_the_problem(server, plan, path, body, expected):
    status, answer = _raw(server, "POST", path, body, SERVICE_HEADERS)
    assert status == 400, answer
    assert answer["__type"] == "ValidationException"
    assert expected in answer["message"]
    assert not answer["message"].endswith("..")
    # the server still answers, and nothing was created or tagged by the refused requests
    assert plan.list_incident_records()["incidentRecordSummaries"] == []
    assert plan.list_tags_for_resource(resourceArn=PLAN)["tags"] == {}


def test_a_form_encoded_request_is_refused_in_json(server, plan):
    headers = {**SERVICE_HEADERS, "Content-Type": "application/x-www-form-urlencoded"}
    status, answer = _raw(server, "POST", "/startIncident", "Action=StartIncident&responsePlanArn=" + PLAN, headers)
    assert status == 400
    assert (
        answer["message"]
        == "Content-Type application/x-www-form-urlencoded is not accepted: send the request body as application/json"
    )
    # an Action in the query string does not choose the operation: the path does
    status, answer = _raw(
        server, "POST", "/startIncident?Action=DeleteResponsePlan", json.dumps({"arn": PLAN}), SERVICE_HEADERS
    )
    assert status == 400 and "Value null at 'responsePlanArn'" in answer["message"]
    assert plan.get_response_plan(arn=PLAN)["name"] == "hostile"


def test_unknown_paths_and_missing_query_members_get_json_answers(server, plan):
    status, answer = _raw(server, "POST", "/noSuchOperation", "{}", SERVICE_HEADERS)
    assert (status, answer["__type"]) == (404, "UnknownOperationException")
    assert answer["message"] == "No ssm-incidents operation is POST /noSuchOperation"
    # UntagResource without its required tagKeys query member is still UntagResource, told what is missing
    status, answer = _raw(server, "DELETE", "/tags/" + PLAN, "", SERVICE_HEADERS)
    assert status == 400 and "Value null at 'tagKeys'" in answer["message"]


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_over_the_limit_is_refused_before_it_is_read(server, plan, chunked):
    body = b'{"title": "' + b"a" * MAX_BODY_BYTES + b'"}'
    status, answer = _raw(server, "POST", "/startIncident", body, SERVICE_HEADERS, chunked=chunked)
    assert status == 400
    assert answer["__type"] == "ValidationException"
    assert f"at most {MAX_BODY_BYTES} are accepted" in answer["message"]
    assert plan.list_response_plans()["responsePlanSummaries"][0]["name"] == "hostile"


# ------------------------------------------------------------------ the control API and moto's API


def _control(
    server, path: str, body: bytes | str, content_type: str = "application/json", **headers: str
) -> tuple[int, Any]:
    return _raw(server, "POST", f"/_incidentsim/{path}", body, {"Content-Type": content_type, **headers})


@pytest.mark.parametrize(
    "path, body, status, expected",
    [
        ("clock", '{"advance_s": 1e300}', 400, "at most 3162240000 s"),
        ("clock", '{"advance_s": Infinity}', 400, "Infinity is not a JSON number"),
        ("clock", '{"advance_s": "60"}', 400, "'advance_s' must be a number of seconds, got '60'"),
        ("clock", '{"time": 5}', 400, "'time' must be an ISO 8601 time"),
        ("clock", '{"time": "2024-01-01T00:00:00Z", "advance_s": 5}', 400, "clock takes one of"),
        (
            "faults",
            '{"rules": "x"}',
            400,
            "The 'rules' parameter of FaultInjector.configure must be a dict or None. Got 'x' instead.",
        ),
        (
            "faults",
            '{"rules": {"StartIncidnet": {"throttle": 0.5}}}',
            400,
            "The 'rules' parameter of FaultInjector.configure must name ssm-incidents operations such as "
            "StartIncident, or '*'. Got 'StartIncidnet' instead.",
        ),
        (
            "faults",
            '{"rules": {"StartIncident": {"latency_s": 1e9}}}',
            400,
            "The 'latency_s' parameter of FaultRule must be a number in [0, 60]. Got 1000000000.0 instead.",
        ),
        ("faults", '{"rules": {}, "seed": 1.5}', 400, "'seed' must be a whole number"),
        (
            "options",
            '{"client_token_ttl_s": 1e308}',
            400,
            "The 'client_token_ttl_s' parameter of EmulatorOptions must be a number in (0, 1e+12) or None. "
            "Got 1e+308 instead.",
        ),
        ("options", '{"account_id": "not-an-account"}', 400, "'account_id' must be twelve digits"),
        ("options", "[" * 5000, 400, "nests deeper than 32 levels"),
        ("nowhere", "{}", 404, "unknown control path"),
    ],
)
def test_the_control_api_refuses_what_it_cannot_use(server, path, body, status, expected):
    answered, answer = _control(server, path, body)
    assert answered == status, answer
    assert expected in answer["message"]
    state = EmulatorControl(server.endpoint_url).state()
    assert state["faults"]["rules"] == {} and state["clock"]["virtual"] is False


@pytest.mark.parametrize("prefix", ["/_incidentsim/reset", "/moto-api/reset"])
def test_a_web_page_cannot_reset_the_endpoint(server, plan, prefix):
    # a page can POST text/plain or a form to another origin without asking first
    status, answer = _raw(server, "POST", prefix, "{}", {"Content-Type": "text/plain"})
    assert status == 415 and "Content-Type" in answer["message"]
    # every cross-origin request carries an Origin; DNS rebinding carries a foreign Host
    status, answer = _raw(
        server, "POST", prefix, "{}", {"Content-Type": "application/json", "Origin": "https://evil.example"}
    )
    assert status == 403 and "evil.example" in answer["message"]
    status, answer = _raw(
        server, "POST", prefix, "{}", {"Content-Type": "application/json", "Host": f"rebind.evil.example:{server.port}"}
    )
    assert status == 403 and "is not this server's address" in answer["message"]
    status, _ = _raw(server, "GET", "/_incidentsim/state", headers={"Host": "rebind.evil.example"})
    assert status == 403
    assert plan.list_response_plans()["responsePlanSummaries"][0]["name"] == "hostile"


def test_the_users_own_tools_still_reach_both_apis(server, plan):
    # moto's documented reset (a POST with no body and no Content-Type), and the control client
    status, _ = _raw(server, "POST", "/moto-api/reset", b"", {"Host": f"localhost:{server.port}"})
    assert status == 200
    assert plan.list_response_plans()["responsePlanSummaries"] == []
    control = EmulatorControl(server.endpoint_url)
    assert (
        control.set_faults({"StartIncident": {"throttle": 1.0}}, seed=1)["faults"]["rules"]["StartIncident"]["throttle"]
        == 1.0
    )
    arn = plan.create_response_plan(name="again", incidentTemplate={"title": "t", "impact": 3})["arn"]
    with pytest.raises(ClientError):
        make_client(endpoint_url=server.endpoint_url, config=None).start_incident(responsePlanArn=arn)
    control.set_faults(None)
