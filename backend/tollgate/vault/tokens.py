"""Bearer secrets: sub-keys (`tg_…`) and admin tokens (`tga_…`).

Format `<prefix>_<32 random base62><6 base62 CRC32 checksum>`, as GitHub does for its tokens: a typo or a
truncated paste is rejected by the checksum before any database or cache lookup, and secret scanners can
recognise the shape. Only an HMAC-SHA256 under a server-side key is stored, so a leaked database does not
yield usable keys and a hash can't be brute-forced offline without the master key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import zlib
from typing import Final

from ..ids import encode_int

_BASE62: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_RANDOM_LEN: Final = 32
_CHECK_LEN: Final = 6

SUB_KEY_PREFIX: Final = "tg_"
ADMIN_TOKEN_PREFIX: Final = "tga_"


def bearer_token(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), or None."""
    scheme, _, value = (header or "").partition(" ")
    value = value.strip()
    return value if scheme.lower() == "bearer" and value else None


def _checksum(body: str) -> str:
    return encode_int(zlib.crc32(body.encode()), _BASE62, _CHECK_LEN)


def generate(prefix: str) -> str:
    """A new secret with `prefix` (`tg_` or `tga_`)."""
    body = "".join(secrets.choice(_BASE62) for _ in range(_RANDOM_LEN))
    return f"{prefix}{body}{_checksum(body)}"


def is_well_formed(token: str, prefix: str) -> bool:
    """Shape and checksum only; says nothing about whether the token exists."""
    if not token.startswith(prefix) or len(token) != len(prefix) + _RANDOM_LEN + _CHECK_LEN:
        return False
    body = token[len(prefix) : len(prefix) + _RANDOM_LEN]
    check = token[len(prefix) + _RANDOM_LEN :]
    # The whole rest must be base62 before comparing: compare_digest raises on non-ASCII str (headers arrive
    # latin-1 decoded, so a stray "é" would otherwise be a 500 instead of a 401).
    if any(c not in _BASE62 for c in body + check):
        return False
    return hmac.compare_digest(check, _checksum(body))


class TokenHasher:
    """HMAC-SHA256 of a token under a key derived from the master key."""

    def __init__(self, hmac_key: bytes) -> None:
        self._key = hmac_key

    def hash(self, token: str) -> str:
        return hmac.new(self._key, token.encode(), hashlib.sha256).hexdigest()


def last4(secret: str) -> str:
    return secret[-4:]
