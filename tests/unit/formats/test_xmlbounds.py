"""The XML bounds every XML parser (and so feedparser) sits behind."""
from __future__ import annotations

import pytest

from shared.errors import ParseError
from shared.formats import parse
from shared.formats.xmlbounds import TooComplex, XmlBounds, bounded_tree
from shared.formats.xmlsafe import parse_xml

SMALL = XmlBounds(max_attributes=5, max_elements=20, max_depth=4, max_text_chars=100)


def rss(root_attributes: int) -> bytes:
    attrs = " ".join(f'a{i}="{i}"' for i in range(root_attributes))
    return (f'<?xml version="1.0"?>\n<rss version="2.0" {attrs}><channel><title>T</title>'
            '<item><title>x</title><description>hello</description><guid>g1</guid></item>'
            '</channel></rss>').encode()


def test_the_100000_attribute_rss_is_refused_before_feedparser_sees_it():
    with pytest.raises(TooComplex) as refused:
        parse(rss(100_000), "application/rss+xml", provider="attacker")
    assert "100001 attributes" in str(refused.value)
    assert refused.value.where == "line 2"


def test_a_feed_within_the_bounds_still_parses():
    assert parse(rss(3), "application/rss+xml", provider="ok")[0].article.headline == "x"


@pytest.mark.parametrize("payload, why", [
    (b'<a b="1" c="2" d="3" e="4" f="5" g="6"/>', "6 attributes"),
    (b"<a>" + b"<b/>" * 20 + b"</a>", "more than 20 elements"),
    (b"<a><b><c><d><e/></d></c></b></a>", "more than 4 deep"),
    (b"<a>" + b"x" * 60 + b"<b/>" + b"y" * 60 + b"</a>", "more than 100 characters"),
])
def test_each_bound_refuses_with_its_reason(payload, why):
    with pytest.raises(TooComplex, match=why):
        bounded_tree(payload, SMALL)


def test_at_the_bounds_a_document_is_accepted():
    payload = b'<a b="1" c="2" d="3" e="4" f="5"><b><c><d>' + b"x" * 100 + b"</d></c></b></a>"
    assert bounded_tree(payload, SMALL).tag == "a"


def test_the_default_bounds_refuse_a_million_elements():
    with pytest.raises(TooComplex, match="elements"):
        parse_xml(b"<rss>" + b"<i/>" * 1_000_000 + b"</rss>")


def test_bounds_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("WIRE_XML_MAX_DEPTH", "7")
    assert XmlBounds().max_depth == 7


# Reading a payload in its declared or sent charset re-encodes it as UTF-8 for lxml;
# the entity checks and the bounds still see every document.
CHARSETS = [("application/xml; charset=iso-8859-1", "latin-1", None),
            ("application/xml", "latin-1", "ISO-8859-1"),
            ("application/xml", "utf-8", "ISO-8859-1"),
            ("application/xml; charset=utf-16", "utf-16", None)]


def _document(body: str, encoding: str, declared: str | None, doctype: str = "") -> bytes:
    declaration = f'<?xml version="1.0" encoding="{declared}"?>\n' if declared else ""
    return f"{declaration}{doctype}<nitf><body><body.content>{body}</body.content></body></nitf>".encode(encoding)


@pytest.mark.parametrize("content_type, encoding, declared", CHARSETS)
def test_entity_declarations_are_refused_in_any_charset(content_type, encoding, declared):
    payload = _document("<p>Café &e;</p>", encoding, declared, '<!DOCTYPE nitf [<!ENTITY e "boom">]>')
    with pytest.raises(ParseError, match="declares entities"):
        parse(payload, content_type, provider="attacker")


@pytest.mark.parametrize("content_type, encoding, declared", CHARSETS)
def test_the_bounds_hold_in_any_charset(content_type, encoding, declared):
    with pytest.raises(TooComplex, match="elements"):
        parse(_document("<p>Café</p>" + "<i/>" * 100_001, encoding, declared), content_type, provider="attacker")


def test_lines_are_counted_in_the_document_as_sent():
    payload = '<?xml version="1.0" encoding="ISO-8859-1"?>\n<nitf>\n<p>Café</nitf>'.encode("latin-1")
    with pytest.raises(ParseError) as refused:
        parse(payload, "application/xml", provider="wire")
    assert refused.value.where == "line 3"
