"""A query parameter the document declares as one value is refused when repeated.

FastAPI quietly keeps the last of ``?cursor=a&cursor=b``; the OpenAPI document says
``cursor`` is a string, so the request does not match it and gets the same 422 as
any other request that does not (a client sending two values has a bug worth seeing).
"""
from __future__ import annotations

from functools import cache

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError


@cache
def _single_valued(app: FastAPI, path: str, method: str) -> frozenset[str]:
    """Names of the query parameters of one operation whose schema is no array."""
    operation = app.openapi()["paths"].get(path, {}).get(method, {})
    names = set()
    for parameter in operation.get("parameters", ()):
        schema = parameter.get("schema", {})
        kinds = [schema.get("type"), *(s.get("type") for s in schema.get("anyOf", ()))]
        if parameter.get("in") == "query" and "array" not in kinds:
            names.add(parameter["name"])
    return frozenset(names)


async def refuse_repeated_single_values(request: Request) -> None:
    """422 (``invalid_request``) when a single-valued query parameter comes twice."""
    route = request.scope.get("route")
    path = getattr(route, "path_format", None)
    if path is None or not request.query_params:
        return
    single = _single_valued(request.app, path, request.method.lower())
    repeated = [name for name in single if len(request.query_params.getlist(name)) > 1]
    if repeated:
        raise RequestValidationError([{"loc": ("query", name), "msg": "takes one value, not several",
                                       "type": "single_value"} for name in sorted(repeated)])
