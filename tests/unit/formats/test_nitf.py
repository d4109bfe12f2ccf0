"""parse_nitf: a NITF 3.x document in, one valid ninjs 3.1 Article out."""
from __future__ import annotations

from pathlib import Path

import pytest

from shared.errors import ParseError
from shared.events import Signal
from shared.formats.nitf import parse_nitf, read_story
from shared.formats.xmlsafe import parse_xml
from shared.ninjs import ninjs_errors

SAMPLE = (Path(__file__).resolve().parents[2] / "fixtures" / "wires" / "ntb-nitf-sample.xml").read_bytes()


def test_ntb_sample_becomes_valid_ninjs_with_headline_and_body():
    [item] = parse_nitf(SAMPLE, provider="NTB")
    article = item.article
    assert ninjs_errors(article.to_ninjs()) == []
    assert article.headline == "Pandemien herjer på den legeløse indiske landsbygda"
    body = article.body_text
    assert body.startswith("Koronapandemien herjer også i landsbyer rundt omkring i India.")
    assert "Fredag meldte India om ytterligere 343.000 tilfeller av koronaviruset." in body
    assert "\n\nMyndighetene patruljerer langs elvebredden\n\n" in body  # hl2 subheads stay paragraphs
    assert "Kremasjonsbål" not in body and body.endswith("(©NTB)")  # media caption is not body text
    assert item.source_format == "nitf" and item.signal is None


def test_ntb_sample_identity_and_metadata():
    [item] = parse_nitf(SAMPLE, provider="NTB")
    ninjs = item.article.to_ninjs()
    assert ninjs["uri"] == "urn:wirestream:ntb:NTB5df9281a-a270-4dc5-a618-869bbc3bbca7_00"
    assert ninjs["altIds"] == [{"role": "doc-id", "value": "NTB5df9281a-a270-4dc5-a618-869bbc3bbca7_00"}]
    assert ninjs["version"] == "1" and ninjs["urgency"] == 5 and ninjs["language"] == "nb-NO"
    assert ninjs["versionCreated"] == "2021-05-16T09:00:04Z" and ninjs["firstCreated"] == "2021-05-16T09:00:04Z"
    assert ninjs["by"] == "NTB-AFP-DPA" and ninjs["located"] == "Unnao" and ninjs["slugline"] == "india-korona-bygd"
    assert {"name": "Sykdom", "uri": "http://cv.iptc.org/newscodes/subjectcode/07001000"} in ninjs["subjects"]
    assert ninjs["places"] == [{"name": "India"}, {"name": "Asia"}]
    [photo] = ninjs["associations"]
    assert photo["descriptions"][0]["value"].startswith("Kremasjonsbål for koronaofre")
    assert photo["altIds"] == [{"role": "source", "value": "JsxLggxsoo4"}]


FULL = """<?xml version="1.0" encoding="UTF-8"?>
<nitf xmlns="http://iptc.org/std/NITF/2006-10-18/" xml:lang="en-GB">
  <head>
    <title>Title only</title>
    <docdata management-status="{status}">
      <doc-id regsrc="WS" id-string="urn:wirestream:test:ferry-fire"/>
      <urgency ed-urg="2"/>
      <date.issue norm="20240517T093100+0200"/>
      <date.release norm="20240517T120000+0200"/>
      <doc.copyright holder="Wirestream" year="2024"/>
      <ed-msg info="Embargoed until noon"/>
      <key-list><keyword key="ferries"/><keyword key="Helsinki"/></key-list>
      <du-key key="ferry-fire" version="3"/>
      <identified-content><person>Aino Laine</person><org>Coast Guard</org></identified-content>
    </docdata>
  </head>
  <body>
    <body.head>
      <hedline><hl1>Fire on ferry off Helsinki</hl1><hl2>All 212 passengers safe</hl2></hedline>
      <byline>By <person>Kari Tuomi</person>, <byttl>Wirestream Correspondent</byttl></byline>
      <dateline><location>HELSINKI</location>, <story.date norm="20240517">May 17</story.date></dateline>
    </body.head>
    <body.content>
      <block><p>Fire broke out in the engine room.</p><p>The coast guard escorted the ship to port.</p></block>
      <media media-type="image"><media-reference source="https://img.example.org/ferry.jpg" mime-type="image/jpeg"/>
        <media-caption>The ferry in port.</media-caption><media-producer>Wirestream/Photo</media-producer></media>
    </body.content>
  </body>
</nitf>"""


