"""Which of a client's lanes serve a model, by name. Pure.

A lane that lists its models serves those. A lane that doesn't serves its provider family: an Anthropic lane
`claude-*`, a Gemini lane `gemini-*` and `imagen-*`; an OpenAI-format lane (OpenAI, Azure, OpenRouter, any
compatible base URL) serves anything, since such a base URL may front any vendor's models. When a model belongs
to a family and some lane serves it by that family's name or an explicit list, those lanes alone serve it: a
`claude-*` request goes to the Anthropic lane, not to an OpenAI lane listed first in the policy that would only
answer "model not found". Otherwise the catch-all lanes serve it too, in policy order.
"""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .context import LaneTarget

FAMILIES: dict[str, tuple[str, ...]] = {
    "anthropic": ("claude-*",),
    "gemini": ("gemini-*", "imagen-*"),
}
"""Wire format → the model names its lanes serve when they list none."""


def family_patterns(provider: str) -> tuple[str, ...] | None:
    """The default models of a lane of `provider` without a list; None: anything."""
    return FAMILIES.get(provider)


def in_a_family(model: str) -> bool:
    return any(fnmatchcase(model, p) for patterns in FAMILIES.values() for p in patterns)


def lanes_for(model: str, lanes: Sequence[LaneTarget]) -> list[LaneTarget]:
    """The lanes that serve `model`, in policy order (see the module docstring)."""
    serving = [lane for lane in lanes if lane.serves(model)]
    if in_a_family(model):
        specific = [lane for lane in serving if lane.models is not None or lane.provider in FAMILIES]
        if specific:
            return specific
    return serving
