"""parse_newsml12: NewsML 1.2 in, one valid ninjs 3.1 Article per NewsItem out."""
from __future__ import annotations

from pathlib import Path

import pytest

from shared.errors import ParseError
from shared.events import Signal
from shared.formats.newsml12 import parse_newsml12
from shared.ninjs import ninjs_errors

WIRES = Path(__file__).resolve().parents[2] / "fixtures" / "wires"

SAMPLES = {
    "20130515006361": ("Dell Redefines Workstation Computing Boundaries with Smallest Tower and Most Powerful Rack "
                       "Workstations", "en",
                       "the Dell Precision family features a more powerful and reliable Dell Precision T1700 Mini-Tower"),
    "20130605006126": ("Cambrios被Gartner評選為「最酷供應商」", "zh", "Cambrios的ClearOhm材料是透明導體市場領先的ITO替代材料"),
    "20130612006110": ("APP发布“2020 可持续发展路线图”第三次工作进展报告，并将继续落实森林保护政策", "zh",
                       "APP于今年2月5日正式颁布新的森林保护政策"),
    "20130731006140": ("Lunch Taking a Toll? Let Applebee’s® Industrial Strength Lunch Decoy Stand In", "en",
                       "Applebee’s Industrial Strength Lunch Decoy is tough enough to fool annoying co-workers"),
}


@pytest.mark.parametrize("news_item_id", SAMPLES)
def test_business_wire_samples_become_valid_ninjs_with_headline_and_body(news_item_id):
    headline, language, sentence = SAMPLES[news_item_id]
    [item] = parse_newsml12((WIRES / f"businesswire-newsml-{news_item_id}.xml").read_bytes(), provider="Business Wire")
    ninjs = item.article.to_ninjs()
    assert ninjs_errors(ninjs) == []
    assert item.article.headline == headline and sentence in item.article.body_text
    assert ninjs["language"] == language
    # identity: PublicIdentifier without its revision, RevisionId as version
    assert ninjs["uri"] == f"urn:newsml:businesswire.com:20010714:{news_item_id}"
    assert ninjs["altIds"] == [{"role": "PublicIdentifier", "value": f"urn:newsml:businesswire.com:20010714:{news_item_id}:1"}]
    assert ninjs["version"] == "1" and item.signal is None and item.source_format == "newsml-1.2"
    assert ninjs["copyrightNotice"] == "Copyright Business Wire 2013" and ninjs["copyrightHolder"] == "Business Wire"


def test_dell_sample_metadata_deck_and_pictures():
    [item] = parse_newsml12((WIRES / "businesswire-newsml-20130515006361.xml").read_bytes(), provider="bw")
    ninjs = item.article.to_ninjs()
    assert ninjs["firstCreated"] == "2013-05-16T04:01:00Z" and ninjs["versionCreated"] == "2013-05-16T04:01:00Z"
    assert ninjs["located"] == "ROUND ROCK, Texas" and ninjs["slugline"] == "TX-DELL"
    assert ninjs["descriptions"][0]["role"] == "deck"
    assert ninjs["descriptions"][0]["value"].startswith("Offering powerful workstation performance")
    assert {"name": "Data Management", "rel": "about"} in ninjs["subjects"]
    assert [a["name"] for a in ninjs["associations"]] == ["logo-1", "photo-1", "photo-2"]
    photo = ninjs["associations"][1]
    assert photo["descriptions"][0]["value"].startswith("The next generation Dell Precision R7610")
    assert photo["renditions"][0]["href"] == photo["uri"] and photo["renditions"][0]["contentType"] == "image/jpeg"


