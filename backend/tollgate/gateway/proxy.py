"""The hot path for /v1/<operation>, one step per function:

authenticate → parse → attribute → admit → route → prepare → call (falling through lanes) → respond or
stream → log. Every request that gets past authentication leaves exactly one log record, whatever exit it
takes (error, upstream failure, client disconnect mid-stream), and the request thread never waits for it.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Iterator
from typing import Any, cast
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
from ..vault.scrub import redact
from . import errors
from .attempts import Attempts, upstream_reason
from .attribution import attribute
from .context import KeyContext, LaneTarget
from .endpoints import CONVERSATION, ENDPOINTS, RESPONSE, Endpoint
from .errors import ANTHROPIC, OPENAI, GatewayError
from .forms import FormBody, FormRefused, parse_form, replace_field
from .model_routing import lanes_for
from .providers import get_provider
from .providers.base import FollowUp, Operation, Provider, StreamState, Untranslatable
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
    endpoint = ENDPOINTS[operation]
    ctx = svc.keys.resolve(credential(endpoint.wire), lambda: db.session)
    if isinstance(ctx, GatewayError):
        return ctx.response(request_id, endpoint.wire)
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
    outcome = _proxy(svc, ctx, endpoint, ids, record, started)
    if isinstance(outcome, GatewayError):
        record.status_code = outcome.status
        record.error_code = outcome.code
        _finish(svc, record, started)
        return outcome.response(request_id, endpoint.wire)
    return outcome


def credential(wire: str) -> str | None:
    """The Authorization header; a caller speaking Anthropic's wire format (its SDK) may send the sub-key in
    `x-api-key` instead, as Anthropic's API takes it."""
    authorization = request.headers.get("Authorization")
    if authorization is None and wire == ANTHROPIC and (key := request.headers.get("x-api-key")):
        return f"Bearer {key}"
    return authorization


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
    if endpoint.form and body.get("stream") not in (None, "false"):
        return errors.bad_request("Streaming transcriptions are not supported; omit `stream`.", "stream")
    record.model_requested = model
    record.stream = stream
    if model is not None and model in ctx.aliases:  # `fast` → the real model: checked, routed and priced as it
        aliased = _resolve_alias(body, raw, model, ctx.aliases[model])
        if isinstance(aliased, GatewayError):
            return aliased
        model, body, raw = ctx.aliases[model], *aliased

    who = attribute(ctx, request.headers, body, endpoint.wire == ANTHROPIC)
    if isinstance(who, GatewayError):
        return who
    record.project_id, record.end_user, record.metadata = who.project_id, who.end_user, who.metadata

    if model is not None and not ctx.may_use(model):
        return errors.model_not_allowed(model)
    lanes = _route(svc, ctx, endpoint, ids, model, body)
    if isinstance(lanes, GatewayError):
        return lanes

    providers = tuple(sorted({lane.price_provider for lane in lanes}))
    background = body.get("background") is True and endpoint.creates == RESPONSE
    upload = body.upload if isinstance(body, FormBody) else None
    audio_ms = upload.duration_bound_ms if upload is not None else None
    ask_raw = b"" if endpoint.form else raw  # a file's bytes are not prompt tokens
    ask = Ask(endpoint.name, model or "", body, ask_raw, providers, who.project_id, endpoint.free, background, audio_ms)
    held = svc.ledger.admit(ctx, ask, record.request_id)
    if isinstance(held, GatewayError):  # over a budget or a rate limit; `_finish` settles whatever was held
        return held

    tried: list[LaneTarget] = []
    attempts = Attempts(svc.lane_windows, record.request_id, ask)
    called = _call_lanes(svc.upstreams, lanes, endpoint.name, ids, body, raw, stream, tried, attempts)
    record.attempts = attempts.log or None
    if isinstance(called, GatewayError):
        if tried:  # the log names the lane whose failure the caller sees
            _note_lane(record, tried[-1])
        return called
    lane, op, state, upstream = called
    _note_lane(record, lane)
    record.ttfb_ms = _ms_since(started)
    if stream and upstream.status == 200:
        response: Response | GatewayError = _stream_response(svc, lane, op, state, upstream, record, started, ask)
    else:
        response = _plain_response(svc, lane, op, state, upstream, record, started, ask)
    if isinstance(response, Response):
        response.headers.extend(held.headers)  # x-ratelimit-*
    return response


def _note_lane(record: RequestRecord, lane: LaneTarget) -> None:
    record.lane_id, record.provider, record.lane_payment = lane.id, lane.provider, lane.payment
    record.price_provider = lane.price_provider


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
    lanes = lanes_for(model, pool)
    if not lanes:
        return errors.no_lane() if not pool else errors.model_not_routable(model)
    if endpoint.wire != OPENAI:  # only lanes of a provider speaking the caller's format can serve it
        lanes = [lane for lane in lanes if _offers(lane, endpoint.name)]
        if not lanes:
            return errors.wrong_wire(model, endpoint.wire)
    if endpoint.creates == RESPONSE and ("previous_response_id" in body or "conversation" in body):
        return _continuing(svc, ctx, model, body, lanes)
    return lanes


