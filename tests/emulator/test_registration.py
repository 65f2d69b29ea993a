"""The emulator plugs into moto's service index; these fail loudly if moto's internals move."""

from __future__ import annotations

import boto3
import moto
import pytest
from moto import backend_index, backends
from moto.core.responses import BaseResponse

import incidentsim.emulator as emulator
from incidentsim.emulator import registration
from incidentsim.emulator.models import ssmincidents_backends
from incidentsim.emulator.responses import SSMIncidentsResponse


def test_moto_internals_the_emulator_relies_on_are_present():
    assert isinstance(backend_index.backend_url_patterns, list)
    assert callable(backends.get_backend)
    # the request normalisation and router the responses class builds on (moto 5.2.5+)
    for attribute in ("_get_action_from_method_and_request_uri", "parse_parameters", "serialized", "call_action"):
        assert hasattr(BaseResponse, attribute), f"moto.core.responses.BaseResponse lost {attribute}"
    from moto.core.models import botocore_stubber

    assert hasattr(botocore_stubber, "enabled")
    assert moto.__version__.startswith("5.2."), f"the emulator is built for moto 5.2.x, found {moto.__version__}"


def test_registration_routes_the_service_to_the_emulator():
    emulator.register()
    emulator.check_registration()
    assert backends.get_backend("ssm-incidents") is ssmincidents_backends


def test_registration_is_idempotent():
    emulator.register()
    before = list(backend_index.backend_url_patterns)
    emulator.register()
    emulator.register()
    assert backend_index.backend_url_patterns == before
    ours = [name for name, _ in backend_index.backend_url_patterns if name == "ssm-incidents"]
    assert len(ours) == 2  # the commercial and the China endpoint


def test_check_registration_fails_loudly_when_the_route_is_missing(monkeypatch):
    stripped = [(n, p) for n, p in backend_index.backend_url_patterns if n != "ssm-incidents"]
    monkeypatch.setattr(backend_index, "backend_url_patterns", stripped)
    with pytest.raises(registration.RegistrationError, match="not to the ssm-incidents emulator"):
        emulator.check_registration()


def test_register_refuses_a_module_name_taken_by_something_else(monkeypatch):
    import sys
    import types

    monkeypatch.setitem(sys.modules, registration.MODULE_NAME, types.ModuleType("impostor"))
    with pytest.raises(registration.RegistrationError, match="already taken"):
        emulator.register()


def test_plain_mock_aws_serves_the_service_after_register():
    emulator.register()
    with moto.mock_aws():
        client = boto3.client("ssm-incidents", region_name="eu-west-1")
        arn = client.create_response_plan(name="p", incidentTemplate={"title": "t", "impact": 5})["arn"]
        assert arn == "arn:aws:ssm-incidents::123456789012:response-plan/p"
        assert client.list_response_plans()["responsePlanSummaries"][0]["name"] == "p"


def test_every_model_operation_has_a_handler():
    model = boto3.session.Session(region_name="us-east-1").client("ssm-incidents").meta.service_model
    from moto.core.utils import camelcase_to_underscores

    missing = [op for op in model.operation_names if not hasattr(SSMIncidentsResponse, camelcase_to_underscores(op))]
    assert missing == []
    assert len(model.operation_names) >= 31


def test_each_mock_starts_from_an_empty_account():
    with emulator.mock_incidents() as mock:
        mock.client().create_response_plan(name="p", incidentTemplate={"title": "t", "impact": 5})
        assert len(mock.backend.response_plans) == 1
    with emulator.mock_incidents() as mock:
        assert mock.client().list_response_plans()["responsePlanSummaries"] == []


def test_mock_incidents_works_as_a_decorator():
    @emulator.mock_incidents(newest_first=False)
    def count_plans() -> tuple[int, bool]:
        client = emulator.make_client()
        client.create_response_plan(name="p", incidentTemplate={"title": "t", "impact": 5})
        return len(client.list_response_plans()["responsePlanSummaries"]), emulator.get_backend().options.newest_first

    assert count_plans() == (1, False)
    assert count_plans() == (1, False)  # a fresh account on every call


def test_importing_incidentsim_does_not_import_moto():
    import subprocess
    import sys

    code = "import sys, incidentsim; print('moto' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_importing_the_emulator_changes_nothing_in_moto_until_register():
    import json
    import subprocess
    import sys

    code = """
import json
import sys
import incidentsim.emulator
from moto import backend_index, backends
from moto.cloudwatch.responses import CloudWatchResponse

def state():
    routed = sorted(p.pattern for name, p in backend_index.backend_url_patterns if name == "ssm-incidents")
    try:
        backend = backends.get_backend("ssm-incidents")
    except ImportError:
        backend = None
    return json.dumps([
        routed,
        sys.modules.get("moto.ssmincidents") is incidentsim.emulator,
        backend is incidentsim.emulator.ssmincidents_backends,
        hasattr(CloudWatchResponse, "describe_alarm_history"),
    ])

print(state())
from incidentsim import moto_cloudwatch
print(state())
for _ in range(2):
    incidentsim.emulator.register()
    moto_cloudwatch.register()
incidentsim.emulator.check_registration()
print(state())
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    nothing = [[], False, False, False]
    assert [json.loads(line) for line in out[:2]] == [nothing, nothing]  # importing registers and patches nothing
    routed, module, backend, history = json.loads(out[2])
    assert len(routed) == 2 and module and backend and history  # the two endpoints once each, however often registered
