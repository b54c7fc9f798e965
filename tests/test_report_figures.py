"""Report figures and optimisation hints without a server: the header's exact form and the hints' savings."""

from __future__ import annotations

import datetime as dt

from tollgate.reports.figures import Aggregate, ReportInput, compute, usd_whole
from tollgate.reports.hints import (
    REFERENCE_FLAT_PLAN,
    FlatPlan,
    Growth,
    Hint,
    MeteredTraffic,
    ModelUsage,
    Turn,
    growth_trimmed,
    hints_for,
    total_saving,
)

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


def test_workflows_are_the_served_projects_in_reading_order() -> None:
    day = dt.date(2026, 5, 2)
    rows = [
        Aggregate(name, "gpt-4o-mini", "l1", day, 1, served, 9, 0, 9, 1000, 0)
        for name, served in (("Zeta", 1), ("alpha", 1), ("Beta", 1), ("only failures", 0))
    ]
    data = ReportInput("C", "A", 2026, 5, "June 2026", "t", "no cap", rows, {"l1": "metered"}, "l1")
    assert compute(data, reprice)["header"][2] == "Workflows: alpha, Beta, Zeta"


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


START = dt.datetime(2026, 5, 4, 9, tzinfo=dt.UTC)


def _conversation(user: str, sizes: list[int], start: dt.datetime = START, minutes: int = 5) -> list[Turn]:
    return [
        Turn("support triage", user, "gpt-4o", start + dt.timedelta(minutes=minutes * i), size)
        for i, size in enumerate(sizes)
    ]


def _growing_month() -> list[Turn]:
    """20 conversations whose prompts grow 1,000 tokens a turn, and some that are not growing conversations."""
    turns = [t for n in range(20) for t in _conversation(f"user-{n}", [1000, 2000, 3000, 4000, 5000])]
    turns += _conversation("gap", [1000, 2000, 3000, 4000, 5000], minutes=31)  # each turn its own conversation
    turns += _conversation("drop", [1000, 2000, 3000, 1500, 5000])  # a prompt smaller than the one before
    turns += _conversation("flat", [4000, 4000, 4000, 4000, 4000])  # not twice the first
    turns += _conversation("short", [1000, 2000, 3000])  # too few turns
    return turns


def test_growing_conversations_are_found_from_token_counts_over_time() -> None:
    # Per conversation: a window of 3 keeps later prompts at the third's 3,000 tokens: 1,000 + 2,000 trimmed.
    # Turns arriving out of order are sorted by time first.
    assert growth_trimmed(reversed(_growing_month())) == {"gpt-4o": Growth(20, 100, 60_000)}
    # Two users interleaved on the same workflow and model stay two conversations.
    both = _conversation("a", [1000, 2000, 3000, 4000]) + _conversation("b", [9000, 100, 100, 100])
    assert growth_trimmed(both) == {"gpt-4o": Growth(1, 4, 1000)}


def test_prompts_growing_with_the_conversation_suggest_trimming_the_history() -> None:
    usage = ModelUsage("gpt-4o", 100, 300_000, 100_000, 50_000, 0)  # a third cached, 500-token answers
    (hint,) = hints_for([usage], reprice, _growing_month())
    # 60,000 input tokens fewer, counted uncached first: 60,000 × $2.50 / 1M.
    assert (hint.kind, hint.model, hint.saving_micros) == ("growing_prompts", "gpt-4o", 150_000)
    assert "20 conversations" in hint.text and "60,000 fewer input tokens" in hint.text and "$0.15" in hint.text


