"""Publishing end to end: the five services as real processes (with a redis-server
of their own), driven through the gateway the way a wire feed, an admin and
subscribers would — webhooks to a local HTTP receiver, the subscription's Kafka
topic, RSS/JSON feeds, the SSE stream; embargo, correction and kill."""
from __future__ import annotations

import asyncio
import threading
import time
import uuid
from datetime import datetime, timezone

import feedparser
import httpx
import orjson
import pytest
import redis as redis_sync

from services.cli.stack.pipeline import Pipeline
from services.cli.stack.processes import free_port
from services.cli.stack.redis import LocalRedis
from shared.cache import Keys
from shared.cloudevents import read_headers
from tests.e2e.client import submit, wait_published
from tests.kafka_helpers import read_topic
from tests.publishing_helpers import CONFLICT, SPORT, Receiver, read_sse
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e
ADMIN = {"Authorization": "Bearer dev-admin-key"}


@pytest.fixture(scope="module")
def stack(kafka, tmp_path_factory):
    home = tmp_path_factory.mktemp("publishing-e2e")
    own_redis = LocalRedis(home / "redis")
    own_redis.start()
    pipeline = Pipeline(kafka_bootstrap=kafka.bootstrap, redis_url=own_redis.url, gateway_port=free_port(),
                        prefix=f"pub{uuid.uuid4().hex[:6]}.", data_dir=home, log_dir=home / "logs",
                        env={"WIRE_METRICS_PORT": "-1", "WIRE_BATCH_TIMEOUT_MS": "50", "WIRE_EMBARGO_POLL_S": "0.2",
                             "WIRE_WEBHOOK_BACKOFF_S": "0.1", "WIRE_WEBHOOK_BACKOFF_MAX_S": "0.5",
                             "WIRE_OUTBOUND_ALLOWED_NETWORKS": '["127.0.0.0/8"]'})
    pipeline.start(timeout=180)
    pipeline.redis_url = own_redis.url
    yield pipeline
    pipeline.stop()
    own_redis.stop()


def subscribe(stack, name: str, *, url: str | None = None, **filter_spec) -> dict:
    outputs = {"topic": True, "feeds": True, "webhook": {"url": url} if url else None}
    answer = httpx.post(f"{stack.gateway_url}/v1/subscriptions", headers=ADMIN, timeout=30,
                        json={"name": name, "filter": filter_spec, "outputs": outputs})
    assert answer.status_code == 201, answer.text
    return answer.json()


TROOPS = "Officials in Seoul said a second wave of troops was expected near the front line. " * 3
FINAL = "The national team won the cup final 2-1 after extra time; the striker scored twice. " * 3


