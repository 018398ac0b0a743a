"""Token counting and the history limiter that never separates a tool call from its result.

Counting is approximate on purpose: the limiter only needs to keep a prompt comfortably under a budget, so
it uses ``tiktoken``'s ``cl100k_base`` when that package *and* its encoding file are already on this machine
(it never downloads one: no hidden network), else about four characters a token.

A conversation with tools is a chain of *units*: a plain message is a unit on its own, an assistant message
that calls tools forms one unit with the tool messages that answer it. The limiter keeps whole units from
the newest back while they fit, and drops a unit whose other half is missing (a tool result whose call is
gone, or a call whose result never came), so a provider is never sent half a tool exchange.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from typing import Any

from mastra_lab.llm.base import Message, TextPart, ToolCall, ToolResult

__all__ = ["TokenCounter", "count_tokens", "limit_messages", "message_tokens", "tool_units"]

TokenCounter = Callable[[str], int]

_PER_MESSAGE = 4  # role and separators, as chat formats spend them
_ENCODING_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"


@functools.cache
def _encoder() -> Any:
    """tiktoken's cl100k_base if it can load without the network, else ``None``."""
    try:
        import tiktoken
    except ImportError:
        return None
    cache = os.environ.get("TIKTOKEN_CACHE_DIR") or os.environ.get("DATA_GYM_CACHE_DIR")
    cache = cache or os.path.join(tempfile.gettempdir(), "data-gym-cache")
    if not os.path.exists(os.path.join(cache, hashlib.sha1(_ENCODING_URL.encode()).hexdigest())):
        return None
    try:
        return tiktoken.get_encoding("cl100k_base")
    except Exception:  # a corrupt cache file: fall back rather than fail a prompt
        return None


def count_tokens(text: str) -> int:
    """Approximate tokens in ``text`` (tiktoken when available offline, else ~4 characters a token).

    Args:
        text: Any text.
    """
    if not text:
        return 0
    encoder = _encoder()
    if encoder is not None:
        return len(encoder.encode(text, disallowed_special=()))
    return (len(text) + 3) // 4


def message_tokens(message: Message, counter: TokenCounter = count_tokens) -> int:
    """Tokens one message costs in a prompt: its text, tool calls and results, plus a little overhead.

    Args:
        message: The message.
        counter: Text → tokens.
    """
    total = _PER_MESSAGE
    for part in message.parts:
        if isinstance(part, TextPart):
            total += counter(part.text)
        elif isinstance(part, ToolCall):
            total += counter(part.name) + counter(json.dumps(part.arguments, default=str))
        elif isinstance(part, ToolResult):
            result = part.result if isinstance(part.result, str) else json.dumps(part.result, default=str)
            total += counter(part.name) + counter(result)
    return total


def tool_units(messages: Sequence[Message]) -> list[list[int]]:
    """Indexes of ``messages`` grouped into complete units; incomplete tool exchanges are left out.

    An assistant message with tool calls and the tool messages answering *all* of its calls form one unit
    (they must be adjacent: results follow their call). Every other message is a unit of its own, except a
    tool message, which never stands alone.

    Args:
        messages: A conversation in order.
    """
    units: list[list[int]] = []
    i, n = 0, len(messages)
    while i < n:
        m = messages[i]
        calls = {c.id for c in m.tool_calls} if m.role == "assistant" else set()
        if m.role == "tool" or (any(isinstance(p, ToolResult) for p in m.parts) and not calls):
            i += 1  # a result without its call just before it: orphan
            continue
        if not calls:
            units.append([i])
            i += 1
            continue
        unit, answered, j = [i], set(), i + 1
        while j < n and messages[j].role == "tool":
            unit.append(j)
            answered |= {r.tool_call_id for r in messages[j].tool_results}
            j += 1
        if calls <= answered and answered <= calls:
            units.append(unit)
        i = j
    return units


def limit_messages(
    messages: Sequence[Message], token_limit: int | None, counter: TokenCounter = count_tokens
) -> list[Message]:
    """The newest messages that fit in ``token_limit`` tokens, with every tool exchange kept whole.

    Incomplete exchanges are dropped even without a limit (``None``). Whole units are kept from the newest
    back; the first that does not fit stops the walk, so the result is a contiguous tail of the (repaired)
    conversation.

    Args:
        messages: The conversation, oldest first.
        token_limit: The budget, or ``None`` for no budget.
        counter: Text → tokens.
    """
    units = tool_units(messages)
    if token_limit is None:
        return [messages[i] for unit in units for i in unit]
    kept: list[list[int]] = []
    used = 0
    for unit in reversed(units):
        cost = sum(message_tokens(messages[i], counter) for i in unit)
        if used + cost > token_limit:
            break
        used += cost
        kept.append(unit)
    return [messages[i] for unit in reversed(kept) for i in unit]
