"""``%mastra vector list | describe | search`` on a real shell over real stores; mistakes are UsageErrors."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from mastra_backends import Backend

from mastra_lab import Mastra
from mastra_lab.embed import HashingEmbedder
from mastra_lab.lab._testing import TestingShell
from mastra_lab.lab.display import Fields, Table
from mastra_lab.rag import Document

DOCS = [
    Document("Refunds go back to the card we charged.", {"category": "billing"}, id="refunds"),
    Document("A receipt is emailed when an order is charged.", {"category": "billing"}, id="receipts"),
    Document("Parcels leave the warehouse within two days.", {"category": "shipping"}, id="parcels"),
    Document("Reset your password from the sign-in page.", {"category": "account"}, id="password"),
]


@pytest.fixture
def mastra(backend: Backend) -> Iterator[Mastra]:
    """``default/help`` and ``archive/old``, in memory or each in a PgVector schema."""
    with Mastra(vectors={"default": backend.vectors(), "archive": backend.vectors()}) as m:
        m.ingest(DOCS, "help", progress=False)
        m.ingest(DOCS[:2], "old", store="archive", embedder="hashing:dim=64", progress=False)
        yield m


@pytest.fixture
def sh(mastra: Mastra) -> Iterator[TestingShell]:
    shell = TestingShell(user_ns={"mastra": mastra})
    shell.magics.replace_mastra(mastra, owned=False)
    yield shell
    shell.close()


def test_list_shows_every_index_with_its_stats(sh: TestingShell) -> None:
    table = sh.line("vector list")
    assert isinstance(table, Table) and table.title == "2 vector indexes"
    assert table.df.to_dict("records") == [
        {
            "store": "archive",
            "index": "old",
            "dimension": 64,
            "count": 2,
            "metric": "cosine",
            "embedder": HashingEmbedder(dim=64).name,
        },
        {
            "store": "default",
            "index": "help",
            "dimension": 384,
            "count": 4,
            "metric": "cosine",
            "embedder": HashingEmbedder().name,
        },
    ]
    assert "<table" in table._repr_html_() and "archive" in repr(table)


def test_list_follows_the_display_limit(sh: TestingShell) -> None:
    sh.run_cell("%config MastraMagics.display_limit = 1")
    table = sh.line("vector list")
    assert len(table.df) == 2 and "… 1 more rows (.df has them all)" in repr(table)


def test_describe_gives_the_stats_and_the_recorded_embedder(sh: TestingShell) -> None:
    fields = sh.line("vector describe old")
    assert isinstance(fields, Fields) and fields.title == "archive/old"
    assert dict(fields.values) == {
        "store": "archive",
        "index": "old",
        "dimension": 64,
        "count": 2,
        "metric": "cosine",
        "embedder": HashingEmbedder(dim=64).name,
    }
    assert sh.line("vector describe default/help")["count"] == 4


def test_search_embeds_with_the_recorded_embedder_and_ranks(sh: TestingShell) -> None:
    # archive/old holds 64-d hashing vectors: the default 384-d embedder could not query it
    table = sh.line('vector search old "refund to my card"')
    assert table.title == "2 results from old for 'refund to my card'"
    assert list(table.df.columns) == ["id", "score", "document", "metadata"]
    assert table.df["id"].tolist() == ["refunds:0", "receipts:0"]
    assert table.df["score"].is_monotonic_decreasing
    assert table.df["metadata"][0]["category"] == "billing"


def test_search_text_may_be_left_unquoted_and_top_k_limits(sh: TestingShell) -> None:
    table = sh.line("vector search help where are my parcels --top-k 1")
    assert table.df["id"].tolist() == ["parcels:0"]
    assert table.title == "1 result from help for 'where are my parcels'"


def test_the_display_limit_cuts_the_view_not_the_frame(sh: TestingShell) -> None:
    sh.magics.display_limit = 2
    table = sh.line("vector search help card -k 4")
    assert len(table.df) == 4 and "… 2 more rows" in repr(table)


def test_a_filter_keeps_only_matching_chunks(sh: TestingShell) -> None:
    table = sh.line("""vector search help password --filter '{"category": "billing"}'""")
    assert sorted(table.df["id"]) == ["receipts:0", "refunds:0"]
    table = sh.line("""vector search help card --filter '{"category": {"$in": ["shipping", "account"]}}'""")
    assert sorted(table.df["id"]) == ["parcels:0", "password:0"]


def test_a_notebook_cell_assigns_the_result(sh: TestingShell) -> None:
    sh.run_cell("""hits = %mastra vector search help refund --filter '{"category": "billing"}' --top-k 1""")
    assert sh.ns["hits"].df["id"].tolist() == ["refunds:0"]


def test_default_embedder_serves_an_index_that_records_none(sh: TestingShell, mastra: Mastra) -> None:
    store = mastra.get_vector("default")
    store.create_index("raw", dimension=32)
    store.upsert("raw", HashingEmbedder(dim=32).embed(["alpha beta", "gamma delta"]), ids=["ab", "gd"])
    assert "holds 32-dimensional vectors" in sh.usage_error("vector search raw gamma")
    sh.run_cell("%config MastraMagics.default_embedder = 'hashing:dim=32'")
    assert sh.line("vector search raw gamma -k 1").df["id"].tolist() == ["gd"]
    assert sh.line("vector search raw gamma -k 1 --embedder hashing:dim=32").df["id"].tolist() == ["gd"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("vector", "%mastra vector: the following arguments are required: list|describe|search"),
        ("vector frob", "argument list|describe|search: invalid choice: 'frob'"),
        ("vector search help", "%mastra vector search: the following arguments are required: text"),
        ("vector search help card --top-k two", "argument --top-k/-k: invalid int value: 'two'"),
        ("vector search help card --top-k 0", "top_k must be a positive integer, got 0"),
        ('vector search help ""', "%mastra vector search: the query text is empty"),
        ("vector describe nope", "no vector index named 'nope'; known indexes: archive/old, default/help"),
        ("vector search archive/help x", "no vector index named 'archive/help'; known indexes: archive/old"),
        (
            "vector search help card --filter '{category: 1}'",
            "the filter is not valid JSON: Expecting property name enclosed in double quotes at line 1 "
            "column 2 (char 1)",
        ),
        ("vector search help card --filter '[1, 2]'", "the filter must be a JSON object"),
        (
            """vector search help card --filter '{"year": {"$after": 2020}}'""",
            "unknown filter operator '$after'; valid operators are: $all, $and",
        ),
        ("vector search help card --embedder bert", "unknown embedder 'bert'; known embedders: hashing"),
        (
            "vector search help card --embedder hashing:dim=64",
            "index 'help' was filled by embedder 'hashing:dim=384,ngrams=3-5,bigrams=on,lowercase=on'",
        ),
        ("vector search help 'unclosed", "cannot split the arguments"),
    ],
)
def test_every_mistake_is_a_one_line_usage_error(sh: TestingShell, line: str, message: str) -> None:
    error = sh.usage_error(line)
    assert message in error and "\n" not in error


def test_an_index_in_two_stores_must_be_named_with_its_store(sh: TestingShell, mastra: Mastra) -> None:
    mastra.ingest(DOCS[:1], "help", store="archive", progress=False)
    assert sh.usage_error("vector search help card") == (
        "index 'help' is in 2 vector stores: archive/help, default/help; name one as STORE/INDEX"
    )
    assert sh.line("vector search archive/help card").df["id"].tolist() == ["refunds:0"]


def test_without_a_mastra_it_says_to_run_init() -> None:
    shell = TestingShell()
    try:
        assert "run %mastra init" in shell.usage_error("vector list")
    finally:
        shell.close()


def test_help_of_each_action_comes_from_its_parser(sh: TestingShell) -> None:
    assert "--filter JSON" in repr(sh.line("vector search --help"))
    text = repr(sh.line("vector --help"))
    assert "list|describe|search" in text and "%mastra vector search help" in text


def test_loading_the_commands_imports_nothing_heavy() -> None:
    code = (
        "import sys; import mastra_lab.lab.commands.vector, mastra_lab.lab.commands.ingest;"
        "print(sorted(m for m in ('pandas', 'numpy', 'duckdb', 'ipywidgets', 'tqdm') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_no_hits_is_an_empty_table_with_the_same_columns(sh: TestingShell) -> None:
    table = sh.line("""vector search help card --filter '{"category": "returns"}'""")
    assert table.title == "0 results from help for 'card'"
    assert table.df.empty and list(table.df.columns) == ["id", "score", "document", "metadata"]
    assert str(table.df["score"].dtype) == "float64"
