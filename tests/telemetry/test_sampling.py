"""Sampler forms: what each one decides, and what is refused."""

from __future__ import annotations

import pytest

from mastra_lab.errors import MastraError
from mastra_lab.telemetry.sampling import SamplingContext, make_sampler


def _ctx(trace_id: str) -> SamplingContext:
    return SamplingContext(trace_id, "root", "custom")


def test_always_needs_no_decision_and_never_drops_everything() -> None:
    assert make_sampler("always") == (None, "always")
    never, name = make_sampler("never")
    assert never is not None and name == "never" and not never(_ctx("a"))


def test_a_ratio_keeps_about_that_share_and_is_stable_per_trace_id() -> None:
    decide, name = make_sampler(0.1)
    assert decide is not None and name == "ratio 0.1"
    kept = [i for i in range(5000) if decide(_ctx(f"trace-{i}"))]
    assert 400 < len(kept) < 600
    assert kept == [i for i in range(5000) if decide(_ctx(f"trace-{i}"))]


def test_ratios_zero_and_one_are_never_and_always() -> None:
    zero, _ = make_sampler(0)
    assert zero is not None and not any(zero(_ctx(str(i))) for i in range(200))
    assert make_sampler(1.0)[0] is None


@pytest.mark.parametrize("bad", [1.5, -0.1, "half", float("nan"), False, [0.5]])
def test_malformed_samplers_are_refused(bad: object) -> None:
    with pytest.raises(MastraError, match="a callable") as info:
        make_sampler(bad)
    assert info.value.code == "TELEMETRY_BAD_SAMPLER"
