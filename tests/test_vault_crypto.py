"""Provider credentials: AES-256-GCM bound to their owner, versioned master keys, a 0600 key file."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from tollgate.vault import CredentialVault, MasterKeys, VaultError
from tollgate.vault.crypto import fingerprint, lane_owner, load_or_create_master_keys

SECRET = "sk-live-provider-credential-0123456789"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.fixture
def vault() -> CredentialVault:
    return CredentialVault(MasterKeys({1: os.urandom(32)}))


def test_round_trip_and_no_plaintext(vault: CredentialVault) -> None:
    owner = lane_owner("ws_1", "lane_1", None)
    blob = vault.encrypt(SECRET, owner)
    assert SECRET.encode() not in blob and SECRET[-12:].encode() not in blob
    assert vault.decrypt(blob, owner) == SECRET
    assert vault.encrypt(SECRET, owner) != blob  # a fresh nonce every time


@pytest.mark.parametrize(
    "other_owner",
    [
        lane_owner("ws_1", "lane_1", "cli_other"),  # moved to another client's BYOK row
        lane_owner("ws_1", "lane_2", None),  # copied to another lane
        lane_owner("ws_2", "lane_1", None),  # another workspace
    ],
)
def test_ciphertext_moved_to_another_owner_does_not_decrypt(vault: CredentialVault, other_owner: str) -> None:
    blob = vault.encrypt(SECRET, lane_owner("ws_1", "lane_1", None))
    with pytest.raises(VaultError):
        vault.decrypt(blob, other_owner)


def test_tampering_is_detected(vault: CredentialVault) -> None:
    owner = "lane:ws:l:agency"
    blob = bytearray(vault.encrypt(SECRET, owner))
    blob[-1] ^= 1
    with pytest.raises(VaultError):
        vault.decrypt(bytes(blob), owner)
    with pytest.raises(VaultError):
        vault.decrypt(b"\x02" + bytes(blob[1:]), owner)  # unknown format
    with pytest.raises(VaultError):
        vault.decrypt(b"\x01\x01short", owner)


def test_rotation_keeps_old_ciphertexts_readable() -> None:
    k1, k2 = os.urandom(32), os.urandom(32)
    old = CredentialVault(MasterKeys({1: k1}))
    blob = old.encrypt(SECRET, "o")
    rotated = CredentialVault(MasterKeys.parse(f"v1:{_b64(k1)},v2:{_b64(k2)}"))
    assert rotated.decrypt(blob, "o") == SECRET
    new_blob = rotated.encrypt(SECRET, "o")
    assert new_blob[1] == 2  # sealed with the newest key
    with pytest.raises(VaultError):
        old.decrypt(new_blob, "o")  # the old key alone cannot read it
    # Token HMAC keys stay stable across a rotation, so issued sub-keys keep working.
    assert MasterKeys({1: k1}).derive("token-hmac") == MasterKeys({1: k1, 2: k2}).derive("token-hmac")
    assert MasterKeys({1: k1}).derive("a") != MasterKeys({1: k1}).derive("b")


def test_master_key_parsing() -> None:
    raw = os.urandom(32)
    assert MasterKeys.parse(_b64(raw)).keys == {1: raw}
    with pytest.raises(VaultError):
        MasterKeys.parse(_b64(b"short"))
    with pytest.raises(VaultError):
        MasterKeys.parse("  ")


def test_key_file_created_0600_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "master.key"
    first = load_or_create_master_keys("", path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_master_keys("", path) == first
    explicit = load_or_create_master_keys(_b64(b"x" * 32), tmp_path / "unused.key")
    assert explicit.keys == {1: b"x" * 32} and not (tmp_path / "unused.key").exists()


def test_fingerprint_is_short_and_not_the_secret() -> None:
    fp = fingerprint(SECRET)
    assert len(fp) == 16 and fp == fingerprint(SECRET) and fp != fingerprint(SECRET + "x")
