"""Schema migrations with Alembic, driven from code so `tollgate init` needs no alembic.ini."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from .storage import private_sqlite_files

_MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "heads") -> None:
    private_sqlite_files(database_url)  # before SQLite creates the file with the umask's mode
    command.upgrade(alembic_config(database_url), revision)


def revision(database_url: str, message: str) -> None:
    """Autogenerate a migration from the models (developer use: `tollgate db revision -m ...`)."""
    command.revision(alembic_config(database_url), message=message, autogenerate=True)
