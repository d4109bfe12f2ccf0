"""Trust boundaries end to end, on a stack of its own (real Kafka, a redis-server of
its own, every service as a process): providers own their stories, subscribers read
only what their subscription matches, embargoed and killed text reaches no
subscriber, the ops views need the admin key — and afterwards no key, token,
webhook secret or secret-bearing webhook URL is found in clear in Redis, on Kafka or
in the logs."""
from __future__ import annotations

import asyncio
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import orjson
import pytest
import redis as redis_sync
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from services.cli.stack.pipeline import Pipeline
from services.cli.stack.processes import free_port
from services.cli.stack.redis import LocalRedis
from shared.cache import Keys
from shared.cloudevents import read_headers
from shared.events import article_id_for
from shared.inbound import submission_record
from shared.read_model import READ_BUDGET_BYTES
from shared.topics import Topics
from tests.e2e.client import ADMIN, wait_published
from tests.kafka_helpers import produce, read_topic
from tests.publishing_helpers import article_event, read_sse, record_of
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e

RUN = uuid.uuid4().hex[:8]
KEYS = {f"key-a-{uuid.uuid4().hex}": "prov-a", f"key-b-{uuid.uuid4().hex}": "prov-b",
        f"key-relay-{uuid.uuid4().hex}": "relay"}
KEY_A, KEY_B, KEY_RELAY = KEYS
ADMIN_KEY = f"admin-{uuid.uuid4().hex}"
SECRET_KEY = f"sealing-{uuid.uuid4().hex}"
# A Slack-style webhook URL: the receiver's secret is in its path and its query.
HOOK_PATH_SECRET, HOOK_QUERY_SECRET = f"T0{uuid.uuid4().hex}", f"sig{uuid.uuid4().hex}"
WEBHOOK_URL = f"http://127.0.0.1:9/services/{HOOK_PATH_SECRET}?token={HOOK_QUERY_SECRET}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


OPERATOR = bearer(ADMIN_KEY)


@pytest.fixture(scope="module")
def stack(kafka, tmp_path_factory):
    home = tmp_path_factory.mktemp("trust-e2e")
    own_redis = LocalRedis(home / "redis")
    own_redis.start()
    pipeline = Pipeline(kafka_bootstrap=kafka.bootstrap, redis_url=own_redis.url, gateway_port=free_port(),
                        prefix=f"trust{RUN}.", data_dir=home, log_dir=home / "logs",
                        env={"WIRE_METRICS_PORT": "-1", "WIRE_BATCH_TIMEOUT_MS": "50", "WIRE_EMBARGO_POLL_S": "0.2",
                             "WIRE_API_KEYS": orjson.dumps(KEYS).decode(), "WIRE_ADMIN_KEY": ADMIN_KEY,
                             "WIRE_SECRET_KEY": SECRET_KEY, "WIRE_RELAYS": '{"relay": ["prov-a"]}',
                             "WIRE_OUTBOUND_ALLOWED_NETWORKS": '["127.0.0.0/8"]'})
    pipeline.start(timeout=180)
    pipeline.redis_url = own_redis.url
    pipeline.prefix = f"trust{RUN}."
    pipeline.log_dir = home / "logs"
    pipeline.kafka = kafka.bootstrap
    pipeline.shown = []  # every secret the API showed once: none may be found stored
    yield pipeline
    pipeline.stop()
    own_redis.stop()


def ninjs(uri: str, version: str, body: str, **extra) -> bytes:
    return orjson.dumps({"uri": uri, "version": version, "type": "text", "language": "en",
                         "headlines": [{"role": "main", "value": f"Story {uri.rsplit(':', 1)[-1]}"}],
                         "bodies": [{"role": "main", "contentType": "text/plain", "value": body}], **extra})


def post(stack, key: str, body: bytes) -> httpx.Response:
    return httpx.post(f"{stack.gateway_url}/v1/articles", content=body, timeout=15,
                      headers={**bearer(key), "Content-Type": "application/json"})


