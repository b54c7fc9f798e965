"""Report figures and optimisation hints without a server: the header's exact form and the hints' savings."""

from __future__ import annotations

import datetime as dt

from tollgate.reports.figures import Aggregate, ReportInput, compute, usd_whole
from tollgate.reports.hints import ModelUsage, hints_for

RATES = {"gpt-4o": (2_500_000, 1_250_000, 10_000_000), "gpt-4o-mini": (150_000, 75_000, 600_000)}
"""Micro-dollars per 1M input, cached input and output tokens."""


def reprice(model: str, input_tokens: int, cached: int, output: int) -> int | None:
    rates = RATES.get(model)
    if rates is None:
        return None
    return ((input_tokens - cached) * rates[0] + cached * rates[1] + output * rates[2]) // 1_000_000


def test_header_in_the_agency_form() -> None:
    rows = [
        Aggregate("support triage", "gpt-4o-mini", "l1", dt.date(2026, 5, 2), 30_000, 29_990, 9, 0, 9, 411_500_000, 0),
        Aggregate(
            "weekly content digest", "gpt-4o-mini", "l1", dt.date(2026, 5, 9), 11_245, 11_240, 9, 0, 9, 200_000_000, 0
        ),
        Aggregate(None, "gpt-4o-mini", "l1", dt.date(2026, 5, 9), 0, 0, 0, 0, 0, 0, 0),
    ]
    data = ReportInput(
        "Acme Co",
        "YourAgency",
        2026,
        5,
        "June 2026",
        "included in retainer",
        "38% of monthly budget",
        rows,
        {"l1": "metered"},
        "l1",
    )
    figures = compute(data, reprice)
    assert figures["header"] == [
        "Acme Co: AI usage report, May 2026",
        "Prepared by: YourAgency",
        "Workflows: support triage, weekly content digest",
        "Requests served: 41,230",
        "API-equivalent value: $612 (June 2026 list prices)",
        "Billing treatment: included in retainer",
        "Cap status: 38% of monthly budget",
    ]
    assert len(figures["daily"]) == 31 and figures["fallbacks"] == 0


def test_whole_dollars_round_half_up() -> None:
    assert [usd_whole(m) for m in (611_499_999, 611_500_000, 1_234_567_890_000)] == ["$611", "$612", "$1,234,568"]


def test_short_outputs_on_a_large_model_suggest_the_smaller_one() -> None:
    usage = ModelUsage("gpt-4o", 1000, 500_000, 0, 100_000, 0)
    (hint,) = hints_for([usage], reprice)
    now = (500_000 * 2_500_000 + 100_000 * 10_000_000) // 1_000_000  # $2.25
    then = (500_000 * 150_000 + 100_000 * 600_000) // 1_000_000  # $0.135
    assert (hint.kind, hint.saving_micros) == ("smaller_model", now - then)
    assert "gpt-4o-mini" in hint.text and "$2.12" in hint.text  # 2.115 shown to the cent


def test_large_uncached_prompts_suggest_prompt_caching() -> None:
    usage = ModelUsage("gpt-4o", 100, 500_000, 50_000, 200_000, 0)  # 5,000 tokens a prompt, 10% cached
    (hint,) = hints_for([usage], reprice)
    extra = (500_000 - 50_000) // 2
    assert hint.kind == "prompt_caching"
    assert hint.saving_micros == extra * (2_500_000 - 1_250_000) // 1_000_000


def test_no_hint_without_a_reason() -> None:
    long_answers = ModelUsage("gpt-4o", 10, 1000, 0, 10_000, 0)
    well_cached = ModelUsage("gpt-4o", 10, 50_000, 40_000, 10_000, 0)
    unpriced = ModelUsage("house-model", 10, 50_000, 0, 10, 0)
    assert hints_for([long_answers, well_cached, unpriced, ModelUsage("gpt-4o", 0, 0, 0, 0, 0)], reprice) == []
