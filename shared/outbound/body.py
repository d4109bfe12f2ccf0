"""Reading an HTTP answer without trusting its size: the bytes as received and the
bytes after Content-Encoding are both capped, and decompression never produces
more than the cap plus one byte in a step (a 200 KB gzip that inflates to 200 MB
is stopped after the cap, not after inflating). Nor its shape: at most two
encodings are undone (``gzip, gzip, …`` twenty thousand times built a decoder
each, 180 MB, and ran every chunk through all of them), and the event loop gets
its turn every few hundred chunks however fast they come (a body of one-byte
chunks arrives tens of thousands to a read)."""
from __future__ import annotations

import asyncio
import zlib

import httpx

from shared.outbound.policy import OutboundError


class ResponseTooLarge(OutboundError):
    """The answer is bigger than its cap (compressed or decompressed)."""


class ResponseUnreadable(OutboundError):
    """The answer uses a Content-Encoding we did not offer, or is corrupt."""


# What we send in Accept-Encoding: exactly what _Inflater can bound.
ACCEPT_ENCODING = "gzip, deflate"
# Encodings undone, at most: we offer two, and nobody compresses more often than that.
MAX_ENCODINGS = 2
# Chunks read between two turns of the event loop.
CHUNKS_PER_TURN = 256


class _Inflater:
    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        wbits = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}.get(encoding)
        if wbits is None:
            raise ResponseUnreadable(f"content-encoding {encoding!r} was not offered")
        self._zlib = zlib.decompressobj(wbits)
        self._raw_deflate_tried = encoding != "deflate"

    def feed(self, data: bytes, room: int) -> bytes:
        """At most ``room + 1`` decoded bytes of ``data`` (more than ``room``: over the cap)."""
        try:
            return self._zlib.decompress(data, room + 1)
        except zlib.error as exc:
            if self._raw_deflate_tried:
                raise ResponseUnreadable(f"corrupt {self.encoding} body: {exc}") from exc
            # "deflate" is sent both zlib-wrapped and raw in the wild
            self._raw_deflate_tried = True
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            return self.feed(data, room)


def _inflaters(response: httpx.Response) -> list[_Inflater]:
    names = [e.strip().lower() for e in response.headers.get("content-encoding", "").split(",")]
    names = [name for name in names if name and name != "identity"]
    if len(names) > MAX_ENCODINGS:
        raise ResponseUnreadable(f"{len(names)} content-encodings, more than the {MAX_ENCODINGS} undone")
    return [_Inflater(name) for name in reversed(names)]


async def read_capped(response: httpx.Response, *, max_bytes: int, max_raw_bytes: int,
                      truncate: bool = False) -> tuple[bytes, bool]:
    """The decoded body of a streamed ``response`` and whether it was cut.

    Past either cap: raises ResponseTooLarge, or with ``truncate`` returns the first
    ``max_bytes`` decoded bytes and stops reading (the caller closes the response,
    which drops the connection). With ``truncate`` an encoding we cannot bound is
    kept undecoded (it is only an excerpt); otherwise it raises ResponseUnreadable.
    """
    try:
        stages = _inflaters(response)
    except ResponseUnreadable:
        if not truncate:
            raise
        stages = []
    parts: list[bytes] = []
    size = raw = chunks = 0
    async for chunk in response.aiter_raw():
        chunks += 1
        if chunks % CHUNKS_PER_TURN == 0:
            await asyncio.sleep(0)  # the deadline and everyone else on the loop get their turn
        raw += len(chunk)
        if raw > max_raw_bytes and not truncate:
            raise ResponseTooLarge(f"answer over {max_raw_bytes} bytes as received")
        room = max_bytes - size
        try:
            for stage in stages:
                if not chunk:
                    break  # nothing decoded yet: nothing for the next stage
                chunk = stage.feed(chunk, room)
                if len(chunk) > room:
                    break  # an inner stage is already past the cap: so is the body
        except ResponseUnreadable:
            if not truncate:
                raise
            return b"".join(parts), True  # an excerpt: what decoded so far is enough
        if len(chunk) > room:
            if not truncate:
                raise ResponseTooLarge(f"answer over {max_bytes} bytes decoded")
            parts.append(chunk[:room])
            return b"".join(parts), True
        parts.append(chunk)
        size += len(chunk)
        if raw > max_raw_bytes:
            return b"".join(parts), True
    return b"".join(parts), False
