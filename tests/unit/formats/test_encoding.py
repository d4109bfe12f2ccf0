"""A payload's text encoding is decided before any parser reads it: a byte-order
mark, then the transport's charset (Content-Type), then the XML declaration, else
UTF-8. Latin-1 and ASCII labels read as windows-1252 (as the WHATWG Encoding
Standard has browsers read them), and a single-byte label on bytes that are valid
UTF-8 with multibyte sequences in them reads as UTF-8."""
from __future__ import annotations

from pathlib import Path

import pytest

from shared.errors import ParseError
from shared.formats import parse
from shared.formats.xmlsafe import parse_xml, text_of

SAMPLES = Path("/work/shared/data/wire-samples")
C1_CONTROLS = {chr(c) for c in range(0x80, 0xA0)}


def nitf(headline: str, paragraph: str, encoding: str | None = None) -> str:
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>\n' if encoding else ""
    return (f"{declaration}<nitf><body><body.head><hedline><hl1>{headline}</hl1></hedline></body.head>"
            f"<body.content><p>{paragraph}</p></body.content></body></nitf>")


def read(payload: bytes, content_type: str = "application/xml") -> tuple[str, str]:
    [item] = parse(payload, content_type, provider="wire")
    return item.article.headline, item.article.body_text


@pytest.mark.parametrize("label", ["ISO-8859-1", "latin1", "windows-1252", "iso-8859-15", "US-ASCII"])
def test_utf8_bytes_under_a_single_byte_declaration_are_read_as_utf8(label):
    payload = nitf("Exhibition for Vicco von Bülow", "Loriot’s cartoons, “Wum” and more.", label).encode("utf-8")
    assert read(payload) == ("Exhibition for Vicco von Bülow", "Loriot’s cartoons, “Wum” and more.")


def test_windows_1252_bytes_labelled_latin1_keep_their_punctuation():
    payload = nitf("Price €5 — “quote”", "It costs €5 – ‘really’…", "ISO-8859-1").encode("cp1252")
    headline, body = read(payload)
    assert (headline, body) == ("Price €5 — “quote”", "It costs €5 – ‘really’…")
    assert not C1_CONTROLS & set(headline + body)


def test_latin1_bytes_declared_latin1_are_still_latin1():
    assert read(nitf("Café fermé", "Le café est fermé à Montréal.", "ISO-8859-1").encode("latin-1")) == \
        ("Café fermé", "Le café est fermé à Montréal.")


def test_a_byte_windows_1252_leaves_undefined_stays_the_control_latin1_reads():
    root = parse_xml('<?xml version="1.0" encoding="ISO-8859-1"?><p>a\x81b é</p>'.encode("latin-1"))
    assert text_of(root) == "a\x81b é"


@pytest.mark.parametrize("content_type", ["application/xml; charset=iso-8859-1",
                                          'application/nitf+xml; charset="ISO-8859-1"', "text/xml;charset=latin1"])
def test_the_transport_charset_is_read_for_xml_without_a_declaration(content_type):
    payload = nitf("Café fermé", "Le café est fermé à Montréal.").encode("latin-1")
    assert read(payload, content_type) == ("Café fermé", "Le café est fermé à Montréal.")


def test_the_transport_charset_comes_before_the_declaration():
    payload = nitf("Ökonomie", "Die Märkte fielen um 5 €.", "UTF-8").encode("cp1252")
    assert read(payload, "application/xml; charset=windows-1252") == ("Ökonomie", "Die Märkte fielen um 5 €.")


def test_a_declaration_is_read_when_the_bytes_are_not_in_the_transport_charset():
    # Servers label whatever they send "utf-8"; the document's own declaration then says what it is.
    payload = nitf("Café fermé", "Le café est fermé.", "ISO-8859-1").encode("latin-1")
    assert read(payload, "application/xml; charset=utf-8") == ("Café fermé", "Le café est fermé.")


def test_a_byte_order_mark_comes_before_the_transport_charset():
    payload = nitf("Café fermé", "Le café est fermé.", "UTF-16").encode("utf-16")
    assert read(payload, "application/xml; charset=iso-8859-1") == ("Café fermé", "Le café est fermé.")


def test_a_feed_is_read_in_its_transport_charset():
    payload = ('<rss version="2.0"><channel><title>Fil</title><item><title>Café fermé</title><guid>urn:x:1</guid>'
               "<description>Le café est fermé à Montréal.</description></item></channel></rss>").encode("latin-1")
    assert read(payload, "application/rss+xml; charset=ISO-8859-1") == ("Café fermé", "Le café est fermé à Montréal.")


def test_a_feed_in_utf8_under_a_latin1_declaration_is_read_as_utf8():
    payload = ('<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><title>Fil</title><item>'
               "<title>Bülow – “Loriot”</title><guid>urn:x:1</guid><description>Bülow’s 85th.</description>"
               "</item></channel></rss>").encode("utf-8")
    assert read(payload, "application/rss+xml") == ("Bülow – “Loriot”", "Bülow’s 85th.")


def test_utf8_declared_bytes_that_are_not_utf8_are_still_refused_with_their_line():
    payload = nitf("Café", "Le café.", "UTF-8").encode("latin-1")
    with pytest.raises(ParseError) as refused:
        parse_xml(payload)
    assert refused.value.where == "line 2"


def test_an_unknown_declared_encoding_is_a_parse_error():
    with pytest.raises(ParseError, match="no-such-charset"):
        parse_xml(b'<?xml version="1.0" encoding="no-such-charset"?><p>x</p>')


def test_the_listing_5_sample_reads_bulow():
    [path] = SAMPLES.glob("**/LISTING_5_Multi-part_Video_in_NewsML-G2.xml")
    assert path.read_bytes().startswith(b'<?xml version="1.0" encoding="ISO-8859-1"?>')
    ninjs = str(parse(path.read_bytes(), "application/xml", provider="wire")[0].article.to_ninjs())
    assert "Vicco von Bülow" in ninjs and "Ã" not in ninjs
