"""The hot path for /v1/<operation>, one step per function:

authenticate → parse → attribute → admit → route → prepare → call (falling through lanes) → respond or
stream → log. Every request that gets past authentication leaves exactly one log record, whatever exit it
takes (error, upstream failure, client disconnect mid-stream), and the request thread never waits for it.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import orjson
from flask import Response, request
from werkzeug.exceptions import RequestEntityTooLarge

from ..budgets.ledger import Ask, estimated_usage
from ..byok.guides import purpose_of
from ..byok.service import on_provider_rejected
from ..extensions import db
from ..metering.record import RequestRecord
from ..services import Services, services
from ..vault.scrub import scrub
from . import errors
from .attribution import attribute
from .context import KeyContext, LaneTarget
from .endpoints import CONVERSATION, ENDPOINTS, RESPONSE, Endpoint
from .errors import GatewayError
from .providers import get_provider
from .providers.base import Operation, StreamState
from .sse import relay
from .upstream import UpstreamPools, UpstreamResponse, UpstreamTimeout, UpstreamUnreachable

_FALL_THROUGH = frozenset({401, 403, 408, 409, 429})
_PASS_HEADERS = ("openai-processing-ms", "openai-version")


def new_request_id() -> str:
    """96 random bits: unique, not secret. `random` reseeds in each forked worker and, unlike os.urandom,
    costs no system call (measured at ~80 µs per call on this machine kind)."""
    return f"req_{random.getrandbits(96):024x}"


def handle(operation: str, *ids: str) -> Response:
    """Serve one request of `operation` (see endpoints.py); `ids` name the stored object (and item) it addresses."""
    svc = services()
    started = time.perf_counter()
    request_id = new_request_id()
    ctx = svc.keys.resolve(request.headers.get("Authorization"), lambda: db.session)
    if isinstance(ctx, GatewayError):
        return ctx.response(request_id)
    record = RequestRecord(
        request_id=request_id,
        created_at=dt.datetime.now(dt.UTC),
        workspace_id=ctx.workspace_id,
        client_id=ctx.client_id,
        project_id=ctx.project_id,
        key_id=ctx.key_id,
        endpoint=operation,
        overrides=ctx.limits.overrides,  # the set admission prices with: the log and settle use it too
    )
    outcome = _proxy(svc, ctx, ENDPOINTS[operation], ids, record, started)
    if isinstance(outcome, GatewayError):
        record.status_code = outcome.status
        record.error_code = outcome.code
        _finish(svc, record, started)
        return outcome.response(request_id)
    return outcome


def _proxy(
    svc: Services, ctx: KeyContext, endpoint: Endpoint, ids: tuple[str, ...], record: RequestRecord, started: float
) -> Response | GatewayError:
    body_or_error = _parse_body(svc.settings.max_body_bytes, endpoint)
    if isinstance(body_or_error, GatewayError):
        return body_or_error
    raw, body = body_or_error
    model = body.get("model") if endpoint.model != "none" else None
    if model is None and endpoint.model == "optional":
        model = endpoint.default_model
    if endpoint.model != "none" and (not isinstance(model, str) or not model):
        return errors.bad_request("You must provide a model parameter.", "model", "missing_model")
    stream = body.get("stream") is True if endpoint.json_body else request.args.get("stream") == "true"
    record.model_requested = model
    record.stream = stream

    who = attribute(ctx, request.headers, body)
    if isinstance(who, GatewayError):
        return who
    record.project_id, record.end_user, record.metadata = who.project_id, who.end_user, who.metadata

    if model is not None and not ctx.may_use(model):
        return errors.model_not_allowed(model)
    lanes = _route(svc, ctx, endpoint, ids, model, body)
    if isinstance(lanes, GatewayError):
        return lanes

    providers = tuple(sorted({lane.provider for lane in lanes}))
    background = body.get("background") is True and endpoint.creates == RESPONSE
    ask = Ask(endpoint.name, model or "", body, raw, providers, who.project_id, endpoint.free, background)
    held = svc.ledger.admit(ctx, ask, record.request_id)
    if isinstance(held, GatewayError):  # over a budget or a rate limit; `_finish` settles whatever was held
        return held

    tried: list[LaneTarget] = []
    called = _call_lanes(svc.upstreams, lanes, endpoint.name, ids, body, raw, stream, tried)
    if isinstance(called, GatewayError):
        if tried:  # the log names the lane whose failure the caller sees
            record.lane_id, record.provider, record.lane_payment = tried[-1].id, tried[-1].provider, tried[-1].payment
        return called
    lane, op, state, upstream = called
    record.lane_id, record.provider, record.lane_payment = lane.id, lane.provider, lane.payment
    record.ttfb_ms = _ms_since(started)
    if stream and upstream.status == 200:
        response: Response | GatewayError = _stream_response(svc, lane, op, state, upstream, record, started, ask)
    else:
        response = _plain_response(svc, lane, op, state, upstream, record, started, ask)
    if isinstance(response, Response):
        response.headers.extend(held.headers)  # x-ratelimit-*
    return response


def _route(
    svc: Services, ctx: KeyContext, endpoint: Endpoint, ids: tuple[str, ...], model: str | None, body: dict[str, Any]
) -> list[LaneTarget] | GatewayError:
    """The lanes that may serve the call, in policy order: the one that created the addressed object (its owner
    only), else those serving the model (a response continuing a known response or conversation stays on its
    lane), else every lane (the provider decides whether it offers the operation)."""
    purpose = purpose_of(endpoint.name)
    pool = ctx.lanes_for(purpose)  # the client's own keys for this purpose first (BYOK), then the agency's
    if not pool and purpose in ctx.own_only:
        return errors.own_key_unavailable(purpose)
    if endpoint.addresses is not None:
        lane_id = svc.objects.lane_of(endpoint.addresses, ids[0], ctx)
        lanes = [lane for lane in pool if lane.id == lane_id]
        return lanes or errors.object_not_found(endpoint.addresses, ids[0])
    if model is None:
        return list(pool) or errors.no_lane()
    lanes = [lane for lane in pool if lane.serves(model)]
    if not lanes:
        return errors.no_lane() if not pool else errors.model_not_routable(model)
    if endpoint.creates == RESPONSE and ("previous_response_id" in body or "conversation" in body):
        return _continuing(svc, ctx, model, body, lanes)
    return lanes


def _continuing(
    svc: Services, ctx: KeyContext, model: str, body: dict[str, Any], lanes: list[LaneTarget]
) -> list[LaneTarget] | GatewayError:
    """A response that continues a stored response or conversation: another client's is not found; a known one
    pins the call to the lane that holds it. An id the gateway never saw created passes through unchanged."""
    conversation = body.get("conversation")
    conv = conversation.get("id") if isinstance(conversation, dict) else conversation
    refs = ((RESPONSE, "previous_response_id", body.get("previous_response_id")), (CONVERSATION, "conversation", conv))
    for kind, param, ref in refs:
        if not isinstance(ref, str):
            continue
        owner = svc.objects.owner_of(kind, ref)
        if owner is None:
            continue
        if owner[:2] != (ctx.workspace_id, ctx.client_id):
            return errors.object_not_found(kind, ref, param)
        lanes = [lane for lane in lanes if lane.id == owner[2]]
        if not lanes:  # its lane no longer serves this client, or not this model
            return errors.model_not_routable(model)
    return lanes


def _parse_body(limit: int, endpoint: Endpoint) -> tuple[bytes, dict[str, Any]] | GatewayError:
    if not endpoint.json_body:
        return b"", {}
    try:
        raw = request.get_data(cache=False)
    except RequestEntityTooLarge:
        return errors.body_too_large(limit)
    if not raw and endpoint.model == "none":
        return raw, {}
    if not raw:
        return errors.bad_request("The request body is empty; send a JSON object.", None, "empty_body")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return errors.bad_json(str(exc).split(":")[0])
    if not isinstance(body, dict):
        return errors.bad_json("The body must be a JSON object.")
    return raw, body


def _call_lanes(
    pools: UpstreamPools,
    lanes: list[LaneTarget],
    operation: str,
    ids: tuple[str, ...],
    body: dict[str, Any],
    raw: bytes,
    stream: bool,
    tried: list[LaneTarget],
) -> tuple[LaneTarget, Operation, StreamState, UpstreamResponse] | GatewayError:
    """Try each lane in policy order; fall through on 429, 5xx, auth failures, timeouts and dead connections.
    Every lane attempted is appended to `tried`."""
    failure: GatewayError = errors.no_lane()
    for lane in pools.cooldowns.order(lanes):  # a lane that asked for a pause (Retry-After) goes last
        tried.append(lane)
        provider = get_provider(lane.provider)
        op = provider.operation(operation) if provider else None
        if provider is None or op is None:
            failure = errors.upstream_failed(f"Lane '{lane.name}' cannot serve this endpoint.")
            continue
        upstream_body, state = op.prepare(body, raw, stream)
        path = _path(op.path, ids) if ids else op.path
        try:
            upstream = pools.send(
                lane, op.method, provider.url(lane, path), upstream_body, provider.headers(lane), stream
            )
        except UpstreamTimeout as exc:
            failure = errors.upstream_timeout(exc.timeout_s or pools.read_timeout_s)
            continue
        except UpstreamUnreachable:
            failure = errors.upstream_failed("The upstream provider could not be reached.")
            continue
        if _served(upstream.status):
            return lane, op, state, upstream
        pools.cooldowns.observe(lane.id, upstream.status, upstream.headers.get("retry-after"))
        if upstream.status == 401 and lane.purposes is not None:  # a client's own key the provider now refuses
            on_provider_rejected(db.session, lane.id, upstream.status)
        failure = _upstream_failure(upstream)
    return failure


def _path(template: str, ids: tuple[str, ...]) -> str:
    """The upstream path of an addressed object, with the caller's query (pagination, `include`) passed on."""
    path = template.format(*(quote(i, safe="") for i in ids))
    query = request.query_string
    return f"{path}?{query.decode('latin-1')}" if query else path


