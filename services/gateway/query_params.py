"""Query parameters as the document describes them and as requests must send them.

- A query string cannot carry null, only leave a parameter out, so an optional
  parameter is documented as its plain type (FastAPI writes ``anyOf: [string, null]``).
- FastAPI quietly keeps the last of ``?cursor=a&cursor=b``; the document says
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


def without_null_alternatives(document: dict) -> dict:
    """``document`` with every optional query or header parameter's ``anyOf: [X,
    {"type": "null"}]`` replaced by X (its description and default kept). In place."""
    for item in document.get("paths", {}).values():
        for operation in item.values():
            for parameter in operation.get("parameters", ()):
                schema = parameter.get("schema", {})
                kept = [option for option in schema.get("anyOf", ()) if option != {"type": "null"}]
                if not parameter.get("required") and len(kept) == 1 and len(schema["anyOf"]) == 2:
                    rest = {key: value for key, value in schema.items() if key != "anyOf"}
                    parameter["schema"] = {**kept[0], **rest}
    return document


def document_parameters_plainly(app: FastAPI) -> None:
    """Make ``app.openapi()`` return its document through :func:`without_null_alternatives`."""
    generate = app.openapi
    app.openapi = lambda: without_null_alternatives(generate())
