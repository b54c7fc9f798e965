"""A seeded month for the reconciliation tests: request-log rows of a lane, and the matching provider report
(the exact same cost per day and model, scaled) served by the report mock."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

import pytest
from flask import Flask

from tests.conftest import ServedApp
from tollgate.extensions import db
from tollgate.ids import new_id
from tollgate.metering.prices import PICOS_PER_USD, split_picos
from tollgate.mock_upstream.reports import BilledLine, ReportMock, ReportMockState
from tollgate.models import RequestLog

MONTH = "2026-11"
DAYS = [dt.date(2026, 11, 1) + dt.timedelta(days=n) for n in range(30)]
MODELS = ("gpt-4o-mini-2024-07-18", "gpt-4o-2024-08-06")
ADMIN_KEY = "sk-admin-mock-report-key-0123456789"


def seed_month(
    app: Flask, workspace_id: str, client_id: str, key_id: str, lane_id: str, payment: str = "metered"
) -> dict[tuple[dt.date, str], int]:
    """Three requests per UTC day and model, each worth about $0.40 and a fraction of a micro-dollar (so the
    remainders matter); returns the exact pico-dollars per (day, model)."""
    exact: dict[tuple[dt.date, str], int] = defaultdict(int)
    with app.app_context():
        for d, day in enumerate(DAYS):
            for m, model in enumerate(MODELS):
                for i in range(3):
                    picos = 400_000_000_000 + (d * 7919 + i * 104_729 + m * 15_485_863) * 1_000_003
                    micros, remainder = split_picos(picos)
                    metered = payment == "metered"
                    at = dt.datetime.combine(day, dt.time(hour=7 * i + 1, minute=d), dt.UTC)
                    db.session.add(
                        RequestLog(
                            request_id=new_id("req"),
                            created_at=at,
                            workspace_id=workspace_id,
                            client_id=client_id,
                            key_id=key_id,
                            lane_id=lane_id,
                            provider="openai",
                            endpoint="chat.completions",
                            model_requested=model.rsplit("-", 3)[0],
                            model_served=model,
                            input_tokens=1000,
                            output_tokens=200,
                            value_micros=micros,
                            value_remainder_picos=remainder,
                            cost_micros=micros if metered else 0,
                            cost_remainder_picos=remainder if metered else 0,
                            status_code=200,
                            latency_ms=100,
                        )
                    )
                    exact[(day, model)] += picos
        db.session.commit()
    return dict(exact)


def billed(
    exact: dict[tuple[dt.date, str], int], factor: str = "1.004", off: dict[dt.date, str] | None = None
) -> list[BilledLine]:
    """The provider's figures: Tollgate's exact cost × `factor` (× another factor on the days in `off`)."""
    lines = []
    for (day, model), picos in sorted(exact.items()):
        scale = Decimal((off or {}).get(day, factor))
        amount = Decimal(picos) / PICOS_PER_USD * scale
        lines.append(BilledLine(day, model, amount, "proj_lane", input_tokens=3000, output_tokens=600, requests=3))
    return lines


@pytest.fixture
def report_mock() -> Iterator[tuple[ReportMockState, str]]:
    state = ReportMockState(admin_key=ADMIN_KEY)
    served = ServedApp(ReportMock(state))
    yield state, served.url
    served.stop()
