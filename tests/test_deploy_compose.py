"""docker-compose.yml and the Dockerfile, checked without Docker (it cannot run here): the five services and
the one-shot init, their commands exist in `tollgate --help`, and their environment, with compose's `${VAR:-x}`
defaults filled in, builds settings for PostgreSQL (psycopg), Redis and rq jobs."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from tollgate.cli import main
from tollgate.config import Settings, env_name, load_settings

ROOT = Path(__file__).resolve().parent.parent
TOLLGATE_SERVICES = {"init": "init", "gateway": "serve", "worker": "worker", "scheduler": "scheduler"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def cli_commands() -> set[str]:
    """The command names `tollgate --help` lists."""
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    listing = result.output.split("Commands:", 1)[1]
    return {m.group(1) for m in re.finditer(r"^\s{2}([a-z][a-z-]*)\s", listing, re.MULTILINE)}


def interpolate(value: str, environ: dict[str, str] | None = None) -> str:
    """Compose's `${VAR:-default}` / `${VAR}` substitution, with an empty environment by default."""
    environ = environ or {}

    def one(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(3) or ""
        return environ.get(name) or default

    return re.sub(r"\$\{(\w+)(:-([^}]*))?\}", one, value)


def test_services_and_their_tollgate_commands(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"postgres", "redis", *TOLLGATE_SERVICES}
    known = cli_commands()
    assert {"serve", "worker", "scheduler", "init"} <= known
    for name, command in TOLLGATE_SERVICES.items():
        service = services[name]
        assert service["command"][0] == command and command in known, name
        assert service["build"] == "." and service["image"] == "tollgate:latest"
        assert "tollgate-data:/data" in service["volumes"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["tollgate"]' in dockerfile and "pip install ." in dockerfile


def test_init_runs_once_before_the_gateway_worker_and_scheduler(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["init"]["restart"] == "no"
    assert services["init"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "healthcheck" in services["postgres"] and "healthcheck" in services["redis"]
    for name in ("gateway", "worker", "scheduler"):
        depends = services[name]["depends_on"]
        assert depends["init"]["condition"] == "service_completed_successfully", name
        assert depends["redis"]["condition"] == "service_healthy", name


@pytest.mark.parametrize("name", sorted(TOLLGATE_SERVICES))
def test_environment_builds_scale_out_settings(compose: dict[str, Any], name: str) -> None:
    raw = compose["services"][name]["environment"]
    known = {env_name(field.name) for field in dataclasses.fields(Settings)}
    assert set(raw) <= known, f"unknown setting in {name}: {set(raw) - known}"
    environ = {key: interpolate(str(value)) for key, value in raw.items()}
    settings = load_settings(environ)
    assert settings.sqlalchemy_url.startswith("postgresql+psycopg://tollgate:tollgate@postgres:5432/")
    assert settings.redis_url == "redis://redis:6379/0"
    assert settings.jobs_through_rq
    assert str(settings.data_dir) == "/data"
    postgres = compose["services"]["postgres"]["environment"]
    assert interpolate(postgres["POSTGRES_PASSWORD"]) in settings.sqlalchemy_url
    if name == "gateway":
        assert (settings.host, settings.port, settings.workers) == ("0.0.0.0", 8080, 4)
        assert interpolate(compose["services"]["gateway"]["ports"][0]) == "8080:8080"


def test_a_password_from_env_reaches_both_postgres_and_tollgate(compose: dict[str, Any]) -> None:
    environ = {"POSTGRES_PASSWORD": "s3cret"}
    url = interpolate(compose["services"]["worker"]["environment"]["DATABASE_URL"], environ)
    assert url == "postgresql+psycopg://tollgate:s3cret@postgres:5432/tollgate"
    assert interpolate(compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"], environ) == "s3cret"
