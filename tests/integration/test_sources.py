"""Ingest's pollers against a local HTTP feed server, the real Kafka and Redis —
and the attacks on them: feeds that redirect inward, inflate or drip, and drop-folder
symlinks, FIFOs and pre-placed links."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from services.cli.synthetic import synthetic_article
from services.ingest.settings import FeedSource
from services.ingest.sources import dropfolder
from services.ingest.sources.dropfolder import RedisClaims, UnsafeDropFolder, scan_drop_folder, watch_drop_folder
from services.ingest.sources.feeds import poll_feed, poll_feeds_forever
from shared.bus import make_producer
from shared.cache import Keys, connect
from shared.identity import StoryRegistry
from shared.inbound import RecordTooLarge, submit
from shared.outbound import OutboundClient, OutboundLimits, OutboundPolicy
from shared.rate_window import polled_window
from shared.topics import Topics, ensure_topics
from tests.kafka_helpers import read_topic
from tests.outbound_helpers import bomb_answer, drip_answer, gzip_bomb, peer, redirect_answer, rss_mb, text_answer

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


def feed_client(allowed: list[str], **limits) -> OutboundClient:
    return OutboundClient(OutboundPolicy.allowing(allowed), OutboundLimits(**{"deadline_s": 10, **limits}),
                          user_agent="test poller")


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

    submitted: list[bytes] = []

    async def recording_submit(payload, content_type, provider):
        submitted.append(payload)
        return await submit_polled(payload, content_type, provider)

    yield {"redis": redis, "keys": keys, "submit": recording_submit, "topics": topics, "submitted": submitted}
    await producer.stop()
    await redis.aclose()


async def test_feed_is_polled_with_conditional_get_and_a_cursor_in_redis(settings, deps):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FeedServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    feed = FeedSource(url=f"http://127.0.0.1:{server.server_port}/feed.rss", provider="testwire")
    FeedServer.requests.clear()
    try:
        async with feed_client(["127.0.0.0/8"]) as client:
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


async def test_two_ingest_replicas_fetch_a_feed_once_per_interval_not_once_each(deps):
    """Every ingest replica runs every poller: without a claim per round the feed was
    fetched twice per interval by two replicas (N times by N)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), FeedServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    feed = FeedSource(url=f"http://127.0.0.1:{server.server_port}/shared.rss", provider="testwire", interval_s=2)
    FeedServer.requests.clear()
    stop = asyncio.Event()
    try:
        async with feed_client(["127.0.0.0/8"]) as one, feed_client(["127.0.0.0/8"]) as other:
            replicas = [poll_feeds_forever([feed], stop, client=client, redis=deps["redis"], keys=deps["keys"],
                                           submit=deps["submit"]) for client in (one, other)]
            asyncio.get_running_loop().call_later(5.0, stop.set)  # rounds at about 0, 2 and 4 s
            await asyncio.wait_for(asyncio.gather(*replicas), timeout=30)
    finally:
        server.shutdown()
    assert 2 <= len(FeedServer.requests) <= 3  # six without the claim
    assert "If-None-Match" not in FeedServer.requests[0]  # one cursor: after the first, every fetch is conditional
    assert all(request["If-None-Match"] == '"v1"' for request in FeedServer.requests[1:])
    assert len(deps["submitted"]) == 1


async def test_two_ingest_replicas_on_one_drop_folder_send_each_file_once(deps, tmp_path, caplog):
    """``wire run --replicas 2`` gives both ingest replicas the same folder: each file
    went out twice, and the replica that came second reported it could not move it."""
    for i in range(6):
        (tmp_path / f"story-{i}.txt").write_bytes(synthetic_article(i, words=120, seed=3).encode())
    scans = [scan_drop_folder(tmp_path, provider="files", submit=deps["submit"], settle_s=0,
                              claim=RedisClaims(deps["redis"], deps["keys"], tmp_path, owner=owner))
             for owner in ("replica-1@host:1", "replica-2@host:2")]
    first, second = await asyncio.gather(*scans)
    assert first["submitted"] + second["submitted"] == 6 and len(deps["submitted"]) == 6
    assert sorted(p.name for p in (tmp_path / "processed").iterdir()) == [f"story-{i}.txt" for i in range(6)]
    assert "could not be moved" not in caplog.text
    # a file left in place (Kafka down, say) is the claiming replica's to try again
    (tmp_path / "late.txt").write_bytes(synthetic_article(9, words=120, seed=3).encode())
    mark = (tmp_path / "late.txt").stat()
    mark = (mark.st_ino, mark.st_size, mark.st_mtime_ns)
    mine = RedisClaims(deps["redis"], deps["keys"], tmp_path, owner="replica-1@host:1")
    theirs = RedisClaims(deps["redis"], deps["keys"], tmp_path, owner="replica-2@host:2")
    assert await mine("late.txt", mark) and await mine("late.txt", mark) and not await theirs("late.txt", mark)


