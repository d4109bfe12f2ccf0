"""Doubles for ingest's pollers: the few Redis hash and string commands they use, Redis down, the
story registry's ownership peek, a producer that records what it was given; and
feeds to serve (local HTTP peers answer with :func:`raw_answer`)."""
from __future__ import annotations

import asyncio
import time
from http.server import BaseHTTPRequestHandler

from redis.exceptions import ConnectionError as RedisConnectionError

from shared import replica
from shared.identity import Classification, Decision


class MemoryRedis:
    """The hash commands poll_feed uses, on a dict of dicts (values stored as bytes), and
    the SET a poller claims a feed's round with (and the scripts that renew or give it up)."""

    def __init__(self) -> None:
        self.hashes: dict[str, dict[str, bytes]] = {}
        self.strings: dict[str, tuple[bytes, float]] = {}  # value, when it expires (monotonic)

    async def set(self, key, value, nx=False, px=None):
        now = time.monotonic()
        if nx and key in self.strings and self.strings[key][1] > now:
            return None
        self.strings[key] = (str(value).encode(), now + px / 1000 if px else float("inf"))
        return True

    async def get(self, key):
        held = self.strings.get(key)
        return held[0] if held and held[1] > time.monotonic() else None

    async def pexpire(self, key, ms):
        if key in self.strings:
            self.strings[key] = (self.strings[key][0], time.monotonic() + ms / 1000)

    async def eval(self, script, numkeys, key, owner, *args):
        if await self.get(key) != str(owner).encode():
            return 0
        if script == replica._RENEW:
            await self.pexpire(key, int(args[0]))
        elif script == replica._RELEASE:
            await self.delete(key)
        else:
            raise NotImplementedError(script)
        return 1

    async def hmget(self, key, *fields):
        found = self.hashes.get(key, {})
        return [found.get(f) for f in fields]

    async def hset(self, key, field=None, value=None, mapping=None):
        found = self.hashes.setdefault(key, {})
        for f, v in {**(mapping or {}), **({field: value} if field is not None else {})}.items():
            found[f] = v if isinstance(v, bytes) else str(v).encode()

    async def hgetall(self, key):
        return {f.encode(): v for f, v in self.hashes.get(key, {}).items()}

    async def delete(self, *keys):
        return sum((self.hashes.pop(k, None) or self.strings.pop(k, None)) is not None for k in keys)


class DownRedis:
    """Redis unreachable: every command fails the way redis-py says so."""

    def __getattr__(self, name):
        async def fail(*args, **kwargs):
            raise RedisConnectionError("Error 111 connecting to localhost:6379. Connection refused.")
        return fail


class Owners:
    """The story registry's peek (the poller's) and classify (ingest's): ``foreign``
    uris belong to another provider, everything else is new."""

    def __init__(self, *foreign: str) -> None:
        self.foreign = set(foreign)

    async def peek(self, article, *, source_version, acts_for):
        return Decision.NOT_OWNER if article.uri in self.foreign else None

    async def classify(self, article, *, event_id, source_version, hint, provider, acts_for):
        if article.uri in self.foreign:
            return Classification(Decision.NOT_OWNER, "1", owner="mallory")
        return Classification(Decision.NEW, "1")


class RecordingProducer:
    """Kafka acknowledging every record at once; ``sent`` holds the values, ``records``
    each record's topic, key, value and headers."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.records: list[tuple[str, bytes | None, bytes, list[tuple[str, bytes]]]] = []

    async def send(self, topic, value, *, key, headers):
        self.sent.append(value)
        self.records.append((topic, key, value, list(headers or [])))
        done = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


def rss(*guids: str) -> bytes:
    items = "".join(f"<item><title>Story {g} about the harbour</title><guid>{g}</guid><description>Dock workers "
                    f"returned to work on Monday after strike {g}.</description></item>" for g in guids)
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>https://ap.example/</link>'
            f"<description>d</description>{items}</channel></rss>").encode()


def raw_answer(body: bytes, *header_lines: bytes, seen: list[dict] | None = None):
    """200 with ``header_lines`` written as raw bytes (so not-ASCII bytes reach the
    client as a hostile server would send them); 304 to a request with validators."""
    def answer(h: BaseHTTPRequestHandler) -> None:
        if seen is not None:
            seen.append(dict(h.headers))
        if h.headers.get("If-None-Match") or h.headers.get("If-Modified-Since"):
            h.wfile.write(b"HTTP/1.1 304 Not Modified\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n" + b"".join(
            line + b"\r\n" for line in header_lines) + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
            + body)
    return answer
