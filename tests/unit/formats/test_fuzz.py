"""Fuzzing every parser and detect_format with random bytes, random text, XML-ish
markup, text-wire-ish frames and ninjs-ish JSON: they answer with valid ninjs 3.1
or a ParseError / UnsupportedFormat, never another exception, and stay fast on
pathological input."""
from __future__ import annotations

import time
from xml.sax.saxutils import quoteattr

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.errors import ParseError, UnsupportedFormat
from shared.formats.anpa import parse_anpa
from shared.formats.detect import FORMATS, detect_format
from shared.formats.feeds import parse_feed
from shared.formats.iptc7901 import parse_iptc7901
from shared.formats.newsml12 import parse_newsml12
from shared.formats.newsml_g2 import parse_newsml_g2
from shared.formats.ninjs_json import parse_ninjs
from shared.formats.nitf import parse_nitf
from shared.ninjs import ninjs_errors

PARSERS = [parse_ninjs, parse_newsml_g2, parse_nitf, parse_newsml12, parse_anpa, parse_iptc7901, parse_feed]
FUZZ = settings(max_examples=200, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

TAGS = ["nitf", "head", "title", "docdata", "doc-id", "urgency", "date.issue", "du-key", "ed-msg", "doc.copyright",
        "key-list", "keyword", "evloc", "tobject", "tobject.subject", "body", "body.head", "hedline", "hl1", "hl2",
        "byline", "person", "dateline", "location", "body.content", "block", "p", "media", "media-reference",
        "media-caption", "newsMessage", "itemSet", "newsItem", "itemMeta", "itemClass", "pubStatus", "signal",
        "versionCreated", "contentMeta", "headline", "description", "subject", "name", "creator", "language",
        "rightsInfo", "copyrightHolder", "contentSet", "inlineXML", "inlineData", "remoteContent", "NewsML",
        "NewsItem", "Identification", "NewsIdentifier", "PublicIdentifier", "RevisionId", "NewsManagement",
        "Status", "Urgency", "NewsComponent", "Role", "NewsLines", "HeadLine", "SubHeadLine", "ContentItem",
        "MimeType", "DataContent", "Metadata", "MetadataType", "Property", "rss", "channel", "item", "guid",
        "link", "pubDate", "category", "feed", "entry", "id", "updated", "content", "summary", "author", "html",
        "div", "figure", "img", "figcaption", "table", "tr", "td", "blockquote", "li", "br", "packageItem",
        "groupSet", "group", "groupRef", "itemRef", "icon", "assert", "POIDetails", "address", "line", "locality",
        "note", "edNote", "partMeta"]
ATTRS = ["guid", "version", "qcode", "type", "role", "id-string", "ed-urg", "norm", "key", "management-status",
         "FormalName", "Value", "PreviousRevision", "Href", "href", "contenttype", "rendition", "width", "size",
         "media-type", "source", "uri", "literal", "tag", "xml:lang", "baselang", "class", "data-uri", "residref",
         "idref", "root", "duration", "durationunit", "videoframerate", "renditionuri", "height", "mime-type",
         "noteclass", "name", "format", "videoaspectratio"]
VALUES = ["stat:canceled", "stat:withdrawn", "sig:correction", "sig:update", "ninat:text", "ninat:picture",
          "medtop:20000139", "cpnat:person", "20130515T120000Z", "2024-02-30T10:00:00Z", "3", "0", "99", "-1",
          "Canceled", "Body", "Photo", "text/xhtml", "application/nitf+xml", "text/plain", "image", "urn:x:1", "x",
          "ninat:video", "ninat:composite", "ninat:concept", "timeunit:editUnit", "timeunit:frames", "12:00:01.5",
          "nan", "1e400", "G1", "video", "npa", "editorsnote", "https://img.example.org/a.jpg", "file:///a b.jpg",
          "Eds: not for publication", "Keywords: a, b"]

# Text XML allows: no controls, surrogates or non-characters, and no markup characters.
plain = st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc", "Cn"), exclude_characters="<&>"), max_size=24)
attributes = st.dictionaries(st.sampled_from(ATTRS), st.one_of(st.sampled_from(VALUES), plain), max_size=3)


def _element(children):
    def render(tag, attrs, text, kids, tail):
        rendered = "".join(f" {name}={quoteattr(value)}" for name, value in attrs.items())
        return f"<{tag}{rendered}>{text}{''.join(kids)}</{tag}>{tail}"
    return st.builds(render, st.sampled_from(TAGS), attributes, plain, st.lists(children, max_size=4), plain)


PROLOGS = ["", '<?xml version="1.0" encoding="UTF-8"?>\n', "<!-- wire -->", "<!DOCTYPE nitf>",
           '<!DOCTYPE x [<!ENTITY e "boom">]>', '<!DOCTYPE x SYSTEM "file:///etc/passwd">']
xml_documents = st.builds(lambda prolog, body: (prolog + body).encode(), st.sampled_from(PROLOGS),
                          st.recursive(plain, _element, max_leaves=25))
xml_soup = st.text(alphabet="<>/=\"' ?!-[]&;#xnitfpbody.rsNewsML\n", max_size=200).map(str.encode)

WIRE_LINES = ["^Harbour strike ends<", "^By JANE DOE=", "^Eds: note<", "\t   ROTTERDAM (WS) _ Text.", "(MORE)",
              "(END)", "WS-NY-05-15-13 1412GMT<", "WS-NY-13-45-13 9999XYZ<", "continued line", "", "___",
              "HARBOUR-STRIKE/", "(Achtung)", "Headline here =", "wsa mo/jd", "151412 GMT May 13", "991299 GMT Foo 13",
              "NNNN", "ZCZC", "\x02", "\x03", "\x01"]
ANPA_HEADERS = ["a0417\x1fwsa\nr a BC-Harbour-Strike 05-15 0287", "b0001 r a BC-X 1stLd-Writethru 05-15 0001",
                "c0002\nf l BC-Quake Kill 11-13 0012", "d0003 u i BC-Y 3rdAdd Correction 1-1 1", "junk"]
IPTC_HEADERS = ["WSA0417 3 eco 0214", "dpa001 1 pl 12 info text", "X1 6 a 0", "WSA0417 7 eco 0214"]
wire_lines = st.lists(st.one_of(st.sampled_from(WIRE_LINES), plain), max_size=12).map("\n".join)
anpa_frames = st.builds(lambda h, text: ("\x16\x01" + h + "\n\x02" + text + "\n\x03").encode(),
                        st.sampled_from(ANPA_HEADERS), wire_lines)
iptc_frames = st.builds(lambda h, text: ("ZCZC\n" + h + "\n" + text + "\nNNNN").encode("latin-1", "replace"),
                        st.sampled_from(IPTC_HEADERS), wire_lines)

NINJS_KEYS = ["uri", "type", "version", "versioncreated", "versionCreated", "firstcreated", "pubstatus", "pubStatus",
              "urgency", "headline", "headlines", "body_text", "body_html", "bodies", "descriptions", "value", "role",
              "contenttype", "contentType", "associations", "renditions", "altids", "altIds", "person", "people",
              "subject", "subjects", "name", "scheme", "code", "places", "geoJSON", "eventDetails", "dates",
              "startDate", "contactInfo", "address", "rightsInfo", "linkedRights", "charcount", "href", "language"]
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10, 10**12), st.floats(allow_nan=False, allow_infinity=False),
              st.sampled_from(VALUES + ["<p>Body <b>text</b></p>", "canceled", "text/html", "application/nitf+xml"]),
              plain),
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.sampled_from(NINJS_KEYS), children, max_size=6)),
    max_leaves=30)