def published(stack, article_id: str, *, version: str | None = None, timeout: float = 90) -> dict:
    def found() -> dict | None:
        answer = httpx.get(f"{stack.gateway_url}/v1/articles/{article_id}", headers=OPERATOR, timeout=5)
        ok = answer.status_code == 200 and (version is None or answer.json()["version"] == version)
        return answer.json() if ok else None

    return wait_for(found, timeout=timeout, what=f"{article_id} (version {version}) to be published")


def subscribe(stack, name: str, **filter_spec) -> str:
    answer = httpx.post(f"{stack.gateway_url}/v1/subscriptions", headers=OPERATOR, timeout=30,
                        json={"name": name, "filter": filter_spec,
                              "outputs": {"topic": True, "feeds": True, "webhook": {"url": WEBHOOK_URL}}})
    assert answer.status_code == 201, answer.text
    made = answer.json()
    stack.shown += [made["token"], made["outputs"]["webhook"]["secret"]]
    shown = httpx.get(f"{stack.gateway_url}/v1/subscriptions/{name}", headers=OPERATOR)
    assert shown.json()["outputs"]["webhook"]["secret"] == "********"
    assert HOOK_PATH_SECRET not in shown.text and HOOK_QUERY_SECRET not in shown.text
    return made["token"]


async def test_a_provider_changes_only_its_own_stories_or_those_it_relays(stack):
    uri = f"urn:trust:{RUN}:owned"
    first = post(stack, KEY_A, ninjs(uri, "1", "The harbour reopened on Monday after repairs."))
    assert first.status_code == 202, first.text
    published(stack, first.json()["id"], version="1")

    for change in (ninjs(uri, "2", "Defaced by another provider."),
                   ninjs(uri, "3", "Defaced by another provider.", pubStatus="canceled")):
        refused = post(stack, KEY_B, change)
        assert refused.status_code == 403 and refused.json()["error"] == "not-owner", refused.text
    assert post(stack, KEY_RELAY, ninjs(uri, "4", "The harbour reopened on Monday; the relay's copy.")
                ).status_code == 202
    assert "relay's copy" in published(stack, first.json()["id"], version="4")["bodies"][0]["value"]
    assert post(stack, KEY_A, ninjs(uri, "5", "The harbour reopened; the owner's update.")).status_code == 202
    assert "owner's update" in published(stack, first.json()["id"], version="5")["bodies"][0]["value"]

    # A record put straight on wire.inbound by another provider is dead-lettered as not-owner.
    topics = Topics(stack.prefix)
    record = submission_record(topic=topics.inbound, payload=ninjs(uri, "6", "Defaced behind the gateway."),
                               content_type="application/json", provider="prov-b", uri=uri,
                               article_id=first.json()["id"], source="test")
    await produce(stack.kafka, topics.inbound, [(record.key, record.value, record.headers)])
    letters = await _read_all(stack.kafka, [Topics.dlq(topics.inbound)], timeout=60, until_one=True)
    assert [read_headers(r.headers)["wire_dlq_error_code"] for r in letters] == ["not-owner"]
    # a record that is dead-lettered has no other output: ingest did not pass it on
    assert published(stack, first.json()["id"])["version"] == "5"


