"""The data directory is private to the server's user: the directory (and the spool) 0700, the SQLite files
(database, -wal, -shm) 0600. They hold hashes, ciphertexts and usage that other local users have no business
reading.

SQLite creates -wal and -shm with the database file's permissions, so creating the database file 0600 before
SQLite does (an empty file is a valid empty database) covers them; files left by an older version are tightened.
A path this user does not own (say, a mount point) cannot be changed: that is logged, not fatal.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) and make it 0700."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    _restrict(path, DIR_MODE)
    return path


def private_sqlite_files(database_url: str) -> None:
    """For a SQLite URL on disk: create the database file 0600 if missing, and make it and its -wal/-shm 0600."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return
    path = Path(url.database)
    if not path.exists():
        path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists():
            _restrict(file, FILE_MODE)


def _restrict(path: Path, mode: int) -> None:
    try:
        path.chmod(mode)
    except PermissionError:
        log.warning("cannot set mode %o on %s (not its owner); other local users may read it", mode, path)