NITF_ITEM = """<NewsML Version="1.2"><NewsItem>
  <Identification><NewsIdentifier><ProviderId>wire.example.org</ProviderId><DateId>20240517</DateId>
    <NewsItemId>ferry</NewsItemId><RevisionId PreviousRevision="{previous}" Update="N">{revision}</RevisionId>
    <PublicIdentifier>urn:newsml:wire.example.org:20240517:ferry:{revision}</PublicIdentifier>
  </NewsIdentifier></Identification>
  <NewsManagement><NewsItemType FormalName="News"/><FirstCreated>20240517T093100+0200</FirstCreated>
    <ThisRevisionCreated>20240517T100200+0200</ThisRevisionCreated><Status FormalName="{status}"/>
    <Urgency FormalName="2"/></NewsManagement>
  <NewsComponent>
    <DescriptiveMetadata><Language FormalName="fi"/><SubjectCode><Subject FormalName="16000000"/></SubjectCode>
    </DescriptiveMetadata>
    <ContentItem><MimeType FormalName="application/nitf+xml"/><DataContent>
      <nitf><body><body.head><hedline><hl1>Tulipalo lautalla</hl1></hedline></body.head>
      <body.content><p>Lautan konehuoneessa syttyi tulipalo.</p><p>Kaikki matkustajat ovat turvassa.</p>
      </body.content></body></nitf>
    </DataContent></ContentItem>
  </NewsComponent>
</NewsItem></NewsML>"""


def _item(status: str = "Usable", revision: str = "1", previous: str = "0") -> bytes:
    return NITF_ITEM.format(status=status, revision=revision, previous=previous).encode()


def test_a_nitf_body_is_read_with_the_nitf_helper():
    [item] = parse_newsml12(_item(), provider="wire")
    ninjs = item.article.to_ninjs()
    assert ninjs_errors(ninjs) == []
    assert item.article.body_text == "Lautan konehuoneessa syttyi tulipalo.\n\nKaikki matkustajat ovat turvassa."
    assert ninjs["uri"] == "urn:newsml:wire.example.org:20240517:ferry" and ninjs["urgency"] == 2
    assert ninjs["subjects"] == [{"uri": "http://cv.iptc.org/newscodes/subjectcode/16000000"}]
    assert ninjs["versionCreated"] == "2024-05-17T10:02:00+02:00" and ninjs["language"] == "fi"


@pytest.mark.parametrize("status, revision, previous, signal, pub_status", [
    ("Canceled", "3", "2", Signal.KILL, "canceled"),
    ("Usable", "2", "1", Signal.UPDATE, "usable"),
    ("Withheld", "1", "0", None, "withheld"),
    ("Usable", "1", "0", None, "usable"),
])
def test_status_and_revisions_give_signals(status, revision, previous, signal, pub_status):
    [item] = parse_newsml12(_item(status, revision, previous), provider="wire")
    assert item.signal is signal and item.article.pubStatus == pub_status
    assert item.article.version == revision and item.article.uri.endswith(":ferry")


@pytest.mark.parametrize("payload, where", [
    (b"<NewsML/>", "/NewsML"),
    (b"<NewsML><NewsItem/></NewsML>", "/NewsML/NewsItem/Identification"),
    (b"<NewsML><NewsItem><Identification><NewsIdentifier><PublicIdentifier>urn:x:1</PublicIdentifier>"
     b"</NewsIdentifier></Identification></NewsItem></NewsML>", "/NewsML/NewsItem"),
    (b"<nitf/>", "/nitf"),
])
def test_unreadable_newsml(payload, where):
    with pytest.raises(ParseError) as caught:
        parse_newsml12(payload, provider="wire")
    assert caught.value.where == where


def test_data_content_with_sibling_paragraphs_keeps_every_one():
    nitf = NITF_ITEM[NITF_ITEM.index("<nitf>"):NITF_ITEM.index("</nitf>") + len("</nitf>")]
    payload = _item().decode().replace(nitf, "<p>One.</p><p>Two.</p><p>Three.</p>")
    [item] = parse_newsml12(payload.replace("application/nitf+xml", "application/xhtml+xml").encode(), provider="wire")
    assert item.article.body_text == "One.\n\nTwo.\n\nThree."


LINES_ITEM = """<NewsML Version="1.2"><NewsItem>
  <Identification><NewsIdentifier><ProviderId>wire.example.org</ProviderId><DateId>20241003</DateId>
    <NewsItemId>storm</NewsItemId><RevisionId>1</RevisionId>
    <PublicIdentifier>urn:newsml:wire.example.org:20241003:storm:1</PublicIdentifier>
  </NewsIdentifier></Identification>
  <NewsComponent>
    <NewsLines><HeadLine>Storm nears Florida coast</HeadLine>{lines}</NewsLines>
    <AdministrativeMetadata>{sources}</AdministrativeMetadata>
    <ContentItem><MimeType FormalName="text/plain"/><DataContent>The storm gained strength.</DataContent></ContentItem>
  </NewsComponent>
</NewsItem></NewsML>"""


