"""The per-process service objects the request handlers use, created once by `create_app`."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from .alerts.worker import AlertService
from .budgets.lane_windows import LaneWindows
from .budgets.ledger import Ledger
from .config import Settings
from .gateway.catalog import ModelCatalog
from .gateway.key_resolver import KeyResolver
from .gateway.objects import ObjectTracker
from .gateway.upstream import UpstreamPools
from .metering.log_writer import LogWriter
from .vault import CredentialVault, TokenHasher

EXTENSION_KEY = "tollgate"


@dataclass
class Services:
    settings: Settings
    hasher: TokenHasher
    vault: CredentialVault
    keys: KeyResolver
    upstreams: UpstreamPools
    log_writer: LogWriter
    catalog: ModelCatalog
    ledger: Ledger
    lane_windows: LaneWindows
    """Flat lanes' capacity windows, in the ledger's store (shared by every process)."""
    alerts: AlertService
    """Alert rules and webhook delivery, run in the background of each server process."""
    usage_writer: LogWriter
    """Writes usage events ingested through the admin API (same machinery as `log_writer`, own sink)."""
    objects: ObjectTracker
    """Stored responses and conversations: their lane and owner; background responses' settlement."""
    share_key: bytes = b""
    """Signs report share links (derived from the master key: links survive restarts, die with a key change)."""
    session_key: bytes = b""
    """Signs the dashboard's session cookie (derived from the master key, like `share_key`)."""


def services(app: Flask | None = None) -> Services:
    target = app or current_app
    return target.extensions[EXTENSION_KEY]
