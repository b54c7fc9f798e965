"""Secrets: provider credential encryption and bearer-token hashing."""

from .crypto import CredentialVault as CredentialVault
from .crypto import MasterKeys as MasterKeys
from .crypto import VaultError as VaultError
from .tokens import TokenHasher as TokenHasher
