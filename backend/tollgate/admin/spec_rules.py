"""Rules the server enforces, stated once so the OpenAPI document carries them too.

The admin API promises that a request valid by openapi.yaml is not refused as bad input (schemathesis checks
it: `--checks all`). Rules that hold for every field or schema live here, each with the validation and its
OpenAPI form side by side, so a new schema inherits both:

- no string may hold NUL (the NUL guard in `blueprint.reject_nul`): every string field without an enum, a
  format or a pattern of its own gets `pattern: ^[^\\u0000]*$`, every dict `propertyNames` with it (and its
  keys' length rule), every string path segment too;
- a JSON body is typed as JSON Schema types it (`json_type_errors`): an `integer` refuses 2.5 and "5", a
  `boolean` refuses 0 and "yes" (marshmallow, lenient, would truncate the one and read the other as false);
- fields required only for some values of another field (`RequiredWhen`): validated by `ConditionalSchema`,
  documented as JSON Schema `if`/`then`/`else` by `ConditionalPlugin`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Final

import marshmallow as ma
from apispec import BasePlugin
from flask_smorest.spec.plugins import unicodeconverter2paramschema
from werkzeug.routing import BaseConverter

NO_NUL_PATTERN: Final = "^[^\\u0000]*$"
"""ECMA-262 (and Python `re`) syntax for "no U+0000 anywhere"."""


def no_nul_pattern(_converter: Any, field: ma.fields.Field, ret: dict[str, Any], **_: Any) -> dict[str, Any]:
    """apispec attribute function: the NUL rule on every string (and dict key) the spec describes. A field
    whose enum, format or own pattern already excludes NUL is left as it is."""
    if isinstance(field, ma.fields.Dict):
        return {"propertyNames": {"pattern": NO_NUL_PATTERN, **_length(field.key_field)}}
    if isinstance(field, ma.fields.String) and not ({"pattern", "enum", "format", "const"} & ret.keys()):
        return {"pattern": NO_NUL_PATTERN}
    return {}


def _length(field: ma.fields.Field | None) -> dict[str, int]:
    """A dict key's Length rule, for `propertyNames` (apispec states none for keys)."""
    out: dict[str, int] = {}
    for rule in getattr(field, "validators", ()):
        if isinstance(rule, ma.validate.Length):
            if rule.min is not None:
                out["minLength"] = rule.min
            if rule.max is not None:
                out["maxLength"] = rule.max
    return out


def path_string_schema(converter: BaseConverter) -> dict[str, Any]:
    """A `<name>` path segment (werkzeug's string converter), with the NUL rule."""
    return {**unicodeconverter2paramschema(converter), "pattern": NO_NUL_PATTERN}


def json_type_errors(schema: ma.Schema, data: Any) -> dict[str, Any]:
    """Where a JSON body breaks its schema's JSON Schema types for integers, numbers and booleans, by field
    (nested ones too): `{"enabled": ["Not a boolean."]}`. An integral number (`5.0`) is an integer, as JSON
    Schema says; `true`, `"5"` and `2.5` are not, nor is `0` a boolean."""
    if not isinstance(data, dict):
        return {}
    errors: dict[str, Any] = {}
    for name, field in schema.fields.items():
        key = field.data_key or name
        if key in data and not field.dump_only:
            problem = _type_error(field, data[key])
            if problem:
                errors[key] = problem
    return errors