async def test_a_feed_item_that_cannot_be_a_story_is_dead_lettered_and_the_rest_of_its_feed_is_published(stack):
    """A polled feed is sent to wire.inbound whole, with an item whose guid is too long to
    be a story's uri (4,096 characters at most; the uri keys every record of a story)."""
    topics = Topics(stack.prefix)
    fine, absurd = f"fine{RUN}", "g" * 5000
    feed = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            f'<item><title>Ferry timetable {RUN}</title><guid>{fine}</guid>'
            f'<description>The ferries run every hour from Monday.</description></item>'
            f'<item><title>Absurd</title><guid>{absurd}</guid><description>Too long a guid.</description></item>'
            f'</channel></rss>').encode()
    uri = f"urn:wirestream:prov-a:{fine}"
    record = submission_record(topic=topics.inbound, payload=feed, content_type="application/rss+xml",
                               provider="prov-a", uri=uri, article_id=article_id_for(uri), source="test")
    await produce(stack.kafka, topics.inbound, [(record.key, record.value, record.headers)])
    assert published(stack, article_id_for(uri))["uri"] == uri

    async def mine() -> list:
        letters = await _read_all(stack.kafka, [Topics.dlq(topics.inbound)], timeout=30, until_one=True)
        return [read_headers(r.headers) for r in letters if r.key == record.key]

    deadline = time.monotonic() + 60
    while not (letters := await mine()) and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
    assert [h["wire_dlq_error_code"] for h in letters] == ["parse_error"]
    assert "item 2" in letters[0]["wire_dlq_error_message"]
    assert "characters long" in letters[0]["wire_dlq_error_message"]


def test_each_subscriber_reads_exactly_its_slice(stack):
    token_red = subscribe(stack, f"red-{RUN}", keywords=[f"crimson{RUN}"])
    token_blue = subscribe(stack, f"blue-{RUN}", keywords=[f"azure{RUN}"])
    red = post(stack, KEY_A, ninjs(f"urn:trust:{RUN}:red", "1", f"The crimson{RUN} lantern festival began.")).json()
    blue = post(stack, KEY_A, ninjs(f"urn:trust:{RUN}:blue", "1", f"The azure{RUN} coast was calm.")).json()
    published(stack, red["id"])
    published(stack, blue["id"])
    base = stack.gateway_url

    for token, mine, theirs, name, other in ((token_red, red, blue, f"red-{RUN}", f"blue-{RUN}"),
                                             (token_blue, blue, red, f"blue-{RUN}", f"red-{RUN}")):
        assert httpx.get(f"{base}/v1/articles/{mine['id']}", headers=bearer(token)).status_code == 200
        assert httpx.get(f"{base}/v1/articles/{theirs['id']}", headers=bearer(token)).status_code == 404
        assert httpx.get(f"{base}/v1/articles/{theirs['id']}/enrichment", headers=bearer(token)).status_code == 404
        listed = httpx.get(f"{base}/v1/articles", params={"provider": "prov-a", "limit": 100},
                           headers=bearer(token)).json()["items"]
        assert {i["id"] for i in listed} == {mine["id"]}
        assert [i["id"] for i in httpx.get(f"{base}/v1/articles", params={"uri": mine["uri"]},
                                           headers=bearer(token)).json()["items"]] == [mine["id"]]
        assert [i["id"] for i in httpx.get(f"{base}/v1/articles", params={"uri": theirs["uri"]},
                                           headers=bearer(token)).json()["items"]] == []
        feed = httpx.get(f"{base}/v1/feeds/{name}.json", params={"token": token})  # feed readers: ?token=
        assert [i["id"] for i in feed.json()["items"]] == [mine["uri"]]
        assert httpx.get(f"{base}/v1/feeds/{other}.json", params={"token": token}).status_code == 404
        events = read_sse(f"{base}/v1/stream?since=0-0", headers=bearer(token),
                          until=lambda evs, uri=mine["uri"]: any(uri in e["data"] for e in evs))
        assert not any(theirs["uri"] in e["data"] for e in events)
        with httpx.stream("GET", f"{base}/v1/stream", params={"subscription": other},
                          headers=bearer(token)) as answer:
            assert answer.status_code == 404

    for path in (f"/v1/articles/{red['id']}", "/v1/articles", f"/v1/feeds/red-{RUN}.rss", "/v1/trends",
                 f"/v1/articles/{red['id']}/enrichment", f"/v1/articles/{red['id']}/languages",
                 f"/v1/stream?subscription=red-{RUN}&since=0-0"):
        assert httpx.get(f"{base}{path}").status_code == 401, path
        assert httpx.get(f"{base}{path}", headers=bearer(KEY_A)).status_code == 403, path  # a write key
    # trends count the whole wire: a subscription to a slice of it may not read them
    assert httpx.get(f"{base}/v1/trends", headers=bearer(token_red)).json()["error"] == "forbidden"

    # An association leads to its item, through the same entitlement.
    linking = post(stack, KEY_A, ninjs(f"urn:trust:{RUN}:linking", "1", f"More on the crimson{RUN} festival.",
                                       associations=[{"name": "related", "rel": "related", "uri": red["uri"]},
                                                     {"name": "other", "rel": "related", "uri": blue["uri"]}])).json()
    item = published(stack, linking["id"])
    hrefs = {a["uri"]: next(r["href"] for r in a["renditions"] if r["name"] == "wirestream-ninjs")
             for a in item["associations"]}
    assert [i["uri"] for i in httpx.get(hrefs[red["uri"]], headers=bearer(token_red)).json()["items"]] == [red["uri"]]
    assert httpx.get(hrefs[blue["uri"]], headers=bearer(token_red)).json()["items"] == []

    # Rotation: a second token, then the first revoked.
    issued = httpx.post(f"{base}/v1/subscriptions/red-{RUN}/tokens", headers=OPERATOR)
    assert issued.status_code == 201
    stack.shown.append(issued.json()["token"])
    tokens = httpx.get(f"{base}/v1/subscriptions/red-{RUN}", headers=OPERATOR).json()["tokens"]
    first_id = next(t["id"] for t in tokens if t["id"] != issued.json()["id"])
    # a stream the first token holds open ends once it is revoked
    connected, ended = threading.Event(), []
    follower = threading.Thread(target=lambda: ended.append(read_sse(
        f"{base}/v1/stream", headers=bearer(token_red), connected=connected, timeout=60,
        until=lambda evs: any(e["event"] == "revoked" for e in evs))), daemon=True)
    follower.start()
    assert connected.wait(30)
    assert httpx.delete(f"{base}/v1/subscriptions/red-{RUN}/tokens/{first_id}", headers=OPERATOR).status_code == 204
    follower.join(60)
    assert ended and ended[0][-1]["event"] == "revoked"
    assert httpx.get(f"{base}/v1/articles/{red['id']}", headers=bearer(token_red)).status_code == 401
    assert httpx.get(f"{base}/v1/articles/{red['id']}", headers=bearer(issued.json()["token"])).status_code == 200


