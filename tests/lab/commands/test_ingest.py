"""``%mastra ingest``: the bundled corpus into a DuckDB file, searched with a filter; mistakes write none."""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest

from mastra_lab import Mastra
from mastra_lab.embed import HashingEmbedder
from mastra_lab.lab._testing import TestingShell
from mastra_lab.lab.commands import ingest as ingest_module
from mastra_lab.lab.display import Text
from mastra_lab.rag.chunking import STRATEGIES
from mastra_lab.storage import DuckDBStore
from mastra_lab.vector import DuckDBVector

DATA = Path(__file__).resolve().parents[3] / "notebooks" / "data"
CORPUS = shlex.quote(str(DATA / "*.md"))
ARTICLES = len(list(DATA.glob("*.md")))


def _open(path: Path) -> Mastra:
    storage = DuckDBStore(path)
    return Mastra(storage=storage, vectors={"default": DuckDBVector.from_store(storage)})


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "workbench.duckdb"


@pytest.fixture
def sh(db: Path) -> Iterator[TestingShell]:
    shell = TestingShell()
    shell.magics.replace_mastra(_open(db), owned=True)
    yield shell
    shell.close()


def _counts(sh: TestingShell) -> dict[str, int]:
    df = sh.line("vector list").df
    return dict(zip(df["index"], df["count"], strict=True))


def test_the_bundled_corpus_is_a_few_dozen_small_articles() -> None:
    assert 30 <= ARTICLES <= 40
    assert sum(p.stat().st_size for p in DATA.iterdir()) < 100_000


def test_ingest_reports_one_line_and_the_index_is_searchable_with_a_filter(
    sh: TestingShell, capsys: pytest.CaptureFixture[str]
) -> None:
    report = sh.line(f"ingest {CORPUS} --index help")
    assert isinstance(report, Text) and "\n" not in report.text
    assert report.text == (
        f"ingested {ARTICLES} documents from {str(DATA / '*.md')!r} into help: "
        f"{ARTICLES} chunks, {ARTICLES} vectors upserted"
    )
    assert f"{ARTICLES}/{ARTICLES}" in capsys.readouterr().err  # the tqdm bar ran to the end
    hits = sh.line("""vector search help "how many days for a refund" --filter '{"category": "billing"}'""")
    assert len(hits.df) == 5 and {m["category"] for m in hits.df["metadata"]} == {"billing"}
    assert hits.df["metadata"][0]["source"] == "refund-timing.md"
    stats = sh.line("vector describe help")
    assert (stats["count"], stats["embedder"]) == (ARTICLES, HashingEmbedder().name)


def test_the_vectors_are_in_the_file_after_a_restart(sh: TestingShell, db: Path) -> None:
    sh.line(f"ingest {CORPUS} --index help")
    sh.magics.replace_mastra(_open(db), owned=True)  # closes the first one
    assert _counts(sh) == {"help": ARTICLES}
    assert sh.line("vector search help parcels warehouse -k 1").df["metadata"][0]["source"] == (
        "parcel-tracking.md"
    )


def test_ingesting_again_replaces_instead_of_duplicating(sh: TestingShell) -> None:
    sh.line(f"ingest {CORPUS} --index help")
    sh.line(f"ingest {CORPUS} --index help")
    assert _counts(sh) == {"help": ARTICLES}


def test_strategy_size_store_and_embedder_options(sh: TestingShell) -> None:
    line = f"ingest {CORPUS} --index small --strategy sentence --max-size 120 --overlap 0 --store default"
    report = sh.line(line + " --embedder hashing:dim=64")
    assert "into default/small" in report.text
    stats = sh.line("vector describe small")
    assert stats["count"] > ARTICLES and stats["embedder"] == HashingEmbedder(dim=64).name
    # again without --embedder: the index's own embedder is used, not the 384-d default
    sh.line(f"ingest {shlex.quote(str(DATA / 'trial.md'))} --index small --strategy sentence --max-size 120")
    assert sh.line("vector describe small")["embedder"] == HashingEmbedder(dim=64).name


def test_the_default_embedder_setting_fills_a_new_index(sh: TestingShell) -> None:
    sh.run_cell("%config MastraMagics.default_embedder = 'hashing:dim=32'")
    sh.line(f"ingest {CORPUS} --index tiny")
    assert sh.line("vector describe tiny")["dimension"] == 32


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("ingest", "the following arguments are required: path, --index"),
        (f"ingest {CORPUS}", "the following arguments are required: --index"),
        (f"ingest {CORPUS} --index help --strategy paragraphs", "argument --strategy: invalid choice"),
        (f"ingest {CORPUS} --index help --max-size big", "argument --max-size: invalid int value: 'big'"),
        (f"ingest {CORPUS} --index help --max-size 0", "max_size"),
        ("ingest nowhere/*.md --index help", "no files match 'nowhere/*.md' (relative to"),
        (f"ingest {CORPUS} --index help --store archive", "no vector store named 'archive'"),
        (f"ingest {CORPUS} --index help --embedder bert", "unknown embedder 'bert'"),
        (f"ingest {CORPUS} --index 'bad name'", "bad name"),
        (f"ingest {CORPUS} --index help --frobnicate", "unrecognized arguments: --frobnicate"),
    ],
)
def test_every_mistake_is_a_usage_error_and_writes_nothing(sh: TestingShell, line: str, message: str) -> None:
    error = sh.usage_error(line)
    assert message in error and "\n" not in error
    assert _counts(sh) == {}


def test_a_binary_file_fails_the_whole_ingest(sh: TestingShell, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.md").write_text("# Fine\nText.")
    (folder / "z.bin").write_bytes(b"\x00\x01\x02")
    assert "z.bin' is not UTF-8 text (byte 0" in sh.usage_error(f"ingest {folder} --index docs")
    assert _counts(sh) == {}


def test_another_embedder_than_the_index_records_is_refused(sh: TestingShell) -> None:
    sh.line(f"ingest {CORPUS} --index help")
    error = sh.usage_error(f"ingest {CORPUS} --index help --embedder hashing:bigrams=off")
    assert "index 'help' already records embedder" in error
    assert _counts(sh) == {"help": ARTICLES}


def test_without_a_mastra_it_says_to_run_init() -> None:
    shell = TestingShell()
    try:
        assert "run %mastra init" in shell.usage_error(f"ingest {CORPUS} --index help")
    finally:
        shell.close()


def test_the_strategy_choices_are_the_chunkers() -> None:
    assert ingest_module._STRATEGIES == STRATEGIES
