"""parse_newsml_g2: NewsML-G2 items and messages in, one valid ninjs 3.1 Article per
text item out, with the identity and signals the source declares."""
from __future__ import annotations

from pathlib import Path

import pytest

from shared.errors import ParseError
from shared.events import Signal
from shared.formats.newsml_g2 import parse_newsml_g2
from shared.ninjs import ninjs_errors

SAMPLE = (Path(__file__).resolve().parents[2] / "fixtures" / "wires" / "tt-newsml-g2-sample.xml").read_bytes()


def test_tt_message_gives_its_text_its_picture_and_its_package():
    text, picture, package = parse_newsml_g2(SAMPLE, provider="TT")
    assert [p.article.type for p in (text, picture, package)] == ["text", "picture", "composite"]
    assert [a["uri"] for a in package.article.associations] == [text.article.uri, picture.article.uri]
    assert all(ninjs_errors(p.article.to_ninjs()) == [] for p in (text, picture, package))
    item, article = text, text.article
    assert ninjs_errors(article.to_ninjs()) == []
    assert article.headline == 'Jan Guillou skriver på ny "Hamilton"-bok'
    assert "Boken blir den elfte i serien om superagenten, men enligt Guillou ska den snarare räknas som en " \
           "fristående del." in article.body_text
    assert article.body_text.startswith("Jan Guillou arbetar just nu med det sista kapitlet")
    assert "Arkivbild" not in article.body_text and "LitteraturTT" not in article.body_text
    assert item.source_format == "newsml-g2" and item.signal is None


def test_tt_identity_metadata_and_picture():
    item = parse_newsml_g2(SAMPLE, provider="TT")[0]
    ninjs = item.article.to_ninjs()
    assert ninjs["uri"] == "http://tt.se/media/text/210919-janguillou-879f202b" and ninjs["version"] == "1"
    assert ninjs["versionCreated"] == "2021-09-19T20:57:43+02:00" and ninjs["urgency"] == 3
    assert ninjs["language"] == "sv" and ninjs["copyrightHolder"] == "TT" and ninjs["slugline"] == "janguillou"
    assert {"name": "Litteratur", "uri": "http://cv.iptc.org/newscodes/mediatopic/20000013"} in ninjs["subjects"]
    assert {"name": "Jan Guillou"} in ninjs["people"] and ninjs["organisations"] == [{"name": "Aftonbladet"}]
    [photo] = ninjs["associations"]
    assert photo["uri"] == "http://tt.se/media/image/sdlm1btzmKu8WU" and photo["by"] == "Naina Helén Jåma/TT"
    assert [r["name"] for r in photo["renditions"]] == ["highRes", "preview", "rendition-3", "thumbnail"]
    assert photo["renditions"][0]["width"] == 4928 and photo["renditions"][0]["sizeInBytes"] == 6223550


ITEM = """<?xml version="1.0" encoding="UTF-8"?>
<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:newsml:wire.example.org:20240517:ferry-fire"
    version="{version}" standard="NewsML-G2" standardversion="2.33" xml:lang="en">
  <rightsInfo><copyrightHolder literal="WS"><name>Wirestream</name></copyrightHolder>
    <copyrightNotice>Copyright 2024 Wirestream</copyrightNotice><usageTerms>No archive.</usageTerms></rightsInfo>
  <itemMeta>
    <itemClass qcode="ninat:text"/>
    <provider qcode="nprov:WS"/>
    <versionCreated>2024-05-17T10:02:00Z</versionCreated>
    <firstCreated>2024-05-17T09:31:00Z</firstCreated>
    <embargoed>2024-05-17T12:00:00+02:00</embargoed>
    <pubStatus qcode="{status}"/>
    <edNote>Corrects number of passengers</edNote>
    {signals}
  </itemMeta>
  <contentMeta>
    <urgency>2</urgency>
    <contentCreated>20240517T0930</contentCreated>
    <located qcode="geo:658225"><name>Helsinki</name></located>
    <creator uri="https://wire.example.org/staff/kt"><name>Kari Tuomi</name></creator>
    <infoSource role="isrol:originfo" literal="coastguard"><name>Finnish Coast Guard</name></infoSource>
    <language tag="en-GB"/>
    <subject type="cpnat:abstract" qcode="medtop:20000139"><name>fire</name></subject>
    <subject type="cpnat:abstract" qcode="subj:16009000"><name>accident</name></subject>
    <subject type="cpnat:geoArea" qcode="geo:658225"><name>Helsinki</name></subject>
    <genre qcode="genre:Current"><name>Current</name></genre>
    <keyword>ferries</keyword>
    <slugline>ferry-fire</slugline>
    <headline>Fire on ferry off Helsinki</headline>
    <headline role="hld:subtitle">All 212 passengers safe</headline>
    <description role="drol:summary">A fire broke out in the engine room of a Baltic ferry.</description>
    <altId type="idtype:wsid">WS-0501</altId>
  </contentMeta>
  <contentSet>
    <inlineXML contenttype="application/nitf+xml">
      <nitf xmlns="http://iptc.org/std/NITF/2006-10-18/"><body><body.content>
        <p>Fire on ferry off Helsinki</p>
        <p>Fire broke out in the engine room of the ferry on Friday morning.</p>
        <p>All 212 passengers were safe, the coast guard said.</p>
      </body.content></body></nitf>
    </inlineXML>
  </contentSet>
</newsItem>"""


