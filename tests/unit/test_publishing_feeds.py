"""RSS, Atom and JSON Feed rendering, read back with feedparser."""
from __future__ import annotations

import feedparser
import orjson

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