def _trend_counts(stack) -> dict[str, int]:
    windows = httpx.get(f"{stack.gateway_url}/v1/trends", params={"windows": 2, "limit": 200},
                        headers=OPERATOR).json()["windows"]
    counts: dict[str, int] = {}
    for window in windows:
        for e in window["entities"]:
            counts[f"{e['type']}\t{e['name']}"] = counts.get(f"{e['type']}\t{e['name']}", 0) + e["count"]
    return counts


def test_an_embargoed_story_shows_nowhere_until_release_then_everywhere(stack):
    token = subscribe(stack, f"embargo-{RUN}", keywords=[f"vermilion{RUN}"])
    until = datetime.now(timezone.utc) + timedelta(seconds=25)
    body = (f"Prime Minister Keir Starmer met President Emmanuel Macron in Paris on the vermilion{RUN} accord. "
            "Officials from the European Commission in Brussels said talks would go on.")
    story = post(stack, KEY_A, ninjs(f"urn:trust:{RUN}:embargo", "1", body,
                                     embargoedUntil=until.isoformat().replace("+00:00", "Z"))).json()
    held = redis_sync.Redis.from_url(stack.redis_url)
    wait_for(lambda: held.hexists(f"{Keys(stack.prefix).prefix}embargo:events", story["id"]), timeout=90,
             what="the story to reach the embargo queue")
    # Held (so enrichment saw it): nothing of it on any surface.
    before = _trend_counts(stack)
    base = stack.gateway_url
    assert httpx.get(f"{base}/v1/articles/{story['id']}", headers=bearer(token)).status_code == 404
    assert httpx.get(f"{base}/v1/articles/{story['id']}/enrichment", headers=bearer(token)).status_code == 404
    assert httpx.get(f"{base}/v1/articles", params={"uri": story["uri"]}, headers=bearer(token)).json()["items"] == []
    assert httpx.get(f"{base}/v1/feeds/embargo-{RUN}.json", headers=bearer(token)).json()["items"] == []
    assert time.time() < until.timestamp(), "the test was too slow to look before the release"

    published(stack, story["id"], timeout=120)
    assert httpx.get(f"{base}/v1/articles/{story['id']}", headers=bearer(token)).status_code == 200
    assert [i["id"] for i in httpx.get(f"{base}/v1/feeds/embargo-{RUN}.json", headers=bearer(token)).json()[
        "items"]] == [story["uri"]]
    enrichment = httpx.get(f"{base}/v1/articles/{story['id']}/enrichment", headers=bearer(token)).json()
    entities = {f"{e['type']}\t{e['name']}" for e in enrichment["enrichment"]["entities"]}
    assert entities, enrichment
    after = _trend_counts(stack)
    # counted at release, not while held (other stories may name the same entities, never fewer)
    assert all(after.get(e, 0) >= before.get(e, 0) + 1 for e in entities), (entities, before, after)


