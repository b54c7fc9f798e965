"""The committed openapi.yaml is the generated one, it is a valid OpenAPI 3.1 document, and it is served."""

from __future__ import annotations

from pathlib import Path

import yaml
from flask import Flask
from openapi_spec_validator import validate

from tollgate.admin import build_spec_yaml

ROOT = Path(__file__).resolve().parents[1]


def test_committed_openapi_yaml_is_current() -> None:
    committed = (ROOT / "openapi.yaml").read_text()
    assert committed == build_spec_yaml(), "openapi.yaml is stale: run `tollgate openapi > openapi.yaml`"


def test_openapi_document_is_valid_3_1() -> None:
    document = yaml.safe_load(build_spec_yaml())
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_spec_and_docs_are_served_without_a_cdn(app: Flask) -> None:
    client = app.test_client()
    served = client.get("/api/v1/openapi.yaml")
    assert served.status_code == 200
    assert yaml.safe_load(served.get_data(as_text=True))["info"]["title"] == "Tollgate admin API"
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/api/docs/assets/swagger-ui-bundle.js" in html
    assert not any(cdn in html for cdn in ("unpkg", "jsdelivr", "cdnjs", "https://"))
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js"):
        assert client.get(f"/api/docs/assets/{asset}").status_code == 200
    assert client.get("/api/docs/assets/../../etc/passwd").status_code == 404
