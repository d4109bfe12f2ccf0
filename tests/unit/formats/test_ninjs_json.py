"""parse_ninjs: ninjs 1.x, 2.x and 3.x in, valid ninjs 3.1 out, uri, version and
every body kept; plus the field helpers every wire parser shares."""
from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from shared.errors import ParseError
from shared.events import Signal
from shared.formats.ninjs_json import ninjs_datetime, ninjs_uri, parse_ninjs, provider_slug, story_uri
from shared.ninjs import ninjs_errors

EXAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "ninjs"
FILES = sorted(EXAMPLES.glob("*/*.json"))

# file → (main headline, a distinctive sentence of the plain-text body); None: the item has none.
EXPECTED = {
    "SIPA_image": ("Italy: Italy Demonstration of the workers congresses and conferences",
                   "against he measures taken by the Government that closed all the sporting centers"),
    "businesswire-newsml-20130605006126": ("Cambrios被Gartner評選為「最酷供應商」",
                                           "Corporation今天宣布，該公司最近被Gartner評選為「最酷供應商」(Cool Vendor)。"),
    "businesswire-newsml-20130731006140": (
        "Lunch Taking a Toll? Let Applebee’s® Industrial Strength Lunch Decoy Stand In",
        "unveiled a stronger, longer-lasting Industrial Strength Lunch Decoy that is 20 percent thicker"),
    "dpa_text": ("Faktencheck Derby-Elfmeter: Hat Schiedsrichter Zwayer recht?",
                 "Der Trainer von Borussia Dortmund regte sich nach dem 2:4 im Revierderby gegen den FC Schalke 04"),
    "extension-example": ("Militärövning i jätteformat hålls 2023",
                          "Pandemin satte stopp för den stora internationella militärövningen Aurora 2020 förra våren."),
    "tt_text_image": ("Militärövning i jätteformat hålls 2023",
                      "Pandemin satte stopp för den stora internationella militärövningen Aurora 2020 förra våren."),
    "ninjsExSimpleText": ("Captain of wrecked cruise ship on trial in Italy",
                          "His lawyer, Domenico Pepe, told reporters that, as expected, the judge was postponing"),
    "ntb_text": ("Google har kjøpt giganttomt i Skien", None),
    "anti-doping-measures": ("Anti-doping measures at the 'Tour Down Under' will be the toughest ever",
                             "The initiatives are being implemented in close partnership with the International "
                             "Cycling Union (UCI)"),
    "addb-example-press-conference": ("", "The initiatives are being implemented in close partnership"),
    "tt_event_pressconference": ("Pk med finansminister Elisabeth Svantesson kl 16",
                                 "Finansminister Elisabeth Svantesson kommentera oppositionens budgetmotioner"),
}


def _expected(path: Path) -> tuple[str, str | None]:
    return next(value for key, value in EXPECTED.items() if key in path.stem)


def _source_bodies(source: dict) -> list[tuple[str | None, str]]:
    return [(b.get("contentType", b.get("contenttype")), b["value"]) for b in source.get("bodies", [])]


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_text_example_becomes_valid_ninjs_31_with_headline_and_body(path):
    source = json.loads(path.read_text(encoding="utf-8"))
    [item] = parse_ninjs(path.read_bytes(), provider="IPTC examples")
    ninjs = item.article.to_ninjs()
    assert ninjs_errors(ninjs) == []
    headline, sentence = _expected(path)
    assert item.article.headline == headline
    if sentence:
        assert sentence in item.article.body_text
    kept = [(b.get("contentType"), b["value"]) for b in ninjs.get("bodies", [])]
    assert all(body in kept for body in _source_bodies(source))  # every source body intact
    assert item.article.uri == source["uri"]
    assert item.article.version == source.get("version", "1")
    assert item.source_format == "ninjs" and item.signal is None


def test_2x_names_are_upgraded():
    [item] = parse_ninjs((EXAMPLES / "2.1" / "ntb_text.json").read_bytes(), provider="ntb")
    ninjs = item.article.to_ninjs()
    assert ninjs["firstCreated"] == "2019-08-09T09:30:04Z" and ninjs["versionCreated"] == "2019-08-09T09:46:53Z"
    assert ninjs["pubStatus"] == "usable" and ninjs["copyrightHolder"] == "NTB" and ninjs["edNote"] == "Noe utvidet."
    assert ninjs["descriptions"][0]["contentType"] == "text/plain"
    assert not set(ninjs) & {"firstcreated", "versioncreated", "pubstatus", "copyrightholder", "ednote"}


