"""The Make custom app (make-app/): every file valid against Make's own component schemas, every reference
resolving, and every module, RPC, the connection check and the webhook attach/detach run by a strict interpreter
(tests/make_iml.py) against a real `tollgate serve`, with assertions on outputs and on Tollgate's state."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from jsonschema import Draft7Validator
from referencing import Registry
from referencing.jsonschema import DRAFT7

from tollgate.alerts import signing

from .make_iml import UNDEFINED, App, MakeError, NotUnderstood, WouldLogSecret, evaluate, receive
from .servers import free_port, wait_port

APP = Path(__file__).resolve().parent.parent / "make-app"
SCHEMAS = Path(__file__).resolve().parent / "spec" / "make-app-schemas"  # Make's own, vendored (MIT, SOURCE.txt)
TOLLGATE = str(Path(sys.executable).parent / "tollgate")
CODE_SCHEMA = {
    "communication": "api.json",
    "attach": "api.json",
    "detach": "api.json",
    "params": "parameters.json",
    "staticParams": "parameters.json",
    "mappableParams": "parameters.json",
    "interface": "parameters.json",
    "samples": "samples.json",
}


def load(rel: str) -> Any:
    return json.loads((APP / rel).read_text())


MANIFEST = load("makecomapp.json")


def component(kind: str, name: str, code: str) -> Any:
    return load(MANIFEST["components"][kind][name]["codeFiles"][code])


def _validator(schema_file: str) -> Draft7Validator:
    registry: Registry[Any] = Registry()
    for path in SCHEMAS.glob("*.json"):
        registry = registry.with_resource(path.name, DRAFT7.create_resource(json.loads(path.read_text())))
    return Draft7Validator({"$ref": schema_file}, registry=registry)


def _errors(schema_file: str, instance: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in _validator(schema_file).iter_errors(instance)]


# ---------------------------------------------------------------- static checks


def test_every_file_validates_against_makes_schemas() -> None:
    checked: set[Path] = {APP / "makecomapp.json"}
    problems = {"makecomapp.json": _errors("makecomapp.schema.json", MANIFEST)}
    general = MANIFEST["generalCodeFiles"]
    problems[general["base"]] = _errors("base.json", load(general["base"]))
    problems[general["groups"]] = _errors("groups.json", load(general["groups"]))
    checked |= {APP / general["base"], APP / general["groups"]}
    for kind, items in MANIFEST["components"].items():
        for name, meta in items.items():
            for code, rel in meta["codeFiles"].items():
                problems[f"{kind}/{name}/{code}"] = _errors(CODE_SCHEMA[code], load(rel))
                checked.add(APP / rel)
    assert {k: v for k, v in problems.items() if v} == {}
    on_disk = {p for p in APP.rglob("*.json") if "examples" not in p.parts and "node_modules" not in p.parts}
    assert on_disk == checked, "every IML file is listed in makecomapp.json and nothing listed is missing"


def test_the_schemas_do_catch_mistakes() -> None:
    """The validation above can fail: the schemas refuse what Make's editor refuses."""
    assert _errors("api.json", {"url": "/api/v1/clients", "method": "GET", "qs": "limit=5"})
    assert _errors("api.json", {"url": "/api/v1/clients", "method": "POST"})  # POST without a body
    assert _errors("parameters.json", [{"name": "x", "type": "dropdown"}])
    assert _errors(
        "parameters.json", [{"name": "x", "type": "select", "options": {"store": "rpc://a", "dependsOn": "y"}}]
    )


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def test_every_reference_resolves() -> None:
    comps = MANIFEST["components"]
    for kind in ("module", "rpc", "webhook"):
        for name, meta in comps[kind].items():
            assert meta["connection"] in comps["connection"], f"{kind} {name}"
            for rel in meta["codeFiles"].values():
                for text in _strings(load(rel)):
                    for rpc in re.findall(r"rpc://([A-Za-z0-9_]+)", text):
                        assert rpc in comps["rpc"], f"{rel} refers to rpc://{rpc}"
    for name, meta in comps["module"].items():
        if meta["moduleType"] == "instant_trigger":
            assert meta["webhook"] in comps["webhook"], name
    grouped = {m for group in load(MANIFEST["generalCodeFiles"]["groups"]) for m in group["modules"]}
    assert grouped == set(comps["module"])


