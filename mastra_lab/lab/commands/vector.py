"""``%mastra vector list | describe INDEX | search INDEX TEXT``: the notebook's vector indexes.

An index is named as in :meth:`~mastra_lab.Mastra.find_index`: ``help`` when one store has it, else
``store/index``. ``search`` embeds the text with the embedder the index recorded (the one that filled it),
so a notebook never has to rebuild it by hand; ``--embedder NAME`` names another (an index refuses a
mismatched one), and an index that records none uses ``%config MastraMagics.default_embedder``.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import TYPE_CHECKING, Any

from mastra_lab.lab.display import Fields, Table, usage_error
from mastra_lab.lab.registry import CommandParser, Invocation, command
from mastra_lab.vector.filter import parse_filter_json

if TYPE_CHECKING:
    from mastra_lab.vector import QueryResults

__all__: list[str] = []

_EPILOG = """examples:
  %mastra vector list
  %mastra vector describe help
  %mastra vector search help "how do refunds work" --top-k 3
  %mastra vector search default/help refund --filter '{"category": "billing"}'
  hits = %mastra vector search help "lost parcel" --embedder wordllama
"""


def _arguments(parser: CommandParser) -> None:
    actions = parser.add_subparsers(
        dest="action", required=True, metavar="list|describe|search", parser_class=CommandParser
    )
    listing = actions.add_parser("list", help="every index of every vector store, with its stats")
    listing.set_defaults(run=_list)
    describe = actions.add_parser("describe", help="the stats of one index")
    describe.add_argument("index", help="INDEX, or STORE/INDEX when several stores have one so named")
    describe.set_defaults(run=_describe)
    search = actions.add_parser("search", help="the chunks nearest to a text")
    search.add_argument("index", help="INDEX, or STORE/INDEX")
    search.add_argument("text", nargs="+", help="the query (quote it, or leave it unquoted)")
    search.add_argument("--top-k", "-k", type=int, default=5, metavar="K", help="results (default 5)")
    search.add_argument("--filter", metavar="JSON", help="""a metadata filter: '{"category": "billing"}'""")
    search.add_argument("--embedder", metavar="NAME", help="default: the one the index recorded")
    search.set_defaults(run=_search)


@command(
    "vector",
    "vector indexes: list | describe INDEX | search INDEX TEXT [--top-k K] [--filter JSON]",
    arguments=_arguments,
    epilog=_EPILOG,
)
def vector_command(invocation: Invocation, args: argparse.Namespace) -> Any:
    return args.run(invocation, args)


def _list(invocation: Invocation, args: argparse.Namespace) -> Table:
    df = invocation.mastra.indexes_df()
    title = f"{len(df)} vector index{'' if len(df) == 1 else 'es'}"
    return Table(df, title=title, limit=invocation.magics.display_limit)


def _describe(invocation: Invocation, args: argparse.Namespace) -> Fields:
    ref = invocation.mastra.find_index(args.index)
    stats = dataclasses.asdict(ref.describe())
    return Fields({"store": ref.store_name, "index": ref.index_name, **stats}, title=ref.path)


def _search(invocation: Invocation, args: argparse.Namespace) -> Table:
    text = " ".join(args.text).strip()
    if not text:
        raise usage_error(
            "%mastra vector search: the query text is empty", 'write it after the index: search help "…"'
        )
    filter = parse_filter_json(args.filter) if args.filter is not None else None
    hits = invocation.mastra.search(
        args.index,
        text,
        top_k=args.top_k,
        filter=filter,
        embedder=args.embedder,
        default_embedder=invocation.magics.default_embedder,
    )
    title = f"{len(hits)} result{'' if len(hits) == 1 else 's'} from {args.index} for {text!r}"
    return Table(lambda: _frame(hits), title=title, limit=invocation.magics.display_limit)


def _frame(hits: QueryResults) -> Any:
    """The hits as id, score, document and metadata columns (the metadata as one dict per row)."""
    import pandas as pd

    columns = {
        "id": [h.id for h in hits],
        "score": [h.score for h in hits],
        "document": [h.document for h in hits],
        "metadata": [h.metadata for h in hits],
    }
    return pd.DataFrame(
        {k: pd.Series(v, dtype="float64" if k == "score" else object) for k, v in columns.items()}
    )
