"""parse_feed: an RSS or Atom feed in, one valid ninjs 3.1 Article per item out."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from shared.errors import ParseError
from shared.formats.feeds import numeric_references, parse_feed
from shared.ninjs import ninjs_errors

WIRES = Path(__file__).resolve().parents[2] / "fixtures" / "wires"


def test_rss_items_become_valid_ninjs():
    pilots, ferry = parse_feed((WIRES / "rss-harbour-desk.xml").read_bytes(), provider="Harbour Desk")
    for item in (pilots, ferry):
        assert ninjs_errors(item.article.to_ninjs()) == [] and item.source_format == "rss"
    ninjs = pilots.article.to_ninjs()
    assert ninjs["uri"] == "urn:example:wire:2024-0515-pilots"
    assert ninjs["altIds"] == [{"role": "link", "value": "https://wire.example.org/harbour/2024/05/15/pilots-rota"}]
    assert pilots.article.headline == "Harbour pilots agree new rota after week of delays"
    assert pilots.article.body_text == (
        "Harbour pilots and the port authority agreed a new duty rota on Wednesday, ending a week in which ships "
        "queued for hours to enter the estuary.\n\nThe rota adds a fourth night crew and caps consecutive night "
        "shifts at three, the pilots' association said.")  # the figure and its caption are left out
    assert ninjs["descriptions"] == [{"role": "summary", "contentType": "text/plain",
                                      "value": "Pilots and the port authority settle a dispute over night shifts."}]
    assert ninjs["firstCreated"] == "2024-05-15T09:30:00Z" and ninjs["language"] == "en-gb"
    assert ninjs["by"] == "Ines Varga" and ninjs["subjects"] == [{"name": "Shipping"}, {"name": "Labour"}]
    assert ninjs["copyrightNotice"] == "Copyright 2024 Wirestream Example Agency"
    assert ferry.article.uri == "https://wire.example.org/harbour/2024/05/14/ferry-summer"
    assert ferry.article.body_text == ("Summer sailings to the islands start on 1 June with two extra departures "
                                       "a day.\n\nTickets for the late boat go on sale next week.")
    assert ferry.article.firstCreated == "2024-05-14T14:05:00Z" and ferry.article.by == "Harbour Desk"


def test_atom_entry_becomes_valid_ninjs():
    [entry] = parse_feed((WIRES / "atom-verkehr.xml").read_bytes(), provider="Verkehr")
    ninjs = entry.article.to_ninjs()
    assert ninjs_errors(ninjs) == [] and entry.source_format == "atom"
    assert ninjs["uri"] == "tag:wire.example.org,2024:verkehr-881" and ninjs["language"] == "de"
    assert entry.article.headline == "Brücke über die Elbe wird ab Montag gesperrt"
    assert "Pendler sollen auf die S-Bahn ausweichen" in entry.article.body_text
    assert ninjs["firstCreated"] == "2024-05-16T05:45:00Z" and ninjs["versionCreated"] == "2024-05-16T06:05:00Z"
    assert ninjs["people"] == [{"name": "Lena Hoffmann", "rel": "author", "contactInfo": [
        {"type": "email", "role": "work", "value": "lena.hoffmann@wire.example.org"}]}]
    assert ninjs["by"] == "Lena Hoffmann" and ninjs["copyrightNotice"] == "© 2024 Wirestream Beispielagentur"


def test_an_item_without_guid_or_link_gets_a_stable_hash_uri():
    payload = b"<rss><channel><item><title>Only a title</title></item><item/></channel></rss>"
    [item] = parse_feed(payload, provider="Desk")  # the empty item is skipped
    assert item.article.uri == parse_feed(payload, provider="Desk")[0].article.uri
    assert item.article.uri.startswith("urn:wirestream:desk:") and item.article.bodies == []


def test_an_empty_feed_has_no_items():
    assert parse_feed(b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>', provider="x") == []


def test_a_file_name_is_never_opened(tmp_path):
    secret = tmp_path / "feed.xml"
    secret.write_text("<rss><channel><item><title>SECRET</title></item></channel></rss>")
    with pytest.raises(ParseError):  # feedparser given bytes would have read the file
        parse_feed(str(secret).encode(), provider="x")


@pytest.mark.parametrize("payload, where", [
    (b"<html><body/></html>", "/html"),
    (b"<rss><channel>", "line 1"),
])
def test_unreadable_feeds(payload, where):
    with pytest.raises(ParseError) as caught:
        parse_feed(payload, provider="x")
    assert caught.value.where == where


def test_named_html_entities_survive_an_rss_091_feed():
    # feedparser drops the entities when the DOCTYPE follows the XML declaration on its line.
    payload = (b'<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"\n'
               b'  "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n'
               b'<rss version="0.91"><channel><title>T</title>'
               b"<item><title>Caf&eacute; prices</title><link>https://x.example/cafe</link>"
               b"<description>Caf&eacute; prices rose&nbsp;5% &amp; more here.</description></item>"
               b"</channel></rss>")
    [item] = parse_feed(payload, provider="x")
    assert item.article.headline == "Café prices"
    assert item.article.body_text == "Café prices rose\u00a05% & more here."


@pytest.mark.parametrize("payload", [
    b'<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>T</title><item>'
    b"<title>Ferry</title><guid>urn:x:1</guid><content:encoded><![CDATA[<p>The ferry sails at noon.</p>"
    b"<p>Tickets are on sale.</p>]]></content:encoded></item></channel></rss>",
    b'<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><entry><id>urn:x:1</id><title>Ferry</title>'
    b'<content type="html">&lt;p&gt;The ferry sails at noon.&lt;/p&gt;&lt;p&gt;Tickets are on sale.&lt;/p&gt;'
    b"</content></entry></feed>",
], ids=["rss-content-encoded", "atom-content"])
def test_an_entry_with_only_content_has_no_summary(payload):
    [item] = parse_feed(payload, provider="x")
    assert item.article.body_text == "The ferry sails at noon.\n\nTickets are on sale."
    assert item.article.descriptions == []


def test_a_summary_of_its_own_stays_a_description():
    payload = (b'<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><item>'
               b"<title>Ferry</title><description>Noon sailing.</description><content:encoded><![CDATA["
               b"<p>The ferry sails at noon.</p>]]></content:encoded></item></channel></rss>")
    [item] = parse_feed(payload, provider="x")
    assert [d.value for d in item.article.descriptions] == ["Noon sailing."]


def test_only_named_html_references_outside_cdata_become_numeric():
    payload = b"<x a='&eacute;'>&eacute;&amp;&bogus;<![CDATA[&eacute;]]><!-- &eacute; -->&NotEqualTilde;</x>"
    assert numeric_references(payload) == (
        b"<x a='&#233;'>&#233;&amp;&bogus;<![CDATA[&eacute;]]><!-- &eacute; -->&#8770;&#824;</x>")


_RSS = ('<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        "<channel><title>Wire</title><item><title>Quake hits coast</title><guid>urn:x:quake</guid>{item}"
        "</item></channel></rss>")


def _rss_item(item: str) -> dict:
    [parsed] = parse_feed(_RSS.format(item=item).encode(), provider="wire")
    ninjs = parsed.article.to_ninjs()
    assert ninjs_errors(ninjs) == []
    return ninjs


def test_a_creator_line_of_several_authors_is_split_without_its_by():
    ninjs = _rss_item("<dc:creator>By Jane Doe and John Roe, Reuters</dc:creator><description>Text.</description>")
    assert ninjs["people"] == [{"name": "Jane Doe", "rel": "author"}, {"name": "John Roe", "rel": "author"}]
    assert ninjs["by"] == "Jane Doe and John Roe, Reuters"
    assert ninjs["infoSources"] == [{"name": "Reuters", "role": "source"}]


def test_several_atom_authors_keep_their_email_when_each_is_one_person():
    payload = (b'<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><entry><id>urn:x:1</id><title>H</title>'
               b"<author><name>Marie Curie</name><email>mc@example.org</email></author>"
               b"<author><name>By Pierre Curie &amp; Paul Langevin</name><email>desk@example.org</email></author>"
               b"<summary>Text.</summary></entry></feed>")
    [item] = parse_feed(payload, provider="x")
    assert item.article.people == [
        {"name": "Marie Curie", "rel": "author", "contactInfo": [{"type": "email", "role": "work",
                                                                  "value": "mc@example.org"}]},
        {"name": "Pierre Curie", "rel": "author"}, {"name": "Paul Langevin", "rel": "author"}]
    assert item.article.by == "Marie Curie and Pierre Curie & Paul Langevin"


def test_enclosures_and_media_content_become_associations_with_renditions():
    ninjs = _rss_item(
        '<description>Text.</description><enclosure url="https://ex.com/a.jpg" length="12345" type="image/jpeg"/>'
        '<media:content url="https://ex.com/b.jpg" medium="image" width="800" height="600">'
        "<media:description>Rescuers at work</media:description><media:credit>Jane Doe/Reuters</media:credit>"
        '<media:thumbnail url="https://ex.com/b-small.jpg" width="80" height="60"/></media:content>'
        '<media:content url="https://ex.com/c.mp4" medium="video" type="video/mp4" fileSize="999" duration="65"/>'
        '<media:content url="javascript:alert(1)" medium="image"/>'
        '<enclosure url="https://ex.com/b.jpg" type="image/jpeg"/>'  # the same picture again
        '<enclosure url="https://ex.com/report.pdf" type="application/pdf"/>')
    first, clip, second = ninjs["associations"]  # Media RSS first, then enclosures
    assert first == {"name": "photo-1", "rel": "photo", "type": "picture", "uri": "https://ex.com/b.jpg",
                     "renditions": [{"name": "source", "href": "https://ex.com/b.jpg", "width": 800, "height": 600},
                                    {"name": "thumbnail", "href": "https://ex.com/b-small.jpg", "width": 80,
                                     "height": 60}],
                     "by": "Jane Doe/Reuters",
                     "descriptions": [{"role": "caption", "contentType": "text/plain", "value": "Rescuers at work"}]}
    assert clip["type"] == "video" and clip["rel"] == "video" and clip["renditions"] == [
        {"name": "source", "href": "https://ex.com/c.mp4", "contentType": "video/mp4", "sizeInBytes": 999,
         "duration": 65}]
    assert second["uri"] == "https://ex.com/a.jpg" and second["renditions"] == [
        {"name": "source", "href": "https://ex.com/a.jpg", "contentType": "image/jpeg", "sizeInBytes": 12345}]


def test_a_media_group_is_one_picture_in_several_renditions_with_the_item_credit():
    ninjs = _rss_item(
        "<description>Text.</description><media:credit role=\"photographer\">Pat Photo</media:credit>"
        '<media:group><media:content url="https://ex.com/big.jpg" type="image/jpeg" width="2000"/>'
        '<media:content url="https://ex.com/small.jpg" type="image/jpeg" width="400"/>'
        '<media:description type="html">&lt;b&gt;Rescuers&lt;/b&gt; at work</media:description></media:group>')
    [photo] = ninjs["associations"]
    assert [r["href"] for r in photo["renditions"]] == ["https://ex.com/big.jpg", "https://ex.com/small.jpg"]
    assert photo["by"] == "Pat Photo" and photo["descriptions"][0]["value"] == "Rescuers at work"


def test_an_atom_enclosure_link_and_a_lone_thumbnail_are_pictures():
    payload = (b'<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/"><title>T</title>'
               b"<entry><id>urn:x:1</id><title>H</title><summary>Text.</summary>"
               b'<link rel="alternate" href="https://ex.com/1"/><link rel="enclosure" href="https://ex.com/1.mp3" '
               b'type="audio/mpeg" length="42"/></entry>'
               b"<entry><id>urn:x:2</id><title>H2</title><summary>Text.</summary>"
               b'<media:thumbnail url="https://ex.com/2.jpg"/></entry></feed>')
    first, second = parse_feed(payload, provider="x")
    [audio] = first.article.associations
    assert audio["type"] == "audio" and audio["renditions"][0]["href"] == "https://ex.com/1.mp3"
    [picture] = second.article.associations
    assert picture["type"] == "picture" and picture["renditions"] == [{"name": "thumbnail",
                                                                       "href": "https://ex.com/2.jpg"}]


def test_a_category_with_a_domain_is_a_coded_subject():
    ninjs = _rss_item("<description>Text.</description>"
                      '<category domain="http://cv.iptc.org/newscodes/subjectcode/">16000000</category>'
                      '<category domain="https://ex.com/tags/">Quakes &amp; Tsunamis</category>'
                      '<category domain="desk">Science</category><category>Asia</category>')
    assert ninjs["subjects"] == [
        {"name": "16000000", "uri": "http://cv.iptc.org/newscodes/subjectcode/16000000"},
        {"name": "Quakes & Tsunamis", "uri": "https://ex.com/tags/Quakes%20%26%20Tsunamis"},
        {"name": "Science"}, {"name": "Asia"}]


def test_feed_boilerplate_and_desk_lines_leave_the_body():
    ninjs = _rss_item(
        "<description>A strong quake hit.</description><content:encoded><![CDATA["
        "<p>A strong quake hit the coast on Tuesday, officials said.</p><p>Eds: Adds casualty figures.</p>"
        "<p>No tsunami warning was issued.</p><p>Continue reading &#8230;</p>"
        '<p>The post <a href="https://ex.com/a">Quake hits coast</a> appeared first on Wire.</p>]]>'
        "</content:encoded>")
    assert ninjs["bodies"][0]["value"] == ("A strong quake hit the coast on Tuesday, officials said.\n\n"
                                           "No tsunami warning was issued.")
    assert ninjs["edNote"] == "Eds: Adds casualty figures."


def test_a_picture_caption_is_no_story_text():
    payload = (b'<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>T</title><item>'
               b"<title>Quake hits coast</title><guid>urn:x:1</guid>"
               b'<media:content url="https://ex.com/b.jpg" medium="image"><media:description>Rescuers at work'
               b"</media:description></media:content></item></channel></rss>")
    [item] = parse_feed(payload, provider="x")
    assert item.article.bodies == [] and item.article.descriptions == []
    assert item.article.associations[0]["descriptions"][0]["value"] == "Rescuers at work"


@pytest.mark.parametrize("guid", ["urn:x:" + "a" * 5000, "https://x.example/" + "story/" * 1000],
                         ids=["urn", "url"])
async def test_an_item_whose_uri_passes_the_bound_is_named_and_refuses_a_pushed_payload(guid):
    """A uri is the key of every record of its story: a guid of megabytes made the
    records larger than Kafka takes. The parser still reads the feed (a poller refuses
    the item alone); a payload pushed to the gateway is refused whole, naming it."""
    from shared.formats import MAX_URI_CHARS, item_unfit, parse
    from shared.inbound import read_submission
    from tests.unit.ingest.helpers import Owners

    feed = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            f'<item><title>ok</title><description>fine</description><guid>urn:x:ok</guid></item>'
            f'<item><title>long</title><description>long</description><guid>{guid}</guid></item>'
            f'</channel></rss>').encode()
    items = parse(feed, "application/rss+xml", provider="p")
    assert [item_unfit(item, i) is None for i, item in enumerate(items)] == [True, False]
    with pytest.raises(ParseError) as refused:
        await read_submission(feed, "application/rss+xml", provider="p", registry=Owners())
    assert refused.value.where == "item 2" and f"more than the {MAX_URI_CHARS}" in str(refused.value)
    partial = await read_submission(feed, "application/rss+xml", provider="p", registry=Owners(), partial=True)
    assert [i.uri for i in partial.sent] == [items[0].article.uri] and len(partial.unfit) == 1
    assert "item 2" in partial.unfit[0] and len(partial.unfit[0]) < 400


@pytest.mark.parametrize("where", ["subjects", "associations", "nested renditions", "genres", "headlines"])
async def test_an_item_with_a_list_past_the_bound_is_named_and_refuses_a_pushed_payload(where):
    """Every subscription's filter, the feeds and the translation links read an item's
    lists whole, for every item: 380,000 subjects (4.7 MiB) took 2.75 s of publishing per
    item against 20 subscriptions, and 1.2 s of the gateway's loop per feed read."""
    import orjson

    from shared.formats import MAX_LIST_ENTRIES, item_unfit, parse
    from shared.inbound import read_submission
    from tests.unit.ingest.helpers import Owners

    def item(entries: int) -> dict:
        many = [{"name": f"s{i}"} for i in range(entries)]
        lists = {"subjects": {"subjects": many},
                 "associations": {"associations": [{"name": f"a{i}", "uri": f"urn:x:a{i}"} for i in range(entries)]},
                 "nested renditions": {"associations": [{"name": "pkg", "uri": "urn:x:pkg", "associations": [
                     {"name": "photo", "uri": "urn:x:photo", "renditions": [
                         {"name": f"r{i}", "href": f"https://x.example/{i}.jpg"} for i in range(entries)]}]}]},
                 "genres": {"genres": many},
                 "headlines": {"headlines": [{"value": f"Fire {i}"} for i in range(entries)]}}[where]
        return {"uri": f"urn:x:{where.replace(' ', '-')}-{entries}", "type": "text",
                "headlines": [{"value": "Fire"}], "bodies": [{"value": "Fire.", "contentType": "text/plain"}], **lists}

    fits = orjson.dumps(item(MAX_LIST_ENTRIES))
    assert item_unfit(parse(fits, "application/json", provider="p")[0], 0) is None
    assert (await read_submission(fits, "application/json", provider="p", registry=Owners())).items
    over = orjson.dumps(item(MAX_LIST_ENTRIES + 1))
    with pytest.raises(ParseError) as refused:
        await read_submission(over, "application/json", provider="p", registry=Owners())
    name = where.split()[-1]
    assert refused.value.where == "item 1"
    assert f"{name} list holds {MAX_LIST_ENTRIES + 1} entries, more than the {MAX_LIST_ENTRIES}" in str(refused.value)


