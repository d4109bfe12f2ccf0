"""The feed poller against hostile feed servers (local HTTP peers built in each test):
validators it must not send back, one foreign item in a feed, credentials in the
feed's URL, and failures nobody foresaw. Redis is an in-memory double of the few hash
commands the poller uses; Kafka a producer double that records what was sent
(``tests.unit.ingest.helpers``)."""
from __future__ import annotations

import asyncio
import logging
import threading
import time
import traceback
from types import SimpleNamespace

import pytest

from services.ingest.handlers import ingest
from services.ingest.settings import FeedSource, IngestSettings
from services.ingest.sources.feeds import (MIN_POLL_GAP_S, claim_round, end_round, feed_client, poll_feed,
                                           poll_feeds_forever)
from shared.cache import Keys
from shared.events import ArticleReceived, utcnow
from shared.heartbeat import last_error
from shared.inbound import Submission, received_from_record, send_submission, submit
from shared.outbound import OutboundClient, OutboundLimits, OutboundPolicy
from shared.outbound.redact import redact_url, url_reference
from tests.outbound_helpers import peer, text_answer
from tests.unit.ingest.helpers import DownRedis, MemoryRedis, Owners, RecordingProducer, raw_answer, rss

# A feed's credentials: a password, a query key, and a token in its path, which
# redact_url would keep (https://wire.example/feeds/<token>/rss).
PATH_TOKEN = "feedtoken-9d41c7"
SECRETS = ("s3cret", "TOPSECRET", PATH_TOKEN)


def with_credentials(server, path: str = f"/feeds/{PATH_TOKEN}/rss?apikey=TOPSECRET&lang=en") -> str:
    return server.url(path).replace("://", "://bob:s3cret@")


def leaks(*texts: str) -> list[str]:
    return [text for text in texts if any(secret in text for secret in SECRETS)]


def logged(caplog) -> list[str]:
    """Every record as an operator reads it: the message and every field of it."""
    return [f"{r.getMessage()} {vars(r)}" for r in caplog.records]


def client() -> OutboundClient:
    return OutboundClient(OutboundPolicy.allowing(["127.0.0.0/8"]), OutboundLimits(deadline_s=5), user_agent="test")


async def accept_all(body, content_type, provider):
    return Submission()


async def test_a_validator_that_is_not_printable_ascii_is_never_sent_back():
    seen: list[dict] = []
    redis, keys = MemoryRedis(), Keys("t.")
    answer = raw_answer(rss("g1"), b'ETag: "caf\xc3\xa9"', b"Last-Modified: Mon, 03 Mar 2025 \xe2\x80\x8b11:00 GMT",
                        seen=seen)
    with peer(answer) as server:
        feed = FeedSource(url=server.url("/rss"), provider="ap")
        async with client() as http:
            outcomes = [await poll_feed(feed, client=http, redis=redis, keys=keys, submit=accept_all)
                        for _ in range(2)]
    assert outcomes == ["submitted", "submitted"]
    assert "If-None-Match" not in seen[1] and "If-Modified-Since" not in seen[1]
    cursor = await redis.hgetall(keys.feed_cursor(feed.url))
    assert cursor[b"etag"] == b"" and cursor[b"last_modified"] == b"" and cursor[b"last_error"] == b""


async def test_a_bad_validator_already_in_the_cursor_is_dropped_not_sent():
    """A cursor written before the validators were checked (the crash loop at every
    restart): its not-ASCII ETag is ignored, the feed is fetched in full."""
    seen: list[dict] = []
    redis, keys = MemoryRedis(), Keys("t.")
    with peer(raw_answer(rss("g1"), b'ETag: "v2"', seen=seen)) as server:
        feed = FeedSource(url=server.url("/rss"), provider="ap")
        await redis.hset(keys.feed_cursor(feed.url), mapping={"etag": '"caf\xe9"'.encode(), "last_modified": b""})
        async with client() as http:
            outcome = await poll_feed(feed, client=http, redis=redis, keys=keys, submit=accept_all)
    assert outcome == "submitted" and "If-None-Match" not in seen[0]
    assert (await redis.hgetall(keys.feed_cursor(feed.url)))[b"etag"] == b'"v2"'


