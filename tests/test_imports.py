"""Every module under ``incidentsim`` imports by its dotted path, alone, and is reached by attribute."""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys

import pytest

import incidentsim

# Runs in a fresh interpreter that has imported no incidentsim module. Each module is imported in a
# child of it (forked where the platform can, else a new interpreter), so every import starts from
# nothing of incidentsim; third-party libraries are loaded once beforehand, for speed only.
CHECK = r"""
import importlib, json, os, subprocess, sys

ONE = '''
import importlib, sys
name = sys.argv[1]
module = importlib.import_module(name)
import incidentsim
found = incidentsim
for part in name.split(".")[1:]:
    found = getattr(found, part)
if found is not module:
    raise AssertionError(f"incidentsim.{name.partition('.')[2]} is {found!r}, not the module")
'''

running = {}

def reap():
    pid, status = os.wait()
    name = running.pop(pid)
    if status:
        print(json.dumps([name, f"failed (wait status {status})"]), flush=True)

def one(name):
    while len(running) >= (os.cpu_count() or 1):
        reap()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            sys.argv = ["-c", name]
            exec(compile(ONE, "<check>", "exec"), {"__name__": "__check__"})
        except BaseException as error:
            print(f"{name}: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
            code = 1
        os._exit(code)
    running[pid] = name

def libraries(names):
    # the third-party modules that importing all of names loads, found in a throw-away child
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        for name in names:
            try:
                importlib.import_module(name)
            except BaseException:
                pass
        ours = ("incidentsim", "moto.ssmincidents", "__")
        found = [m for m in list(sys.modules) if not m.startswith(ours)]
        os.write(write, json.dumps(found).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as stream:
        found = json.loads(stream.read() or "[]")
    os.waitpid(pid, 0)
    return found

names = json.loads(sys.argv[1])
if hasattr(os, "fork"):
    for library in libraries(names):
        try:
            importlib.import_module(library)
        except BaseException:
            pass
    assert not [m for m in sys.modules if m.startswith(("incidentsim", "moto.ssmincidents"))]
    for name in names:
        one(name)
    while running:
        reap()
else:  # pragma: no cover - platforms without fork
    for name in names:
        done = subprocess.run([sys.executable, "-c", ONE, name], capture_output=True, text=True)
        if done.returncode:
            print(json.dumps([name, (done.stderr.strip().splitlines() or ["failed"])[-1]]), flush=True)
"""


@pytest.mark.slow
def test_every_module_imports_by_its_path_and_is_reached_by_attribute():
    names = ["incidentsim"] + [m.name for m in pkgutil.walk_packages(incidentsim.__path__, "incidentsim.")]
    assert "incidentsim.replay.engine" in names and len(names) > 40
    env = dict(os.environ, MPLBACKEND="Agg")
    done = subprocess.run(
        [sys.executable, "-c", CHECK, json.dumps(names)], capture_output=True, text=True, env=env, timeout=600
    )
    assert done.returncode == 0, done.stderr
    failures = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("[")]
    assert failures == [], done.stderr


def test_the_replay_package_calls_the_replay_function(monkeypatch):
    import inspect

    import incidentsim.replay.engine

    assert incidentsim.replay.replay is incidentsim.replay.engine.replay
    assert inspect.signature(incidentsim.replay) == inspect.signature(incidentsim.replay.engine.replay)
    calls = []
    monkeypatch.setattr(incidentsim.replay, "replay", lambda *args, **kwargs: calls.append((args, kwargs)) or "done")
    assert incidentsim.replay("history.jsonl", "policy.yaml", engine="fast") == "done"
    assert calls == [(("history.jsonl", "policy.yaml"), {"engine": "fast"})]
