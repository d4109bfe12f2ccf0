"""RSS, Atom and JSON Feed rendering, read back with feedparser."""
from __future__ import annotations

import feedparser
import orjson
import pytest
from lxml import etree

from services.gateway.routes.feeds import entry_of, etag_for, render_atom, render_json_feed, render_rss

BASE = "http://127.0.0.1:8000"
ITEM = {
    "uri": "urn:test:feeds:1", "version": "2", "language": "en", "by": "Youngnam Kim",
    "versionCreated": "2024-12-18T09:30:00Z", "firstCreated": "2024-12-18T08:00:00Z",
    "headlines": [{"role": "main", "value": "Troops & tanks <moved> north"}],
    "descriptions": [{"role": "summary", "value": "A second wave is expected."}],
    "bodies": [{"role": "main", "contentType": "text/plain", "value": "First paragraph.\n\nSecond paragraph."}],
    "subjects": [{"name": "conflict, war and peace", "uri": "http://cv.iptc.org/newscodes/mediatopic/16000000"}],
}
META = {"signal": "correction", "published_at": "2024-12-18T09:31:00+00:00"}


def entries():
    return [entry_of("abc123", ITEM, META, BASE)]


def test_rss_reads_back_with_its_signal_and_subjects():
    feed = feedparser.parse(render_rss("Wirestream: conflict", f"{BASE}/v1/feeds/c.rss", entries()))
    assert not feed.bozo, feed.bozo_exception
    [entry] = feed.entries
    assert entry.title == "Troops & tanks <moved> north"
    assert entry.id == "urn:test:feeds:1" and entry.link == f"{BASE}/v1/articles/abc123"
    assert {t.term for t in entry.tags} == {"correction", "conflict, war and peace"}
    assert entry.published_parsed[:5] == (2024, 12, 18, 9, 30)


def test_atom_reads_back():
    feed = feedparser.parse(render_atom("Wirestream: conflict", f"{BASE}/v1/feeds/c.atom", "urn:wirestream:feed:c",
                                        entries()))
    assert not feed.bozo, feed.bozo_exception
    [entry] = feed.entries
    assert entry.id == "urn:test:feeds:1" and entry.author == "Youngnam Kim"
    assert "Second paragraph." in entry.content[0].value
    assert any(t.term == "correction" and t.scheme == "urn:wirestream:signal" for t in entry.tags)


def test_json_feed_1_1():
    feed = orjson.loads(render_json_feed("Wirestream: conflict", BASE, f"{BASE}/v1/feeds/c.json", entries()))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    [item] = feed["items"]
    assert item["id"] == "urn:test:feeds:1" and item["title"].startswith("Troops")
    assert item["date_modified"] == "2024-12-18T09:30:00+00:00" and item["language"] == "en"
    assert item["authors"] == [{"name": "Youngnam Kim"}]
    assert item["_wirestream"]["signal"] == "correction" and item["_wirestream"]["version"] == "2"


def test_an_empty_feed_is_still_a_feed():
    assert not feedparser.parse(render_rss("t", BASE, [])).bozo
    assert orjson.loads(render_json_feed("t", BASE, BASE, []))["items"] == []


def test_etag_changes_with_what_decides_the_answer():
    assert etag_for(1, "q") == etag_for(1, "q") != etag_for(2, "q")
    assert etag_for(1, "q").startswith('W/"')


PICTURE = {
    "uri": "tag:example.org,2024:photo-1", "type": "picture", "version": "1", "versionCreated": "2024-12-18T09:30:00Z",
    "descriptions": [{"role": "caption",
                      "value": "A firefighter walks past the remains of a military jet in San Diego."}],
    "renditions": [
        {"name": "highRes", "href": "https://img.example.org/jet-hi.jpg", "contentType": "image/jpeg",
         "width": 2500, "height": 1445, "sizeInBytes": 3764418},
        {"name": "local", "href": "file:///./jet.jpg", "contentType": "image/jpeg"},
        {"name": "thumb", "href": "https://img.example.org/jet-thumb.gif", "width": 80, "height": 53}],
}
PACKAGE = {
    "uri": "urn:x:pkg", "type": "composite", "headlines": [{"role": "main", "value": "Jet crash"}],
    "associations": [
        {"name": "story", "rel": "main", "uri": "urn:x:story", "type": "text"},
        {"name": "clip", "rel": "main", "uri": "urn:x:clip", "type": "video", "renditions": [
            {"name": "sd", "href": "https://v.example.org/clip-sd.mp4", "contentType": "video/mp4", "width": 720,
             "height": 576, "duration": 69},
            {"name": "hd", "href": "https://v.example.org/clip-hd.mp4", "contentType": "video/mp4", "width": 1920,
             "height": 1080, "duration": 69, "sizeInBytes": 87591736}]}],
}