def test_a_kill_takes_the_text_off_every_subscriber_surface(stack):
    token = subscribe(stack, f"kill-{RUN}", keywords=[f"scarlet{RUN}"])
    phrase = f"scarlet{RUN} dossier names the informant"
    story = post(stack, KEY_A, ninjs(f"urn:trust:{RUN}:kill", "1", "Chancellor Olaf Scholz met Prime Minister "
                                     f"Giorgia Meloni in Rome on Tuesday. The {phrase} in full.")).json()
    published(stack, story["id"])
    base = stack.gateway_url
    read_sse(f"{base}/v1/stream?since=0-0", headers=bearer(token), until=lambda evs: any(phrase in e["data"] for e in evs))
    enrichment = httpx.get(f"{base}/v1/articles/{story['id']}/enrichment", headers=OPERATOR).json()["enrichment"]
    entities = {f"{e['type']}\t{e['name']}" for e in enrichment["entities"]}
    assert entities, enrichment
    wait_for(lambda: entities <= set(_trend_counts(stack)), timeout=60, what="the story's entities in the trends")

    assert post(stack, KEY_A, ninjs(story["uri"], "2", "withdrawn", pubStatus="canceled")).status_code == 202
    wait_for(lambda: httpx.get(f"{base}/v1/articles/{story['id']}", headers=bearer(token)).status_code == 410,
             timeout=90, what="the kill to take effect")
    events = read_sse(f"{base}/v1/stream?since=0-0", headers=bearer(token),
                      until=lambda evs: any(e["event"] == "kill" for e in evs))
    assert not any(phrase in e["data"] for e in events)
    notice = next(orjson.loads(e["data"]) for e in events if e["event"] == "kill")
    assert notice == {"uri": story["uri"], "version": "2", "pubStatus": "canceled"}
    # no other story of this stack names them: once the kill took its counts back, they are gone
    wait_for(lambda: not entities & set(_trend_counts(stack)), timeout=60, what="the killed story's trend counts")
    for path in (f"/v1/articles/{story['id']}", f"/v1/articles/{story['id']}/enrichment", "/v1/articles",
                 f"/v1/feeds/kill-{RUN}.json", f"/v1/feeds/kill-{RUN}.rss", f"/v1/articles/{story['id']}/languages"):
        assert phrase not in httpx.get(f"{base}{path}", headers=bearer(token)).text, path
        assert phrase not in httpx.get(f"{base}{path}", headers=OPERATOR).text, path
    # a subscriber that never had the story does not learn that it was killed, nor its uri
    later = subscribe(stack, f"kill-later-{RUN}", types=["text"])
    for path in (f"/v1/articles/{story['id']}", f"/v1/articles/{story['id']}/languages"):
        answer = httpx.get(f"{base}{path}", headers=bearer(later))
        assert answer.status_code == 404 and story["uri"] not in answer.text, (path, answer.text)


