"""Invoice drafts in the CSV layouts QuickBooks Online and Xero import as they are.

QuickBooks Online (Sales → Invoices → Import invoices) recognises its own column names and maps them without
manual mapping: InvoiceNo, Customer, InvoiceDate, DueDate, Terms, Memo, Item(Product/Service),
ItemDescription, ItemQuantity, ItemRate, ItemAmount, Service Date; dates as MM/DD/YYYY (US company files).
Xero's sales invoice import template: its columns in its order, mandatory ones marked `*`, one row per line
item with the invoice fields repeated, dates as DD/MM/YYYY, an account code and a tax rate name per line
(the workspace chooses them: they are names in its own Xero organisation).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from .invoice import InvoiceLine

QUICKBOOKS_COLUMNS: Final = (
    "InvoiceNo",
    "Customer",
    "InvoiceDate",
    "DueDate",
    "Terms",
    "Memo",
    "Item(Product/Service)",
    "ItemDescription",
    "ItemQuantity",
    "ItemRate",
    "ItemAmount",
    "Service Date",
)
XERO_COLUMNS: Final = (
    "*ContactName",
    "EmailAddress",
    "POAddressLine1",
    "POAddressLine2",
    "POAddressLine3",
    "POAddressLine4",
    "POCity",
    "PORegion",
    "POPostalCode",
    "POCountry",
    "*InvoiceNumber",
    "Reference",
    "*InvoiceDate",
    "*DueDate",
    "InventoryItemCode",
    "*Description",
    "*Quantity",
    "*UnitAmount",
    "Discount",
    "*AccountCode",
    "*TaxType",
    "TrackingName1",
    "TrackingOption1",
    "TrackingName2",
    "TrackingOption2",
    "Currency",
    "BrandingTheme",
)


@dataclass(frozen=True, slots=True)
class InvoiceHeader:
    number: str
    customer: str
    invoice_date: dt.date
    due_date: dt.date
    service_date: dt.date
    """The last day of the month billed."""
    terms: str
    memo: str
    currency: str = "USD"


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _quantity(value: Decimal) -> str:
    return f"{value.normalize():f}"


def quickbooks_rows(header: InvoiceHeader, lines: list[InvoiceLine]) -> list[list[str]]:
    """Header row, then one row per line; the invoice fields are repeated on each row."""
    us = "%m/%d/%Y"
    rows = [list(QUICKBOOKS_COLUMNS)]
    for line in lines:
        rows.append(
            [
                header.number,
                header.customer,
                header.invoice_date.strftime(us),
                header.due_date.strftime(us),
                header.terms,
                header.memo,
                line.item,
                line.description,
                _quantity(line.quantity),
                _money(line.unit_amount),
                _money(line.amount),
                header.service_date.strftime(us),
            ]
        )
    return rows


def xero_rows(header: InvoiceHeader, lines: list[InvoiceLine], account_code: str, tax_type: str) -> list[list[str]]:
    """Header row, then one row per line in Xero's template order."""
    day_first = "%d/%m/%Y"
    rows = [list(XERO_COLUMNS)]
    for line in lines:
        values: dict[str, Any] = {
            "*ContactName": header.customer,
            "*InvoiceNumber": header.number,
            "Reference": header.memo,
            "*InvoiceDate": header.invoice_date.strftime(day_first),
            "*DueDate": header.due_date.strftime(day_first),
            "InventoryItemCode": "",
            "*Description": f"{line.item}: {line.description}",
            "*Quantity": _quantity(line.quantity),
            "*UnitAmount": _money(line.unit_amount),
            "*AccountCode": account_code,
            "*TaxType": tax_type,
            "Currency": header.currency,
        }
        rows.append([str(values.get(column, "")) for column in XERO_COLUMNS])
    return rows