async def test_a_foreign_item_is_refused_and_the_rest_of_the_feed_goes_on():
    redis, keys, producer = MemoryRedis(), Keys("t."), RecordingProducer()
    registry = Owners("urn:wirestream:ap:g-squatted")
    body = rss("g1", "g2", "g-squatted", "g3")

    async def submit_polled(payload, content_type, provider):
        return await submit(payload, content_type, provider=provider, producer=producer, registry=registry,
                            topic="t.wire.inbound", source="test")

    with peer(raw_answer(body, b'ETag: "v1"')) as server:
        feed = FeedSource(url=server.url("/rss"), provider="ap")
        async with client() as http:
            first = await poll_feed(feed, client=http, redis=redis, keys=keys, submit=submit_polled)
            second = await poll_feed(feed, client=http, redis=redis, keys=keys, submit=submit_polled)
    # the payload goes on whole: ingest sends its own items on and dead-letters the foreign one
    assert (first, second) == ("submitted", "not_modified")
    assert producer.sent == [body]
    cursor = await redis.hgetall(keys.feed_cursor(feed.url))
    assert cursor[b"etag"] == b'"v1"' and cursor[b"items_sent"] == b"3" and cursor[b"items_refused"] == b"1"
    assert b"not-owner" in cursor[b"last_error"] and b"urn:wirestream:ap:g-squatted" in cursor[b"last_error"]


async def test_ingest_dead_letters_the_refused_item_of_a_polled_feed_and_lets_the_rest_flow():
    """What the poller counts on when it sends a feed with a refused item in it."""
    body = rss("g1", "g-squatted")
    received = ArticleReceived(event_id="e1", article_id="a1", uri="urn:wirestream:ap:g1", provider="ap",
                               content_type="application/rss+xml", received_at=utcnow(), traceparent="",
                               payload=body)
    events, not_owner = await ingest(received, registry=Owners("urn:wirestream:ap:g-squatted"))
    assert [e.article.uri for e in events] == ["urn:wirestream:ap:g1"]
    assert not_owner is not None and "urn:wirestream:ap:g-squatted (owned by mallory)" in str(not_owner)


async def test_an_item_whose_uri_is_too_long_is_refused_alone_and_the_rest_of_the_feed_goes_on():
    """One absurd guid (5,000 characters; a story's uri may take 4,096) held a whole
    third-party feed back: every poll was 'unreadable' until the item aged out."""
    redis, keys, producer = MemoryRedis(), Keys("t."), RecordingProducer()
    body = rss("g1", "g" * 5000, "g3")

    async def submit_polled(payload, content_type, provider):
        return await submit(payload, content_type, provider=provider, producer=producer, registry=Owners(),
                            topic="t.wire.inbound", source="test")

    with peer(raw_answer(body, b'ETag: "v1"')) as server:
        feed = FeedSource(url=server.url("/rss"), provider="ap")
        async with client() as http:
            outcome = await poll_feed(feed, client=http, redis=redis, keys=keys, submit=submit_polled)
    assert outcome == "submitted" and producer.sent == [body]
    cursor = await redis.hgetall(keys.feed_cursor(feed.url))
    assert cursor[b"etag"] == b'"v1"' and cursor[b"items_sent"] == b"2" and cursor[b"items_refused"] == b"1"
    assert b"item 2" in cursor[b"last_error"] and b"characters long" in cursor[b"last_error"]
    assert len(cursor[b"last_error"]) <= 500

    # ingest, reading the feed it was sent, lets the two flow and dead-letters the third's reason
    received = ArticleReceived(event_id="e1", article_id="a1", uri="urn:wirestream:ap:g1", provider="ap",
                               content_type="application/rss+xml", received_at=utcnow(), traceparent="",
                               payload=body)
    events, refusal = await ingest(received, registry=Owners())
    assert [e.article.uri for e in events] == ["urn:wirestream:ap:g1", "urn:wirestream:ap:g3"]
    assert refusal.code == "parse_error" and "item 2" in str(refusal) and "g" * 100 not in str(refusal)


