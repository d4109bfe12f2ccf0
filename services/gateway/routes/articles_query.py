"""Published items, filtered and paginated: ``GET /v1/articles?…``, and every
language version of one story: ``GET /v1/articles/{id}/languages``."""
from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from services.gateway.answers import ArticlePage, LanguageVersions
from services.gateway.deps import ReadModelDep, ReaderDep, StoreDep
from services.gateway.problems import ETAG_HEADER, NOT_MODIFIED, errors
from services.gateway.read_limit import count_loaded, loaded_size
from services.gateway.routes.feeds import etag_for, not_modified
from shared.events import article_id_for
from shared.formats import MAX_URI_CHARS
from shared.read_model import READ_BUDGET_BYTES
from shared.subscriptions import MAX_FILTER_VALUES, MAX_KEYWORDS, NAME_PATTERN, SubscriptionFilter, Value

router = APIRouter(prefix="/v1/articles", tags=["articles"])

PAGE_SCAN = 200        # items read from Redis per round
MAX_SCANNED = 5_000    # per request; the cursor lets the client go on


# What `next` looks like (score-id), so the schema itself says which cursors exist.
CURSOR_PATTERN = r"^[0-9]+-.+$"


def _cursor(text: str | None) -> tuple[int, str] | None:
    if not text:
        return None
    score, _, last = text.partition("-")
    if not score.isdigit() or not last:
        raise ValueError("cursor")
    return int(score), last


@router.get("", responses={
    200: {"model": ArticlePage, "description": "one page, newest first", "headers": ETAG_HEADER}, **NOT_MODIFIED,
    **errors(400, 401, 403, 404, 422, 429, 503, notes={404: "no such subscription"})})
async def list_articles(
    request: Request, read_model: ReadModelDep, reader: ReaderDep, store: StoreDep,
    uri: str | None = Query(None, min_length=1, max_length=MAX_URI_CHARS + 100,  # a translation's is longer
                            description="the story with this uri (e.g. an association's)"),
    language: list[Value] = Query([], max_length=MAX_FILTER_VALUES, description="BCP 47 ranges, e.g. en (matches en-GB)"),
    subject: list[Value] = Query([], max_length=MAX_FILTER_VALUES,
                               description="subject uri, name or literal (medtop:16000000 works)"),
    person: list[Value] = Query([], max_length=MAX_FILTER_VALUES),
    organisation: list[Value] = Query([], max_length=MAX_FILTER_VALUES),
    place: list[Value] = Query([], max_length=MAX_FILTER_VALUES), provider: list[Value] = Query([], max_length=MAX_FILTER_VALUES),
    keyword: list[Value] = Query([], max_length=MAX_KEYWORDS, description="word or phrase in the text"),
    urgency: int | None = Query(None, ge=1, le=9, description="urgency at most this"),
    subscription: str | None = Query(None, description="only what this subscription takes", pattern=NAME_PATTERN),
    limit: int = Query(20, ge=1, le=100),
    cursor: str | None = Query(None, description="`next` of the last page", pattern=CURSOR_PATTERN),
) -> Response:
    """Live published items, newest first, as ``{"items": [{id, uri, version, signal,
    published_at, href, item}], "next": cursor|null}`` (``item`` is the ninjs 3.1 object).
    Every filter given must match; repeated values of one filter are alternatives.
    A subscriber sees only what its subscription's filter matches."""
    # The query parameters carry the filter's bounds: FastAPI has refused (422) what it would refuse.
    wanted = SubscriptionFilter(languages=language, subjects=subject, people=person, organisations=organisation,
                                places=place, providers=provider, keywords=keyword, urgency=urgency)
    # what the reader may see first, then what it asks for: an item it may not see is not
    # searched for the reader's keywords (its own filter is the one a reader can make costly)
    filters = []
    if subscription is not None:
        sub = await store.get(subscription)
        if sub is None or not reader.may_follow(subscription):
            return JSONResponse({"error": "not_found", "detail": f"no subscription {subscription!r}"}, 404)
        filters.append(sub.filter)
    if reader.subscription is not None:
        filters.append(reader.subscription.filter)
    filters.append(wanted)
    if uri is not None:
        found, size = await read_model.within([article_id_for(uri)], READ_BUDGET_BYTES)
        await count_loaded(request, reader, size)  # loaded to decide, whatever the answer
        return _by_uri(uri, filters, await read_model.entries(found))
    try:
        position = _cursor(cursor)
    except ValueError:
        return JSONResponse({"error": "bad_cursor", "detail": "use the `next` value of a previous page"}, 400)
    found, scanned, budget, exhausted, loaded = [], 0, READ_BUDGET_BYTES, False, 0
    while len(found) < limit and scanned < MAX_SCANNED and budget > 0:
        page = await read_model.newest(read_model.index, before=position, count=PAGE_SCAN)
        if not page:
            exhausted = True
            break
        looked, size = await read_model.within([i for i, _ in page], budget)
        budget -= size
        loaded += size
        scores = dict(page)
        for article_id, item, meta in await read_model.entries(looked):
            if all(f.matches(item, meta.get("provider")) for f in filters):
                found.append((article_id, scores[article_id], item, meta))
                if len(found) == limit:
                    break
        # resume after the last item looked at (or the last one returned on a full page)
        last = page[len(looked) - 1]
        position = (found[-1][1], found[-1][0]) if len(found) == limit else (last[1], last[0])
        scanned += len(looked)
        if len(page) < PAGE_SCAN and len(looked) == len(page) and len(found) < limit:
            exhausted = True
            break
    items = [{"id": i, "uri": item["uri"], "version": item.get("version", "1"), "signal": meta.get("signal", "new"),
              "published_at": meta.get("published_at"), "href": f"/v1/articles/{i}", "item": item}
             for i, _, item, meta in found]
    await count_loaded(request, reader, loaded)
    nxt = None if exhausted else f"{position[0]}-{position[1]}"
    # from what the page holds, not the wire's change counter: that told a subscriber of
    # every provider's every write (and a 304 saves the answer's bytes, not its reads)
    etag = etag_for(request.url.query, nxt, *(f"{i}@{score}@{item.get('version')}" for i, score, item, _ in found))
    if (cached := not_modified(request, etag)) is not None:
        return cached
    return JSONResponse({"items": items, "next": nxt}, headers={"ETag": etag, "Cache-Control": "no-cache"})


