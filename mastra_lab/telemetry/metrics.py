"""Numbers from spans: latency percentiles, token counts and cost, and the tables and logs behind them.

Everything here reads spans in bulk (one :meth:`Storage.query_spans` call, or a DataFrame already in hand)
and works on whole columns with pandas: one frame of spans, a few ``groupby`` aggregations, no Python loop
per span. :func:`spans_df` is the base table; the others aggregate it.

Spans name their facts with the OpenTelemetry GenAI attributes (``gen_ai.request.model``,
``gen_ai.usage.input_tokens`` …). Those become plain columns here, and ``agent``, ``workflow``,
``thread_id`` and ``resource_id`` are inherited from the nearest ancestor that has them — a model call inside
an agent run counts for that agent even when it does not repeat the agent's name. Spans stored under the
older kinds (``llm``, ``agent``, ``tool``, ``workflow``, ``step``) read as the current ones.

Cost is counted on ``llm_generation`` spans only (tokens × the model's price), so a trace, thread or agent
costs the sum of its model calls and an agent run's usage totals are never counted twice. A model with no
price gives ``NaN`` — unknown, not free — and so does any total that includes it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from mastra_lab.errors import MastraError
from mastra_lab.storage._span_frame import FRAME_COLUMNS
from mastra_lab.storage._validate import LEGACY_SPAN_TYPES
from mastra_lab.telemetry.prices import DEFAULT_PRICES, ModelPrice, resolve_prices, span_cost

if TYPE_CHECKING:
    import pandas as pd

    from mastra_lab.storage import Storage

__all__ = [
    "DEFAULT_PRICES",
    "ModelPrice",
    "cost_df",
    "logs_df",
    "metrics_df",
    "parse_time",
    "resolve_prices",
    "spans_df",
    "traces_df",
]

Source: TypeAlias = "Storage | pd.DataFrame"
TimeArg: TypeAlias = "datetime | timedelta | str | None"
MetricsBy = Literal["model", "agent", "tool", "workflow"]
CostBy = Literal["trace", "thread", "resource", "model"]


_SPAN_COLUMNS = [
    "trace_id",
    "span_id",
    "parent_span_id",
    "name",
    "type",
    "status",
    "start",
    "end",
    "duration_ms",
    "model",
    "provider",
    "agent",
    "tool",
    "workflow",
    "thread_id",
    "resource_id",
    "input_tokens",
    "output_tokens",
    "ttft_ms",
    "cost_usd",
    "error_type",
    "error",
    "attributes",
    "events",
]
"""The columns of :func:`spans_df`, in order."""

_ATTRIBUTES = {
    "gen_ai.request.model": "model",
    "gen_ai.provider.name": "provider",
    "gen_ai.agent.name": "agent",
    "gen_ai.tool.name": "tool",
    "mastra.workflow": "workflow",
    "gen_ai.conversation.id": "thread_id",
    "mastra.resource_id": "resource_id",
    "gen_ai.usage.input_tokens": "input_tokens",
    "gen_ai.usage.output_tokens": "output_tokens",
    "mastra.ttft_ms": "ttft_ms",
    "error.type": "error_type",
}
_INHERITED = ["agent", "tool", "workflow", "thread_id", "resource_id"]
# Where an attribute is missing, the span's own kind names the subject in its span name
# (``invoke_agent support`` → agent "support").
_SUBJECT_OF_KIND = {"agent_run": "agent", "tool_call": "tool", "workflow_run": "workflow"}
_MAX_DEPTH = 64
_STATUSES = ("ok", "error", "running")
_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _error(message: str, code: str, **details: Any) -> MastraError:
    return MastraError(message, code=code, domain="telemetry", details=details)


# -- arguments -------------------------------------------------------------------------------------


def parse_time(value: TimeArg, what: str = "since", *, now: datetime | None = None) -> datetime | None:
    """A ``since``/``until`` argument as a UTC datetime: ``"30s"``, ``"15m"``, ``"1h"``, ``"7d"`` or a
    timedelta count back from now; a datetime (naive means UTC) or an ISO 8601 string is taken as is.

    Args:
        value: The argument; ``None`` stays ``None`` (no bound).
        what: The argument's name, for the error message.
        now: The present, for durations (default: the current time).

    Raises:
        MastraError: ``TELEMETRY_BAD_TIME`` for anything else, or a negative duration.
    """
    if value is None:
        return None
    now = now or datetime.now(UTC)
    given = value
    if isinstance(value, str):
        match = _DURATION_RE.match(value)
        if match:
            return now - timedelta(seconds=float(match[1]) * _UNITS[match[2]])
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            value = None
    if isinstance(value, timedelta) and value >= timedelta(0):
        return now - value
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    raise _error(
        f"{what}={given!r} is not a time; pass a duration back from now ('30s', '15m', '1h', '7d'), a "
        "timedelta, a datetime or an ISO 8601 string",
        "TELEMETRY_BAD_TIME",
        argument=what,
    )


def _check_choice(value: object, what: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise _error(
            f"{what}={value!r} is not one of {', '.join(map(repr, allowed))}",
            "TELEMETRY_BAD_ARGUMENT",
            argument=what,
        )


def _check_limit(limit: object) -> None:
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
        raise _error(f"limit={limit!r} must be a whole number, 0 or more", "TELEMETRY_BAD_ARGUMENT")


def _as_list(value: str | Sequence[str] | None, what: str) -> list[str] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else list(value)
    if not items or not all(isinstance(v, str) and v for v in items):
        raise _error(f"{what}={value!r} must be a name or a list of names", "TELEMETRY_BAD_ARGUMENT")
    return items


# -- reading ---------------------------------------------------------------------------------------


def _raw_spans(
    source: Source,
    *,
    since: datetime | None,
    until: datetime | None,
    trace_ids: list[str] | None,
    types: list[str] | None,
    status: str | None,
    limit: int | None,
) -> pd.DataFrame:
    """The spans of ``source`` in the columns of ``Storage.query_spans``, filtered, kinds normalised."""
    import pandas as pd

    from mastra_lab.storage.base import Storage

    stored = None if types is None else types + [k for k, new in LEGACY_SPAN_TYPES.items() if new in types]
    if isinstance(source, Storage):
        frame = source.query_spans(
            since=since, until=until, trace_ids=trace_ids, types=stored, status=status, limit=limit
        )
    elif isinstance(source, pd.DataFrame):
        frame = _filter(source, since, until, trace_ids, stored, status, limit)
    else:
        raise _error(
            f"spans come from a Storage or a DataFrame of spans (spans_df), got {type(source).__name__}",
            "TELEMETRY_BAD_ARGUMENT",
        )
    frame = frame.reindex(columns=list(FRAME_COLUMNS)).reset_index(drop=True)
    # Plain object columns: pandas' Arrow-backed strings match ids (isin, reindex) one Python object at a
    # time, object columns through a hash table.
    ids = ["trace_id", "span_id", "parent_span_id"]
    frame[ids] = frame[ids].astype(object)
    frame["type"] = frame["type"].fillna("custom").astype(object).replace(LEGACY_SPAN_TYPES)
    for column in ("start", "end"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    elapsed = (frame["end"] - frame["start"]).dt.total_seconds() * 1000
    frame["duration_ms"] = pd.to_numeric(frame["duration_ms"], errors="coerce").fillna(elapsed)
    return frame


def _filter(
    frame: pd.DataFrame,
    since: datetime | None,
    until: datetime | None,
    trace_ids: list[str] | None,
    types: list[str] | None,
    status: str | None,
    limit: int | None,
) -> pd.DataFrame:
    import pandas as pd

    start = pd.to_datetime(frame["start"], utc=True) if "start" in frame else None
    keep = pd.Series(True, index=frame.index)
    if since is not None and start is not None:
        keep &= start >= pd.Timestamp(since)
    if until is not None and start is not None:
        keep &= start < pd.Timestamp(until)
    if trace_ids is not None:
        keep &= frame["trace_id"].isin(trace_ids)
    if types is not None:
        keep &= frame["type"].isin(types)
    if status is not None:
        keep &= frame["status"] == status
    out = frame[keep]
    if limit is not None and start is not None:
        out = out.loc[start[keep].sort_values(ascending=False).index[:limit]]
    return out


def _records(column: pd.Series, keys: Sequence[str]) -> pd.DataFrame:
    """The ``keys`` of a column of dicts as columns (missing → NaN): the last step of decoding JSON."""
    import pandas as pd

    rows = [value if isinstance(value, dict) else {} for value in column]
    return pd.DataFrame.from_records(rows, columns=list(keys), index=column.index).astype(object)


def _inherit(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Fill each span's missing ``columns`` from its parent, level by level (one vectorised step each)."""
    own = frame[columns]
    parent = frame["parent_span_id"]
    ids = frame["span_id"]
    unique = ~ids.duplicated()
    for _ in range(_MAX_DEPTH):
        lookup = own[unique].set_axis(ids[unique])
        from_parent = lookup.reindex(parent).set_axis(frame.index)
        filled = own.fillna(from_parent)
        if filled.notna().sum().sum() == own.notna().sum().sum():
            break
        own = filled
    return own


