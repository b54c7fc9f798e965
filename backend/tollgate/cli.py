"""The `tollgate` command: set up, seed the demo, serve, and manage keys and tokens from a shell."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Sequence
from typing import Any

import click
from flask import Flask
from sqlalchemy import select

from . import db_migrate, demo, provisioning
from .app import create_app
from .config import Settings, load_settings
from .extensions import db
from .models import AdminToken, Client, Project, SubKey, Workspace
from .models.base import utcnow
from .services import services
from .storage import private_dir


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj["settings"]


def _app(ctx: click.Context) -> Flask:
    if "app" not in ctx.obj:
        ctx.obj["app"] = create_app(_settings(ctx))
    return ctx.obj["app"]


@click.group()
@click.option("--data-dir", type=click.Path(file_okay=False), help="Overrides TOLLGATE_DATA_DIR.")
@click.pass_context
def main(ctx: click.Context, data_dir: str | None) -> None:
    """Tollgate: one OpenAI-compatible base URL for every client of an agency."""
    overrides: dict[str, Any] = {}
    if data_dir:
        from pathlib import Path

        overrides["data_dir"] = Path(data_dir)
    ctx.obj = {"settings": load_settings(**overrides)}


@main.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create the data directory, the master key and the database schema (idempotent)."""
    settings = _settings(ctx)
    private_dir(settings.data_dir)
    db_migrate.upgrade(settings.sqlalchemy_url)
    _app(ctx)  # creates the master key file on first run
    click.echo(f"Database ready: {_redact_url(settings.sqlalchemy_url)}")


@main.command("demo")
@click.option("--reseed", is_flag=True, help="Delete the demo workspace and seed it afresh (new keys).")
@click.pass_context
def demo_command(ctx: click.Context, reseed: bool) -> None:
    """Set up and seed the demo workspace once, then print how to call it (every run)."""
    ctx.invoke(init)
    app = _app(ctx)
    with app.app_context():
        seeded = demo.seed(db.session, services(app), os.environ.get("OPENAI_API_KEY") or None, reseed=reseed)
        names = demo.client_names(db.session, seeded.credentials.workspace_id)
    creds = seeded.credentials
    base = _settings(ctx).base_url
    first_slug = next(iter(creds.sub_keys))
    rows = [("OpenAI base URL", f"{base}/v1   (agency lane → {seeded.upstream})"), ("Admin API", f"{base}/api/v1")]
    rows += [("API docs", f"{base}/api/docs")]
    rows += [("Dashboard", f"{base}/dashboard/   (sign in with the owner token below)")]
    rows += [(f"Sub-key {names.get(slug, slug)}", key) for slug, key in creds.sub_keys.items()]
    rows += [("Owner token", creds.admin_token)]
    width = max(len(label) for label, _ in rows)
    click.echo("")
    how = "seeded now" if seeded.created else "kept from an earlier run; `make demo-reset` seeds it afresh"
    click.echo(f"Tollgate demo workspace: YourAgency ({how})")
    for label, value in rows:
        click.echo(f"  {label:<{width}} : {value}")
    if seeded.upstream == "the built-in mock upstream" and not _settings(ctx).mock_upstream:
        click.echo("  Note: serve with TOLLGATE_MOCK_UPSTREAM=1 (as `make run` does) so the mock lane answers.")
    click.echo("")
    click.echo("Try it:")
    click.echo(f"  curl {base}/v1/chat/completions -H 'Authorization: Bearer {creds.sub_keys[first_slug]}' \\")
    click.echo("       -H 'Content-Type: application/json' \\")
    click.echo('       -d \'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello"}]}\'')
    click.echo("")


@main.command()
@click.option("--host", help="Overrides TOLLGATE_HOST.")
@click.option("--port", type=int, help="Overrides TOLLGATE_PORT.")
@click.option("--workers", type=int, help="Overrides TOLLGATE_WORKERS.")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, workers: int | None) -> None:
    """Run the gateway with gunicorn (gevent workers)."""
    from dataclasses import replace

    from .server import serve as run_server

    settings = _settings(ctx)
    settings = replace(
        settings,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
    )
    _check_port_free(settings.host, settings.port)
    db_migrate.upgrade(settings.sqlalchemy_url)
    click.echo(f"Tollgate listening on {settings.base_url} ({settings.workers} gevent workers)")
    run_server(settings)


def _check_port_free(host: str, port: int) -> None:
    """One clear error before gunicorn starts, instead of "listening on …" followed by a traceback per retry."""
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
            probe.bind(address)
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}. Is Tollgate (or another program) already "
            "running there? Stop it, or pick another port: TOLLGATE_PORT=8081 make run (or tollgate serve --port)."
        ) from exc