def test_a_narrowed_filter_narrows_the_feed_and_stream_history_too(stack):
    """An operator downgrades a subscriber: what the old filter let through stays
    neither in its feed nor replayable from its live stream."""
    name, base = f"narrow-{RUN}", stack.gateway_url
    token = subscribe(stack, name, keywords=[f"amber{RUN}", f"cobalt{RUN}"])
    story = post(stack, KEY_A, ninjs(f"urn:trust:{RUN}:narrow", "1", f"The amber{RUN} report is out.")).json()
    published(stack, story["id"])
    feed = f"{base}/v1/feeds/{name}.json"
    wait_for(lambda: story["uri"] in httpx.get(feed, headers=bearer(token)).text, timeout=60, what="the feed entry")
    read_sse(f"{base}/v1/stream?since=0-0", headers=bearer(token), until=lambda evs: any(
        story["uri"] in e["data"] for e in evs))

    answer = httpx.put(f"{base}/v1/subscriptions/{name}", headers=OPERATOR, timeout=30, json={
        "filter": {"keywords": [f"cobalt{RUN}"]},
        "outputs": {"topic": True, "feeds": True, "webhook": {"url": WEBHOOK_URL}}})
    assert answer.status_code == 200, answer.text
    assert story["uri"] not in httpx.get(feed, headers=bearer(token)).text
    later = post(stack, KEY_A, ninjs(f"urn:trust:{RUN}:cobalt", "1", f"The cobalt{RUN} report is out.")).json()
    events = read_sse(f"{base}/v1/stream?since=0-0", headers=bearer(token), until=lambda evs: any(
        later["uri"] in e["data"] for e in evs))
    assert not any(story["uri"] in e["data"] for e in events)


def test_a_kill_reaches_a_subscriber_downgraded_after_it_had_the_story(stack):
    """A downgraded customer may still run a story it had in its own CMS: the story's
    kill reaches it on its live stream and its topic, and its API says 410 Gone, though
    its filter no longer takes the story."""
    name, base = f"downgraded-{RUN}", stack.gateway_url
    token = subscribe(stack, name, keywords=[f"umber{RUN}", f"teal{RUN}"])
    story = post(stack, KEY_A, ninjs(f"urn:trust:{RUN}:downgraded", "1", f"The umber{RUN} memo leaked.")).json()
    published(stack, story["id"])
    read_sse(f"{base}/v1/stream?since=0-0", headers=bearer(token), until=lambda evs: any(
        story["uri"] in e["data"] for e in evs))
    answer = httpx.put(f"{base}/v1/subscriptions/{name}", headers=OPERATOR, timeout=30, json={
        "filter": {"keywords": [f"teal{RUN}"]},
        "outputs": {"topic": True, "feeds": True, "webhook": {"url": WEBHOOK_URL}}})
    assert answer.status_code == 200, answer.text

    assert post(stack, KEY_A, ninjs(story["uri"], "2", "withdrawn", pubStatus="canceled")).status_code == 202
    wait_for(lambda: httpx.get(f"{base}/v1/articles/{story['id']}", headers=bearer(token)).status_code == 410,
             timeout=90, what="the kill to reach the downgraded subscriber")
    events = read_sse(f"{base}/v1/stream?since=0-0", headers=bearer(token),
                      until=lambda evs: any(e["event"] == "kill" for e in evs))
    assert [orjson.loads(e["data"]) for e in events] == [
        {"uri": story["uri"], "version": "2", "pubStatus": "canceled"}]
    topic = asyncio.run(read_topic(stack.kafka, Topics(stack.prefix).subscription(name), expect=2, timeout=60))
    assert [(r.key.decode(), read_headers(r.headers)["wire_signal"]) for r in topic] == [
        (story["uri"], "new"), (story["uri"], "kill")]


