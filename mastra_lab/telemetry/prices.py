"""What model calls cost: list prices per model and the cost of each model-call span.

Providers bill tokens, input and output at different rates, per million tokens. A price table maps model
names to :class:`ModelPrice`; :func:`span_cost` prices a whole column of spans at once (one dictionary map
per lookup form, no loop per span). A model with no price costs ``NaN`` — unknown — never 0, so a total that
includes it is unknown too rather than quietly low.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mastra_lab.errors import MastraError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DEFAULT_PRICES", "ModelPrice", "resolve_prices", "span_cost"]

_DATE_SUFFIX = r"-(?:\d{8}|\d{4}-\d{2}-\d{2}|latest)$"


def _error(message: str, code: str, **details: Any) -> MastraError:
    return MastraError(message, code=code, domain="telemetry", details=details)


@dataclass(frozen=True)
class ModelPrice:
    """What a model costs, in US dollars per million tokens, as providers publish their list prices.

    Args:
        input_per_mtok: USD per million prompt (input) tokens.
        output_per_mtok: USD per million completion (output) tokens.
    """

    input_per_mtok: float
    output_per_mtok: float

    def __post_init__(self) -> None:
        for field_name in ("input_per_mtok", "output_per_mtok"):
            value = getattr(self, field_name)
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not ok or not math.isfinite(value) or value < 0:
                raise MastraError(
                    f"ModelPrice {field_name}={value!r} must be a finite number of USD per million "
                    "tokens, 0 or more",
                    code="TELEMETRY_BAD_PRICES",
                    domain="telemetry",
                )


DEFAULT_PRICES: dict[str, ModelPrice] = {
    # OpenAI
    "gpt-4o": ModelPrice(2.50, 10.00),
    "gpt-4o-mini": ModelPrice(0.15, 0.60),
    "gpt-4.1": ModelPrice(2.00, 8.00),
    "gpt-4.1-mini": ModelPrice(0.40, 1.60),
    "gpt-4.1-nano": ModelPrice(0.10, 0.40),
    "gpt-5": ModelPrice(1.25, 10.00),
    "gpt-5-mini": ModelPrice(0.25, 2.00),
    "gpt-5-nano": ModelPrice(0.05, 0.40),
    "o1": ModelPrice(15.00, 60.00),
    "o3": ModelPrice(2.00, 8.00),
    "o3-mini": ModelPrice(1.10, 4.40),
    "o4-mini": ModelPrice(1.10, 4.40),
    "gpt-3.5-turbo": ModelPrice(0.50, 1.50),
    # Anthropic (dated ids such as claude-3-5-sonnet-20241022 and -latest aliases match these)
    "claude-3-5-sonnet": ModelPrice(3.00, 15.00),
    "claude-3-7-sonnet": ModelPrice(3.00, 15.00),
    "claude-sonnet-4": ModelPrice(3.00, 15.00),
    "claude-sonnet-4-0": ModelPrice(3.00, 15.00),
    "claude-sonnet-4-5": ModelPrice(3.00, 15.00),
    "claude-3-5-haiku": ModelPrice(0.80, 4.00),
    "claude-3-haiku": ModelPrice(0.25, 1.25),
    "claude-haiku-4-5": ModelPrice(1.00, 5.00),
    "claude-3-opus": ModelPrice(15.00, 75.00),
    "claude-opus-4": ModelPrice(15.00, 75.00),
    "claude-opus-4-0": ModelPrice(15.00, 75.00),
    "claude-opus-4-1": ModelPrice(15.00, 75.00),
    # Groq (approximate)
    "llama-3.3-70b-versatile": ModelPrice(0.59, 0.79),
    "llama-3.1-8b-instant": ModelPrice(0.05, 0.08),
    "llama3-70b-8192": ModelPrice(0.59, 0.79),
    "llama3-8b-8192": ModelPrice(0.05, 0.08),
    "meta-llama/llama-4-scout-17b-16e-instruct": ModelPrice(0.11, 0.34),
    "meta-llama/llama-4-maverick-17b-128e-instruct": ModelPrice(0.20, 0.60),
    "gemma2-9b-it": ModelPrice(0.20, 0.20),
    "openai/gpt-oss-120b": ModelPrice(0.15, 0.75),
    "openai/gpt-oss-20b": ModelPrice(0.10, 0.50),
    # The offline test models cost nothing.
    "test:*": ModelPrice(0.0, 0.0),
}
"""List prices in USD per million tokens (standard tier: no batch discount, no prompt caching).