ninjs_documents = st.builds(lambda uri, rest: orjson.dumps({"uri": uri, **rest} if uri else rest),
                            st.sampled_from(["urn:x:1", "", "http://example.org/a b"]),
                            st.dictionaries(st.sampled_from(NINJS_KEYS), json_values, max_size=10))

ids = st.text(alphabet="abcXYZ019-:", min_size=1, max_size=10)
fragments = st.lists(st.recursive(plain, _element, max_leaves=10), max_size=3).map("".join)
SKELETONS = {
    parse_nitf: '<nitf {a}><head><docdata {a}>{f}</docdata>{f}</head><body><body.head><hedline><hl1>{t}</hl1>{f}'
                "</hedline>{f}</body.head><body.content>{f}</body.content></body></nitf>",
    # a message with a text, a media item (class and renditions fuzzed) and a package of both
    parse_newsml_g2: '<newsMessage><itemSet><newsItem guid="urn:{i}" version="{i}" {a}><itemMeta>'
                     '<itemClass qcode="ninat:text"/>{f}</itemMeta><contentMeta>{f}<headline>{t}</headline>'
                     "</contentMeta><contentSet><inlineXML>{f}</inlineXML>{f}</contentSet></newsItem>"
                     '<newsItem guid="urn:m{i}"><itemMeta><itemClass {a}/></itemMeta><contentMeta>{f}</contentMeta>'
                     '<contentSet><remoteContent {a}/>{f}</contentSet></newsItem><packageItem {a}>'
                     '<groupSet root="G1"><group id="G1" {a}><itemRef residref="urn:{i}"/>{f}</group>'
                     '<group id="G2"><itemRef residref="urn:m{i}"/><groupRef idref="G1"/></group></groupSet>'
                     "</packageItem></itemSet></newsMessage>",
    parse_newsml12: "<NewsML><NewsItem><Identification><NewsIdentifier><PublicIdentifier>urn:{i}</PublicIdentifier>"
                    "<RevisionId {a}>{i}</RevisionId></NewsIdentifier></Identification><NewsManagement>{f}"
                    "</NewsManagement><NewsComponent><NewsLines><HeadLine>{t}</HeadLine>{f}</NewsLines>{f}"
                    '<NewsComponent><Role FormalName="Body"/><ContentItem><DataContent>{f}</DataContent></ContentItem>'
                    "</NewsComponent></NewsComponent></NewsItem></NewsML>",
    parse_feed: '<rss><channel {a}>{f}<item><title>{t}</title><guid>{i}</guid>{f}</item></channel></rss>',
}
_attrs_text = attributes.map(lambda attrs: " ".join(f"{name}={quoteattr(value)}" for name, value in attrs.items()))
skeletons = {parser: st.builds(lambda a, f, t, i, template=template: template.format(a=a, f=f, t=t, i=i).encode(),
                                _attrs_text, fragments, plain, ids)
             for parser, template in SKELETONS.items()}