async def test_a_drop_file_that_cannot_be_moved_is_not_sent_again_by_another_replica(deps, tmp_path, monkeypatch):
    """A file one replica sent but cannot move out stays in place: that replica leaves it
    alone (it remembers it), and so must the others, once the claim would have ended
    (shortened to 2 s here, 5 minutes in service), while the replica that sent it lives."""
    def move_nothing_out(folder_fd, name, target_fd):
        raise PermissionError(13, "Permission denied", name)

    monkeypatch.setattr(dropfolder, "_move", move_nothing_out)
    monkeypatch.setattr(dropfolder, "CLAIM_S", 2)
    (tmp_path / "stuck.txt").write_bytes(synthetic_article(4, words=120, seed=3).encode())

    async def replica(owner: str, start_s: float) -> None:
        await asyncio.sleep(start_s)
        claims, stuck = RedisClaims(deps["redis"], deps["keys"], tmp_path, owner=owner), {}
        for _ in range(25):  # 5 s, scanning every 0.2 s: two and a half times the claim
            await scan_drop_folder(tmp_path, provider="files", submit=deps["submit"], settle_s=0, stuck=stuck,
                                   claim=claims)
            await asyncio.sleep(0.2)

    await asyncio.gather(replica("replica-1@host:1", 0), replica("replica-2@host:2", 0.1))
    assert len(deps["submitted"]) == 1


