"""The `tollgate` command a newcomer meets first: help, demo, tokens and keys from the shell."""

from __future__ import annotations

import base64
import re
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
    for command in ("init", "serve", "demo", "create-token", "create-key", "revoke-key", "openapi", "db"):
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
    assert runner.invoke(main, ["demo"]).exit_code == 0
    token = runner.invoke(main, ["create-token", "--role", "viewer", "--name", "ops"])
    assert token.exit_code == 0 and is_well_formed(token.output.strip(), ADMIN_TOKEN_PREFIX)
    key = runner.invoke(main, ["create-key", "--client", "acme", "--project", "support-triage", "--model", "gpt-4o*"])
    assert key.exit_code == 0 and is_well_formed(key.output.strip(), SUB_KEY_PREFIX)
    missing = runner.invoke(main, ["create-key", "--client", "nope"])
    assert missing.exit_code != 0 and "no client 'nope'" in missing.output


def test_demo_lane_follows_openai_api_key(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With OPENAI_API_KEY the agency lane points at OpenAI (the key encrypted); without it, back to the mock."""
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
    assert runner.invoke(main, ["demo"]).exit_code == 0
    assert lane()[0].endswith("/mock/v1")
