"""Ingest's pollers against a local HTTP feed server, the real Kafka and Redis."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from services.ingest.settings import FeedSource
from services.ingest.sources.dropfolder import scan_drop_folder
from services.ingest.sources.feeds import poll_feed
from shared.bus import make_producer
from shared.cache import Keys, connect
from shared.identity import StoryRegistry
from shared.inbound import submit
from shared.topics import Topics, ensure_topics
from tests.kafka_helpers import read_topic

pytestmark = pytest.mark.integration

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Test wire</title><link>http://127.0.0.1/</link><description>t</description>
<language>en</language>
<item><title>Harbour reopens after storm</title><guid>urn:test:harbour-1</guid>
<description>The harbour reopened on Monday after the storm. Ferries resumed their routes.</description>
<pubDate>Mon, 03 Mar 2025 10:00:00 GMT</pubDate></item>
<item><title>Council approves budget</title><guid>urn:test:budget-1</guid>
<description>The council approved the budget on Monday evening after a long debate.</description>
<pubDate>Mon, 03 Mar 2025 11:00:00 GMT</pubDate></item>
</channel></rss>"""


class FeedServer(BaseHTTPRequestHandler):
    requests: list[dict] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        FeedServer.requests.append(dict(self.headers))
        if self.headers.get("If-None-Match") == '"v1"':
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("ETag", '"v1"')
        self.send_header("Last-Modified", "Mon, 03 Mar 2025 11:00:00 GMT")
        self.end_headers()
        self.wfile.write(RSS)

    def log_message(self, *args):
        pass


@pytest.fixture
async def deps(settings):
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, topics, partitions=1)
    redis = connect(settings.redis_url)
    keys = Keys(settings.topic_prefix)
    producer = make_producer(settings)
    await producer.start()
    registry = StoryRegistry(redis, keys)

    async def submit_polled(payload, content_type, provider):
        return await submit(payload, content_type, provider=provider, producer=producer, registry=registry,
                            topic=topics.inbound, source="test")

    yield {"redis": redis, "keys": keys, "submit": submit_polled, "topics": topics}
    await producer.stop()
    await redis.aclose()


async def test_feed_is_polled_with_conditional_get_and_a_cursor_in_redis(settings, deps):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FeedServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    feed = FeedSource(url=f"http://127.0.0.1:{server.server_port}/feed.rss", provider="testwire")
    FeedServer.requests.clear()
    try:
        async with httpx.AsyncClient() as client:
            first = await poll_feed(feed, client=client, redis=deps["redis"], keys=deps["keys"], submit=deps["submit"])
            second = await poll_feed(feed, client=client, redis=deps["redis"], keys=deps["keys"], submit=deps["submit"])
    finally:
        server.shutdown()
    assert (first, second) == ("submitted", "not_modified")
    assert "If-None-Match" not in FeedServer.requests[0]
    assert FeedServer.requests[1]["If-None-Match"] == '"v1"'
    assert FeedServer.requests[1]["If-Modified-Since"] == "Mon, 03 Mar 2025 11:00:00 GMT"
    cursor = await deps["redis"].hgetall(deps["keys"].feed_cursor(feed.url))
    assert cursor[b"etag"] == b'"v1"' and cursor[b"items_sent"] == b"2"
    inbound = await read_topic(settings.kafka_bootstrap, deps["topics"].inbound, expect=1)
    assert len(inbound) == 1 and inbound[0].value == RSS


async def test_drop_folder_submits_good_files_and_explains_bad_ones(settings, deps, tmp_path, example_article):
    (tmp_path / "story.txt").write_bytes(example_article)
    (tmp_path / "broken.xml").write_bytes(b"<newsItem><unclosed></newsItem>")
    (tmp_path / ".partial").write_bytes(b"being written")
    counts = await scan_drop_folder(tmp_path, provider="files", submit=deps["submit"], settle_s=0)
    assert counts == {"submitted": 1, "failed": 1, "deferred": 0}
    assert (tmp_path / "processed" / "story.txt").exists()
    assert (tmp_path / "failed" / "broken.xml").exists()
    reason = (tmp_path / "failed" / "broken.xml.error.txt").read_text()
    assert "parse_error" in reason and "line" in reason
    assert (tmp_path / ".partial").exists()
    inbound = await read_topic(settings.kafka_bootstrap, deps["topics"].inbound, expect=1)
    assert [r.value for r in inbound] == [example_article]