def _served(status: int) -> bool:
    """A success, or a 4xx that is the caller's fault: the caller gets it. Everything else is the lane's failure:
    5xx, its credential refused, a pause asked for, and any 3xx (redirects are never followed: a lane must name
    its provider's real endpoint, and following one could lead anywhere)."""
    return 200 <= status < 300 or (400 <= status < 500 and status not in _FALL_THROUGH)


def _upstream_failure(upstream: UpstreamResponse) -> GatewayError:
    try:
        upstream.read_all()  # drain so the connection goes back to the pool
    except (UpstreamTimeout, UpstreamUnreachable):
        pass
    if upstream.status == 429:
        retry_after = upstream.headers.get("retry-after")
        return GatewayError(
            429,
            "The upstream provider is rate limiting this lane; retry later.",
            "upstream_rate_limited",
            headers=(("Retry-After", retry_after),) if retry_after else (),
        )
    if upstream.status in (401, 403):
        return errors.upstream_failed("The upstream provider rejected this lane's credential.")
    if 300 <= upstream.status < 400:
        return errors.upstream_failed(
            f"The upstream provider answered with a redirect (HTTP {upstream.status}); the gateway does not follow "
            "redirects, so the lane's base URL must be the provider's real endpoint."
        )
    return errors.upstream_failed(f"The upstream provider failed with HTTP {upstream.status}.")


