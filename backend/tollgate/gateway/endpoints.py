"""What the gateway needs to know about each `/v1` operation before any provider is involved: whether it names a
model (and which one when the caller doesn't), whether its path addresses a stored object (a response or a
conversation: owner-only, served by the lane that created it), whether the provider charges for it, whether it
reads a JSON body, and which wire format the caller speaks (OpenAI's, or Anthropic's on `/v1/messages`: the shape
its errors take and the header its key may come in). Provider adapters know the wire side (path, method, usage)
under the same names."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ANTHROPIC, OPENAI

RESPONSE = "response"
CONVERSATION = "conversation"


@dataclass(frozen=True, slots=True)
class Endpoint:
    name: str
    """The operation's name, as providers and the request log's `endpoint` column know it."""
    model: str = "required"
    """required | optional (then `default_model` routes and prices it) | none."""
    default_model: str | None = None
    addresses: str | None = None
    """The kind of stored object the path names; None: routed by model (or to the first lane that offers it)."""
    free: bool = False
    """The provider charges nothing: budgets reserve nothing, rate limits apply."""
    json_body: bool = True
    """POST with a JSON object; False: GET/DELETE, no body read. Without a model the body may be empty."""
    creates: str | None = None
    """The kind of stored object a successful answer creates (remembered with its lane and owner)."""
    wire: str = OPENAI
    """The caller's wire format: errors in its shape; ANTHROPIC also takes the sub-key from `x-api-key`."""
    form: bool = False
    """POST with multipart/form-data (a file upload): forwarded as it came, its text fields read (forms.py)."""


ENDPOINTS: dict[str, Endpoint] = {
    e.name: e
    for e in (
        Endpoint("chat"),
        Endpoint("responses", creates=RESPONSE),
        Endpoint("embeddings"),
        Endpoint("messages", wire=ANTHROPIC),
        Endpoint("messages.count_tokens", free=True, wire=ANTHROPIC),
        Endpoint("images.generations"),
        Endpoint("audio.transcriptions", form=True),
        Endpoint("moderations", model="optional", default_model="omni-moderation-latest", free=True),
        Endpoint("responses.retrieve", model="none", addresses=RESPONSE, free=True, json_body=False),
        Endpoint("responses.delete", model="none", addresses=RESPONSE, free=True, json_body=False),
        Endpoint("responses.cancel", model="none", addresses=RESPONSE, free=True),
        Endpoint("responses.input_items", model="none", addresses=RESPONSE, free=True, json_body=False),
        Endpoint("conversations.create", model="none", free=True, creates=CONVERSATION),
        Endpoint("conversations.retrieve", model="none", addresses=CONVERSATION, free=True, json_body=False),
        Endpoint("conversations.update", model="none", addresses=CONVERSATION, free=True),
        Endpoint("conversations.delete", model="none", addresses=CONVERSATION, free=True, json_body=False),
        Endpoint("conversations.items.list", model="none", addresses=CONVERSATION, free=True, json_body=False),
        Endpoint("conversations.items.create", model="none", addresses=CONVERSATION, free=True),
        Endpoint("conversations.items.retrieve", model="none", addresses=CONVERSATION, free=True, json_body=False),
        Endpoint("conversations.items.delete", model="none", addresses=CONVERSATION, free=True, json_body=False),
    )
}
