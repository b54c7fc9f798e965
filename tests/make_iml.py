"""A strict interpreter of the part of Make's custom-app format that make-app/ uses, to run it against a real Tollgate.

No Make runtime or IML engine can be installed offline, so this executes the app's communication files the way
Make documents them: `{{…}}` expressions over `connection`, `parameters`, `body`, `item`, `temp`, `webhook`,
`headers` and `statusCode`; request directives (url, method, headers, qs, body, type, condition, temp, log,
pagination); response directives (output, iterate, limit, valid, error, temp, data, metadata); the base's
baseUrl/headers/response merged into each request; chained requests; a webhook's `condition`, `respond` and
`output` on an incoming delivery. Operators: `*` and `+` (numbers; `+` joins text) and `=`; functions: ifempty,
join, first, round and sha256 (with a key: HMAC). Anything else — an unknown directive, IML
function, variable or syntax — raises `NotUnderstood`, so a file that relies on something untested fails loudly
instead of being skipped. Semantics follow Make's docs: a missing value is *undefined* and drops out of objects,
query strings and bodies; non-2xx answers are errors shaped by `response.error` (per status code, or the default).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests


class NotUnderstood(Exception):
    """The app uses something this interpreter (and so the tests) does not cover."""


class MakeError(Exception):
    """What Make would raise: an error type from Make's list and the message the user sees."""

    def __init__(self, error_type: str, message: str, status: int) -> None:
        super().__init__(f"{error_type}: {message}")
        self.type = error_type
        self.message = message
        self.status = status


class WouldLogSecret(Exception):
    """A request or response would reach Make's logs with a secret that `log.sanitize` does not hide."""


class _Undefined:
    def __repr__(self) -> str:
        return "undefined"

    def __bool__(self) -> bool:
        return False


UNDEFINED: Any = _Undefined()
ERROR_TYPES = {
    "RuntimeError",
    "DataError",
    "RateLimitError",
    "OutOfSpaceError",
    "ConnectionError",
    "InvalidConfigurationError",
    "InvalidAccessTokenError",
    "IncompleteDataError",
    "DuplicateDataError",
}
ROOTS = {"connection", "parameters", "body", "item", "temp", "webhook", "headers", "statusCode", "query"}


def _empty(value: Any) -> bool:
    return value is UNDEFINED or value is None or value == "" or value == []


def _join(values: Any, separator: Any) -> str:
    if not isinstance(values, list) or not isinstance(separator, str):
        raise NotUnderstood(f"join() expects an array and a text, got {values!r}, {separator!r}")
    return separator.join(_text(v) for v in values)


def _first(values: Any) -> Any:
    if not isinstance(values, list):
        raise NotUnderstood(f"first() expects an array, got {values!r}")
    return values[0] if values else UNDEFINED


def _sha256(text: Any, encoding: Any = "hex", key: Any = UNDEFINED) -> str:
    """Make's `sha256(text; [output encoding]; [key])`: with a key, the HMAC-SHA256 of the text (Make's function
    reference; e.g. `{{sha256(1.payload; "hex"; 1.secretKey)}}` to generate an HMAC signature). Only text in,
    hex out, and a text key are understood here."""
    if not isinstance(text, str) or encoding != "hex":
        raise NotUnderstood(f"sha256() with {text!r}, {encoding!r} is not understood here")
    if key is UNDEFINED:
        return hashlib.sha256(text.encode()).hexdigest()
    if not isinstance(key, str) or not key:
        raise NotUnderstood(f"sha256() key must be a non-empty text, got {key!r}")
    return hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "ifempty": lambda value, fallback: fallback if _empty(value) else value,
    "join": _join,
    "first": _first,
    "round": lambda number: _round(number),
    "sha256": _sha256,
}


def _round(number: Any) -> int:
    if isinstance(number, bool) or not isinstance(number, (int, float)):
        raise NotUnderstood(f"round() expects a number, got {number!r}")
    return int(round(number))


_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^'\\]|\\.)*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>[.,()*+=]))"
)


