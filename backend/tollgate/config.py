"""Settings, read once from the environment.

Every knob the operator can turn lives here, typed, with its default, so that `create_app` and the CLI agree
and the README's configuration table has a single source.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def _env_bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclasses.dataclass(frozen=True)
class Settings:
    """Typed runtime settings. Field docs double as the README configuration table."""

    data_dir: Path = Path("var")
    """Where the SQLite database, the master key file and the log spool live."""
    database_url: str = ""
    """SQLAlchemy URL; empty means SQLite at `<data_dir>/tollgate.db`."""
    redis_url: str = ""
    """Redis URL for shared budgets, rate limits and cache invalidation (optional)."""
    secret_key: str = ""
    """Master key material (base64, 32 bytes). Empty: a key file `<data_dir>/master.key` (0600) is used."""
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 2
    """gunicorn worker processes (gevent)."""
    public_url: str = ""
    """Base URL printed and used for the demo mock lane; empty means http://<host>:<port>."""
    upstream_connect_timeout_s: float = 5.0
    upstream_read_timeout_s: float = 120.0
    upstream_pool_size: int = 64
    max_body_bytes: int = 25 * 1024 * 1024
    key_cache_ttl_s: float = 10.0
    """How long a resolved sub-key stays cached in a worker; a committed change invalidates it everywhere at once."""
    log_batch_size: int = 200
    log_flush_interval_s: float = 0.5
    allow_private_upstreams: bool = False
    """Allow lanes whose base URL resolves to loopback/private addresses (needed for local mocks)."""
    mock_upstream: bool = False
    """Mount the built-in OpenAI-format mock upstream at /mock/v1 (used by the demo)."""
    alert_interval_s: float = 30.0
    """How often alert rules are evaluated, due webhooks delivered and leaked reservations swept; 0 turns the
    in-process loop off."""
    reservation_ttl_s: float = 900.0
    """A budget reservation not settled after this long (at least the upstream timeouts + 60 s) is presumed
    left by a crashed process and released by the sweep. Keep it above your longest stream."""
    access_log: bool = False
    """Write gunicorn's access log (one line per request) to stderr: path without query string, status, bytes,
    milliseconds, user agent; never headers. Off by default: the request logs are the access log."""
    jobs: str = "auto"
    """Where alerts, webhook delivery and the reservation sweep run: `auto` (through rq, i.e. `tollgate scheduler`
    and `tollgate worker`, when REDIS_URL is set; else in each server process) or `inprocess` (always)."""

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            url = self.database_url
            # Heroku-style URLs name the dialect "postgres"; SQLAlchemy wants "postgresql".
            return "postgresql" + url[len("postgres") :] if url.startswith("postgres://") else url
        return f"sqlite:///{(self.data_dir / 'tollgate.db').resolve()}"

    @property
    def hold_ttl_s(self) -> float:
        """How long a budget reservation lives unsettled: never shorter than one upstream call may take."""
        return max(self.reservation_ttl_s, self.upstream_connect_timeout_s + self.upstream_read_timeout_s + 60)

    @property
    def jobs_through_rq(self) -> bool:
        return bool(self.redis_url) and self.jobs != "inprocess"

    @property
    def spool_dir(self) -> Path:
        return self.data_dir / "spool"

    @property
    def base_url(self) -> str:
        return self.public_url.rstrip("/") or f"http://{self.host}:{self.port}"


_ENV_NAMES: dict[str, str] = {f.name: f"TOLLGATE_{f.name.upper()}" for f in dataclasses.fields(Settings)}
_ENV_NAMES["database_url"] = "DATABASE_URL"
_ENV_NAMES["redis_url"] = "REDIS_URL"


def env_name(field: str) -> str:
    """The environment variable that sets `field`."""
    return _ENV_NAMES[field]


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings from the environment, then apply explicit overrides (tests, CLI flags)."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for field in dataclasses.fields(Settings):
        raw = environ.get(_ENV_NAMES[field.name])
        if field.name == "database_url" and raw is None:
            raw = environ.get("TOLLGATE_DATABASE_URL")
        if raw is None or raw == "":
            continue
        values[field.name] = _convert(field.type, raw, _ENV_NAMES[field.name])
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)


def _convert(type_name: Any, raw: str, env: str) -> Any:
    kind = str(type_name)
    try:
        if kind == "bool":
            return _env_bool(raw)
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "Path":
            return Path(raw)
    except ValueError as exc:
        raise ValueError(f"{env}={raw!r} is not a valid {kind}") from exc
    return raw
