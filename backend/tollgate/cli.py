"""The `tollgate` command: set up, seed the demo, serve, and manage keys and tokens from a shell."""

from __future__ import annotations

import os
import sys
from typing import Any

import click
from flask import Flask
from sqlalchemy import select

from . import db_migrate, demo, provisioning
from .app import create_app
from .config import Settings, load_settings
from .extensions import db
from .models import Client, Project, SubKey, Workspace
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
@click.pass_context
def demo_command(ctx: click.Context) -> None:
    """Set up and seed the demo workspace, then print how to call it."""
    ctx.invoke(init)
    app = _app(ctx)
    with app.app_context():
        creds = demo.seed(db.session, services(app), os.environ.get("OPENAI_API_KEY") or None)
        names = demo.client_names(db.session, creds.workspace_id)
    base = _settings(ctx).base_url
    upstream = "the real OpenAI API" if os.environ.get("OPENAI_API_KEY") else "the built-in mock upstream"
    first_slug = next(iter(creds.sub_keys))
    rows = [("OpenAI base URL", f"{base}/v1   (agency lane → {upstream})"), ("Admin API", f"{base}/api/v1")]
    rows += [("API docs", f"{base}/api/docs")]
    rows += [(f"Sub-key {names.get(slug, slug)}", key) for slug, key in creds.sub_keys.items()]
    rows += [("Owner token", creds.admin_token)]
    width = max(len(label) for label, _ in rows)
    click.echo("")
    click.echo("Tollgate demo workspace: YourAgency")
    for label, value in rows:
        click.echo(f"  {label:<{width}} : {value}")
    if not os.environ.get("OPENAI_API_KEY") and not _settings(ctx).mock_upstream:
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
    db_migrate.upgrade(settings.sqlalchemy_url)
    click.echo(f"Tollgate listening on {settings.base_url} ({settings.workers} gevent workers)")
    run_server(settings)


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
    click.echo(issued.secret)


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
