"""A subscription's feeds: RSS 2.0, Atom 1.0 and JSON Feed 1.1 of its newest items.

Killed items are gone from them; a correction or update moves the item to the top
with its signal as a category (RSS, Atom) or in ``_wirestream.signal`` (JSON Feed).
Answers carry an ETag; ``If-None-Match`` with it gets 304.
"""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Annotated, Any, Literal
from xml.etree import ElementTree as ET

import orjson
from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from services.gateway.deps import ReadModelDep, ReaderDep, StoreDep
from services.gateway.feed_media import enclosures, json_feed_attachment
from services.gateway.problems import ETAG_HEADER, NOT_MODIFIED, errors
from services.gateway.read_limit import count_loaded
from shared.read_model import READ_BUDGET_BYTES
from shared.subscriptions import NAME_PATTERN, SubscriptionKeys

router = APIRouter(tags=["feeds"])

MEDIA = {"rss": "application/rss+xml; charset=utf-8", "atom": "application/atom+xml; charset=utf-8",
         "json": "application/feed+json; charset=utf-8"}
ATOM_NS = "http://www.w3.org/2005/Atom"
# What XML 1.0 may not carry at all, escaped or not: C0 controls but tab, newline and
# carriage return; lone surrogates; U+FFFE and U+FFFF. ElementTree writes them as they
# are, and one such character in one item's headline makes the whole feed unreadable.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """``text`` with each character XML 1.0 forbids replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def _serialized(root: ET.Element) -> bytes:
    """The document, well-formed whatever characters the items held (every text and
    attribute value through :func:`xml_safe`)."""
    for element in root.iter():
        if element.text:
            element.text = xml_safe(element.text)
        if element.tail:
            element.tail = xml_safe(element.tail)
        for name, value in element.attrib.items():
            element.attrib[name] = xml_safe(value)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def etag_for(*parts: object) -> str:
    """A weak ETag from whatever decides the answer (change counter, query…)."""
    return 'W/"' + hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:24] + '"'


def not_modified(request: Request, etag: str) -> Response | None:
    """304 when the client's If-None-Match already names ``etag``."""
    wanted = request.headers.get("if-none-match", "")
    if etag in [t.strip() for t in wanted.split(",")] or wanted.strip() == "*":
        return Response(status_code=304, headers={"ETag": etag})
    return None


def _when(value: str | None) -> datetime:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(timezone.utc)


def entry_of(article_id: str, item: dict[str, Any], meta: dict[str, Any], base: str) -> dict[str, Any]:
    """The feed-neutral view of one published item."""
    heads = item.get("headlines") or [{}]
    body = next((b["value"] for b in item.get("bodies") or () if b.get("contentType") in (None, "text/plain")), "")
    summary = (item.get("descriptions") or [{}])[0].get("value") or body[:400]
    published = meta.get("published_at")
    # a picture without headline is named by its caption's start
    words = summary.split()
    title = heads[0].get("value") or " ".join(words[:14]) + (" …" if len(words) > 14 else "") or item["uri"]
    return {
        "id": article_id, "uri": item["uri"], "url": f"{base}/v1/articles/{article_id}",
        "title": title, "summary": summary, "body": body, "type": item.get("type") or "text",
        "enclosures": enclosures(item),
        "updated": _when(item.get("versionCreated") or published),
        "created": _when(item.get("firstCreated") or item.get("versionCreated") or published),
        "signal": str(meta.get("signal") or "new"), "version": str(item.get("version", "1")),
        "language": item.get("language"), "by": item.get("by"), "urgency": item.get("urgency"),
        "subjects": [name for s in item.get("subjects") or () if (name := s.get("name") or s.get("uri"))],
    }


def render_rss(title: str, link: str, entries: list[dict[str, Any]]) -> bytes:
    rss = ET.Element("rss", version="2.0")
    channel = ET.SubElement(rss, "channel")
    for tag, text in (("title", title), ("link", link), ("description", f"{title}: newest items"),
                      ("lastBuildDate", format_datetime(datetime.now(timezone.utc)))):
        ET.SubElement(channel, tag).text = text
    for e in entries:
        node = ET.SubElement(channel, "item")
        ET.SubElement(node, "title").text = e["title"]
        ET.SubElement(node, "link").text = e["url"]
        ET.SubElement(node, "guid", isPermaLink="false").text = e["uri"]
        ET.SubElement(node, "pubDate").text = format_datetime(e["updated"])
        ET.SubElement(node, "description").text = e["summary"]
        if e["by"]:
            ET.SubElement(node, "author").text = e["by"]
        ET.SubElement(node, "category", domain="urn:wirestream:signal").text = e["signal"]
        if e["type"] != "text":  # pictures, clips and packages say what they are; stories need not
            ET.SubElement(node, "category", domain="urn:wirestream:type").text = e["type"]
        for subject in e["subjects"]:
            ET.SubElement(node, "category").text = subject
        if e["enclosures"]:  # RSS 2.0 allows one enclosure per item: the item's main rendition
            first = e["enclosures"][0]
            ET.SubElement(node, "enclosure", url=first["url"], type=first["type"], length=str(first["length"] or 0))
    return _serialized(rss)


