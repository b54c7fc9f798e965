"""No secret leaks: not into logs (at DEBUG), not into any /v1 response, not into any column of any table,
nor anywhere in the SQLite files' bytes. Provider credentials are stored only as AES-GCM ciphertext."""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
import stat
from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select, update

from tollgate import db_migrate, provisioning
from tollgate.extensions import db
from tollgate.metering.spool import Spool
from tollgate.models import IdempotencyKey, Lane
from tollgate.models.base import utcnow
from tollgate.models.idempotency import RETENTION
from tollgate.services import Services

from .admin_support import AdminClient
from .conftest import MOCK_PROVIDER_KEY, Mock, Seeded


def secrets_in(text: str, secrets: list[str]) -> list[str]:
    """Which of `secrets` occur in `text`, whole or by their distinctive random part."""
    return [s for s in secrets if s in text or (len(s) > 16 and s[-16:] in text)]


DEMO_CREDENTIALS = "demo-credentials.json"
"""The one file that holds secrets on purpose: `tollgate demo` keeps the demo's keys there (0600) so that
`make run` can print them on every start; the database still holds only hashes."""


def assert_no_secrets_in_db(path: Path, secrets: list[str]) -> None:
    """Every value of every table, as text and as bytes, and every file of the data directory (the database's
    WAL, the spool and whatever else lives there) but the demo's own credentials file, which must be 0600."""
    assert path.exists()
    needles = [s.encode() for s in secrets] + [s[-16:].encode() for s in secrets if len(s) > 16]
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        assert "request_logs" in tables and "lanes" in tables
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 - names from sqlite_master
                for value in row:
                    data = value if isinstance(value, bytes) else str(value).encode()
                    found = [n for n in needles if n in data]
                    assert not found, f"secret found in table {table}: {row!r}"
    finally:
        conn.close()
    files = [f for f in path.parent.rglob("*") if f.is_file()]
    assert path in files
    for file in files:
        if file.name == DEMO_CREDENTIALS and file.parent == path.parent:
            assert file.stat().st_mode & 0o777 == 0o600
            continue
        blob = file.read_bytes()
        assert not [n for n in needles if n in blob], f"secret bytes found in {file.name}"


