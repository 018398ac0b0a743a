"""``%mastra batch AGENT_OR_WORKFLOW --input-var DF``: run a registered agent or workflow over many inputs.

The handler only looks the target and the variable up and calls :func:`~mastra_lab.run_batch`; the cell's
result is its DataFrame (one row per input). The progress bar is ``tqdm.auto``'s, a widget updated in place
in a notebook. An agent and a workflow with the same name: the agent is taken.
"""

from __future__ import annotations

import argparse
import difflib
import keyword
from typing import TYPE_CHECKING, Any

from mastra_lab.lab.display import usage_error
from mastra_lab.lab.registry import CommandParser, Invocation, command

if TYPE_CHECKING:
    import pandas as pd

    from mastra_lab.mastra import Mastra

__all__: list[str] = []


def _arguments(parser: CommandParser) -> None:
    parser.add_argument("target", help="a registered agent or workflow")
    parser.add_argument(
        "--input-var", required=True, metavar="VAR", help="the notebook variable holding the inputs"
    )
    parser.add_argument("--column", help="with a DataFrame: the column holding the inputs (default: rows)")
    parser.add_argument("--executor", choices=("local", "ray"), default="local", help="where runs happen")
    parser.add_argument("--concurrency", type=int, metavar="N", help="runs in flight at once")
    parser.add_argument("-o", "--out", metavar="VAR", help="also store the DataFrame in the variable VAR")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _target(mastra: Mastra, name: str) -> Any:
    if name in mastra.agents:
        return mastra.get_agent(name)
    if name in mastra.workflows:
        return mastra.get_workflow(name)
    known = sorted({*mastra.agents, *mastra.workflows})
    close = difflib.get_close_matches(name, known, n=1)
    listing = f"the agents and workflows are: {', '.join(known)}" if known else "register one first"
    raise usage_error(
        f"%mastra batch: no agent or workflow named {name!r} in this notebook's Mastra",
        f"did you mean {close[0]}? {listing}" if close else listing,
    )


def _inputs(invocation: Invocation, var: str) -> Any:
    if var not in invocation.user_ns:
        raise usage_error(
            f"%mastra batch: --input-var {var} names no variable of this notebook",
            f"define it first, e.g. {var} = ['first prompt', 'second prompt'] or a DataFrame",
        )
    return invocation.user_ns[var]


@command(
    "batch",
    "run an agent or workflow over a list or DataFrame: batch NAME --input-var DF [--executor ray]",
    arguments=_arguments,
    epilog=(
        "examples:\n  questions = ['What is 1 + 1?', 'And 2 + 2?']\n"
        "  %mastra batch calc --input-var questions\n"
        "  %mastra batch orders --input-var df --executor ray --concurrency 2 -o results\n"
        "  results[results.status == 'failed']"
    ),
)
def batch_command(invocation: Invocation, args: argparse.Namespace) -> pd.DataFrame:
    from mastra_lab.batch import run_batch

    if args.out is not None and (not args.out.isidentifier() or keyword.iskeyword(args.out)):
        raise usage_error(f"%mastra batch: -o needs a Python variable name, got {args.out!r}", "-o results")
    if args.concurrency is not None and args.concurrency < 1:
        raise usage_error(
            f"%mastra batch: --concurrency must be 1 or more, got {args.concurrency}", "--concurrency 4"
        )
    target = _target(invocation.mastra, args.target)
    inputs = _inputs(invocation, args.input_var)
    df = run_batch(
        target,
        inputs,
        executor=args.executor,
        concurrency=args.concurrency,
        progress=not args.no_progress,
        column=args.column,
    )
    if args.out is not None:
        invocation.user_ns[args.out] = df
    return df