def _redis(settings: Settings) -> Any:
    if not settings.redis_url:
        raise click.UsageError("REDIS_URL is not set: without Redis the jobs run inside `tollgate serve`")
    import redis

    return redis.Redis.from_url(settings.redis_url)


@main.command()
@click.option("--burst", is_flag=True, help="Run the jobs queued now, then exit.")
@click.pass_context
def worker(ctx: click.Context, burst: bool) -> None:
    """Run background jobs (alerts, webhook delivery, reservation sweep) from the rq queue (needs REDIS_URL)."""
    from rq import Worker

    from .jobs import schedule, tasks

    connection = _redis(_settings(ctx))
    tasks.use_app(_app(ctx))  # built once here; rq forks a work horse per job, which inherits it
    Worker([schedule.queue(connection)], connection=connection).work(burst=burst)


@main.command()
@click.option("--once", is_flag=True, help="Enqueue the jobs due now, then exit.")
@click.pass_context
def scheduler(ctx: click.Context, once: bool) -> None:
    """Enqueue the periodic jobs for `tollgate worker` every TOLLGATE_ALERT_INTERVAL_S (needs REDIS_URL)."""
    import signal
    import threading
    import time

    from .jobs import schedule

    settings = _settings(ctx)
    connection = _redis(settings)
    jobs = schedule.periodic_jobs(settings)
    if once:
        for job_id in schedule.enqueue_due(connection, jobs, time.time()):
            click.echo(f"enqueued {job_id}")
        return
    if not jobs:
        raise click.UsageError("TOLLGATE_ALERT_INTERVAL_S is 0: there is nothing to schedule")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    click.echo(f"Scheduling {', '.join(j.name for j in jobs)} on queue '{schedule.QUEUE}'")
    schedule.run(connection, jobs, stop)


def _workspace(slug: str | None) -> Workspace:
    query = select(Workspace)
    if slug:
        query = query.where(Workspace.slug == slug)
    found = db.session.scalars(query).all()
    if len(found) != 1:
        raise click.UsageError("name the workspace with --workspace SLUG" if found else "no such workspace")
    return found[0]


@main.command("create-token")
@click.option("--workspace", "workspace_slug", help="Workspace slug (needed when there are several).")
@click.option("--role", type=click.Choice(provisioning.ROLES), default="owner", show_default=True)
@click.option("--client", "client_slug", help="Client slug, for a client-scoped token (role client).")
@click.option("--name", default="CLI token", show_default=True)
@click.pass_context
def create_token(ctx: click.Context, workspace_slug: str | None, role: str, client_slug: str | None, name: str) -> None:
    """Issue an admin API token (tga_...). It is printed once and never stored."""
    app = _app(ctx)
    with app.app_context():
        workspace = _workspace(workspace_slug)
        client_id = _client(workspace, client_slug).id if client_slug else None
        try:
            issued = provisioning.issue_admin_token(
                db.session, services(app).hasher, workspace.id, name, role, client_id=client_id
            )
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc
        db.session.commit()
    _print_issued("Admin token", issued, "revoke-token")


def _client(workspace: Workspace, slug: str) -> Client:
    client = db.session.scalars(select(Client).where(Client.workspace_id == workspace.id, Client.slug == slug)).first()
    if client is None:
        raise click.UsageError(f"no client '{slug}' in workspace {workspace.slug}")
    return client


@main.command("create-key")
@click.option("--workspace", "workspace_slug")
@click.option("--client", "client_slug", required=True)
@click.option("--project", "project_slug")
@click.option("--name", default="CLI key", show_default=True)
@click.option("--model", "models", multiple=True, help="Allowed model (repeatable; globs like gpt-4o*).")
@click.pass_context
def create_key(
    ctx: click.Context,
    workspace_slug: str | None,
    client_slug: str,
    project_slug: str | None,
    name: str,
    models: tuple[str, ...],
) -> None:
    """Issue a client sub-key (tg_...). It is printed once and never stored."""
    app = _app(ctx)
    with app.app_context():
        client = _client(_workspace(workspace_slug), client_slug)
        project = None
        if project_slug:
            project = db.session.scalars(
                select(Project).where(Project.client_id == client.id, Project.slug == project_slug)
            ).first()
            if project is None:
                raise click.UsageError(f"no project '{project_slug}' for client {client_slug}")
        issued = provisioning.issue_sub_key(
            db.session,
            services(app).hasher,
            client,
            name,
            project=project,
            allowed_models=list(models) or None,
        )
        db.session.commit()
    _print_issued("Sub-key", issued, "revoke-key")


def _print_issued(what: str, issued: provisioning.Issued, revoke_command: str) -> None:
    """The id on stderr, the secret alone on stdout: `SECRET=$(tollgate create-key …)` still captures just it."""
    click.echo(f"{what} {issued.id} (revoke: tollgate {revoke_command} {issued.id}); secret, shown once:", err=True)
    click.echo(issued.secret)