def test_very_large_prompts_suggest_sending_less() -> None:
    usage = ModelUsage("gpt-4o", 100, 1_000_000, 300_000, 50_000, 0)  # 10,000 tokens a prompt, 30% cached
    (hint,) = hints_for([usage], reprice)
    # Half of what is above 4,000 tokens a prompt: (1,000,000 − 400,000) / 2 = 300,000 tokens, uncached first.
    assert (hint.kind, hint.saving_micros) == ("large_prompts", 300_000 * 2_500_000 // 1_000_000)
    assert "average 10,000 tokens" in hint.text and "$0.75" in hint.text
    # When the prompts are large because conversations grow, the history hint alone says so.
    assert [h.kind for h in hints_for([usage], reprice, _growing_month())] == ["growing_prompts"]


METERED = MeteredTraffic(requests=1000, value_micros=350_000_000, models=("gpt-4o",), peak_daily_requests=120)


def test_metered_traffic_worth_more_than_a_flat_lane_suggests_it() -> None:
    plans = [
        FlatPlan(100_000_000, ("gpt-4o-mini",), 2000),  # does not serve gpt-4o
        FlatPlan(150_000_000, None, 100),  # 100 requests a day: the busiest day had 120
        FlatPlan(250_000_000, ("gpt-4o*",), 2000),
        FlatPlan(300_000_000, None, 2000),
    ]
    (hint,) = hints_for([], reprice, metered=METERED, flat_plans=plans)
    assert (hint.kind, hint.model, hint.saving_micros) == ("flat_fee_lane", None, 100_000_000)
    assert hint.text == (
        "1,000 requests on metered lanes were worth $350.00 at list prices (at most 120 a day); an existing "
        "flat-fee lane at $250.00 a month carries that traffic: about $100.00 a month less."
    )


def test_without_a_flat_lane_the_reference_plan_is_compared() -> None:
    (hint,) = hints_for([], reprice, metered=METERED)
    assert hint.saving_micros == 350_000_000 - REFERENCE_FLAT_PLAN.fee_micros == 150_000_000
    assert "a flat-fee plan at $200.00 a month" in hint.text
    cheap = MeteredTraffic(1000, 200_000_000, ("gpt-4o",), 120)  # worth no more than the fee
    busy = MeteredTraffic(100_000, 900_000_000, ("gpt-4o",), 2001)  # more a day than the plan carries
    assert hints_for([], reprice, metered=cheap) == hints_for([], reprice, metered=busy) == []


def test_the_total_counts_overlapping_hints_on_a_model_once() -> None:
    hints = [
        Hint("smaller_model", "gpt-4o", "", 5),
        Hint("prompt_caching", "gpt-4o", "", 7),
        Hint("smaller_model", "gpt-4.1", "", 3),
        Hint("flat_fee_lane", None, "", 10),
    ]
    assert total_saving(hints) == 7 + 3 + 10


def test_the_flat_lane_hint_counts_only_metered_lanes() -> None:
    day = dt.date(2026, 5, 4)
    rows = [
        Aggregate("a", "gpt-4o", "metered", day, 60, 50, 9, 0, 9, 150_000_000, 0),
        Aggregate("a", "gpt-4o", "metered", day + dt.timedelta(days=1), 80, 80, 9, 0, 9, 150_000_000, 0),
        Aggregate("a", "gpt-4o", "flat", day, 500, 500, 9, 0, 9, 900_000_000, 0),
        Aggregate("a", "gpt-4o", "byok", day, 500, 500, 9, 0, 9, 900_000_000, 0),
    ]
    payments = {"metered": "metered", "flat": "flat", "byok": "byok"}
    data = ReportInput("C", "A", 2026, 5, "June 2026", "t", "no cap", rows, payments, "metered")
    figures = compute(data, reprice)
    (hint,) = figures["hints"]
    assert hint["kind"] == "flat_fee_lane" and hint["saving_micros"] == 100_000_000
    assert "130 requests" in hint["text"] and "at most 80 a day" in hint["text"]
    assert figures["estimated_monthly_saving_micros"] == 100_000_000


def test_totals_add_the_sub_micro_remainders_before_rounding() -> None:
    """1,000 days-and-models of requests each worth 0.14 micro-dollars (stored as 0 micros + 140,000 picos) are
    worth 140 micro-dollars in the report, as in /usage: every total and breakdown sums the exact value."""
    day = dt.date(2026, 5, 3)
    rows = [
        Aggregate("embeddings", f"m{i % 4}", "l1", day, 1, 1, 9, 0, 0, 0, 0, value_remainder_picos=140_000)
        for i in range(1000)
    ]
    data = ReportInput("Acme Co", "YourAgency", 2026, 5, "June 2026", "t", "no cap", rows, {"l1": "metered"}, "l1")
    figures = compute(data, reprice)
    assert figures["value_micros"] == 140
    assert [row["value_micros"] for row in figures["by_model"]] == [35, 35, 35, 35]
    assert figures["by_workflow"][0]["value_micros"] == 140
    assert next(d for d in figures["daily"] if d["day"] == "2026-05-03")["value_micros"] == 140
