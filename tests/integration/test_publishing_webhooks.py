"""Webhook delivery of the publishing service (run in-process) against the session's
real Kafka and redis-server and a local HTTP receiver: retries, refusals, the
webhook DLQ, the delivery log, the circuit breaker and restarts."""
from __future__ import annotations

import pytest

from services.publishing.settings import PublishingSettings
from shared.cache import Keys
from shared.cloudevents import read_headers
from shared.credentials import SecretBox
from shared.events import Signal, article_id_for
from shared.outbound.redact import url_reference
from shared.read_model import ReadModel
from shared.subscriptions import Subscription
from tests.kafka_helpers import read_topic
from tests.outbound_helpers import bomb_answer, drip_answer, gzip_bomb, peer, rss_mb, text_answer
from tests.publishing_helpers import Publishing, Receiver, article_event, requests_before_sentinel
from tests.waiting import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
def pub_settings(settings) -> PublishingSettings:
    # the receivers listen on 127.0.0.1, which outbound HTTP refuses unless allowed
    return PublishingSettings(**{**settings.model_dump(), "outbound_allowed_networks": ["127.0.0.0/8"]},
                              webhook_max_attempts=4, webhook_backoff_s=0.05,
                              webhook_backoff_max_s=0.2, webhook_timeout_s=2, webhook_breaker_threshold=2,
                              webhook_breaker_cooldown_s=120, embargo_poll_s=0.2)


async def test_500_three_times_then_200_delivers_the_item_exactly_once(publishing):
    with Receiver([500, 500, 500, 200]) as receiver:
        sub = await publishing.subscribe("flaky", receiver.url)
        event = article_event("urn:test:webhook:flaky")
        await publishing.publish(event)
        await eventually(lambda: receiver.delivered, timeout=60)
        requests = await requests_before_sentinel(publishing, receiver)
        assert [r["status"] for r in requests] == [500, 500, 500, 200]
        delivered = requests[-1]
        assert receiver.signed_by(delivered, sub.outputs.webhook.secret)
        assert delivered["headers"]["x-wire-signal"] == "new"
        assert b'"uri":"urn:test:webhook:flaky"' in delivered["body"]
        outcomes = [(e["attempt"], e["outcome"], e["http_status"]) for e in await publishing.log("flaky")
                    if e["uri"] == event.article.uri]
        assert outcomes == [(1, "retrying", 500), (2, "retrying", 500), (3, "retrying", 500), (4, "delivered", 200)]


async def test_400_is_not_retried_and_the_failure_is_logged_and_dead_lettered(publishing, pub_settings):
    with Receiver(default=400) as receiver:
        await publishing.subscribe("refuses", receiver.url)
        await publishing.publish(article_event("urn:test:webhook:refused"))
        log = await eventually(lambda: publishing.log("refuses"))
        assert len(await requests_before_sentinel(publishing, receiver)) == 1  # (the sentinel is refused too)
        [entry] = [e for e in await publishing.log("refuses") if e["uri"] == "urn:test:webhook:refused"]
        assert entry["outcome"] == "rejected" and entry["http_status"] == 400 and "HTTP 400" in entry["error"]
        assert log[0]["uri"] == "urn:test:webhook:refused"
    [dead] = [d for d in await read_topic(pub_settings.kafka_bootstrap, pub_settings.webhook_dlq_topic, expect=2)
              if d.key != b"urn:test:sentinel"]
    reasons = read_headers(dead.headers)
    assert dead.key == b"urn:test:webhook:refused"
    assert reasons["wire_dlq_reason"] == "rejected" and reasons["wire_dlq_http_status"] == "400"
    assert reasons["wire_dlq_subscription"] == "refuses" and reasons["wire_dlq_attempts"] == "1"


