"""OpenAI-shaped errors for /v1: `{"error": {"message", "type", "param", "code"}}` with the right status; on the
endpoints that speak Anthropic's wire format (`/v1/messages`), Anthropic's `{"type": "error", "error": {"type",
"message"}}` with the same status, so each caller's own SDK raises its usual exception class.

Rejections on the hot path are returned as values (`GatewayError` carries what the client sees), so every
exit goes through the same logging and settling code; nothing here ever includes a secret or a traceback.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import orjson
from flask import Response

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    429: "rate_limit_error",
    500: "server_error",
    502: "upstream_error",
    503: "server_error",
    504: "timeout_error",
}

OPENAI = "openai"
ANTHROPIC = "anthropic"
"""The wire formats a caller may speak (see `Endpoint.wire`)."""

_ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    504: "timeout_error",
    529: "overloaded_error",
}
"""Anthropic's documented error types by status; any other 5xx is its `api_error`, any other 4xx
`invalid_request_error`. The gateway's own code (budget_exceeded, …) stays in the message's reach: it is logged."""


@dataclass(frozen=True, slots=True)
class GatewayError(Exception):
    status: int
    message: str
    code: str
    param: str | None = None
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def type(self) -> str:
        return _TYPES.get(self.status, "invalid_request_error")

    def body(self) -> bytes:
        return orjson.dumps(
            {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}
        )

    def anthropic_body(self) -> bytes:
        fallback = "api_error" if self.status >= 500 else "invalid_request_error"
        kind = _ANTHROPIC_TYPES.get(self.status, fallback)
        return orjson.dumps({"type": "error", "error": {"type": kind, "message": self.message}})

    def body_for(self, wire: str) -> bytes:
        return self.anthropic_body() if wire == ANTHROPIC else self.body()

    def event(self, wire: str) -> bytes:
        """The error as one server-sent event, for a stream that breaks after it started."""
        if wire == ANTHROPIC:
            return b"event: error\ndata: " + self.anthropic_body() + b"\n\n"
        return b"data: " + self.body() + b"\n\n"

    def response(self, request_id: str | None = None, wire: str = OPENAI) -> Response:
        resp = Response(self.body_for(wire), status=self.status, mimetype="application/json")
        for name, value in self.headers:
            resp.headers[name] = value
        if request_id:
            resp.headers["x-request-id"] = request_id
        return resp


def missing_key() -> GatewayError:
    return GatewayError(
        401,
        "You didn't provide an API key. Send your Tollgate sub-key as 'Authorization: Bearer tg_...'.",
        "missing_api_key",
    )


def invalid_key() -> GatewayError:
    return GatewayError(401, "Incorrect API key provided. Use a Tollgate sub-key (tg_...).", "invalid_api_key")


def revoked_key() -> GatewayError:
    return GatewayError(401, "This API key has been revoked or has expired.", "revoked_api_key")


def bad_json(detail: str) -> GatewayError:
    return GatewayError(400, f"We could not parse the JSON body of your request. {detail}", "invalid_json")


def bad_request(message: str, param: str | None = None, code: str = "invalid_request") -> GatewayError:
    return GatewayError(400, message, code, param)


def model_not_allowed(model: str) -> GatewayError:
    return GatewayError(403, f"This key is not allowed to use the model '{model}'.", "model_not_allowed", "model")


def model_not_routable(model: str) -> GatewayError:
    return GatewayError(
        404,
        f"The model '{model}' does not exist or no lane of this client serves it.",
        "model_not_found",
        "model",
    )


def wrong_wire(model: str, wire: str) -> GatewayError:
    """The model's lanes all speak another wire format than the one this endpoint relays as it is."""
    return GatewayError(
        400,
        f"The model '{model}' is not served by any {wire.capitalize()} lane of this client, and this endpoint "
        f"speaks {wire.capitalize()}'s own API. Name a model such a lane serves, or call /v1/chat/completions.",
        "model_not_supported",
        "model",
    )


def attribution_denied(message: str, param: str) -> GatewayError:
    return GatewayError(403, message, "attribution_not_allowed", param)


def upstream_failed(message: str) -> GatewayError:
    return GatewayError(502, message, "upstream_error")


def upstream_timeout(timeout_s: float) -> GatewayError:
    return GatewayError(504, f"The upstream provider did not answer within {timeout_s:g}s.", "upstream_timeout")


def body_too_large(limit: int) -> GatewayError:
    return GatewayError(413, f"Request body exceeds the limit of {limit} bytes.", "request_too_large")


def no_lane() -> GatewayError:
    return GatewayError(
        503,
        "No upstream lane is configured for this client. Ask the agency to add one.",
        "no_lane_configured",
    )


def lanes_full(resets_at: float | None) -> GatewayError:
    """Every lane that could serve is a flat plan whose capacity window is full (or cannot be checked)."""
    headers: tuple[tuple[str, str], ...] = ()
    if resets_at is not None:
        headers = (("Retry-After", str(max(int(resets_at - time.time()) + 1, 1))),)
    return GatewayError(
        429,
        "Every lane left for this request is a flat plan whose capacity window is full (or cannot be checked right "
        "now); retry when its window resets.",
        "lane_capacity_exhausted",
        headers=headers,
    )


def object_not_found(kind: str, object_id: str, param: str | None = None) -> GatewayError:
    """An unknown id, or one another client created: the same answer, so ids of others cannot be probed."""
    return GatewayError(404, f"{kind.capitalize()} with id '{object_id}' not found.", f"{kind}_not_found", param)


def own_key_unavailable(purpose: str) -> GatewayError:
    return GatewayError(
        403,
        f"Your own provider key for {purpose} cannot serve (revoked, or refused by the provider) and your agency "
        "does not fall back to its own keys for you. Add and verify a new key, or choose the agency default.",
        "own_key_unavailable",
    )