def _enrich(raw: pd.DataFrame, prices: Mapping[str, ModelPrice]) -> pd.DataFrame:
    import pandas as pd

    facts = _records(raw["attributes"], list(_ATTRIBUTES)).set_axis(list(_ATTRIBUTES.values()), axis=1)
    out = raw.copy()
    for column in facts:
        out[column] = facts[column]
    for column in ("input_tokens", "output_tokens", "ttft_ms"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
    # ``provider:model`` (an agent's model id) is split unless another provider is named beside it, so a
    # model name with a colon of its own (``llama3:8b`` of ``ollama``) stays whole.
    model, provider = out["model"].astype(object), out["provider"].astype(object)
    parts = model.str.extract(r"^([^:]+):(.+)$").astype(object)
    prefixed = parts[0].notna() & (provider.isna() | (parts[0] == provider))
    out["model"] = parts[1].where(prefixed, model)
    out["provider"] = provider.fillna(parts[0].where(prefixed))
    subject = out["name"].astype(object).str.extract(r"^\S+\s+(.+)$")[0].astype(object)
    for kind, column in _SUBJECT_OF_KIND.items():
        out[column] = out[column].astype(object).fillna(subject.where(out["type"] == kind))
    out[_INHERITED] = _inherit(out[["span_id", "parent_span_id", *_INHERITED]].astype(object), _INHERITED)
    errors = _records(raw["error"], ["code", "type"])
    out["error_type"] = out["error_type"].astype(object).fillna(errors["code"].fillna(errors["type"]))
    out["events"] = [e if isinstance(e, list) else [] for e in raw["events"]]
    out["cost_usd"] = span_cost(out, prices)
    return out[_SPAN_COLUMNS]


def spans_df(
    source: Source,
    *,
    since: TimeArg = None,
    until: TimeArg = None,
    trace_id: str | Sequence[str] | None = None,
    type: str | Sequence[str] | None = None,
    status: str | None = None,
    limit: int | None = None,
    prices: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Every span, one row each, with its GenAI facts (model, tokens, cost …) as columns.

    Columns: ids, name, ``type`` (the span kind; older kinds mapped), status,
    start/end (UTC), duration_ms, model and provider (``gen_ai.request.model`` split at ``provider:``),
    agent, tool, workflow, thread_id, resource_id (inherited from ancestors when missing), input/output
    tokens, ttft_ms, cost_usd (``llm_generation`` only; NaN when the model has no price), error_type,
    attributes and events.

    Args:
        source: A :class:`~mastra_lab.storage.Storage`, or a DataFrame of spans (this function's output,
            or ``Storage.query_spans``'s).
        since: Spans that started at or after this: ``"15m"``, ``"1h"``, a timedelta or a datetime.
        until: Spans that started before this (same forms).
        trace_id: One trace id or several.
        type: One span kind or several (``"llm_generation"``, ``"tool_call"`` …).
        status: ``"ok"``, ``"error"`` or ``"running"``.
        limit: At most this many spans, the newest.
        prices: Model prices merged over :data:`DEFAULT_PRICES`.

    Example:
        ```python
        from mastra_lab.storage import InMemoryStore
        from mastra_lab.telemetry import StorageExporter, Tracer
        from mastra_lab.telemetry.metrics import spans_df

        store = InMemoryStore()
        tracer = Tracer([StorageExporter(store)])
        usage = {"gen_ai.request.model": "gpt-4o-mini", "gen_ai.usage.input_tokens": 1000,
                 "gen_ai.usage.output_tokens": 500}
        with tracer.span("chat gpt-4o-mini", "llm_generation", attributes=usage):
            pass
        tracer.shutdown()
        row = spans_df(store).iloc[0]
        print(row["model"], row["input_tokens"], f"${row['cost_usd']:.5f}")  # gpt-4o-mini 1000.0 $0.00045
        ```
    """
    bounds = parse_time(since, "since"), parse_time(until, "until")
    if status is not None:
        _check_choice(status, "status", _STATUSES)
    _check_limit(limit)
    table = resolve_prices(prices)
    raw = _raw_spans(
        source,
        since=bounds[0],
        until=bounds[1],
        trace_ids=_as_list(trace_id, "trace_id"),
        types=_as_list(type, "type"),
        status=status,
        limit=limit,
    )
    return _enrich(_with_ancestors(source, raw), table).iloc[: len(raw)].reset_index(drop=True)


def _with_ancestors(source: Source, raw: pd.DataFrame) -> pd.DataFrame:
    """``raw`` followed by the other spans of the traces whose parents a filter left out.

    What a span inherits (its agent, thread …) comes from its ancestors, which a ``type``, ``status`` or
    time filter may not have selected; one more read of just those traces brings them in.
    """
    import pandas as pd

    orphaned = raw["parent_span_id"].notna() & ~raw["parent_span_id"].isin(raw["span_id"])
    if not orphaned.any():
        return raw
    traces = raw.loc[orphaned, "trace_id"].dropna().unique().tolist()
    context = _raw_spans(
        source, since=None, until=None, trace_ids=traces, types=None, status=None, limit=None
    )
    return pd.concat([raw, context[~context["span_id"].isin(raw["span_id"])]], ignore_index=True)


# -- aggregates ------------------------------------------------------------------------------------


def _sum_or_unknown(frame: pd.DataFrame, key: str, column: str) -> pd.Series:
    """Per-group sum of ``column``, NaN where any member is NaN: a total with an unknown part is unknown."""
    sums = frame.groupby(key, sort=False)[column].sum()
    unknown = frame[column].isna().groupby(frame[key], sort=False).any()
    return sums.where(~unknown)


def _model_calls(spans: pd.DataFrame) -> pd.DataFrame:
    return spans[spans["type"] == "llm_generation"]


def _trace_roots(spans: pd.DataFrame) -> pd.DataFrame:
    """The first root of each trace (a span whose parent is absent from the spans counts as a root)."""
    root = spans["parent_span_id"].isna() | ~spans["parent_span_id"].isin(spans["span_id"])
    return spans[root].sort_values("start", kind="stable").drop_duplicates("trace_id").set_index("trace_id")


_TRACE_COLUMNS = [
    "trace_id",
    "root",
    "root_type",
    "start",
    "duration_ms",
    "spans",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "status",
    "error",
]
"""The columns of :func:`traces_df`, in order."""


def _traces(spans: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    by_trace = spans.groupby("trace_id", sort=False)
    roots = _trace_roots(spans)
    calls = _model_calls(spans)
    failed = spans[spans["status"] == "error"].sort_values("start", kind="stable")
    first_error = failed.drop_duplicates("trace_id").set_index("trace_id")
    message = _records(first_error["error"], ["message"])["message"]
    out = pd.DataFrame({"start": by_trace["start"].min(), "spans": by_trace.size()})
    out["root"] = roots["name"]
    out["root_type"] = roots["type"]
    end = by_trace["end"].max()
    out["duration_ms"] = ((end - out["start"]).dt.total_seconds() * 1000).where(roots["end"].notna())
    tokens = calls.groupby("trace_id")[["input_tokens", "output_tokens"]].sum()
    out[["input_tokens", "output_tokens"]] = tokens.reindex(out.index).fillna(0).astype("int64")
    cost = _sum_or_unknown(calls, "trace_id", "cost_usd").reindex(out.index)
    out["cost_usd"] = cost.where(out.index.isin(calls["trace_id"]), 0.0)
    running = roots["status"].reindex(out.index) == "running"
    out["status"] = "ok"
    out.loc[running, "status"] = "running"
    out.loc[out.index.isin(first_error.index), "status"] = "error"
    kind = first_error["error_type"].fillna("error")
    label = kind.where(message.isna(), kind + ": " + message.astype(str))
    out["error"] = label.reindex(out.index)
    return out.reset_index()[_TRACE_COLUMNS]


def traces_df(
    source: Source,
    *,
    since: TimeArg = None,
    agent: str | None = None,
    status: str | None = None,
    min_ms: float | None = None,
    limit: int | None = 50,
    prices: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """A row per trace, newest first: root span, duration, spans, tokens, cost, status and first error.

    A trace is ``error`` when any of its spans failed, ``running`` while its root has not ended (its
    duration is then NaN), else ``ok``. Tokens and cost add up the trace's ``llm_generation`` spans;
    ``cost_usd`` is NaN when one of them has no price.

    Args:
        source: A :class:`~mastra_lab.storage.Storage` or a DataFrame from :func:`spans_df`.
        since: Traces with a span that started at or after this (``"1h"``, a timedelta, a datetime); each
            is shown whole, with the spans it had before.
        agent: Only traces in which this agent ran.
        status: ``"ok"``, ``"error"`` or ``"running"``.
        min_ms: Only traces that took at least this many milliseconds.
        limit: At most this many traces (``None`` for all).
        prices: Model prices merged over :data:`DEFAULT_PRICES`.
    """
    if status is not None:
        _check_choice(status, "status", _STATUSES)
    if min_ms is not None and (not isinstance(min_ms, int | float) or isinstance(min_ms, bool)):
        raise _error(f"min_ms={min_ms!r} must be a number of milliseconds", "TELEMETRY_BAD_ARGUMENT")
    _check_limit(limit)
    spans = spans_df(source, since=since, prices=prices)
    if since is not None and not spans.empty:  # each trace counted whole, also its spans before `since`
        spans = spans_df(source, trace_id=spans["trace_id"].unique().tolist(), prices=prices)
    if agent is not None:
        spans = spans[spans["trace_id"].isin(spans.loc[spans["agent"] == agent, "trace_id"])]
    traces = _traces(spans)
    if status is not None:
        traces = traces[traces["status"] == status]
    if min_ms is not None:
        traces = traces[traces["duration_ms"] >= min_ms]
    traces = traces.sort_values("start", ascending=False, kind="stable")
    return (traces if limit is None else traces.head(limit)).reset_index(drop=True)


_METRIC_COLUMNS = [
    "requests",
    "errors",
    "error_rate",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "input_tokens",
    "output_tokens",
    "ttft_p50_ms",
    "cost_usd",
]
"""The columns of :func:`metrics_df`, in order (the key is the index)."""

_CALL_KINDS: dict[str, tuple[str, ...]] = {
    "model": ("llm_generation", "embedding"),
    "agent": ("agent_run",),
    "tool": ("tool_call",),
    "workflow": ("workflow_run",),
}


def _calls_by(spans: pd.DataFrame, by: str) -> pd.DataFrame:
    """The spans that count as requests of a ``by`` key (see :func:`metrics_df`), the key set."""
    return spans[spans["type"].isin(_CALL_KINDS[by]) & spans[by].notna()]


def metrics_df(
    source: Source,
    *,
    by: MetricsBy = "model",
    since: TimeArg = None,
    prices: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Requests, errors, latency percentiles, tokens, time to first token and cost per model, agent, tool
    or workflow; one row per key (the index, named after ``by``), busiest first.

    Requests are the spans of the key's kind (model calls — ``llm_generation`` and ``embedding`` — for
    ``by="model"``, ``agent_run``, ``tool_call`` or ``workflow_run``); latency percentiles are over their
    durations (linear interpolation, running spans left out). Tokens, time to first token and cost come from
    the ``llm_generation`` spans that ran inside (or are) them, so an agent's cost is that of its model
    calls; a key whose calls include a model with no price has ``cost_usd`` NaN.

    Args:
        source: A :class:`~mastra_lab.storage.Storage` or a DataFrame from :func:`spans_df`.
        by: ``"model"``, ``"agent"``, ``"tool"`` or ``"workflow"``.
        since: Spans that started at or after this (``"1h"``, a timedelta, a datetime).
        prices: Model prices merged over :data:`DEFAULT_PRICES`.
    """
    import pandas as pd

    _check_choice(by, "by", list(_CALL_KINDS))
    spans = spans_df(source, since=since, prices=prices)
    calls = _calls_by(spans, by)
    usage = calls if by == "model" else _model_calls(spans)[lambda f: f[by].notna()]
    grouped = calls.groupby(by)
    out = pd.DataFrame({"requests": grouped.size()})
    out["errors"] = (calls["status"] == "error").groupby(calls[by]).sum()
    out["error_rate"] = out["errors"] / out["requests"]
    levels = [0.5, 0.95, 0.99]
    quantiles = grouped["duration_ms"].quantile(levels).unstack().reindex(index=out.index, columns=levels)
    out[["p50_ms", "p95_ms", "p99_ms"]] = quantiles.to_numpy(dtype=float)
    tokens = usage.groupby(by)[["input_tokens", "output_tokens"]].sum()
    out[["input_tokens", "output_tokens"]] = tokens.reindex(out.index).fillna(0).astype("int64")
    out["ttft_p50_ms"] = usage.groupby(by)["ttft_ms"].median().reindex(out.index)
    priced = _model_calls(usage)
    cost = _sum_or_unknown(priced, by, "cost_usd").reindex(out.index)
    out["cost_usd"] = cost.where(out.index.isin(priced[by]), 0.0 if by != "model" else math.nan)
    out.index.name = by
    return out.sort_values("requests", ascending=False, kind="stable")[_METRIC_COLUMNS]


_COST_COLUMNS = ["calls", "input_tokens", "output_tokens", "unpriced", "cost_usd"]
"""The columns of :func:`cost_df`, in order (the key is the index)."""

_COST_KEYS = {"trace": "trace_id", "thread": "thread_id", "resource": "resource_id", "model": "model"}


def cost_df(
    source: Source,
    *,
    by: CostBy = "trace",
    since: TimeArg = None,
    prices: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """What the model calls cost per trace, thread (``gen_ai.conversation.id``), resource
    (``mastra.resource_id``) or model, most expensive first.

    Only ``llm_generation`` spans count. ``unpriced`` is how many calls used a model with no price; when it
    is not 0 the ``cost_usd`` total is NaN (unknown), and :data:`DEFAULT_PRICES` or ``prices=`` should name
    that model. Calls outside any thread or resource are left out of those groupings.

    Args:
        source: A :class:`~mastra_lab.storage.Storage` or a DataFrame from :func:`spans_df`.
        by: ``"trace"``, ``"thread"``, ``"resource"`` or ``"model"``.
        since: Spans that started at or after this (``"1h"``, a timedelta, a datetime).
        prices: Model prices merged over :data:`DEFAULT_PRICES`.
    """
    import pandas as pd

    _check_choice(by, "by", list(_COST_KEYS))
    key = _COST_KEYS[by]
    calls = _model_calls(spans_df(source, since=since, prices=prices))
    calls = calls[calls[key].notna()]
    grouped = calls.groupby(key)
    out = pd.DataFrame({"calls": grouped.size()})
    out[["input_tokens", "output_tokens"]] = grouped[["input_tokens", "output_tokens"]].sum().astype("int64")
    out["unpriced"] = calls["cost_usd"].isna().groupby(calls[key]).sum().astype("int64")
    out["cost_usd"] = _sum_or_unknown(calls, key, "cost_usd")
    out.index.name = by
    return out.sort_values("cost_usd", ascending=False, na_position="last", kind="stable")[_COST_COLUMNS]


_LOG_COLUMNS = ["time", "level", "logger", "message", "trace_id", "span_id", "span"]
"""The columns of :func:`logs_df`, in order."""

_LEVELS = {"DEBUG": 10, "INFO": 20, "WARN": 30, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}


def logs_df(
    source: Source,
    *,
    trace_id: str | Sequence[str] | None = None,
    since: TimeArg = None,
    level: str | None = None,
) -> pd.DataFrame:
    """Log records written while a span was current (its ``log`` events), in time order.

    Args:
        source: A :class:`~mastra_lab.storage.Storage` or a DataFrame from :func:`spans_df`.
        trace_id: Only the records of this trace (or these traces).
        since: Records of spans that started at or after this (``"1h"``, a timedelta, a datetime).
        level: This level and above: ``"DEBUG"``, ``"INFO"``, ``"WARN"`` or ``"ERROR"``.
    """
    import pandas as pd

    minimum = None
    if level is not None:
        _check_choice(str(level).upper(), "level", list(_LEVELS))
        minimum = _LEVELS[str(level).upper()]
    spans = spans_df(source, since=since, trace_id=trace_id)
    events = spans[["trace_id", "span_id", "name", "events"]].explode("events", ignore_index=True)
    events = events[events["events"].notna()]
    event = _records(events["events"], ["name", "time", "attributes"])
    events = events[event["name"] == "log"]
    record = _records(event.loc[events.index, "attributes"], ["level", "logger", "message"])
    out = pd.DataFrame(
        {
            "time": pd.to_datetime(event.loc[events.index, "time"], utc=True, format="ISO8601"),
            "level": record["level"].astype(object).str.upper(),
            "logger": record["logger"],
            "message": record["message"],
            "trace_id": events["trace_id"],
            "span_id": events["span_id"],
            "span": events["name"],
        },
        columns=_LOG_COLUMNS,
    )
    if minimum is not None:
        out = out[out["level"].map(_LEVELS).fillna(0) >= minimum]
    return out.sort_values("time", kind="stable").reset_index(drop=True)
