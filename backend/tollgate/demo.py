"""The demo workspace `make run` starts with: an agency, two clients with projects, a key each, one lane.

Seeded once: a later `make run` leaves the workspace as the user changed it (a lane repointed at their own
provider, keys revoked) and only prints its URLs and secrets again; `tollgate demo --reseed` (`make
demo-reset`) starts it afresh. The secrets it issues are written to `<data_dir>/demo-credentials.json` (mode
0600, beside the master key) so that every later run prints the same working key: the database itself still
only holds hashes.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from . import provisioning
from .extensions import DbSession
from .mock_upstream import DEMO_API_KEY, MOUNT_PATH
from .models import Client, Lane, Workspace
from .services import Services

DEMO_SLUG = "youragency"
OPENAI_BASE_URL = "https://api.openai.com/v1"
LANE_NAME = "Agency OpenAI"
_CLIENTS = (
    ("Acme Co", "acme", (("Support triage", "support-triage"), ("Lead enrichment", "lead-enrichment"))),
    ("Globex Corp", "globex", (("Content drafts", "content-drafts"),)),
)


@dataclass(frozen=True)
class DemoCredentials:
    workspace_id: str
    admin_token: str
    sub_keys: dict[str, str]
    """client slug → sub-key"""

    def save(self, path: Path) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(self.__dict__, fh, indent=2)

    @classmethod
    def load(cls, path: Path) -> DemoCredentials | None:
        if not path.exists():
            return None
        return cls(**json.loads(path.read_text()))


def credentials_path(svc: Services) -> Path:
    return svc.settings.data_dir / "demo-credentials.json"


@dataclass(frozen=True)
class DemoSeed:
    credentials: DemoCredentials
    created: bool
    """False: the workspace was kept from an earlier run."""
    upstream: str
    """Where the agency lane points, in words."""


def seed(session: DbSession, svc: Services, openai_api_key: str | None, reseed: bool = False) -> DemoSeed:
    """Create the demo workspace if missing (or, with `reseed`, afresh). Its agency lane is changed only when
    `openai_api_key` is given (→ OpenAI) or while it still points at the built-in mock (→ the mock at the
    server's current address, which moves with TOLLGATE_PORT / TOLLGATE_PUBLIC_URL); a lane the user repointed
    is left alone."""
    path = credentials_path(svc)
    workspace = session.scalars(select(Workspace).where(Workspace.slug == DEMO_SLUG)).first()
    saved = DemoCredentials.load(path)
    created = reseed or workspace is None or saved is None or saved.workspace_id != workspace.id
    if created:
        if workspace is not None:
            provisioning.delete_workspace(session, workspace)  # asked to, or credentials lost: start afresh
        saved = _create(session, svc)
        saved.save(path)
    assert saved is not None
    lane = _lane(session, saved.workspace_id)
    if lane is not None and openai_api_key:
        _point_lane(session, svc, lane, OPENAI_BASE_URL, openai_api_key)
    elif lane is not None and on_builtin_mock(lane):
        _point_lane(session, svc, lane, _mock_url(svc), DEMO_API_KEY)
    session.commit()
    return DemoSeed(saved, created, _describe(lane))


def _create(session: DbSession, svc: Services) -> DemoCredentials:
    workspace = provisioning.create_workspace(
        session, "YourAgency", DEMO_SLUG, actor="demo", report_footer="Prepared by YourAgency"
    )
    keys: dict[str, str] = {}
    for name, slug, projects in _CLIENTS:
        client = provisioning.create_client(session, workspace.id, name, slug, actor="demo")
        for project_name, project_slug in projects:
            provisioning.create_project(session, client, project_name, project_slug, actor="demo")
        keys[slug] = provisioning.issue_sub_key(session, svc.hasher, client, f"{name} demo key", actor="demo").secret
    lane = provisioning.create_lane(
        session, svc.vault, workspace.id, LANE_NAME, _mock_url(svc), DEMO_API_KEY, actor="demo"
    )
    provisioning.append_route(session, workspace.id, lane)
    token = provisioning.issue_admin_token(session, svc.hasher, workspace.id, "Demo owner", "owner", actor="demo")
    return DemoCredentials(workspace.id, token.secret, keys)


def _lane(session: DbSession, workspace_id: str) -> Lane | None:
    return session.scalars(select(Lane).where(Lane.workspace_id == workspace_id, Lane.name == LANE_NAME)).first()


def on_builtin_mock(lane: Lane) -> bool:
    """The lane still points at the mock with the demo's credential: the demo's own, not repointed by the user."""
    return lane.base_url.rstrip("/").endswith(f"{MOUNT_PATH}/v1") and lane.credential_last4 == DEMO_API_KEY[-4:]


def _describe(lane: Lane | None) -> str:
    if lane is None:
        return "no agency lane"
    if on_builtin_mock(lane):
        return "the built-in mock upstream"
    if lane.base_url.rstrip("/") == OPENAI_BASE_URL:
        return "the real OpenAI API"
    return lane.base_url


def _point_lane(session: DbSession, svc: Services, lane: Lane, base_url: str, api_key: str) -> None:
    if lane.base_url != base_url or lane.credential_last4 != api_key[-4:]:
        lane.base_url = base_url
        provisioning.set_lane_credential(lane, svc.vault, api_key)
        provisioning.audit(
            session,
            lane.workspace_id,
            "demo",
            "lane.update",
            "lane",
            lane.id,
            after={"base_url": base_url, "credential_fingerprint": lane.credential_fingerprint},
        )


def _mock_url(svc: Services) -> str:
    return f"{svc.settings.base_url}{MOUNT_PATH}/v1"


def client_names(session: DbSession, workspace_id: str) -> dict[str, str]:
    return {c.slug: c.name for c in session.scalars(select(Client).where(Client.workspace_id == workspace_id))}
