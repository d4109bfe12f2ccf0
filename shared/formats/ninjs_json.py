"""ninjs 1.x, 2.x and 3.x JSON read into canonical ninjs 3.1 :class:`Article`s, and
the few helpers every wire parser uses to write ninjs fields (uri, dates, body).

ninjs 1.x has singular lower-case fields (``headline``, ``body_html``, ``person``)
and keeps associations, renditions and altids as objects keyed by name; 2.x has
the 3.x shapes with lower-case names; 3.0 and 3.1 differ only by
``digitalSourceType``. An item is first brought to the 3.x shapes, then conformed
to the official 3.1 schema itself: every key is renamed to its 3.1 spelling and
whatever the schema does not allow (extension properties, a rendition's "title", a
number where a string belongs) is left out, so the Article always validates.

``places[].geoJSON`` is kept when it is valid GeoJSON by the schema ``shared.ninjs``
serves for the remote reference (and left out if it cannot serve it).
``bodies[].charCount`` / ``wordCount`` are kept as the source counted them; a
plain-text body made from an HTML or XML one carries none.
"""
from __future__ import annotations

import codecs
import hashlib
import re
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote

import orjson
from pydantic import ValidationError
from referencing.exceptions import Unresolvable

from shared.errors import ParseError
from shared.events import Article, Signal, TextBlock
from shared.formats.base import ParsedItem
from shared.formats.xmlsafe import block_paragraphs, local_name, parse_html, parse_xml
from shared.ninjs import validator

# --- Helpers for every wire parser ------------------------------------------------

_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})(?:[T ](\d{2}):?(\d{2})(?::?(\d{2})(\.\d{1,9})?)?)?"
                   r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?", re.I)
_ABSOLUTE_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+")


def provider_slug(provider: str) -> str:
    """The provider's name as it appears in uris ("Korea Daily" → "korea-daily").
    Raises :class:`ParseError` (``where`` = "provider") for a blank name."""
    slug = re.sub(r"\s+", "-", provider.strip().lower())
    if not slug:
        raise ParseError("provider name is empty", where="provider")
    return slug


def story_uri(slug: str, *parts: str) -> str:
    """The stable uri of a story whose source gives it no id:
    ``urn:wirestream:{provider}:{first 32 hex digits of sha256(provider, parts…)}``."""
    digest = hashlib.sha256("\n".join((slug, *parts)).encode("utf-8", errors="replace")).hexdigest()[:32]
    return f"urn:wirestream:{slug}:{digest}"


def ninjs_uri(value: str, slug: str) -> str:
    """A source id as a ninjs uri: kept when it already is an absolute URI
    (``urn:…``, ``http://…``, ``tag:…``), else ``urn:wirestream:{provider}:{id}``
    with the id percent-encoded, so the same id always gives the same uri."""
    value = value.strip()
    if _ABSOLUTE_URI.fullmatch(value):
        return value
    return f"urn:wirestream:{slug}:{quote(value, safe='-._~')}"


def ninjs_datetime(text: object) -> str | None:
    """A wire timestamp as an RFC 3339 date-time, or None when it is not one.

    Reads ISO 8601 extended and basic forms ("2013-05-15T12:00:00+02:00",
    "20130515T120000Z", "20130605T210000+0000", "2021-05-16"); a zero offset is
    written "Z", a date alone is midnight, and a time without offset is taken to
    be UTC (the wire did not say). Fractions of seconds are kept.
    """
    if not isinstance(text, str) or len(text) > 64:
        return None
    m = _DATE.fullmatch(text.strip())
    if not m:
        return None
    year, month, day, hour, minute, second, fraction, zone = m.groups()
    try:
        datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError:
        return None
    offset = "Z"
    if zone and zone.upper() != "Z":
        digits = zone[1:].replace(":", "")
        hh, mm = digits[:2], digits[2:] or "00"
        if int(hh) > 23 or int(mm) > 59:
            return None
        offset = "Z" if hh == mm == "00" else f"{zone[0]}{hh}:{mm}"
    return f"{year}-{month}-{day}T{hour or '00'}:{minute or '00'}:{second or '00'}{fraction or ''}{offset}"


def plain_body(paragraphs: list[str]) -> list[TextBlock]:
    """The ninjs ``bodies`` of a plain-text story: one block, role "main", paragraphs
    joined by a blank line; no block at all when there is no paragraph."""
    if not paragraphs:
        return []
    return [TextBlock(role="main", contentType="text/plain", value="\n\n".join(paragraphs))]


