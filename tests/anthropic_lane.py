"""An Anthropic lane to the Anthropic mock, for the through-the-server tests of the Responses API and /v1/messages:
the seeded OpenAI lane is narrowed to `gpt-*`, the new lane serves `claude-*` with fixed cache-bearing usage."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from sqlalchemy import update

from tollgate import provisioning
from tollgate.extensions import db
from tollgate.mock_upstream.anthropic import AnthropicMock, AnthropicMockState
from tollgate.models import Lane
from tollgate.services import Services

from .conftest import Seeded, ServedApp

ANTHROPIC_KEY = "sk-ant-mock-0123456789abcdef"
MODEL = "claude-sonnet-4-5"
USAGE = {
    "input_tokens": 1000,
    "cache_read_input_tokens": 2000,
    "cache_creation_input_tokens": 500,
    "output_tokens": 300,
}
# claude-sonnet-4-5 per million tokens: $3 input, $0.30 cache read (0.1×), $3.75 cache write (1.25×), $15 output
# → 1000 × 3 + 2000 × 0.30 + 500 × 3.75 + 300 × 15 = 3000 + 600 + 1875 + 4500 micro-dollars
EXPECTED_MICROS = 9975


@dataclass
class Claude:
    state: AnthropicMockState
    lane_id: str
    served: ServedApp


def start_claude_lane(app: Flask, svc: Services, seeded: Seeded) -> Claude:
    """Stop it with `claude.served.stop()`."""
    state = AnthropicMockState(api_key=ANTHROPIC_KEY, usage=dict(USAGE))
    served = ServedApp(AnthropicMock(state))
    with app.app_context():
        session = db.session
        session.execute(update(Lane).where(Lane.id == seeded.lane_id).values(models=["gpt-*"]))
        lane = provisioning.create_lane(
            session,
            svc.vault,
            seeded.workspace_id,
            "Claude",
            served.url,
            ANTHROPIC_KEY,
            "anthropic",
            models=["claude-*"],
        )
        provisioning.append_route(session, seeded.workspace_id, lane)
        session.commit()
        return Claude(state, lane.id, served)