def _tokens(expr: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(expr):
        if expr[pos:].strip() == "":
            break
        match = _TOKEN.match(expr, pos)
        if match is None:
            raise NotUnderstood(f"IML syntax not understood at {expr[pos:]!r} in {{{{{expr}}}}}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, expr: str, ctx: Mapping[str, Any]) -> None:
        self.expr = expr
        self.toks = _tokens(expr)
        self.pos = 0
        self.ctx = ctx

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            raise NotUnderstood(f"IML syntax not understood in {{{{{self.expr}}}}}")
        self.pos += 1
        return tok

    def run(self) -> Any:
        value = self.comparison()
        if self.peek() is not None:
            raise NotUnderstood(f"IML operator or syntax not understood in {{{{{self.expr}}}}}")
        return value

    def comparison(self) -> Any:
        """`a = b`, Make's equality operator, on two texts or two numbers only (no coercion is guessed)."""
        left = self.sum()
        if self.peek() != ("op", "="):
            return left
        self.take("=")
        right = self.sum()
        if self.peek() == ("op", "="):
            raise NotUnderstood(f"chained or doubled = in {{{{{self.expr}}}}}")
        kinds = {type(v) for v in (left, right)}
        if not (kinds <= {str} or kinds <= {int, float}) or bool in kinds:
            raise NotUnderstood(f"= needs two texts or two numbers, got {left!r} = {right!r}")
        return left == right

    def sum(self) -> Any:
        """`a + b`: numbers add; a text on either side concatenates, with an integer written in decimal (as Make
        joins a number into text). Anything else (undefined, null, booleans, collections) is not understood."""
        value = self.product()
        while self.peek() == ("op", "+"):
            self.take("+")
            right = self.product()
            for v in (value, right):
                if isinstance(v, bool) or not isinstance(v, (str, int, float)):
                    raise NotUnderstood(f"+ needs texts or numbers, got {value!r} + {right!r}")
            if isinstance(value, str) or isinstance(right, str):
                if isinstance(value, float) or isinstance(right, float):
                    raise NotUnderstood(f"+ joining a decimal number into text: {value!r} + {right!r}")
                value = f"{value}{right}"
            else:
                value = value + right
        return value

    def product(self) -> Any:
        """`a * b`, the one operator the app uses (dollars to micro-dollars); both sides must be numbers."""
        value = self.value()
        while self.peek() == ("op", "*"):
            self.take("*")
            right = self.value()
            if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in (value, right)):
                raise NotUnderstood(f"* needs numbers, got {value!r} * {right!r}")
            value = value * right
        return value

    def value(self) -> Any:
        kind, text = self.take()
        if kind == "str":
            return text[1:-1].replace("\\'", "'")
        if kind == "num":
            return float(text) if "." in text else int(text)
        if kind != "name":
            raise NotUnderstood(f"IML syntax not understood in {{{{{self.expr}}}}}")
        if text in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[text]
        nxt = self.peek()
        if nxt is not None and nxt[1] == "(":
            return self.call(text)
        return self.path(text)

    def call(self, name: str) -> Any:
        if name not in FUNCTIONS:
            raise NotUnderstood(f"IML function {name}() is not one this interpreter knows")
        self.take("(")
        args = [self.comparison()]
        while self.peek() == ("op", ","):
            self.take(",")
            args.append(self.comparison())
        self.take(")")
        return FUNCTIONS[name](*args)

    def path(self, root: str) -> Any:
        if root not in ROOTS:
            raise NotUnderstood(f"IML variable {root!r} is not one this interpreter knows")
        if root not in self.ctx:
            raise NotUnderstood(f"IML variable {root!r} is not available here")
        value = self.ctx[root]
        while self.peek() == ("op", "."):
            self.take(".")
            _, key = self.take()
            value = value.get(key, UNDEFINED) if isinstance(value, dict) else UNDEFINED
        return value


_EXPR = re.compile(r"\{\{(.*?)\}\}")


def _text(value: Any) -> str:
    if value is UNDEFINED or value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def evaluate(template: Any, ctx: Mapping[str, Any]) -> Any:
    """IML over any JSON value: a string that is exactly one `{{expr}}` keeps the expression's type."""
    if isinstance(template, str):
        whole = _EXPR.fullmatch(template)
        if whole is not None and "{{" not in whole.group(1):
            return _Parser(whole.group(1), ctx).run()
        return _EXPR.sub(lambda m: _text(_Parser(m.group(1), ctx).run()), template)
    if isinstance(template, dict):
        out = {k: evaluate(v, ctx) for k, v in template.items()}
        return {k: v for k, v in out.items() if v is not UNDEFINED}
    if isinstance(template, list):
        return [v for v in (evaluate(item, ctx) for item in template) if v is not UNDEFINED]
    return template


REQUEST_KEYS = {"url", "method", "headers", "qs", "body", "type", "condition", "temp", "log", "pagination", "response"}
RESPONSE_KEYS = {"output", "iterate", "limit", "valid", "error", "temp", "data", "metadata"}
PAGINATION_KEYS = {"qs", "condition", "mergeWithParent"}
WEBHOOK_KEYS = {"respond", "output", "condition"}


def _check(spec: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = set(spec) - allowed
    if unknown:
        raise NotUnderstood(f"{where}: directive(s) {sorted(unknown)} not understood")


@dataclass
class Result:
    outputs: list[Any] = field(default_factory=list)
    data: Any = UNDEFINED
    metadata: Any = UNDEFINED
    calls: list[requests.Response] = field(default_factory=list)
    """Every HTTP answer, in order (the tests look at pages and raw bodies)."""


@dataclass
class App:
    """The app's base plus a way to send HTTP (a requests.Session)."""

    base: Mapping[str, Any]
    session: requests.Session = field(default_factory=requests.Session)

    def run(
        self,
        spec: Any,
        *,
        connection: Mapping[str, Any] | None,
        parameters: Mapping[str, Any],
        webhook: Mapping[str, Any] | None = None,
        use_base: bool = True,
    ) -> Result:
        """Runs a communication (one request or a chain) as a module, RPC, connection check or attach/detach."""
        ctx: dict[str, Any] = {"parameters": dict(parameters), "temp": {}}
        if connection is not None:
            ctx["connection"] = dict(connection)
        if webhook is not None:
            ctx["webhook"] = dict(webhook)
        result = Result()
        chain = spec if isinstance(spec, list) else [spec]
        for step in chain:
            self._request(step, ctx, result, use_base)
        return result

    def _request(self, spec: Mapping[str, Any], ctx: dict[str, Any], result: Result, use_base: bool) -> None:
        _check(spec, REQUEST_KEYS, "request")
        base = self.base if use_base else {}
        condition = spec.get("condition", True)
        default = UNDEFINED
        if isinstance(condition, dict):
            _check(condition, {"condition", "default"}, "condition")
            default = condition.get("default", UNDEFINED)
            condition = condition.get("condition", True)
        if not evaluate(condition, ctx):
            if default is not UNDEFINED:
                result.outputs = [evaluate(default, ctx)]
            return
        if "temp" in spec:
            ctx["temp"].update(evaluate(spec["temp"], ctx))
        sanitized: set[str] = set()
        for source in (base, spec):
            for entry in (source.get("log") or {}).get("sanitize", []):
                if not re.fullmatch(r"(request|response)\.(headers|body|qs)\.[A-Za-z0-9_.-]+", entry):
                    raise NotUnderstood(f"log.sanitize path {entry!r} not understood")
                sanitized.add(entry.lower())
        response_spec: dict[str, Any] = dict(base.get("response", {}))
        response_spec.update(spec.get("response", {}))
        _check(response_spec, RESPONSE_KEYS, "response")
        pagination = spec.get("pagination")
        if pagination is not None:
            _check(pagination, PAGINATION_KEYS, "pagination")
        limit = evaluate(response_spec.get("limit", UNDEFINED), ctx)
        qs_template = spec.get("qs", {})
        while True:
            answer = self._send(spec, base, ctx, qs_template)
            result.calls.append(answer)
            _check_logged_secrets(answer, sanitized)
            rctx = dict(ctx, **self._answer_context(answer))
            self._raise_for_error(response_spec, rctx, answer.status_code)
            if "temp" in response_spec:
                ctx["temp"].update(evaluate(response_spec["temp"], rctx))
                rctx["temp"] = ctx["temp"]
            if "data" in response_spec:
                result.data = evaluate(response_spec["data"], rctx)
            if "metadata" in response_spec:
                result.metadata = evaluate(response_spec["metadata"], rctx)
            if "output" in response_spec or "iterate" in response_spec:
                if "iterate" in response_spec:
                    items = evaluate(response_spec["iterate"], rctx)
                    if not isinstance(items, list):
                        raise NotUnderstood(f"iterate gave {items!r}, not an array")
                    page = [evaluate(response_spec.get("output", "{{item}}"), dict(rctx, item=item)) for item in items]
                    if pagination is None:
                        result.outputs = page
                    else:
                        result.outputs.extend(page)
                else:
                    result.outputs = [evaluate(response_spec["output"], rctx)]
            if isinstance(limit, int) and len(result.outputs) >= limit:
                result.outputs = result.outputs[:limit]
                return
            if pagination is None or not evaluate(pagination.get("condition", True), rctx):
                return
            page_qs = evaluate(pagination.get("qs", {}), rctx)
            if pagination.get("mergeWithParent", True):
                qs_template = {**qs_template, **page_qs}
            else:
                qs_template = page_qs

    def _send(
        self, spec: Mapping[str, Any], base: Mapping[str, Any], ctx: dict[str, Any], qs_template: Any
    ) -> requests.Response:
        url = evaluate(spec["url"], ctx)
        if not isinstance(url, str) or not url:
            raise NotUnderstood(f"url evaluated to {url!r}")
        if url.startswith("/"):
            if "baseUrl" not in base:
                raise NotUnderstood(f"relative url {url!r} without a base")
            url = evaluate(base["baseUrl"], ctx) + url
        method = evaluate(spec.get("method", "GET"), ctx)
        if method not in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
            raise NotUnderstood(f"method {method!r}")
        headers = {
            k: _text(v) for k, v in evaluate({**base.get("headers", {}), **spec.get("headers", {})}, ctx).items()
        }
        qs = {k: _text(v) for k, v in evaluate(qs_template, ctx).items() if v is not None}
        kind = spec.get("type", "json")
        kwargs: dict[str, Any] = {}
        if "body" in spec:
            body = evaluate(spec["body"], ctx)
            if body is not UNDEFINED:
                if kind == "json":
                    kwargs["json"] = body
                elif kind == "text":
                    kwargs["data"] = _text(body).encode()
                else:
                    raise NotUnderstood(f"request type {kind!r}")
        return self.session.request(method, url, params=qs, headers=headers, timeout=30, **kwargs)

    @staticmethod
    def _answer_context(answer: requests.Response) -> dict[str, Any]:
        content_type = answer.headers.get("Content-Type", "")
        body: Any = answer.text
        if "json" in content_type and answer.content:
            body = answer.json()
        elif not answer.content:
            body = UNDEFINED
        return {
            "body": body,
            "statusCode": answer.status_code,
            "headers": {k.lower(): v for k, v in answer.headers.items()},
        }

    @staticmethod
    def _raise_for_error(response_spec: Mapping[str, Any], rctx: Mapping[str, Any], status: int) -> None:
        valid = evaluate(response_spec.get("valid", True), rctx) if "valid" in response_spec else 200 <= status < 300
        if valid:
            return
        spec = response_spec.get("error")
        if spec is None:
            raise MakeError("RuntimeError", f"Response status code {status}", status)
        if isinstance(spec, str):
            raise MakeError("RuntimeError", _text(evaluate(spec, rctx)), status)
        chosen = spec.get(str(status), spec)
        _check(chosen, {"message", "type"} | {k for k in chosen if re.fullmatch(r"\d{3}", k)}, "error")
        error_type = evaluate(chosen.get("type", "RuntimeError"), rctx)
        if error_type not in ERROR_TYPES:
            raise NotUnderstood(f"error type {error_type!r} is not one of Make's")
        raise MakeError(error_type, _text(evaluate(chosen["message"], rctx)), status)


def _check_logged_secrets(answer: requests.Response, sanitized: set[str]) -> None:
    """Make logs each request and response; the admin token and any `secret` in an answer must be sanitized."""
    if (
        "authorization" in {k.lower() for k in answer.request.headers}
        and "request.headers.authorization" not in sanitized
    ):
        raise WouldLogSecret("the Authorization header is not in log.sanitize")
    if "json" in answer.headers.get("Content-Type", "") and answer.content:
        body = answer.json()
        if isinstance(body, dict) and "secret" in body and "response.body.secret" not in sanitized:
            raise WouldLogSecret(
                f"{answer.request.method} {answer.request.path_url} answers a secret not in log.sanitize"
            )


def receive(
    spec: Mapping[str, Any], body: Any, headers: Mapping[str, str], webhook: Mapping[str, Any] | None = None
) -> tuple[Any, Any]:
    """An incoming webhook delivery through the webhook's communication: (bundle output, response to the sender).

    `webhook` is what the attach call saved in `response.data` (Make: "available … as the `webhook` IML
    variable"). A `condition` that is false makes no bundle: the output is UNDEFINED (Make: "Determines whether to
    execute the current request"); the sender still gets the `respond` answer."""
    _check(spec, WEBHOOK_KEYS, "webhook")
    ctx: dict[str, Any] = {"body": body, "headers": {k.lower(): v for k, v in headers.items()}, "temp": {}}
    if webhook is not None:
        ctx["webhook"] = dict(webhook)
    condition = evaluate(spec.get("condition", True), ctx)
    if not isinstance(condition, bool):
        raise NotUnderstood(f"webhook condition evaluated to {condition!r}, not true or false")
    output = evaluate(spec.get("output", "{{body}}"), ctx) if condition else UNDEFINED
    respond = spec.get("respond")
    if respond is not None:
        _check(respond, {"type", "status", "body", "headers"}, "respond")
        respond = evaluate(respond, ctx)
    return output, respond
