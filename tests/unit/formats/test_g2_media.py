"""NewsML-G2 pictures, video and packages (IPTC's own examples, CC BY 4.0, in
tests/fixtures/wires/newsml-g2-media/ with their licence)."""
from __future__ import annotations

from pathlib import Path

import pytest

from shared.errors import ParseError, UnsupportedFormat
from shared.formats import parse
from shared.formats.newsml_g2 import parse_newsml_g2
from shared.ninjs import ninjs_errors

MEDIA = Path(__file__).resolve().parents[2] / "fixtures" / "wires" / "newsml-g2-media"
SAMPLES = sorted(MEDIA.glob("LISTING_*.xml"))
# LISTING_7 is a bare groupSet: an excerpt of a package, not a message of its own.
WHOLE = [p for p in SAMPLES if not p.name.startswith("LISTING_7_")]


def _read(name: str) -> bytes:
    return next(MEDIA.glob(f"LISTING_{name}_*.xml")).read_bytes()


@pytest.mark.parametrize("path", WHOLE, ids=lambda p: p.name.split("_")[1])
def test_every_iptc_media_and_package_sample_is_valid_ninjs_with_renditions_or_members(path):
    items = parse(path.read_bytes(), "application/xml", provider="iptc")
    assert items
    for item in items:
        ninjs = item.article.to_ninjs()
        assert ninjs_errors(ninjs) == []
        if ninjs["type"] == "composite":
            assert ninjs["associations"] and all(a["uri"] and a["name"] for a in ninjs["associations"])
        else:
            assert ninjs["type"] in ("picture", "video") and ninjs["renditions"]
            assert all(r["href"] for r in ninjs["renditions"])


def test_photo_has_its_renditions_caption_photographer_rights_subjects_and_places():
    [item] = parse_newsml_g2(_read("3"), provider="getty")
    ninjs = item.article.to_ninjs()
    assert ninjs["type"] == "picture" and ninjs["uri"] == "tag:gettyimages.com,2010:GYI0062134533"
    assert ninjs["version"] == "11" and ninjs["language"] == "en-US"
    assert [r["name"] for r in ninjs["renditions"]] == ["highRes", "web", "thumb"]
    assert ninjs["renditions"][0] == {"name": "highRes", "href": "./GYI0062134533.jpg", "contentType": "image/jpeg",
                                      "width": 1500, "height": 1001, "sizeInBytes": 346071}
    assert ninjs["headlines"][0]["value"] == "Variety Of Recessionary Forces Leave Las Vegas Economy Scarred"
    [caption] = ninjs["descriptions"]
    assert caption["role"] == "caption" and caption["value"].endswith("(Photo by Spencer Platt/Getty Images)")
    assert ninjs["by"] == "Spencer Platt"
    assert ninjs["copyrightHolder"] == "Getty Images North America"
    assert ninjs["copyrightNotice"].startswith("Copyright 2010 Getty Images.")
    assert {"name": "unemployment", "uri": "http://cv.iptc.org/newscodes/mediatopic/20000533"} in ninjs["subjects"]
    assert [p["name"] for p in ninjs["places"]] == ["Las Vegas Boulevard", "Las Vegas"]
    assert "bodies" not in ninjs


def test_rendition_names_come_from_rendition_uris_too():
    [item] = parse_newsml_g2(_read("3A"), provider="getty")
    assert [r["name"] for r in item.article.renditions] == ["highRes", "web", "thumb"]


def test_a_point_of_interest_known_only_by_its_assert_is_named_from_its_address():
    [item] = parse_newsml_g2(_read("26"), provider="acme")
    assert {"literal": "int001", "name": "University City, San Diego"} in item.article.places
    assert item.article.slugline == "USA-CRASH/MILITARY" and item.article.urgency == 4


def test_video_renditions_carry_duration_in_seconds_and_video_properties():
    [item] = parse_newsml_g2(_read("4"), provider="afp")
    ninjs = item.article.to_ninjs()
    assert ninjs["type"] == "video"
    hd = next(r for r in ninjs["renditions"] if r["name"] == "HD1080")
    assert hd["duration"] == 69 and hd["width"] == 1920 and hd["sizeInBytes"] == 87591736
    assert hd["frameRate"] == 25 and hd["aspectRatio"] == "16:9"
    assert next(r for r in ninjs["renditions"] if r["name"] == "thumbnail")["contentType"] == "image/jpeg"


def test_multi_part_video_keeps_its_edit_note_place_and_duration():
    [item] = parse_newsml_g2(_read("5"), provider="ebu")
    article = item.article
    assert article.edNote == "Originally broadcast in Germany" and article.located == "Berlin"
    [avi] = article.renditions
    assert avi["duration"] == 111 and avi["format"] == "fmt:avi"
    assert [d.role for d in article.descriptions] == ["dopesheet", "shotlist"]