async def test_a_payload_s_refused_items_make_one_dead_letter_naming_them_all():
    """One dead letter per payload, whatever it refuses: one per item, each carrying the
    whole payload, grew the DLQ by the square of their number at every replay."""
    body = rss("g1", "g" * 5000, "g-squatted", "h" * 6000)
    received = ArticleReceived(event_id="e1", article_id="a1", uri="urn:wirestream:ap:g1", provider="ap",
                               content_type="application/rss+xml", received_at=utcnow(), traceparent="",
                               payload=body)
    events, refusal = await ingest(received, registry=Owners("urn:wirestream:ap:g-squatted"))
    assert [e.article.uri for e in events] == ["urn:wirestream:ap:g1"]
    assert refusal.code == "not-owner" and "urn:wirestream:ap:g-squatted" in str(refusal)
    assert "2 item(s) cannot be a story" in str(refusal) and "item 2" in str(refusal) and "item 4" in str(refusal)


async def test_a_feed_of_foreign_items_only_is_dead_lettered_once_per_change_and_still_advances():
    """A feed whose only new items are refused was sent nowhere: its refusal reached
    no DLQ, only the cursor and the log. Now it is sent for ingest to dead-letter:
    once, not at every poll of a feed without validators (nor when its items only
    move), and again when what it refuses changes, at most once an hour."""
    redis, keys, producer = MemoryRedis(), Keys("t."), RecordingProducer()
    registry = Owners("urn:wirestream:ap:g1", "urn:wirestream:ap:g2")
    bodies = [rss("g1")]

    def changing(h) -> None:  # no validators: every poll is a 200 with the feed as it is now
        body = bodies[-1]
        h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: %d\r\n"
                      b"Connection: close\r\n\r\n" % len(body) + body)

    async def submit_polled(payload, content_type, provider):
        return await submit(payload, content_type, provider=provider, producer=producer, registry=registry,
                            topic="t.wire.inbound", source="test")

    async def dead_letter(payload, content_type, provider, submission):
        await send_submission(submission, payload, content_type, provider=provider, producer=producer,
                              topic="t.wire.inbound", source="test", refusals_alone=True)

    with peer(changing) as server:
        feed = FeedSource(url=server.url("/rss"), provider="ap")
        async with client() as http:
            async def poll() -> str:
                return await poll_feed(feed, client=http, redis=redis, keys=keys, submit=submit_polled,
                                       dead_letter=dead_letter)

            assert await poll() == "submitted" and producer.sent == [rss("g1")]
            assert await poll() == "submitted" and len(producer.sent) == 1  # the same refusal: not again
            bodies.append(rss("g2", "g1", "g1"))
            assert await poll() == "submitted" and len(producer.sent) == 1  # g2 refused too: within the hour
            bodies.append(rss("g1", "g2", "g" * 5000))
            assert await poll() == "submitted" and len(producer.sent) == 1  # and an absurd guid: still within it
            await redis.hset(keys.feed_cursor(feed.url), "refusal_lettered_at", str(time.time() - 3601))
            assert await poll() == "submitted" and producer.sent == [rss("g1"), rss("g1", "g2", "g" * 5000)]
            bodies.append(rss("g" * 5000, "g2", "g1"))  # the same items in another order: not again
            await redis.hset(keys.feed_cursor(feed.url), "refusal_lettered_at", str(time.time() - 3601))
            assert await poll() == "submitted" and len(producer.sent) == 2
    cursor = await redis.hgetall(keys.feed_cursor(feed.url))
    assert cursor[b"items_sent"] == b"0" and cursor[b"items_refused"] == b"3"
    assert cursor[b"last_error"].startswith(b"3 item(s) refused: not-owner")
    assert b"urn:wirestream:ap:g2" in cursor[b"last_error"] and b"characters long" in cursor[b"last_error"]

    # what was sent names no story, and ingest turns it into one dead letter naming both items
    topic, key, payload, headers = producer.records[-1]
    assert topic == "t.wire.inbound" and key.startswith(b"urn:wirestream-refused:")
    received = received_from_record(SimpleNamespace(headers=headers, value=payload))
    events, refusal = await ingest(received, registry=registry)
    assert events == [] and refusal.code == "not-owner"
    assert "urn:wirestream:ap:g1" in str(refusal) and "urn:wirestream:ap:g2" in str(refusal)
    assert "1 item(s) cannot be a story" in str(refusal)


