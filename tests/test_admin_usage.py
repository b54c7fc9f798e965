"""Usage queries, burn rate, the request log, CSV exports, and usage-event ingestion beside gateway traffic."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

from flask import Flask
from sqlalchemy import select

from tests.admin_support import PROBLEM, AdminClient, Foreign, as_role, foreign, owner
from tests.conftest import Seeded
from tollgate.extensions import db
from tollgate.metering import prices
from tollgate.metering.usage import TokenUsage
from tollgate.models import RequestLog, Workspace
from tollgate.services import Services

__all__ = ["foreign", "owner"]

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def _log(
    app: Flask, workspace_id: str, client_id: str, n: int, cost: int, at: dt.datetime = NOW, model: str = "gpt-4o-mini"
) -> None:
    with app.app_context():
        for i in range(n):
            db.session.add(
                RequestLog(
                    request_id=f"req-{uuid.uuid4().hex}",  # request_logs.request_id is 40 characters
                    created_at=at - dt.timedelta(seconds=i),
                    workspace_id=workspace_id,
                    client_id=client_id,
                    key_id="key_x",
                    provider="openai",
                    lane_id="lane_x",
                    endpoint="chat",
                    model_requested=model,
                    model_served=model,
                    input_tokens=100,
                    output_tokens=50,
                    value_micros=cost,
                    cost_micros=cost,
                    priced=model != "acme-private-llm",
                    status_code=200 if i else 500,
                    latency_ms=10,
                )
            )
        db.session.commit()


def _ingest(owner: AdminClient, svc: Services, events: list[dict[str, object]]) -> None:
    response = owner.post("usage-events", json={"events": events})
    assert response.status_code == 202, response.get_json()
    assert svc.usage_writer.flush()


def test_usage_groups_and_totals_include_ingested_events(
    app: Flask, svc: Services, seeded: Seeded, owner: AdminClient, foreign: Foreign
) -> None:
    _log(app, seeded.workspace_id, seeded.client_id, 3, 1000)
    _log(app, seeded.workspace_id, seeded.other_client_id, 2, 250)
    _log(app, foreign.workspace_id, foreign.client_id, 5, 99)
    usage = {"prompt_tokens": 1000, "completion_tokens": 500, "prompt_tokens_details": {"cached_tokens": 200}}
    _ingest(
        owner,
        svc,
        [{"event_id": "e1", "timestamp": NOW.isoformat(), "client": "acme", "model": "gpt-4o-mini", "usage": usage}],
    )
    report = owner.get("usage", query_string={"group_by": "client,source"}).get_json()
    rows = {(r["client_id"], r["source"]): r for r in report["data"]}
    assert set(rows) == {
        (seeded.client_id, "gateway"),
        (seeded.client_id, "ingested"),
        (seeded.other_client_id, "gateway"),
    }
    expected = prices.value_micros(TokenUsage(1000, 200, 500), "gpt-4o-mini", "openai")
    assert expected and rows[(seeded.client_id, "ingested")]["cost_micros"] == expected
    assert rows[(seeded.client_id, "ingested")]["cached_input_tokens"] == 200
    assert rows[(seeded.client_id, "gateway")]["cost_micros"] == 3000
    assert rows[(seeded.client_id, "gateway")]["cost_usd"] == "0.003000"
    assert report["totals"]["requests"] == 6 and report["totals"]["cost_micros"] == 3500 + expected
    days = owner.get("usage", query_string={"group_by": "day", "client_id": seeded.client_id}).get_json()["data"]
    assert [d["day"] for d in days] == [NOW.strftime("%Y-%m-%d")] or len(days) == 2  # may straddle midnight
    bad = owner.get("usage", query_string={"group_by": "planet"})
    assert bad.status_code == 422 and bad.mimetype == PROBLEM
    # the README's form (repeated, as requests, n8n and Make send a list) groups like the comma-separated one
    repeated = owner.get("usage?group_by=client&group_by=source").get_json()
    assert repeated["group_by"] == ["client", "source"] and repeated["data"] == report["data"]
    mixed = owner.get("usage?group_by=client,source&group_by=model").get_json()
    assert mixed["group_by"] == ["client", "source", "model"]


def test_ingestion_is_idempotent_and_uses_overrides(svc: Services, owner: AdminClient, seeded: Seeded) -> None:
    owner.post("price-overrides", json={"model": "acme-llm", "input_mtok_micros": 1_000_000, "output_mtok_micros": 0})
    event = {
        "event_id": "same",
        "timestamp": NOW.isoformat(),
        "client": seeded.client_id,
        "project": "support-triage",
        "model": "acme-llm",
        "input_tokens": 2_000_000,
    }
    _ingest(owner, svc, [event])
    _ingest(owner, svc, [event | {"input_tokens": 5}])
    logs = owner.get("request-logs", query_string={"source": "ingested"}).get_json()["data"]
    assert len(logs) == 1
    assert logs[0]["cost_micros"] == 2_000_000 and logs[0]["cost_usd"] == "2.000000"
    assert logs[0]["project_id"] == seeded.project_id and logs[0]["id"] == "same"


def test_ingestion_validation(owner: AdminClient, foreign: Foreign) -> None:
    base = {"event_id": "x", "timestamp": NOW.isoformat(), "client": "acme", "model": "m"}
    unknown = owner.post("usage-events", json={"events": [base, base | {"client": foreign.client_id}]})
    assert unknown.status_code == 404 and "1" in unknown.get_json()["errors"]["events"]
    garbage = owner.post("usage-events", json={"events": [base | {"usage": {"foo": 1}, "input_tokens": -1}]})
    assert garbage.status_code == 422
    assert owner.post("usage-events", json={"events": []}).status_code == 422


def test_request_log_filters_and_pagination(app: Flask, seeded: Seeded, owner: AdminClient) -> None:
    _log(app, seeded.workspace_id, seeded.client_id, 5, 10)
    seen, cursor = [], None
    while True:
        query = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = owner.get("request-logs", query_string=query).get_json()
        seen += [r["id"] for r in page["data"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 5
    errors = owner.get("request-logs", query_string={"status": "error"}).get_json()["data"]
    assert len(errors) == 1 and errors[0]["status_code"] == 500
    old = owner.get("request-logs", query_string={"to": (NOW - dt.timedelta(days=1)).isoformat()}).get_json()
    assert old["data"] == []


def test_burn_rate_per_client(app: Flask, seeded: Seeded, owner: AdminClient) -> None:
    _log(app, seeded.workspace_id, seeded.client_id, 3, 7_000_000)
    rows = owner.get("usage/burn-rate", query_string={"days": 7}).get_json()["data"]
    assert rows[0]["client_id"] == seeded.client_id and rows[0]["client_name"] == "Acme Co"
    assert rows[0]["daily_cost_micros"] == 3_000_000 and rows[0]["daily_cost_usd"] == "3.000000"


def test_client_token_sees_only_its_usage(app: Flask, svc: Services, seeded: Seeded) -> None:
    _log(app, seeded.workspace_id, seeded.client_id, 1, 1)
    _log(app, seeded.workspace_id, seeded.other_client_id, 1, 1)
    portal = as_role(app, svc, seeded, "client")
    rows = portal.get("usage", query_string={"group_by": "client"}).get_json()["data"]
    assert [r["client_id"] for r in rows] == [seeded.client_id]
    assert portal.get("usage", query_string={"client_id": seeded.other_client_id}).status_code == 404
    logs = portal.get("request-logs").get_json()["data"]
    assert {r["client_id"] for r in logs} == {seeded.client_id}
    # the CSV is streamed: another client's id must be refused before the 200 and the first byte
    other = portal.get("exports/request-logs.csv", query_string={"client_id": seeded.other_client_id})
    assert other.status_code == 404 and other.mimetype == PROBLEM
    own = portal.get("exports/request-logs.csv", query_string={"client_id": seeded.client_id}).text
    assert len(own.splitlines()) == 2


def test_csv_exports(app: Flask, svc: Services, seeded: Seeded, owner: AdminClient) -> None:
    _log(app, seeded.workspace_id, seeded.client_id, 3, 1_500_000)
    _ingest(owner, svc, [{"event_id": "csv1", "timestamp": NOW.isoformat(), "client": "globex", "model": "x"}])
    monthly = owner.get("exports/monthly.csv", query_string={"month": NOW.strftime("%Y-%m")})
    assert monthly.status_code == 200 and monthly.mimetype == "text/csv"
    table = list(csv.reader(io.StringIO(monthly.get_data(as_text=True))))
    assert table[0] == [
        "Client", "Requests", "Tokens", "Cost", "Unpriced requests", "Unpriced tokens", "Images", "Audio ms"
    ]  # fmt: skip
    assert ["Acme Co", "3", "450", "4.500000", "0", "0", "0", "0"] in table
    assert any(row[0] == "Globex" and row[1] == "1" for row in table)
    raw = owner.get("exports/request-logs.csv")
    assert raw.is_streamed
    lines = list(csv.DictReader(io.StringIO(raw.get_data(as_text=True))))
    assert len(lines) == 4 and {line["source"] for line in lines} == {"gateway", "ingested"}
    assert owner.get("exports/monthly.csv", query_string={"month": "2026-13"}).status_code == 422


def test_images_and_audio_in_usage_and_exports(app: Flask, seeded: Seeded, owner: AdminClient) -> None:
    """The media counts of the log rows (images generated, audio transcribed) add up in /usage totals and
    series, and appear per row in /request-logs and both CSV exports, agreeing with the rows."""
    _log(app, seeded.workspace_id, seeded.client_id, 2, 1000)
    with app.app_context():
        rows = db.session.scalars(select(RequestLog).order_by(RequestLog.id)).all()
        rows[0].images, rows[1].audio_ms = 3, 61_500
        refs = [row.request_id for row in rows]
        db.session.commit()
    report = owner.get("usage", query_string={"group_by": "day"}).get_json()
    assert (report["totals"]["images"], report["totals"]["audio_ms"]) == (3, 61_500)
    assert sum(r["images"] for r in report["data"]) == 3 and sum(r["audio_ms"] for r in report["data"]) == 61_500
    logged = {r["id"]: (r["images"], r["audio_ms"]) for r in owner.get("request-logs").get_json()["data"]}
    assert logged == {refs[0]: (3, 0), refs[1]: (0, 61_500)}
    raw = owner.get("exports/request-logs.csv").get_data(as_text=True)
    assert {r["ref"]: (r["images"], r["audio_ms"]) for r in csv.DictReader(io.StringIO(raw))} == {
        ref: (str(images), str(audio)) for ref, (images, audio) in logged.items()
    }
    monthly = owner.get("exports/monthly.csv", query_string={"month": NOW.strftime("%Y-%m")}).get_data(as_text=True)
    [acme] = [r for r in csv.DictReader(io.StringIO(monthly)) if r["Client"] == "Acme Co"]
    assert (acme["Images"], acme["Audio ms"]) == ("3", "61500")


def test_large_csv_export_streams_in_chunks(app: Flask, seeded: Seeded, owner: AdminClient) -> None:
    from tollgate.admin.resources import exports

    _log(app, seeded.workspace_id, seeded.client_id, 25, 1)
    original = exports.CHUNK
    exports.CHUNK = 7
    try:
        raw = owner.get("exports/request-logs.csv").get_data(as_text=True)
    finally:
        exports.CHUNK = original
    rows = list(csv.DictReader(io.StringIO(raw)))
    assert len(rows) == len({r["ref"] for r in rows}) == 25


def _at(app: Flask, seeded: Seeded, *moments: str) -> None:
    """One gateway row of cost 1 at each UTC moment."""
    for moment in moments:
        _log(app, seeded.workspace_id, seeded.client_id, 1, 1, dt.datetime.fromisoformat(moment))


def _set_timezone(app: Flask, workspace_id: str, name: str) -> None:
    with app.app_context():
        workspace = db.session.get(Workspace, workspace_id)
        assert workspace is not None
        workspace.timezone = name
        db.session.commit()


def test_days_are_the_workspace_calendar_days_across_dst(app: Flask, seeded: Seeded, owner: AdminClient) -> None:
    """New York: EST (UTC-5) until 2026-03-08 07:00 UTC, EDT (UTC-4) until 2026-11-01 06:00 UTC. Rows a second
    either side of local midnights, on a 23-hour and a 25-hour day; UTC days would group them differently."""
    _set_timezone(app, seeded.workspace_id, "America/New_York")
    _at(
        app,
        seeded,
        "2026-03-07T04:59:59+00:00",  # 03-06 23:59:59 EST
        "2026-03-07T05:00:00+00:00",  # 03-07 00:00:00 EST
        "2026-03-08T04:59:59+00:00",  # 03-07 23:59:59 EST
        "2026-03-08T05:00:00+00:00",  # 03-08 00:00:00 EST (a 23-hour day)
        "2026-03-08T07:30:00+00:00",  # 03-08 03:30:00 EDT
        "2026-03-09T03:59:59+00:00",  # 03-08 23:59:59 EDT
        "2026-03-09T04:00:00+00:00",  # 03-09 00:00:00 EDT
        "2026-11-01T04:30:00+00:00",  # 11-01 00:30:00 EDT (a 25-hour day)
        "2026-11-02T04:30:00+00:00",  # 11-01 23:30:00 EST
        "2026-11-02T05:00:00+00:00",  # 11-02 00:00:00 EST
    )
    query = {"group_by": "day", "from": "2026-03-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"}
    days = {d["day"]: d["requests"] for d in owner.get("usage", query_string=query).get_json()["data"]}
    assert days == {
        "2026-03-06": 1,
        "2026-03-07": 2,
        "2026-03-08": 3,
        "2026-03-09": 1,
        "2026-11-01": 2,
        "2026-11-02": 1,
    }
    _set_timezone(app, seeded.workspace_id, "UTC")
    days = {d["day"]: d["requests"] for d in owner.get("usage", query_string=query).get_json()["data"]}
    assert days == {"2026-03-07": 2, "2026-03-08": 3, "2026-03-09": 2, "2026-11-01": 1, "2026-11-02": 2}


def test_half_hour_zone_days_and_paging(app: Flask, seeded: Seeded, owner: AdminClient) -> None:
    """Asia/Kolkata (UTC+5:30, no DST): local midnight is 18:30 UTC the day before; pages of one day each."""
    _set_timezone(app, seeded.workspace_id, "Asia/Kolkata")
    _at(app, seeded, "2026-05-01T18:29:59+00:00", "2026-05-01T18:30:00+00:00", "2026-05-02T18:29:00+00:00")
    query = {"group_by": "day,client", "from": "2026-05-01T00:00:00Z", "to": "2026-05-03T00:00:00Z", "limit": 1}
    first = owner.get("usage", query_string=query).get_json()
    second = owner.get("usage", query_string=query | {"cursor": first["next_cursor"]}).get_json()
    assert [(r["day"], r["requests"]) for r in first["data"] + second["data"]] == [("2026-05-01", 1), ("2026-05-02", 2)]
    assert second["next_cursor"] is None and second["totals"]["requests"] == 3


def test_monthly_csv_uses_the_workspace_months(app: Flask, seeded: Seeded, owner: AdminClient) -> None:
    _set_timezone(app, seeded.workspace_id, "America/New_York")
    _at(
        app,
        seeded,
        "2026-03-01T04:59:00+00:00",  # 02-28 23:59 EST: February
        "2026-03-01T05:00:00+00:00",  # 03-01 00:00 EST: March
        "2026-04-01T03:59:00+00:00",  # 03-31 23:59 EDT: March
        "2026-04-01T04:00:00+00:00",  # 04-01 00:00 EDT: April
    )
    for month, requests in (("2026-02", "1"), ("2026-03", "2"), ("2026-04", "1")):
        table = list(csv.reader(io.StringIO(owner.get("exports/monthly.csv", query_string={"month": month}).text)))
        assert table[1][:2] == ["Acme Co", requests], month


def test_burn_rate_window_is_calendar_days_in_the_workspace_zone() -> None:
    from tollgate.admin.resources.usage import burn_window

    now = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)  # 08:00 EDT; a week before, 08:00 EST was 13:00 UTC
    window = burn_window(7, "America/New_York", now)
    assert window == {"start": dt.datetime(2026, 3, 3, 13, 0, tzinfo=dt.UTC), "end": now}
    assert burn_window(7, "UTC", now)["start"] == now - dt.timedelta(days=7)


def test_request_log_shows_attribution_and_why_a_call_failed(
    app: Flask, svc: Services, seeded: Seeded, owner: AdminClient
) -> None:
    """What the gateway attributed (end user, metadata, project) and why a request failed (error code: a budget,
    a rate limit and an upstream 429 are all 429s) must be readable through the API, not only in the database."""
    gateway = app.test_client()
    headers = {"Authorization": f"Bearer {seeded.key}", "X-Project-ID": seeded.project_id}
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "user": "end-user-42"}
    ok = gateway.post("/v1/chat/completions", json=body | {"metadata": {"flow": "triage"}}, headers=headers)
    assert ok.status_code == 200
    refused = gateway.post("/v1/chat/completions", json={"messages": []}, headers=headers)
    assert refused.status_code == 400
    assert svc.log_writer.flush()
    by_id = {row["id"]: row for row in owner.get("request-logs").get_json()["data"]}
    served = by_id[ok.headers["x-request-id"]]
    assert (served["end_user"], served["metadata"], served["project_id"]) == (
        "end-user-42",
        {"flow": "triage"},
        seeded.project_id,
    )
    assert served["model_requested"] == "gpt-4o-mini" and served["error_code"] is None
    assert isinstance(served["ttfb_ms"], int)
    failed = by_id[refused.headers["x-request-id"]]
    assert (failed["status_code"], failed["error_code"]) == (400, "missing_model")


def test_csv_cells_cannot_smuggle_spreadsheet_formulas(app: Flask, svc: Services, seeded: Seeded) -> None:
    """A client token reports its own usage events; their model and provider strings end up in the agency's
    CSV: a cell that would start a formula in Excel/Sheets is prefixed with an apostrophe."""
    portal = as_role(app, svc, seeded, "client")
    formula = '=HYPERLINK("https://evil.example","open")'
    event = {"event_id": "f1", "timestamp": NOW.isoformat(), "client": seeded.client_id, "model": formula}
    _ingest(portal, svc, [event | {"provider": "@sum"}])
    raw = portal.get("exports/request-logs.csv").get_data(as_text=True)
    (row,) = list(csv.DictReader(io.StringIO(raw)))
    assert row["model"] == "'" + formula and row["provider"] == "'@sum"
    assert row["cost_usd"] == "0.000000" and row["input_tokens"] == "0"


def test_a_mistyped_query_parameter_is_an_error_not_an_unfiltered_answer(app: Flask, seeded: Seeded) -> None:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {seeded.admin_token}"}
    resp = client.get("/api/v1/usage?client=acme", headers=headers)
    assert resp.status_code == 422
    assert resp.content_type.startswith("application/problem+json")
    assert "client" in str(resp.get_json().get("errors"))
    assert client.get(f"/api/v1/usage?client_id={seeded.client_id}", headers=headers).status_code == 200


def test_unpriced_requests_are_counted_apart_not_added_as_zero(app: Flask, seeded: Seeded, owner: AdminClient) -> None:
    _log(app, seeded.workspace_id, seeded.client_id, 2, 1000)
    _log(app, seeded.workspace_id, seeded.client_id, 3, 0, model="acme-private-llm")
    report = owner.get("usage", query_string={"group_by": "model"}).get_json()
    by_model = {row["model"]: row for row in report["data"]}
    assert (by_model["acme-private-llm"]["unpriced_requests"], by_model["acme-private-llm"]["unpriced_tokens"]) == (
        3,
        450,
    )
    assert (by_model["gpt-4o-mini"]["unpriced_requests"], by_model["gpt-4o-mini"]["unpriced_tokens"]) == (0, 0)
    totals = report["totals"]
    assert (totals["requests"], totals["cost_micros"]) == (5, 2000)
    assert (totals["unpriced_requests"], totals["unpriced_tokens"]) == (3, 450)
    table = list(
        csv.reader(io.StringIO(owner.get("exports/monthly.csv", query_string={"month": NOW.strftime("%Y-%m")}).text))
    )
    assert ["Acme Co", "5", "750", "0.002000", "3", "450", "0", "0"] in table
    lines = list(csv.DictReader(io.StringIO(owner.get("exports/request-logs.csv").text)))
    assert sorted(line["priced"] for line in lines) == ["False"] * 3 + ["True"] * 2