def media_entries():
    return [entry_of("pic1", PICTURE, META, BASE), entry_of("pkg1", PACKAGE, META, BASE)]


def test_rss_carries_the_main_rendition_as_its_enclosure_and_the_type_as_a_category():
    feed = feedparser.parse(render_rss("t", BASE, media_entries()))
    assert not feed.bozo, feed.bozo_exception
    picture, package = feed.entries
    assert picture.title.startswith("A firefighter walks past")  # no headline: the caption names it
    assert [(e.href, e.type, e.length) for e in picture.enclosures] == [
        ("https://img.example.org/jet-hi.jpg", "image/jpeg", "3764418")]
    assert [e.href for e in package.enclosures] == ["https://v.example.org/clip-hd.mp4"]
    assert any(t.term == "picture" for t in picture.tags)


def test_atom_links_every_http_rendition_as_an_enclosure():
    feed = feedparser.parse(render_atom("t", BASE, "urn:wirestream:feed:t", media_entries()))
    assert not feed.bozo, feed.bozo_exception
    picture = feed.entries[0]
    links = [(link.href, link.type) for link in picture.links if link.rel == "enclosure"]
    assert links == [("https://img.example.org/jet-hi.jpg", "image/jpeg"),
                     ("https://img.example.org/jet-thumb.gif", "image/gif")]  # file:// left out, type from the name


def test_json_feed_attachments_with_size_and_duration():
    feed = orjson.loads(render_json_feed("t", BASE, BASE, media_entries()))
    picture, package = feed["items"]
    assert picture["attachments"][0] == {"url": "https://img.example.org/jet-hi.jpg", "mime_type": "image/jpeg",
                                         "size_in_bytes": 3764418}
    assert package["attachments"] == [{"url": "https://v.example.org/clip-hd.mp4", "mime_type": "video/mp4",
                                       "size_in_bytes": 87591736, "duration_in_seconds": 69}]
    assert package["_wirestream"]["type"] == "composite"
    assert "attachments" not in orjson.loads(render_json_feed("t", BASE, BASE, entries()))["items"][0]


# One provider's item with characters XML 1.0 forbids (a vertical tab, a lone
# surrogate, U+FFFE, U+FFFF), in every field a feed shows.
FORBIDDEN = "\u000b\u0000\u001f\ud800\ufffe\uffff"
DIRTY = {
    "uri": "urn:test:feeds:dirty", "version": "1", "versionCreated": "2024-12-18T09:30:00Z",
    "by": f"Kim{FORBIDDEN}", "headlines": [{"role": "main", "value": f"Hello\u000bworld{FORBIDDEN}"}],
    "descriptions": [{"role": "summary", "value": f"Deck{FORBIDDEN}"}],
    "bodies": [{"role": "main", "contentType": "text/plain", "value": f"Body\ttext\n{FORBIDDEN}"}],
    "subjects": [{"name": f"conflict{FORBIDDEN}"}],
}


@pytest.mark.parametrize("render", [
    lambda e: render_rss("t", BASE, e),
    lambda e: render_atom("t", BASE, "urn:wirestream:feed:t", e)], ids=["rss", "atom"])
def test_a_feed_stays_well_formed_xml_whatever_characters_an_item_holds(render):
    body = render([entry_of("dirty", DIRTY, META, BASE), *entries()])
    document = etree.fromstring(body)  # strict: raises on anything not well-formed
    titles = [t.text for t in document.iter("title", "{http://www.w3.org/2005/Atom}title")]
    assert "Hello\ufffdworld" + "\ufffd" * len(FORBIDDEN) in titles
    assert "Troops & tanks <moved> north" in titles  # the other items are all there
    assert not feedparser.parse(body).bozo