def test_no_secret_in_logs_responses_or_database(
    app: Flask,
    svc: Services,
    gateway: str,
    seeded: Seeded,
    mock_upstream: Mock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    key = seeded.key
    typo = key[:-1] + ("A" if key[-1] != "A" else "B")
    chat = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "user": "u1"}
    texts: list[str] = []

    def post(auth: str, body: object = chat, path: str = "/chat/completions") -> None:
        resp = requests.post(gateway + path, json=body, headers={"Authorization": f"Bearer {auth}"}, timeout=10)
        texts.append(resp.text + "\n" + "\n".join(f"{k}: {v}" for k, v in resp.headers.items()))

    post(key)
    post(key, chat | {"stream": True})
    post(key, {"model": "text-embedding-3-small", "input": "x"}, "/embeddings")
    post(typo)
    post(seeded.admin_token)
    post(MOCK_PROVIDER_KEY)
    post(key, {"model": "gpt-4o-mini", "messages": "not a list", "x": key})  # the key in the body, echoed?
    mock_upstream.state.fail_status = 500
    post(key)
    mock_upstream.state.fail_status = 401  # the lane's credential is refused upstream
    post(key)
    mock_upstream.state.fail_status = None
    with app.app_context():
        lane = db.session.get(Lane, seeded.lane_id)
        assert lane is not None
        lane.base_url = "http://127.0.0.1:9"  # nothing listens: connection refused
        db.session.commit()
    svc.keys.invalidate()
    post(key)
    requests.get(gateway + "/models", headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert svc.log_writer.flush()

    secrets = [key, seeded.other_key, typo, seeded.admin_token, MOCK_PROVIDER_KEY]
    assert secrets_in("\n".join(texts), secrets) == []  # not even the key that made the request
    log_text = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert caplog.records, "expected some log output to inspect"
    assert secrets_in(log_text, secrets) == []
    assert_no_secrets_in_db(Path(svc.settings.sqlalchemy_url.removeprefix("sqlite:///")), secrets)


def test_idempotent_creates_keep_no_secret_in_plain_text(app: Flask, svc: Services, seeded: Seeded) -> None:
    """A create with an Idempotency-Key keeps its answer for replays; the secret in it is stored sealed, replays
    still show it, and the housekeeping job deletes the answer once the key has expired."""
    owner = AdminClient(app.test_client(), seeded.admin_token)
    creates = [
        ("admin-tokens", {"name": "ci", "role": "viewer"}),
        ("sub-keys", {"client_id": seeded.client_id, "name": "n8n"}),
        ("webhook-subscriptions", {"url": "http://127.0.0.1:9/hook", "event_types": ["cap.exceeded"]}),
    ]
    secrets = [seeded.key, seeded.other_key, seeded.admin_token, MOCK_PROVIDER_KEY]
    for path, body in creates:
        headers = {"Idempotency-Key": f"create-{path}"}
        first = owner.post(path, json=body, headers=headers)
        replay = owner.post(path, json=body, headers=headers)
        assert first.status_code == replay.status_code == 201, first.get_json()
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert replay.get_json() == first.get_json()
        secrets.append(first.get_json()["secret"])
    token, key, signing = secrets[-3:]
    assert token.startswith("tga_") and key.startswith("tg_") and signing.startswith("whsec_")
    database = Path(svc.settings.sqlalchemy_url.removeprefix("sqlite:///"))
    assert_no_secrets_in_db(database, secrets)

    with app.app_context():
        aged = utcnow() - RETENTION - dt.timedelta(seconds=1)
        db.session.execute(update(IdempotencyKey).values(created_at=aged))
        db.session.commit()
    assert svc.alerts.purge_once() == 3  # the periodic job, not the next claim, deletes them
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0


def test_data_dir_and_database_files_are_private(app: Flask, svc: Services, seeded: Seeded) -> None:
    """0700 for the data directory and the spool, 0600 for the SQLite database and its -wal/-shm."""
    data_dir = svc.settings.data_dir
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(svc.settings.spool_dir.stat().st_mode) == 0o700
    database = Path(svc.settings.sqlalchemy_url.removeprefix("sqlite:///"))
    files = [database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")]
    assert all(f.exists() for f in files)
    assert {f.name: stat.S_IMODE(f.stat().st_mode) for f in files} == {f.name: 0o600 for f in files}
    spooled = Spool(svc.settings.spool_dir / "usage-events").put([{"request_id": "req_x"}])
    assert stat.S_IMODE(spooled.stat().st_mode) == 0o600


def test_a_new_sqlite_database_is_created_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        db_migrate.upgrade(f"sqlite:///{tmp_path / 'fresh.db'}")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "fresh.db").stat().st_mode) == 0o600


def test_lane_credential_is_ciphertext_only(app: Flask, svc: Services, seeded: Seeded) -> None:
    with app.app_context():
        lane = db.session.scalars(select(Lane).where(Lane.id == seeded.lane_id)).one()
        blob = lane.credential_ciphertext
        assert blob is not None and MOCK_PROVIDER_KEY.encode() not in blob
        assert lane.credential_last4 == MOCK_PROVIDER_KEY[-4:]
        assert lane.credential_fingerprint and MOCK_PROVIDER_KEY not in lane.credential_fingerprint
        # Moving the ciphertext to another client's lane leaves that lane without a usable credential.
        byok = provisioning.create_lane(
            db.session,
            svc.vault,
            seeded.workspace_id,
            "Globex BYOK",
            "http://127.0.0.1:9/v1",
            "sk-globex-own-key-abcdefghijkl",
            payment="byok",
            owner_client_id=seeded.other_client_id,
        )
        provisioning.append_route(db.session, seeded.workspace_id, byok, client_id=seeded.other_client_id)
        byok.credential_ciphertext = blob
        byok_id = byok.id
        db.session.commit()
    svc.keys.invalidate()
    with app.app_context():
        resolved = svc.keys.resolve(f"Bearer {seeded.other_key}", lambda: db.session)
    assert not isinstance(resolved, Exception)
    assert all(t.api_key != MOCK_PROVIDER_KEY for t in resolved.lanes)
    assert byok_id not in [t.id for t in resolved.lanes]
