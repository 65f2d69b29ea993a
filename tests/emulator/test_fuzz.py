"""Requests generated from botocore's model for every operation, and raw malformed bodies, sent to the
served application: a client's mistake is a 4xx, never a 500, and the application keeps answering.

The requests go through moto's WSGI application and the control middleware in process (the same
application ``incidentsim serve`` runs), so thousands of them take seconds; ``test_server_stays_up``
sends the hostile ones over a real socket.  ``INCIDENTSIM_FUZZ=long`` runs 6,000 examples in all.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import Client

from incidentsim.emulator.server import create_app
from incidentsim.rules import botocore_model
from tests.fuzzing import examples

pytestmark = pytest.mark.long

MODEL = botocore_model()
OPERATIONS = sorted(MODEL.operation_names)
HEADERS = {
    "Host": "ssm-incidents.us-east-1.amazonaws.com",
    "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/ssm-incidents/aws4_request, "
    "SignedHeaders=host, Signature=0",
}
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def app() -> Any:
    """The served application with one plan, one incident and one replication set to aim at."""
    wsgi = Client(create_app())
    _post(wsgi, "/_incidentsim/reset", {"service": "ssm-incidents"}, control=True)
    plan = _call(wsgi, "CreateResponsePlan", {"name": "fuzz", "incidentTemplate": {"title": "t", "impact": 3}})["arn"]
    record = _call(wsgi, "StartIncident", {"responsePlanArn": plan})["incidentRecordArn"]
    replication = _call(wsgi, "CreateReplicationSet", {"regions": {"us-east-1": {}}})["arn"]
    wsgi.known_arns = [plan, record, replication]  # type: ignore[attr-defined]
    return wsgi


def _post(wsgi: Client, path: str, payload: Any, control: bool = False) -> Any:
    headers = {"Content-Type": "application/json", **({} if control else HEADERS)}
    return wsgi.post(path, data=json.dumps(payload), headers=headers)


def _call(wsgi: Client, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    response = _send(wsgi, operation, params)
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    return dict(response.get_json())


def _send(
    wsgi: Client,
    operation: str,
    params: dict[str, Any],
    body: bytes | None = None,
    content_type: str = "application/json",
) -> Any:
    """Put ``params`` where the model puts each member on the wire (path, query string, body) and send."""
    model = MODEL.operation_model(operation)
    path, query, payload = model.http["requestUri"], [], {}
    members = model.input_shape.members if model.input_shape is not None else {}
    for name, value in params.items():
        location = members[name].serialization.get("location") if name in members else None
        wire = members[name].serialization.get("name", name) if name in members else name
        if location == "uri":
            path = path.replace(f"{{{wire}}}", quote(str(value), safe=""))
        elif location == "querystring":
            values = value if isinstance(value, list) else [value]
            query.extend((wire, v if isinstance(v, str) else json.dumps(v)) for v in values)
        else:
            payload[wire] = value
    path = path.replace("{resourceArn}", "x")
    if query:
        path += "?" + urlencode(query)
    data = body if body is not None else json.dumps(payload).encode()
    return wsgi.open(path, method=model.http["method"], data=data, headers={**HEADERS, "Content-Type": content_type})


def _value(shape: Any, arns: list[str], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values for a member: mostly of its type and near its limits, sometimes anything at all."""
    kind = shape.type_name
    if depth > 5:
        return JSON_VALUES
    if kind == "structure":
        typed: st.SearchStrategy[Any] = st.fixed_dictionaries(
            {}, optional={name: _value(member, arns, depth + 1) for name, member in shape.members.items()}
        )
    elif kind == "list":
        typed = st.lists(_value(shape.member, arns, depth + 1), max_size=4)
    elif kind == "map":
        typed = st.dictionaries(st.text(max_size=12), _value(shape.value, arns, depth + 1), max_size=4)
    elif kind == "string":
        options = [st.text(max_size=30), st.text(min_size=190, max_size=260)]
        if shape.metadata.get("enum"):
            options.append(st.sampled_from(shape.metadata["enum"]))
        if shape.metadata.get("pattern"):
            options.append(st.from_regex(shape.metadata["pattern"]).map(lambda text: text[:300]))
        options.append(st.sampled_from(arns))
        typed = st.one_of(options)
    elif kind in ("integer", "long"):
        typed = st.integers(min_value=-(2**70), max_value=2**70) | st.integers(min_value=-3, max_value=120)
    elif kind == "timestamp":
        typed = st.floats(allow_nan=False) | st.integers(min_value=-(10**15), max_value=10**15) | st.text(max_size=30)
    elif kind == "boolean":
        typed = st.booleans()
    else:
        typed = JSON_VALUES
    return st.one_of(typed, typed, typed, JSON_VALUES)


@st.composite
def _requests(draw: Any, arns: list[str]) -> tuple[str, dict[str, Any]]:
    operation = draw(st.sampled_from(OPERATIONS))
    shape = MODEL.operation_model(operation).input_shape
    params: dict[str, Any] = {}
    if shape is not None:
        for name, member in shape.members.items():
            if draw(st.integers(0, 3)):
                params[name] = draw(_value(member, arns))
    if draw(st.integers(0, 9)) == 0:
        params[draw(st.text(min_size=1, max_size=10))] = draw(JSON_VALUES)
    return operation, params


def _assert_answered(response: Any) -> None:
    text = response.get_data(as_text=True)
    assert response.status_code < 500, f"{response.status_code}: {text[:500]}"
    if response.status_code >= 400:
        error = json.loads(text)
        assert error["__type"] and error["message"], text


@settings(
    max_examples=examples(300, 4000),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_fuzz_requests_from_the_model_never_get_a_500(app, data):
    operation, params = data.draw(_requests(app.known_arns))
    _assert_answered(_send(app, operation, params))


BODIES = st.one_of(
    st.binary(max_size=200),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    st.integers(1, 3000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(1, 3000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    st.sampled_from(
        [b"NaN", b'{"impact": Infinity}', b'{"impact": 1' + b"0" * 5000 + b"}", b"\xff\xfe{}", b'{"title": "caf\xe9"}']
    ),
)


@settings(
    max_examples=examples(200, 2000),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    operation=st.sampled_from(OPERATIONS),
    body=BODIES,
    content_type=st.sampled_from(
        ["application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""]
    ),
)
def test_fuzz_malformed_bodies_never_get_a_500(app, operation, body, content_type):
    response = _send(app, operation, {}, body=body, content_type=content_type)
    _assert_answered(response)
    if body and not isinstance(_json_object(body), dict) or content_type.startswith(("application/x-www", "multipart")):
        assert response.status_code == 400, response.get_data(as_text=True)[:300]
        assert response.get_json()["__type"] == "ValidationException"


def _json_object(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"), parse_constant=lambda name: None)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
