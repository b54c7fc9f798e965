"""How a client's own keys and the agency's lanes combine into the lanes that serve the client (pure).

With `use` = own_account, the client's verified keys come first (newest first: after a rotation the new key
serves at once), then the agency's lanes for that client (its routing policy, else the workspace default), so
a key the provider starts refusing falls through to the agency. With the agency's `fallback` = refuse, the
agency's lanes never serve a purpose the client brought a key for: only its own keys do, else the request is
refused. With `use` = agency_default the client's keys are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..gateway.context import LaneTarget

USES = ("own_account", "agency_default")
FALLBACKS = ("agency_default", "refuse")


def combine(
    own: Sequence[LaneTarget], agency: Sequence[LaneTarget], use: str, fallback: str, covered: Iterable[str]
) -> tuple[tuple[LaneTarget, ...], frozenset[str]]:
    """(lanes in the order they are tried, purposes only the client's own keys may serve)."""
    if use != "own_account":
        return tuple(agency), frozenset()
    mine = {lane.id for lane in own}
    lanes = tuple(own) + tuple(lane for lane in agency if lane.id not in mine)
    return lanes, frozenset(covered) if fallback == "refuse" else frozenset()