def test_a_list_page_of_large_items_ends_early_and_the_cursor_reaches_every_one(stack):
    """Items are bounded one by one, a page of them is not: a provider's large items
    must not make one list request load hundreds of MiB on the gateway's event loop."""
    tag = f"bulky{RUN}"
    events = [article_event(f"urn:trust:{RUN}:bulky:{n}", body=f"{tag} " + "filler " * 120_000) for n in range(12)]
    topic = Topics(stack.prefix).publishing_input(stack.translates)
    asyncio.run(produce(stack.kafka, topic, [record_of(e) for e in events]))
    for e in events:
        published(stack, e.envelope.article_id)
    seen, cursor, pages = [], None, 0
    while True:
        answer = httpx.get(f"{stack.gateway_url}/v1/articles", headers=OPERATOR, timeout=30,
                           params={"keyword": tag, "limit": 100, **({"cursor": cursor} if cursor else {})})
        assert answer.status_code == 200
        assert len(answer.content) <= READ_BUDGET_BYTES + 1024 * 1024, len(answer.content)
        page = answer.json()
        seen += [i["uri"] for i in page["items"]]
        pages, cursor = pages + 1, page["next"]
        if cursor is None:
            break
    assert pages >= 2 and sorted(seen) == sorted(e.article.uri for e in events)


def test_a_provider_cannot_kill_another_providers_story_through_a_translation_link(stack):
    """B names A's story as its own item's translation, then kills its item: A's story
    stays up and is not listed among B's language versions, nor B's among A's."""
    theirs = post(stack, KEY_A, ninjs(f"urn:trust:{RUN}:victim", "1", "The council approved the budget.")).json()
    published(stack, theirs["id"])
    link = [{"name": "original", "rel": "translation", "uri": theirs["uri"], "type": "text"}]
    mine = post(stack, KEY_B, ninjs(f"urn:trust:{RUN}:linker", "1", "Der Rat billigte den Haushalt.",
                                    associations=link)).json()
    published(stack, mine["id"])
    assert post(stack, KEY_B, ninjs(mine["uri"], "2", "withdrawn", pubStatus="canceled",
                                    associations=link)).status_code == 202
    wait_for(lambda: httpx.get(f"{stack.gateway_url}/v1/articles/{mine['id']}", headers=OPERATOR).status_code == 410,
             timeout=90, what="B's kill to take effect")
    assert httpx.get(f"{stack.gateway_url}/v1/articles/{theirs['id']}", headers=OPERATOR).status_code == 200
    languages = httpx.get(f"{stack.gateway_url}/v1/articles/{theirs['id']}/languages", headers=OPERATOR)
    assert mine["id"] not in languages.text, languages.text


def test_the_ops_views_and_metrics_need_the_admin_key(stack):
    base = stack.gateway_url
    for path in ("/v1/ops/summary", "/metrics", "/v1/subscriptions"):
        assert httpx.get(f"{base}{path}").status_code == 401, path
        assert httpx.get(f"{base}{path}", headers=bearer(KEY_A)).status_code == 401, path
        assert httpx.get(f"{base}{path}", headers=OPERATOR).status_code == 200, path
    page = httpx.get(f"{base}/dashboard")  # the page itself holds no data: it asks for the key
    assert page.status_code == 200 and 'id="admin-key"' in page.text


