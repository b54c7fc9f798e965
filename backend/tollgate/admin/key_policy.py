"""What a client token may do to its client's keys: manage them within the limits the agency set, never loosen.

- `allowed_models`: a key's `agency_allowed_models` (set by an agency role, or the client's `key_allowed_models`
  for a key a client token mints) is a ceiling: a client token may narrow the list within it, never widen it
  or remove it (null).
- `expires_at`: a key's `agency_expires_at` is the latest expiry; a client token may bring it forward only.
- Budgets and rate limits are written by agency roles only (the endpoints refuse client tokens), and rotation
  carries them to the new key.

Each refusal is a 403 problem that names the field and what the agency allows. Pure rules on plain values.
"""

from __future__ import annotations

import datetime as dt
from fnmatch import fnmatchcase

from .problems import abort

_GLOB = frozenset("*?[")


def uncovered(requested: list[str], ceiling: list[str]) -> list[str]:
    """The entries of `requested` that could match a model `ceiling` does not allow (empty: all within)."""
    return [entry for entry in requested if not any(_covers(allowed, entry) for allowed in ceiling)]


def _covers(allowed: str, entry: str) -> bool:
    if entry == allowed:
        return True
    if allowed.endswith("*") and not _GLOB.intersection(allowed[:-1]):
        return entry.startswith(allowed[:-1])  # `gpt-4o*` covers `gpt-4o-mini` and the narrower `gpt-4o-m*`
    if not _GLOB.intersection(entry):
        return fnmatchcase(entry, allowed)  # one exact id an agency glob allows
    return False


def check_models(requested: list[str] | None, ceiling: list[str] | None) -> None:
    """403 unless a client token's `allowed_models` stays within the agency's list."""
    if ceiling is None:
        return
    if requested is None:
        abort(
            403,
            "A client token cannot remove the allowed models the agency set for this key; "
            f"it may only narrow them within {ceiling}.",
            {"allowed_models": [f"Must stay within the agency's list: {ceiling}."]},
        )
    outside = uncovered(requested, ceiling)
    if outside:
        abort(
            403,
            f"A client token cannot allow models beyond the agency's list {ceiling}: {outside} is not allowed.",
            {"allowed_models": [f"Not within the agency's list: {outside}."]},
        )


def check_expiry(requested: dt.datetime | None, ceiling: dt.datetime | None) -> None:
    """403 unless a client token's `expires_at` is no later than the expiry the agency set."""
    if ceiling is None or (requested is not None and requested <= ceiling):
        return
    abort(
        403,
        f"A client token cannot extend or remove the expiry the agency set for this key ({ceiling.isoformat()}); "
        "it may only bring it forward.",
        {"expires_at": [f"Must be no later than {ceiling.isoformat()}."]},
    )
