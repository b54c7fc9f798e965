"""What every provider adapter offers the gateway. One folder per wire format, the same small files each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ...metering.media import MediaUsage
from ...metering.usage import TokenUsage
from ..context import LaneTarget


@dataclass(slots=True)
class StreamState:
    """What a stream transform learns while events pass: the served model and the usage."""

    strip_usage_chunk: bool = False
    model: str | None = None
    usage: TokenUsage | None = None
    relayed_deltas: int = 0
    """Content deltas relayed so far: the output estimate (≈ one token each) if the stream ends without usage."""
    extra: dict[str, Any] = field(default_factory=dict)
    translate: Callable[[int, bytes], bytes] | None = None
    """Set by a provider whose wire format is not the caller's: (status, plain upstream body) → the body in the
    caller's format. None: the body passes as it came."""
    upstream_headers: dict[str, str] = field(default_factory=dict)
    """Headers that win over the provider's (a multipart body's Content-Type with its boundary)."""


class Untranslatable(ValueError):
    """Raised by `Operation.prepare` when the caller asks for what the lane's wire format cannot express (e.g. a
    stored response on Anthropic): the caller gets a 400 naming `param`, never a silently different request."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


class Operation(Protocol):
    """One operation (chat, responses, embeddings, …) of one provider."""

    method: str
    path: str
    """Relative to the lane's base URL; `{0}`, `{1}` stand for the ids of an addressed object and its item."""
    streams: bool

    def prepare(self, body: dict[str, Any], raw: bytes, stream: bool) -> tuple[bytes, StreamState]:
        """The upstream body (the caller's bytes unchanged unless a change is needed) and the stream state."""
        ...

    def usage(self, response: dict[str, Any]) -> tuple[str | None, TokenUsage | None]:
        """Served model and usage from a non-streaming response."""
        ...

    def needs_look(self, data: bytes) -> bool:
        """Cheap byte test: could these events carry usage or the model? Most stream chunks can't."""
        ...

    def on_event(self, event: bytes, state: StreamState) -> bytes | None:
        """Pure stream transform: forward, rewrite or drop one event, recording usage in `state`."""
        ...

    def count_deltas(self, data: bytes) -> int:
        """Cheap byte count of the content deltas in relayed events (a stream that loses its usage is estimated
        from it). Providers stream about one token per delta."""
        ...


class AddressedOperation(Operation, Protocol):
    """An operation whose upstream path names the model or its deployment (Gemini's `models/{model}:…`, Azure's
    `deployments/{name}/…`). Optional: the proxy calls `upstream_path` when an operation has it, else uses
    `path`, so the operations that don't need it stay as they are."""

    def upstream_path(self, lane: LaneTarget, body: dict[str, Any], stream: bool) -> str:
        """The path (and query) relative to the lane's base URL for this request."""
        ...


Fetch = Callable[[str, str, bytes | None, dict[str, str]], tuple[int, bytes]]
"""(method, absolute URL, body, headers) → (status, body): one more upstream call on the same lane's pools."""


class MediaOperation(Protocol):
    """What an images or audio operation adds: the counts it is billed by, and, where the provider answers
    asynchronously (Replicate), the calls that bring the answer to completion."""

    def media(self, response: dict[str, Any] | None, state: StreamState) -> MediaUsage | None:
        """Billable counts of a successful answer (`response` None: not JSON, e.g. a transcript as text)."""
        ...


class BilledFailure(Protocol):
    """Optional on an operation whose provider bills some failures (Replicate: the compute of a failed or
    canceled prediction): the proxy meters what this returns while the caller gets the error."""

    def failure_media(self, response: dict[str, Any] | None, state: StreamState) -> MediaUsage | None: ...


class FollowUp(Protocol):
    def follow(self, fetch: Fetch, lane: LaneTarget, status: int, data: bytes, state: StreamState) -> tuple[int, bytes]:
        """Complete the answer with more upstream calls (poll, download); I/O only through `fetch`."""
        ...


class Provider(Protocol):
    name: str

    def operation(self, name: str) -> Operation | None: ...

    def url(self, lane: LaneTarget, path: str) -> str: ...

    def headers(self, lane: LaneTarget) -> dict[str, str]: ...


class CredentialRefusal(Protocol):
    """Optional on a provider that refuses a bad key with a status other than 401/403 (Google: HTTP 400
    `API_KEY_INVALID`). The proxy reads a 400's body for it only on such a provider's lanes, so every other
    lane's 400 passes to the caller unread, and a True answer makes the 400 count as the lane's 401."""

    def credential_refused(self, status: int, body: bytes) -> bool: ...