NINJS_1X = {
    "uri": "urn:newsml:wire.example.org:20240515:harbour-strike",
    "type": "text", "version": "3", "representationtype": "complete",
    "firstcreated": "2024-05-15T08:00:00Z", "versioncreated": "20240515T120000+0200",
    "embargoed": "2024-05-15T13:00:00+02:00", "pubstatus": "usable", "urgency": 4.0,
    "copyrightholder": "Wire Example", "copyrightnotice": "(c) 2024 Wire Example", "usageterms": "No archive",
    "ednote": "Updates figures", "language": "en", "byline": "Marta Okonkwo", "slugline": "harbour-strike",
    "located": "Rotterdam", "headline": "Harbour strike ends after all-night talks",
    "headline_extended": "Dock workers return after a pay deal ends a three-day strike",
    "description_text": "Deal ends stoppage", "description_html": "<p>Deal ends <b>stoppage</b></p>",
    "body_text": "Dock workers returned on Wednesday.\n\nShips began to move.",
    "body_html": "<p>Dock workers returned on Wednesday.</p><p>Ships began to move.</p>",
    "person": [{"name": "Pieter van Dalen", "rel": "quoted", "scheme": "http://wire.example.org/people/",
                "code": "p-17", "contactinfo": [{"type": "email", "value": "p@example.org"}]}],
    "organisation": [{"name": "Port of Rotterdam", "symbols": [{"ticker": "PORT", "exchange": "XAMS"}]}],
    "place": [{"name": "Rotterdam", "geometry_geojson": {"type": "Point", "coordinates": [4.47, 51.92]}}],
    "subject": [{"name": "labour dispute", "scheme": "http://cv.iptc.org/newscodes/mediatopic/",
                 "code": "20000632", "relevance": 90}],
    "object": [{"name": "container ship"}], "event": [{"name": "harbour strike 2024"}],
    "infosource": [{"name": "Wire Example", "rel": "source"}], "genre": [{"name": "Current", "code": "current"}],
    "altids": {"wire-id": "WS-0417", "legacy": 417},
    "trustindicator": [{"scheme": "http://wire.example.org/trust/", "code": "verified", "href": "https://x.example"}],
    "renditions": {"print": {"href": "https://wire.example.org/r/print.txt", "mimetype": "text/plain",
                             "sizeinbytes": 2048}},
    "associations": {"featureimage": {"uri": "https://wire.example.org/img/1", "type": "picture",
                                      "headline": "Cranes at dawn", "byline": "Photographer",
                                      "renditions": {"thumb": {"href": "https://wire.example.org/img/1/t.jpg",
                                                               "mimetype": "image/jpeg", "width": 100, "height": 66}}},
                     "caption": {"type": "text", "body_text": "Uri-less association"}},
    "wordcount": 12, "mimetype": "text/plain", "$standard": {"name": "ninjs", "version": "1.5"},
}


def test_ninjs_1x_is_upgraded_to_31():
    [item] = parse_ninjs(orjson.dumps(NINJS_1X), provider="wire")
    ninjs = item.article.to_ninjs()
    assert ninjs_errors(ninjs) == []
    assert ninjs["uri"] == NINJS_1X["uri"] and ninjs["version"] == "3"
    assert ninjs["representationType"] == "full"
    assert ninjs["versionCreated"] == "2024-05-15T12:00:00+02:00"
    assert ninjs["embargoedUntil"] == "2024-05-15T13:00:00+02:00" and ninjs["urgency"] == 4
    assert ninjs["by"] == "Marta Okonkwo" and ninjs["usageTerms"] == "No archive"
    assert ninjs["headlines"] == [{"role": "main", "value": "Harbour strike ends after all-night talks"},
                                  {"role": "extended", "value": NINJS_1X["headline_extended"]}]
    assert {"role": "html", "contentType": "text/html", "value": NINJS_1X["body_html"]} in ninjs["bodies"]
    assert item.article.body_text == NINJS_1X["body_text"]
    assert ninjs["descriptions"][0] == {"role": "text", "contentType": "text/plain", "value": "Deal ends stoppage"}
    assert ninjs["people"][0] == {"name": "Pieter van Dalen", "rel": "quoted", "literal": "p-17",
                                  "uri": "http://wire.example.org/people/p-17",
                                  "contactInfo": [{"type": "email", "value": "p@example.org"}]}
    assert ninjs["subjects"][0]["uri"] == "http://cv.iptc.org/newscodes/mediatopic/20000632"
    assert ninjs["organisations"] == [{"name": "Port of Rotterdam", "symbols": [{"exchange": "XAMS"}]}]
    assert ninjs["places"] == [{"name": "Rotterdam", "geoJSON": {"type": "Point", "coordinates": [4.47, 51.92]}}]
    assert ninjs["altIds"] == [{"role": "wire-id", "value": "WS-0417"}, {"role": "legacy", "value": "417"}]
    assert ninjs["renditions"] == [{"name": "print", "href": "https://wire.example.org/r/print.txt",
                                    "contentType": "text/plain", "sizeInBytes": 2048}]
    photo, caption = ninjs["associations"]
    assert photo["name"] == "featureimage" and photo["headlines"] == [{"role": "main", "value": "Cranes at dawn"}]
    assert photo["renditions"][0] == {"name": "thumb", "href": "https://wire.example.org/img/1/t.jpg",
                                      "contentType": "image/jpeg", "width": 100, "height": 66}
    assert caption["uri"] == NINJS_1X["uri"] + "#caption"
    assert ninjs["standard"] == {"name": "ninjs", "version": "1.5"}
    assert ninjs["trustIndicators"] == [{"role": "http://wire.example.org/trust/verified", "href": "https://x.example"}]


