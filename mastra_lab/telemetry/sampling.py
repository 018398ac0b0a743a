"""Which traces are kept: decided once, when a root span opens, so a trace is kept or dropped whole.

A ratio is decided on the trace id, like OpenTelemetry's ``TraceIdRatioBased``: the same id always gets the
same answer, in this process and the next, so tests can count kept traces without flakiness and two
services sampling one trace agree.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from mastra_lab.errors import MastraError

__all__ = ["Sampler", "SamplingContext", "make_sampler"]


@dataclass(frozen=True)
class SamplingContext:
    """What a callable sampler sees about the root span being opened."""

    trace_id: str
    name: str
    type: str
    attributes: Mapping[str, Any] = field(default_factory=dict)


Sampler = Literal["always", "never"] | float | Callable[[SamplingContext], bool]
"""``"always"``, ``"never"``, a ratio in ``[0, 1]``, or a callable deciding per root span."""

_ALLOWED = '"always", "never", a ratio between 0 and 1 (e.g. 0.25), or a callable(SamplingContext) -> bool'
_SCALE = 2**64


def _bad(sampler: object) -> MastraError:
    return MastraError(
        f"sampler={sampler!r} is not a sampler; use {_ALLOWED}",
        code="TELEMETRY_BAD_SAMPLER",
        domain="telemetry",
        details={"sampler": repr(sampler)},
    )


def _bucket(trace_id: str) -> int:
    """A uniform 64-bit number fixed by the trace id (hashed, so sequential test ids spread too)."""
    return int.from_bytes(hashlib.blake2b(trace_id.encode(), digest_size=8).digest(), "big")


def make_sampler(sampler: object) -> tuple[Callable[[SamplingContext], bool] | None, str]:
    """The decision function for ``sampler`` (``None`` means keep everything) and a description of it.

    Raises:
        MastraError: ``TELEMETRY_BAD_SAMPLER`` for anything but the allowed forms (``1.5``, ``"half"``, NaN).
    """
    if sampler == "always":
        return None, "always"
    if sampler == "never":
        return (lambda ctx: False), "never"
    if isinstance(sampler, bool):
        raise _bad(sampler)
    if isinstance(sampler, int | float):
        ratio = float(sampler)
        if math.isnan(ratio) or not 0.0 <= ratio <= 1.0:
            raise _bad(sampler)
        if ratio == 1.0:
            return None, "ratio 1.0"
        bound = int(ratio * _SCALE)
        return (lambda ctx: _bucket(ctx.trace_id) < bound), f"ratio {ratio:g}"
    if callable(sampler):
        return sampler, getattr(sampler, "__name__", type(sampler).__name__)
    raise _bad(sampler)
