"""The live stream's bounds against a gateway process of its own (real uvicorn, real
sockets, the session's Kafka and redis-server): streams per subscription, a client
that stops reading (revoked, or just gone quiet), and a backlog of large events
read by size. What is asserted is what clients see: a stream refused or served, the
slot a stalled client held coming back to others, and the gateway's memory."""
from __future__ import annotations

import asyncio
import socket
import threading
import uuid
from contextlib import contextmanager

import httpx
import orjson
import psutil
import pytest
from redis import Redis

from services.cli.stack.processes import free_port
from shared.cache import Keys, SubscriptionKeys
from tests.e2e.attack import service
from tests.e2e.client import ADMIN
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e

MB = 1024 * 1024
PER_SUBSCRIPTION = 2
SEND_TIMEOUT_S = 2


@contextmanager
def own_gateway(pipeline, tmp_path, *, send_timeout_s: float):
    port, prefix = free_port(), f"streams{uuid.uuid4().hex[:6]}."
    env = {**pipeline.base_env, "WIRE_PORT": str(port), "WIRE_TOPIC_PREFIX": prefix,
           "WIRE_STREAM_MAX_PER_SUBSCRIPTION": str(PER_SUBSCRIPTION), "WIRE_STREAM_SEND_TIMEOUT_S": str(send_timeout_s)}
    with service("gateway-streams", "services.gateway", tmp_path, env) as process:
        yield {"url": f"http://127.0.0.1:{port}", "port": port, "prefix": prefix, "pid": process.pid,
               "redis": Redis.from_url(pipeline.base_env["WIRE_REDIS_URL"])}


@pytest.fixture(scope="module")
def gateway(pipeline, tmp_path_factory):
    """A gateway whose streams wait long for a client that reads nothing (so what ends
    them in these tests is something else)."""
    with own_gateway(pipeline, tmp_path_factory.mktemp("streams"), send_timeout_s=600) as running:
        yield running


@pytest.fixture
def impatient_gateway(pipeline, tmp_path):
    """A gateway whose streams give up on a client that takes nothing for 2 s."""
    with own_gateway(pipeline, tmp_path, send_timeout_s=SEND_TIMEOUT_S) as running:
        yield running


def subscription(gateway, tokens: int = 1) -> tuple[str, list[str]]:
    """A new subscription with feeds, and ``tokens`` read tokens of it."""
    name = f"s-{uuid.uuid4().hex[:8]}"
    made = httpx.post(f"{gateway['url']}/v1/subscriptions", headers=ADMIN, timeout=30,
                      json={"name": name, "outputs": {"topic": False, "feeds": True}})
    assert made.status_code == 201, made.text
    issued = [made.json()["token"]]
    for _ in range(tokens - 1):
        more = httpx.post(f"{gateway['url']}/v1/subscriptions/{name}/tokens", headers=ADMIN, timeout=30)
        assert more.status_code == 201, more.text
        issued.append(more.json()["token"])
    return name, issued


def live_key(gateway, name: str) -> str:
    return SubscriptionKeys(Keys(gateway["prefix"]).prefix).live(name)


def fill_live_stream(gateway, name: str, events: int, size: int) -> None:
    """``events`` events of about ``size`` bytes each in ``name``'s live stream, as
    publishing writes them (straight into Redis: only the reading is under test)."""
    key = live_key(gateway, name)
    pipe = gateway["redis"].pipeline(transaction=False)
    for n in range(events):
        pipe.xadd(key, {"signal": "new", "body": orjson.dumps({"uri": f"urn:test:big:{n}", "pad": "x" * size})})
    pipe.execute()


def stream_status(gateway, name: str, headers: dict[str, str]) -> int:
    """The status a new stream of ``name`` gets (a 200 stream is closed at once)."""
    with httpx.stream("GET", f"{gateway['url']}/v1/stream?subscription={name}", headers=headers, timeout=30) as answer:
        if answer.status_code == 503:
            answer.read()
            assert answer.json()["error"] == "too_many_streams"
            assert int(answer.headers["Retry-After"]) > 0
        return answer.status_code


@contextmanager
def open_stream(gateway, name: str, headers: dict[str, str]):
    """A stream of ``name`` held open (read by nobody) until the block ends."""
    client = httpx.Client(timeout=30)
    answer = client.send(client.build_request("GET", f"{gateway['url']}/v1/stream?subscription={name}",
                                              headers=headers), stream=True)
    try:
        yield answer
    finally:
        answer.close()
        client.close()


