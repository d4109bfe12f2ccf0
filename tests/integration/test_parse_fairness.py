"""The gateway's parse workers are shared among providers (shared.parse_pool.FairShare):
one provider's slow payloads cannot make another's wait, its payloads past its share
are refused with a Retry-After that says why, and a payload whose client went away
before a worker was free is never parsed.

The gateway runs in-process on the session's real Kafka and redis-server, its parse
workers on :func:`tests.held_parser.parse_held`: the real parser, except that a held
payload keeps its worker busy until the test releases it (no timing involved)."""
from __future__ import annotations

import asyncio

import httpx
import pytest

from services.cli.synthetic import synthetic_article
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from shared.topics import Topics, ensure_topics
from tests.held_parser import held, parse_held, release, started
from tests.waiting import eventually

pytestmark = pytest.mark.integration

KEYS = {"key-a": "a", "key-b": "b"}


def as_provider(provider: str) -> dict[str, str]:
    key = next(k for k, p in KEYS.items() if p == provider)
    return {"Authorization": f"Bearer {key}", "Content-Type": "text/plain"}


@pytest.fixture
async def gateway(settings):
    """The app, with two parse workers of which a provider may use one (one spare),
    two payloads per provider admitted, parses without a time budget to speak of."""
    await ensure_topics(settings.kafka_bootstrap, Topics(settings.topic_prefix), partitions=1)
    app = create_app(GatewaySettings(**{**settings.model_dump(), "api_keys": KEYS, "parse_workers": 2,
                                        "parse_timeout_s": 120, "parse_spare_workers": 1,
                                        "parse_max_per_provider": 2, "parse_max_waiting": 8}),
                     parse_fn=parse_held)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(gateway):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://127.0.0.1",
                                 timeout=180) as http:
        yield http


def post(client: httpx.AsyncClient, provider: str, body: bytes) -> asyncio.Task:
    return asyncio.ensure_future(client.post("/v1/articles", content=body, headers=as_provider(provider)))


async def test_another_providers_article_is_accepted_while_one_provider_has_its_maximum_in_flight(
        gateway, client, tmp_path):
    share = gateway.state.parse_pool.share
    a1 = post(client, "a", held(tmp_path, "a1", synthetic_article(7101, words=60).encode()))
    await eventually(lambda: started(tmp_path) == {"a1"}, what="a's first payload on a worker")
    a2 = post(client, "a", held(tmp_path, "a2", synthetic_article(7102, words=60).encode()))
    await eventually(lambda: share.admitted["a"] == 2 or "a2" in started(tmp_path), what="a's second payload in")

    # a's third is past its share: refused at once, saying why and when to come back
    a3 = post(client, "a", synthetic_article(7103, words=60).encode())
    await eventually(lambda: a3.done(), what="a's third payload answered while a's first two are held")
    assert a3.result().status_code == 429, a3.result().text
    assert a3.result().json()["error"] == "too_many_parses"
    assert "'a' already has 2 payloads" in a3.result().json()["detail"]
    assert int(a3.result().headers["Retry-After"]) > 0

    # b's article finds the worker a may not take, while a's two are still held
    b = post(client, "b", synthetic_article(7104, words=60).encode())
    await eventually(lambda: b.done(), what="b's article answered while a's two are held")
    assert b.result().status_code == 202, b.result().text
    assert b.result().json()["uri"].startswith("urn:wirestream:b:")
    assert not a1.done() and not a2.done()
    assert started(tmp_path) == {"a1"}  # a's second still waits: a has one worker at a time

    release(tmp_path)
    assert [(await a).status_code for a in (a1, a2)] == [202, 202]


async def post_then_leave(app, provider: str, body: bytes, leave: asyncio.Event) -> list[dict]:
    """POST ``body`` straight through ASGI, the client going away once ``leave`` is set;
    what the app sent back (to nobody)."""
    sent, given = [], False

    async def receive() -> dict:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        await leave.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    headers = [(k.lower().encode(), v.encode()) for k, v in as_provider(provider).items()]
    await app({"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
               "scheme": "http", "path": "/v1/articles", "raw_path": b"/v1/articles", "query_string": b"",
               "root_path": "", "headers": [(b"host", b"127.0.0.1"), (b"content-length", str(len(body)).encode()),
                                            *headers],
               "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 80)}, receive, send)
    return sent


async def test_a_payload_whose_client_went_away_while_it_waited_is_never_parsed(gateway, client, tmp_path):
    # both workers busy: a's on one, b's on the other
    a1 = post(client, "a", held(tmp_path, "a1", synthetic_article(7201, words=60).encode()))
    b1 = post(client, "b", held(tmp_path, "b1", synthetic_article(7202, words=60).encode()))
    await eventually(lambda: started(tmp_path) == {"a1", "b1"}, what="a's and b's payloads on the workers")
    leave = asyncio.Event()
    gone = asyncio.ensure_future(post_then_leave(gateway, "a", held(tmp_path, "gone", b"x"), leave))
    await eventually(lambda: gateway.state.parse_pool.share.waiting == 1, what="a's second payload waiting")

    leave.set()
    await eventually(lambda: gone.done(), what="the request of the client that left to end, unparsed")

    # it no longer counts against a's share (2): a's next is admitted, and waits its turn
    a3 = post(client, "a", synthetic_article(7203, words=60).encode())
    await eventually(lambda: gateway.state.parse_pool.share.waiting == 1, what="a's next payload waiting")
    release(tmp_path)
    assert [(await a).status_code for a in (a1, b1, a3)] == [202, 202, 202]
    assert started(tmp_path) == {"a1", "b1"}  # "gone" never reached a worker
