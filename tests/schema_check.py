"""Validate payloads against OpenAI's official OpenAPI description (vendored in tests/spec).

The YAML (about 3 MB) is parsed once per test session. OpenAPI 3.1 schemas are JSON Schema 2020-12, except
for the OpenAPI-3.0 leftover `nullable: true` that the spec still uses in places: it is rewritten to the
2020-12 spelling (`"null"` added to `type`/`enum`, or an `anyOf` with `{"type": "null"}`) before validation.
`$ref`s are resolved with the `referencing` library against the whole document.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(__file__).parent / "spec" / "openai-openapi.yaml"
_SPEC_URI = "urn:openai:openapi"
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _denullable(node: Any) -> Any:
    """Rewrite OpenAPI 3.0 `nullable: true` into JSON Schema 2020-12, recursively."""
    if isinstance(node, list):
        return [_denullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _denullable(value) for key, value in node.items()}
    if out.pop("nullable", False) is not True:
        return out
    kind = out.get("type")
    if isinstance(kind, str) and "$ref" not in out and "anyOf" not in out and "oneOf" not in out:
        out["type"] = [kind, "null"]
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        return out
    if isinstance(kind, list):
        out["type"] = [*kind, "null"] if "null" not in kind else kind
        return out
    return {"anyOf": [out, {"type": "null"}]}


@functools.cache
def spec() -> dict[str, Any]:
    with SPEC_PATH.open("rb") as fh:
        loaded: dict[str, Any] = yaml.load(fh, Loader=_Loader)
    converted: dict[str, Any] = _denullable(loaded)
    return converted


@functools.cache
def _registry() -> Registry[Any]:
    resource = Resource.from_contents(spec(), default_specification=DRAFT202012)
    return Registry().with_resource(_SPEC_URI, resource)


@functools.cache
def validator(schema_name: str) -> Draft202012Validator:
    if schema_name not in spec()["components"]["schemas"]:
        raise KeyError(f"no schema {schema_name!r} in the OpenAI spec")
    return Draft202012Validator({"$ref": f"{_SPEC_URI}#/components/schemas/{schema_name}"}, registry=_registry())


def errors_for(instance: Any, schema_name: str) -> list[str]:
    """Every validation error as `path: message`; empty when `instance` is valid."""
    found = sorted(validator(schema_name).iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in found]


def assert_valid(instance: Any, schema_name: str) -> None:
    problems = errors_for(instance, schema_name)
    assert not problems, f"not a valid {schema_name}:\n" + "\n".join(problems[:20])


@functools.cache
def response_event_schemas() -> dict[str, str]:
    """Responses stream event `type` → the specific event schema named in the `ResponseStreamEvent` union."""
    schemas = spec()["components"]["schemas"]
    union = schemas["ResponseStreamEvent"]
    refs = [item["$ref"] for item in union.get("anyOf") or union.get("oneOf") or [] if "$ref" in item]
    out: dict[str, str] = {}
    for ref in refs:
        name = ref.rsplit("/", 1)[-1]
        kind = schemas[name].get("properties", {}).get("type", {})
        values = [kind["const"]] if "const" in kind else kind.get("enum", [])
        for value in values:
            if isinstance(value, str):
                out[value] = name
    return out


def assert_valid_response_event(event: dict[str, Any]) -> None:
    """Validate one Responses stream event against its own schema (stricter than the union) and the union."""
    kind = event.get("type")
    name = response_event_schemas().get(kind) if isinstance(kind, str) else None
    assert name is not None, f"unknown Responses stream event type {kind!r}"
    assert_valid(event, name)
    assert_valid(event, "ResponseStreamEvent")


def sse_data(stream: bytes) -> list[bytes]:
    """The `data:` payloads of a whole SSE body, in order (`[DONE]` included), for wire-level assertions."""
    payloads: list[bytes] = []
    for event in stream.replace(b"\r\n", b"\n").split(b"\n\n"):
        lines = [line[5:].lstrip(b" ") for line in event.split(b"\n") if line.startswith(b"data:")]
        if lines:
            payloads.append(b"\n".join(lines))
    return payloads
