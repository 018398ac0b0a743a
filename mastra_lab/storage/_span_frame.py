"""Turn the raw span rows a backend reads into the DataFrame ``Storage.query_spans`` returns.

Every backend hands over the same thing — a frame with the ``SPAN_COLUMNS`` of ``mastra_spans``, JSON as
text, timestamps in whatever form the engine keeps them — so decoding is written once. It is the hot path
of every metrics table and plot, hence column-wise: a JSON column is decoded by one ``json.loads`` of the
whole column joined into a single array (one pass in C, not one call per row), timestamps by one
``pandas.to_datetime``, durations by one subtraction; only events that exist get their times parsed.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from mastra_lab.storage._rows import event_times
from mastra_lab.storage._validate import LEGACY_SPAN_TYPES

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FRAME_COLUMNS", "span_frame"]

FRAME_COLUMNS = (
    "trace_id",
    "span_id",
    "parent_span_id",
    "name",
    "type",
    "status",
    "start",
    "end",
    "duration_ms",
    "attributes",
    "input",
    "output",
    "error",
    "events",
)
"""The columns of ``query_spans``, in order."""


def _json_column(values: Any) -> list[Any]:
    """Every JSON text of a column decoded in one ``json.loads``; SQL ``NULL`` becomes ``None``."""
    texts = values.fillna("null").tolist()
    if not texts:
        return []
    decoded: list[Any] = json.loads("[" + ",".join(texts) + "]")
    return decoded


def _events_column(values: Any) -> list[Any]:
    """Events lists: the non-empty ones (most spans carry none) decoded together, then their times parsed."""
    texts = values.fillna("[]").tolist()
    out: list[Any] = [[] for _ in texts]
    found = [i for i, text in enumerate(texts) if text != "[]"]
    if found:
        decoded = json.loads("[" + ",".join([texts[i] for i in found]) + "]")
        for i, events in zip(found, decoded, strict=True):
            out[i] = event_times(events)
    return out


def _times(values: Any) -> pd.Series:
    import pandas as pd

    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC")
    return pd.to_datetime(values, utc=True, format="ISO8601")


def span_frame(raw: pd.DataFrame) -> pd.DataFrame:
    """The public ``query_spans`` frame from a backend's raw ``SPAN_COLUMNS`` frame (same row order)."""
    import pandas as pd

    raw = raw.reset_index(drop=True)
    start = _times(raw["start_time"])
    end = _times(raw["end_time"])
    kinds = raw["type"]
    if kinds.isin(list(LEGACY_SPAN_TYPES)).any():
        kinds = kinds.replace(LEGACY_SPAN_TYPES)
    columns: dict[str, Any] = {
        "trace_id": raw["trace_id"],
        "span_id": raw["span_id"],
        "parent_span_id": raw["parent_span_id"],
        "name": raw["name"],
        "type": kinds,
        "status": raw["status"],
        "start": start,
        "end": end,
        "duration_ms": (end - start).dt.total_seconds() * 1000.0,
        "attributes": _json_column(raw["attributes"]),
        "input": _json_column(raw["input"]),
        "output": _json_column(raw["output"]),
        "error": _json_column(raw["error"]),
        "events": _events_column(raw["events"]),
    }
    return pd.DataFrame(columns, columns=list(FRAME_COLUMNS))
