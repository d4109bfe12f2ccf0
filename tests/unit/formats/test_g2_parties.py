"""NewsML-G2 creators and contributors: people go to ninjs ``people``, the parties the
item's markup calls organisations to ``infoSources``, never to ``people``."""
from __future__ import annotations

from pathlib import Path

from shared.formats.newsml_g2 import parse_newsml_g2
from shared.ninjs import ninjs_errors

MEDIA = Path(__file__).resolve().parents[2] / "fixtures" / "wires" / "newsml-g2-media"

ITEM = """<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:x:parties" version="1">
  <itemMeta><itemClass qcode="ninat:text"/>{provider}<versionCreated>2024-03-01T10:00:00Z</versionCreated></itemMeta>
  <contentMeta>{meta}<headline>Storm</headline><language tag="en"/></contentMeta>
  {asserts}
  <contentSet><inlineXML contenttype="application/xhtml+xml"><html xmlns="http://www.w3.org/1999/xhtml"><body>
    <p>A storm hit.</p></body></html></inlineXML></contentSet></newsItem>"""


def _ninjs(meta: str, asserts: str = "", provider: str = "") -> dict:
    [item] = parse_newsml_g2(ITEM.format(meta=meta, asserts=asserts, provider=provider).encode(), provider="wire")
    ninjs = item.article.to_ninjs()
    assert ninjs_errors(ninjs) == []
    return ninjs


def test_a_creator_typed_as_an_organisation_is_an_info_source_and_the_by_line_names_it_after_the_people():
    ninjs = _ninjs('<creator role="crol:writer"><name>Jane Doe</name></creator>'
                   '<creator type="cpnat:organisation" qcode="nprov:AFP"><name>AFP</name></creator>')
    assert ninjs["people"] == [{"name": "Jane Doe", "rel": "author"}]
    assert ninjs["infoSources"] == [{"name": "AFP", "role": "creator", "literal": "nprov:AFP"}]
    assert ninjs["by"] == "Jane Doe, AFP"


def test_organisation_details_make_a_party_an_organisation_whatever_its_role():
    ninjs = _ninjs('<contributor role="crol:editor" uri="https://example.org/desks/photo">'
                   "<name>Photo Desk</name><organisationDetails><location><name>Oslo</name></location>"
                   "</organisationDetails></contributor>"
                   '<contributor role="crol:editor"><name>Ed Itor</name><personDetails/></contributor>')
    assert ninjs["people"] == [{"name": "Ed Itor", "rel": "editor"}]
    assert ninjs["infoSources"] == [{"name": "Photo Desk", "role": "editor", "uri": "https://example.org/desks/photo"}]


def test_a_party_in_iptcs_news_provider_scheme_or_the_items_provider_is_an_organisation():
    ninjs = _ninjs('<creator qcode="nprov:REUTERS"><name>Reuters</name></creator>'
                   '<contributor qcode="wire:desk"><name>Wire Desk</name></contributor>',
                   provider='<provider qcode="wire:desk"/>')
    assert "people" not in ninjs
    assert ninjs["infoSources"] == [{"name": "Reuters", "role": "creator", "literal": "nprov:REUTERS"},
                                    {"name": "Wire Desk", "role": "contributor", "literal": "wire:desk"}]
    assert ninjs["by"] == "Reuters"


def test_what_an_assert_or_subject_says_of_the_same_concept_decides():
    ninjs = _ninjs('<creator qcode="src:NHK"><name>NHK</name></creator>'
                   '<creator qcode="staff:jd"><name>Jane Doe</name></creator>'
                   '<contributor qcode="org:imf"><name>International Monetary Fund</name></contributor>'
                   '<subject type="cpnat:organisation" qcode="org:imf"><name>IMF</name></subject>',
                   asserts='<assert qcode="src:NHK"><type qcode="cpnat:organisation"/></assert>'
                           '<assert qcode="staff:jd"><personDetails/></assert>')
    assert ninjs["people"] == [{"name": "Jane Doe", "rel": "author"}]
    assert [s["name"] for s in ninjs["infoSources"]] == ["NHK", "International Monetary Fund"]
    assert ninjs["by"] == "Jane Doe, NHK"


def test_an_untyped_party_of_a_scheme_the_item_uses_for_organisations_or_named_as_one_is_one_too():
    # as in IPTC's multi-part video example: codesource:DEZDF is typed, codesource:GBRTV is not
    ninjs = _ninjs('<creator qcode="codesource:DEZDF"><name>Zweites Deutsches Fernsehen</name>'
                   "<organisationDetails/></creator>"
                   '<contributor qcode="codeorigin:DEZDF" role="rolecode:TechnicalOrigin">'
                   "<name>Zweites Deutsches Fernsehen</name></contributor>"
                   '<creator qcode="codesource:GBRTV"><name>Reuters Television Ltd</name></creator>')
    assert "people" not in ninjs
    assert ninjs["infoSources"] == [
        {"name": "Zweites Deutsches Fernsehen", "role": "creator", "literal": "codesource:DEZDF"},
        {"name": "Reuters Television Ltd", "role": "creator", "literal": "codesource:GBRTV"}]


def test_a_scheme_the_item_also_uses_for_people_says_nothing():
    ninjs = _ninjs('<creator qcode="party:afp" type="cpnat:organisation"><name>AFP</name></creator>'
                   '<creator qcode="party:jd" type="cpnat:person"><name>Jane Doe</name></creator>'
                   '<creator qcode="party:jr"><name>John Roe</name></creator>')
    assert ninjs["people"] == [{"name": "Jane Doe", "rel": "author"}, {"name": "John Roe", "rel": "author"}]
    assert ninjs["by"] == "Jane Doe and John Roe, AFP"


def test_an_organisation_already_listed_as_info_source_is_not_repeated_and_the_by_line_names_the_authors():
    ninjs = _ninjs('<infoSource role="isrol:origcont" qcode="nprov:AP"><name>AP</name></infoSource>'
                   '<creator qcode="nprov:AP"><name>AP</name></creator>'
                   "<by>By Jane Doe, AP</by>")
    assert ninjs["people"] == [{"name": "Jane Doe", "rel": "author"}]
    assert ninjs["infoSources"] == [{"name": "AP", "literal": "nprov:AP", "role": "origcont"}]
    assert ninjs["by"] == "Jane Doe, AP"


def test_a_party_its_markup_says_nothing_about_stays_a_person():
    ninjs = _ninjs('<creator literal="AFP"><name>AFP</name></creator>'
                   '<contributor role="ctrol:descrWriter"><name>sp/lrc</name></contributor>')
    assert ninjs["people"] == [{"name": "AFP", "rel": "author"}, {"name": "sp/lrc", "rel": "caption-writer"}]
    assert "infoSources" not in ninjs


def test_iptcs_multi_part_video_credits_its_broadcasters_as_sources_not_people():
    [item] = parse_newsml_g2(next(MEDIA.glob("LISTING_5_*.xml")).read_bytes(), provider="iptc")
    ninjs = item.article.to_ninjs()
    assert "people" not in ninjs
    assert ninjs["infoSources"] == [
        {"name": "Zweites Deutsches Fernsehen", "role": "creator", "literal": "codesource:DEZDF"},
        {"name": "Reuters Television Ltd", "role": "creator", "literal": "codesource:GBRTV"}]
    assert ninjs["by"] == "Zweites Deutsches Fernsehen and Reuters Television Ltd"