def test_namespaced_nitf_with_every_field():
    [item] = parse_nitf(FULL.format(status="usable").encode(), provider="wire")
    ninjs = item.article.to_ninjs()
    assert ninjs_errors(ninjs) == []
    assert ninjs["uri"] == "urn:wirestream:test:ferry-fire" and ninjs["version"] == "3"
    assert ninjs["headlines"] == [{"role": "main", "value": "Fire on ferry off Helsinki"}]
    assert ninjs["descriptions"] == [{"role": "deck", "contentType": "text/plain", "value": "All 212 passengers safe"}]
    assert ninjs["by"] == "Kari Tuomi" and ninjs["located"] == "HELSINKI" and ninjs["language"] == "en-GB"
    assert ninjs["versionCreated"] == "2024-05-17T09:31:00+02:00"
    assert ninjs["embargoedUntil"] == "2024-05-17T12:00:00+02:00"
    assert ninjs["copyrightHolder"] == "Wirestream" and ninjs["copyrightNotice"] == "Copyright 2024 Wirestream"
    assert ninjs["edNote"] == "Embargoed until noon" and ninjs["urgency"] == 2
    assert item.article.body_text == "Fire broke out in the engine room.\n\nThe coast guard escorted the ship to port."
    assert {"name": "ferries"} in ninjs["subjects"] and {"name": "Coast Guard"} in ninjs["organisations"]
    [photo] = ninjs["associations"]
    assert photo["uri"] == "https://img.example.org/ferry.jpg" and photo["by"] == "Wirestream/Photo"
    assert item.signal is None


def test_a_release_at_the_issue_time_is_an_embargo_and_one_before_it_is_none():
    """A wire stamping its issue time at the release time: the story waits for it (it
    went out at once). Decided without the clock: parsed later, the same content."""
    usable = FULL.format(status="usable")
    at_release = usable.replace("20240517T093100+0200", "20240517T120000+0200")
    [item] = parse_nitf(at_release.encode(), provider="wire")
    assert item.article.embargoedUntil == "2024-05-17T12:00:00+02:00"
    before = usable.replace("20240517T120000+0200", "20240517T090000+0200")
    [item] = parse_nitf(before.encode(), provider="wire")
    assert item.article.embargoedUntil is None


def test_canceled_nitf_is_a_kill():
    [item] = parse_nitf(FULL.format(status="canceled").encode(), provider="wire")
    assert item.signal is Signal.KILL and item.article.pubStatus == "canceled"


def test_without_doc_id_the_uri_is_a_stable_hash():
    payload = b"<nitf><body><body.head><hedline><hl1>H</hl1></hedline></body.head></body></nitf>"
    [first], [again] = parse_nitf(payload, provider="Wire"), parse_nitf(payload, provider="Wire")
    assert first.article.uri == again.article.uri and first.article.uri.startswith("urn:wirestream:wire:")


@pytest.mark.parametrize("payload, where", [
    (b"<nitf><head/><body><body.content/></body></nitf>", "/nitf/body"),
    (b"<newsItem/>", "/newsItem"),
    (b"<nitf><body>", "line 1"),
])
def test_unreadable_nitf(payload, where):
    with pytest.raises(ParseError) as caught:
        parse_nitf(payload, provider="wire")
    assert caught.value.where == where


def test_read_story_works_on_a_bare_body_content():
    story = read_story(parse_xml(b"<body.content><p>One.</p><hl2>Sub</hl2><p>Two.</p></body.content>"))
    assert story.paragraphs == ["One.", "Sub", "Two."]


AGENCY = """<nitf><head><title></title>
  <docdata><doc-id id-string="urn:x:desk-lines"/><ed-msg info="Moves on the national wire"/></docdata></head>
  <body><body.content>
    <p>Harbour strike ends after nine days</p>
    <p>Eds: Not for publication. Adds minister's comment in 5th paragraph.</p>
    <p>Keywords: harbour, strike; unions</p>
    <p>Slug: harbour-strike</p>
    <p>Dock workers return to work on Monday after unions accepted the offer.</p>
    <note noteclass="editorsnote"><p>Photos to follow.</p></note>
    <note type="npa"><p>Check the figure with the port authority.</p></note>
    <media media-type="video"><media-reference source="https://cdn.example.org/strike.mp4" mime-type="video/mp4"
        width="1280" height="720"/><media-reference name="thumbnail" source="https://cdn.example.org/strike.jpg"
        mime-type="image/jpeg" width="320" height="180"/><media-caption>Dock workers at the gate.</media-caption></media>
    <media media-type="data"><media-reference source="https://cdn.example.org/table.csv"/></media>
  </body.content></body></nitf>"""


def test_desk_lines_leave_the_body_and_an_empty_title_takes_the_first_line():
    [item] = parse_nitf(AGENCY.encode(), provider="wire")
    article = item.article
    assert article.headline == "Harbour strike ends after nine days"
    assert article.body_text == "Dock workers return to work on Monday after unions accepted the offer."
    assert article.edNote == ("Moves on the national wire / Photos to follow. / Check the figure with the port "
                              "authority. / Eds: Not for publication. Adds minister's comment in 5th paragraph.")
    assert article.slugline == "harbour-strike"
    assert [{"name": k} in article.subjects for k in ("harbour", "strike", "unions")] == [True] * 3
    assert ninjs_errors(article.to_ninjs()) == []


