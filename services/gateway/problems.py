"""The one error body of the gateway, how the OpenAPI document lists it, and the
handlers that give FastAPI's own errors that shape.

Every 4xx/5xx answer is ``{"error": <code>, "detail": <why>, ...}``: the routes'
own answers (``submissions.problem``), HTTPExceptions raised by dependencies (with a
``{"error", "detail"}`` dict or a plain message as their detail) and FastAPI's request
validation. One schema, :class:`Problem`, describes them all, so a client (and the
contract test) can rely on it.
"""
from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from services.gateway.json_text import MAX_ERRORS


class FieldError(BaseModel):
    """One reason a request failed validation."""

    loc: list[str | int] = Field(description="where: body, query, path or header, then the field path")
    msg: str
    type: str


class Problem(BaseModel):
    """What went wrong. Further fields depend on the error (``where`` for unreadable
    articles, ``errors`` for requests that fail validation)."""

    model_config = ConfigDict(extra="allow")
    error: str = Field(description="machine-readable code, e.g. not_found, parse_error, rate_limited")
    detail: str | dict[str, Any] | list[Any] = Field(description="what went wrong, for a human")
    where: str | None = Field(None, description="unreadable article: the line, byte or field at fault")
    errors: list[FieldError] | None = Field(None, description="request validation: each failing field")


# Why each status happens, as the document says it; a route may say more (``notes``).
WHY = {
    400: "malformed request (a body that is not JSON, a cursor or event id the API never gave out)",
    401: "no valid credential: `Authorization: Bearer <key>` missing or unknown",
    403: "the credential is valid but may not do this (e.g. a provider key on a read route)",
    404: "no such resource",
    409: "conflicts with the current state",
    410: "gone: the story was killed",
    413: "the body is over the size limit",
    415: "unsupported media type or payload",
    422: "the request (or its payload) cannot be read; `errors` or `where` says what and where",
    429: "too many requests: wait for Retry-After",
    431: "the request's headers are over the size limit",
    503: "a backend (Kafka or Redis) is unavailable, or Redis is full: retry after Retry-After",
}
# Statuses the client should wait before repeating; Retry-After says how long.
RETRY_AFTER = {429, 503}
_RETRY_AFTER_HEADER = {"Retry-After": {"description": "seconds to wait before retrying", "required": True,
                                       "schema": {"type": "integer", "minimum": 0}}}
_WWW_AUTHENTICATE = {"WWW-Authenticate": {"description": "the scheme to use (Bearer)", "schema": {"type": "string"}}}


def errors(*statuses: int, notes: dict[int, str] | None = None) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each status with the :class:`Problem` body, its
    reason (``notes`` overrides it) and its headers (Retry-After on 429/503)."""
    notes = notes or {}
    answer: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {"model": Problem, "description": notes.get(status) or WHY.get(status)
                                 or HTTPStatus(status).phrase}
        if status in RETRY_AFTER:
            entry["headers"] = _RETRY_AFTER_HEADER
        elif status == 401:
            entry["headers"] = _WWW_AUTHENTICATE
        answer[status] = entry
    return answer


NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "not modified: the `If-None-Match` ETag is still current (no body)",
          "headers": {"ETag": {"schema": {"type": "string"}}}}}
ETAG_HEADER = {"ETag": {"description": "send it back as If-None-Match to get 304 while nothing changed",
                        "schema": {"type": "string"}}}


def problem_body(status: int, detail: Any) -> dict[str, Any]:
    """The :class:`Problem` for an HTTPException's ``detail``: a dict that already has
    an ``error`` code is kept as it is, anything else becomes the ``detail`` of the
    status's own code (401 → ``unauthorized``)."""
    if isinstance(detail, dict) and isinstance(detail.get("error"), str):
        return {"detail": detail["error"], **detail}
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else f"http {status}"
    code = phrase.lower().replace(" ", "_").replace("-", "_")
    return {"error": code, "detail": detail if detail is not None else phrase}


def _allowed_methods(request: Request) -> str:
    """The methods of this path as the OpenAPI document resolves it: a concrete path
    before a templated one (``/v1/articles/bulk`` is POST only, though the router would
    also hand a GET to ``/v1/articles/{article_id}``). Starlette's own 405 names only
    the first route with the path, though GET and POST /v1/articles are two."""
    paths = request.app.openapi()["paths"]
    path = request.url.path
    matching = [t for t in paths if re.fullmatch(re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(t)), path)]
    chosen = [t for t in matching if "{" not in t] or matching
    if chosen:
        return ", ".join(sorted({method.upper() for t in chosen for method in paths[t]}))

    def served(method: str) -> bool:  # routes left out of the document (/metrics, /dashboard)
        scope = {**request.scope, "method": method}
        return any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes)

    return ", ".join(m for m in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE") if served(m))


async def _http_exception(request: Request, exc: StarletteHTTPException) -> Response:
    headers = getattr(exc, "headers", None)
    if exc.status_code == 405:
        headers = {**(headers or {}), "Allow": _allowed_methods(request)}
    if exc.status_code in (204, 304) or exc.status_code < 200:
        return Response(status_code=exc.status_code, headers=headers)
    return JSONResponse(problem_body(exc.status_code, exc.detail), status_code=exc.status_code, headers=headers)


async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    # Only loc/msg/type: the offending input may be bytes or huge, and is the client's own anyway.
    # At most MAX_ERRORS of them, as the JSON bodies name (json_text.py).
    found = [{"loc": [part if isinstance(part, int) else str(part) for part in e.get("loc", ())],
              "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))} for e in exc.errors()[:MAX_ERRORS + 1]]
    summary = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in found[:5]) or "invalid request"
    return JSONResponse({"error": "invalid_request", "detail": summary, "errors": found}, status_code=422)


def install(app: FastAPI) -> None:
    """Make every HTTPException and request-validation error answer a :class:`Problem`."""
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _invalid_request)