def _lines_item(lines: str, sources: str = "") -> dict:
    [item] = parse_newsml12(LINES_ITEM.format(lines=lines, sources=sources).encode(), provider="wire")
    ninjs = item.article.to_ninjs()
    assert ninjs_errors(ninjs) == []
    return ninjs


def test_the_byline_is_split_into_authors_and_agency_and_the_dateline_read_for_its_place():
    ninjs = _lines_item("<ByLine>By Jane Doe and John Roe, Reuters</ByLine>"
                        "<DateLine>MIAMI, Oct. 3 (Reuters) -</DateLine>")
    assert ninjs["by"] == "Jane Doe and John Roe, Reuters"
    assert ninjs["people"] == [{"name": "Jane Doe", "rel": "author"}, {"name": "John Roe", "rel": "author"}]
    assert ninjs["infoSources"] == [{"name": "Reuters", "role": "source"}]
    assert ninjs["located"] == "MIAMI"


def test_a_byline_agency_joins_the_source_parties_once():
    ninjs = _lines_item("<ByLine>Jane Doe | AFP</ByLine><ByLineTitle>Reuters Correspondent</ByLineTitle>",
                        '<Source><Party FormalName="AFP"/></Source>')
    assert ninjs["by"] == "Jane Doe | AFP" and ninjs["people"] == [{"name": "Jane Doe", "rel": "author"}]
    assert ninjs["infoSources"] == [{"name": "AFP", "role": "source"}, {"name": "Reuters", "role": "source"}]


def test_every_byline_of_the_item_names_its_authors():
    ninjs = _lines_item("<ByLine>By Jane Doe</ByLine><ByLine>By John Roe, AP</ByLine>")
    assert ninjs["by"] == "Jane Doe and John Roe, AP"
    assert [p["name"] for p in ninjs["people"]] == ["Jane Doe", "John Roe"]
    assert ninjs["infoSources"] == [{"name": "AP", "role": "source"}]


WRAPPED_NITF = """<NewsML Version="1.2"><NewsItem>
  <Identification><NewsIdentifier><ProviderId>wire.example.org</ProviderId><DateId>20240517</DateId>
    <NewsItemId>ferry</NewsItemId><RevisionId PreviousRevision="0" Update="N">1</RevisionId>
    <PublicIdentifier>urn:newsml:wire.example.org:20240517:ferry:1</PublicIdentifier>
  </NewsIdentifier></Identification>
  <NewsManagement><NewsItemType FormalName="News"/><FirstCreated>20240517T093100+0200</FirstCreated>
    <ThisRevisionCreated>20240517T100200+0200</ThisRevisionCreated><Status FormalName="Usable"/>
    {urgency}</NewsManagement>
  <NewsComponent>
    {lines}
    <DescriptiveMetadata>{language}<SubjectCode><Subject FormalName="16000000"/></SubjectCode>
    </DescriptiveMetadata>
    <ContentItem><MimeType FormalName="application/nitf+xml"/><DataContent>
      <nitf xml:lang="fi"><head>
        <tobject tobject.type="News"><tobject.subject tobject.subject.refnum="16000000"
          tobject.subject.matter="unrest, conflicts and war"/><tobject.subject tobject.subject.refnum="04005000"
          tobject.subject.matter="energy and resource"/></tobject>
        <docdata management-status="usable">
          <doc-id id-string="NTB-2024-ferry"/><urgency ed-urg="4"/>
          <date.expire norm="20240617T000000Z"/>
          <du-key key="ferjebrann" version="1"/><ed-msg info="Updated casualty figures"/>
          <doc.copyright year="2024" holder="NTB"/>
          <identified-content><person>Kari Nordmann</person><org>Fjord Line</org><location>Bergen</location>
          </identified-content>
          <key-list><keyword key="ferry"/></key-list>
        </docdata></head>
      <body><body.head><hedline><hl1>Brann på ferje</hl1><hl2>Alle passasjerer er i sikkerhet</hl2></hedline>
        <byline><person>Ola Hansen</person> og <person>Kari Lie</person><byttl>NTB</byttl></byline>
        <dateline><location>BERGEN</location>, <story.date>17. mai</story.date></dateline></body.head>
      <body.content><p>Det brant i maskinrommet på ferja.</p><p>Alle passasjerer er i sikkerhet.</p>
        <note noteclass="editorsnote"><p>Bilder kommer.</p></note>
      </body.content></body></nitf>
    </DataContent></ContentItem>
  </NewsComponent>
</NewsItem></NewsML>"""