def test_what_31_does_not_allow_is_left_out():
    item = {"uri": "urn:x:1", "headlines": [{"value": "H", "colour": "red"}], "foofoo": "extension",
            "urgency": 12, "version": 7, "firstCreated": "yesterday", "pubStatus": "Cancelled",
            "places": [{"name": "Oslo", "geoJSON": {"type": "Point", "coordinates": [10.7, 59.9]}},
                       {"name": "Nowhere", "geoJSON": {"type": "Point", "coordinates": "north"}}],
            "bodies": [{"value": "Text", "contentType": "text/plain", "charCount": 4}],
            "events": {"name": "one event, not a list"}, "rightsInfo": {"linkedRights": "a", "encodedRights": "b"}}
    [parsed] = parse_ninjs(orjson.dumps(item), provider="wire")
    ninjs = parsed.article.to_ninjs()
    assert ninjs_errors(ninjs) == []
    assert ninjs["headlines"] == [{"value": "H"}] and "foofoo" not in ninjs and "urgency" not in ninjs
    assert ninjs["version"] == "7" and "firstCreated" not in ninjs and "rightsInfo" not in ninjs
    assert ninjs["places"] == [{"name": "Oslo", "geoJSON": {"type": "Point", "coordinates": [10.7, 59.9]}},
                               {"name": "Nowhere"}]  # GeoJSON kept only when valid GeoJSON
    assert ninjs["events"] == [{"name": "one event, not a list"}]
    assert parsed.signal is Signal.KILL and ninjs["pubStatus"] == "canceled"


def test_canceled_is_a_kill():
    [item] = parse_ninjs(b'{"uri": "urn:x:2", "pubStatus": "canceled", "headlines": [{"value": "Kill"}]}',
                         provider="wire")
    assert item.signal is Signal.KILL


def test_an_array_holds_several_items_and_errors_name_the_item():
    items = parse_ninjs(b'[{"uri": "urn:x:1"}, {"uri": "urn:x:2", "version": "2"}]', provider="wire")
    assert [(i.article.uri, i.article.version) for i in items] == [("urn:x:1", "1"), ("urn:x:2", "2")]
    with pytest.raises(ParseError) as caught:
        parse_ninjs(b'[{"uri": "urn:x:1"}, {"headlines": []}]', provider="wire")
    assert caught.value.where == "field 1/uri"


@pytest.mark.parametrize("payload, where", [
    (b'{"uri": "urn:x:1",\n "headlines": [}', "line 2"),
    (b"", "line 1"),
    (b'{"headlines": []}', "field uri"),
    (b'{"uri": 17}', "field uri"),
    (b'"just a string"', "field (root)"),
    (b"[]", "line 1"),
    (b'{"uri": "urn:x:1", "x": "\xff"}', "line 1"),
])
def test_unreadable_ninjs_is_a_parse_error(payload, where):
    with pytest.raises(ParseError) as caught:
        parse_ninjs(payload, provider="wire")
    assert caught.value.where == where


