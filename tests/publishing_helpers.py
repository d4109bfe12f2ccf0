"""Helpers for the publishing tests: a subscriber's webhook endpoint (a small
http.server in a thread that answers with scripted statuses and records every
request), ninjs article events as translation emits them, and an SSE reader."""
from __future__ import annotations

import asyncio
import threading
import time
from email.message import Message

import httpx

from services.cli.chaos_receiver import WebhookEndpoint
from services.publishing.bootstrap import serve
from services.publishing.settings import PublishingSettings
from shared.cache import Keys, connect
from services.publishing.webhooks import SIGNATURE, TIMESTAMP, verify
from shared.codec import encode
from shared.events import Article, ArticleEvent, Envelope, Signal, TextBlock, article_id_for, utcnow
from shared.credentials import SecretBox
from shared.subscriptions import Subscription, SubscriptionStore
from shared.topics import Topics
from shared.tracing import new_traceparent
from tests.kafka_helpers import produce
from tests.waiting import eventually

CONFLICT = "http://cv.iptc.org/newscodes/mediatopic/16000000"
SPORT = "http://cv.iptc.org/newscodes/mediatopic/15000000"


class Receiver(WebhookEndpoint):
    """Answers each POST with the next of ``statuses`` (then ``default``)."""

    def __init__(self, statuses: list[int] | None = None, *, default: int = 200,
                 retry_after: str | None = None, port: int | None = None) -> None:
        super().__init__(port=port)
        self.statuses = list(statuses or [])
        self.default = default
        self.retry_after = retry_after
        self.requests: list[dict] = []

    def answer(self, headers: Message, body: bytes) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            status = self.statuses.pop(0) if self.statuses else self.default
            self.requests.append({"headers": {k.lower(): v for k, v in headers.items()},
                                  "body": body, "status": status, "at": time.time()})
        retry = {"Retry-After": self.retry_after} if self.retry_after and status in (429, 503) else {}
        return status, retry, b"ok"

    @property
    def delivered(self) -> list[dict]:
        """The requests answered with 2xx."""
        with self._lock:
            return [r for r in self.requests if 200 <= r["status"] < 300]

    def signed_by(self, request: dict, secret: str) -> bool:
        h = request["headers"]
        return verify(secret, h[TIMESTAMP.lower()], request["body"], h[SIGNATURE.lower()])


def article_event(uri: str, *, version: str = "1", signal: Signal = Signal.NEW, language: str = "en",
                  subjects: tuple[str, ...] = (CONFLICT,), headline: str = "Troops move north",
                  body: str = "Officials said a second wave is expected.", **fields) -> ArticleEvent:
    """An ``articles.translated`` event for a ninjs item (extra ninjs ``fields`` allowed)."""
    article = Article(uri=uri, version=version, language=language,
                      headlines=[TextBlock(role="main", value=headline)],
                      bodies=[TextBlock(role="main", contentType="text/plain", value=body)],
                      subjects=[{"uri": s, "name": s.rsplit("/", 1)[-1]} for s in subjects], **fields)
    if signal is Signal.KILL:
        article.pubStatus = "canceled"
    envelope = Envelope(article_id=article_id_for(uri), provider="test-wire", received_at=utcnow(),
                        source_format="ninjs", content_type="application/json", signal=signal,
                        traceparent=new_traceparent())
    return ArticleEvent(envelope=envelope, article=article)


def record_of(event: ArticleEvent) -> tuple[bytes, bytes, list]:
    """(key, value, headers) to produce ``event`` onto ``articles.translated``."""
    return event.article.uri.encode(), encode(event), []


def read_sse(url: str, *, until, headers: dict | None = None, timeout: float = 60.0,
             connected: threading.Event | None = None) -> list[dict]:
    """Read Server-Sent Events from ``url`` until ``until(events)`` is true; each event
    as {"id", "event", "data"}. Reads with the admin key unless ``headers`` carry
    another Authorization. ``connected`` is set once the stream answered: the gateway
    fixes where a new stream starts before it answers, so whatever is published after
    that reaches this reader."""
    events: list[dict] = []
    current: dict = {}
    headers = {"Authorization": "Bearer dev-admin-key", **(headers or {})}
    with httpx.stream("GET", url, headers=headers, timeout=httpx.Timeout(timeout, connect=10)) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        if connected is not None:
            connected.set()
        deadline = time.monotonic() + timeout
        for line in response.iter_lines():
            if line == "":
                if "data" in current:
                    events.append(current)
                    if until(events):
                        return events
                current = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(": ")
                current[name] = value
            if time.monotonic() > deadline:
                break
    raise AssertionError(f"SSE condition not met; got {events}")


async def requests_before_sentinel(publishing: Publishing, receiver: Receiver,
                                   uri: str = "urn:test:sentinel") -> list[dict]:
    """Publish one more item (``uri``), wait until ``receiver`` got it and return the
    requests that came before it. A subscription's deliveries keep their order, so a
    retry or a duplicate of an earlier item would be among them: this shows that
    nothing more came, without sleeping for a guessed time."""
    await publishing.publish(article_event(uri, headline="Sentinel"))

    def sentinel_at() -> int | None:
        return next((i + 1 for i, r in enumerate(list(receiver.requests)) if r["headers"].get("x-wire-uri") == uri),
                    None)

    at = await eventually(sentinel_at, timeout=60, what=f"the sentinel {uri} at the receiver")
    return receiver.requests[:at - 1]


class Publishing:
    """The publishing service as a task of the test's event loop."""

    def __init__(self, settings: PublishingSettings) -> None:
        self.settings = settings
        self.redis = connect(settings.redis_url)
        self.store = SubscriptionStore(self.redis, Keys(settings.topic_prefix).prefix)
        self.topics = Topics(settings.topic_prefix)
        self.stop_event = asyncio.Event()
        self.task: asyncio.Task | None = None

    def start(self) -> None:
        self.stop_event = asyncio.Event()
        self.task = asyncio.create_task(serve(self.settings, self.stop_event))

    async def stop(self) -> None:
        self.stop_event.set()
        if self.task is not None:
            await asyncio.wait_for(self.task, 60)

    async def subscribe(self, name: str, url: str | None, secret: str = "a-test-secret-of-some-length",
                        **filter_spec) -> Subscription:
        # sealed as the gateway seals it; the clear secret stays on this object only
        sealed = SecretBox(self.settings.secret_key).seal(secret)
        outputs = {"webhook": {"url": url, "secret": secret, "sealed_secret": sealed}} if url else {}
        sub = await self.store.numbered(Subscription(name=name, filter=filter_spec, outputs=outputs))  # as saved
        await self.store.put(sub)
        return sub

    async def publish(self, *events) -> None:
        await produce(self.settings.kafka_bootstrap, self.topics.publishing_input(self.settings.translates),
                      [record_of(e) for e in events])

    async def log(self, name: str) -> list[dict]:
        return list(reversed(await self.store.deliveries(name, 100)))