def test_module_names_follow_makes_wording() -> None:
    labels = {meta["label"] for meta in MANIFEST["components"]["module"].values()}
    assert labels == {
        "Create a Client", "Get a Client", "Update a Client", "Search Clients", "Create a Project", "Create a Sub-Key",
        "Rotate a Sub-Key", "Revoke a Sub-Key", "Set a Budget", "Get Cap Status", "Search Usage", "Get Burn Rate",
        "Record a Usage Event", "Generate a Usage Report", "Get a Report", "Get an Invoice Draft", "Make an API Call",
        "Watch Tollgate Events",
    }  # fmt: skip


def test_the_interpreter_refuses_what_it_does_not_understand() -> None:
    app = App(base={"baseUrl": "http://127.0.0.1:9"})
    for spec, needle in [
        ({"url": "/x", "method": "GET", "repeat": {}}, "directive"),
        ({"url": "/x/{{md5(parameters.a)}}"}, "md5"),
        ({"url": "/x/{{scenario.id}}"}, "scenario"),
        ({"url": "/x/{{parameters.a - 1}}"}, "syntax"),
        ({"url": "/x/{{parameters.a + parameters.missing}}"}, r"\+ needs"),
        ({"url": "/x/{{parameters.a == 'b'}}"}, "="),
        ({"url": "/x/{{parameters.a = 1}}"}, "= needs"),
        ({"url": "/x/{{sha256(parameters.a, 'base64', 'k')}}"}, "sha256"),
        ({"url": "/x", "response": {"wrapper": "{{output}}"}}, "directive"),
    ]:
        with pytest.raises(NotUnderstood, match=needle):
            app.run(spec, connection={}, parameters={"a": "b"})


def test_the_signature_functions_mean_what_make_means() -> None:
    """sha256(text, 'hex', key) is HMAC-SHA256 (Make's function reference), + joins text, = compares."""
    key, text = "whsec_k", "1800000000.evt_1.cap.exceeded..2026-12-01T00:00:00+00:00"
    ctx = {"parameters": {"key": key, "t": 1800000000, "id": "evt_1"}}
    assert evaluate("{{sha256('abc')}}", ctx) == hashlib.sha256(b"abc").hexdigest()
    assert evaluate(f"{{{{sha256('{text}', 'hex', parameters.key)}}}}", ctx) == signing.sign_fields(key, text)
    assert evaluate("{{parameters.t + '.' + parameters.id}}", ctx) == "1800000000.evt_1"
    assert evaluate("{{parameters.t + 1}}", ctx) == 1800000001
    assert evaluate("{{parameters.id = 'evt_1'}}", ctx) is True
    assert evaluate("{{parameters.id = 'evt_2'}}", ctx) is False


def test_the_example_blueprint_uses_this_apps_modules_and_fields() -> None:
    blueprint = json.loads((APP / "examples" / "report-ready-to-slack.blueprint.json").read_text())
    modules = MANIFEST["components"]["module"]
    outputs: dict[int, set[str]] = {}
    for step in blueprint["flow"]:
        app_name, _, module = step["module"].partition(":")
        for ref_id, path in re.findall(r"\{\{(\d+)\.([a-z_.]+)\}\}", json.dumps(step["mapper"])):
            assert path in outputs[int(ref_id)], (
                f"step {step['id']} maps {ref_id}.{path}, which that module does not output"
            )
        if app_name != "tollgate":
            continue
        assert module in modules, step["module"]
        fields = (
            {p["name"] for p in component("module", module, "mappableParams")} if module != "watchEvents" else set()
        )
        assert set(step["mapper"]) <= fields, f"{module} has no field(s) {set(step['mapper']) - fields}"
        names: set[str] = set()
        for field in component("module", module, "interface"):
            names.add(field["name"])
            names |= {f"{field['name']}.{sub['name']}" for sub in field.get("spec", []) if isinstance(sub, dict)}
        outputs[step["id"]] = names


# ---------------------------------------------------------------- against a running Tollgate