def _item(status: str = "stat:usable", signals: str = "", version: str = "4") -> bytes:
    return ITEM.format(status=status, signals=signals, version=version).encode()


def test_namespaced_item_with_nitf_body():
    [item] = parse_newsml_g2(_item(), provider="wire")
    ninjs = item.article.to_ninjs()
    assert ninjs_errors(ninjs) == []
    assert ninjs["uri"] == "urn:newsml:wire.example.org:20240517:ferry-fire" and ninjs["version"] == "4"
    assert ninjs["headlines"] == [{"role": "main", "value": "Fire on ferry off Helsinki"},
                                  {"role": "subtitle", "value": "All 212 passengers safe"}]
    assert item.article.body_text == ("Fire broke out in the engine room of the ferry on Friday morning.\n\n"
                                      "All 212 passengers were safe, the coast guard said.")
    assert ninjs["firstCreated"] == "2024-05-17T09:31:00Z" and ninjs["contentCreated"] == "2024-05-17T09:30:00Z"
    assert ninjs["embargoedUntil"] == "2024-05-17T12:00:00+02:00" and ninjs["urgency"] == 2
    assert ninjs["language"] == "en-GB" and ninjs["located"] == "Helsinki" and ninjs["by"] == "Kari Tuomi"
    assert ninjs["copyrightHolder"] == "Wirestream" and ninjs["usageTerms"] == "No archive."
    assert {"name": "accident", "uri": "http://cv.iptc.org/newscodes/subjectcode/16009000"} in ninjs["subjects"]
    assert {"name": "ferries"} in ninjs["subjects"] and ninjs["places"] == [{"name": "Helsinki", "literal": "geo:658225"}]
    assert ninjs["infoSources"] == [{"name": "Finnish Coast Guard", "literal": "coastguard", "role": "originfo"}]
    assert ninjs["altIds"] == [{"role": "wsid", "value": "WS-0501"}] and ninjs["genres"] == [{"name": "Current", "literal": "genre:Current"}]


@pytest.mark.parametrize("status, signals, expected", [
    ("stat:usable", '<signal qcode="sig:correction"/>', Signal.CORRECTION),
    ("stat:usable", '<signal qcode="sig:update"/>', Signal.UPDATE),
    ("stat:usable", '<signal qcode="sig:update"/><signal qcode="sig:correction"/>', Signal.CORRECTION),
    ("stat:canceled", '<signal qcode="sig:correction"/>', Signal.KILL),
    ("stat:withdrawn", "", Signal.KILL),
    ("stat:usable", '<signal qcode="nmsig:atomic"/>', None),
])
def test_signals_come_from_status_and_signal_elements(status, signals, expected):
    [item] = parse_newsml_g2(_item(status, signals), provider="wire")
    assert item.signal is expected
    assert item.article.pubStatus == ("canceled" if expected is Signal.KILL else "usable")


def test_a_message_with_several_text_items_gives_one_article_each():
    inner = _item().decode().split("?>", 1)[1]
    second = inner.replace("ferry-fire", "ferry-fire-2")
    message = f'<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/"><itemSet>{inner}{second}</itemSet></newsMessage>'
    items = parse_newsml_g2(message.encode(), provider="wire")
    assert [i.article.uri.rpartition(":")[2] for i in items] == ["ferry-fire", "ferry-fire-2"]


