"""The gateway's OpenAPI document and its error bodies, without Kafka or Redis: what
the document promises for every route, and that FastAPI's own errors keep the
promised shape. (tests/e2e/test_openapi_contract.py fuzzes the running gateway.)"""
from __future__ import annotations

import httpx
import pytest
from jsonschema import Draft202012Validator

from services.gateway.json_body import referenced_schemas

ADMIN = {"Authorization": "Bearer dev-admin-key"}
PROVIDER = {"Authorization": "Bearer dev-key"}
PROBLEM_REF = "#/components/schemas/Problem"
# Answers whose body is not a Problem, on purpose.
OWN_BODIES = {("/readyz", "get", "503")}


@pytest.fixture(scope="module")
def document(app) -> dict:
    return app.openapi()


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_error_answer_is_a_problem(document):
    for path, method, operation in _operations(document):
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")) and (path, method, status) not in OWN_BODIES:
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": PROBLEM_REF}, (path, method, status, schema)
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_every_read_and_write_route_documents_auth_throttling_and_outages(document):
    for path, method, operation in _operations(document):
        if path.startswith("/v1/"):
            missing = {"401", "403", "429", "503"} - set(operation["responses"])
            assert not missing, (method, path, missing)
            for status in ("429", "503"):
                assert operation["responses"][status]["headers"]["Retry-After"]["required"] is True


def test_routes_with_a_body_document_413_and_422(document):
    for path, method, operation in _operations(document):
        if "requestBody" in operation:
            assert {"413", "422"} <= set(operation["responses"]), (method, path)


def test_routes_with_etags_document_304(document):
    for path, method, operation in _operations(document):
        if "ETag" in (operation["responses"].get("200", {}).get("headers") or {}):
            assert "304" in operation["responses"], (method, path)


def test_json_request_bodies_forbid_unknown_fields(document):
    components = document["components"]["schemas"]
    checked = set()
    for path, method, operation in _operations(document):
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body:
            checked |= referenced_schemas(body["schema"], components, set())
    assert {"BulkSubmission", "NewSubscription", "Webhook"} <= checked
    for name in checked:
        if "properties" in components[name]:
            assert components[name].get("additionalProperties") is False, name


@pytest.fixture
async def client(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as http:
        yield http


def _is_problem(document, body) -> None:
    schema = {"$ref": PROBLEM_REF, "components": document["components"]}
    Draft202012Validator(schema).validate(body)


async def test_request_validation_answers_a_problem_naming_the_field(client, document):
    answer = await client.post("/v1/subscriptions", headers=ADMIN, json={"name": "Bad Name", "extra": 1})
    assert answer.status_code == 422
    body = answer.json()
    _is_problem(document, body)
    assert body["error"] == "invalid_request"
    assert {tuple(e["loc"]) for e in body["errors"]} == {("body", "name"), ("body", "extra")}


def test_the_list_filters_document_their_bounds(document):
    """FastAPI refuses a longer list with 422 before the route scans anything, and the
    schema tells clients (and the fuzzer) the bound."""
    params = {p["name"]: p["schema"] for p in document["paths"]["/v1/articles"]["get"]["parameters"]}
    assert params["keyword"]["maxItems"] == 20
    assert all(params[name]["maxItems"] == 50 for name in ("language", "subject", "person", "organisation",
                                                            "place", "provider"))


async def test_http_exceptions_answer_a_problem_with_their_headers(client, document):
    answer = await client.get("/v1/subscriptions")
    assert answer.status_code == 401 and answer.headers["WWW-Authenticate"] == "Bearer"
    _is_problem(document, answer.json())
    assert answer.json()["error"] == "unauthorized"


ROUTES_WITH_A_JSON_BODY = [("POST", "/v1/subscriptions", "/v1/subscriptions", ADMIN),
                           ("PUT", "/v1/subscriptions/x", "/v1/subscriptions/{name}", ADMIN),
                           ("POST", "/v1/articles/bulk", "/v1/articles/bulk", PROVIDER)]


@pytest.mark.parametrize("method, path, documented, key", ROUTES_WITH_A_JSON_BODY,
                         ids=[f"{m} {d}" for m, _, d, _ in ROUTES_WITH_A_JSON_BODY])
@pytest.mark.parametrize("body, status, error", [
    (b"{not json", 422, "invalid_request"),  # text that is no JSON: a validation error like any other
    (b"not json at all", 422, "invalid_request"),
    (b"\xff\xfe{", 400, "bad_request"),  # a UTF-16 byte-order mark, then no UTF-16
    ('{"name": "caf\xe9"}'.encode("latin-1"), 400, "bad_request"),  # not UTF-8
], ids=["broken-json", "plain-text", "broken-utf16", "latin-1"])
async def test_an_unreadable_json_body_answers_the_status_and_code_the_document_gives(
        client, document, method, path, documented, key, body, status, error):
    # with a valid key: the body is read (only) once the key is checked
    answer = await client.request(method, path, headers={**key, "Content-Type": "application/json"}, content=body)
    assert answer.status_code == status, answer.text
    _is_problem(document, answer.json())
    assert answer.json()["error"] == error
    if status == 422:
        assert [e["type"] for e in answer.json()["errors"]] == ["json_invalid"]
    description = document["paths"][documented][method.lower()]["responses"][str(status)]["description"]
    assert f"`{error}`" in description
    if status == 422:
        assert "`json_invalid`" in description


@pytest.mark.parametrize("path, allowed", [("/v1/articles", "GET, POST"), ("/v1/articles/bulk", "POST"),
                                           ("/v1/subscriptions/x", "DELETE, GET, PUT")])
async def test_405_lists_every_method_of_the_path(client, document, path, allowed):
    answer = await client.request("PATCH", path, headers=ADMIN)
    assert answer.status_code == 405 and answer.headers["Allow"] == allowed
    _is_problem(document, answer.json())


@pytest.mark.parametrize("field, value", [("urgency", "6"), ("urgency", True), ("urgency", 6.5), ("feeds", 0),
                                          ("feeds", "true"), ("topic", 1)])
async def test_subscription_fields_refuse_what_json_schema_refuses(client, field, value):
    # pydantic would coerce these; the document says integer / boolean, so they are refused
    body = {"name": "typed", **({"filter": {"urgency": value}} if field == "urgency" else {"outputs": {field: value}})}
    answer = await client.post("/v1/subscriptions", headers=ADMIN, json=body)
    assert answer.status_code == 422, answer.text


async def test_a_repeated_single_valued_query_parameter_is_refused(client, document):
    answer = await client.get("/v1/articles?cursor=1-a&cursor=2-b&language=en&language=pt", headers=ADMIN)
    assert answer.status_code == 422, answer.text
    _is_problem(document, answer.json())
    assert [e["loc"] for e in answer.json()["errors"]] == [["query", "cursor"]]


def test_optional_parameters_are_documented_without_null(document):
    # a query string cannot carry null; leaving the parameter out is what required: false says
    for path, method, operation in _operations(document):
        for parameter in operation.get("parameters", ()):
            assert {"type": "null"} not in parameter["schema"].get("anyOf", ()), (method, path, parameter["name"])