def _offers(lane: LaneTarget, operation: str) -> bool:
    provider = get_provider(lane.provider)
    return provider is not None and provider.operation(operation) is not None


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
    if endpoint.form:
        return _parse_form(raw)
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


def _resolve_alias(
    body: dict[str, Any], raw: bytes, alias: str, model: str
) -> tuple[dict[str, Any], bytes] | GatewayError:
    """The body naming the real model instead of the alias: a JSON body re-encoded, a multipart upload with only
    its `model` field changed (the file's bytes stay as they came)."""
    if not isinstance(body, FormBody):
        body = {**body, "model": model}
        return body, orjson.dumps(body)
    changed = replace_field(raw, body.content_type, "model", alias, model)
    if changed is None:
        return errors.bad_request("The multipart body must carry the `model` field once.", "model", "invalid_model")
    body["model"] = model
    return body, changed


def _parse_form(raw: bytes) -> tuple[bytes, dict[str, Any]] | GatewayError:
    form = parse_form(raw, request.content_type)
    if isinstance(form, FormRefused):
        return GatewayError(form.status, form.message, form.code, form.param)
    if form.upload is None:
        return errors.bad_request("You must provide a file.", "file", "missing_file")
    return raw, form


def _call_lanes(
    pools: UpstreamPools,
    lanes: list[LaneTarget],
    operation: str,
    ids: tuple[str, ...],
    body: dict[str, Any],
    raw: bytes,
    stream: bool,
    tried: list[LaneTarget],
    attempts: Attempts,
) -> tuple[LaneTarget, Operation, StreamState, UpstreamResponse] | GatewayError:
    """Try each lane in policy order; fall through on 429, 5xx, auth failures, timeouts and dead connections,
    and past a flat lane whose capacity window is full. All of it happens before any byte reaches the caller.
    Every lane called is appended to `tried`; every lane passed over, with its reason, to `attempts`."""
    failure: GatewayError = errors.no_lane()
    for lane in pools.cooldowns.order(lanes):  # a lane that asked for a pause (Retry-After) goes last
        if lane.capacity is not None and not attempts.admit(lane):  # a flat lane whose plan window is full
            failure = errors.lanes_full(attempts.full_until)
            continue
        tried.append(lane)
        provider = get_provider(lane.provider)
        op = provider.operation(operation) if provider else None
        if provider is None or op is None:
            failure = errors.upstream_failed(f"Lane '{lane.name}' cannot serve this endpoint.")
            attempts.failed(lane, "cannot_serve")
            continue
        try:
            upstream_body, state = op.prepare(body, raw, stream)
        except Untranslatable as exc:  # the request asks for what this lane's wire format cannot express
            failure = errors.bad_request(str(exc), exc.param, "unsupported_parameter")
            attempts.failed(lane, "cannot_serve")
            continue
        addressed = getattr(
            op, "upstream_path", None
        )  # a path naming the model or deployment (Gemini, Azure, Stability, Replicate, Imagen)
        path = addressed(lane, body, stream) if addressed else _path(op.path, ids) if ids else op.path
        headers = provider.headers(lane) | state.upstream_headers
        try:
            upstream = pools.send(lane, op.method, provider.url(lane, path), upstream_body, headers, stream)
        except UpstreamTimeout as exc:
            failure = errors.upstream_timeout(exc.timeout_s or pools.read_timeout_s)
            attempts.failed(lane, "timeout")
            continue
        except UpstreamUnreachable:
            failure = errors.upstream_failed("The upstream provider could not be reached.")
            attempts.failed(lane, "unreachable")
            continue
        status = _lane_status(provider, upstream)
        if _served(status):
            if lane is not lanes[0]:
                attempts.served(lane, lanes, pools.cooldowns.cooling)
            return lane, op, state, upstream
        pools.cooldowns.observe(lane.id, status, upstream.headers.get("retry-after"))
        if status == 401 and lane.purposes is not None:  # a client's own key the provider now refuses
            on_provider_rejected(db.session, lane.id, upstream.status)
        failure = _upstream_failure(upstream, status)
        attempts.failed(lane, upstream_reason(status), upstream.status)
    return failure


def _path(template: str, ids: tuple[str, ...]) -> str:
    """The upstream path of an addressed object, with the caller's query (pagination, `include`) passed on."""
    path = template.format(*(quote(i, safe="") for i in ids))
    query = request.query_string
    return f"{path}?{query.decode('latin-1')}" if query else path


