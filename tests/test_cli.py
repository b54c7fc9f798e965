"""The `tollgate` command a newcomer meets first: help, demo, tokens and keys from the shell."""

from __future__ import annotations

import base64
import re
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from tollgate.cli import main
from tollgate.vault.tokens import ADMIN_TOKEN_PREFIX, SUB_KEY_PREFIX, is_well_formed


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("TOLLGATE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TOLLGATE_SECRET_KEY", base64.b64encode(b"c" * 32).decode())
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return CliRunner()


def test_help_lists_the_commands(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    commands = ("init", "serve", "demo", "create-token", "create-key", "revoke-key", "openapi", "db")
    for command in (*commands, "list-keys", "list-tokens", "revoke-token"):
        assert re.search(rf"^\s+{command}\s", result.output, re.M), command


def test_demo_prints_working_secrets_and_is_stable_across_runs(runner: CliRunner) -> None:
    first = runner.invoke(main, ["demo"])
    assert first.exit_code == 0, first.output
    keys = re.findall(r"\btg_[0-9A-Za-z]+", first.output)
    tokens = re.findall(r"\btga_[0-9A-Za-z]+", first.output)
    assert len(set(keys)) == 2 and len(tokens) == 1
    assert all(is_well_formed(k, SUB_KEY_PREFIX) for k in keys)
    assert is_well_formed(tokens[0], ADMIN_TOKEN_PREFIX)
    assert "/v1" in first.output and "/api/docs" in first.output
    second = runner.invoke(main, ["demo"])
    assert second.exit_code == 0
    assert re.findall(r"\btg_[0-9A-Za-z]+", second.output) == keys  # the same demo, not a new one


def test_create_token_and_key_print_a_secret_once(runner: CliRunner) -> None:
    """The secret alone on stdout (so `$(tollgate create-key …)` captures it), the id revoke needs on stderr."""
    assert runner.invoke(main, ["demo"]).exit_code == 0
    token = runner.invoke(main, ["create-token", "--role", "viewer", "--name", "ops"])
    assert token.exit_code == 0 and is_well_formed(token.stdout.strip(), ADMIN_TOKEN_PREFIX)
    assert re.search(r"revoke: tollgate revoke-token tok_\w+", token.stderr)
    key = runner.invoke(main, ["create-key", "--client", "acme", "--project", "support-triage", "--model", "gpt-4o*"])
    assert key.exit_code == 0 and is_well_formed(key.stdout.strip(), SUB_KEY_PREFIX)
    assert re.search(r"revoke: tollgate revoke-key key_\w+", key.stderr)
    assert key.stdout.strip() not in key.stderr
    missing = runner.invoke(main, ["create-key", "--client", "nope"])
    assert missing.exit_code != 0 and "no client 'nope'" in missing.output


def test_list_and_revoke_keys_by_the_printed_id(runner: CliRunner) -> None:
    assert runner.invoke(main, ["demo"]).exit_code == 0
    created = runner.invoke(main, ["create-key", "--client", "globex", "--name", "zapier flow"])
    key_id = re.findall(r"key_\w+", created.stderr)[0]
    listed = runner.invoke(main, ["list-keys", "--client", "globex"])
    assert listed.exit_code == 0
    line = next(row for row in listed.output.splitlines() if row.startswith(key_id))
    assert "globex" in line and "zapier flow" in line and "active" in line
    assert created.stdout.strip() not in listed.output and f"…{created.stdout.strip()[-4:]}" in line
    assert "acme" not in listed.output
    assert runner.invoke(main, ["revoke-key", key_id]).exit_code == 0
    assert key_id not in runner.invoke(main, ["list-keys"]).output
    assert re.search(rf"^{key_id} .* revoked$", runner.invoke(main, ["list-keys", "--all"]).output, re.M)


def test_revoke_token_keeps_the_last_owner(runner: CliRunner) -> None:
    """Same rule as the admin API: the workspace's last active owner token cannot be revoked."""
    assert runner.invoke(main, ["demo"]).exit_code == 0
    owners = re.findall(r"^(tok_\w+) .* owner ", runner.invoke(main, ["list-tokens"]).output, re.M)
    assert len(owners) == 1
    refused = runner.invoke(main, ["revoke-token", owners[0]])
    assert refused.exit_code == 1 and "last active owner token" in refused.output
    second = runner.invoke(main, ["create-token", "--role", "owner", "--name", "ops lead"])
    assert runner.invoke(main, ["revoke-token", owners[0]]).exit_code == 0
    listed = runner.invoke(main, ["list-tokens"]).output
    assert owners[0] not in listed and re.findall(r"tok_\w+", second.stderr)[0] in listed
    assert runner.invoke(main, ["revoke-token", "tok_nope"]).exit_code == 2


def test_serve_on_a_port_in_use_says_so_once(runner: CliRunner) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(main, ["serve", "--port", str(port)])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output and "TOLLGATE_PORT" in result.output
    assert "listening on" not in result.output and "Traceback" not in result.output


def test_demo_lane_follows_openai_api_key(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With OPENAI_API_KEY the agency lane points at OpenAI (the key encrypted); a later run without it leaves the
    lane where it is, and only `demo --reseed` brings the demo back to the mock, with new keys."""
    import sqlite3

    def lane() -> tuple[str, bytes, str]:
        with sqlite3.connect(tmp_path / "tollgate.db") as conn:
            return conn.execute("select base_url, credential_ciphertext, credential_last4 from lanes").fetchone()

    fake_key = "sk-test-not-a-real-key-0123456789abcd"
    monkeypatch.setenv("OPENAI_API_KEY", fake_key)
    result = runner.invoke(main, ["demo"])
    assert result.exit_code == 0 and "the real OpenAI API" in result.output
    base_url, ciphertext, last4 = lane()
    assert base_url == "https://api.openai.com/v1" and last4 == fake_key[-4:]
    assert fake_key.encode() not in ciphertext and fake_key not in result.output
    monkeypatch.delenv("OPENAI_API_KEY")
    again = runner.invoke(main, ["demo"])
    assert again.exit_code == 0 and "the real OpenAI API" in again.output and "kept from an earlier run" in again.output
    assert lane()[0] == "https://api.openai.com/v1"
    reseeded = runner.invoke(main, ["demo", "--reseed"])
    assert reseeded.exit_code == 0 and "seeded now" in reseeded.output
    assert lane()[0].endswith("/mock/v1")
    assert re.findall(r"\btg_[0-9A-Za-z]+", reseeded.output) != re.findall(r"\btg_[0-9A-Za-z]+", result.output)


def test_demo_leaves_a_lane_the_user_repointed(runner: CliRunner, tmp_path: Path) -> None:
    """`make run` again must not revert a lane repointed through the admin API (here: its own provider)."""
    from tollgate.app import create_app
    from tollgate.config import load_settings
    from tollgate.extensions import db
    from tollgate.models import Lane
    from tollgate.provisioning import set_lane_credential
    from tollgate.services import services

    assert runner.invoke(main, ["demo"]).exit_code == 0
    app = create_app(load_settings())
    with app.app_context():
        lane = db.session.query(Lane).one()
        lane.base_url = "https://llm.example.com/v1"
        set_lane_credential(lane, services(app).vault, "sk-own-provider-key-0123456789")
        db.session.commit()
    again = runner.invoke(main, ["demo"])
    assert again.exit_code == 0 and "agency lane → https://llm.example.com/v1" in again.output
    with app.app_context():
        assert db.session.query(Lane).one().base_url == "https://llm.example.com/v1"
        db.engine.dispose()