@pytest.mark.parametrize("payload, where", [
    (b'<newsItem><itemMeta><itemClass qcode="ninat:text"/></itemMeta></newsItem>', "/newsItem/@guid"),
    (b'<newsMessage><itemSet><newsItem guid="urn:x:1"><itemMeta><itemClass qcode="ninat:picture"/></itemMeta>'
     b"</newsItem></itemSet></newsMessage>", "/newsMessage/itemSet/newsItem"),
    (b"<nitf/>", "/nitf"),
    (b"<newsItem guid='x'>\n<oops></newsItem>", "line 2"),
    (b"<newsMessage><itemSet><newsItem guid='urn:x:1'/><newsItem guid='urn:x:2'><contentMeta/></newsItem>"
     b"</itemSet></newsMessage>", "/newsMessage/itemSet/newsItem[1]"),
])
def test_unreadable_g2(payload, where):
    with pytest.raises(ParseError) as caught:
        parse_newsml_g2(payload, provider="wire")
    assert caught.value.where == where


def test_inline_data_plain_text():
    payload = (b'<newsItem guid="urn:x:9" version="2"><contentMeta><headline>H</headline></contentMeta><contentSet>'
               b'<inlineData contenttype="text/plain">First para\nstill first.\n\nSecond para.</inlineData>'
               b"</contentSet></newsItem>")
    [item] = parse_newsml_g2(payload, provider="wire")
    assert item.article.body_text == "First para still first.\n\nSecond para."


def test_editors_notes_and_keyword_lines_in_a_g2_body_are_not_body_text():
    payload = (b'<newsItem guid="urn:x:10"><itemMeta><edNote>Sent twice</edNote></itemMeta><contentMeta>'
               b'<headline>H</headline></contentMeta><contentSet><inlineXML><html><body>'
               b'<p>NOT FOR PUBLICATION: embargo agreed with the ministry</p><p>Keywords: budget, tax</p>'
               b'<p>The budget passed.</p></body></html></inlineXML></contentSet></newsItem>')
    [item] = parse_newsml_g2(payload, provider="wire")
    assert item.article.body_text == "The budget passed."
    assert item.article.edNote == "Sent twice / NOT FOR PUBLICATION: embargo agreed with the ministry"
    assert {"name": "tax"} in item.article.subjects


def test_inline_xml_with_sibling_paragraphs_keeps_every_one():
    payload = (b'<newsItem guid="urn:x:11"><contentMeta><headline>H</headline></contentMeta><contentSet>'
               b'<inlineXML contenttype="application/xhtml+xml"><p>One.</p><p>Two.</p><p>Three.</p></inlineXML>'
               b"</contentSet></newsItem>")
    [item] = parse_newsml_g2(payload, provider="wire")
    assert item.article.body_text == "One.\n\nTwo.\n\nThree."


CREDITED = """<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:x:credits" version="2">
  <itemMeta><itemClass qcode="ninat:text"/><versionCreated>2024-03-01T10:00:00Z</versionCreated></itemMeta>
  <contentMeta>{meta}<headline>Storm</headline><language tag="en"/></contentMeta>
  <contentSet><inlineXML contenttype="application/xhtml+xml"><html xmlns="http://www.w3.org/1999/xhtml"><body>
    <p>A storm hit.</p></body></html></inlineXML></contentSet></newsItem>"""


def _credited(meta: str) -> dict:
    [item] = parse_newsml_g2(CREDITED.format(meta=meta).encode(), provider="wire")
    ninjs = item.article.to_ninjs()
    assert ninjs_errors(ninjs) == []
    return ninjs


def test_creators_and_contributors_keep_their_roles():
    ninjs = _credited('<creator role="crol:writer"><name>Jane Doe</name></creator>'
                      '<contributor role="crol:editor"><name>Ed Itor</name></contributor>'
                      '<creator role="crol:photographer"><name>Pat Photo</name></creator>'
                      '<creator literal="kt"><name>Kari Tuomi</name></creator>'
                      '<contributor role="ctrol:descrWriter"><name>sp/lrc</name></contributor>'
                      '<contributor role="rolecode:TechnicalOrigin"><name>ZDF</name></contributor>'
                      '<contributor qcode="pers:CK"/>'
                      '<by>By Jane Doe and Pat Photo</by>')
    assert ninjs["people"] == [
        {"name": "Jane Doe", "rel": "author"}, {"name": "Pat Photo", "rel": "photographer"},
        {"name": "Kari Tuomi", "rel": "author"}, {"name": "Ed Itor", "rel": "editor"},
        {"name": "sp/lrc", "rel": "caption-writer"}, {"name": "ZDF", "rel": "TechnicalOrigin"}]
    assert ninjs["by"] == "Jane Doe and Pat Photo"