async def test_without_a_dead_letter_a_feed_of_foreign_items_only_sends_nothing_and_still_advances():
    redis, keys, producer = MemoryRedis(), Keys("t."), RecordingProducer()

    async def submit_polled(payload, content_type, provider):
        return await submit(payload, content_type, provider=provider, producer=producer,
                            registry=Owners("urn:wirestream:ap:g1"), topic="t.wire.inbound", source="test")

    with peer(raw_answer(rss("g1"), b'ETag: "v1"')) as server:
        feed = FeedSource(url=server.url("/rss"), provider="ap")
        async with client() as http:
            outcome = await poll_feed(feed, client=http, redis=redis, keys=keys, submit=submit_polled)
    assert outcome == "submitted" and producer.sent == []
    cursor = await redis.hgetall(keys.feed_cursor(feed.url))
    assert cursor[b"etag"] == b'"v1"' and b"urn:wirestream:ap:g1" in cursor[b"last_error"]


async def test_credentials_in_the_feed_url_are_kept_out_of_redis_keys_cursor_and_logs(caplog):
    redis, keys = MemoryRedis(), Keys("t.")
    caplog.set_level(logging.DEBUG)
    with peer(text_answer(b"down", status=500)) as server:
        url = with_credentials(server)
        feed = FeedSource(url=url, provider="ap")
        async with feed_client(IngestSettings(outbound_allowed_networks=["127.0.0.0/8"])) as http:
            outcome = await poll_feed(feed, client=http, redis=redis, keys=keys, submit=accept_all)
    assert outcome == "fetch_failed"
    assert server.requests == [f"GET /feeds/{PATH_TOKEN}/rss?apikey=TOPSECRET&lang=en"]
    assert leaks(repr(redis.hashes), *logged(caplog)) == []
    # the feed is named by its host and a digest of its URL, the cursor's key by the whole digest
    warning = next(r for r in caplog.records if r.getMessage() == "feed poll failed")
    assert (warning.feed, warning.provider) == (url_reference(url), "ap")
    assert warning.feed.startswith(f"http://127.0.0.1:{server.port}/... sha256:")
    assert keys.feed_cursor(url).partition("sha256:")[2].startswith(warning.feed.rpartition("sha256:")[2])
    cursor = await redis.hgetall(keys.feed_cursor(url))
    assert cursor[b"feed"] == url_reference(url).encode() and cursor[b"provider"] == b"ap"


async def test_a_polled_feed_puts_none_of_its_url_on_kafka_or_in_its_cursor(caplog):
    redis, keys, producer = MemoryRedis(), Keys("t."), RecordingProducer()
    caplog.set_level(logging.DEBUG)

    async def submit_polled(payload, content_type, provider):
        return await submit(payload, content_type, provider=provider, producer=producer, registry=Owners(),
                            topic="t.wire.inbound", source=f"wirestream/ingest/{provider}")

    with peer(raw_answer(rss("g1", "g2"), b'ETag: "v1"')) as server:
        url = with_credentials(server)
        async with client() as http:
            outcome = await poll_feed(FeedSource(url=url, provider="ap"), client=http, redis=redis, keys=keys,
                                      submit=submit_polled)
    assert outcome == "submitted" and len(producer.records) == 1
    shown = [f"{topic} {key!r} {value!r} {headers!r}" for topic, key, value, headers in producer.records]
    assert leaks(*shown, repr(redis.hashes), *logged(caplog)) == []
    cursor = await redis.hgetall(keys.feed_cursor(url))
    assert cursor[b"feed"] == url_reference(url).encode() and cursor[b"etag"] == b'"v1"'


async def test_a_cursor_under_the_old_clear_text_key_is_taken_over_once_and_removed():
    seen: list[dict] = []
    redis, keys, stop = MemoryRedis(), Keys("t."), asyncio.Event()
    with peer(raw_answer(rss("g1"), b'ETag: "v1"', seen=seen)) as server:
        url = server.url("/rss").replace("://", "://bob:s3cret@")
        old_key = f"t.wire:feed:{url}"
        await redis.hset(old_key, mapping={"etag": b'"v1"', "last_modified": b""})
        asyncio.get_running_loop().call_later(0.5, stop.set)
        async with client() as http:
            await asyncio.wait_for(poll_feeds_forever([FeedSource(url=url, provider="ap")], stop, client=http,
                                                      redis=redis, keys=keys, submit=accept_all), timeout=10)
    assert [request["If-None-Match"] for request in seen] == ['"v1"']  # one poll, answered 304
    assert old_key not in redis.hashes
    assert redis.hashes[keys.feed_cursor(url)]["etag"] == b'"v1"'
    assert keys.feed_cursor(url) != old_key and "s3cret" not in keys.feed_cursor(url)


