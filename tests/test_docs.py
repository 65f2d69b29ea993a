"""The README stays in step with the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_lists_every_notebook_and_no_other():
    listed = re.findall(r"^- `([^`]+\.ipynb)`", (ROOT / "README.md").read_text(encoding="utf-8"), flags=re.MULTILINE)
    present = sorted(path.name for path in (ROOT / "notebooks").glob("*.ipynb"))
    assert present, "no notebooks found"
    assert sorted(listed) == present
