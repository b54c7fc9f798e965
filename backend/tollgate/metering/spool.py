"""Disk spool for log rows the database would not take: JSON lines, one file per failed batch.

A file is written whole and renamed into place, so a crash mid-write never leaves half a batch that would
later be read as complete; it is deleted only after its rows are committed.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

log = logging.getLogger(__name__)


class Spool:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def put(self, rows: list[dict[str, Any]]) -> Path:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = f"{os.getpid()}-{uuid.uuid4().hex}.jsonl"
        tmp = self.directory / (name + ".tmp")
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as fh:  # usage is private
            for row in rows:
                fh.write(orjson.dumps(row) + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        final = self.directory / name
        os.replace(tmp, final)
        return final

    def pending(self) -> Iterator[tuple[Path, list[dict[str, Any]]]]:
        if not self.directory.exists():
            return
        for path in sorted(self.directory.glob("*.jsonl")):
            try:
                rows = [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
            except OSError:
                continue  # unreadable now (permissions, disk): try again on the next round
            except orjson.JSONDecodeError:
                self._quarantine(path)
                continue
            yield path, rows

    def _quarantine(self, path: Path) -> None:
        """A file that does not parse would be retried forever: set it aside, loudly, for a person to look at."""
        target = path.with_suffix(".corrupt")
        os.replace(path, target)
        log.error("spool file %s does not parse; moved to %s, its rows are not in the database", path, target)

    def count(self) -> int:
        return len(list(self.directory.glob("*.jsonl"))) if self.directory.exists() else 0