TARGETED = {**skeletons, parse_ninjs: ninjs_documents, parse_anpa: anpa_frames, parse_iptc7901: iptc_frames}
GENERIC = [st.binary(max_size=600), st.text(max_size=300).map(lambda t: t.encode("utf-8", "replace")),
           xml_documents, xml_soup, anpa_frames, iptc_frames, ninjs_documents]
payloads = st.one_of(*GENERIC, *skeletons.values())


def payloads_for(parser):
    """Every kind of input, with the parser's own format drawn about half the time."""
    return st.one_of(*GENERIC, *[TARGETED[parser]] * 6)


def _check(parser, payload: bytes) -> None:
    try:
        items = parser(payload, provider="Fuzz Wire")
    except ParseError as exc:
        assert str(exc)
        return
    for item in items:
        assert ninjs_errors(item.article.to_ninjs()) == []


@pytest.mark.parametrize("parser", PARSERS, ids=lambda p: p.__name__)
def test_parsers_answer_with_valid_ninjs_or_a_parse_error(parser):
    @FUZZ
    @given(payload=payloads_for(parser))
    def fuzz(payload):
        _check(parser, payload)

    fuzz()


@FUZZ
@given(payload=ninjs_documents)
def test_ninjs_shaped_json_always_becomes_valid_ninjs(payload):
    _check(parse_ninjs, payload)


@FUZZ
@given(payload=payloads, media_type=st.one_of(st.sampled_from(
    ["", "text/plain", "application/xml", "application/json", "application/octet-stream", "image/png",
     "application/nitf+xml; charset=utf-8", "text/html", "application/x-anpa", ";;;", "a/b; charset"]),
    st.text(max_size=30)))
def test_detect_format_answers_with_a_format_or_refuses(payload, media_type):
    try:
        assert detect_format(payload, media_type) in FORMATS
    except UnsupportedFormat as exc:
        assert str(exc)


PATHOLOGICAL = {
    "deep-xml": b"<nitf>" + b"<p>" * 250 + b"x" + b"</p>" * 250 + b"</nitf>",
    "wide-xml": b"<nitf><body><body.content>" + b"<p>harbour</p>" * 40000 + b"</body.content></body></nitf>",
    "long-prolog": b"<!-- -->" * 50000 + b"<rss/>",
    "doctype-brackets": b"<!DOCTYPE x [" + b"[" * 200000 + b"<x/>",
    "anpa-lines": b"\x01a0001\nr a BC-X 05-15 0001\n\x02" + b"^Head<\n" + b"\t   1-1 1-1 (WS) _ text\n" * 40000,
    "anpa-header-spaces": b"\x01a0001 " + b" 1-1" * 50000 + b"\n\x02",
    "7901-messages": b"ZCZC\nWSA0001 4 pol 0010\nKEY/\nHead =\n\n   Body.\nNNNN\n" * 5000,
    "7901-signatures": b"ZCZC\nWSA0001 4 pol 0010\nKEY/\nHead =\n" + b"abc/def\n" * 50000 + b"NNNN",
    "json-deep": b"[" * 1000 + b"]" * 1000,
    "json-wide": orjson.dumps({"uri": "urn:x", "subjects": [{"name": f"s{n}"} for n in range(20000)]}),
    "json-associations": orjson.dumps({"uri": "urn:x", "associations": [
        {"name": "a", "uri": "urn:a", "associations": [{"name": "b", "uri": "urn:b", "associations": [
            {"name": "c", "uri": "urn:c", "associations": [{"name": "d", "uri": "urn:d"}]}]}]}]}),
    "long-line": b"Harbour " * 200000,
}


@pytest.mark.timeout(120)  # a hang guard, not a speed claim (speed: `make bench`; bounds: the gateway's parse budget)
@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_pathological_input_is_handled(name):
    payload = PATHOLOGICAL[name]
    for parser in PARSERS:
        try:
            parser(payload, provider="Fuzz Wire")
        except ParseError:
            pass
    try:
        detect_format(payload, "")
    except UnsupportedFormat:
        pass
