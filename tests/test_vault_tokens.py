"""Bearer secrets: shape, checksum, hashing. A typo is caught by the checksum, before any lookup."""

from __future__ import annotations

import string

import pytest
import requests
from flask import Flask

from tollgate.extensions import DbSession
from tollgate.gateway.errors import GatewayError
from tollgate.gateway.key_resolver import KeyResolver
from tollgate.vault import CredentialVault, MasterKeys, TokenHasher
from tollgate.vault.tokens import ADMIN_TOKEN_PREFIX, SUB_KEY_PREFIX, generate, is_well_formed, last4

from .conftest import Seeded

ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase


def _typos(token: str, prefix: str) -> list[str]:
    """Every one-character substitution after the prefix (with a fixed replacement per position)."""
    out = []
    for i in range(len(prefix), len(token)):
        replacement = ALPHABET[(ALPHABET.index(token[i]) + 1 + i) % len(ALPHABET)]
        out.append(token[:i] + replacement + token[i + 1 :])
    return out


@pytest.mark.parametrize("prefix", [SUB_KEY_PREFIX, ADMIN_TOKEN_PREFIX])
def test_generated_tokens_are_well_formed_and_distinct(prefix: str) -> None:
    tokens = {generate(prefix) for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        assert token.startswith(prefix) and len(token) == len(prefix) + 38
        assert is_well_formed(token, prefix)
        assert set(token[len(prefix) :]) <= set(ALPHABET)


def test_every_single_character_typo_is_rejected() -> None:
    for _ in range(20):
        token = generate(SUB_KEY_PREFIX)
        for typo in _typos(token, SUB_KEY_PREFIX):
            assert not is_well_formed(typo, SUB_KEY_PREFIX), typo


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1],  # truncated paste
        lambda t: t + "x",
        lambda t: t.upper(),
        lambda t: "tga_" + t[3:],  # an admin-shaped token is not a sub-key
        lambda t: t[:10] + "-" + t[11:],  # outside the alphabet
        lambda t: t[:-1] + "é",  # non-ASCII (headers arrive latin-1 decoded)
        lambda t: t[:5] + "ü" + t[6:],
        lambda t: "",
    ],
)
def test_malformed_tokens_are_rejected(mangle: object) -> None:
    token = generate(SUB_KEY_PREFIX)
    assert not is_well_formed(mangle(token), SUB_KEY_PREFIX)


def test_admin_token_is_not_a_sub_key() -> None:
    assert not is_well_formed(generate(ADMIN_TOKEN_PREFIX), SUB_KEY_PREFIX)
    assert not is_well_formed(generate(SUB_KEY_PREFIX), ADMIN_TOKEN_PREFIX)


def test_hasher_is_keyed_and_stable() -> None:
    token = generate(SUB_KEY_PREFIX)
    a, b = TokenHasher(b"a" * 32), TokenHasher(b"b" * 32)
    assert a.hash(token) == a.hash(token)
    assert a.hash(token) != b.hash(token)
    assert len(a.hash(token)) == 64 and token not in a.hash(token)
    assert last4(token) == token[-4:]


def test_typo_is_rejected_before_any_lookup() -> None:
    keys = MasterKeys({1: b"m" * 32})
    resolver = KeyResolver(TokenHasher(keys.derive("token-hmac")), CredentialVault(keys), ttl_s=10)

    def no_db() -> DbSession:
        raise AssertionError("a malformed key must not cost a database lookup")

    token = generate(SUB_KEY_PREFIX)
    for bad in [*_typos(token, SUB_KEY_PREFIX)[:10], token[:-1] + "é", "tg_short"]:
        result = resolver.resolve(f"Bearer {bad}", no_db)
        assert isinstance(result, GatewayError) and result.code == "invalid_api_key"
    missing = resolver.resolve(None, no_db)
    assert isinstance(missing, GatewayError) and missing.code == "missing_api_key"
    with pytest.raises(AssertionError):  # a well-formed key does reach the database
        resolver.resolve(f"Bearer {token}", no_db)


def test_non_ascii_key_over_http_is_401_not_500(app: Flask, gateway: str, seeded: Seeded) -> None:
    bad = seeded.key[:-1] + "é"
    resp = requests.get(gateway + "/models", headers={"Authorization": f"Bearer {bad}".encode("latin-1")}, timeout=5)
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "invalid_api_key"


def test_unknown_keys_do_not_grow_the_cache_without_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    from tollgate.gateway import key_resolver

    monkeypatch.setattr(key_resolver, "_MAX_ENTRIES", 50)
    keys = MasterKeys({1: b"m" * 32})
    resolver = KeyResolver(TokenHasher(keys.derive("token-hmac")), CredentialVault(keys), ttl_s=60)
    monkeypatch.setattr(resolver, "_load", lambda digest, session: None)
    for _ in range(500):
        result = resolver.resolve(f"Bearer {generate(SUB_KEY_PREFIX)}", lambda: None)
        assert isinstance(result, GatewayError) and result.code == "invalid_api_key"
    assert len(resolver._cache) <= 50
