"""Wire formats: detect what a payload is and parse it into one canonical Article.

The parsers are pure functions of the payload. The gateway runs them to refuse bad
input synchronously with a 4xx that says why and to answer with the story's id;
ingest runs them on the retained raw payload (so a fixed parser can be replayed
over the DLQ) and adds what needs state.
"""
from __future__ import annotations

from collections.abc import Callable

from shared.errors import ParseError, UnsupportedFormat
from shared.events import Article

Parser = Callable[[str], Article]


def media_type(content_type: str | None) -> tuple[str, str]:
    """Split a Content-Type header into (media type, charset); charset defaults to utf-8."""
    if not content_type:
        return "", "utf-8"
    head, *params = content_type.split(";")
    charset = "utf-8"
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"').lower()
    return head.strip().lower(), charset


def _plaintext(text: str, provider: str) -> Article:
    from shared.formats.plaintext import parse_plaintext

    return parse_plaintext(text, provider=provider)


PARSERS: dict[str, Callable[[str, str], Article]] = {
    "text/plain": _plaintext,
}


def supported_media_types() -> list[str]:
    return sorted(PARSERS)


def parse(payload: bytes, content_type: str | None, *, provider: str) -> Article:
    """Parse ``payload`` sent with ``content_type`` into an Article.

    Raises :class:`UnsupportedFormat` for a media type no parser reads and
    :class:`ParseError` (with where it went wrong) for a payload that cannot be read.
    """
    kind, charset = media_type(content_type)
    parser = PARSERS.get(kind)
    if parser is None:
        accepted = ", ".join(supported_media_types())
        raise UnsupportedFormat(f"unsupported Content-Type {kind or '(none)'!r}; accepted: {accepted}")
    try:
        text = payload.decode(charset)
    except LookupError as exc:
        raise ParseError(f"unknown charset {charset!r}", where="Content-Type") from exc
    except UnicodeDecodeError as exc:
        line = payload[: exc.start].count(b"\n") + 1
        raise ParseError(f"payload is not valid {charset}: {exc.reason}", where=f"line {line}, byte {exc.start}") from exc
    return parser(text, provider)
