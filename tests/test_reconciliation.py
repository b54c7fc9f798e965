"""Reconciliation without a server: the comparison arithmetic, reading provider reports from the report mock
(pagination, exact decimals, auth, broken pages) and reading CSV exports (and refusing the ones that don't fit)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.reconciliation_support import ADMIN_KEY, report_mock
from tollgate.mock_upstream.reports import BilledLine, ReportMockState
from tollgate.reconciliation import csv_import
from tollgate.reconciliation.compare import Compared, ProviderLine, TollgateLine, compare, decimal_text
from tollgate.reconciliation.provider_api import (
    ReportError,
    ReportQuery,
    fetch_costs,
    fetch_usage,
    openai_model,
    requests_getter,
)
from tollgate.reconciliation.runs import month_days

D1, D2 = dt.date(2026, 11, 1), dt.date(2026, 11, 2)
USD = Decimal

__all__ = ["report_mock"]


def test_difference_and_percent_are_exact() -> None:
    money = Compared(USD("100.000000333"), USD("100.5"))
    assert money.difference_usd == USD("0.499999667")
    assert money.difference_micros == 500_000  # half-even of 499999.667
    assert money.difference_percent == USD("0.4975")
    assert not money.is_gap()  # under 1%
    assert Compared(USD("100"), USD("101.02")).is_gap()  # 1.0097% of the provider's figure
    assert not Compared(USD("100"), USD("101.01")).is_gap()  # 0.9999%
    assert not Compared(USD("99"), USD("100")).is_gap()  # exactly 1% is not more than 1%
    assert Compared(USD("98.999999"), USD("100")).is_gap()


def test_small_differences_never_gap_and_zero_provider_has_no_percent() -> None:
    assert not Compared(USD("0.004"), USD("0.006")).is_gap()  # 33% but under a cent
    assert Compared(USD("0.5"), USD("0")).difference_percent is None
    assert Compared(USD("0.5"), USD("0")).is_gap()
    assert Compared(USD("0"), USD("0")).difference_percent == 0


def test_compare_joins_days_and_models_and_flags_gap_days() -> None:
    ours = [
        TollgateLine(D1, "a", 10 * 10**12, 3),
        TollgateLine(D1, "b", 5 * 10**12, 1),
        TollgateLine(D2, "a", 10 * 10**12, 2),
    ]
    theirs = [
        ProviderLine(D1, "a", USD("6")),
        ProviderLine(D1, "a", USD("4.05")),  # two line items of one model add up
        ProviderLine(D1, "b", USD("5")),
        ProviderLine(D2, "a", USD("11")),
        ProviderLine(D2, "c", USD("0.5")),  # a model Tollgate never saw
    ]
    result = compare(ours, theirs)
    assert [(r.day, r.model, r.requests) for r in result.rows] == [
        (D1, "a", 3),
        (D1, "b", 1),
        (D2, "a", 2),
        (D2, "c", 0),
    ]
    assert result.rows[0].money.difference_micros == 50_000
    assert result.rows[3].money.tollgate_usd == 0 and result.rows[3].money.difference_percent == 100
    assert result.days[D1].difference_percent == USD("0.3322")  # 0.05 / 15.05
    assert result.gap_days() == [D2]
    assert result.has_gap()
    assert result.total.difference_usd == USD("1.55")


def test_decimal_text_and_month_days() -> None:
    assert decimal_text(USD("1E-7")) == "0.0000001"
    assert decimal_text(USD("12.3400")) == "12.34"
    assert decimal_text(USD("-0.0")) == "0"
    assert month_days("2026-02") == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert month_days("2026-12") == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))


def test_openai_line_items_name_their_model() -> None:
    assert openai_model("gpt-4o-mini-2024-07-18, input") == "gpt-4o-mini-2024-07-18"
    assert openai_model("ft:gpt-4o:acme, cached input") == "ft:gpt-4o:acme"
    assert openai_model(None) == "(unattributed)"


def _month_lines() -> list[BilledLine]:
    days = [dt.date(2026, 11, 1) + dt.timedelta(days=n) for n in range(30)]
    return [BilledLine(day, "gpt-4o-mini", USD("0.1") + USD(n) / 1000, "proj_1") for n, day in enumerate(days)]


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_fetch_follows_pages_and_keeps_exact_decimals(report_mock: tuple[ReportMockState, str], provider: str) -> None:
    state, url = report_mock
    state.lines = [*_month_lines(), BilledLine(dt.date(2026, 11, 3), "gpt-4o", USD("0.3"), "proj_2")]
    base = url + "/v1" if provider == "openai" else url
    query = ReportQuery(base, ADMIN_KEY, dt.date(2026, 11, 1), dt.date(2026, 11, 30), scope="proj_1")
    lines = fetch_costs(provider, query, requests_getter(allow_private=True))
    assert len(state.requests) == 5  # 30 days, 7 buckets a page
    assert "page" not in state.requests[0]["query"] and all("page" in r["query"] for r in state.requests[1:])
    total = sum((line.amount_usd for line in lines), USD(0))
    assert total == sum((line.amount_usd for line in _month_lines()), USD(0))  # exact: 0.1 stays 0.1
    assert {line.model for line in lines} == {"gpt-4o-mini"}  # the other project's cost is not this lane's
    assert {line.day for line in lines} == {line.day for line in _month_lines()}


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_fetch_usage_counts_tokens_per_day_and_model(report_mock: tuple[ReportMockState, str], provider: str) -> None:
    state, url = report_mock
    state.lines = [
        BilledLine(D1, "m", USD("1"), "proj_1", input_tokens=1001, output_tokens=50, requests=2),
        BilledLine(D1, "m", USD("1"), "proj_2", input_tokens=7, output_tokens=7, requests=1),
    ]
    base = url + "/v1" if provider == "openai" else url
    query = ReportQuery(base, ADMIN_KEY, D1, D2, scope="proj_1")
    [line] = fetch_usage(provider, query, requests_getter(allow_private=True))
    assert (line.day, line.model, line.input_tokens, line.output_tokens) == (D1, "m", 1001, 50)
    path = state.requests[0]["path"]
    assert path.endswith("/organization/usage/completions" if provider == "openai" else "/usage_report/messages")
    bad = b'{"data": [{"start_time": 1793491200, "results": [{"input_tokens": -1}]}], "has_more": false}'
    with pytest.raises(ReportError, match="not a token count"):
        fetch_usage("openai", query, lambda u, h: (200, bad))


def test_fetch_errors_are_sentences(report_mock: tuple[ReportMockState, str]) -> None:
    _, url = report_mock
    get = requests_getter(allow_private=True)
    wrong = ReportQuery(url + "/v1", "sk-admin-wrong-key-000000", D1, D2)
    with pytest.raises(ReportError, match="HTTP 401: Incorrect API key provided"):
        fetch_costs("openai", wrong, get)
    with pytest.raises(ReportError, match="not a report page"):
        fetch_costs("openai", ReportQuery(url + "/nothing", ADMIN_KEY, D1, D2), lambda u, h: (200, b'{"x": 1}'))
    with pytest.raises(ReportError, match="has_more without a next_page"):
        fetch_costs(
            "openai", ReportQuery(url, ADMIN_KEY, D1, D2), lambda u, h: (200, b'{"data": [], "has_more": true}')
        )
    with pytest.raises(ReportError, match="supports openai, anthropic"):
        fetch_costs("gemini", ReportQuery(url, ADMIN_KEY, D1, D2), get)
    with pytest.raises(ReportError, match="could not be reached"):
        fetch_costs("openai", ReportQuery("http://127.0.0.1:9", ADMIN_KEY, D1, D2), get)


def test_float_like_amounts_are_read_from_their_text() -> None:
    body = (
        b'{"object":"page","has_more":false,"next_page":null,"data":[{"object":"bucket","start_time":1793491200,'
        b'"end_time":1793577600,"results":[{"amount":{"value":0.1,"currency":"usd"},"line_item":"m, input"},'
        b'{"amount":{"value":0.2,"currency":"usd"},"line_item":"m, output"}]}]}'
    )
    lines = fetch_costs("openai", ReportQuery("http://x", ADMIN_KEY, D1, D2), lambda u, h: (200, body))
    assert sum((line.amount_usd for line in lines), USD(0)) == USD("0.3")  # a float sum would be 0.30000000000000004


OPENAI_CSV = (
    "start_time,end_time,start_time_iso,end_time_iso,project_id,project_name,line_item,amount_value,amount_currency\n"
    "1793491200,1793577600,2026-11-01T00:00:00+00:00,2026-11-02T00:00:00+00:00,proj_1,Main,"
    '"gpt-4o-mini-2024-07-18, input",0.1,usd\n'
    "1793491200,1793577600,2026-11-01T00:00:00+00:00,2026-11-02T00:00:00+00:00,proj_1,Main,"
    '"gpt-4o-mini-2024-07-18, output",0.2,usd\n'
)


def test_csv_openai_and_anthropic_exports_are_read() -> None:
    lines = csv_import.parse_costs(("\ufeff" + OPENAI_CSV).encode())
    assert [(line.day, line.model, line.amount_usd) for line in lines] == [
        (D1, "gpt-4o-mini-2024-07-18", USD("0.1")),
        (D1, "gpt-4o-mini-2024-07-18", USD("0.2")),
    ]
    anthropic = (
        b"usage_date_utc,model,workspace,token_type,cost_usd\n2026-11-02,claude-sonnet-4-5,Default,output,$1.25\n"
    )
    assert csv_import.parse_costs(anthropic) == [ProviderLine(D2, "claude-sonnet-4-5", USD("1.25"))]


@pytest.mark.parametrize(
    ("data", "field", "text"),
    [
        (b"", "file", "No header line"),
        (b"\xff\xfe", "file", "Invalid UTF-8"),
        (b"date,model,cost_usd\n2026-11-01,m\x00,1\n", "file", "Contains NUL"),
        (b"day,what,how_much\n2026-11-01,x,1\n", "header", "No model column"),
        (b"date,model,cost_usd\n2026-11-01,m,abc\n", "line 2", "is not a number"),
        (b"date,model,cost_usd\nyesterday,m,1\n", "line 2", "is not a date"),
        (b"date,model,cost_usd\n2026-11-01,m\n", "line 2", "Has 2 fields"),
        (b"date,model,cost,currency\n2026-11-01,m,1,EUR\n", "line 2", "only USD"),
        (b"date,model,cost_usd\n2026-11-01,m,NaN\n", "line 2", "not a finite number"),
    ],
)
def test_csv_that_does_not_fit_is_refused_with_reasons(data: bytes, field: str, text: str) -> None:
    with pytest.raises(csv_import.CsvRejected) as caught:
        csv_import.parse_costs(data)
    assert any(text in reason for reason in caught.value.errors[field])
