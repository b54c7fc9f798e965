"""Profitability arithmetic without a server: revenue from the plan, cost to serve with flat fees shared by value
served and nothing for BYOK, margins, the reasons a client loses money, and the book."""

from __future__ import annotations

from decimal import Decimal

from tollgate.billing.invoice import ProjectUsage
from tollgate.billing.plans import PlanKind, PlanTerms
from tollgate.billing.profitability import ClientMonth, FlatLane, book, client_profit, flat_fee_shares

M = 1_000_000
FLAT = {"lane_flat": FlatLane("lane_flat", 1000 * M, 400 * M)}


def project(name: str, cost: int, value: int, tokens: int = 1000) -> ProjectUsage:
    return ProjectUsage(name, cost_micros=cost, value_micros=value, tokens=tokens)


def test_cost_plus_client_with_a_share_of_the_flat_lane() -> None:
    month = ClientMonth(
        "cli_a",
        "Acme",
        PlanTerms(PlanKind.COST_PLUS, markup_percent=Decimal(30)),
        [project("support-chatbot", 12_340_000, 300 * M), project("content-generator", 8_760_000, 20 * M)],
        metered_cost_micros=21_100_000,
        value_by_lane={"lane_flat": 300 * M, "lane_metered": 20 * M, "lane_byok": 999 * M},
        value_by_model={"gpt-4o-mini": 320 * M},
    )
    shares = flat_fee_shares(FLAT, {"cli_a": month.value_by_lane, "cli_z": {"lane_flat": 100 * M}})
    assert shares == {"cli_a": 750 * M, "cli_z": 250 * M}
    result = client_profit(month, shares["cli_a"], "May 2026")
    assert result["revenue_micros"] == 27_430_000  # 21.10 + 30% (6.33)
    assert result["flat_fee_share_micros"] == 750 * M  # $1,000 × 300/400; BYOK value costs nothing
    assert result["cost_micros"] == 21_100_000 + 750 * M
    assert result["margin_micros"] == 27_430_000 - 771_100_000
    assert result["margin_percent"] == "-2711.2"
    assert result["reasons"] == [
        "model mix: gpt-4o-mini is 100.0% of the value served",
        "one runaway project: support-chatbot is 93.8% of the usage",
    ]


def test_retainer_over_its_tokens_and_a_profitable_one() -> None:
    starter = PlanTerms.from_preset("starter")
    heavy = ClientMonth(
        "cli_b",
        "Globex",
        starter,
        [project("a", 0, 50 * M, 2_500_000), project("b", 0, 50 * M, 2_500_000)],
        metered_cost_micros=700 * M,
        value_by_model={"gpt-4o": 60 * M, "gpt-4o-mini": 40 * M},
    )
    result = client_profit(heavy, 0, "May 2026")
    assert result["revenue_micros"] == 680 * M  # $500 + 3M tokens over × $60
    assert result["margin_micros"] == -20 * M
    assert result["reasons"][0] == "over the retainer's tokens: 5,000,000 used, 2,000,000 included"
    assert "model mix: gpt-4o is 60.0% of the value served" in result["reasons"]

    light = ClientMonth("cli_c", "Initech", starter, [project("a", 0, 10 * M, 1000)], metered_cost_micros=10 * M)
    fine = client_profit(light, 0, "May 2026")
    assert (fine["margin_micros"], fine["margin_percent"], fine["reasons"]) == (490 * M, "98.0", [])


def test_no_plan_and_fixed_retainer_reasons() -> None:
    unbilled = client_profit(ClientMonth("x", "X", None, [project("a", 5 * M, 5 * M)], 5 * M), 0, "May")
    assert unbilled["revenue_micros"] == 0 and unbilled["margin_percent"] is None
    assert unbilled["reasons"][0] == "no billing plan: its usage is not billed"
    fixed = PlanTerms(PlanKind.FIXED, monthly_fee=Decimal("100.00"))
    over = client_profit(ClientMonth("y", "Y", fixed, [project("a", 150 * M, 150 * M)], 150 * M), 0, "May")
    assert over["reasons"][0] == "fixed retainer with usage included: the usage costs more than the fee"


def test_the_book_metered_versus_flat() -> None:
    flat = {"lane_flat": FlatLane("lane_flat", 200 * M, 1020 * M)}
    months = [
        ClientMonth(
            f"cli_{i:02d}",
            f"Client {i}",
            PlanTerms(PlanKind.FIXED, monthly_fee=Decimal("150.00")),
            [project("p", 0, 85 * M)],
            0,
            {"lane_flat": 85 * M},
        )
        for i in range(12)
    ]
    shares = flat_fee_shares(flat, {m.client_id: m.value_by_lane for m in months})
    clients = [client_profit(m, shares[m.client_id], "May 2026") for m in months]
    whole = book(clients, flat, 1020 * M)
    # $200 / 12 = 16.666666…: eight clients pay 16,666,667 and four 16,666,666, exactly $200.00 in all
    assert sorted(shares.values()) == [16_666_666] * 4 + [16_666_667] * 8
    assert sum(c["flat_fee_share_micros"] for c in clients) == 200 * M
    assert whole["revenue_micros"] == 1800 * M
    assert whole["flat_traffic_metered_micros"] == 1020 * M and whole["flat_fees_micros"] == 200 * M
    assert whole["flat_saving_micros"] == 820 * M
    assert whole["next_client_metered_micros"] == 85 * M
    assert whole["summary"].startswith("12 clients × $85.00 = $1,020.00 a month at metered prices; ")
    assert "would cost $1,020.00 metered against $200.00 in fees" in whole["summary"]
