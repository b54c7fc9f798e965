"""Routes of the OpenAI-compatible surface. Thin: each names its operation and hands over."""

from __future__ import annotations

import orjson
from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException

from ..extensions import db
from ..services import services
from . import errors
from .anthropic_models import model_object, model_page
from .errors import GatewayError
from .proxy import credential, handle, new_request_id

bp = Blueprint("gateway", __name__, url_prefix="/v1")


@bp.post("/chat/completions")
def chat_completions() -> Response:
    return handle("chat")


@bp.post("/responses")
def responses() -> Response:
    return handle("responses")


# Anthropic's own Messages API, for its SDK: relayed as it is to Anthropic lanes, errors in Anthropic's shape.
@bp.post("/messages")
def messages() -> Response:
    return handle("messages")


@bp.post("/messages/count_tokens")
def count_message_tokens() -> Response:
    return handle("messages.count_tokens")


@bp.post("/embeddings")
def embeddings() -> Response:
    return handle("embeddings")


@bp.post("/images/generations")
def image_generations() -> Response:
    return handle("images.generations")


@bp.post("/audio/transcriptions")
def audio_transcriptions() -> Response:
    return handle("audio.transcriptions")


@bp.post("/moderations")
def moderations() -> Response:
    return handle("moderations")


# Stored responses: served by the lane that created them, to the client that created them.
@bp.get("/responses/<response_id>")
def retrieve_response(response_id: str) -> Response:
    return handle("responses.retrieve", response_id)


@bp.delete("/responses/<response_id>")
def delete_response(response_id: str) -> Response:
    return handle("responses.delete", response_id)


@bp.post("/responses/<response_id>/cancel")
def cancel_response(response_id: str) -> Response:
    return handle("responses.cancel", response_id)


@bp.get("/responses/<response_id>/input_items")
def response_input_items(response_id: str) -> Response:
    return handle("responses.input_items", response_id)


# The Conversations API, under the same rule.
@bp.post("/conversations")
def create_conversation() -> Response:
    return handle("conversations.create")


@bp.get("/conversations/<conversation_id>")
def retrieve_conversation(conversation_id: str) -> Response:
    return handle("conversations.retrieve", conversation_id)


@bp.post("/conversations/<conversation_id>")
def update_conversation(conversation_id: str) -> Response:
    return handle("conversations.update", conversation_id)


@bp.delete("/conversations/<conversation_id>")
def delete_conversation(conversation_id: str) -> Response:
    return handle("conversations.delete", conversation_id)


@bp.get("/conversations/<conversation_id>/items")
def list_conversation_items(conversation_id: str) -> Response:
    return handle("conversations.items.list", conversation_id)


@bp.post("/conversations/<conversation_id>/items")
def create_conversation_items(conversation_id: str) -> Response:
    return handle("conversations.items.create", conversation_id)


@bp.get("/conversations/<conversation_id>/items/<item_id>")
def retrieve_conversation_item(conversation_id: str, item_id: str) -> Response:
    return handle("conversations.items.retrieve", conversation_id, item_id)


@bp.delete("/conversations/<conversation_id>/items/<item_id>")
def delete_conversation_item(conversation_id: str, item_id: str) -> Response:
    return handle("conversations.items.delete", conversation_id, item_id)


@bp.get("/models")
def list_models() -> Response:
    """OpenAI's list; Anthropic's (paged) for a caller speaking Anthropic's API (`anthropic-version` header)."""
    svc = services()
    request_id = new_request_id()
    wire = _caller_wire()
    ctx = svc.keys.resolve(credential(wire), lambda: db.session)
    if isinstance(ctx, GatewayError):
        return ctx.response(request_id, wire)
    data = svc.catalog.models_for(ctx)
    if wire == errors.ANTHROPIC:
        page = model_page(data, request.args)
        if isinstance(page, GatewayError):
            return page.response(request_id, wire)
        return Response(orjson.dumps(page), mimetype="application/json")
    return Response(orjson.dumps({"object": "list", "data": data}), mimetype="application/json")


@bp.get("/models/<path:model_id>")
def get_model(model_id: str) -> Response:
    svc = services()
    request_id = new_request_id()
    wire = _caller_wire()
    ctx = svc.keys.resolve(credential(wire), lambda: db.session)
    if isinstance(ctx, GatewayError):
        return ctx.response(request_id, wire)
    for entry in svc.catalog.models_for(ctx):
        if entry["id"] == model_id:
            shaped = model_object(entry) if wire == errors.ANTHROPIC else entry
            return Response(orjson.dumps(shaped), mimetype="application/json")
    return GatewayError(
        404,
        f"The model '{model_id}' does not exist or you do not have access to it.",
        "model_not_found",
        "model",
    ).response(request_id, wire)


def _caller_wire() -> str:
    """Anthropic's SDK sends `anthropic-version` on every call (and its key as `x-api-key`); OpenAI's never does."""
    return errors.ANTHROPIC if request.headers.get("anthropic-version") else errors.OPENAI


@bp.app_errorhandler(HTTPException)
def http_error(exc: HTTPException) -> Response | HTTPException:
    """/v1 answers every HTTP error in OpenAI's shape; other prefixes keep their own handlers."""
    if not request.path.startswith("/v1/") and request.path != "/v1":
        return exc
    status = exc.code or 500
    wire = errors.ANTHROPIC if request.path.startswith("/v1/messages") else errors.OPENAI
    if status == 413:
        return errors.body_too_large(services().settings.max_body_bytes).response(wire=wire)
    message = {
        404: f"Unknown request URL: {request.method} {request.path}.",
        405: f"Method {request.method} is not allowed for {request.path}.",
    }.get(status, exc.description or "Request failed.")
    code = {404: "unknown_url", 405: "method_not_allowed"}.get(status, "invalid_request")
    return GatewayError(status, message, code).response(wire=wire)