def _type_error(field: ma.fields.Field, value: Any) -> Any:
    if value is None:
        return None  # allow_none is marshmallow's to check
    if field.metadata.get("type") == "string":  # documented as a string (a Decimal `as_string`): only a string
        return None if isinstance(value, str) else ["Not a string."]
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(field, ma.fields.Integer) and not (number and float(value).is_integer()):
        return ["Not an integer."]
    if isinstance(field, ma.fields.Number) and not number:
        return ["Not a number."]
    if isinstance(field, ma.fields.Boolean) and not isinstance(value, bool):
        return ["Not a boolean."]
    if isinstance(field, ma.fields.List) and isinstance(value, list):
        found = {str(i): _type_error(field.inner, item) for i, item in enumerate(value)}
        return {i: problem for i, problem in found.items() if problem} or None
    if isinstance(field, ma.fields.Nested) and isinstance(field.schema, ma.Schema):
        if field.many and isinstance(value, list):
            found = {str(i): json_type_errors(field.schema, item) for i, item in enumerate(value)}
            return {i: problem for i, problem in found.items() if problem} or None
        return json_type_errors(field.schema, value) or None
    return None


@dataclass(frozen=True)
class RequiredWhen:
    """When `field` equals `value`, each of `required` must be given and not null (waived when the field
    `unless` is given and not null: a retainer's preset fills its terms); otherwise each of
    `forbidden_otherwise` must be absent or null."""

    field: str
    value: str
    required: Sequence[str]
    forbidden_otherwise: Sequence[str] = ()
    message: str = ""
    unless: str | None = None

    def check(self, data: dict[str, Any]) -> None:
        given = data.get(self.field)
        if given == self.value:
            if self.unless is not None and data.get(self.unless) is not None:
                return
            missing = [name for name in self.required if data.get(name) is None]
            if missing:
                message = self.message or f"`{self.field}` {self.value} needs {', '.join(missing)}."
                raise ma.ValidationError(message, missing[0])
        elif given is not None:
            extra = [name for name in self.forbidden_otherwise if data.get(name) is not None]
            if extra:
                message = self.message or f"Only `{self.field}` {self.value} may have {', '.join(extra)}."
                raise ma.ValidationError(message, extra[0])

    def json_schema(self, schema: ma.Schema) -> dict[str, Any]:
        """The rule as JSON Schema 2020-12 `if`/`then`/`else` over the fields' wire names."""
        wire = {name: field.data_key or name for name, field in schema.fields.items()}
        key = wire[self.field]
        condition: dict[str, Any] = {"properties": {key: {"const": self.value}}, "required": [key]}
        if self.unless is not None:
            waiver = wire[self.unless]
            condition["not"] = {"required": [waiver], "properties": {waiver: {"not": {"type": "null"}}}}
        rule: dict[str, Any] = {
            "if": condition,
            "then": {
                "required": [wire[name] for name in self.required],
                "properties": {wire[name]: {"not": {"type": "null"}} for name in self.required},
            },
        }
        if self.forbidden_otherwise:
            rule["else"] = {"properties": {wire[name]: {"type": "null"} for name in self.forbidden_otherwise}}
        return rule


class ConditionalSchema(ma.Schema):
    """A schema with `RequiredWhen` rules: enforced on load, stated in the OpenAPI document."""

    required_when: ClassVar[tuple[RequiredWhen, ...]] = ()

    @ma.validates_schema
    def _required_when(self, data: dict[str, Any], **_: Any) -> None:
        """Every broken rule is reported, not only the first (a fixed plan with a preset lacks its fee too)."""
        errors: dict[str, list[Any]] = {}
        for rule in self.required_when:
            try:
                rule.check(data)
            except ma.ValidationError as exc:
                for name, messages in exc.normalized_messages().items():
                    errors.setdefault(name, []).extend(messages)
        if errors:
            raise ma.ValidationError(errors)


class ConditionalPlugin(BasePlugin):
    """Adds a `ConditionalSchema`'s rules to its component as `allOf: [{if, then, else}, ...]`."""

    def schema_helper(self, name: str, definition: dict[str, Any], **kwargs: Any) -> dict[str, Any] | None:
        schema = kwargs.get("schema")
        if isinstance(schema, type):
            schema = schema()
        if not isinstance(schema, ConditionalSchema) or not schema.required_when:
            return None
        return {"allOf": [rule.json_schema(schema) for rule in schema.required_when]}