def _headers(lane: LaneTarget, upstream: UpstreamResponse, record: RequestRecord) -> dict[str, str]:
    out = {"x-request-id": record.request_id, "x-tollgate-lane": lane.id}
    for name in _PASS_HEADERS:
        value = upstream.headers.get(name)
        if value:
            out[name] = value
    return out


def _plain_response(
    svc: Services,
    lane: LaneTarget,
    op: Operation,
    state: StreamState,
    upstream: UpstreamResponse,
    record: RequestRecord,
    started: float,
    ask: Ask,
) -> Response | GatewayError:
    try:
        data = upstream.read_all()
    except UpstreamTimeout:
        return errors.upstream_timeout(svc.upstreams.read_timeout_s)
    except UpstreamUnreachable:
        return errors.upstream_failed("The upstream connection broke while reading the response.")
    record.status_code = upstream.status
    if upstream.status < 300:
        try:
            parsed = orjson.loads(data)
        except orjson.JSONDecodeError:
            parsed = None
        if isinstance(parsed, dict):
            record.model_served, record.usage = op.usage(parsed)
            if record.endpoint.startswith(("responses", "conversations.create")):
                svc.objects.observe(record, parsed)
        if record.usage is None and upstream.status == 200:  # no usage sent: its text cannot hold more tokens
            _estimate_usage(record, ask, len(data))
    else:
        data = scrub(data.decode("utf-8", "replace")).encode()
        record.error_code = _error_code(data)
    _finish(svc, record, started)
    if state.translate is not None:  # another wire format: the caller gets the body in OpenAI's
        data = state.translate(upstream.status, data)
    content_type = upstream.headers.get("content-type", "application/json")
    return Response(data, status=upstream.status, content_type=content_type, headers=_headers(lane, upstream, record))