async def test_a_drop_file_rewritten_after_it_was_listed_is_read_once_it_is_done(settings, deps, tmp_path,
                                                                                 example_article):
    """A writer that rewrites one name in place (latest.txt): the file listed and claimed
    must be the one read. A half-written one was sent and moved to processed/ while
    the writer still wrote into it."""
    story = tmp_path / "latest.txt"
    story.write_bytes(example_article)

    class RewritingClaim:  # the writer starts again between the listing and the read
        async def __call__(self, name, mark):
            if not rewritten:
                story.write_bytes(example_article[: len(example_article) // 2])
                rewritten.append(name)
            return True

        async def keep(self, name, mark):
            pass

    rewritten: list[str] = []
    first = await scan_drop_folder(tmp_path, provider="files", submit=deps["submit"], settle_s=0,
                                   claim=RewritingClaim())
    assert first == {"submitted": 0, "failed": 0, "deferred": 1, "skipped": 0} and story.exists()
    assert deps["submitted"] == []
    story.write_bytes(example_article)  # done: the next scan reads it whole
    second = await scan_drop_folder(tmp_path, provider="files", submit=deps["submit"], settle_s=0,
                                    claim=RewritingClaim())
    assert second["submitted"] == 1 and deps["submitted"] == [example_article]


async def test_drop_folder_submits_good_files_and_explains_bad_ones(settings, deps, tmp_path, example_article):
    (tmp_path / "story.txt").write_bytes(example_article)
    (tmp_path / "broken.xml").write_bytes(b"<newsItem><unclosed></newsItem>")
    (tmp_path / ".partial").write_bytes(b"being written")
    counts = await scan_drop_folder(tmp_path, provider="files", submit=deps["submit"], settle_s=0)
    assert counts == {"submitted": 1, "failed": 1, "deferred": 0, "skipped": 0}
    assert (tmp_path / "processed" / "story.txt").exists()
    assert (tmp_path / "failed" / "broken.xml").exists()
    reason = (tmp_path / "failed" / "broken.xml.error.txt").read_text()
    assert "parse_error" in reason and "line" in reason
    assert (tmp_path / ".partial").exists()
    inbound = await read_topic(settings.kafka_bootstrap, deps["topics"].inbound, expect=1)
    assert [r.value for r in inbound] == [example_article]


async def poll(deps, url: str, client: OutboundClient) -> tuple[str, str]:
    """(outcome, the cursor's last_error) of one poll of ``url``."""
    feed = FeedSource(url=url, provider="testwire")
    outcome = await poll_feed(feed, client=client, redis=deps["redis"], keys=deps["keys"], submit=deps["submit"])
    cursor = await deps["redis"].hgetall(deps["keys"].feed_cursor(url))
    return outcome, cursor.get(b"last_error", b"").decode()


def rss_of(tag: str, items: int) -> bytes:
    """An RSS feed of ``items`` new stories (guids unique to ``tag``)."""
    entries = "".join(f"<item><title>Story {n} of {tag}</title><guid>urn:test:{tag}:{n}</guid>"
                      f"<description>Report {n} from {tag}: the council met again.</description></item>"
                      for n in range(items))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>{tag}</title><link>http://127.0.0.1/</link>'
            f"<description>t</description>{entries}</channel></rss>").encode()


async def test_a_poller_sends_no_more_new_items_than_its_providers_rate_limit(settings, deps, tmp_path):
    """A hostile feed server (or a drop-folder writer) made 20,000 new stories of 669 KB
    at every poll, flooding enrichment for every provider: the new items count against
    the provider's limit in the gateway's window. What does not fit sends nothing and
    is not counted (the feed is fetched again, the file waits); what can never fit says
    so (the feed's last error; the file in failed/)."""
    tag = uuid.uuid4().hex[:8]
    provider, limit = f"rated-{tag}", 3
    if (left := 60 - time.time() % 60) < 30:  # all of it in one minute's window
        await asyncio.sleep(left + 0.1)
    registry = StoryRegistry(deps["redis"], deps["keys"])
    producer = make_producer(settings)
    await producer.start()

    async def limited_submit(payload, content_type, provider):
        return await submit(payload, content_type, provider=provider, producer=producer, registry=registry,
                            topic=deps["topics"].inbound, source="test",
                            window=polled_window(deps["redis"], deps["keys"], provider, limit))

    def window() -> str:
        return deps["keys"].rate(provider, int(time.time() // 60))

    async def poll_rss(body: bytes, path: str) -> tuple[str, dict]:
        with peer(text_answer(body, content_type="application/rss+xml")) as server:
            async with feed_client(["127.0.0.0/8"]) as client:
                feed = FeedSource(url=server.url(path), provider=provider)
                outcome = await poll_feed(feed, client=client, redis=deps["redis"], keys=deps["keys"],
                                          submit=limited_submit)
        return outcome, await deps["redis"].hgetall(deps["keys"].feed_cursor(feed.url))

    try:
        assert (await poll_rss(rss_of(f"{tag}a", 2), "/a.rss"))[0] == "submitted"
        assert await deps["redis"].get(window()) == b"2"
        outcome, cursor = await poll_rss(rss_of(f"{tag}b", 2), "/b.rss")  # 2 + 2 > 3
        assert outcome == "rate_limited" and cursor[b"last_error"].startswith(b"rate_limited: ")
        assert b"etag" not in cursor or not cursor[b"etag"]
        assert await deps["redis"].get(window()) == b"2"  # not counted: nothing was sent
        outcome, cursor = await poll_rss(rss_of(f"{tag}c", 5), "/c.rss")
        assert outcome == "rate_limited" and cursor[b"last_error"].startswith(b"too_many_articles: ")

        (tmp_path / "waits.rss").write_bytes(rss_of(f"{tag}d", 2))
        (tmp_path / "waits2.rss").write_bytes(rss_of(f"{tag}f", 1))
        (tmp_path / "never.rss").write_bytes(rss_of(f"{tag}e", 5))
        paused: dict[str, float] = {}
        counts = await scan_drop_folder(tmp_path, provider=provider, submit=limited_submit, settle_s=0, paused=paused)
        # waits.rss does not fit: the scan stops there (waits2.rss would, but is the same provider's, read later)
        assert counts == {"submitted": 0, "failed": 1, "deferred": 1, "skipped": 0}
        assert (tmp_path / "waits.rss").exists() and (tmp_path / "waits2.rss").exists()
        assert "too_many_articles" in (tmp_path / "failed" / "never.rss.error.txt").read_text()
        assert paused["until"] > time.time()
        assert await scan_drop_folder(tmp_path, provider=provider, submit=limited_submit, settle_s=0,
                                      paused=paused) == {"submitted": 0, "failed": 0, "deferred": 0, "skipped": 0}

        # counted, then refused by Kafka (a record over its size): taken back, as nothing was sent
        small = make_producer(settings, max_request_size=1024)
        await small.start()
        try:
            with pytest.raises(RecordTooLarge):
                await submit(rss_of(f"{tag}g", 1) + b" " * 2048, "application/rss+xml", provider=provider,
                             producer=small, registry=registry, topic=deps["topics"].inbound, source="test",
                             window=polled_window(deps["redis"], deps["keys"], provider, limit))
        finally:
            await small.stop()
        assert await deps["redis"].get(window()) == b"2"
    finally:
        await producer.stop()
    inbound = await read_topic(settings.kafka_bootstrap, deps["topics"].inbound, expect=2, timeout=5)
    assert [r.value for r in inbound] == [rss_of(f"{tag}a", 2)]  # only what fitted


async def test_a_feed_redirecting_to_an_internal_address_is_refused_and_nothing_is_published(deps):
    with peer(text_answer(RSS.replace(b"Harbour", b"INTERNAL"), content_type="application/rss+xml"),
              host="127.0.0.2") as internal, peer(redirect_answer(internal.url("/admin/feed"))) as feed:
        async with feed_client(["127.0.0.1/32"]) as client:  # the feed's own address only
            outcome, error = await poll(deps, feed.url("/feed.rss"), client)
        assert outcome == "refused" and "127.0.0.2 is a loopback address" in error
        assert internal.requests == [] and deps["submitted"] == []
        async with feed_client(["127.0.0.0/8"]) as client:  # control: allowed, it is followed
            outcome, _ = await poll(deps, feed.url("/other.rss"), client)
        assert outcome == "submitted" and internal.requests == ["GET /admin/feed"]


async def test_a_feed_on_an_internal_address_is_refused_by_default(deps):
    with peer(text_answer(RSS, content_type="application/rss+xml")) as feed:
        async with feed_client([]) as client:
            outcome, error = await poll(deps, feed.url("/feed.rss"), client)
    assert outcome == "refused" and "loopback" in error
    assert feed.requests == [] and deps["submitted"] == []


async def test_a_gzip_bomb_feed_is_refused_at_the_cap_without_inflating(deps):
    bomb = gzip_bomb(200 * 1024 * 1024)
    before = rss_mb()
    with peer(bomb_answer(bomb)) as feed:
        async with feed_client(["127.0.0.0/8"], max_bytes=5 * 1024 * 1024) as client:
            outcome, error = await poll(deps, feed.url("/feed.rss"), client)
    assert outcome == "too_large" and "decoded" in error
    assert deps["submitted"] == []
    assert rss_mb() - before < 100


async def test_a_dripping_feed_ends_at_the_deadline(deps):
    with peer(drip_answer(every_s=0.5)) as feed:
        async with feed_client(["127.0.0.0/8"], deadline_s=1.5) as client:
            outcome, error = await poll(deps, feed.url("/feed.rss"), client)
    assert outcome == "fetch_failed" and "DeadlineExceeded" in error and deps["submitted"] == []


async def test_drop_folder_reads_regular_files_only(deps, tmp_path, example_article):
    drop, outside = tmp_path / "drop", tmp_path / "outside"
    drop.mkdir()
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_bytes(b"root:x:0:0 not for the wire")
    (drop / "link.txt").symlink_to(secret)
    (drop / "dirlink").symlink_to(outside)
    os.mkfifo(drop / "pipe.xml")  # reading it would block the scan forever
    (drop / "story.txt").write_bytes(example_article)
    reported: set[str] = set()
    counts = await scan_drop_folder(drop, provider="files", submit=deps["submit"], settle_s=0, reported=reported)
    assert counts == {"submitted": 1, "failed": 0, "deferred": 0, "skipped": 3}
    assert deps["submitted"] == [example_article]
    assert reported == {"link.txt", "dirlink", "pipe.xml"}
    assert (drop / "link.txt").is_symlink() and secret.read_bytes().startswith(b"root")
    again = await scan_drop_folder(drop, provider="files", submit=deps["submit"], settle_s=0, reported=reported)
    assert again["skipped"] == 3 and deps["submitted"] == [example_article]


async def test_a_pre_placed_error_file_symlink_is_never_written_through(deps, tmp_path):
    drop, target = tmp_path / "drop", tmp_path / "victim.conf"
    (drop / "failed").mkdir(parents=True)
    target.write_text("precious\n")
    (drop / "failed" / "broken.xml.error.txt").symlink_to(target)
    (drop / "broken.xml").write_bytes(b"<newsItem><unclosed></newsItem>")
    counts = await scan_drop_folder(drop, provider="files", submit=deps["submit"], settle_s=0)
    assert counts["failed"] == 1
    assert target.read_text() == "precious\n"
    assert (drop / "failed" / "broken.xml.error.txt").is_symlink()
    assert "parse_error" in (drop / "failed" / "broken.xml.1.error.txt").read_text()


async def test_a_symlinked_processed_folder_stops_the_watcher_and_moves_nothing(deps, tmp_path, example_article):
    drop, elsewhere = tmp_path / "drop", tmp_path / "elsewhere"
    drop.mkdir()
    elsewhere.mkdir()
    (drop / "processed").symlink_to(elsewhere)
    (drop / "story.txt").write_bytes(example_article)
    with pytest.raises(UnsafeDropFolder, match="processed/"):
        await watch_drop_folder(drop, asyncio.Event(), interval_s=0.1, provider="files", submit=deps["submit"],
                                settle_s=0)
    with pytest.raises(UnsafeDropFolder):
        await scan_drop_folder(drop, provider="files", submit=deps["submit"], settle_s=0)
    assert list(elsewhere.iterdir()) == [] and (drop / "story.txt").exists() and deps["submitted"] == []


async def test_a_drop_file_over_the_size_limit_fails_with_the_reason(deps, tmp_path):
    (tmp_path / "huge.txt").write_bytes(b"word " * 50_000)
    counts = await scan_drop_folder(tmp_path, provider="files", submit=deps["submit"], settle_s=0, max_bytes=100_000)
    assert counts["failed"] == 1 and deps["submitted"] == []
    assert "too_large" in (tmp_path / "failed" / "huge.txt.error.txt").read_text()


async def test_a_file_name_as_long_as_allowed_dropped_twice_is_moved_and_explained(deps, tmp_path, example_article):
    """A free name for a name already in processed/ or failed/ is longer (numbered), and
    so is the reason's ``.error.txt``: past the 255 bytes a name may have, the rename
    failed on every scan and stopped it, and the files after it were never read."""
    long_story, long_broken = "a" * 251 + ".txt", "b" * 251 + ".xml"
    (tmp_path / "processed").mkdir()
    (tmp_path / "failed").mkdir()
    (tmp_path / "processed" / long_story).write_bytes(b"an earlier drop of that name")
    (tmp_path / "failed" / long_broken).write_bytes(b"an earlier drop of that name")
    (tmp_path / long_story).write_bytes(example_article)
    (tmp_path / long_broken).write_bytes(b"<newsItem><unclosed></newsItem>")
    (tmp_path / "z-after.txt").write_bytes(synthetic_article(7301, words=60).encode())
    counts = await scan_drop_folder(tmp_path, provider="files", submit=deps["submit"], settle_s=0)
    assert counts == {"submitted": 2, "failed": 1, "deferred": 0, "skipped": 0}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["failed", "processed"]
    assert len(list((tmp_path / "processed").iterdir())) == 3
    [reason] = (tmp_path / "failed").glob("*.error.txt")
    assert "parse_error" in reason.read_text() and len(reason.name.encode()) <= 255


async def test_a_long_name_that_is_no_utf8_dropped_twice_is_moved_as_its_bytes(deps, tmp_path, example_article):
    name = os.fsdecode(b"\xe9" * 250 + b".txt")  # Latin-1 bytes: surrogate escapes in Python
    for folder in ("processed", "failed"):
        (tmp_path / folder).mkdir()
    (tmp_path / "processed" / name).write_bytes(b"an earlier drop of that name")
    (tmp_path / name).write_bytes(example_article)
    counts = await scan_drop_folder(tmp_path, provider="files", submit=deps["submit"], settle_s=0)
    assert counts == {"submitted": 1, "failed": 0, "deferred": 0, "skipped": 0}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["failed", "processed"]


def test_ingest_refuses_to_start_with_a_symlinked_failed_folder(settings, tmp_path):
    drop, elsewhere = tmp_path / "drop", tmp_path / "elsewhere"
    drop.mkdir()
    elsewhere.mkdir()
    (drop / "failed").symlink_to(elsewhere)
    env = {**os.environ, "WIRE_DROP_DIR": str(drop), "WIRE_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
           "WIRE_REDIS_URL": settings.redis_url, "WIRE_TOPIC_PREFIX": settings.topic_prefix,
           "WIRE_METRICS_PORT": "-1", "PYTHONPATH": str(Path(__file__).parents[2])}
    started = subprocess.run([sys.executable, "-m", "services.ingest"], env=env, capture_output=True, text=True,
                             timeout=120)
    assert started.returncode != 0
    assert "UnsafeDropFolder" in started.stderr and "failed/ of the drop folder is a symlink" in started.stderr
