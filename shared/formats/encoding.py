"""Which text encoding a payload is in, decided before any parser reads it.

What decides, first to last: a byte-order mark (for XML also the UTF-16/32 bytes of
its first ``<``), then the charset the transport declares (Content-Type), then the
XML declaration, else UTF-8. Labels are often wrong the way browsers learned to
expect, and are read as the WHATWG Encoding Standard reads them:

- ISO-8859-1, Latin-1 and US-ASCII mean windows-1252 (ISO-8859-9 windows-1254,
  ISO-8859-11 windows-874): senders label Windows text so, and read literally its
  € — “ ” would become C1 control characters;
- a single-byte label on bytes that are valid UTF-8 and hold multibyte sequences is
  a mistake: such bytes are next to never meant as single-byte text ("BÃ¼low"), so
  they are read as UTF-8.

lxml is then handed the document as UTF-8, its declaration saying so, so that the
entity checks and bounds of :mod:`shared.formats.xmlsafe` read exactly what lxml
reads, on the same lines.
"""
from __future__ import annotations

import codecs
import re
import sys

from shared.errors import ParseError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_NO_BOM = ((b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"),
           (b"\x00<\x00", "utf-16-be"), (b"<\x00", "utf-16-le"))
_DECLARED = re.compile(rb"""^\s*<\?xml\s[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""")
# The encoding in the declaration of a decoded document, to be rewritten as UTF-8.
_DECLARATION = re.compile(r"""^(\s*<\?xml\s[^>]{0,200}?encoding\s*=\s*)(["'])[A-Za-z0-9._-]{1,40}\2""")
_WHATWG = {"ascii": "cp1252", "iso8859-1": "cp1252", "iso8859-9": "cp1254", "iso8859-11": "cp874",
           "tis-620": "cp874"}
_C1 = "wirestream-c1"


def _c1_as_latin1(exc: UnicodeError) -> tuple[str, int]:
    # WHATWG's windows-125x read the bytes Python's cp125x leave undefined (0x81,
    # 0x8D…) as the C1 controls Latin-1 reads; any other undecodable byte stays an error.
    if isinstance(exc, UnicodeDecodeError):
        chunk = exc.object[exc.start:exc.end]
        if all(0x80 <= byte <= 0x9F for byte in chunk):
            return chunk.decode("latin-1"), exc.end
    raise exc


codecs.register_error(_C1, _c1_as_latin1)


def bom_codec(payload: bytes) -> str | None:
    """The codec a byte-order mark at the start of ``payload`` names (one that strips
    the mark when decoding), or None when there is none."""
    return next((name for bom, name in _BOMS if payload.startswith(bom)), None)


def codec_for(label: str, payload: bytes) -> str:
    """The Python codec to read ``payload`` in when it is declared to be in ``label``
    (a charset or encoding name): the WHATWG reading of the label, or UTF-8 when the
    label names a single-byte encoding and the bytes are valid UTF-8 with multibyte
    sequences in them. Raises LookupError for a label Python does not know."""
    name = codecs.lookup(label).name
    if _single_byte(name) and not payload.isascii() and _is_utf8(payload):
        return "utf-8"
    return _WHATWG.get(name, name)


def decode(payload: bytes, codec: str) -> str:
    """``payload`` decoded in ``codec`` (from :func:`codec_for` or :func:`bom_codec`).
    Raises UnicodeDecodeError for bytes not valid in it, LookupError for an unknown codec."""
    return payload.decode(codec, errors=_C1 if _single_byte(codecs.lookup(codec).name) else "strict")


def xml_as_utf8(payload: bytes, charset: str | None = None) -> bytes:
    """The XML document ``payload`` as UTF-8 bytes, its declaration (if it names an
    encoding) rewritten to say UTF-8 and its byte-order mark left out; nothing else
    changes, so lines stay where they were.

    In: the raw bytes and the charset the transport declared (None when none was).
    The encoding is the first of: BOM, transport charset, declaration, UTF-8, read as
    :func:`codec_for` reads labels; a transport charset Python does not know, or one
    the bytes are not valid in, gives way to the declaration. Bytes that are already
    UTF-8 by every label come back unchanged (lxml checks them as it reads).
    Raises :class:`ParseError` (``where`` = "line N" / "line 1") for bytes not valid in
    the encoding decided and for a declared encoding Python does not know.
    """
    if (sniffed := bom_codec(payload) or _wide(payload)) is not None:
        return _as_utf8(payload, sniffed)
    declared = m.group(1).decode("ascii") if (m := _DECLARED.match(payload)) else None
    try:
        by_declaration = codec_for(declared, payload) if declared else None
    except LookupError as exc:
        raise ParseError(f"XML declares an unknown encoding {declared!r}", where="line 1") from exc
    # An unknown transport charset gives way to the declaration; so does a wide one
    # (UTF-16/32), which bytes without a BOM or wide "<" contradict.
    candidates = [codec for codec in (_known(charset, payload), by_declaration) if codec and _ascii_compatible(codec)]
    declared_utf8 = declared is None or codecs.lookup(declared).name == "utf-8"
    if declared_utf8 and all(codec == "utf-8" for codec in candidates):
        return payload
    for codec in candidates[:-1]:
        try:
            return _as_utf8(payload, codec)
        except ParseError:
            continue  # the next label may be right
    return _as_utf8(payload, candidates[-1] if candidates else "utf-8")


def decode_for_scan(payload: bytes) -> str:
    """The payload as text, decoded well enough to look at its markup: by BOM, by
    the UTF-16/32 byte pattern of ``<``, by the XML declaration, else as UTF-8.
    Undecodable bytes become U+FFFD; never raises."""
    codec = bom_codec(payload) or _wide(payload)
    if codec is None:
        codec = "utf-8"
        if m := _DECLARED.match(payload):
            try:
                codec = codecs.lookup(m.group(1).decode("ascii")).name
            except LookupError:
                codec = "utf-8"
    try:
        return payload.decode(codec, errors="replace")
    except LookupError:  # a codec Python knows by name but cannot use for bytes
        return payload.decode("utf-8", errors="replace")


def _as_utf8(payload: bytes, codec: str) -> bytes:
    try:
        text = decode(payload, codec)
    except UnicodeDecodeError as exc:
        line = payload[: exc.start].count(b"\n") + 1
        raise ParseError(f"XML is not valid {codec}: {exc.reason} (byte {exc.start})", where=f"line {line}") from exc
    except LookupError as exc:  # a codec Python knows by name but cannot use for bytes
        raise ParseError(f"XML is in an encoding that cannot be read: {codec!r}", where="line 1") from exc
    return _DECLARATION.sub(r"\1\2UTF-8\2", text, count=1).encode("utf-8")


def _known(label: str | None, payload: bytes) -> str | None:
    try:
        return codec_for(label, payload) if label else None
    except LookupError:
        return None


def _wide(payload: bytes) -> str | None:
    """UTF-16 or UTF-32 without a byte-order mark, told by the bytes of a leading ``<``."""
    return next((name for prefix, name in _NO_BOM if payload.startswith(prefix)), None)


def _single_byte(name: str) -> bool:
    """Whether the codec ``name`` (a normalised codec name) reads one character per
    byte. Python's single-byte codecs other than these two are charmap codecs, whose
    modules hold a ``decoding_table``."""
    if name in ("ascii", "iso8859-1"):
        return True
    owner = getattr(codecs.lookup(name).decode, "__self__", None)
    return owner is not None and hasattr(sys.modules.get(type(owner).__module__), "decoding_table")


def _ascii_compatible(codec: str) -> bool:
    try:
        return "<?xml".encode(codec) == b"<?xml"
    except (LookupError, UnicodeError):
        return False


def _is_utf8(payload: bytes) -> bool:
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