async def test_a_dead_lettered_delivery_names_its_webhook_without_the_secret_its_url_holds(publishing, pub_settings):
    """A Slack-style webhook URL is itself the credential (its path and its query): the
    DLQ record lets an operator tell which webhook failed (subscription, host, a digest
    of the URL) but holds no piece of the URL's secret."""
    path_secret, query_secret = "Xq7pLr2Vt9Wb4Nc8Ys1Kd6Hf", "tok-Zm3Rj8Qw5Ev1Tu"
    with Receiver(default=400) as receiver:
        url = receiver.url.replace("/hook", f"/services/T0/B0/{path_secret}?token={query_secret}")
        await publishing.subscribe("slackish", url)
        await publishing.publish(article_event("urn:test:webhook:slackish"))
        await eventually(lambda: publishing.log("slackish"))
        assert len(receiver.requests) == 1  # the sealed URL was used: the receiver got the POST
    [dead] = await read_topic(pub_settings.kafka_bootstrap, pub_settings.webhook_dlq_topic, expect=1)
    reasons = read_headers(dead.headers)
    assert reasons["wire_dlq_subscription"] == "slackish" and reasons["wire_dlq_reason"] == "rejected"
    assert reasons["wire_dlq_webhook"] == url_reference(url)
    assert reasons["wire_dlq_webhook"].startswith(f"http://127.0.0.1:{receiver.port}/... sha256:")
    kept = [dead.key, dead.value, repr(dead.headers).encode(), repr(await publishing.log("slackish")).encode()]
    for secret in (path_secret, query_secret):
        assert not any(secret.encode() in part for part in kept), secret


async def test_last_attempt_goes_to_the_dlq_and_429_retry_after_is_honoured(publishing, pub_settings):
    with Receiver(default=429, retry_after="1") as receiver:
        await publishing.subscribe("busy", receiver.url)
        await publishing.publish(article_event("urn:test:webhook:busy"))
        await eventually(lambda: read_topic(pub_settings.kafka_bootstrap, pub_settings.webhook_dlq_topic,
                                            expect=1, timeout=1))
        log = await publishing.log("busy")
        assert [e["outcome"] for e in log] == ["retrying"] * 3 + ["dead_lettered"]
        # the backoff (≤ 0.2 s here) gives way to the receiver's Retry-After: 1
        assert all(e["retry_in_s"] >= 1.0 for e in log[:3])
        assert len(receiver.requests) == pub_settings.webhook_max_attempts
        # every retry tells the receiver it may be a repeat; the first POST does not
        assert [r["headers"]["x-wire-redelivery"] for r in receiver.requests] == ["false"] + ["true"] * 3


async def test_a_failing_endpoint_is_paused_without_slowing_the_others(publishing):
    with Receiver(default=503) as down, Receiver() as healthy:
        await publishing.subscribe("down", down.url)
        await publishing.subscribe("healthy", healthy.url)
        events = [article_event(f"urn:test:webhook:breaker:{i}") for i in range(6)]
        await publishing.publish(*events)
        await eventually(lambda: len(healthy.delivered) == 6, timeout=60)
        status = await eventually(lambda: _breaker_open(publishing.store, "down"))
        # two deliveries failed for good (4 attempts each), then the endpoint was paused
        assert len(down.requests) == 8 and status["queued"] >= 4
        # one more item: the healthy endpoint gets it, the paused one only queues it
        later = article_event("urn:test:webhook:breaker:later")
        await publishing.publish(later)
        await eventually(lambda: len(healthy.delivered) == 7, timeout=60, what="the later item at the healthy endpoint")
        await eventually(lambda: _in_outbox(publishing.store, "down", later.article.uri),
                         what="the later item queued for the paused endpoint")
        assert len(down.requests) == 8
        events.append(later)
        assert sorted(r["headers"]["x-wire-uri"] for r in healthy.delivered) == sorted(e.article.uri for e in events)


async def _outbox_empty(store, name: str) -> bool:
    return (await store.webhook_status(name))["queued"] == 0


async def _in_outbox(store, name: str, uri: str) -> bool:
    return any(fields.get(b"uri") == uri.encode() for _, fields in await store.redis.xrange(store.keys.outbox(name)))


async def _breaker_open(store, name):
    status = await store.webhook_status(name)
    return status if status["breaker"] == "open" else None