# --- The ninjs parser -------------------------------------------------------------

_DROP = object()
_PATTERNS: dict[str, re.Pattern[str]] = {}
_MAX_DEPTH = 12  # nesting of the schema walk; associations nest at most ~4 deep within it
_CAMEL = {
    "firstcreated": "firstCreated", "versioncreated": "versionCreated", "contentcreated": "contentCreated",
    "embargoed": "embargoedUntil", "pubstatus": "pubStatus", "copyrightholder": "copyrightHolder",
    "copyrightnotice": "copyrightNotice", "usageterms": "usageTerms", "ednote": "edNote",
    "representationtype": "representationType", "contenttype": "contentType", "mimetype": "contentType",
    "charcount": "charCount", "wordcount": "wordCount", "contactinfo": "contactInfo", "postalcode": "postalCode",
    "symboltype": "symbolType", "sizeinbytes": "sizeInBytes", "rightsinfo": "rightsInfo", "langid": "langId",
    "linkedrights": "linkedRights", "encodedrights": "encodedRights", "trustindicators": "trustIndicators",
    "trustindicator": "trustIndicators", "infosources": "infoSources", "infosource": "infoSources",
    "altids": "altIds", "digitalsourcetype": "digitalSourceType", "byline": "by", "person": "people",
    "organisation": "organisations", "place": "places", "subject": "subjects", "event": "events",
    "object": "objects", "genre": "genres", "$standard": "standard", "geojson": "geoJSON",
    "geometry_geojson": "geoJSON",
    "eventdetails": "eventDetails", "plannedcoverage": "plannedCoverage",
}
_BLOCK_FIELDS = {"headline": "headlines", "description": "descriptions", "body": "bodies"}
_TEXT_TYPES = {"text": "text/plain", "html": "text/html", "xhtml": "application/xhtml+xml",
               "nitf": "application/nitf+xml"}
_CODED_LISTS = ("person", "organisation", "place", "subject", "event", "object", "infosource", "genre")
_STATUS = {"usable": "usable", "withheld": "withheld", "canceled": "canceled", "cancelled": "canceled"}
_REPRESENTATION = {"complete": "full", "incomplete": "partial"}


def parse_ninjs(payload: bytes, *, provider: str) -> list[ParsedItem]:
    """Read ninjs JSON (1.x, 2.x or 3.x; one item or a JSON array of items) into
    ninjs 3.1 Articles.

    In: the raw bytes (UTF-8, BOM allowed) and the provider name. Out: one
    ParsedItem per item, uri and version as the source gave them, every field
    renamed and reshaped to 3.1 and anything 3.1 does not allow left out;
    ``pubStatus`` "canceled" gives signal KILL, else signal None. When no body is
    plain text, a plain-text body (role "main") is added from the HTML/XML one.
    Raises :class:`ParseError` for JSON that does not parse (``where`` = "line N"),
    a top level that is no object, an empty array, or an item without a string
    ``uri`` (``where`` = "field uri", "field 2/uri" in an array).
    """
    slug = provider_slug(provider)
    try:
        data = orjson.loads(payload.removeprefix(codecs.BOM_UTF8))
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"JSON is not valid: {exc.msg}", where=f"line {exc.lineno}") from exc
    items = data if isinstance(data, list) else [data]
    if not items:
        raise ParseError("JSON array holds no ninjs item", where="line 1")
    parsed = []
    for number, item in enumerate(items):
        prefix = f"{number}/" if isinstance(data, list) else ""
        if not isinstance(item, dict):
            raise ParseError("a ninjs item must be a JSON object", where=f"field {prefix or '(root)'}".rstrip("/"))
        parsed.append(_read_item(item, slug, prefix))
    return parsed


def _read_item(item: dict[str, Any], slug: str, prefix: str) -> ParsedItem:
    uri = item.get("uri")
    if not isinstance(uri, str) or not uri.strip():
        raise ParseError("ninjs item has no uri (a non-empty string)", where=f"field {prefix}uri")
    data = _conform(_upgrade(item, 0), _schema(), 0)
    if data is _DROP:  # cannot happen with a string uri; kept as a guard
        raise ParseError("ninjs item cannot be read as ninjs 3.1", where=f"field {prefix}uri")
    bodies = data.get("bodies", [])
    if bodies and (plain := _plain_text(bodies)):
        bodies.append({"role": "main", "contentType": "text/plain", "value": plain})
    try:
        article = Article(**data)
    except ValidationError as exc:  # a guard: conforming leaves nothing pydantic refuses
        loc = "/".join(str(p) for p in exc.errors()[0]["loc"])
        raise ParseError(f"ninjs item does not fit the Article model: {exc.errors()[0]['msg']}",
                         where=f"field {prefix}{loc}") from exc
    signal = Signal.KILL if article.pubStatus == "canceled" else None
    declared = item.get("version")
    source_version = str(declared) if declared not in (None, "") else None
    return ParsedItem(article=article, source_format="ninjs", signal=signal, source_version=source_version)