async def test_one_feed_failing_in_an_unforeseen_way_does_not_stop_the_others(caplog):
    redis, keys, stop = MemoryRedis(), Keys("t."), asyncio.Event()
    polled: list[str] = []

    async def submit_polled(payload, content_type, provider):
        polled.append(provider)
        if provider == "broken":
            raise RuntimeError("nobody saw this coming")
        stop.set()
        return Submission()

    with peer(raw_answer(rss("g1"))) as server:
        broken = FeedSource(url=server.url("/a.rss?apikey=TOPSECRET"), provider="broken")
        fine = FeedSource(url=server.url("/b.rss"), provider="fine")
        async with client() as http:
            await asyncio.wait_for(poll_feeds_forever([broken, fine], stop, client=http, redis=redis, keys=keys,
                                                      submit=submit_polled), timeout=10)
    assert sorted(polled) == ["broken", "fine"]
    cursor = await redis.hgetall(keys.feed_cursor(broken.url))
    assert b"RuntimeError: nobody saw this coming" in cursor[b"last_error"]
    failure = next(r for r in caplog.records if r.getMessage() == "feed poll crashed")
    assert failure.feed == url_reference(broken.url) and failure.provider == "broken"


async def test_a_slow_feed_server_does_not_hold_back_the_other_feeds():
    """A feed server that keeps its answer back (up to the fetch's deadline) holds its
    own poll, not the turn of the feeds after it in the list."""
    redis, keys, stop = MemoryRedis(), Keys("t."), asyncio.Event()
    release = threading.Event()
    slow_poll_over_when_fine_sent: list[bool] = []

    def answer(h):
        if h.path.startswith("/slow"):
            release.wait(10)
        raw_answer(rss("g1"))(h)

    with peer(answer) as server:
        slow = FeedSource(url=server.url("/slow.rss"), provider="slow")
        fine = FeedSource(url=server.url("/fine.rss"), provider="fine")

        async def submit_polled(payload, content_type, provider):
            if provider == "fine":  # the slow poll ends by writing its cursor
                slow_poll_over_when_fine_sent.append(keys.feed_cursor(slow.url) in redis.hashes)
                release.set()
            else:
                stop.set()
            return Submission()

        try:
            async with client() as http:
                await asyncio.wait_for(poll_feeds_forever([slow, fine], stop, client=http, redis=redis, keys=keys,
                                                          submit=submit_polled), timeout=15)
        finally:
            release.set()
    assert slow_poll_over_when_fine_sent == [False]
    assert redis.hashes[keys.feed_cursor(slow.url)]["last_error"] == b""  # then answered, and submitted


async def test_no_more_feeds_are_fetched_at_once_than_the_concurrency_allows():
    redis, keys, stop = MemoryRedis(), Keys("t."), asyncio.Event()
    lock, in_flight, most = threading.Lock(), [0], [0]

    def answer(h):
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        time.sleep(0.3)
        with lock:
            in_flight[0] -= 1
        raw_answer(rss("g1"))(h)

    submitted: list[str] = []

    async def submit_polled(payload, content_type, provider):
        submitted.append(provider)
        if len(submitted) == 4:
            stop.set()
        return Submission()

    with peer(answer) as server:
        feeds = [FeedSource(url=server.url(f"/{n}.rss"), provider=f"p{n}") for n in range(4)]
        async with client() as http:
            await asyncio.wait_for(poll_feeds_forever(feeds, stop, client=http, redis=redis, keys=keys,
                                                      submit=submit_polled, concurrency=2), timeout=15)
    assert sorted(submitted) == ["p0", "p1", "p2", "p3"]
    assert most[0] == 2