async def test_pending_deliveries_survive_a_restart(publishing):
    receiver = Receiver()  # not listening yet: connection refused → retried
    publishing.settings.webhook_max_attempts = 1000
    await publishing.subscribe("patient", receiver.url)
    await publishing.publish(article_event("urn:test:webhook:restart"))
    await eventually(lambda: publishing.log("patient"))
    await publishing.stop()
    with receiver:
        publishing.start()
        await eventually(lambda: receiver.delivered, timeout=60)
        [resent] = await requests_before_sentinel(publishing, receiver)
        # read back from the pending list after the restart: flagged as a possible repeat
        assert resent["headers"]["x-wire-redelivery"] == "true"
        assert resent["headers"]["x-wire-delivery"] == f"{article_id_for('urn:test:webhook:restart')}@1:new"


async def test_a_redelivered_item_is_not_sent_twice_and_a_correction_is(publishing):
    with Receiver() as receiver:
        await publishing.subscribe("once", receiver.url)
        first = article_event("urn:test:webhook:once")
        await publishing.publish(first, first)
        await eventually(lambda: receiver.delivered, timeout=60)
        corrected = article_event("urn:test:webhook:once", version="2", signal=Signal.CORRECTION,
                                  body="Officials corrected the figure.")
        await publishing.publish(corrected)
        await eventually(lambda: len(receiver.delivered) >= 2, timeout=60)
        requests = await requests_before_sentinel(publishing, receiver)
        assert [r["headers"]["x-wire-signal"] for r in requests] == ["new", "correction"]
        assert [r["headers"]["x-wire-redelivery"] for r in requests] == ["false", "false"]


async def test_a_uri_that_is_not_ascii_is_delivered_and_the_next_item_follows(publishing):
    """A header holds only ASCII: a uri such as a Hangul guid goes percent-encoded
    (UTF-8, as RFC 3987 maps an IRI), and it must not stop the deliveries after it."""
    with Receiver() as receiver:
        await publishing.subscribe("unicode", receiver.url)
        await publishing.publish(article_event("urn:test:webhook:café:기사"), article_event("urn:test:webhook:after"))
        await eventually(lambda: len(receiver.delivered) >= 2, timeout=60)
        # the two stories are published concurrently: either may be queued first
        sent = await requests_before_sentinel(publishing, receiver)
        requests = {r["headers"]["x-wire-uri"]: r for r in sent}
        encoded = "urn:test:webhook:caf%C3%A9:%EA%B8%B0%EC%82%AC"
        assert len(sent) == 2 and set(requests) == {encoded, "urn:test:webhook:after"}
        assert "urn:test:webhook:café:기사".encode() in requests[encoded]["body"]
        # its delivery id is not that of an ASCII uri spelled as its header form
        assert requests[encoded]["headers"]["x-wire-delivery"] == f"{article_id_for('urn:test:webhook:café:기사')}@1:new"


async def test_a_subscription_made_while_running_applies_to_the_next_item(publishing):
    with Receiver() as receiver:
        before = article_event("urn:test:webhook:before")
        await publishing.publish(before)
        view = ReadModel(publishing.redis, Keys(publishing.settings.topic_prefix))
        await eventually(lambda: view.stored(before.envelope.article_id))
        await publishing.subscribe("late", receiver.url)
        await publishing.publish(article_event("urn:test:webhook:after"))
        await eventually(lambda: receiver.delivered, timeout=60)
        requests = await requests_before_sentinel(publishing, receiver)
        assert [r["headers"]["x-wire-uri"] for r in requests] == ["urn:test:webhook:after"]


async def test_a_webhook_to_an_internal_address_is_refused_without_a_request(pub_settings):
    closed = pub_settings.model_copy(update={"outbound_allowed_networks": []})
    service = Publishing(closed)
    service.start()
    try:
        with Receiver() as receiver:
            for name, host in (("loopback", "127.0.0.1"), ("decimal", "2130706433")):
                await service.subscribe(name, receiver.url.replace("127.0.0.1", host))
            await service.publish(article_event("urn:test:webhook:inward"))
            logs = {name: await eventually(lambda name=name: service.log(name)) for name in ("loopback", "decimal")}
            for name in logs:  # the entry has left the outbox: nothing more will be tried for it
                await eventually(lambda name=name: _outbox_empty(service.store, name))
            assert receiver.requests == []
        for entries in logs.values():
            [entry] = entries
            assert entry["outcome"] == "rejected" and entry["http_status"] is None
            assert entry["error"].startswith("refused:") and "loopback address" in entry["error"]
        dead = await read_topic(closed.kafka_bootstrap, closed.webhook_dlq_topic, expect=2)
        assert sorted(read_headers(d.headers)["wire_dlq_reason"] for d in dead) == ["rejected", "rejected"]
    finally:
        await service.stop()
        await service.redis.aclose()