@dataclass
class Gateway:
    base_url: str
    admin_token: str
    proc: subprocess.Popen[bytes]

    @property
    def connection(self) -> dict[str, str]:
        return {"baseUrl": self.base_url, "token": self.admin_token}

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.admin_token}"}
        return requests.request(method, self.base_url + path, headers=headers, timeout=30, **kwargs)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """`tollgate demo` then `tollgate serve`, as tests/test_gateway_server.py starts it, on a free port."""
    data_dir = tmp_path_factory.mktemp("make") / "data"
    port = free_port()
    env = os.environ | {
        "TOLLGATE_DATA_DIR": str(data_dir),
        "TOLLGATE_PORT": str(port),
        "TOLLGATE_WORKERS": "1",
        "TOLLGATE_MOCK_UPSTREAM": "1",
        "TOLLGATE_ALLOW_PRIVATE_UPSTREAMS": "1",
        "TOLLGATE_ALERT_INTERVAL_S": "1",
    }
    env.pop("OPENAI_API_KEY", None)
    env.pop("TOLLGATE_SECRET_KEY", None)
    env.pop("REDIS_URL", None)
    demo = subprocess.run([TOLLGATE, "demo"], env=env, capture_output=True, timeout=120)
    assert demo.returncode == 0, demo.stderr.decode()
    creds = json.loads((data_dir / "demo-credentials.json").read_text())
    log = (data_dir.parent / "server.log").open("wb")
    proc = subprocess.Popen([TOLLGATE, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_port(port, 60)
        yield Gateway(f"http://127.0.0.1:{port}", creds["admin_token"], proc)
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


@pytest.fixture(scope="module")
def app() -> App:
    return App(base=load(MANIFEST["generalCodeFiles"]["base"]))


def run_module(app: App, gw: Gateway, module: str, /, **parameters: Any) -> list[Any]:
    return app.run(
        component("module", module, "communication"), connection=gw.connection, parameters=parameters
    ).outputs


def run_rpc(app: App, gw: Gateway, rpc: str, /, **parameters: Any) -> list[Any]:
    return app.run(component("rpc", rpc, "communication"), connection=gw.connection, parameters=parameters).outputs


def test_connection_is_checked_with_a_real_call(app: App, gateway: Gateway) -> None:
    spec = component("connection", "tollgate", "communication")
    result = app.run(spec, connection=None, parameters=gateway.connection, use_base=False)
    assert result.calls[0].request.url == gateway.base_url + "/api/v1/workspace"
    assert result.metadata == {"type": "text", "value": gateway.api("GET", "/api/v1/workspace").json()["name"]}
    with pytest.raises(MakeError) as bad:
        app.run(spec, connection=None, parameters={"baseUrl": gateway.base_url, "token": "tga_wrong"}, use_base=False)
    assert bad.value.type == "InvalidAccessTokenError" and bad.value.message.startswith("[401] ")
    assert "admin token" in bad.value.message


def test_clients_projects_and_keys(app: App, gateway: Gateway) -> None:
    [client] = run_module(app, gateway, "createClient", name="Initech", slug="initech", external_ref="CRM-7")
    assert gateway.api("GET", f"/api/v1/clients/{client['id']}").json()["slug"] == "initech"
    assert run_module(app, gateway, "getClient", client_id=client["id"]) == [client]
    [updated] = run_module(app, gateway, "updateClient", client_id=client["id"], name="Initech Ltd")
    assert (updated["name"], updated["slug"], updated["external_ref"]) == ("Initech Ltd", "initech", "CRM-7")
    assert [c["id"] for c in run_module(app, gateway, "searchClients", q="initech", status="active", limit=10)] == [
        client["id"]
    ]
    with pytest.raises(MakeError) as dup:
        run_module(app, gateway, "createClient", name="Again", slug="initech")
    assert (dup.value.type, dup.value.message) == (
        "DuplicateDataError",
        "[409] A client with this slug already exists in this workspace.",
    )
    with pytest.raises(MakeError) as invalid:
        run_module(app, gateway, "createClient", name="No slug", slug="Not A Slug!")
    assert invalid.value.type == "DataError" and "slug" in invalid.value.message

    [project] = run_module(app, gateway, "createProject", client_id=client["id"], name="Chatbot", slug="chatbot")
    assert gateway.api("GET", f"/api/v1/projects/{project['id']}").json()["client_id"] == client["id"]
    assert run_rpc(app, gateway, "listProjects", client_id=client["id"]) == [
        {"label": "Chatbot", "value": project["id"]}
    ]
    assert {"label": "Initech Ltd", "value": client["id"]} in run_rpc(app, gateway, "listClients")

    [key] = run_module(app, gateway, "createSubKey", client_id=client["id"], project_id=project["id"], name="Bot")
    assert key["secret"].startswith("tg_") and key["openai_base_url"] == gateway.base_url + "/v1"
    assert key["project_id"] == project["id"] and key["last4"] == key["secret"][-4:]
    chat = requests.post(
        key["openai_base_url"] + "/chat/completions",
        headers={"Authorization": f"Bearer {key['secret']}"},
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
        timeout=30,
    )
    assert chat.status_code == 200, chat.text
    assert run_rpc(app, gateway, "listSubKeys", client_id=client["id"]) == [
        {"label": f"Bot (…{key['last4']})", "value": key["id"]}
    ]
    [rotated] = run_module(app, gateway, "rotateSubKey", key_id=key["id"], overlap_seconds=0)
    assert rotated["secret"].startswith("tg_") and rotated["secret"] != key["secret"] and rotated["id"] != key["id"]
    assert run_module(app, gateway, "revokeSubKey", key_id=rotated["id"]) == [{"id": rotated["id"], "revoked": True}]
    assert gateway.api("GET", f"/api/v1/sub-keys/{rotated['id']}").json()["status"] in {"revoking", "revoked"}
    unsanitized = dict(component("module", "createSubKey", "communication"), log={})
    with pytest.raises(WouldLogSecret):  # the check that keeps the secret out of Make's logs can fail
        app.run(unsanitized, connection=gateway.connection, parameters={"client_id": client["id"], "name": "Leaky"})


def test_rpcs_and_searches_follow_the_cursors(app: App, gateway: Gateway) -> None:
    for i in range(205):
        created = gateway.api("POST", "/api/v1/clients", json={"name": f"Bulk {i:03}", "slug": f"bulk-{i:03}"})
        assert created.status_code == 201, created.text
    result = app.run(component("rpc", "listClients", "communication"), connection=gateway.connection, parameters={})
    assert len(result.calls) == 2 and "cursor=" in (result.calls[1].request.url or "")
    labels = [o["label"] for o in result.outputs]
    assert sum(label.startswith("Bulk ") for label in labels) == 205 and len(labels) == len(
        set(o["value"] for o in result.outputs)
    )
    found = run_module(app, gateway, "searchClients", q="Bulk", status="active", limit=203)
    assert len(found) == 203 and len({c["id"] for c in found}) == 203
    assert len(run_module(app, gateway, "searchClients", q="Bulk", limit=5)) == 5


def test_budgets_usage_reports_and_invoices(app: App, gateway: Gateway) -> None:
    [client] = run_module(app, gateway, "createClient", name="Hooli", slug="hooli")
    [project] = run_module(app, gateway, "createProject", client_id=client["id"], name="Search", slug="search")
    [key] = run_module(app, gateway, "createSubKey", client_id=client["id"], name="Search bot")
    [budget] = run_module(
        app, gateway, "setBudget", client_id=client["id"], scope="client", amount_usd=250.5, name="Hooli monthly"
    )
    assert (budget["scope"], budget["scope_id"], budget["amount_micros"], budget["hard"]) == (
        "client",
        client["id"],
        250_500_000,
        True,
    )
    [on_project] = run_module(
        app,
        gateway,
        "setBudget",
        client_id=client["id"],
        scope="project",
        project_id=project["id"],
        amount_usd=10,
        period="daily",
        hard=False,
    )
    assert (on_project["scope"], on_project["scope_id"], on_project["period"], on_project["hard"]) == (
        "project",
        project["id"],
        "daily",
        False,
    )
    [on_key] = run_module(
        app, gateway, "setBudget", client_id=client["id"], scope="key", key_id=key["id"], amount_usd=0.1
    )
    assert (on_key["scope"], on_key["scope_id"], on_key["amount_micros"]) == ("key", key["id"], 100_000)
    [cap] = run_module(app, gateway, "getCapStatus", client_id=client["id"])
    assert cap["scope_id"] == client["id"] and [b["budget_id"] for b in cap["budgets"]] == [budget["id"]]

    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    usage = {"client_id": client["id"], "project_id": project["id"], "input_tokens": 1000, "output_tokens": 500}
    [accepted] = run_module(
        app,
        gateway,
        "recordUsageEvent",
        event_id="run-1",
        timestamp=now,
        provider="openai",
        model="gpt-4o-mini",
        **usage,
    )
    assert accepted == {"accepted": 1, "event_id": "run-1"}
    rows: list[Any] = []
    for _ in range(50):
        rows = run_module(app, gateway, "searchUsage", group_by=["client", "source"], client_id=client["id"], limit=100)
        if rows:
            break
        time.sleep(0.2)
    assert [(r["client_id"], r["source"], r["input_tokens"], r["output_tokens"]) for r in rows] == [
        (client["id"], "ingested", 1000, 500)
    ]
    burn = run_module(app, gateway, "getBurnRate", days=30, client_id=client["id"], limit=10)
    assert [b["client_id"] for b in burn] == [client["id"]] and burn[0]["cost_micros"] > 0

    month = time.strftime("%Y-%m", time.gmtime())
    [report] = run_module(app, gateway, "generateReport", month=month, client_id=client["id"])
    assert (report["client_id"], report["month"]) == (client["id"], month)
    [plain] = run_module(app, gateway, "getReport", report_id=report["id"], share_link=False)
    assert plain["id"] == report["id"] and "share_url" not in plain
    [shared] = run_module(app, gateway, "getReport", report_id=report["id"], share_link=True, expires_in_days=7)
    assert shared["id"] == report["id"] and shared["share_url"].startswith("http") and shared["share_expires_at"]
    plan = {"effective_month": month, "kind": "cost_plus", "markup_percent": "30"}
    assert gateway.api("PUT", f"/api/v1/clients/{client['id']}/billing-plan", json=plan).status_code == 200
    [invoice] = run_module(app, gateway, "getInvoiceDraft", client_id=client["id"], month=month)
    assert (invoice["client_id"], invoice["month"], invoice["status"]) == (client["id"], month, "preview")
    with pytest.raises(MakeError) as missing:
        run_module(app, gateway, "getInvoiceDraft", client_id="cli_nope", month=month)
    assert missing.value.type == "DataError" and missing.value.message.startswith("[404] ")


def test_make_an_api_call(app: App, gateway: Gateway) -> None:
    [listed] = run_module(app, gateway, "makeApiCall", url="/api/v1/clients?limit=1", method="GET")
    assert listed["statusCode"] == 200 and len(listed["body"]["data"]) == 1 and "next_cursor" in listed["body"]
    [created] = run_module(
        app,
        gateway,
        "makeApiCall",
        url="/api/v1/clients",
        method="POST",
        body='{"name": "Umbrella", "slug": "umbrella"}',
    )
    assert created["statusCode"] == 201
    assert gateway.api("GET", f"/api/v1/clients/{created['body']['id']}").json()["name"] == "Umbrella"


class _Recorder(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []
    answer_status = 200
    answer_body = b"{}"

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        type(self).received.append((dict(self.headers.items()), body))
        self.send_response(self.answer_status)
        self.send_header("Content-Type", "application/problem+json")
        self.end_headers()
        self.wfile.write(self.answer_body)

    do_GET = do_POST  # noqa: N815

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[_Recorder]]]:
    handler = type("Recorder", (_Recorder,), {"received": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler
    finally:
        server.shutdown()
        server.server_close()


def test_rate_limits_become_make_rate_limit_errors(app: App, receiver: tuple[str, type[_Recorder]]) -> None:
    """Tollgate's admin API answers 429 as a problem; the base turns it into RateLimitError, which Make retries."""
    url, handler = receiver
    handler.answer_status = 429
    handler.answer_body = json.dumps(
        {
            "type": "about:blank",
            "title": "Too Many Requests",
            "status": 429,
            "detail": "Slow down: 10 requests a second.",
        }
    ).encode()
    stub = {"baseUrl": url.removesuffix("/hook"), "token": "tga_x"}
    with pytest.raises(MakeError) as limited:
        app.run(component("module", "getClient", "communication"), connection=stub, parameters={"client_id": "cli_1"})
    assert (limited.value.type, limited.value.message) == ("RateLimitError", "[429] Slow down: 10 requests a second.")
    assert handler.received[0][0]["Authorization"] == "Bearer tga_x"


def test_watch_events_attach_deliver_detach(app: App, gateway: Gateway, receiver: tuple[str, type[_Recorder]]) -> None:
    url, handler = receiver
    [client] = run_module(app, gateway, "createClient", name="Soylent", slug="soylent")
    attach = component("webhook", "tollgateEvents", "attach")
    parameters = {"event_types": ["report.ready", "invoice.ready"], "client_ids": [client["id"]]}
    attached = app.run(attach, connection=gateway.connection, parameters=parameters, webhook={"url": url})
    subscription = gateway.api("GET", f"/api/v1/webhook-subscriptions/{attached.data['id']}").json()
    secret = attached.calls[0].json()["secret"]
    assert attached.data == {"id": subscription["id"], "secret": secret}  # the webhook keeps its signing secret
    assert (subscription["url"], subscription["client_ids"]) == (url, [client["id"]])
    assert sorted(subscription["event_types"]) == ["invoice.ready", "report.ready"]

    month = time.strftime("%Y-%m", time.gmtime())
    [report] = run_module(app, gateway, "generateReport", month=month, client_id=client["id"])
    deadline = time.monotonic() + 60
    while not handler.received and time.monotonic() < deadline:
        time.sleep(0.2)
    assert handler.received, "no delivery reached the webhook"
    headers, raw = handler.received[0]
    communication = component("webhook", "tollgateEvents", "communication")
    delivered = json.loads(raw)
    output, respond = receive(communication, delivered, headers, webhook=attached.data)
    assert (output["type"], output["client_id"]) == ("report.ready", client["id"]) and output["id"].startswith("evt_")
    assert output["data"]["report_id"] == report["id"]  # what the example blueprint maps into Get a Report
    assert respond == {"type": "json", "status": 200, "body": {"received": True}}
    # the trigger's condition recomputes the body signature with Make's sha256(text, 'hex', key): forgeries and
    # tampered deliveries make no bundle (Make still answers the sender, so nothing learns the difference)
    forged = dict(delivered, signature={"t": delivered["signature"]["t"], "v1": "0" * 64})
    moved = dict(delivered, client_id="cli_someone_else")
    retyped = dict(delivered, type="cap.exceeded")
    for bad in (forged, moved, retyped):
        refused, answer = receive(communication, bad, headers, webhook=attached.data)
        assert refused is UNDEFINED and answer == respond
    other_secret = dict(attached.data, secret="whsec_not_this_subscription")
    assert receive(communication, delivered, headers, webhook=other_secret)[0] is UNDEFINED
    # What Make cannot check (it hands the app a parsed body, not these bytes) is checkable by the receiver's owner:
    parts = dict(p.split("=", 1) for p in headers["Tollgate-Signature"].split(","))
    good = hmac.new(secret.encode(), f"{parts['t']}.".encode() + raw, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(good, parts["v1"])

    app.run(
        component("webhook", "tollgateEvents", "detach"),
        connection=gateway.connection,
        parameters={},
        webhook=attached.data,
    )
    assert gateway.api("GET", f"/api/v1/webhook-subscriptions/{attached.data['id']}").status_code == 404

    everyone = app.run(
        attach, connection=gateway.connection, parameters={"event_types": ["cap.exceeded"]}, webhook={"url": url}
    )
    assert gateway.api("GET", f"/api/v1/webhook-subscriptions/{everyone.data['id']}").json()["client_ids"] is None
    app.run(
        component("webhook", "tollgateEvents", "detach"),
        connection=gateway.connection,
        parameters={},
        webhook=everyone.data,
    )