async def test_a_feed_is_never_polled_more_than_once_a_second_whatever_its_interval():
    """A feed configured to be polled every millisecond would have the poller ask its
    server hundreds of times a second (884 in the review): a poll waits at least
    MIN_POLL_GAP_S after the one before."""
    redis, keys, stop = MemoryRedis(), Keys("t."), asyncio.Event()
    fetched: list[float] = []

    def answer(h):
        fetched.append(time.monotonic())
        raw_answer(rss("g1"))(h)

    async def stop_later():  # once three polls are in (or after 10 s on a very slow machine)
        for _ in range(200):
            if len(fetched) >= 3:
                break
            await asyncio.sleep(0.05)
        stop.set()

    with peer(answer) as server:
        feed = FeedSource(url=server.url("/often.rss"), provider="ap", interval_s=0.001)
        async with client() as http:
            stopper = asyncio.create_task(stop_later())
            await asyncio.wait_for(poll_feeds_forever([feed], stop, client=http, redis=redis, keys=keys,
                                                      submit=accept_all), timeout=15)
            await stopper
    assert len(fetched) >= 2  # it was polled again, after the gap
    assert all(b - a >= MIN_POLL_GAP_S * 0.95 for a, b in zip(fetched, fetched[1:]))


async def test_an_unforeseen_error_quoting_the_feed_s_path_is_recorded_without_it(caplog):
    """The error a submit (or a library) raises may quote the URL, or its path alone,
    in another spelling than the configured one."""
    redis, keys, stop = MemoryRedis(), Keys("t."), asyncio.Event()

    async def submit_polled(payload, content_type, provider):
        stop.set()
        raise RuntimeError(f"no handler for /feeds/{PATH_TOKEN}/rss (bob:s3cret, key TOPSECRET)")

    with peer(raw_answer(rss("g1"))) as server:
        feed = FeedSource(url=with_credentials(server), provider="ap")
        async with client() as http:
            await asyncio.wait_for(poll_feeds_forever([feed], stop, client=http, redis=redis, keys=keys,
                                                      submit=submit_polled), timeout=10)
    failure = next(r for r in caplog.records if r.getMessage() == "feed poll crashed")
    assert failure.error == "RuntimeError: no handler for *** (***, key ***)"
    assert "Traceback" in failure.traceback and "RuntimeError" in failure.traceback
    status = last_error()  # what the heartbeat puts in Redis for `wire status`
    assert status["error_class"] == "FeedPollCrashed" and url_reference(feed.url) in status["message"]
    cursor = await redis.hgetall(keys.feed_cursor(feed.url))
    assert cursor[b"last_error"].startswith(b"crashed: RuntimeError: no handler for *** (")
    assert leaks(repr(redis.hashes), repr(status), *logged(caplog)) == []


async def test_what_older_pollers_left_in_clear_is_cleared_before_the_first_poll():
    """Cursors under the URL in clear (with or without validators), and a digest-named
    cursor whose ``feed`` and ``last_error`` an older poller wrote with the path in clear."""
    redis, keys, stop = MemoryRedis(), Keys("t."), asyncio.Event()
    keys_at_first_request: list[str] = []

    def answer(h):
        if not keys_at_first_request:
            keys_at_first_request.extend(redis.hashes)
        raw_answer(rss("g1"), b'ETag: "v1"')(h)

    with peer(answer) as server:
        first = FeedSource(url=with_credentials(server, f"/feeds/{PATH_TOKEN}/a.rss"), provider="ap")
        second = FeedSource(url=with_credentials(server, f"/feeds/{PATH_TOKEN}/b.rss"), provider="afp")
        await redis.hset(keys.legacy_feed_cursor(first.url), mapping={"etag": b'"v1"', "last_modified": b""})
        # a feed that never answered well: no validators, only its failure and its URL
        await redis.hset(keys.legacy_feed_cursor(second.url),
                         mapping={"feed": redact_url(second.url).encode(), "last_error": b"fetch failed: HTTP 500"})
        await redis.hset(keys.feed_cursor(second.url), mapping={
            "feed": redact_url(second.url).encode(), "etag": b'"v1"',
            "last_error": f"fetch failed: ConnectError: {redact_url(second.url)} refused".encode()})
        asyncio.get_running_loop().call_later(0.5, stop.set)
        async with client() as http:
            await asyncio.wait_for(poll_feeds_forever([first, second], stop, client=http, redis=redis, keys=keys,
                                                      submit=accept_all), timeout=10)
    assert sorted(keys_at_first_request) == sorted([keys.feed_cursor(first.url), keys.feed_cursor(second.url)])
    assert sorted(redis.hashes) == sorted(keys_at_first_request)
    assert leaks(repr(redis.hashes)) == []
    assert redis.hashes[keys.feed_cursor(first.url)]["etag"] == b'"v1"'  # taken over: the poll was a 304
    assert sorted(server.requests) == [f"GET /feeds/{PATH_TOKEN}/a.rss", f"GET /feeds/{PATH_TOKEN}/b.rss"]
    old = redis.hashes[keys.feed_cursor(second.url)]
    assert old["feed"] == url_reference(second.url).encode()
    assert old["last_error"] == f"fetch failed: ConnectError: {url_reference(second.url)} refused".encode()