def test_a_long_list_of_plain_values_is_no_list_of_entries():
    """A country's outline holds thousands of coordinates: valid ninjs, read by no filter."""
    import orjson

    from shared.formats import MAX_LIST_ENTRIES, item_unfit, parse

    ring = [[10.0 + i / 1000, 60.0] for i in range(MAX_LIST_ENTRIES * 3)]
    item = {"uri": "urn:x:outline", "type": "text", "headlines": [{"value": "Fire"}],
            "places": [{"name": "Norway", "geoJSON": {"type": "Polygon", "coordinates": [ring]}}]}
    [parsed] = parse(orjson.dumps(item), "application/json", provider="p")
    assert parsed.article.places[0]["geoJSON"]["coordinates"] == [ring] and item_unfit(parsed, 0) is None


async def test_a_pushed_feed_is_charged_for_every_item_before_any_is_looked_up():
    """A feed of many guids, one of them another provider's story, was refused whole
    (403 naming that uri) having been charged one article: thousands of uris probed for
    whose stories exist at the price of one. Every item is charged before the lookups."""
    from shared.inbound import read_submission
    from shared.identity import NotOwner
    from tests.unit.ingest.helpers import Owners

    guids = [f"urn:probe:{i}" for i in range(50)] + ["urn:theirs:1"]
    feed = ('<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            + "".join(f"<item><title>t</title><description>d</description><guid>{g}</guid></item>" for g in guids)
            + "</channel></rss>").encode()
    charged: list[int] = []

    class OverTheLimit(Exception):
        pass

    async def charge(articles: int) -> None:
        charged.append(articles)
        raise OverTheLimit()

    with pytest.raises(OverTheLimit):
        await read_submission(feed, "application/rss+xml", provider="p", registry=Owners("urn:theirs:1"),
                              charge=charge)
    assert charged == [51]
    with pytest.raises(NotOwner, match="urn:theirs:1"):  # within the limit: refused, naming it
        await read_submission(feed, "application/rss+xml", provider="p", registry=Owners("urn:theirs:1"),
                              charge=lambda n: asyncio.sleep(0))
