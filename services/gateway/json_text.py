"""A JSON request body read into a model, without the web framework: what
:mod:`services.gateway.json_body` answers with on the event loop, and what a parse
worker runs for a bulk body (:mod:`services.gateway.bulk_body`), where FastAPI is not
imported. A body that cannot be read raises :class:`BodyError`, which pickles."""
from __future__ import annotations

import email.message
import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
# Errors named in one answer: a body with a million unknown keys has a million errors,
# and carrying, rebuilding and sending them all would cost what the worker saved.
MAX_ERRORS = 20


class BodyError(Exception):
    """A body that cannot be read: ``status`` 400 with ``detail`` (bytes that are no
    text), or 422 with ``errors`` in FastAPI's shape (no body, not JSON, not the model)."""

    def __init__(self, status: int, errors: list[dict[str, Any]] | None = None, detail: str | None = None) -> None:
        super().__init__(status, errors, detail)  # as built: it travels back from a worker by pickle
        self.status, self.errors, self.detail = status, errors or [], detail


def load_json(content_type: str | None, body: bytes) -> Any:
    """The JSON document ``body`` holds (UTF-8, or the UTF-16/32 that JSON allows),
    read by the standard library as FastAPI reads it (lone surrogate escapes
    included, which orjson refuses). ``content_type``: the request's header, which
    must be JSON when given."""
    if not body:
        raise BodyError(422, [{"loc": ("body",), "msg": "Field required", "type": "missing"}])
    if content_type:
        message = email.message.Message()
        message["content-type"] = content_type
        subtype = message.get_content_subtype()
        if message.get_content_maintype() != "application" or not (subtype == "json" or subtype.endswith("+json")):
            raise BodyError(422, [{"loc": ("body",), "msg": "the body must be JSON (application/json)",
                                   "type": "content_type"}])
    try:
        text = body.decode(json.detect_encoding(body))
    except UnicodeDecodeError:
        raise BodyError(400, detail="the body's bytes are not text (not UTF-8, nor the UTF-16/32 JSON allows)") \
            from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BodyError(422, [{"loc": ("body", exc.pos), "msg": "JSON decode error", "type": "json_invalid",
                               "ctx": {"error": exc.msg}}]) from None
    except (ValueError, RecursionError) as exc:  # an integer of over 4300 digits; brackets nested too deep
        reason = "nested too deep" if isinstance(exc, RecursionError) else str(exc)
        raise BodyError(422, [{"loc": ("body",), "msg": f"JSON that cannot be read: {reason}",
                               "type": "json_invalid"}]) from None


def validated(model: type[M], document: Any) -> M:
    """``model`` from the parsed ``document``; BodyError 422 naming each field (the
    first MAX_ERRORS, then how many more)."""
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])}
                  for e in exc.errors(include_url=False, include_input=False)[:MAX_ERRORS]]
        if (more := exc.error_count() - len(errors)) > 0:
            errors.append({"loc": ("body",), "msg": f"and {more} more errors", "type": "too_many_errors"})
        for error in errors:  # a validator's exception in ctx is shown as its text (and pickles)
            if "ctx" in error:
                error["ctx"] = {k: v if isinstance(v, (str, int, float, bool, type(None))) else str(v)
                                for k, v in error["ctx"].items()}
        raise BodyError(422, errors) from None