async def test_a_redis_outage_does_not_end_the_polling_loop():
    stop = asyncio.Event()
    with peer(raw_answer(rss("g1"))) as server:
        feed = FeedSource(url=server.url("/rss"), provider="ap", interval_s=0.05)
        asyncio.get_running_loop().call_later(0.5, stop.set)
        async with client() as http:
            await asyncio.wait_for(poll_feeds_forever([feed], stop, client=http, redis=DownRedis(), keys=Keys(),
                                                      submit=accept_all), timeout=10)
    assert stop.is_set()


@pytest.mark.parametrize("header", [b'ETag: "' + b"x" * 5000 + b'"', b'ETag: "tab\there"'])
async def test_other_unusable_validators_are_dropped(header):
    redis, keys = MemoryRedis(), Keys("t.")
    with peer(raw_answer(rss("g1"), header)) as server:
        feed = FeedSource(url=server.url("/rss"), provider="ap")
        async with client() as http:
            await poll_feed(feed, client=http, redis=redis, keys=keys, submit=accept_all)
    assert (await redis.hgetall(keys.feed_cursor(feed.url)))[b"etag"] == b""


async def test_two_replicas_never_poll_a_feed_at_once_however_long_the_poll():
    """The round's claim is held while the poll runs: a poll longer than the feed's
    interval (a slow submit) does not let the other replica fetch with the cursor the
    first is about to advance."""
    redis, keys, stop = MemoryRedis(), Keys("t."), asyncio.Event()
    running, most = 0, 0

    async def slow_submit(body, content_type, provider):
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(1.8)  # six intervals
        running -= 1
        return Submission()

    with peer(raw_answer(rss("g1"))) as server:
        feed = FeedSource(url=server.url("/rss"), provider="ap", interval_s=0.3)
        asyncio.get_running_loop().call_later(3.0, stop.set)
        async with client() as one, client() as other:
            await asyncio.wait_for(asyncio.gather(*(
                poll_feeds_forever([feed], stop, client=http, redis=redis, keys=keys, submit=slow_submit)
                for http in (one, other))), timeout=15)
    assert most == 1 and len(server.requests) >= 2  # one poll after the other, not two at once


async def test_a_failed_poll_gives_its_round_up_to_the_next_replica():
    """A replica whose fetch fails (its network, its DNS) must not keep the feed from
    another that can fetch it: its claim goes at once; a good poll keeps its round."""
    redis, keys = MemoryRedis(), Keys("t.")
    feed = FeedSource(url="https://wire.example/rss", provider="ap", interval_s=60)
    started = time.monotonic()
    assert await claim_round(feed, redis=redis, keys=keys, owner="a:1", hold_s=50)
    assert not await claim_round(feed, redis=redis, keys=keys, owner="b:2", hold_s=50)
    await end_round(feed, redis=redis, keys=keys, owner="a:1", claimed_at=started, polled=False)
    assert await claim_round(feed, redis=redis, keys=keys, owner="b:2", hold_s=50)
    await end_round(feed, redis=redis, keys=keys, owner="b:2", claimed_at=started, polled=True)
    assert not await claim_round(feed, redis=redis, keys=keys, owner="a:1", hold_s=50)  # b's, to 54 s
    assert 53 < redis.strings[keys.feed_claim(feed.url)][1] - started <= 54
    await end_round(feed, redis=redis, keys=keys, owner="a:1", claimed_at=started, polled=False)
    assert await redis.get(keys.feed_claim(feed.url)) == b"b:2"  # not a's to give up