def _by_uri(uri: str, filters: list[SubscriptionFilter], entries) -> Response:
    """The list answer holding the live story ``uri`` when every filter takes it."""
    items = [{"id": i, "uri": item["uri"], "version": item.get("version", "1"), "signal": meta.get("signal", "new"),
              "published_at": meta.get("published_at"), "href": f"/v1/articles/{i}", "item": item}
             for i, item, meta in entries
             if item.get("uri") == uri and all(f.matches(item, meta.get("provider")) for f in filters)]
    return JSONResponse({"items": items, "next": None}, headers={"Cache-Control": "no-cache"})


@router.get("/{article_id}/languages", responses={
    200: {"model": LanguageVersions}, **errors(401, 403, 404, 422, 429, 503, notes={404: "unknown story"})})
async def languages(request: Request, article_id: str, read_model: ReadModelDep, reader: ReaderDep) -> Response:
    """Every language version of a story (the original and its translations), with
    whether each is live or killed. A family whose stored items add up to more than a
    list page's read budget (8 MiB) lists the one asked about, the original, and the
    others that fit, with `complete: false` (which tells a subscriber only that some
    versions were not loaded, not whether its filter would take them)."""
    stored = await read_model.stored(article_id)
    await count_loaded(request, reader, loaded_size(stored))  # loaded to decide, whatever the answer
    if stored is None or not _may_see(reader, stored):
        return JSONResponse({"error": "not_found", "detail": f"no published article with id {article_id!r}"}, 404)
    root = stored.root or article_id
    members = await read_model.family_ids(root) or [article_id]
    # The version asked about is loaded already; the original next, then the others, as
    # far as the read budget goes (a family holds at most WIRE_FAMILY_MAX versions, each
    # up to a record's size): a round trip for their sizes, one for them, whatever the
    # family's size, and never more than a list page loads.
    others = sorted((m for m in members if m != article_id), key=lambda m: m != root)
    loaded, size = await read_model.within(others, READ_BUDGET_BYTES)
    found = {article_id: stored, **dict(zip(loaded, await read_model.stored_many(loaded)))}
    await count_loaded(request, reader, size)
    versions = []
    for member in members:
        other = found.get(member)
        if other is None or other.item is None or not _may_see(reader, other):
            continue
        versions.append({"id": member, "uri": other.item["uri"], "language": other.item.get("language"),
                         "version": other.version, "original": member == root,
                         "status": "killed" if other.killed else "live", "href": f"/v1/articles/{member}"})
    return JSONResponse({"id": article_id, "original": root, "languages": versions,
                         "complete": len(loaded) == len(others)})


def _may_see(reader, stored) -> bool:
    """A live version: what the reader may read. A killed one holds only its kill
    notice (uri, version, status), which any filter would pass: only a reader whose
    entitlement took the story before its kill learns of it."""
    if stored.killed:
        return reader.saw_killed(stored.meta)
    return reader.may_read(stored.item, stored.meta.get("provider"))