def _upgrade(item: dict[str, Any], depth: int) -> dict[str, Any]:
    """Bring 1.x shapes to 3.x shapes (names are fixed later by :func:`_conform`)."""
    out: dict[str, Any] = {}
    blocks: dict[str, list[dict[str, str]]] = {field: [] for field in _BLOCK_FIELDS.values()}
    for key, value in item.items():
        kind, _, role = key.partition("_")
        if key == "headline" and isinstance(value, str):
            blocks["headlines"].insert(0, {"role": "main", "value": value})
        elif kind in _BLOCK_FIELDS and role and isinstance(value, str):  # headline_x, body_html, description_text
            block = {"role": role, "value": value}
            if role in _TEXT_TYPES:
                block["contentType"] = _TEXT_TYPES[role]
            blocks[_BLOCK_FIELDS[kind]].append(block)
        elif key in _CODED_LISTS and isinstance(value, list):
            out[key] = [_uncoded(entity) for entity in value]
        elif key == "trustindicator" and isinstance(value, list):
            out[key] = [{"role": _scheme_uri(e.get("scheme"), e.get("code")), "href": e.get("href")}
                        for e in value if isinstance(e, dict)]
        elif key in ("associations", "renditions") and isinstance(value, dict):
            out[key] = [{**entry, "name": name} for name, entry in value.items() if isinstance(entry, dict)]
        elif key == "altids" and isinstance(value, dict):
            out[key] = [{"role": role, "value": str(v)} for role, v in value.items()
                        if isinstance(v, (str, int)) and not isinstance(v, bool)]
        elif key in ("pubstatus", "pubStatus") and isinstance(value, str):
            out[key] = _STATUS.get(value.strip().lower(), value)
        elif key in ("representationtype", "representationType") and isinstance(value, str):
            out[key] = _REPRESENTATION.get(value, value)
        else:
            out[key] = value
    for field, extra in blocks.items():
        if extra:
            existing = out.get(field)
            out[field] = extra + (existing if isinstance(existing, list) else [])
    if isinstance(out.get("associations"), list):
        out["associations"] = [_association(a, out.get("uri"), depth) for a in out["associations"]
                               if isinstance(a, dict) and depth < 4]
    return out


def _association(entry: dict[str, Any], parent_uri: object, depth: int) -> dict[str, Any]:
    upgraded = _upgrade(entry, depth + 1)
    name = upgraded.get("name")
    if "uri" not in upgraded and isinstance(parent_uri, str) and isinstance(name, str):
        upgraded["uri"] = f"{parent_uri}#{quote(name, safe='-._~')}"  # 1.x associations may omit it
    return upgraded


def _uncoded(entity: object) -> object:
    """A 1.x ``{scheme, code}`` reference as 2.x+ ``{uri, literal}``."""
    if not isinstance(entity, dict) or not ("scheme" in entity or "code" in entity):
        return entity
    entity = dict(entity)
    scheme, code = entity.pop("scheme", None), entity.pop("code", None)
    if isinstance(code, str) and code:
        entity.setdefault("literal", code)
        if uri := _scheme_uri(scheme, code):
            entity.setdefault("uri", uri)
    return entity


def _scheme_uri(scheme: object, code: object) -> str | None:
    if not isinstance(scheme, str) or not scheme:
        return None
    if not isinstance(code, str) or not code:
        return scheme
    return scheme + code if scheme.endswith(("/", "#", ":", "=")) else f"{scheme}/{code}"


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    return validator().schema


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    """``node`` with its local ``$ref`` merged in; ``{"$remote": url}`` for a remote
    one (GeoJSON)."""
    ref = node.get("$ref")
    if ref is None:
        return node
    if not ref.startswith("#/$defs/"):
        return {"$remote": ref}
    target = _resolve(_schema()["$defs"][ref.rpartition("/")[2]])
    merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    merged["properties"] = {**target.get("properties", {}), **node.get("properties", {})}
    merged["required"] = [*target.get("required", []), *node.get("required", [])]
    return merged


