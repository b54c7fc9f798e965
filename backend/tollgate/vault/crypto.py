"""Encryption of provider credentials at rest: AES-256-GCM under a versioned master key.

The owner of a credential (workspace, lane, owning client) is bound in as associated data, so a ciphertext
copied into another row or another client's lane fails to decrypt instead of silently working there.
Ciphertext layout: version byte of the format (1) | master-key version (1 byte) | nonce (12) | ciphertext+tag.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_FORMAT = 1


class VaultError(Exception):
    """A credential could not be decrypted (wrong owner, unknown key version, tampered bytes)."""


@dataclass(frozen=True)
class MasterKeys:
    """All master keys by version; the highest version encrypts, any listed version decrypts."""

    keys: dict[int, bytes]

    @property
    def current_version(self) -> int:
        return max(self.keys)

    def derive(self, purpose: str) -> bytes:
        """A sub-key for `purpose` (e.g. token HMACs), stable for the current master key."""
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"tollgate:{purpose}".encode()).derive(
            self.keys[min(self.keys)]
        )

    @classmethod
    def parse(cls, text: str) -> MasterKeys:
        """`v1:<base64>,v2:<base64>` or a single `<base64>` (version 1)."""
        keys: dict[int, bytes] = {}
        for part in (p.strip() for p in text.replace("\n", ",").split(",")):
            if not part:
                continue
            version, _, b64 = part.rpartition(":")
            number = int(version.lstrip("v")) if version else 1
            raw = base64.b64decode(b64)
            if len(raw) != 32:
                raise VaultError("each master key must be 32 bytes (base64-encoded)")
            keys[number] = raw
        if not keys:
            raise VaultError("no master key configured")
        return cls(keys)


def load_or_create_master_keys(secret: str, key_file: Path) -> MasterKeys:
    """From TOLLGATE_SECRET_KEY when set; otherwise from `key_file`, created with mode 0600 on first use."""
    if secret:
        return MasterKeys.parse(secret)
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        line = "v1:" + base64.b64encode(os.urandom(32)).decode() + "\n"
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(line)
    return MasterKeys.parse(key_file.read_text())


class CredentialVault:
    def __init__(self, master: MasterKeys) -> None:
        self._master = master

    def encrypt(self, plaintext: str, owner: str) -> bytes:
        return self.seal(plaintext.encode(), owner)

    def decrypt(self, blob: bytes, owner: str) -> str:
        return self.open(blob, owner).decode()

    def seal(self, plaintext: bytes, owner: str) -> bytes:
        """`encrypt` for bytes (e.g. a stored response body that holds a secret shown once)."""
        version = self._master.current_version
        nonce = os.urandom(12)
        sealed = AESGCM(self._master.keys[version]).encrypt(nonce, plaintext, owner.encode())
        return bytes([_FORMAT, version]) + nonce + sealed

    def open(self, blob: bytes, owner: str) -> bytes:
        """`decrypt` for bytes."""
        if len(blob) < 2 + 12 + 16 or blob[0] != _FORMAT:
            raise VaultError("unrecognised credential format")
        key = self._master.keys.get(blob[1])
        if key is None:
            raise VaultError(f"credential sealed with unknown master key v{blob[1]}")
        try:
            return AESGCM(key).decrypt(blob[2:14], blob[14:], owner.encode())
        except Exception as exc:  # InvalidTag: wrong owner or tampered
            raise VaultError("credential does not decrypt for this owner") from exc


def fingerprint(secret: str) -> str:
    """A short non-reversible id of a secret, to tell two credentials apart in the UI and audit log."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def lane_owner(workspace_id: str, lane_id: str, owner_client_id: str | None) -> str:
    """Associated data binding a lane credential to its owner."""
    return f"lane:{workspace_id}:{lane_id}:{owner_client_id or 'agency'}"


def idempotency_owner(workspace_id: str, token_id: str, key: str) -> str:
    """Associated data binding a stored idempotent response to the token and the key it answered."""
    return f"idempotency:{workspace_id}:{token_id}:{key}"
