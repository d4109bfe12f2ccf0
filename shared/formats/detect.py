"""Which wire format a payload is in, from its Content-Type and its first bytes.

The Content-Type decides when it names a format (``application/nitf+xml``); a
generic one (``text/plain``, ``application/xml``, ``application/octet-stream``, none)
leaves it to the payload: the root element of XML, ``{`` for JSON, SOH for ANPA,
``ZCZC`` for IPTC 7901, ``<html`` for HTML, else plain text. What no parser can
read (a picture, a PDF, a zip, bytes that are not text) is refused up front.
"""
from __future__ import annotations

from shared.errors import UnsupportedFormat
from shared.formats import media_type as split_content_type
from shared.formats.xmlsafe import decode_for_scan, root_name

FORMATS = ("text", "html", "ninjs", "newsml-g2", "nitf", "newsml-1.2", "anpa", "iptc7901", "rss", "atom")

_BY_MEDIA_TYPE = {
    "application/json": "ninjs", "application/ninjs+json": "ninjs",
    "application/vnd.iptc.g2.newsitem+xml": "newsml-g2", "application/vnd.iptc.g2.newsmessage+xml": "newsml-g2",
    "application/vnd.iptc.g2.packageitem+xml": "newsml-g2",
    "application/nitf+xml": "nitf", "text/vnd.iptc.nitf": "nitf", "text/vnd.iptc.newsml": "newsml-1.2",
    "application/rss+xml": "rss", "application/atom+xml": "atom",
    "text/html": "html", "application/xhtml+xml": "html",
    "application/x-anpa": "anpa", "application/x-iptc7901": "iptc7901",
}
_BY_ROOT = {"newsItem": "newsml-g2", "newsMessage": "newsml-g2", "packageItem": "newsml-g2", "nitf": "nitf", "NewsML": "newsml-1.2",
            "NewsItem": "newsml-1.2", "rss": "rss", "RDF": "rss", "feed": "atom",
            "html": "html", "head": "html", "body": "html"}
_UNREADABLE_KINDS = ("image/", "audio/", "video/", "font/", "model/")
_UNREADABLE_TYPES = {"application/pdf", "application/zip", "application/gzip", "application/x-gzip",
                     "application/x-tar", "application/x-7z-compressed", "application/msword",
                     "application/vnd.ms-excel", "application/vnd.ms-powerpoint"}
_MAGIC = (b"\x89PNG\r\n\x1a\n", b"%PDF-", b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"GIF87a", b"GIF89a",
          b"\xff\xd8\xff", b"7z\xbc\xaf\x27\x1c", b"OggS", b"fLaC", b"\x00\x00\x01\x00")
_WIDE_TEXT = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"<\x00", b"\x00<")


def detect_format(payload: bytes, media_type: str) -> str:
    """The format of ``payload`` sent as ``media_type`` (a Content-Type header value,
    parameters allowed; "" when there was none).

    Out: one of :data:`FORMATS`. A specific Content-Type is trusted; otherwise the
    payload is sniffed. Raises :class:`UnsupportedFormat` for media types no parser
    reads (image/*, audio/*, video/*, PDF, archives, office documents), for binary
    payloads (NUL bytes outside UTF-16/32 text, PNG/PDF/ZIP/GZIP/JPEG… magic) and
    for XML whose root element is no news format; never raises anything else.
    """
    kind, _ = split_content_type(media_type)
    if kind.startswith(_UNREADABLE_KINDS) or kind in _UNREADABLE_TYPES or kind.startswith(
            "application/vnd.openxmlformats"):
        raise UnsupportedFormat(f"media type {kind!r} is not a news text format")
    if _is_binary(payload):
        raise UnsupportedFormat(f"payload is binary, not text (sent as {kind or 'no media type'})")
    if kind in _BY_MEDIA_TYPE:
        return _BY_MEDIA_TYPE[kind]
    if kind.endswith("+json"):
        return "ninjs"
    return _sniff(decode_for_scan(payload))


def _is_binary(payload: bytes) -> bool:
    if payload.startswith(_MAGIC) or payload[4:8] == b"ftyp":  # ftyp: MP4 / MOV / HEIC
        return True
    return b"\x00" in payload and not payload.startswith(_WIDE_TEXT)


def _sniff(text: str) -> str:
    head = text.lstrip("\ufeff\x16 \t\r\n")
    if head.startswith("\x01"):
        lines = head[1:300].split("\n")[:3]  # 7901 feeds may frame messages with SOH too
        return "iptc7901" if any(line.strip(" \x02").startswith("ZCZC") for line in lines) else "anpa"
    if head.startswith("ZCZC"):
        return "iptc7901"
    if head.startswith(("{", "[")):
        return "ninjs"
    if head.startswith("<"):
        lowered = head[:64].lower()
        if lowered.startswith(("<!doctype html", "<html")):
            return "html"
        root = root_name(text)
        if root is None:
            return "text"
        if root not in _BY_ROOT:
            raise UnsupportedFormat(f"XML with root element <{root}> is no news format ingest reads")
        return _BY_ROOT[root]
    return "text"