def _stream_response(
    svc: Services,
    lane: LaneTarget,
    op: Operation,
    state: StreamState,
    upstream: UpstreamResponse,
    record: RequestRecord,
    started: float,
    ask: Ask,
) -> Response:
    record.status_code = 200
    done = False

    def finish_once(completed: bool) -> None:
        """The one way out of a stream, reached from the generator or, if it never ran, from close()."""
        nonlocal done
        if done:
            return
        done = True
        if completed:
            upstream.raw.release_conn()
        else:
            upstream.close()
        record.model_served, record.usage = state.model, state.usage
        record.created = state.extra.get("created")
        if (finished := state.extra.get("finished")) is not None:  # a streamed retrieve saw the response end
            svc.objects.observe(record, finished)
        if state.usage is None:  # cut off (caller or network) or never sent: estimate from what was relayed
            _estimate_usage(record, ask, state.relayed_deltas)
        _finish(svc, record, started)

    def events() -> Iterator[bytes]:
        first = True
        completed = False
        try:
            for out in relay(upstream.iter_chunks(), op.needs_look, lambda event: op.on_event(event, state)):
                if first:
                    record.ttfb_ms, first = _ms_since(started), False
                state.relayed_deltas += op.count_deltas(out)
                yield out
            completed = True
        except GeneratorExit:
            record.error_code = "client_disconnected"
            raise
        except Exception as exc:  # the upstream broke mid-stream: tell the client in-band, as OpenAI does
            record.error_code = "upstream_stream_error"
            failure = errors.upstream_failed(f"The upstream stream broke ({type(exc).__name__}).")
            yield b"data: " + failure.body() + b"\n\n"
        finally:
            finish_once(completed)

    def closed_before_start() -> None:
        # A generator that never started has no `finally` to run: the server's close() is the only signal.
        if not done:
            record.error_code = record.error_code or "client_disconnected"
            finish_once(False)

    headers = _headers(lane, upstream, record) | {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    content_type = upstream.headers.get("content-type", "text/event-stream")
    response = Response(events(), status=200, content_type=content_type, headers=headers)
    response.call_on_close(closed_before_start)
    return response


def _estimate_usage(record: RequestRecord, ask: Ask, output_seen: int) -> None:
    """The upstream answered but its usage never reached us: record the estimate (flagged), which the ledger's
    settle and the log row then both price, so the budget and the log agree. Not for a call the provider does
    not charge (`free`: it has no usage), nor for a background response still running (`pending`: its real
    usage comes when it completes, and replaces this row)."""
    if ask.free or record.pending:
        return
    record.usage, record.usage_estimated = estimated_usage(ask, output_seen), True


def _error_code(data: bytes) -> str | None:
    try:
        err = orjson.loads(data).get("error")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    code = err.get("code") or err.get("type") if isinstance(err, dict) else None
    return str(code)[:64] if code else None


def _ms_since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def _finish(svc: Services, record: RequestRecord, started: float) -> None:
    record.latency_ms = _ms_since(started)
    if record.created is not None:  # a stored response or conversation: remember its lane and owner
        svc.objects.remember(record)  # a background response's hold moves there, to be settled on completion
    svc.ledger.settle(record)  # every exit comes here: release the reservation, record the real cost
    svc.log_writer.submit(record)