async def test_the_delivery_log_keeps_the_status_and_256_bytes_of_the_answer(publishing):
    answer = b"A" * 256 + b"INTERNAL-SECRET" + b"B" * (8 * 1024 * 1024)
    with peer(text_answer(answer, status=400)) as receiver:
        await publishing.subscribe("chatty", receiver.url("/hook"))
        await publishing.publish(article_event("urn:test:webhook:chatty"))
        [entry] = await eventually(lambda: publishing.log("chatty"))
    assert entry["outcome"] == "rejected" and entry["http_status"] == 400
    assert entry["error"] == "HTTP 400: " + "A" * 256


async def test_a_gzip_bomb_answer_is_not_inflated(publishing):
    bomb = gzip_bomb(300 * 1024 * 1024)
    before = rss_mb()
    with peer(bomb_answer(bomb, status=502, content_type="text/plain")) as receiver:
        await publishing.subscribe("bomb", receiver.url("/hook"))
        await publishing.publish(article_event("urn:test:webhook:bomb"))
        entries = await eventually(lambda: _all_attempts(publishing, "bomb", 4), timeout=60)
    assert [e["http_status"] for e in entries] == [502] * 4
    assert all(len(e["error"]) <= len("HTTP 502: ") + 256 for e in entries)
    assert rss_mb() - before < 100


async def _all_attempts(publishing, name: str, count: int):
    entries = await publishing.log(name)
    return entries if len(entries) >= count else None


async def test_a_dripping_answer_ends_at_the_deadline_and_is_retried(publishing, pub_settings):
    with peer(drip_answer(every_s=0.5)) as receiver:
        await publishing.subscribe("drip", receiver.url("/hook"))
        await publishing.publish(article_event("urn:test:webhook:drip"))
        first = await eventually(lambda: publishing.log("drip"), timeout=60)
    entry = first[0]
    assert entry["outcome"] == "retrying" and entry["http_status"] is None
    assert entry["error"].startswith("timeout:") and f"{pub_settings.webhook_timeout_s:g} s" in entry["error"]
    assert entry["duration_ms"] < pub_settings.webhook_timeout_s * 1000 + 5000  # a generous guard


async def _dead_lettered(settings, count: int) -> list:
    dead = await read_topic(settings.kafka_bootstrap, settings.webhook_dlq_topic, expect=count, timeout=1)
    return dead if len(dead) >= count else []


async def test_a_retry_after_that_is_no_ascii_number_costs_an_attempt_and_the_deliveries_go_on(publishing,
                                                                                                 pub_settings):
    """``Retry-After: \xb2`` (httpx reads the byte as "²", a digit to ``str.isdigit``,
    nothing to ``float``) once made the worker die on the entry and read it again every
    second, forever, counting no attempt. It is ignored: the backoff applies."""
    with Receiver([503] * 4, retry_after="\xb2") as receiver:
        await publishing.subscribe("odd", receiver.url)
        await publishing.publish(article_event("urn:test:webhook:odd"))
        [dead] = await eventually(lambda: _dead_lettered(pub_settings, 1), timeout=60, what="the entry in the DLQ")
        requests = await requests_before_sentinel(publishing, receiver)  # the next item is delivered
        assert [r["status"] for r in requests] == [503] * 4
    reasons = read_headers(dead.headers)
    assert dead.key == b"urn:test:webhook:odd"
    assert (reasons["wire_dlq_reason"], reasons["wire_dlq_attempts"]) == ("exhausted", "4")
    log = [e for e in await publishing.log("odd") if e["uri"] == "urn:test:webhook:odd"]
    assert [(e["outcome"], e["http_status"]) for e in log] == [("retrying", 503)] * 3 + [("dead_lettered", 503)]


