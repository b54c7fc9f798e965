"""Marshmallow schemas of the admin API, one module per resource; they declare all input validation and are
the source of the OpenAPI document."""
