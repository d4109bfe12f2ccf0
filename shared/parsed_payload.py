"""The items the gateway parsed out of a payload, carried beside the raw payload on
``wire.inbound`` so ingest does not parse it a second time.

Parsing is the costliest step before enrichment (≈10 ms for a 600-word text page),
and the gateway must parse anyway (to answer 4xx at once and to return the story's
id). It puts what it parsed in a record header, sealed with an HMAC over the
payload, its media type and its provider under a key derived from
``WIRE_SECRET_KEY``. Ingest uses the items only when the seal holds and they load
as the event models; a record anyone else put on the topic (no seal, a wrong one,
items of another payload) is parsed as before, and ownership and versions are
decided in ingest either way. The raw payload stays the record's value, so a DLQ
replay (which drops these headers, see :mod:`shared.dead_letters`) parses it
again with the parser of the day.
"""
from __future__ import annotations

import hashlib
import hmac

import orjson
from pydantic import ValidationError

from shared.cloudevents import Headers, header_items
from shared.credentials import derived_key
from shared.events import Article, Signal
from shared.formats.base import ParsedItem

ITEMS_HEADER = "wire_parsed_items"
SEAL_HEADER = "wire_parsed_seal"
HEADERS = (ITEMS_HEADER, SEAL_HEADER)
# Room left in a record for its other headers and the protocol's framing.
_FRAMING_BYTES = 64 * 1024


def encode_items(items: list[ParsedItem]) -> bytes:
    """The items as JSON (articles as their JSON model dump)."""
    return orjson.dumps([{"article": item.article.model_dump(mode="json", exclude_none=True),
                          "source_format": item.source_format,
                          "signal": item.signal.value if item.signal else None,
                          "source_version": item.source_version} for item in items])


def decode_items(data: bytes) -> list[ParsedItem]:
    """The inverse of :func:`encode_items`. Raises ValueError (JSON, shape or model)."""
    try:
        return [ParsedItem(article=Article.model_validate(entry["article"]),
                           source_format=str(entry["source_format"]),
                           signal=Signal(entry["signal"]) if entry.get("signal") else None,
                           source_version=entry.get("source_version"))
                for entry in orjson.loads(data)]
    except (orjson.JSONDecodeError, ValidationError, KeyError, TypeError) as exc:
        raise ValueError(f"parsed items do not load: {exc}") from exc


class PayloadSeal:
    """Seals parsed items to the payload they came from (gateway) and opens them
    again (ingest). Both sides need the same ``WIRE_SECRET_KEY``; unset, both use the
    development key (the gateway refuses to run without one off loopback)."""

    def __init__(self, secret_key: str | None, *, max_record_bytes: int) -> None:
        # A key of its own, so this MAC can never be confused with the webhook seal.
        self._key = derived_key(secret_key, b"wirestream parsed items")
        self.max_record_bytes = max_record_bytes

    def _mac(self, items: bytes, payload: bytes, content_type: str, provider: str) -> bytes:
        mac = hmac.new(self._key, digestmod=hashlib.sha256)
        for part in (provider.encode("utf-8"), content_type.encode("utf-8"), payload):
            mac.update(len(part).to_bytes(8, "big"))  # length-prefixed: no ambiguous joins
            mac.update(part)
        mac.update(items)
        return mac.hexdigest().encode("ascii")

    def headers(self, items: list[ParsedItem], payload: bytes, content_type: str, provider: str) -> Headers:
        """The two headers that carry ``items``; none when the record would grow past
        ``max_record_bytes`` with them (ingest then parses the payload itself)."""
        data = encode_items(items)
        if len(payload) + len(data) + _FRAMING_BYTES > self.max_record_bytes:
            return []
        return [(ITEMS_HEADER, data), (SEAL_HEADER, self._mac(data, payload, content_type, provider))]

    def open(self, headers, payload: bytes, content_type: str, provider: str) -> list[ParsedItem] | None:
        """The items sealed in ``headers`` for exactly this payload, media type and
        provider; None when there are none, the seal does not hold or they do not load."""
        found = dict(header_items(headers))
        data, seal = found.get(ITEMS_HEADER), found.get(SEAL_HEADER)
        if not data or not seal or not hmac.compare_digest(seal, self._mac(data, payload, content_type, provider)):
            return None
        try:
            return decode_items(data)
        except ValueError:
            return None