def ninjs(uri: str, *, subjects=(CONFLICT,), language: str = "en", version: str = "1",
          headline: str = "Second wave of troops expected", body: str = TROOPS, **extra) -> bytes:
    return orjson.dumps({
        "uri": uri, "version": version, "type": "text", "language": language,
        "headlines": [{"role": "main", "value": headline}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": body}],
        "subjects": [{"uri": s, "name": s.rsplit("/", 1)[-1]} for s in subjects], **extra})


def post_ninjs(stack, body: bytes) -> dict:
    answer = submit(stack.gateway_url, body, "application/json")
    assert answer.status_code == 202, answer.text
    return answer.json()


def uris_of_rss(stack, name: str) -> list[str]:
    feed = feedparser.parse(httpx.get(f"{stack.gateway_url}/v1/feeds/{name}.rss", timeout=10, headers=ADMIN).content)
    assert not feed.bozo, feed.bozo_exception
    return [e.id for e in feed.entries]


def test_conflict_news_in_english_reaches_every_output_and_sport_does_not(stack, kafka, example_article):
    run = uuid.uuid4().hex[:8]
    with Receiver() as receiver:
        secret = subscribe(stack, "conflict-en", url=receiver.url, subjects=[CONFLICT],
                           languages=["en"])["outputs"]["webhook"]["secret"]
        live: list = []
        failed: list = []
        connected = threading.Event()

        def listen() -> None:
            try:
                live.extend(read_sse(f"{stack.gateway_url}/v1/stream?subscription=conflict-en", connected=connected,
                                     until=lambda events: any(f"{run}:conflict" in e["data"] for e in events)))
            except BaseException as exc:  # noqa: BLE001 - reported by the test below
                failed.append(exc)

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        wait_for(lambda: connected.is_set() or failed, what="the SSE client to connect")
        assert not failed, failed

        sport = post_ninjs(stack, ninjs(f"urn:test:{run}:sport", subjects=(SPORT,), headline="Cup final won",
                                        body=FINAL))
        wait_published(stack.gateway_url, sport["id"], timeout=90)
        conflict = post_ninjs(stack, ninjs(f"urn:test:{run}:conflict"))
        wait_published(stack.gateway_url, conflict["id"], timeout=90)

        hook = wait_for(lambda: [r for r in receiver.delivered if r["headers"]["x-wire-uri"] == conflict["uri"]],
                        what="the webhook delivery")[0]
        assert receiver.signed_by(hook, secret)
        assert orjson.loads(hook["body"])["uri"] == conflict["uri"]
        # deliveries to one subscriber are in order: sport, published first, would have come first
        assert all(r["headers"]["x-wire-uri"] != sport["uri"] for r in receiver.requests)

        rss = uris_of_rss(stack, "conflict-en")
        assert conflict["uri"] in rss and sport["uri"] not in rss

        topic = f"{stack.base_env['WIRE_TOPIC_PREFIX']}published.conflict-en"
        records = _read_until(kafka, topic, conflict["uri"])
        assert sport["uri"].encode() not in {r.key for r in records}

        listener.join(timeout=60)
        assert not failed and any(conflict["uri"] in e["data"] for e in live), (failed, live)
        assert not any(sport["uri"] in e["data"] for e in live)
        # the example article: its subjects come from enrichment; when they say
        # "conflict", it must reach the subscriber; when they do not, it must not.
        example = submit(stack.gateway_url, example_article).json()
        item = wait_published(stack.gateway_url, example["id"], timeout=120)
        is_conflict = any(s.get("uri") == CONFLICT for s in item.get("subjects", []))
        marker = post_ninjs(stack, ninjs(f"urn:test:{run}:marker"))  # delivered after the example, in order
        wait_for(lambda: any(r["headers"]["x-wire-uri"] == marker["uri"] for r in receiver.delivered),
                 what="the marker delivery")
        got_example = any(r["headers"]["x-wire-uri"] == item["uri"] for r in receiver.delivered)
        assert got_example == (is_conflict and item.get("language", "").startswith("en"))

        # a client resuming after the conflict event gets what came after it, not it again
        seen = next(e["id"] for e in live if conflict["uri"] in e["data"])
        resumed = read_sse(f"{stack.gateway_url}/v1/stream?subscription=conflict-en", headers={"Last-Event-ID": seen},
                           until=lambda ev: any(marker["uri"] in e["data"] for e in ev))
        assert not any(conflict["uri"] in e["data"] for e in resumed)
        assert all(_stream_id(e["id"]) > _stream_id(seen) for e in resumed)


def _stream_id(text: str) -> tuple[int, int]:
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


def _read_until(kafka, topic: str, uri: str) -> list:
    """The records of ``topic``, read again until one is keyed by ``uri``."""
    def read() -> list | None:
        records = asyncio.run(read_topic(kafka.bootstrap, topic, expect=10_000, timeout=2))
        return records if uri.encode() in {r.key for r in records} else None

    return wait_for(read, timeout=60, interval=0, what=f"{uri} on {topic}")


def whole_seconds_from_now(seconds: int) -> tuple[float, str]:
    until = float(int(time.time()) + seconds)
    return until, datetime.fromtimestamp(until, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_an_embargoed_article_appears_nowhere_until_its_time(stack):
    run = uuid.uuid4().hex[:8]
    with Receiver() as receiver:
        subscribe(stack, f"embargo-{run}", url=receiver.url, keywords=[run])
        until, stamp = whole_seconds_from_now(15)
        story = post_ninjs(stack, ninjs(f"urn:test:{run}:embargo", headline=f"Embargoed report {run}",
                                        embargoedUntil=stamp))
        held = redis_sync.Redis.from_url(stack.redis_url)
        key = f"{Keys(stack.base_env['WIRE_TOPIC_PREFIX']).prefix}embargo:events"
        wait_for(lambda: held.hexists(key, story["id"]) or time.time() >= until, what="the item to be held")
        if time.time() < until - 1:  # (a very slow machine may be past the embargo already)
            assert httpx.get(f"{stack.gateway_url}/v1/articles/{story['id']}", headers=ADMIN).status_code == 404
            listed = httpx.get(f"{stack.gateway_url}/v1/articles", params={"keyword": run}, headers=ADMIN).json()["items"]
            assert listed == []
            assert uris_of_rss(stack, f"embargo-{run}") == [] and receiver.requests == []
        item = wait_published(stack.gateway_url, story["id"], timeout=90)
        assert time.time() >= until and item["embargoedUntil"] == stamp
        wait_for(lambda: receiver.delivered, what="the released item's webhook")
        assert uris_of_rss(stack, f"embargo-{run}") == [story["uri"]]


G2_CORRECTION = """<?xml version="1.0" encoding="UTF-8"?>
<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="{uri}" version="2" standard="NewsML-G2"
          standardversion="2.33">
  <itemMeta><itemClass qcode="ninat:text"/><provider qcode="nprov:example"/>
    <versionCreated>2025-03-03T10:00:00Z</versionCreated><pubStatus qcode="stat:usable"/>
    <signal qcode="sig:correction"/></itemMeta>
  <contentMeta><language tag="en"/>
    <subject type="cpnat:abstract" qcode="medtop:16000000"><name>conflict, war and peace</name></subject>
    <headline>Second wave of troops expected {run}</headline></contentMeta>
  <contentSet><inlineXML contenttype="application/xhtml+xml"><html xmlns="http://www.w3.org/1999/xhtml"><body>
    <p>Correction: twelve ships, not ten, sailed on Monday.</p></body></html></inlineXML></contentSet>
</newsItem>"""


def test_a_correction_replaces_the_item_everywhere_with_its_signal(stack):
    run = uuid.uuid4().hex[:8]
    uri = f"urn:newsml:example.com:{run}:correction"
    with Receiver() as receiver:
        subscribe(stack, f"corr-{run}", url=receiver.url, keywords=[run])
        first = post_ninjs(stack, ninjs(uri, headline=f"Second wave of troops expected {run}"))
        assert wait_published(stack.gateway_url, first["id"])["version"] == "1"
        answer = submit(stack.gateway_url, G2_CORRECTION.format(uri=uri, run=run).encode(),
                        "application/vnd.iptc.g2.newsitem+xml")
        assert answer.status_code == 202, answer.text
        item = wait_for(lambda: _version(stack, first["id"], "2"), what="version 2")
        assert "twelve ships" in item["bodies"][0]["value"]

        [listed] = httpx.get(f"{stack.gateway_url}/v1/articles", params={"keyword": run}, headers=ADMIN).json()["items"]
        assert listed["signal"] == "correction" and listed["version"] == "2"
        feed = httpx.get(f"{stack.gateway_url}/v1/feeds/corr-{run}.json", headers=ADMIN).json()
        assert [(i["id"], i["_wirestream"]["signal"]) for i in feed["items"]] == [(uri, "correction")]
        signals = wait_for(lambda: [r["headers"]["x-wire-signal"] for r in receiver.delivered]
                           if len(receiver.delivered) >= 2 else None, what="two webhook deliveries")
        assert signals == ["new", "correction"]
        events = read_sse(f"{stack.gateway_url}/v1/stream?subscription=corr-{run}",
                          headers={"Last-Event-ID": "0"}, until=lambda ev: len(ev) >= 2)
        assert [e["event"] for e in events] == ["new", "correction"]


def _version(stack, article_id: str, version: str):
    item = httpx.get(f"{stack.gateway_url}/v1/articles/{article_id}", timeout=5, headers=ADMIN).json()
    return item if item.get("version") == version else None


def test_a_kill_takes_the_item_out_of_the_api_and_feeds_and_notifies(stack, kafka):
    run = uuid.uuid4().hex[:8]
    uri = f"urn:test:{run}:kill"
    with Receiver() as receiver:
        subscribe(stack, f"kill-{run}", url=receiver.url, keywords=[run])
        story = post_ninjs(stack, ninjs(uri, headline=f"Report {run}"))
        wait_published(stack.gateway_url, story["id"])
        assert uris_of_rss(stack, f"kill-{run}") == [uri]
        # a kill is a new version of the story with pubStatus "canceled"
        post_ninjs(stack, ninjs(uri, version="2", headline=f"Report {run}", pubStatus="canceled"))
        wait_for(lambda: httpx.get(f"{stack.gateway_url}/v1/articles/{story['id']}", headers=ADMIN).status_code == 410,
                 what="410 Gone")
        assert uris_of_rss(stack, f"kill-{run}") == []
        assert httpx.get(f"{stack.gateway_url}/v1/articles", params={"keyword": run}, headers=ADMIN).json()["items"] == []
        signals = wait_for(lambda: [r["headers"]["x-wire-signal"] for r in receiver.delivered]
                           if len(receiver.delivered) >= 2 else None, what="the kill notice")
        assert signals == ["new", "kill"]
        assert orjson.loads(receiver.delivered[1]["body"]) == {"uri": uri, "version": "2", "pubStatus": "canceled"}
        # replayed from the start, the stream keeps the kill notice and nothing of the killed text
        events = read_sse(f"{stack.gateway_url}/v1/stream?subscription=kill-{run}",
                          headers={"Last-Event-ID": "0"}, until=lambda ev: any(e["event"] == "kill" for e in ev))
        assert [e["event"] for e in events] == ["kill"]
        published = _read_until(kafka, f"{stack.base_env['WIRE_TOPIC_PREFIX']}articles.published", uri)
        mine = [r for r in published if r.key == uri.encode()]
        assert mine[-1].value is None and read_headers(mine[-2].headers)["wire_signal"] == "kill"


def test_webhook_retries_and_refusals_through_the_api(stack):
    run = uuid.uuid4().hex[:8]
    with Receiver([500, 500, 500, 200]) as flaky, Receiver(default=400) as refusing:
        subscribe(stack, f"flaky-{run}", url=flaky.url, keywords=[run])
        subscribe(stack, f"refusing-{run}", url=refusing.url, keywords=[run])
        post_ninjs(stack, ninjs(f"urn:test:{run}:hooks", headline=f"Hooks {run}"))
        log_url = f"{stack.gateway_url}/v1/subscriptions/refusing-{run}/deliveries"
        log = wait_for(lambda: httpx.get(log_url, headers=ADMIN).json()["deliveries"], what="a delivery log entry")
        wait_for(lambda: flaky.delivered, what="the flaky delivery")
        # a later story to both: each subscriber's deliveries keep order, so a repeated
        # or extra request for the first story would arrive before this one
        sentinel = post_ninjs(stack, ninjs(f"urn:test:{run}:sentinel", headline=f"Sentinel {run}"))
        sent = lambda r: r["headers"]["x-wire-uri"] == sentinel["uri"]  # noqa: E731
        wait_for(lambda: any(map(sent, flaky.delivered)) and any(map(sent, refusing.requests)),
                 what="the sentinel at both receivers")
        assert [r["status"] for r in flaky.requests] == [500, 500, 500, 200, 200] and sent(flaky.requests[-1])
        assert len(refusing.requests) == 2 and sent(refusing.requests[-1])
        assert [(e["outcome"], e["http_status"]) for e in log] == [("rejected", 400)]
        assert httpx.get(log_url).status_code == 401  # the log needs the admin key


def test_subscription_admin_api_and_conditional_gets(stack):
    base = f"{stack.gateway_url}/v1/subscriptions"
    assert httpx.post(base, json={"name": "nope"}).status_code == 401
    assert httpx.post(base, json={"name": "nope"}, headers={"Authorization": "Bearer wrong"}).status_code == 401
    made = subscribe(stack, "admin-check", url="http://127.0.0.1:9/hook", languages=["en"])
    assert len(made["outputs"]["webhook"]["secret"]) >= 16
    assert httpx.post(base, json={"name": "admin-check"}, headers=ADMIN).status_code == 409
    assert httpx.post(base, json={"name": "Bad Name"}, headers=ADMIN).status_code == 422
    shown = httpx.get(f"{base}/admin-check", headers=ADMIN).json()
    assert shown["outputs"]["webhook"]["secret"] == "********" and shown["webhook_status"]["breaker"] in (
        "closed", "open", "half-open")
    replaced = httpx.put(f"{base}/admin-check", headers=ADMIN,
                         json={"filter": {"languages": ["ko"]}, "outputs": {"topic": False}})
    assert replaced.status_code == 200 and replaced.json()["filter"]["languages"] == ["ko"]

    url = f"{stack.gateway_url}/v1/feeds/admin-check.atom"
    assert httpx.get(url).status_code == 401  # feeds need a token or the admin key
    first = httpx.get(url, headers=ADMIN)
    assert first.status_code == 200 and first.headers["etag"]
    assert httpx.get(url, headers={**ADMIN, "If-None-Match": first.headers["etag"]}).status_code == 304
    listing = httpx.get(f"{stack.gateway_url}/v1/articles", params={"language": "en", "limit": 2}, headers=ADMIN)
    assert listing.status_code == 200
    assert httpx.get(f"{stack.gateway_url}/v1/articles", params={"language": "en", "limit": 2},
                     headers={**ADMIN, "If-None-Match": listing.headers["etag"]}).status_code == 304

    assert httpx.delete(f"{base}/admin-check", headers=ADMIN).status_code == 204
    assert httpx.get(url, headers=ADMIN).status_code == 404
    assert httpx.get(f"{base}/admin-check", headers=ADMIN).status_code == 404
