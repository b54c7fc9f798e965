"""Billing arithmetic without a server: the issue's exact invoices, the rounding rule, every retainer preset."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tollgate.billing.exports import QUICKBOOKS_COLUMNS, XERO_COLUMNS, InvoiceHeader, quickbooks_rows, xero_rows
from tollgate.billing.invoice import ProjectUsage, draft_invoice
from tollgate.billing.money import cents, micros_to_cents, percent_of
from tollgate.billing.plans import PRESETS, PlanKind, PlanTerms, UsageBasis, treatment

COST_PLUS_30 = PlanTerms(PlanKind.COST_PLUS, markup_percent=Decimal("30"))


def usage(name: str | None, dollars: str, tokens: int = 1000) -> ProjectUsage:
    micros = int(Decimal(dollars) * 1_000_000)
    return ProjectUsage(name, cost_micros=micros, value_micros=micros * 2, tokens=tokens)


def test_three_projects_cost_plus_30_percent() -> None:
    draft = draft_invoice(
        COST_PLUS_30,
        [usage("support-chatbot", "12.34"), usage("content-generator", "8.76"), usage("lead-qualification", "4.21")],
        "May 2026",
    )
    amounts = [(line.description.split(":")[0], line.amount) for line in draft.lines]
    assert amounts == [
        ("content-generator", Decimal("8.76")),
        ("lead-qualification", Decimal("4.21")),
        ("support-chatbot", Decimal("12.34")),
        ("Markup 30% on $25.31", Decimal("7.59")),
    ]
    assert draft.usage_subtotal == Decimal("25.31")
    assert draft.total == Decimal("32.90")


@pytest.mark.parametrize(
    ("usage_usd", "markup", "total"),
    [("127.43", "38.23", "165.66"), ("31.42", "9.43", "40.85"), ("25.31", "7.59", "32.90")],
)
def test_single_line_cost_plus(usage_usd: str, markup: str, total: str) -> None:
    draft = draft_invoice(COST_PLUS_30, [usage("AI usage", usage_usd)], "May 2026")
    assert draft.lines[-1].amount == Decimal(markup)
    assert draft.total == Decimal(total)


def test_rounding_is_half_up_to_the_cent_on_printed_amounts() -> None:
    assert micros_to_cents(12_344_999) == Decimal("12.34")
    assert micros_to_cents(12_345_000) == Decimal("12.35")  # half-even would give 12.34
    assert percent_of(Decimal("0.15"), Decimal("30")) == Decimal("0.05")  # 0.045: half-even would give 0.04
    assert cents(Decimal("2.675")) == Decimal("2.68")
    # Lines are rounded before they are summed: 3 × $0.004 bills $0.00 + $0.00 + $0.00, not $0.01.
    draft = draft_invoice(PlanTerms(PlanKind.PASS_THROUGH), [usage(f"p{i}", "0.004") for i in range(3)], "May")
    assert draft.total == Decimal("0.00")
    assert sum(line.amount for line in draft.lines) == draft.total


def test_pass_through_by_value_bills_the_list_value() -> None:
    terms = PlanTerms(PlanKind.PASS_THROUGH, usage_basis=UsageBasis.VALUE)
    draft = draft_invoice(terms, [usage("a", "1.005"), usage(None, "2.00")], "May 2026")
    assert [line.amount for line in draft.lines] == [Decimal("2.01"), Decimal("4.00")]  # unattributed last
    assert draft.lines[-1].description.startswith("Other usage (no project)")
    assert draft.total == Decimal("6.01")


@pytest.mark.parametrize(
    ("preset", "tokens", "overage_tokens", "overage_usd", "total"),
    [
        ("starter", 1_999_999, 0, None, "500.00"),
        ("starter", 2_000_000, 0, None, "500.00"),
        ("starter", 2_500_000, 500_000, "30.00", "530.00"),
        ("starter", 3_000_001, 1_000_001, "60.00", "560.00"),  # 60.00006 → 60.00
        ("growth", 5_123_457, 123_457, "7.41", "1207.41"),  # 7.40742 → 7.41
        ("growth", 7_000_000, 2_000_000, "120.00", "1320.00"),
        ("pro", 12_000_001, 1, "0.00", "2500.00"),  # 0.00006 → 0.00
        ("pro", 12_008_334, 8_334, "0.50", "2500.50"),  # 0.50004 → 0.50
        ("pro", 12_008_250, 8_250, "0.50", "2500.50"),  # 0.495 exactly → 0.50 (half-up)
    ],
)
def test_retainer_presets_overage(
    preset: str, tokens: int, overage_tokens: int, overage_usd: str | None, total: str
) -> None:
    terms = PlanTerms.from_preset(preset)
    half = tokens // 2
    draft = draft_invoice(terms, [usage("a", "9.99", half), usage("b", "1.00", tokens - half)], "May 2026")
    assert draft.lines[0].amount == PRESETS[preset].monthly_fee
    assert draft.lines[0].description == f"{PRESETS[preset].label} retainer, May 2026"
    assert [line.amount for line in draft.lines[1:3]] == [Decimal("0.00"), Decimal("0.00")]
    assert draft.overage_tokens == overage_tokens
    if overage_usd is None:
        assert len(draft.lines) == 3
    else:
        assert draft.lines[3].amount == Decimal(overage_usd)
        assert f"{overage_tokens:,} tokens over" in draft.lines[3].description
    assert draft.total == Decimal(total)


def test_byok_and_fixed_bill_the_fee_only() -> None:
    for kind in (PlanKind.BYOK, PlanKind.FIXED):
        draft = draft_invoice(PlanTerms(kind, monthly_fee=Decimal("150.00")), [usage("a", "99.99")], "May 2026")
        assert [line.amount for line in draft.lines] == [Decimal("150.00"), Decimal("0.00")]
        assert draft.total == Decimal("150.00")


def test_missing_terms_are_named() -> None:
    assert PlanTerms(PlanKind.COST_PLUS).problems() == {"markup_percent": "Required for a cost_plus plan."}
    assert set(PlanTerms(PlanKind.RETAINER).problems()) == {"monthly_fee", "included_tokens", "overage_per_mtok"}
    assert PlanTerms.from_preset("growth").problems() == {}


def test_billing_treatment_wording() -> None:
    assert treatment(COST_PLUS_30) == "cost plus 30%"
    assert treatment(PlanTerms(PlanKind.COST_PLUS, markup_percent=Decimal("12.50"))) == "cost plus 12.5%"
    assert treatment(PlanTerms.from_preset("pro")) == "included in retainer"
    assert treatment(PlanTerms(PlanKind.PASS_THROUGH)) == "passed through at cost"
    assert treatment(PlanTerms(PlanKind.BYOK, monthly_fee=Decimal(1))) == "billed to the client's own provider account"
    assert treatment(None) == "no billing plan"


def _header() -> InvoiceHeader:
    return InvoiceHeader(
        number="202605-001",
        customer="Acme Co",
        invoice_date=dt.date(2026, 6, 1),
        due_date=dt.date(2026, 7, 1),
        service_date=dt.date(2026, 5, 31),
        terms="Net 30",
        memo="AI usage, May 2026",
    )


def test_quickbooks_rows() -> None:
    draft = draft_invoice(COST_PLUS_30, [usage("support-chatbot", "12.34")], "May 2026")
    rows = quickbooks_rows(_header(), draft.lines)
    assert rows[0] == list(QUICKBOOKS_COLUMNS)
    assert rows[1] == [
        "202605-001",
        "Acme Co",
        "06/01/2026",
        "07/01/2026",
        "Net 30",
        "AI usage, May 2026",
        "AI usage",
        "support-chatbot: AI usage, May 2026 (1,000 tokens)",
        "1",
        "12.34",
        "12.34",
        "05/31/2026",
    ]
    assert rows[2][6:11] == ["AI usage markup", "Markup 30% on $12.34", "1", "3.70", "3.70"]


def test_xero_rows() -> None:
    draft = draft_invoice(COST_PLUS_30, [usage("support-chatbot", "12.34")], "May 2026")
    rows = xero_rows(_header(), draft.lines, "200", "Tax Exempt")
    assert rows[0] == list(XERO_COLUMNS)
    line = dict(zip(rows[0], rows[1], strict=True))
    assert line["*ContactName"] == "Acme Co"
    assert line["*InvoiceNumber"] == "202605-001"
    assert (line["*InvoiceDate"], line["*DueDate"]) == ("01/06/2026", "01/07/2026")
    assert (line["*Quantity"], line["*UnitAmount"]) == ("1", "12.34")
    assert (line["*AccountCode"], line["*TaxType"], line["Currency"]) == ("200", "Tax Exempt", "USD")
    assert sum(Decimal(r[rows[0].index("*UnitAmount")]) for r in rows[1:]) == draft.total