def _wrapped(lines: str = "", urgency: str = "", language: str = "") -> dict:
    payload = WRAPPED_NITF.format(lines=lines, urgency=urgency, language=language)
    [item] = parse_newsml12(payload.encode(), provider="wire")
    ninjs = item.article.to_ninjs()
    assert ninjs_errors(ninjs) == []
    return ninjs


def test_a_wrapped_nitf_gives_what_the_wrapper_leaves_out():
    ninjs = _wrapped()
    assert ninjs["headlines"] == [{"role": "main", "value": "Brann på ferje"}]
    assert ninjs["descriptions"] == [{"role": "deck", "contentType": "text/plain",
                                      "value": "Alle passasjerer er i sikkerhet"}]
    assert ninjs["by"] == "Ola Hansen and Kari Lie"
    assert ninjs["people"] == [{"name": "Ola Hansen", "rel": "author"}, {"name": "Kari Lie", "rel": "author"},
                               {"name": "Kari Nordmann"}]
    assert ninjs["infoSources"] == [{"name": "NTB", "role": "source"}]
    assert ninjs["located"] == "BERGEN"
    assert ninjs["urgency"] == 4 and ninjs["language"] == "fi" and ninjs["slugline"] == "ferjebrann"
    assert ninjs["edNote"] == "Updated casualty figures / Bilder kommer."
    assert ninjs["copyrightHolder"] == "NTB" and ninjs["copyrightNotice"] == "Copyright 2024 NTB"
    assert ninjs["organisations"] == [{"name": "Fjord Line"}] and ninjs["places"] == [{"name": "Bergen"}]
    assert ninjs["subjects"] == [{"uri": "http://cv.iptc.org/newscodes/subjectcode/16000000"},
                                 {"name": "energy and resource",
                                  "uri": "http://cv.iptc.org/newscodes/subjectcode/04005000"},
                                 {"name": "ferry"}]
    assert ninjs["genres"] == [{"name": "News"}] and ninjs["expires"] == "2024-06-17T00:00:00Z"
    assert ninjs["altIds"] == [{"role": "PublicIdentifier", "value": "urn:newsml:wire.example.org:20240517:ferry:1"},
                               {"role": "doc-id", "value": "NTB-2024-ferry"}]
    # the wrapper's identity and dates are its own
    assert ninjs["uri"] == "urn:newsml:wire.example.org:20240517:ferry" and ninjs["version"] == "1"
    assert ninjs["firstCreated"] == "2024-05-17T09:31:00+02:00"
    assert ninjs["bodies"][0]["value"] == "Det brant i maskinrommet på ferja.\n\nAlle passasjerer er i sikkerhet."


def test_the_wrappers_own_metadata_wins_over_the_wrapped_nitfs():
    ninjs = _wrapped(lines="<NewsLines><HeadLine>Fire on a ferry</HeadLine><SubHeadLine>All safe</SubHeadLine>"
                           "<ByLine>By Jane Doe, Reuters</ByLine><DateLine>OSLO, May 17 (Reuters) -</DateLine>"
                           "<SlugLine>FERRY-FIRE</SlugLine><CopyrightLine>Copyright 2024 Reuters</CopyrightLine>"
                           "</NewsLines>",
                     urgency='<Urgency FormalName="2"/>', language='<Language FormalName="en"/>')
    assert ninjs["headlines"] == [{"role": "main", "value": "Fire on a ferry"}]
    assert ninjs["descriptions"][0]["value"] == "All safe"
    assert ninjs["by"] == "Jane Doe, Reuters"
    assert ninjs["people"] == [{"name": "Jane Doe", "rel": "author"}, {"name": "Kari Nordmann"}]
    assert ninjs["infoSources"] == [{"name": "Reuters", "role": "source"}]
    assert ninjs["located"] == "OSLO" and ninjs["slugline"] == "FERRY-FIRE"
    assert ninjs["urgency"] == 2 and ninjs["language"] == "en"
    assert ninjs["copyrightHolder"] == "Reuters" and ninjs["copyrightNotice"] == "Copyright 2024 Reuters"