def render_atom(title: str, link: str, feed_id: str, entries: list[dict[str, Any]]) -> bytes:
    ET.register_namespace("", ATOM_NS)
    q = lambda tag: f"{{{ATOM_NS}}}{tag}"  # noqa: E731
    feed = ET.Element(q("feed"))
    ET.SubElement(feed, q("id")).text = feed_id
    ET.SubElement(feed, q("title")).text = title
    ET.SubElement(feed, q("link"), href=link, rel="self")
    newest = max((e["updated"] for e in entries), default=datetime.now(timezone.utc))
    ET.SubElement(feed, q("updated")).text = newest.isoformat()
    for e in entries:
        node = ET.SubElement(feed, q("entry"))
        ET.SubElement(node, q("id")).text = e["uri"]
        ET.SubElement(node, q("title")).text = e["title"]
        ET.SubElement(node, q("link"), href=e["url"])
        ET.SubElement(node, q("updated")).text = e["updated"].isoformat()
        ET.SubElement(node, q("published")).text = e["created"].isoformat()
        ET.SubElement(node, q("summary")).text = e["summary"]
        ET.SubElement(node, q("content"), type="text").text = e["body"]
        if e["by"]:
            ET.SubElement(ET.SubElement(node, q("author")), q("name")).text = e["by"]
        ET.SubElement(node, q("category"), term=e["signal"], scheme="urn:wirestream:signal")
        if e["type"] != "text":
            ET.SubElement(node, q("category"), term=e["type"], scheme="urn:wirestream:type")
        for subject in e["subjects"]:
            ET.SubElement(node, q("category"), term=subject)
        for media in e["enclosures"]:
            ET.SubElement(node, q("link"), rel="enclosure", href=media["url"], type=media["type"],
                          **({"length": str(media["length"])} if media["length"] is not None else {}))
    return _serialized(feed)


def render_json_feed(title: str, home: str, feed_url: str, entries: list[dict[str, Any]]) -> bytes:
    items = [{
        "id": e["uri"], "url": e["url"], "title": e["title"], "summary": e["summary"], "content_text": e["body"],
        "date_published": e["created"].isoformat(), "date_modified": e["updated"].isoformat(),
        "tags": e["subjects"], **({"language": e["language"]} if e["language"] else {}),
        **({"authors": [{"name": e["by"]}]} if e["by"] else {}),
        **({"attachments": [json_feed_attachment(m) for m in e["enclosures"]]} if e["enclosures"] else {}),
        "_wirestream": {"signal": e["signal"], "version": e["version"], "article_id": e["id"], "urgency": e["urgency"],
                        "type": e["type"]},
    } for e in entries]
    return orjson.dumps({"version": "https://jsonfeed.org/version/1.1", "title": title, "home_page_url": home,
                         "feed_url": feed_url, "items": items})


_JSON_FEED = {"type": "object", "required": ["version", "title", "items"],
              "properties": {"version": {"const": "https://jsonfeed.org/version/1.1"}, "title": {"type": "string"},
                             "items": {"type": "array", "items": {"type": "object", "required": ["id"]}}}}
_FEED_CONTENT = {"content": {"application/rss+xml": {"schema": {"type": "string"}},
                             "application/atom+xml": {"schema": {"type": "string"}},
                             "application/feed+json": {"schema": _JSON_FEED}},
                 "description": "the feed (RSS 2.0, Atom 1.0 or JSON Feed 1.1)", "headers": ETAG_HEADER}


@router.get("/v1/feeds/{name}.{kind}", response_class=Response, responses={
    200: _FEED_CONTENT, **NOT_MODIFIED,
    **errors(401, 403, 404, 422, 429, 503, notes={404: "no such subscription, or it has no feeds"})})
async def feed(request: Request, name: Annotated[str, Path(pattern=NAME_PATTERN)],
               kind: Annotated[Literal["rss", "atom", "json"], Path()], read_model: ReadModelDep, reader: ReaderDep,
               store: StoreDep, limit: int = Query(50, ge=1, le=500)) -> Response:
    """The subscription's newest ``limit`` items as ``rss``, ``atom`` or ``json`` (JSON Feed 1.1).
    Needs that subscription's read token (``?token=`` works for feed readers) or the admin key."""
    if kind not in MEDIA:
        return JSONResponse({"error": "not_found", "detail": "feeds are .rss, .atom or .json"}, status_code=404)
    if not reader.may_follow(name):
        return JSONResponse({"error": "not_found", "detail": f"no feed for subscription {name!r}"}, status_code=404)
    sub = await store.get(name)
    if sub is None or not sub.outputs.feeds:
        return JSONResponse({"error": "not_found", "detail": f"no feed for subscription {name!r}"}, status_code=404)
    newest = await read_model.newest(SubscriptionKeys(read_model.keys.prefix).items(name), before=None, count=limit)
    # from the feed's own entries (each version's is scored by when it was published), not
    # the wire's change counter: that told a subscriber of every provider's every write
    etag = etag_for(sub.updated_at, kind, limit, *(f"{i}@{score}" for i, score in newest))
    if (cached := not_modified(request, etag)) is not None:
        return cached
    ids = [i for i, _ in newest]
    base = str(request.base_url).rstrip("/")
    # the subscription's filter as it is now: a narrowed filter narrows the feed's history too
    ids, size = await read_model.within(ids, READ_BUDGET_BYTES)  # a feed of huge items is shorter, not slower
    await count_loaded(request, reader, size)
    entries = [entry_of(i, item, meta, base) for i, item, meta in await read_model.entries(ids)
               if sub.filter.matches(item, meta.get("provider"))]
    title, url = f"Wirestream: {name}", f"{base}/v1/feeds/{name}.{kind}"
    if kind == "rss":
        body = render_rss(title, url, entries)
    elif kind == "atom":
        body = render_atom(title, url, f"urn:wirestream:feed:{name}", entries)
    else:
        body = render_json_feed(title, base, url, entries)
    return Response(body, media_type=MEDIA[kind], headers={"ETag": etag, "Cache-Control": "no-cache"})
