"""Public identifiers: a type prefix plus a time-ordered random part.

Time-ordered ids make cursor pagination a plain `id > cursor` and keep B-tree inserts at the right edge;
the prefix tells a person what an id refers to (`cli_…` is a client) without a lookup.
"""

from __future__ import annotations

import secrets
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case


def _b32(value: int, width: int) -> str:
    chars = []
    for _ in range(width):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


def new_id(prefix: str) -> str:
    """`<prefix>_<10 chars of ms timestamp><12 random chars>`, sortable by creation time."""
    return f"{prefix}_{_b32(time.time_ns() // 1_000_000, 10)}{_b32(secrets.randbits(60), 12)}"