def _conform(value: Any, node: dict[str, Any], depth: int) -> Any:
    """``value`` made to fit schema ``node``: keys renamed to 3.1, what does not fit
    left out; ``_DROP`` when nothing of it fits."""
    node = _resolve(node)
    if depth > _MAX_DEPTH:
        return _DROP
    if "$remote" in node:
        return value if _remote_valid(value, node["$remote"]) else _DROP
    kind = node.get("type")
    if kind == "object" or node.get("properties"):
        return _conform_object(value, node, depth)
    if kind == "array":
        if isinstance(value, dict):  # one object where a list belongs
            value = [value]
        if not isinstance(value, list):
            return _DROP
        if "items" not in node:
            return [v for v in value if isinstance(v, (str, int, float, bool))]
        kept = (_conform(v, node["items"], depth + 1) for v in value)
        return [v for v in kept if v is not _DROP]
    return _conform_scalar(value, node)


def _remote_valid(value: Any, ref: str) -> bool:
    """Whether ``value`` is valid by a remote schema the ninjs validator serves."""
    if _deeper_than(value, 24):  # GeoJSON is shallow; deeper would only strain the validator
        return False
    try:
        return validator().evolve(schema={"$ref": ref}).is_valid(value)
    except Unresolvable:  # a schema shared.ninjs cannot serve: leave the value out, keep the item
        return False


def _deeper_than(value: Any, limit: int) -> bool:
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return False


def _conform_object(value: Any, node: dict[str, Any], depth: int) -> Any:
    if not isinstance(value, dict):
        return _DROP
    props = node.get("properties", {})
    out: dict[str, Any] = {}
    for key in sorted(value, key=lambda k: k not in props):  # a 3.1 spelling wins over a 2.x one
        name = key if key in props else _CAMEL.get(key.lower(), key)
        if name in props and name not in out:
            kept = _conform(value[key], props[name], depth + 1)
            if kept is not _DROP:
                out[name] = kept
    return out if _holds(out, node) else _DROP


def _holds(obj: dict[str, Any], node: dict[str, Any]) -> bool:
    """The schema's ``required`` / ``oneOf`` / ``anyOf`` rules (in ninjs 3.1 these
    only ever combine ``required`` lists)."""
    if any(key not in obj for key in node.get("required", [])):
        return False
    if "oneOf" in node and sum(_holds(obj, branch) for branch in node["oneOf"]) != 1:
        return False
    return "anyOf" not in node or any(_holds(obj, branch) for branch in node["anyOf"])


def _conform_scalar(value: Any, node: dict[str, Any]) -> Any:
    kind = node.get("type")
    if isinstance(value, (dict, list)):
        return _DROP
    if kind == "string":
        if isinstance(value, bool) or value is None:
            return _DROP
        value = value if isinstance(value, str) else str(value)
        if node.get("format") == "date-time" and (value := ninjs_datetime(value)) is None:
            return _DROP
        if "pattern" in node:
            pattern = _PATTERNS.setdefault(node["pattern"], re.compile(node["pattern"]))
            if not pattern.search(value):
                return _DROP
    elif kind in ("integer", "number"):
        if isinstance(value, str) and re.fullmatch(r"-?\d{1,9}", value.strip()):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return _DROP
        if kind == "integer":
            if isinstance(value, float) and not value.is_integer():
                return _DROP
            value = int(value)
        if value < node.get("minimum", value) or value > node.get("maximum", value):
            return _DROP
    elif kind == "boolean" and not isinstance(value, bool):
        return _DROP
    if "enum" in node and value not in node["enum"]:
        return _DROP
    return value


def _plain_text(bodies: list[dict[str, Any]]) -> str | None:
    """Plain text made from the first HTML/XHTML/NITF body, or None when a body is
    plain text already or none can be read."""
    if any(b.get("contentType", "text/plain").lower() == "text/plain" for b in bodies):
        return None
    for body in bodies:
        kind = body.get("contentType", "").lower()
        root = None
        if "html" in kind:  # HTML and XHTML alike: the HTML parser forgives what XHTML may get wrong
            root = parse_html(body["value"])
        elif "xml" in kind or "nitf" in kind:
            try:
                root = parse_xml(body["value"].encode("utf-8", errors="replace"))
            except ParseError:  # a bad embedded document costs the derived text, not the item
                continue
            if local_name(root) == "nitf":
                root = root.find(".//{*}body.content")
        if root is not None and (paragraphs := block_paragraphs(root)):
            return "\n\n".join(paragraphs)
    return None