def _lane_status(provider: Provider, upstream: UpstreamResponse) -> int:
    """The upstream status as the proxy judges it: 401 for a provider's own way of refusing a credential (Gemini's
    400 `API_KEY_INVALID`, see CredentialRefusal). Only a 400 from such a provider has its body read here; the
    body stays cached on the response, so a 400 that is the caller's fault still reaches the caller whole."""
    refused: Callable[[int, bytes], bool] | None = getattr(provider, "credential_refused", None)
    if upstream.status != 400 or refused is None:
        return upstream.status
    try:
        body = upstream.read_all()
    except (UpstreamTimeout, UpstreamUnreachable):
        return upstream.status
    return 401 if refused(upstream.status, body) else upstream.status


def _served(status: int) -> bool:
    """A success, or a 4xx that is the caller's fault: the caller gets it. Everything else is the lane's failure:
    5xx, its credential refused, a pause asked for, and any 3xx (redirects are never followed: a lane must name
    its provider's real endpoint, and following one could lead anywhere)."""
    return 200 <= status < 300 or (400 <= status < 500 and status not in _FALL_THROUGH)


def _upstream_failure(upstream: UpstreamResponse, status: int) -> GatewayError:
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
    if status in (401, 403):
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
    status = upstream.status
    if hasattr(op, "follow") and status < 300:  # an asynchronous answer (Replicate): poll it to completion
        followed = _follow(svc, lane, cast(FollowUp, op), state, status, data)
        if isinstance(followed, GatewayError):
            return followed
        status, data = followed
    record.status_code = status
    if status < 300:
        parsed = _json_object(data)
        if parsed is not None:
            record.model_served, record.usage = op.usage(parsed)
            # a translated answer (another wire format) names no object the provider stored
            if state.translate is None and record.endpoint.startswith(("responses", "conversations.create")):
                svc.objects.observe(record, parsed)
        media = getattr(op, "media", None)  # images and audio: billed by their counts (MediaOperation)
        if media is not None:
            record.media = media(parsed, state)
        _served_model(record, ask)
        if record.usage is None and record.media is None and status == 200:  # its text cannot hold more tokens
            _estimate_usage(record, ask, len(data))
    else:
        billed = getattr(op, "failure_media", None)  # a failure the provider bills all the same (Replicate's compute)
        if billed is not None:
            record.media = billed(_json_object(data), state)
        data = redact(data.decode("utf-8", "replace"), lane.api_key).encode()  # an echo of the lane's key too
        record.error_code = _error_code(data)
    _finish(svc, record, started)
    content_type = upstream.headers.get("content-type", "application/json")
    if state.translate is not None:  # another wire format: the caller gets the body in OpenAI's
        data, content_type = state.translate(status, data), "application/json"
    return Response(data, status=status, content_type=content_type, headers=_headers(lane, upstream, record))


def _follow(
    svc: Services, lane: LaneTarget, op: FollowUp, state: StreamState, status: int, data: bytes
) -> tuple[int, bytes] | GatewayError:
    """The operation's further calls on the lane's pools (a prediction polled, its output downloaded)."""

    def fetch(method: str, url: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, bytes]:
        upstream = svc.upstreams.send(lane, method, url, body, headers, False)
        return upstream.status, upstream.read_all()

    try:
        return op.follow(fetch, lane, status, data, state)
    except UpstreamTimeout:
        return errors.upstream_timeout(svc.upstreams.read_timeout_s)
    except UpstreamUnreachable:
        return errors.upstream_failed("The upstream provider could not be reached while completing the answer.")


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
        _served_model(record, ask)
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
            yield failure.event(ENDPOINTS[record.endpoint].wire)
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


def _served_model(record: RequestRecord, ask: Ask) -> None:
    """An answer that names no model (a transcript, some images) was served by the model the lane was asked for:
    after an alias that is not the requested name, and pricing needs the real one."""
    if record.model_served is None and ask.model and ask.model != record.model_requested:
        record.model_served = ask.model


def _estimate_usage(record: RequestRecord, ask: Ask, output_seen: int) -> None:
    """The upstream answered but its usage never reached us: record the estimate (flagged), which the ledger's
    settle and the log row then both price, so the budget and the log agree. Not for a call the provider does
    not charge (`free`: it has no usage), nor for a background response still running (`pending`: its real
    usage comes when it completes, and replaces this row)."""
    if ask.free or record.pending:
        return
    record.usage, record.usage_estimated = estimated_usage(ask, output_seen), True


def _json_object(data: bytes) -> dict[str, Any] | None:
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, dict) else None


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
    tokens = record.usage.total_tokens if record.usage is not None else None
    svc.lane_windows.settle(record.request_id, 200 <= record.status_code < 300, tokens)  # a flat lane's window
    svc.log_writer.submit(record)
