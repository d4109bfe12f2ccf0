"""The bulk route's body: its model, and how it is read, in a parse worker.

A provider's bulk body is up to WIRE_MAX_BODY_BYTES of JSON, and JSON's cost is in
its structure, not its size: 5 MiB of ``[],`` parse into 1.7 million lists (about half
a second and 200 MB). Read on the gateway's event loop, every other request would wait
for it; so the route hands :func:`read_bulk` to the parse pool, where the provider's
fair share, the time budget and the workers' memory cap bound it like any payload.
This module imports no web framework: the workers import it by name.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from services.gateway.json_text import MAX_ERRORS, BodyError, load_json, validated


class BulkArticle(BaseModel):
    # An unknown field is refused (422) rather than ignored: a typo must not drop a body.
    model_config = ConfigDict(extra="forbid")
    contentType: str = Field(description="the article's media type, as for a single submission")
    body: str | None = Field(None, description="the article as text")
    bodyBase64: str | None = Field(None, description="the article as base64, for binary-safe transport")


class BulkSubmission(BaseModel):
    model_config = ConfigDict(extra="forbid")
    articles: list[BulkArticle]


class TooManyArticles(Exception):
    """More entries than the route takes in one request (413)."""


def _refuse_many_unknown_fields(document: dict, entries: object) -> None:
    """BodyError when the body has more fields the models forbid than an answer names:
    pydantic would build an error for each (half a million fields fit in 5 MiB, and
    their errors took 500 MB), where counting them costs nothing."""
    errors: list[dict] = []
    unknown = 0

    def forbidden(fields: dict, allowed: dict, *where: object) -> None:
        nonlocal unknown
        for name in fields:
            if name not in allowed:
                unknown += 1
                if len(errors) < MAX_ERRORS:
                    errors.append({"loc": ("body", *where, name), "msg": "Extra inputs are not permitted",
                                   "type": "extra_forbidden"})

    forbidden(document, BulkSubmission.model_fields)
    for index, entry in enumerate(entries if isinstance(entries, list) else ()):
        if isinstance(entry, dict):
            forbidden(entry, BulkArticle.model_fields, "articles", index)
    if unknown > MAX_ERRORS:
        raise BodyError(422, [*errors, {"loc": ("body",), "msg": f"and {unknown - len(errors)} more errors",
                                        "type": "too_many_errors"}])


def read_bulk(body: bytes, content_type: str | None, max_articles: int) -> BulkSubmission:
    """The bulk body as its model. Its entries are counted in the parsed document
    before any model is built (a key may be spelt ``"content\\u0054ype"``, which the
    route's count in the raw bytes misses): TooManyArticles past ``max_articles``;
    and so are the fields no model takes. BodyError for a body that cannot be read
    (json_text.py)."""
    document = load_json(content_type, body)
    entries = document.get("articles") if isinstance(document, dict) else None
    if isinstance(entries, list) and len(entries) > max_articles:
        raise TooManyArticles(max_articles)
    if isinstance(document, dict):
        _refuse_many_unknown_fields(document, entries)
    return validated(BulkSubmission, document)