@contextmanager
def stalled_stream(gateway, name: str, token: str):
    """A client that asks for ``name``'s stream from its first event and then reads
    nothing (a tiny receive buffer, so the gateway's writes soon wait for it)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", gateway["port"]))
    sock.sendall(f"GET /v1/stream?subscription={name}&since=0-0 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 f"Authorization: Bearer {token}\r\n\r\n".encode())
    try:
        yield sock
    finally:
        sock.close()


def test_streams_are_capped_per_subscription_whatever_tokens_they_use(gateway):
    crowded, tokens = subscription(gateway, tokens=PER_SUBSCRIPTION + 1)
    other, [other_token] = subscription(gateway)
    with open_stream(gateway, crowded, {"Authorization": f"Bearer {tokens[0]}"}) as first, \
            open_stream(gateway, crowded, {"Authorization": f"Bearer {tokens[1]}"}) as second:
        assert (first.status_code, second.status_code) == (200, 200)
        # a third token of the same subscription, or the operator on it: refused
        assert stream_status(gateway, crowded, {"Authorization": f"Bearer {tokens[2]}"}) == 503
        assert stream_status(gateway, crowded, ADMIN) == 503
        # another subscription's reader is served
        assert stream_status(gateway, other, {"Authorization": f"Bearer {other_token}"}) == 200
    assert stream_status(gateway, crowded, {"Authorization": f"Bearer {tokens[2]}"}) == 200


def revoke_first_token(gateway, name: str) -> None:
    token_id = httpx.get(f"{gateway['url']}/v1/subscriptions/{name}", headers=ADMIN,
                         timeout=10).json()["tokens"][0]["id"]
    assert httpx.delete(f"{gateway['url']}/v1/subscriptions/{name}/tokens/{token_id}", headers=ADMIN,
                        timeout=10).status_code == 204


def stalled_client_loses_its_slot(gateway, *, revoke: bool) -> None:
    name, [token] = subscription(gateway)
    fill_live_stream(gateway, name, events=4, size=2 * MB)  # far more than the socket buffers hold
    with stalled_stream(gateway, name, token), open_stream(gateway, name, ADMIN) as operator:
        assert operator.status_code == 200
        wait_for(lambda: stream_status(gateway, name, ADMIN) == 503, timeout=30,
                 what="the stalled client's stream to hold its slot")
        if revoke:
            revoke_first_token(gateway, name)
        # the stalled client still reads nothing, yet its slot comes back to others
        wait_for(lambda: stream_status(gateway, name, ADMIN) == 200, timeout=60,
                 what="the stalled client's slot to be given back")


def test_a_client_that_stops_reading_loses_its_stream_once_its_token_is_revoked(gateway):
    # this gateway would wait 600 s for it: the revocation is what ends it, stuck writes or not
    stalled_client_loses_its_slot(gateway, revoke=True)


def test_a_client_that_stops_reading_loses_its_stream_after_the_send_timeout(impatient_gateway):
    stalled_client_loses_its_slot(impatient_gateway, revoke=False)


def test_a_reading_client_whose_token_is_revoked_gets_revoked_as_its_last_event(gateway):
    name, [token] = subscription(gateway)
    fill_live_stream(gateway, name, events=2, size=100)
    lines: list[str] = []
    with httpx.stream("GET", f"{gateway['url']}/v1/stream?subscription={name}&since=0-0", timeout=60,
                      headers={"Authorization": f"Bearer {token}"}) as answer:
        assert answer.status_code == 200
        for line in answer.iter_lines():
            lines.append(line)
            if line.startswith("data: ") and sum(1 for seen in lines if seen.startswith("data: ")) == 2:
                revoke_first_token(gateway, name)  # both events read: now the token goes
    # the stream ended by itself (the loop above ran out), its last event "revoked"
    events = [line for line in lines if line.startswith("event: ")]
    assert events == ["event: new", "event: new", "event: revoked"]


def test_a_backlog_of_large_events_is_read_by_size_not_all_at_once(gateway):
    name, [token] = subscription(gateway)
    events, size = 40, 4 * MB  # 160 MB of backlog
    fill_live_stream(gateway, name, events=events, size=size)
    gateway_process = psutil.Process(gateway["pid"])
    start = gateway_process.memory_info().rss
    peak, received = start, []

    def sample() -> None:
        nonlocal peak
        while len(received) < events:
            peak = max(peak, gateway_process.memory_info().rss)
            stop.wait(0.02)

    stop = threading.Event()
    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        async def read_all() -> None:
            async with httpx.AsyncClient(timeout=60) as client, client.stream(
                    "GET", f"{gateway['url']}/v1/stream?subscription={name}&since=0-0",
                    headers={"Authorization": f"Bearer {token}"}) as answer:
                assert answer.status_code == 200
                async for line in answer.aiter_lines():
                    if line.startswith("id: "):
                        received.append(line)
                        if len(received) == events:
                            return

        asyncio.run(read_all())
    finally:
        received.extend([""] * events)  # stops the sampler whatever happened
        stop.set()
        sampler.join()
        gateway["redis"].delete(live_key(gateway, name))
    assert (peak - start) // MB < 100, f"the gateway grew by {(peak - start) // MB} MB"


@pytest.mark.parametrize("event_id", [str(2 ** 64), f"1-{2 ** 64}", "9" * 5000, f"{2 ** 64 - 1}-{2 ** 64 - 1}"])
def test_an_event_id_no_stream_can_hold_is_refused_before_the_stream_begins(gateway, event_id):
    """Redis refuses to read past an id over 2^64: that came mid-answer, a 200 cut off."""
    name, _ = subscription(gateway)
    for asked in ({"params": {"subscription": name, "since": event_id}},
                  {"params": {"subscription": name}, "headers": {**ADMIN, "Last-Event-ID": event_id}}):
        answer = httpx.get(f"{gateway['url']}/v1/stream", **{"headers": ADMIN, **asked}, timeout=30)
        assert answer.status_code == 400 and answer.json()["error"] == "bad_event_id", answer.text


def test_the_largest_ids_a_stream_can_read_after_are_served(gateway):
    """Still ids with one after them: the stream is served and goes on past its first read
    (a read Redis refuses ends it right after its first line)."""
    name, _ = subscription(gateway)
    for largest in (str(2 ** 64 - 1), f"{2 ** 64 - 2}-{2 ** 64 - 1}"):
        with httpx.stream("GET", f"{gateway['url']}/v1/stream", params={"subscription": name, "since": largest},
                          headers=ADMIN, timeout=httpx.Timeout(30, read=2)) as served:
            assert served.status_code == 200
            chunks = served.iter_raw()
            assert next(chunks).startswith(b"retry:")
            with pytest.raises(httpx.ReadTimeout):  # still open, waiting for an event
                next(chunks)