def test_package_references_its_members_by_uri_with_type_title_and_group_role():
    [item] = parse_newsml_g2(_read("6"), provider="acme")
    ninjs = item.article.to_ninjs()
    assert ninjs["type"] == "composite" and ninjs["headlines"] == [{"role": "main", "value": "UK"}]
    assert item.signal is not None and item.signal.value == "update"
    assert [(a["uri"], a["type"], a["rel"]) for a in ninjs["associations"]] == [
        ("urn:newsml:iptc.org:20081007:tutorial-item-A", "text", "main"),
        ("urn:newsml:iptc.org:20081007:tutorial—item-B", "picture", "main")]
    picture = ninjs["associations"][1]
    assert picture["name"] == "Barack Obama arrive à Washington"
    assert picture["descriptions"][0]["role"] == "caption"


def test_hierarchical_groups_are_walked_from_the_root_through_group_refs():
    group_set = _read("7").decode()
    package = (f'<packageItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:x:pkg" version="2">'
               f'<itemMeta><itemClass qcode="ninat:composite"/></itemMeta>{group_set}</packageItem>')
    [item] = parse_newsml_g2(package.encode(), provider="iptc")
    members = item.article.associations
    assert [a["uri"][-6:] for a in members] == ["item-A", "item-B", "item-C", "item-D"]
    assert [a["rel"] for a in members] == ["main", "main", "sidebar", "sidebar"]
    assert ninjs_errors(item.article.to_ninjs()) == []


def test_a_bare_group_set_is_refused_as_no_news_format():
    with pytest.raises(UnsupportedFormat, match="groupSet"):
        parse(_read("7"), "application/xml", provider="iptc")


def test_message_placeholders_are_references_and_a_package_without_guid_gets_a_stable_uri():
    first = parse_newsml_g2(_read("24"), provider="reuters")
    again = parse_newsml_g2(_read("24"), provider="reuters")
    [package] = first
    assert package.article.uri == again[0].article.uri
    assert [a["uri"] for a in package.article.associations] == [f"urn:wirestream:reuters:N{n}" for n in range(1, 5)]


def test_members_carried_in_the_message_are_items_of_their_own_and_inlined_in_the_package():
    photo = _read("3").decode().split("?>", 1)[-1]
    video = _read("4").decode().split("?>", 1)[-1]
    message = ('<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/"><itemSet>'
               '<packageItem guid="urn:x:vegas-pkg" version="3"><itemMeta><itemClass qcode="ninat:composite"/>'
               '</itemMeta><contentMeta><headline>Vegas</headline></contentMeta><groupSet root="G1">'
               '<group id="G1" role="group:main">'
               '<itemRef residref="tag:gettyimages.com,2010:GYI0062134533"/>'
               '<itemRef residref="urn:newsml:afp.com:20140131:CNG.3424d3807bc.391@video_1359566"/>'
               f'</group></groupSet></packageItem>{photo}{video}</itemSet></newsMessage>')
    picture, clip, package = parse_newsml_g2(message.encode(), provider="wire")
    assert [p.article.type for p in (picture, clip, package)] == ["picture", "video", "composite"]
    inline = package.article.associations[0]
    assert inline["renditions"] == picture.article.renditions and inline["type"] == "picture"
    assert inline["name"] == picture.article.headline and "bodies" not in inline
    assert ninjs_errors(package.article.to_ninjs()) == []


@pytest.mark.parametrize("payload, message", [
    (b'<packageItem guid="urn:x:p"><itemMeta/><groupSet root="G9"><group id="G1"/></groupSet></packageItem>',
     "names no group"),
    (b'<packageItem guid="urn:x:p"><groupSet root="G1"><group id="G1"><groupRef idref="G2"/></group></groupSet>'
     b"</packageItem>", "names no group"),
    (b'<packageItem guid="urn:x:p"><groupSet root="G1"><group id="G1"/></groupSet></packageItem>',
     "references no item"),
    (b'<packageItem guid="urn:x:p"><groupSet root="G1"><group id="G1"><itemRef/></group></groupSet></packageItem>',
     "neither residref nor href"),
    (b'<newsItem guid="urn:x:v"><itemMeta><itemClass qcode="ninat:video"/></itemMeta><contentSet/></newsItem>',
     "neither headline, description nor rendition"),
    (b'<newsItem guid="urn:x:v"><itemMeta><itemClass qcode="ninat:concept"/></itemMeta></newsItem>',
     "not a news item type"),
])
def test_unreadable_media_and_packages_say_why(payload, message):
    with pytest.raises(ParseError, match=message):
        parse_newsml_g2(payload, provider="wire")


def test_a_group_loop_is_walked_once():
    payload = (b'<packageItem guid="urn:x:p"><groupSet root="G1"><group id="G1"><itemRef residref="urn:x:1"/>'
               b'<groupRef idref="G2"/></group><group id="G2"><groupRef idref="G1"/>'
               b'<itemRef residref="urn:x:2"/></group></groupSet></packageItem>')
    [item] = parse_newsml_g2(payload, provider="wire")
    assert [a["uri"] for a in item.article.associations] == ["urn:x:1", "urn:x:2"]
