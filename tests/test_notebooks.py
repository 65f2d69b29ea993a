"""Every notebook runs top to bottom on the bundled sample, in a kernel from the test environment."""

from __future__ import annotations

from pathlib import Path

import subprocess
import sys

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
ALL = sorted(NOTEBOOKS.glob("*.ipynb"))
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
# notebooks that read public data from the shared corpus beside the repository (never copied into it)
NEEDS_CORPUS = {"05-backtest-nab": CORPUS / "nab-realAWSCloudwatch"}


def test_there_are_notebooks():
    assert [p.name for p in ALL][:5] == [
        "01-explore-history.ipynb",
        "02-tune-impact-and-titles.ipynb",
        "03-trigger-volume-report.ipynb",
        "04-game-day.ipynb",
        "05-backtest-nab.ipynb",
    ]


@pytest.mark.parametrize("path", ALL, ids=[p.stem for p in ALL])
def test_notebook_is_committed_clean(path):
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)


RUN = """
import sys, nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
notebook = nbformat.read(sys.argv[1], as_version=4)
client = NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": sys.argv[2]}})
try:
    client.execute()
except CellExecutionError as error:
    print(error)
    sys.exit(1)
errors = [o for cell in notebook.cells for o in cell.get("outputs", []) if o.get("output_type") == "error"]
print(f"{len(notebook.cells)} cells, {len(errors)} errors")
sys.exit(1 if errors else 0)
"""


@pytest.mark.slow
@pytest.mark.parametrize("path", ALL, ids=[p.stem for p in ALL])
def test_notebook_runs(path):
    corpus = NEEDS_CORPUS.get(path.stem)
    if corpus is not None and not corpus.is_dir():
        pytest.skip(f"{path.name} reads the NAB series from the shared corpus, which is not at {corpus}")
    # a subprocess of its own: the kernel it starts then has plain file descriptors, not pytest's captured ones
    result = subprocess.run(
        [sys.executable, "-c", RUN, str(path), str(NOTEBOOKS)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert ", 0 errors" in result.stdout
