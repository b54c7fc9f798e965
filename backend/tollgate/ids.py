"""Public identifiers: a type prefix plus a time-ordered random part.

Time-ordered ids make cursor pagination a plain `id > cursor` and keep B-tree inserts at the right edge;
the prefix tells a person what an id refers to (`cli_…` is a client) without a lookup.
"""

from __future__ import annotations

import secrets
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case


def encode_int(value: int, alphabet: str, width: int) -> str:
    """`value` in base len(alphabet), most significant digit first, zero-padded (or cut) to `width` digits.
    Shared by ids (Crockford base32) and token checksums (base62)."""
    chars = []
    for _ in range(width):
        value, rem = divmod(value, len(alphabet))
        chars.append(alphabet[rem])
    return "".join(reversed(chars))


def new_id(prefix: str) -> str:
    """`<prefix>_<10 chars of ms timestamp><12 random chars>`, sortable by creation time."""
    now_ms = time.time_ns() // 1_000_000
    return f"{prefix}_{encode_int(now_ms, _ALPHABET, 10)}{encode_int(secrets.randbits(60), _ALPHABET, 12)}"