@main.command("revoke-key")
@click.argument("key_id")
@click.pass_context
def revoke_key(ctx: click.Context, key_id: str) -> None:
    """Revoke a sub-key by id (key_...)."""
    app = _app(ctx)
    with app.app_context():
        key = db.session.get(SubKey, key_id)
        if key is None:
            raise click.UsageError(f"no sub-key {key_id}")
        provisioning.revoke_sub_key(db.session, key)
        db.session.commit()
    click.echo(f"revoked {key_id}")


def _status(revoked_at: dt.datetime | None, expires_at: dt.datetime | None) -> str:
    now = utcnow()
    if revoked_at is not None and revoked_at <= now:
        return "revoked"
    if expires_at is not None and expires_at <= now:
        return "expired"
    if revoked_at is not None:
        return f"active until {revoked_at:%Y-%m-%d %H:%M} UTC"  # rotated: the old key overlaps for a while
    return "active"


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    for row in (header, *rows):
        click.echo("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


@main.command("list-keys")
@click.option("--workspace", "workspace_slug", help="Workspace slug (needed when there are several).")
@click.option("--client", "client_slug", help="Only this client's keys.")
@click.option("--all", "show_all", is_flag=True, help="Include revoked and expired keys.")
@click.pass_context
def list_keys(ctx: click.Context, workspace_slug: str | None, client_slug: str | None, show_all: bool) -> None:
    """List sub-keys: id (for revoke-key), client, project, name, last 4 characters, status. Never a secret."""
    with _app(ctx).app_context():
        workspace = _workspace(workspace_slug)
        query = (
            select(SubKey, Client.slug, Project.slug)
            .join(Client, Client.id == SubKey.client_id)
            .outerjoin(Project, Project.id == SubKey.project_id)
            .where(SubKey.workspace_id == workspace.id)
            .order_by(SubKey.id)
        )
        if client_slug:
            query = query.where(SubKey.client_id == _client(workspace, client_slug).id)
        rows = []
        for key, client, project in db.session.execute(query).all():
            status = _status(key.revoked_at, key.expires_at)
            if show_all or status not in ("revoked", "expired"):
                rows.append((key.id, client, project or "-", key.name, f"…{key.last4}", status))
    _table(("ID", "CLIENT", "PROJECT", "NAME", "KEY", "STATUS"), rows)


@main.command("list-tokens")
@click.option("--workspace", "workspace_slug", help="Workspace slug (needed when there are several).")
@click.option("--all", "show_all", is_flag=True, help="Include revoked and expired tokens.")
@click.pass_context
def list_tokens(ctx: click.Context, workspace_slug: str | None, show_all: bool) -> None:
    """List admin tokens: id (for revoke-token), name, role, client, last 4 characters, status. Never a secret."""
    with _app(ctx).app_context():
        workspace = _workspace(workspace_slug)
        query = (
            select(AdminToken, Client.slug)
            .outerjoin(Client, Client.id == AdminToken.client_id)
            .where(AdminToken.workspace_id == workspace.id)
            .order_by(AdminToken.id)
        )
        rows = []
        for token, client in db.session.execute(query).all():
            status = _status(token.revoked_at, token.expires_at)
            if show_all or status not in ("revoked", "expired"):
                rows.append((token.id, token.name, token.role, client or "-", f"…{token.last4}", status))
    _table(("ID", "NAME", "ROLE", "CLIENT", "TOKEN", "STATUS"), rows)


@main.command("revoke-token")
@click.argument("token_id")
@click.pass_context
def revoke_token(ctx: click.Context, token_id: str) -> None:
    """Revoke an admin token by id (tok_...). The workspace's last active owner token cannot be revoked."""
    with _app(ctx).app_context():
        token = db.session.get(AdminToken, token_id)
        if token is None:
            raise click.UsageError(f"no admin token {token_id}")
        try:
            provisioning.revoke_admin_token(db.session, token)
        except provisioning.LastOwnerError as exc:
            raise click.ClickException(f"{exc} (tollgate create-token --role owner)") from exc
        db.session.commit()
    click.echo(f"revoked {token_id}")


@main.command("openapi")
def openapi_command() -> None:
    """Print the admin API's OpenAPI 3.1 document (YAML): `tollgate openapi > openapi.yaml`."""
    from .admin import build_spec_yaml

    click.echo(build_spec_yaml(), nl=False)


@main.group("db")
def db_group() -> None:
    """Schema migrations."""


@db_group.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Apply every pending migration."""
    db_migrate.upgrade(_settings(ctx.find_root()).sqlalchemy_url)


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@click.pass_context
def db_revision(ctx: click.Context, message: str) -> None:
    """Autogenerate a migration from the models (for developers)."""
    db_migrate.revision(_settings(ctx.find_root()).sqlalchemy_url, message)


def _redact_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