def test_an_embedded_xml_body_is_read_safely():
    body = '<!DOCTYPE nitf [<!ENTITY e SYSTEM "file:///etc/passwd">]><nitf><body><body.content><p>&e;</p>' \
           '</body.content></body></nitf>'
    [item] = parse_ninjs(orjson.dumps({"uri": "urn:x:3", "bodies": [{"contentType": "application/nitf+xml",
                                                                      "value": body}]}), provider="wire")
    assert item.article.bodies[0].value == body and len(item.article.bodies) == 1  # kept, not read


@pytest.mark.parametrize("text, expected", [
    ("20130515T120000Z", "2013-05-15T12:00:00Z"),
    ("20130605T210000+0000", "2013-06-05T21:00:00Z"),
    ("2021-09-19T20:57:43+02:00", "2021-09-19T20:57:43+02:00"),
    ("2021-05-16T09:00:04", "2021-05-16T09:00:04Z"),
    ("2021-05-16", "2021-05-16T00:00:00Z"),
    ("20080219+0100", "2008-02-19T00:00:00+01:00"),
    ("2024-01-01T10:00:00.250-0530", "2024-01-01T10:00:00.250-05:30"),
    ("2024-02-30T10:00:00Z", None), ("2024-01-01T25:00:00Z", None), ("yesterday", None), (None, None),
])
def test_ninjs_datetime(text, expected):
    assert ninjs_datetime(text) == expected


def test_uris():
    assert ninjs_uri("urn:newsml:x:1", "p") == "urn:newsml:x:1"
    assert ninjs_uri("NTB5df9 281a/00", "ntb") == "urn:wirestream:ntb:NTB5df9%20281a%2F00"
    assert story_uri("wire", "a", "b") == story_uri("wire", "a", "b") != story_uri("wire", "a", "c")
    assert story_uri("wire", "a").startswith("urn:wirestream:wire:") and len(story_uri("wire", "a")) == 52
    with pytest.raises(ParseError) as caught:
        provider_slug("  ")
    assert caught.value.where == "provider"


@pytest.mark.parametrize("name", ["2.1/SIPA_image_2.json", "3.0/SIPA_image_3.json"])
def test_a_ninjs_picture_stays_a_picture_with_its_renditions(name):
    [item] = parse_ninjs((EXAMPLES / name).read_bytes(), provider="sipa")
    article = item.article
    assert article.type == "picture" and article.renditions
    assert article.renditions[0]["contentType"] == "image/jpeg" and article.renditions[0]["width"] == 3543
    assert ninjs_errors(article.to_ninjs()) == []


def test_body_character_and_word_counts_are_kept():
    item = {"uri": "urn:x:counts", "headlines": [{"value": "H", "charCount": 1}],
            "bodies": [{"role": "html5", "contentType": "text/html", "value": "<p>Two words</p>", "charCount": 9,
                        "wordCount": 2},
                       {"contentType": "text/plain", "value": "Two words", "charcount": "9", "wordCount": 2.0},
                       {"value": "Odd", "charCount": 1.5, "wordCount": "one"}]}
    [parsed] = parse_ninjs(orjson.dumps(item), provider="wire")
    ninjs = parsed.article.to_ninjs()
    assert ninjs_errors(ninjs) == []
    assert ninjs["headlines"] == [{"value": "H"}]  # 3.1 has no counts on headlines
    assert ninjs["bodies"] == [
        {"role": "html5", "contentType": "text/html", "value": "<p>Two words</p>", "charCount": 9, "wordCount": 2},
        {"contentType": "text/plain", "value": "Two words", "charCount": 9, "wordCount": 2},
        {"value": "Odd"}]  # what is no integer is left out


def test_a_plain_body_made_from_html_carries_no_counts_of_the_html():
    item = {"uri": "urn:x:made", "bodies": [{"contentType": "text/html", "value": "<p>Two words</p>", "charCount": 9}]}
    [parsed] = parse_ninjs(orjson.dumps(item), provider="wire")
    assert parsed.article.to_ninjs()["bodies"][1] == {"role": "main", "contentType": "text/plain", "value": "Two words"}


def test_the_tt_example_keeps_its_counts():
    [item] = parse_ninjs((EXAMPLES / "3.0" / "tt_text_image_3.json").read_bytes(), provider="tt")
    ninjs = item.article.to_ninjs()
    assert [b.get("charCount") for b in ninjs["bodies"]] == [985, 1170, 1170, 1170]
    assert ninjs_errors(ninjs) == []
