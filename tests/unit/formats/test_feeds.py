"""parse_feed: an RSS or Atom feed in, one valid ninjs 3.1 Article per item out."""
from __future__ import annotations

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
