"""The demo workspace `make run` starts with: an agency, two clients with projects, a key each, one lane.

Seeding is idempotent. The secrets it issues are written once to `<data_dir>/demo-credentials.json` (mode
0600, beside the master key) so that every later `make run` prints the same working key: the database
itself still only holds hashes.
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


def seed(session: DbSession, svc: Services, openai_api_key: str | None) -> DemoCredentials:
    """Create the demo workspace if missing; point its agency lane at OpenAI or the built-in mock."""
    path = credentials_path(svc)
    workspace = session.scalars(select(Workspace).where(Workspace.slug == DEMO_SLUG)).first()
    saved = DemoCredentials.load(path)
    if workspace is None or saved is None or saved.workspace_id != workspace.id:
        if workspace is not None:
            session.delete(workspace)  # credentials lost: start the demo afresh rather than print nothing
            session.flush()
        saved = _create(session, svc)
        saved.save(path)
    _point_lane(session, svc, saved.workspace_id, openai_api_key)
    session.commit()
    return saved


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
        session, svc.vault, workspace.id, "Agency OpenAI", _mock_url(svc), DEMO_API_KEY, actor="demo"
    )
    provisioning.append_route(session, workspace.id, lane)
    token = provisioning.issue_admin_token(session, svc.hasher, workspace.id, "Demo owner", "owner", actor="demo")
    return DemoCredentials(workspace.id, token.secret, keys)


def _point_lane(session: DbSession, svc: Services, workspace_id: str, openai_api_key: str | None) -> None:
    lane = session.scalars(select(Lane).where(Lane.workspace_id == workspace_id, Lane.name == "Agency OpenAI")).first()
    if lane is None:
        return
    base_url, api_key = (OPENAI_BASE_URL, openai_api_key) if openai_api_key else (_mock_url(svc), DEMO_API_KEY)
    if lane.base_url != base_url or lane.credential_last4 != api_key[-4:]:
        lane.base_url = base_url
        provisioning.set_lane_credential(lane, svc.vault, api_key)
        provisioning.audit(
            session,
            workspace_id,
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