async def test_a_delivery_failing_in_a_way_no_one_expected_is_retried_then_dead_lettered(publishing, pub_settings):
    """A webhook secret sealed under another ``WIRE_SECRET_KEY`` (a key rotated without
    resealing) cannot sign: each attempt fails, is counted, and the entry ends in the
    DLQ with the error, rather than stopping the subscription's outbox for good."""
    with Receiver() as receiver:
        secret = "a-test-secret-of-some-length"
        await publishing.store.put(Subscription(name="resealed", filter={}, outputs={"webhook": {
            "url": receiver.url, "secret": secret, "sealed_secret": SecretBox("another-deployment").seal(secret)}}))
        await publishing.publish(*(article_event(f"urn:test:webhook:resealed:{i}") for i in (1, 2)))
        dead = await eventually(lambda: _dead_lettered(pub_settings, 2), timeout=60, what="both entries in the DLQ")
        assert receiver.requests == []
    assert sorted(d.key for d in dead) == [b"urn:test:webhook:resealed:1", b"urn:test:webhook:resealed:2"]
    for record in dead:
        reasons = read_headers(record.headers)
        assert (reasons["wire_dlq_reason"], reasons["wire_dlq_attempts"]) == ("exhausted", "4")
        assert reasons["wire_dlq_error_message"].startswith(
            "unexpected: ValueError: webhook secret sealed with another")
    log = await publishing.log("resealed")
    assert [e["outcome"] for e in log] == (["retrying"] * 3 + ["dead_lettered"]) * 2


async def test_an_outbox_past_its_bound_sends_the_newest_entries_to_the_dlq(pub_settings):
    """A receiver answering 503 with Retry-After: 300 takes one entry in 25 minutes: the
    outbox keeps ``outbox_max`` entries, the rest go to the DLQ (reason outbox_full)
    while the worker waits. Every item is in one of the two, none in both."""
    bounded = pub_settings.model_copy(update={"outbox_max": 3})
    service = Publishing(bounded)
    service.start()
    try:
        with Receiver(default=503, retry_after="300") as receiver:
            await service.subscribe("slow", receiver.url)
            uris = [f"urn:test:webhook:full:{i}" for i in range(8)]
            await service.publish(*(article_event(uri) for uri in uris))
            view = ReadModel(service.redis, Keys(bounded.topic_prefix))
            for uri in uris:
                await eventually(lambda uri=uri: view.stored(article_id_for(uri)), what=f"{uri} published")
            await eventually(lambda: _queued(service.store, "slow", 3), timeout=60, what="the outbox back to its bound")
            dead = await read_topic(bounded.kafka_bootstrap, bounded.webhook_dlq_topic, expect=5)
            queued = [f[b"uri"] for _, f in await service.redis.xrange(service.store.keys.outbox("slow"))]
            assert len(receiver.requests) == 1  # the first entry, waiting out its Retry-After
        assert len(dead) == 5 and len(queued) == 3
        assert sorted([d.key for d in dead] + queued) == sorted(uri.encode() for uri in uris)
        for record in dead:
            reasons = read_headers(record.headers)
            assert (reasons["wire_dlq_reason"], reasons["wire_dlq_subscription"]) == ("outbox_full", "slow")
            assert reasons["wire_dlq_attempts"] == "0"
        assert sum(e["outcome"] == "dead_lettered" for e in await service.log("slow")) == 5
    finally:
        await service.stop()
        await service.redis.aclose()


