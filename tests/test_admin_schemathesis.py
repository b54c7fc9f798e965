"""Property-based run of the whole admin API from its own OpenAPI document (schemathesis, in-process WSGI,
owner token): no 5xx, and every response matches its documented status code, content type and schema."""

from __future__ import annotations

from typing import Any

import schemathesis
import yaml
from flask import Flask
from hypothesis import HealthCheck, settings

from tests.conftest import Seeded
from tollgate.admin import build_spec_yaml

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]

schema = schemathesis.openapi.from_dict(yaml.safe_load(build_spec_yaml()))


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_admin_api_conforms_to_its_schema(case: Any, app: Flask, seeded: Seeded) -> None:
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {seeded.admin_token}"}, checks=CHECKS)