Dated 2026-12-02. OpenAI and Anthropic figures are the list prices the providers publish
(platform.openai.com/docs/pricing, anthropic.com/pricing), checked that day against public copies of those
tables dated 2026-03 to 2026-10. Groq figures are approximate (groq.com/pricing, not re-checked).
Prices change: pass your own with ``prices=`` (merged over these) rather than trusting this table for
billing.

Keys are a model name (``"gpt-4o"``), ``"provider:model"`` (wins over the bare name) or ``"provider:*"``
(every model of a provider). A model's date suffix (``-20241022``, ``-2024-08-06``) or ``-latest`` is
ignored when the exact name has no price.
"""


def resolve_prices(prices: Mapping[str, Any] | None = None) -> dict[str, ModelPrice]:
    """:data:`DEFAULT_PRICES` with ``prices`` merged over them, every value checked.

    Args:
        prices: ``{model: ModelPrice}``; a value may also be ``(input_per_mtok, output_per_mtok)`` or a
            dict with those two keys.

    Raises:
        MastraError: ``TELEMETRY_BAD_PRICES`` naming the first entry that is not a price.
    """
    if prices is None:
        return dict(DEFAULT_PRICES)
    if not isinstance(prices, Mapping):
        raise _error(
            f"prices must be a mapping of model name to ModelPrice, got {type(prices).__name__}",
            "TELEMETRY_BAD_PRICES",
        )
    merged = dict(DEFAULT_PRICES)
    for model, price in prices.items():
        merged[_price_key(model)] = _price(model, price)
    return merged


def _price_key(model: object) -> str:
    if not isinstance(model, str) or not model.strip():
        raise _error(
            f"a prices key must be a model name such as 'gpt-4o' or 'openai:gpt-4o', got {model!r}",
            "TELEMETRY_BAD_PRICES",
        )
    return model.strip()


def _price(model: str, price: Any) -> ModelPrice:
    if isinstance(price, ModelPrice):
        return price
    try:
        if isinstance(price, Mapping):
            return ModelPrice(price["input_per_mtok"], price["output_per_mtok"])
        if isinstance(price, Sequence) and not isinstance(price, str) and len(price) == 2:
            return ModelPrice(price[0], price[1])
    except (KeyError, MastraError):
        pass
    raise _error(
        f"prices[{model!r}]={price!r} is not a price; use ModelPrice(input_per_mtok=..., "
        "output_per_mtok=...) in USD per million tokens, or a pair (input, output)",
        "TELEMETRY_BAD_PRICES",
        model=model,
    )


def span_cost(spans: pd.DataFrame, prices: Mapping[str, ModelPrice]) -> pd.Series:
    """USD per ``llm_generation`` span (NaN for other kinds, unknown models and unknown usage).

    A span's price is looked up as ``provider:model``, then ``model``, then both again without a date
    suffix, then ``provider:*``; names compare case-insensitively.

    Args:
        spans: Columns ``type``, ``model``, ``provider``, ``input_tokens``, ``output_tokens`` (as in
            :func:`~mastra_lab.telemetry.metrics.spans_df`).
        prices: A full price table, e.g. from :func:`resolve_prices`.
    """
    import pandas as pd

    lower = {k.lower(): v for k, v in prices.items()}
    model = spans["model"].astype(object).str.lower()
    provider = spans["provider"].astype(object).str.lower()
    base = model.str.replace(_DATE_SUFFIX, "", regex=True)
    candidates = [provider + ":" + model, model, provider + ":" + base, base, provider + ":*"]
    price_in = pd.Series(math.nan, index=spans.index)
    price_out = pd.Series(math.nan, index=spans.index)
    for key in candidates:
        price_in = price_in.fillna(key.map({k: p.input_per_mtok for k, p in lower.items()}))
        price_out = price_out.fillna(key.map({k: p.output_per_mtok for k, p in lower.items()}))
    tokens_in, tokens_out = spans["input_tokens"], spans["output_tokens"]
    cost = (tokens_in.fillna(0) * price_in + tokens_out.fillna(0) * price_out) / 1_000_000
    known = (spans["type"] == "llm_generation") & (tokens_in.notna() | tokens_out.notna())
    return cost.where(known).astype(float)
