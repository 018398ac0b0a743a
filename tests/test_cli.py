from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from mastra_lab.cli import main
from mastra_lab.storage import DuckDBStore
from mastra_lab.vector import DuckDBVector


def test_demo_prints_one_line_per_step_and_exits_zero(tmp_path: Path) -> None:
    out = io.StringIO()
    code = main(["demo", "--db", str(tmp_path / "demo.duckdb")], out=out)
    lines = out.getvalue().splitlines()
    assert code == 0, out.getvalue()
    assert lines[0].startswith("  ✓ framework initialised")
    assert any("storage record created: demo_notes/" in line for line in lines)
    assert any("vector search found" in line for line in lines)
    assert any("span recorded: trace" in line for line in lines)
    assert any("model test:test answered" in line for line in lines)
    assert (
        "  ✓ memory: a new thread recalled the first one, answer 'You use DuckDB.' (4 messages saved)"
        in lines
    )
    assert all(line.startswith("  ✓ ") for line in lines[:-1]), "every step did its work"
    assert lines[-1] == "all demo steps passed"


def test_demo_writes_to_the_database_it_was_given(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    main(["demo", "--db", str(db)], out=io.StringIO())
    with DuckDBStore(str(db), read_only=True) as store:
        assert store.count("demo_notes") == 1
        names = sorted(t["name"] for t in store.list_traces())
        # the span, two agent runs, and the registered store's upsert and search (each a trace of its own)
        assert names == [
            "demo.search",
            "invoke_agent demo",
            "invoke_agent demo",
            "vector_query demo",
            "vector_upsert demo",
        ]
        assert [t.id for t in store.list_threads("demo-user")] == ["demo-1", "demo-2"]
        first = store.get_messages("demo-1")
        assert [m.role for m in first] == ["user", "assistant"]
        assert first[0].content == [{"text": "I use DuckDB for analytics", "kind": "text"}]
        vectors = DuckDBVector(connection=store.connection, read_only=True)
        assert vectors.describe_index("demo").count == 3


def test_demo_fails_with_nonzero_exit_when_a_step_fails(tmp_path: Path) -> None:
    out = io.StringIO()
    code = main(["demo", "--db", str(tmp_path / "no-such-dir" / "demo.duckdb")], out=out)
    assert code == 1
    assert "✗ init" in out.getvalue()
    assert out.getvalue().rstrip().endswith("demo failed")


def test_status_summarises_a_database(tmp_path: Path) -> None:
    db = tmp_path / "app.duckdb"
    with DuckDBStore(str(db)) as store:
        store.create("notes", {"text": "hi"})
        store.create("notes", {"text": "there"})
    out = io.StringIO()
    assert main(["status", "--db", str(db)], out=out) == 0
    text = out.getvalue()
    assert "storage     duckdb" in text
    assert "notes (2 rows)" in text
    assert "vector " not in text  # no vector index in this database


def test_console_script_entry_point_runs_as_a_module() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mastra_lab", "demo"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "all demo steps passed" in done.stdout


def test_status_lists_the_vector_indexes_the_demo_left(tmp_path: Path) -> None:
    db = str(tmp_path / "demo.duckdb")
    main(["demo", "--db", db], out=io.StringIO())
    out = io.StringIO()
    assert main(["status", "--db", db], out=out) == 0
    assert "vector      demo IndexStats(dimension=384, count=3, metric='cosine')" in out.getvalue()
