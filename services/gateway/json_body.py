"""JSON request bodies, parsed only once the caller is known.

FastAPI reads and parses a body parameter before any dependency runs: an anonymous
(or already throttled) client could make the gateway parse 5 MiB of JSON on its
event loop (a body like ``{"articles": [[], [], …]}`` costs about a second and
200 MB) only to be told 401. So no route declares a body parameter; a route with a
JSON body takes it through :func:`json_body` instead, a dependency that depends on
the credential check it names, so it runs after it (and after the failed-auth
throttle), then parses the body the RequestLimits middleware already bounded.

It answers what FastAPI answered for a body it cannot read (``problems.py`` shapes
both): 400 ``bad_request`` for bytes that are not text, 422 ``invalid_request`` with
``errors`` for text that is no JSON (type ``json_invalid``) or does not fit the model.
The reading itself is :mod:`services.gateway.json_text`'s (the bulk route runs it in a
parse worker: a provider's 5 MiB of ``[],`` would hold the event loop half a second).

:func:`document_json_bodies` puts each such model back into the OpenAPI document
as its operation's request body, as FastAPI would have written it.
"""
from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, HTTPException, Request, routing
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel

from services.gateway.json_text import BodyError, load_json, validated

M = TypeVar("M", bound=BaseModel)
_REF_PREFIX = "#/components/schemas/"


def too_large(detail: str) -> HTTPException:
    return HTTPException(413, {"error": "payload_too_large", "detail": detail})


def as_http(exc: BodyError) -> Exception:
    """What FastAPI raises for the body ``exc`` could not read (problems.py shapes it)."""
    if exc.status == 400:
        return HTTPException(400, {"error": "bad_request", "detail": exc.detail})
    return RequestValidationError(exc.errors)


def parse_json(request: Request, body: bytes) -> Any:
    """The JSON document ``body`` holds (UTF-8, or the UTF-16/32 that JSON allows).

    Raises HTTPException 400 for bytes that are no text, RequestValidationError for
    a missing body, another Content-Type than JSON, or text that is not JSON."""
    try:
        return load_json(request.headers.get("content-type"), body)
    except BodyError as exc:
        raise as_http(exc) from None


def build(model: type[M], document: Any) -> M:
    """``model`` from the parsed ``document``; RequestValidationError naming each field."""
    try:
        return validated(model, document)
    except BodyError as exc:
        raise as_http(exc) from None


def documents(model: type[BaseModel]) -> Callable[[Callable[..., Awaitable[M]]], Callable[..., Awaitable[M]]]:
    """Mark a dependency as the reader of an operation's ``model`` body, for
    :func:`document_json_bodies`."""
    def mark(read: Callable[..., Awaitable[M]]) -> Callable[..., Awaitable[M]]:
        read.json_body_model = model  # type: ignore[attr-defined]
        return read
    return mark


def json_body(model: type[M], *, after: Any, max_bytes: Callable[[Request], int] | None = None) -> Any:
    """``Annotated[model, Depends(...)]``: the request's JSON body as ``model``, read
    after the dependency ``after`` (e.g. the admin check) has run. ``max_bytes``: a
    cap below the gateway's body limit, for this route (413 past it)."""

    @documents(model)
    async def read(request: Request, _caller: None = after) -> M:
        body = await request.body()  # in memory already, and within WIRE_MAX_BODY_BYTES
        if max_bytes is not None and len(body) > (cap := max_bytes(request)):
            raise too_large(f"the body is over the limit of {cap} bytes for this request")
        return build(model, parse_json(request, body))

    return Annotated[model, Depends(read)]


def _body_models(dependant) -> list[type[BaseModel]]:
    found = []
    for sub in dependant.dependencies:
        if (model := getattr(sub.call, "json_body_model", None)) is not None:
            found.append(model)
        found += _body_models(sub)
    return found


def _as_fastapi_documents(models: set[type[BaseModel]]) -> dict:
    """A document FastAPI writes for one operation per model taking it as its body
    (``/<model name>``): the request bodies and schemas exactly as FastAPI writes them."""
    routes = []
    for model in sorted(models, key=lambda m: m.__name__):
        async def endpoint(body):  # pragma: no cover - documented, never called
            return None
        endpoint.__signature__ = inspect.Signature(
            [inspect.Parameter("body", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=model)])
        routes.append(APIRoute(f"/{model.__name__}", endpoint, methods=["POST"]))
    return get_openapi(title="json bodies", version="0", routes=routes)


def referenced_schemas(schema: Any, schemas: dict, seen: set[str]) -> set[str]:
    """Names of the component schemas ``schema`` refers to, directly or not."""
    if isinstance(schema, dict):
        if (ref := schema.get("$ref", "")).startswith(_REF_PREFIX) and (name := ref[len(_REF_PREFIX):]) not in seen:
            seen.add(name)
            referenced_schemas(schemas[name], schemas, seen)
        for value in schema.values():
            referenced_schemas(value, schemas, seen)
    elif isinstance(schema, list):
        for value in schema:
            referenced_schemas(value, schemas, seen)
    return seen


def with_json_bodies(app: FastAPI, document: dict) -> dict:
    """``document`` with each operation that reads a body through :func:`json_body`
    (or a reader marked with :func:`documents`) showing it as FastAPI shows a body
    parameter: its required ``application/json`` request body, its schemas among the
    components. In place."""
    operations = []
    for route in routing.iter_route_contexts(app.routes):
        if getattr(route, "dependant", None) is None or not route.include_in_schema:
            continue
        if models := _body_models(route.dependant):
            [model] = models  # one body per operation
            operations += [(route.path_format, method.lower(), model) for method in route.methods]
    if not operations:
        return document
    bodies = _as_fastapi_documents({model for _, _, model in operations})
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for path, method, model in operations:
        body = bodies["paths"][f"/{model.__name__}"]["post"]["requestBody"]
        document["paths"][path][method]["requestBody"] = body
        for name in referenced_schemas(body, bodies["components"]["schemas"], set()):
            schema = bodies["components"]["schemas"][name]
            if schemas.setdefault(name, schema) != schema:
                raise ValueError(f"two different schemas named {name!r} in the OpenAPI document")
    document["components"]["schemas"] = dict(sorted(schemas.items()))
    return document


def document_json_bodies(app: FastAPI) -> None:
    """Make ``app.openapi()`` return its document through :func:`with_json_bodies`."""
    generate, shown = app.openapi, []

    def openapi() -> dict:
        document = generate()  # FastAPI's, generated once and kept
        if not shown or shown[0] is not document:
            shown[:] = [with_json_bodies(app, document)]
        return document

    app.openapi = openapi
