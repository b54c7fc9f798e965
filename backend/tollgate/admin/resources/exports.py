"""/exports: CSV downloads, streamed row by row so a long range never sits in memory."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from typing import Any

import orjson
from flask import Response, stream_with_context
from sqlalchemy import select

from ...budgets.periods import Period, window, zone
from ...extensions import db
from ...models import Client
from ..auth import requires
from ..blueprint import admin_blueprint
from ..schemas.common import usd
from ..schemas.usage import CsvLogArgs, MonthArgs
from ..usage_sql import exact_money, grouped
from .usage import dialect, log_page, usage_filter, workspace_timezone

bp = admin_blueprint("exports", __name__, "CSV exports: the monthly client table and the raw request log.")

CHUNK = 2000
LOG_COLUMNS = (
    "created_at",
    "source",
    "ref",
    "client_id",
    "project_id",
    "key_id",
    "provider",
    "model",
    "lane_id",
    "endpoint",
    "status_code",
    "latency_ms",
    "input_tokens",
    "cached_input_tokens",
    "output_tokens",
    "reasoning_tokens",
    "images",
    "audio_ms",
)
_CSV_DOC = {"200": {"description": "CSV file", "content": {"text/csv": {"schema": {"type": "string"}}}}}


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula (CSV injection, OWASP) gets a leading apostrophe."""
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_STARTS) else value


def _csv(lines: Iterable[Iterable[Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for line in lines:
        writer.writerow([safe_cell(value) for value in line])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _download(lines: Iterable[Iterable[Any]], filename: str) -> Response:
    response = Response(stream_with_context(_csv(lines)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/exports/monthly.csv", methods=["GET"])
@requires("read", client=True)
@bp.arguments(MonthArgs, location="query")
@bp.doc(responses=_CSV_DOC)
def monthly_csv(args: dict[str, Any]) -> Response:
    """The month's table per client: Client, Requests, Tokens, Cost (USD), the requests and tokens of models
    with no known price (their cost is not in Cost), and the images generated and audio milliseconds transcribed."""
    year, month = (int(part) for part in args["month"].split("-"))
    tz_name = workspace_timezone()
    # The month as the workspace's calendar has it: from its local midnight of the 1st to the next one.
    month_window = window(Period.MONTHLY, dt.datetime(year, month, 15, 12, tzinfo=zone(tz_name)), tz_name)
    where = usage_filter({"start": month_window.start, "end": month_window.end})
    per_client = grouped(where, ["client"], dialect()).subquery()
    query = (
        select(Client.name, per_client)
        .join(Client, Client.id == per_client.c.client_id, isouter=True)
        .order_by(Client.name)
    )

    def lines() -> Iterator[list[Any]]:
        yield ["Client", "Requests", "Tokens", "Cost", "Unpriced requests", "Unpriced tokens", "Images", "Audio ms"]
        for row in map(exact_money, db.session.execute(query).mappings()):
            tokens = int(row["input_tokens"]) + int(row["output_tokens"])
            money = usd(int(row["cost_micros"]))
            unpriced = [int(row["unpriced_requests"]), int(row["unpriced_tokens"])]
            media = [int(row["images"]), int(row["audio_ms"])]
            yield [row["name"] or row["client_id"], row["requests"], tokens, money, *unpriced, *media]

    return _download(lines(), f"usage-{args['month']}.csv")


@bp.route("/exports/request-logs.csv", methods=["GET"])
@requires("read", client=True)
@bp.arguments(CsvLogArgs, location="query")
@bp.doc(responses=_CSV_DOC)
def request_logs_csv(args: dict[str, Any]) -> Response:
    """Every request and ingested event in the range, oldest last, streamed in chunks (keyset, not OFFSET)."""
    where = usage_filter(args)  # a foreign client id is a 404 here, not a broken stream after the 200

    def lines() -> Iterator[list[Any]]:
        yield [*LOG_COLUMNS, "cost_usd", "value_usd", "priced", "usage_estimated", "attempts"]
        cursor: str | None = None
        while True:
            rows, cursor = log_page(args, CHUNK, cursor, where)
            for row in rows:
                values = [row[c] for c in LOG_COLUMNS]
                values[0] = row["created_at"].isoformat()
                money = [usd(int(row["cost_micros"])), usd(int(row["value_micros"]))]
                attempts = orjson.dumps(row["attempts"]).decode() if row["attempts"] else ""  # JSON, as in the API
                yield [*values, *money, bool(row["priced"]), bool(row["usage_estimated"]), attempts]
            if cursor is None:
                return

    return _download(lines(), "request-logs.csv")
