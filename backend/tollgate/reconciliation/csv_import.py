"""Reading a provider's cost export (CSV) into report lines, or saying exactly why a file does not fit.

Recognised headers (case-insensitive, any order, other columns ignored):

- day: `start_time_iso`, `start_time` (ISO 8601 or Unix seconds), `usage_date_utc` or `date`;
- model: `model`, else `line_item` ("gpt-4o-mini, input" → "gpt-4o-mini", as OpenAI's cost export and API
  name line items);
- amount in USD: `amount_value` (OpenAI's cost export, with `amount_currency`), `cost_usd` (Anthropic's
  console cost export) or `cost`; a `currency`/`amount_currency` column other than USD is refused.

Amounts are read as Decimal from the text (never float). One bad line rejects the whole file, with up to
`MAX_ERRORS` line-numbered reasons: a half-imported month would reconcile wrong and look right.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal, InvalidOperation

from .compare import ProviderLine
from .provider_api import UNATTRIBUTED, openai_model

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 200_000
MAX_ERRORS = 10
DAY_COLUMNS = ("start_time_iso", "usage_date_utc", "start_time", "date")
MODEL_COLUMNS = ("model", "line_item")
AMOUNT_COLUMNS = ("amount_value", "cost_usd", "cost")
CURRENCY_COLUMNS = ("amount_currency", "currency")


class CsvRejected(Exception):
    """The file does not fit: `errors` maps a field (`file`, `header`, `line 7`) to reasons."""

    def __init__(self, message: str, errors: dict[str, list[str]]) -> None:
        super().__init__(message)
        self.errors = errors


def parse_costs(data: bytes) -> list[ProviderLine]:
    """Every cost line of the file (the caller picks the days it compares: an export often covers more)."""
    if len(data) > MAX_BYTES:
        raise CsvRejected("The CSV file is too large.", {"file": [f"At most {MAX_BYTES} bytes."]})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvRejected("The CSV file is not UTF-8 text.", {"file": [f"Invalid UTF-8 at byte {exc.start}."]}) from exc
    if "\x00" in text:
        raise CsvRejected("The CSV file contains NUL characters.", {"file": ["Contains NUL (U+0000)."]})
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header or not any(cell.strip() for cell in header):
        raise CsvRejected("The CSV file is empty.", {"file": ["No header line."]})
    names = [cell.strip().lower() for cell in header]
    columns = {
        "day": _pick(names, DAY_COLUMNS),
        "model": _pick(names, MODEL_COLUMNS),
        "amount": _pick(names, AMOUNT_COLUMNS),
    }
    missing = [what for what, index in columns.items() if index is None]
    if missing:
        expected = {"day": DAY_COLUMNS, "model": MODEL_COLUMNS, "amount": AMOUNT_COLUMNS}
        reasons = [f"No {what} column: expected one of {', '.join(expected[what])}." for what in missing]
        raise CsvRejected("The CSV file is not a cost export this API reads: " + " ".join(reasons), {"header": reasons})
    currency = _pick(names, CURRENCY_COLUMNS)
    lines: list[ProviderLine] = []
    errors: dict[str, list[str]] = {}
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if number - 1 > MAX_ROWS:
            raise CsvRejected("The CSV file has too many lines.", {"file": [f"At most {MAX_ROWS} lines."]})
        try:
            line = _line(cells, columns, currency, len(names))
        except ValueError as exc:
            if len(errors) < MAX_ERRORS:
                errors[f"line {number}"] = [str(exc)]
            else:
                break
            continue
        lines.append(line)
    if errors:
        raise CsvRejected(f"The CSV file has lines that cannot be read ({len(errors)} shown).", errors)
    return lines


def _pick(names: list[str], choices: tuple[str, ...]) -> int | None:
    for choice in choices:
        if choice in names:
            return names.index(choice)
    return None


def _line(cells: list[str], columns: dict[str, int | None], currency: int | None, width: int) -> ProviderLine:
    if len(cells) != width:
        raise ValueError(f"Has {len(cells)} fields; the header has {width}.")
    day_index, model_index, amount_index = columns["day"], columns["model"], columns["amount"]
    assert day_index is not None and model_index is not None and amount_index is not None
    if currency is not None and cells[currency].strip() and cells[currency].strip().upper() != "USD":
        raise ValueError(f"Currency '{cells[currency].strip()}': only USD can be reconciled.")
    raw_model = cells[model_index].strip()
    model = openai_model(raw_model) if raw_model else UNATTRIBUTED
    return ProviderLine(_day(cells[day_index].strip()), model, _amount(cells[amount_index].strip()))


def _day(text: str) -> dt.date:
    if text.isdigit():
        return dt.datetime.fromtimestamp(int(text), dt.UTC).date()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        at = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"Day '{text[:40]}' is not a date (YYYY-MM-DD), an ISO 8601 time or Unix seconds.") from None
    return (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).date()


def _amount(text: str) -> Decimal:
    cleaned = text.removeprefix("$").strip()
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"Amount '{text[:40]}' is not a number.") from None
    if not amount.is_finite():
        raise ValueError(f"Amount '{text[:40]}' is not a finite number.")
    return amount
