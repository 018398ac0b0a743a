"""The ``mastra-lab`` command: ``demo`` walks through every subsystem once; ``status`` summarises a database.

``demo`` shows each subsystem doing one real thing, one line per step, and exits non-zero when a step
fails, so it doubles as a smoke test of an installation. It runs offline.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from mastra_lab.errors import MastraError

__all__ = ["main"]


@dataclass
class _Demo:
    """State handed from step to step."""

    db: str
    values: dict[str, Any] = field(default_factory=dict)


def _step_init(d: _Demo) -> str:
    from mastra_lab.mastra import Mastra
    from mastra_lab.storage import DuckDBStore

    d.values["mastra"] = Mastra(storage=DuckDBStore(d.db))
    return f"framework initialised (storage: duckdb at {d.db})"


def _step_status(d: _Demo) -> str:
    s = d.values["mastra"].status()
    return f"status: event loop {s['event_loop']}, {s['agents']} agent(s), {s['workflows']} workflow(s)"


def _step_create(d: _Demo) -> str:
    storage = d.values["mastra"].storage
    record_id = storage.create("demo_notes", {"text": "hello from mastra_lab"}, metadata={"source": "demo"})
    d.values["record_id"] = record_id
    return f"storage record created: demo_notes/{record_id}"


def _step_read(d: _Demo) -> str:
    record = d.values["mastra"].storage.get("demo_notes", d.values["record_id"])
    if record is None or record.data.get("text") != "hello from mastra_lab":
        raise MastraError(f"record demo_notes/{d.values['record_id']} did not read back intact")
    return f"record read back: {record.data['text']!r}"


_DOCS = [
    "DuckDB is an in-process analytical database",
    "Agents call tools and remember conversations",
    "Workflows can suspend and resume later",
]


def _step_vector_store(d: _Demo) -> str:
    from mastra_lab.embed import HashingEmbedder
    from mastra_lab.vector import DuckDBVector

    mastra = d.values["mastra"]
    embedder = HashingEmbedder()
    vector = DuckDBVector.from_store(mastra.storage)  # same database file (and lock) as the records
    mastra.add_vector("demo", vector)
    vector.create_index("demo", embedder.dimension)
    vector.upsert(
        "demo",
        embedder.embed(_DOCS),
        documents=_DOCS,
        metadata=[{"n": i} for i in range(3)],
        ids=["a", "b", "c"],
    )
    d.values["embedder"] = embedder
    return f"vector documents stored: {vector.describe_index('demo').count} in index 'demo'"


def _step_vector_search(d: _Demo) -> str:
    vector = d.values["mastra"].get_vector("demo")
    results = vector.query_text("demo", "which database runs in process?", d.values["embedder"])
    results = [r for r in results if r.score > 0.1]
    if not results or results[0].document != _DOCS[0]:
        raise MastraError("vector search did not find the DuckDB document first")
    return f"vector search found {len(results)} result(s); best: {results[0].document!r}"


def _step_memory(d: _Demo) -> str:
    from mastra_lab.agent import Agent
    from mastra_lab.llm import FunctionModel, Message
    from mastra_lab.memory import Memory

    def answer(messages: list[Message], info: Any) -> str:
        # what the agent was told this turn: its system prompt carries what memory recalled
        told = messages[0].text if messages and messages[0].role == "system" else ""
        return "You use DuckDB." if "DuckDB" in told else "Noted."

    memory = Memory(embedder="hashing", semantic_recall={"top_k": 1, "scope": "resource"})
    agent = Agent("demo", "You remember your users.", FunctionModel(answer), memory=memory)
    d.values["mastra"].add_agent(agent)
    agent.generate_sync("I use DuckDB for analytics", thread_id="demo-1", resource_id="demo-user")
    result = agent.generate_sync("Which database do I use?", thread_id="demo-2", resource_id="demo-user")
    if result.text != "You use DuckDB.":
        raise MastraError(f"the agent did not recall the other conversation: it answered {result.text!r}")
    saved = sum(len(memory.get_messages(t.id)) for t in memory.list_threads("demo-user"))
    return f"memory: a new thread recalled the first one, answer {result.text!r} ({saved} messages saved)"


def _step_model(d: _Demo) -> str:
    from mastra_lab.llm import Message, get_model

    model = get_model("test", text="Hello from the offline test model")
    reply = model.generate_sync([Message.user("Say hello")])
    return f"model {model.id} answered {reply.text!r} ({reply.usage.total_tokens} tokens, offline)"


def _step_telemetry(d: _Demo) -> str:
    tracer = d.values["mastra"].tracer
    return f"telemetry initialised: {tracer!r}"


def _step_span(d: _Demo) -> str:
    mastra = d.values["mastra"]
    with (
        mastra.tracer.span("demo.search", "custom", input={"query": "duckdb"}) as span,
        mastra.tracer.span("demo.child", "tool_call"),
    ):
        pass
    spans = mastra.storage.get_trace(span.trace_id)
    if len(spans) != 2:
        raise MastraError(f"expected 2 stored spans in trace {span.trace_id}, found {len(spans)}")
    return f"span recorded: trace {span.trace_id[:8]} with {len(spans)} spans stored"


_STEPS: list[Callable[[_Demo], str]] = [
    _step_init,
    _step_status,
    _step_create,
    _step_read,
    _step_vector_store,
    _step_vector_search,
    _step_memory,
    _step_model,
    _step_telemetry,
    _step_span,
]


def _demo(args: argparse.Namespace, out: TextIO) -> int:
    d = _Demo(db=args.db)
    failed = 0
    try:
        for step in _STEPS:
            try:
                line = step(d)
            except Exception as exc:
                failed += 1
                out.write(f"  ✗ {step.__name__.removeprefix('_step_')}: {type(exc).__name__}: {exc}\n")
                if "mastra" not in d.values:
                    break
                continue
            out.write(f"  ✓ {line}\n")
    finally:
        if "mastra" in d.values:
            d.values["mastra"].close()
    out.write("demo failed\n" if failed else "all demo steps passed\n")
    return 1 if failed else 0


def _status(args: argparse.Namespace, out: TextIO) -> int:
    from mastra_lab.mastra import Mastra
    from mastra_lab.storage import DuckDBStore
    from mastra_lab.vector import DuckDBVector

    store = DuckDBStore(args.db, read_only=args.db != ":memory:")
    with Mastra(storage=store, vectors={"default": DuckDBVector.from_store(store)}) as mastra:
        for key, value in mastra.status().items():
            out.write(f"{key:<11} {value}\n")
        for table in store.tables():
            count = store.sql(f'SELECT count(*) AS n FROM "{table}"')["n"].iloc[0]
            out.write(f"table       {table} ({count} rows)\n")
        vectors = mastra.get_vector("default")
        for name in vectors.list_indexes():
            out.write(f"vector      {name} {vectors.describe_index(name)!r}\n")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mastra-lab", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="walk through every subsystem once, offline")
    demo.add_argument("--db", default=":memory:", help="DuckDB file to use (default: in memory)")
    status = sub.add_parser("status", help="summarise the registry and a storage database")
    status.add_argument("--db", default=":memory:", help="DuckDB file to inspect (opened read-only)")
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; returns the process exit code."""
    args = _parser().parse_args(argv)
    stream = out or sys.stdout
    try:
        if args.command == "demo":
            return _demo(args, stream)
        return _status(args, stream)
    except MastraError as exc:
        sys.stderr.write(f"mastra-lab: {exc}\n")
        return 2
