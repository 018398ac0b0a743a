"""Agents: a model with instructions, tools and memory, running the tool loop.

:class:`Agent` is the facade; the loop itself is a small state machine in :mod:`mastra_lab.agent._loop`.
"""

from __future__ import annotations

from mastra_lab.agent._agent import Agent
from mastra_lab.agent._types import AgentChunk, AgentResult, StructuredOutputError

__all__ = ["Agent", "AgentChunk", "AgentResult", "StructuredOutputError"]