def test_media_blocks_become_associations_of_their_type_with_every_rendition():
    [item] = parse_nitf(AGENCY.encode(), provider="wire")
    [clip] = item.article.associations  # the data block is no picture or clip
    assert clip["type"] == "video" and clip["rel"] == "video"
    assert clip["uri"] == "https://cdn.example.org/strike.mp4"
    assert clip["renditions"] == [
        {"name": "source", "href": "https://cdn.example.org/strike.mp4", "contentType": "video/mp4",
         "width": 1280, "height": 720},
        {"name": "thumbnail", "href": "https://cdn.example.org/strike.jpg", "contentType": "image/jpeg",
         "width": 320, "height": 180}]
    assert clip["descriptions"][0]["value"] == "Dock workers at the gate."


def test_a_long_first_line_is_no_headline():
    paragraph = "Dock workers return to work on Monday after the unions accepted the offer " * 4
    payload = f"<nitf><head><title/></head><body><body.content><p>{paragraph}</p></body.content></body></nitf>"
    [item] = parse_nitf(payload.encode(), provider="wire")
    assert item.article.headline == "" and item.article.body_text == paragraph.strip()


def test_a_lead_sentence_read_as_the_headline_stays_in_the_body():
    lead, rest = "Dock workers return to work on Monday.", "Unions accepted the port's offer late on Sunday."
    payload = f"<nitf><head><title/></head><body><body.content><p>{lead}</p><p>{rest}</p></body.content></body></nitf>"
    [item] = parse_nitf(payload.encode(), provider="wire")
    assert item.article.headline == lead and item.article.body_text == f"{lead}\n\n{rest}"


def test_a_results_table_in_pre_keeps_one_line_per_row():
    rows = "1. Noah Lyles (USA)      9.79\n2. Kishane Thompson (JAM) 9.79\n3. Fred Kerley (USA)      9.81"
    payload = (f"<nitf><body><body.head><hedline><hl1>Results</hl1></hedline></body.head><body.content>"
               f"<p>Men's 100m final:</p><pre>{rows}\n</pre></body.content></body></nitf>")
    [item] = parse_nitf(payload.encode(), provider="wire")
    assert item.article.body_text == f"Men's 100m final:\n\n{rows}"
    assert ninjs_errors(item.article.to_ninjs()) == []


def _story_head(head: str) -> bytes:
    return (f"<nitf><body><body.head><hedline><hl1>Storm</hl1></hedline>{head}</body.head>"
            "<body.content><p>A storm hit.</p></body.content></body></nitf>").encode()


def test_a_byline_of_several_authors_and_an_agency_is_split():
    [item] = parse_nitf(_story_head("<byline>By Jane Doe and John Roe, Reuters</byline>"), provider="wire")
    ninjs = item.article.to_ninjs()
    assert ninjs["people"] == [{"name": "Jane Doe", "rel": "author"}, {"name": "John Roe", "rel": "author"}]
    assert ninjs["infoSources"] == [{"name": "Reuters", "role": "source"}]
    assert ninjs["by"] == "Jane Doe and John Roe, Reuters" and ninjs_errors(ninjs) == []


def test_an_agency_in_the_byline_title_is_the_source_and_the_title_no_author():
    [item] = parse_nitf(_story_head("<byline>By JANE DOE<byttl>Associated Press Writer</byttl></byline>"),
                        provider="wire")
    assert item.article.people == [{"name": "JANE DOE", "rel": "author"}] and item.article.by == "JANE DOE"
    assert item.article.infoSources == [{"name": "Associated Press", "role": "source"}]


def test_a_byline_of_agencies_names_no_person():
    [item] = parse_nitf(SAMPLE, provider="NTB")
    assert item.article.by == "NTB-AFP-DPA" and item.article.people == []
    assert [s["name"] for s in item.article.infoSources] == ["NTB", "AFP", "DPA"]


@pytest.mark.parametrize("dateline, place", [
    ("MIAMI, Oct. 3 (Reuters) -", "MIAMI"),
    ("WASHINGTON, D.C., Jan 5", "WASHINGTON, D.C."),
    ("PARIS (AFP) -", "PARIS"),
    ("KYIV, Ukraine, March 1", "KYIV, Ukraine"),
    ("<location>HELSINKI</location>, <story.date norm='20240517'>May 17</story.date>", "HELSINKI"),
])
def test_located_is_the_dateline_place_without_date_or_agency(dateline, place):
    [item] = parse_nitf(_story_head(f"<dateline>{dateline}</dateline>"), provider="wire")
    assert item.article.located == place
