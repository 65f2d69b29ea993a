"""Shared fixtures: a fresh emulator per test, a served emulator per session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from incidentsim.emulator import SSMIncidentsBackend, mock_incidents
from incidentsim.emulator.server import EmulatorServer

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpus"
DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def result() -> Any:
    """The bundled sample replayed under the bundled policy by the fast engine, once per test module."""
    import incidentsim

    return incidentsim.replay(DATA / "alarm-events.jsonl", DATA / "sample-policy.yaml", engine="fast")


@pytest.fixture(scope="session")
def sample_alarms() -> Any:
    """The bundled sample, loaded once per test process."""
    from incidentsim import load_alarms

    return load_alarms(DATA / "alarm-events.jsonl").alarms


@pytest.fixture(scope="session")
def sample_emulated(sample_alarms: Any) -> Any:
    """The bundled sample replayed under the bundled policy through the emulator engine, once per test process
    (tests read it, never change it)."""
    import incidentsim

    return incidentsim.replay(sample_alarms, DATA / "sample-policy.yaml", progress=False)


@pytest.fixture
def close_figures() -> Iterator[None]:
    """Close every matplotlib figure a test drew."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture
def mock() -> Iterator[mock_incidents]:
    with mock_incidents() as active:
        yield active


@pytest.fixture
def client(mock: mock_incidents) -> Any:
    return mock.client()


@pytest.fixture
def backend(mock: mock_incidents) -> SSMIncidentsBackend:
    return mock.backend


@pytest.fixture
def make_plan(client: Any) -> Callable[..., str]:
    """Create a response plan and return its ARN; keyword arguments go into the template."""
    counter = {"n": 0}

    def make(name: str | None = None, **template: Any) -> str:
        counter["n"] += 1
        incident_template = {"title": "Service degraded", "impact": 3, **template}
        return str(
            client.create_response_plan(name=name or f"plan-{counter['n']}", incidentTemplate=incident_template)["arn"]
        )

    return make


@pytest.fixture(scope="session")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(port=0) as served:
        yield served


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS}; these tests read its public samples in place")
    return CORPUS