async def test_an_outbox_past_its_bytes_sends_the_newest_items_to_the_dlq_and_counts_what_leaves(pub_settings):
    """The bound is in bytes too: a receiver that stays down cannot hold 10,000 items of
    any size. Past ``outbox_max_bytes`` of queued items the newest (not the one in hand)
    go to the DLQ; the count of bytes is the bodies still queued, and it comes back to
    zero when the receiver takes them."""
    bounded = pub_settings.model_copy(update={"outbox_max_bytes": 60_000, "webhook_max_attempts": 1000})
    service = Publishing(bounded)
    service.start()
    try:
        with Receiver(default=503, retry_after="1") as receiver:
            await service.subscribe("heavy", receiver.url)
            events = [article_event(f"urn:test:webhook:heavy:{i}", body=f"Paragraph {i}. " * (1 + 1500 * (i % 2)))
                      for i in range(8)]  # about 20 KB for every other item, a few hundred bytes for the rest
            await service.publish(*events)
            view = ReadModel(service.redis, Keys(bounded.topic_prefix))
            for event in events:
                await eventually(lambda event=event: view.stored(event.envelope.article_id), what="published")
            outbox = service.store.keys.outbox("heavy")

            async def within_bound():
                status = await service.store.webhook_status("heavy")
                bodies = [f[b"body"] for _, f in await service.redis.xrange(outbox)]
                return status if status["queued_bytes"] <= 60_000 and status["queued"] == len(bodies) else None

            status = await eventually(within_bound, timeout=60, what="the outbox back within its bytes")
            queued = {f[b"uri"]: len(f[b"body"]) for _, f in await service.redis.xrange(outbox)}
            assert status["queued_bytes"] == sum(queued.values())  # the count is what is queued
            dead = await read_topic(bounded.kafka_bootstrap, bounded.webhook_dlq_topic, expect=8 - len(queued))
            in_hand = receiver.requests[0]["headers"]["x-wire-uri"].encode()
            assert in_hand in queued and len(queued) < 8  # the one being delivered is never shed
            assert sorted([d.key for d in dead] + list(queued)) == sorted(e.article.uri.encode() for e in events)
            assert {read_headers(d.headers)["wire_dlq_reason"] for d in dead} == {"outbox_full"}
            receiver.default = 200  # the receiver is back: the queued items leave, and so do their bytes
            await eventually(lambda: _outbox_empty(service.store, "heavy"), timeout=60, what="the outbox drained")
            assert sorted(r["headers"]["x-wire-uri"].encode() for r in receiver.delivered) == sorted(queued)
            assert (await service.store.webhook_status("heavy"))["queued_bytes"] == 0
            # a count gone wrong (acknowledgements by a replica of an older release do not
            # count) starts again from nothing once the outbox is empty
            await service.redis.incrby(service.store.keys.outbox_bytes("heavy"), 10**9)
            await service.publish(article_event("urn:test:webhook:heavy:after"))
            await eventually(lambda: len(receiver.delivered) == len(queued) + 1, timeout=60, what="the next item")
            await eventually(lambda: _outbox_empty(service.store, "heavy"), timeout=60, what="the outbox empty")
        assert (await service.store.webhook_status("heavy"))["queued_bytes"] == 0
    finally:
        await service.stop()
        await service.redis.aclose()


async def _queued(store, name: str, count: int) -> bool:
    return (await store.webhook_status(name))["queued"] == count


async def test_a_backlog_past_the_bound_read_in_one_batch_is_delivered_or_dead_lettered_never_both(pub_settings):
    """A replica takes over an outbox already past its bound (the lease was another's
    while the items came) and reads it in one batch: the newest past the bound go to the
    DLQ, and the worker does not deliver them when their turn in the batch comes."""
    bounded = pub_settings.model_copy(update={"outbox_max": 3})
    service = Publishing(bounded)
    service.start()
    try:
        with Receiver() as receiver:
            lease = service.store.keys.outbox_lease("backlog")
            await service.redis.set(lease, "another-replica#0", px=120_000)  # no worker of ours delivers
            await service.subscribe("backlog", receiver.url)
            uris = [f"urn:test:webhook:backlog:{i}" for i in range(8)]
            await service.publish(*(article_event(uri) for uri in uris))
            await eventually(lambda: _queued(service.store, "backlog", 8), timeout=60, what="the backlog queued")
            queued = [f[b"uri"] for _, f in await service.redis.xrange(service.store.keys.outbox("backlog"))]
            await service.redis.delete(lease)  # the other replica is gone: ours takes the queue over
            dead = await eventually(lambda: _dead_lettered(bounded, 5), timeout=60, what="the overflow in the DLQ")
            delivered = await requests_before_sentinel(service, receiver)
        assert sorted(d.key for d in dead) == sorted(queued[3:])  # the newest five
        assert [r["headers"]["x-wire-uri"].encode() for r in delivered] == queued[:3]
        assert {read_headers(d.headers)["wire_dlq_reason"] for d in dead} == {"outbox_full"}
    finally:
        await service.stop()
        await service.redis.aclose()
