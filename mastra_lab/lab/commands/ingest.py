"""``%mastra ingest PATH_OR_GLOB --index NAME``: files → documents → chunks → vectors, with a progress bar.

Files are read by :func:`~mastra_lab.rag.load_documents` (every one before anything is written, so a bad
file fails the command with nothing half-ingested), then chunked, embedded and upserted by
:meth:`~mastra_lab.Mastra.ingest`, whose tqdm bar is a widget in a notebook. Ingesting the same files
again replaces their vectors. The embedder is ``--embedder``, else the one the index already records,
else ``%config MastraMagics.default_embedder``.
"""

from __future__ import annotations

import argparse

from mastra_lab.lab.display import Text
from mastra_lab.lab.registry import CommandParser, Invocation, command

__all__: list[str] = []

_STRATEGIES = ("recursive", "character", "sentence", "markdown", "token")
# the same names as mastra_lab.rag.chunking.STRATEGIES, which is not imported here: loading the extension
# must stay light, and a test checks that the two agree

_EPILOG = """examples:
  %mastra ingest data/*.md --index help
  %mastra ingest docs/ --index manual --strategy markdown --max-size 800
  %mastra ingest 'notes/**/*.txt' --index notes --store archive --embedder wordllama
"""


def _arguments(parser: CommandParser) -> None:
    parser.add_argument("path", help="a file, a directory, or a glob such as data/*.md")
    parser.add_argument("--index", required=True, metavar="NAME", help="the index (created when missing)")
    parser.add_argument("--strategy", choices=_STRATEGIES, default="recursive", help="chunking strategy")
    parser.add_argument("--max-size", type=int, metavar="N", help="largest chunk (characters; tokens)")
    parser.add_argument("--overlap", type=int, metavar="N", help="context repeated between chunks")
    parser.add_argument("--store", metavar="STORE", help="default: 'default', or the only store")
    parser.add_argument("--embedder", metavar="NAME", help="default: the index's, else the configured one")


@command(
    "ingest",
    "read files into a vector index: ingest PATH_OR_GLOB --index NAME [--strategy S]",
    arguments=_arguments,
    epilog=_EPILOG,
)
def ingest_command(invocation: Invocation, args: argparse.Namespace) -> Text:
    from mastra_lab.rag import load_documents

    mastra = invocation.mastra
    documents = load_documents(args.path)
    report = mastra.ingest(
        documents,
        args.index,
        store=args.store,
        embedder=args.embedder,
        default_embedder=invocation.magics.default_embedder,
        strategy=args.strategy,
        max_size=args.max_size,
        overlap=args.overlap,
    )
    where = f"{args.store}/{args.index}" if args.store else args.index
    return Text(
        f"ingested {report.documents} document{'' if report.documents == 1 else 's'} from {args.path!r} "
        f"into {where}: {report.chunks} chunks, {report.vectors} vectors upserted"
    )
