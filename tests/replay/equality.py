"""Comparing two ReplayResults: equal tables once incident ARNs are matched one to one."""

from __future__ import annotations

import pandas as pd

from incidentsim.replay.simulation import short_id


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns held as categoricals compared as text: the categories' order depends on the ARNs' naming."""
    text = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype) and c != "outcome"]
    return frame.astype({c: "string" for c in text}) if text else frame


def assert_same_result(emulated, fast) -> None:
    """The same events, outcomes, reasons, groupings, titles, impacts and times.

    Incident ARNs (and generated dedupe strings) are named differently by the two
    engines, so they are matched through the events: the mapping must be one to one.
    """
    a, b = _plain(emulated.events), _plain(fast.events)
    assert len(a) == len(b)
    mapping: dict[str, str] = {}
    for left, right in zip(a["incident_arn"].tolist(), b["incident_arn"].tolist()):
        assert mapping.setdefault(left, right) == right, f"{left} groups events that {right} does not"
    assert len(set(mapping.values())) == len(mapping), "two incidents of one engine are one of the other"
    left_dedupe = dict(zip(emulated.incidents["incident_arn"], emulated.incidents["dedupe_string"]))
    right_dedupe = dict(zip(fast.incidents["incident_arn"], fast.incidents["dedupe_string"]))
    generated = {  # dedupe strings each engine made up itself (not a plan's string or an alarm ARN)
        left_dedupe[l]: right_dedupe[r]
        for l, r in mapping.items()
        if l in left_dedupe and r in right_dedupe and left_dedupe[l] != right_dedupe[r]
    }

    def rename(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        frame["incident_arn"] = (
            frame["incident_arn"].map(lambda x: mapping.get(x, x)).astype(frame["incident_arn"].dtype)
        )
        if "dedupe_string" in frame:
            frame["dedupe_string"] = (
                frame["dedupe_string"].map(lambda x: generated.get(x, x)).astype(frame["dedupe_string"].dtype)
            )
        if "explanation" in frame:

            def fix(text: str) -> str:
                for left, right in mapping.items():
                    if left:
                        text = text.replace(f"({short_id(left)})", f"({short_id(right)})").replace(
                            f"incident {short_id(left)}", f"incident {short_id(right)}"
                        )
                for left, right in generated.items():
                    text = text.replace(f"'{left}'", f"'{right}'")
                return text

            frame["explanation"] = frame["explanation"].map(fix).astype(frame["explanation"].dtype)
        return frame

    pd.testing.assert_frame_equal(rename(a), b)
    left = rename(emulated.incidents).sort_values("incident_arn", ignore_index=True)
    right = fast.incidents.sort_values("incident_arn", ignore_index=True)
    pd.testing.assert_frame_equal(left, right)
