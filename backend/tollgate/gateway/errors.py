"""OpenAI-shaped errors for /v1: `{"error": {"message", "type", "param", "code"}}` with the right status.

Rejections on the hot path are returned as values (`GatewayError` carries what the client sees), so every
exit goes through the same logging and settling code; nothing here ever includes a secret or a traceback.
"""

from __future__ import annotations

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

    def response(self, request_id: str | None = None) -> Response:
        resp = Response(self.body(), status=self.status, mimetype="application/json")
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