def test_guessing_read_tokens_or_the_admin_key_is_throttled_per_address(stack):
    base = stack.gateway_url
    codes = []
    for n in range(100):  # wrong read tokens and wrong admin keys, alternately, until throttled
        path, guess = ("/v1/articles", f"wst_guess{n}") if n % 2 else ("/v1/ops/summary", f"admin-guess{n}")
        answer = httpx.get(f"{base}{path}", headers=bearer(guess))
        codes.append(answer.status_code)
        if answer.status_code == 429:
            assert int(answer.headers["Retry-After"]) >= 1
            break
    assert codes[:5] == [401] * 5 and codes[-1] == 429 and len(codes) <= 45, codes
    # the address is throttled for the rest of the minute, right credentials included
    assert httpx.get(f"{base}/v1/articles", headers=OPERATOR).status_code == 429
    client = redis_sync.Redis.from_url(stack.redis_url)
    client.delete(*client.keys(f"{Keys(stack.prefix).prefix}authfail:*"))
    assert httpx.get(f"{base}/v1/articles", headers=OPERATOR).status_code == 200


async def _read_all(bootstrap: str, topics: list[str], *, timeout: float = 30, until_one: bool = False):
    """Every record of ``topics`` up to their end offsets (with ``until_one``: wait for one)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [TopicPartition(t, p) for t in topics for p in (consumer.partitions_for_topic(t) or ())]
        deadline = time.monotonic() + timeout
        while not parts and time.monotonic() < deadline:
            await consumer._client.force_metadata_update()
            parts = [TopicPartition(t, p) for t in topics for p in (consumer.partitions_for_topic(t) or ())]
            await asyncio.sleep(0.2)
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        records = []
        while time.monotonic() < deadline:
            ends = await consumer.end_offsets(parts)
            if until_one and not records and sum(ends.values()) == 0:
                await asyncio.sleep(0.3)
                continue
            positions = {tp: await consumer.position(tp) for tp in parts}
            if all(positions[tp] >= ends[tp] for tp in parts):
                break
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records.extend(batch)
        return records
    finally:
        await consumer.stop()


async def test_no_key_token_or_webhook_secret_is_kept_in_clear(stack):
    """Runs last in this module: scans what the tests above left behind."""
    secrets = [*KEYS, ADMIN_KEY, SECRET_KEY, HOOK_PATH_SECRET, HOOK_QUERY_SECRET, *stack.shown]
    assert len(stack.shown) >= 8  # tokens and webhook secrets were shown (and so are worth looking for)
    client = redis_sync.Redis.from_url(stack.redis_url)
    stored = []
    for key in client.scan_iter(count=500):
        kind = client.type(key).decode()
        value = {"string": lambda: client.get(key), "hash": lambda: client.hgetall(key),
                 "list": lambda: client.lrange(key, 0, -1), "set": lambda: client.smembers(key),
                 "zset": lambda: client.zrange(key, 0, -1), "stream": lambda: client.xrange(key)}[kind]()
        stored.append(key + repr(value).encode())
    redis_text = b"\n".join(stored)
    assert len(redis_text) > 10_000  # the scan saw the stack's data
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.kafka)
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if t.startswith(stack.prefix)]
    finally:
        await admin.close()
    records = await _read_all(stack.kafka, topics, timeout=120)
    kafka_text = b"\n".join((r.key or b"") + (r.value or b"") + repr(r.headers).encode() for r in records)
    assert len(records) > 20
    logs = b"\n".join(p.read_bytes() for p in stack.log_dir.glob("*.log"))
    assert len(logs) > 1000
    for secret in secrets:
        needle = secret.encode()
        assert needle not in redis_text, f"a secret is stored in clear in Redis: {secret[:6]}…"
        assert needle not in kafka_text, f"a secret is on Kafka in clear: {secret[:6]}…"
        assert needle not in logs, f"a secret is in the logs: {secret[:6]}…"
