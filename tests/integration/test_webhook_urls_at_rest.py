"""A webhook URL that is itself the receiver's credential (Slack-style: the secret in
the path and the query) is kept like the signing secret. The gateway (in-process, on
the session's real Kafka and redis-server) stores, puts on Kafka and shows only its
reference, and publishing still POSTs to the URL itself."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from services.cli.stack.processes import free_port
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from services.publishing.settings import PublishingSettings
from shared.outbound.redact import url_reference
from shared.topics import Topics
from tests.kafka_helpers import read_topic
from tests.publishing_helpers import Publishing, article_event
from tests.waiting import eventually

pytestmark = pytest.mark.integration

SECRET_KEY = "sealing-key-of-this-test"
ADMIN = {"Authorization": "Bearer dev-admin-key"}
PATH_SECRET, QUERY_SECRET = "Xq7pLr2Vt9Wb4Nc8Ys1Kd6Hf", "Zm3Rj8Qw5Ev1Tu6Yp"
SECRETS = (PATH_SECRET.encode(), QUERY_SECRET.encode())


class PathReceiver:
    """A webhook endpoint on 127.0.0.1 that answers 200 and keeps the path (with the
    query) each POST was sent to."""

    def __init__(self) -> None:
        self.port = free_port()
        self.paths: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/services/T0/B0/{PATH_SECRET}?token={QUERY_SECRET}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver():
    endpoint = PathReceiver()
    yield endpoint
    endpoint.close()


@pytest.fixture
async def gateway(settings):
    app = create_app(GatewaySettings(**{**settings.model_dump(), "secret_key": SECRET_KEY,
                                        "outbound_allowed_networks": ["127.0.0.0/8"], "parse_workers": 1}))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1",
                                     headers=ADMIN, timeout=30) as client:
            yield client


@pytest.fixture
async def publishing(settings):
    service = Publishing(PublishingSettings(**{**settings.model_dump(), "secret_key": SECRET_KEY,
                                               "outbound_allowed_networks": ["127.0.0.0/8"]}))
    service.start()
    yield service
    await service.stop()
    await service.redis.aclose()


async def _stored_in_redis(publishing) -> bytes:
    redis, kept = publishing.redis, []
    async for key in redis.scan_iter(match=f"{publishing.settings.topic_prefix}*"):
        kind = (await redis.type(key)).decode()
        read = {"string": redis.get, "hash": redis.hgetall, "list": lambda k: redis.lrange(k, 0, -1),
                "set": redis.smembers, "zset": lambda k: redis.zrange(k, 0, -1), "stream": redis.xrange}[kind]
        kept.append(key + repr(await read(key)).encode())
    return b"\n".join(kept)


async def test_a_webhook_url_holding_a_secret_is_stored_and_shown_only_by_its_reference(gateway, publishing,
                                                                                         receiver):
    made = await gateway.post("/v1/subscriptions",
                              json={"name": "slack", "outputs": {"webhook": {"url": receiver.url}}})
    assert made.status_code == 201, made.text
    reference = url_reference(receiver.url)
    assert made.json()["outputs"]["webhook"]["url"] == reference
    shown = await gateway.get("/v1/subscriptions/slack")
    assert shown.json()["outputs"]["webhook"]["url"] == reference
    listed = await gateway.get("/v1/subscriptions")
    for answer in (made, shown, listed):
        assert not any(secret in answer.content for secret in SECRETS)

    await publishing.publish(article_event("urn:test:sealed-url:1"))
    await eventually(lambda: receiver.paths, timeout=60, what="the delivery")
    assert receiver.paths == [receiver.url.removeprefix(f"http://127.0.0.1:{receiver.port}")]

    stored = await _stored_in_redis(publishing)
    assert b"slack" in stored and reference.encode() in stored  # the scan saw the subscription
    [record] = await read_topic(publishing.settings.kafka_bootstrap, Topics(publishing.settings.topic_prefix)
                                .subscriptions, expect=1)
    for secret in SECRETS:
        assert secret not in stored, "the webhook URL's secret is stored in clear in Redis"
        assert secret not in record.value, "the webhook URL's secret is on wire.subscriptions in clear"


async def test_sending_back_the_reference_keeps_the_url_and_another_reference_is_refused(gateway, publishing,
                                                                                          receiver):
    made = await gateway.post("/v1/subscriptions", json={"name": "kept", "outputs": {"webhook": {"url": receiver.url}}})
    assert made.status_code == 201, made.text
    shown = (await gateway.get("/v1/subscriptions/kept")).json()
    # what GET showed, sent back with a narrower filter (GET → edit → PUT)
    replaced = await gateway.put("/v1/subscriptions/kept", json={
        "filter": {"languages": ["en"]}, "outputs": {"webhook": {"url": shown["outputs"]["webhook"]["url"]}}})
    assert replaced.status_code == 200, replaced.text
    await publishing.publish(article_event("urn:test:sealed-url:kept"))
    await eventually(lambda: receiver.paths, timeout=60, what="the delivery")
    assert receiver.paths == [receiver.url.removeprefix(f"http://127.0.0.1:{receiver.port}")]

    other = url_reference(receiver.url.replace(PATH_SECRET, "another-hook-entirely"))
    refused = await gateway.put("/v1/subscriptions/kept", json={"outputs": {"webhook": {"url": other}}})
    assert refused.status_code == 422 and refused.json()["error"] == "webhook_url_refused"