def test_without_creators_the_by_line_names_the_authors_and_the_agency():
    ninjs = _credited("<by>By Jane Doe and John Roe, Reuters</by>")
    assert ninjs["people"] == [{"name": "Jane Doe", "rel": "author"}, {"name": "John Roe", "rel": "author"}]
    assert ninjs["infoSources"] == [{"name": "Reuters", "role": "source"}]
    assert ninjs["by"] == "Jane Doe and John Roe, Reuters"


def test_a_by_line_agency_already_an_info_source_is_not_repeated():
    ninjs = _credited('<infoSource role="isrol:origcont"><name>Reuters</name></infoSource>'
                      "<by>Jane Doe, Reuters</by>")
    assert ninjs["infoSources"] == [{"name": "Reuters", "role": "origcont"}]


@pytest.mark.parametrize("dateline, place", [
    ("MIAMI, March 1", "MIAMI"),
    ("KYIV, Ukraine, March 1 (Reuters) -", "KYIV, Ukraine"),
])
def test_located_from_the_dateline_is_its_place(dateline, place):
    assert _credited(f"<dateline>{dateline}</dateline>")["located"] == place


def test_contributors_alone_leave_the_authors_to_the_by_line():
    ninjs = _credited('<contributor role="crol:editor"><name>Ed Itor</name></contributor><by>By Jane Doe</by>')
    assert ninjs["people"] == [{"name": "Jane Doe", "rel": "author"}, {"name": "Ed Itor", "rel": "editor"}]


NITF_INLINE = """<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:x:nitf-inline" version="1">
  <itemMeta><itemClass qcode="ninat:text"/><versionCreated>2024-03-01T10:00:00Z</versionCreated></itemMeta>
  <contentMeta>{meta}<language tag="nb"/></contentMeta>
  <contentSet><inlineXML contenttype="application/nitf+xml"><nitf><body>
    <body.head><hedline><hl1>Brann på ferje</hl1><hl2>Alle er i sikkerhet</hl2></hedline>
      <byline>Av <person>Ola Hansen</person>, NTB</byline>
      <dateline><location>BERGEN</location></dateline></body.head>
    <body.content><p>Det brant i maskinrommet.</p></body.content></body></nitf></inlineXML></contentSet></newsItem>"""


def _nitf_inline(meta: str = "") -> dict:
    [item] = parse_newsml_g2(NITF_INLINE.format(meta=meta).encode(), provider="wire")
    ninjs = item.article.to_ninjs()
    assert ninjs_errors(ninjs) == []
    return ninjs


def test_an_inline_nitfs_headline_byline_and_dateline_fill_in_what_the_item_lacks():
    ninjs = _nitf_inline()
    assert ninjs["headlines"] == [{"role": "main", "value": "Brann på ferje"}]
    assert ninjs["descriptions"] == [{"role": "deck", "contentType": "text/plain", "value": "Alle er i sikkerhet"}]
    assert ninjs["by"] == "Ola Hansen" and ninjs["people"] == [{"name": "Ola Hansen", "rel": "author"}]
    assert ninjs["infoSources"] == [{"name": "NTB", "role": "source"}]
    assert ninjs["located"] == "BERGEN"


def test_the_items_own_headline_creators_and_place_win_over_an_inline_nitfs():
    ninjs = _nitf_inline('<creator role="crol:writer"><name>Kari Lie</name></creator>'
                         '<located><name>Oslo</name></located><headline>Fire on a ferry</headline>')
    assert ninjs["headlines"] == [{"role": "main", "value": "Fire on a ferry"}]
    assert ninjs["by"] == "Kari Lie" and ninjs["people"] == [{"name": "Kari Lie", "rel": "author"}]
    assert "infoSources" not in ninjs and ninjs["located"] == "Oslo"
