"""RequestLimits and StreamSlots through httpx.ASGITransport: no broker needed."""
from __future__ import annotations

import asyncio

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from services.gateway.request_limits import RequestLimits
from services.gateway.stream_slots import StreamSlots
from tests.waiting import eventually

CAP = 1000


def limited_app(seen: list) -> RequestLimits:
    async def echo(request: Request) -> JSONResponse:
        body = await request.body()
        seen.append(body)
        return JSONResponse({"bytes": len(body)})

    app = Starlette(routes=[Route("/echo", echo, methods=["GET", "POST"])])
    return RequestLimits(app, max_body_bytes=CAP, max_header_bytes=2000, max_idempotency_key_chars=200)


async def post(app, **kwargs) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
        return await client.post("/echo", **kwargs)


async def test_a_declared_length_over_the_cap_is_refused_before_the_app_runs():
    seen = []
    response = await post(limited_app(seen), content=b"x" * (CAP + 1))
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"
    assert seen == []


async def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_cap():
    seen, sent = [], []

    async def chunks():
        for _ in range(50):  # 50 x 100 bytes: far past the cap if read whole
            sent.append(1)
            yield b"y" * 100

    response = await post(limited_app(seen), content=chunks())
    assert response.status_code == 413
    assert seen == []
    assert len(sent) < 50  # it stopped reading at the cap


async def test_a_body_within_the_cap_reaches_the_app_whole():
    seen = []

    async def chunks():
        for _ in range(10):
            yield b"z" * 100

    response = await post(limited_app(seen), content=chunks())
    assert response.status_code == 200
    assert seen == [b"z" * 1000]


async def test_oversized_headers_and_idempotency_keys_are_refused():
    seen = []
    app = limited_app(seen)
    assert (await post(app, content=b"a", headers={"X-Big": "h" * 3000})).status_code == 431
    long_key = await post(app, content=b"a", headers={"Idempotency-Key": "k" * 201})
    assert long_key.status_code == 400
    assert long_key.json()["error"] == "idempotency_key_too_long"
    assert (await post(app, content=b"a", headers={"Idempotency-Key": "k" * 200})).status_code == 200
    # a huge key gets the key's answer, not the headers'
    assert (await post(app, content=b"a", headers={"Idempotency-Key": "k" * 60_000})).status_code == 400
    assert seen == [b"a"]


async def test_a_garbled_content_length_is_refused():
    async def send_raw(scope_headers):
        sent = []

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": "/echo", "headers": scope_headers}
        await limited_app([])(scope, receive, send)
        return sent[0]["status"]

    assert await send_raw([(b"content-length", b"-5")]) == 413


def stream_app(release: asyncio.Event) -> StreamSlots:
    async def stream(request: Request) -> StreamingResponse:
        async def events():
            yield b"retry: 3000\n\n"
            await release.wait()

        return StreamingResponse(events(), media_type="text/event-stream")

    app = Starlette(routes=[Route("/v1/stream", stream)])
    return StreamSlots(app, total=3, per_token=2, retry_after_s=7)


async def test_streams_are_capped_per_token_and_overall_and_slots_come_back():
    release = asyncio.Event()
    slots = stream_app(release)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=slots), base_url="http://gw") as client:
        async def open_stream(token: str) -> httpx.Response:
            return await client.get("/v1/stream", headers={"Authorization": f"Bearer {token}"})

        held = [asyncio.create_task(open_stream("a")) for _ in range(2)]
        await eventually(lambda: slots.in_use == 2, timeout=10, interval=0.01, what="a's two streams to open")
        third_for_a = await client.get("/v1/stream?token=a")  # the same token, from the query
        assert third_for_a.status_code == 503
        assert third_for_a.headers["Retry-After"] == "7"
        held.append(asyncio.create_task(open_stream("b")))
        await eventually(lambda: slots.in_use == 3, timeout=10, interval=0.01, what="b's stream to open")
        over_all = await open_stream("c")
        assert over_all.status_code == 503
        assert "all 3 streams" in over_all.json()["detail"]
        assert (await client.get("/v1/stream?token=c")).status_code == 503
        release.set()
        assert [r.status_code for r in await asyncio.gather(*held)] == [200, 200, 200]
    assert slots.in_use == 0


async def test_no_spelling_of_one_token_gets_it_more_streams():
    """The reader dependency accepts the Bearer scheme in any case, with extra spaces,
    and takes the last ``token`` in the query: each of those spellings is the same
    holder, whose cap a junk first value cannot dodge."""
    release = asyncio.Event()
    slots = stream_app(release)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=slots), base_url="http://gw") as client:
        held = [asyncio.create_task(client.get("/v1/stream", headers={"Authorization": "Bearer a"})),
                asyncio.create_task(client.get("/v1/stream", headers={"Authorization": "bearer   a "}))]
        await eventually(lambda: slots.in_use == 2, timeout=10, interval=0.01, what="a's two streams to open")
        for spelling in ({"headers": {"Authorization": "BEARER a"}}, {"params": [("token", "junk"), ("token", "a")]}):
            assert (await client.get("/v1/stream", **spelling)).status_code == 503, spelling
        release.set()
        await asyncio.gather(*held)
    assert slots.in_use == 0


@pytest.mark.parametrize("path", ["/echo", "/v1/streams"])
async def test_other_paths_are_not_counted_as_streams(path):
    slots = StreamSlots(limited_app([]), total=0, per_token=0, retry_after_s=1)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=slots), base_url="http://gw") as client:
        assert (await client.get(path)).status_code in (200, 404)
