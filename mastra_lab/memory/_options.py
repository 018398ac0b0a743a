"""Validation of ``Memory(...)``'s configuration dicts, all before anything is stored.

Every mistake names the option, the offending key or value, and what is allowed, so a typo such as
``semantic_recall=dict(topk=3)`` fails at construction instead of being silently ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from mastra_lab.errors import MastraError
from mastra_lab.memory.decay import check_half_life
from mastra_lab.memory.working import WorkingMemorySpec

__all__ = [
    "DEFAULT_TEMPLATE",
    "CompactionSpec",
    "PruneSpec",
    "RecallSpec",
    "check_clock",
    "check_count",
    "check_min_score",
    "compaction_spec",
    "prune_spec",
    "recall_spec",
    "working_spec",
]

DEFAULT_TEMPLATE = """# User
- **Name**:
- **Location**:
- **Preferences**:
- **Goals**:
- **Facts to remember**:"""


def _err(message: str, code: str = "MEMORY_BAD_CONFIG", **details: Any) -> MastraError:
    return MastraError(message, code=code, domain="memory", details=details)


def _keys(option: str, value: object, allowed: tuple[str, ...]) -> dict[str, Any]:
    if value is True:
        return {}
    if not isinstance(value, Mapping):
        raise _err(
            f"{option} must be False, True or a dict with keys {', '.join(allowed)}; got {value!r:.60}",
            option=option,
        )
    unknown = [k for k in value if k not in allowed]
    if unknown:
        raise _err(
            f"{option} has no key {unknown[0]!r}; allowed keys: {', '.join(allowed)}",
            option=option,
            key=str(unknown[0]),
            allowed=list(allowed),
        )
    return dict(value)


def check_count(option: str, value: object, minimum: int = 0, allow_none: bool = False) -> Any:
    """``value`` if it is an int ≥ ``minimum`` (or ``None`` when allowed), else an error naming ``option``."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        none = " or None" if allow_none else ""
        raise _err(f"{option} must be an integer >= {minimum}{none}, got {value!r}", option=option)
    return value


@dataclass(frozen=True)
class RecallSpec:
    """Semantic recall: how many hits, how many neighbours each, and which threads to search."""

    top_k: int = 2
    message_range: int = 2
    scope: str = "thread"


def recall_spec(value: object) -> RecallSpec | None:
    """``semantic_recall=`` as a spec (``None`` when off)."""
    if value is False or value is None:
        return None
    cfg = _keys("semantic_recall", value, ("top_k", "message_range", "scope"))
    spec = RecallSpec(**cfg)
    check_count("semantic_recall['top_k']", spec.top_k, 1)
    check_count("semantic_recall['message_range']", spec.message_range, 0)
    if spec.scope not in ("thread", "resource"):
        raise _err(
            f"semantic_recall['scope'] must be 'thread' or 'resource', got {spec.scope!r}", option="scope"
        )
    return spec


def working_spec(value: object) -> WorkingMemorySpec | None:
    """``working_memory=`` as a spec (``None`` when off); a template *or* a pydantic schema."""
    if value is False or value is None:
        return None
    cfg = _keys("working_memory", value, ("template", "schema", "scope"))
    template, schema, scope = cfg.get("template"), cfg.get("schema"), cfg.get("scope", "resource")
    if template is not None and schema is not None:
        raise _err("working_memory takes a template or a schema, not both; drop one of them")
    if template is not None and not isinstance(template, str):
        raise _err(f"working_memory['template'] must be Markdown text (a str), got {type(template).__name__}")
    if schema is not None and not (isinstance(schema, type) and hasattr(schema, "model_validate")):
        raise _err(f"working_memory['schema'] must be a pydantic model class, got {schema!r:.60}")
    if scope not in ("resource", "thread"):
        raise _err(f"working_memory['scope'] must be 'resource' or 'thread', got {scope!r}", option="scope")
    if schema is None and template is None:
        template = DEFAULT_TEMPLATE
    return WorkingMemorySpec(template, schema, scope)


@dataclass(frozen=True)
class CompactionSpec:
    """Compaction: the summarising model, when to summarise, and how many newest messages stay verbatim."""

    model: Any
    trigger_tokens: int = 4000
    keep_last: int = 4


def compaction_spec(value: object) -> CompactionSpec | None:
    """``compaction=`` as a spec (``None`` when off); the model may be a ``"provider:model"`` string."""
    if value is None or value is False:
        return None
    cfg = _keys("compaction", value, ("model", "trigger_tokens", "keep_last"))
    if "model" not in cfg:
        raise _err("compaction needs model= (a Model or a 'provider:model' string) to write the summary")
    model = cfg["model"]
    if isinstance(model, str):
        from mastra_lab.llm.registry import get_model

        model = get_model(model)
    if not hasattr(model, "generate"):
        raise _err(f"compaction['model'] must be a Model or a 'provider:model' string, got {model!r:.60}")
    spec = CompactionSpec(model, cfg.get("trigger_tokens", 4000), cfg.get("keep_last", 4))
    check_count("compaction['trigger_tokens']", spec.trigger_tokens, 1)
    check_count("compaction['keep_last']", spec.keep_last, 0)
    return spec


@dataclass(frozen=True)
class PruneSpec:
    """Automatic pruning after each save."""

    half_life: timedelta = timedelta(days=7)
    min_score: float = 0.1
    keep_last: int = 10


def check_min_score(value: object) -> float:
    """``min_score`` as a float in [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise _err(f"min_score must be a number between 0 and 1, got {value!r}", option="min_score")
    return float(value)


def prune_spec(value: object) -> PruneSpec | None:
    """``auto_prune=`` as a spec (``None`` when off)."""
    if value is None or value is False:
        return None
    cfg = _keys("auto_prune", value, ("half_life", "min_score", "keep_last"))
    spec = PruneSpec(**cfg)
    check_half_life(spec.half_life)
    check_min_score(spec.min_score)
    check_count("auto_prune['keep_last']", spec.keep_last, 0)
    return spec


def check_clock(clock: object) -> Callable[[], datetime] | None:
    """``clock=``: ``None`` or a callable returning a timezone-aware datetime."""
    if clock is not None and not callable(clock):
        raise _err(f"clock must be a callable returning a timezone-aware datetime, got {clock!r:.60}")
    return clock
