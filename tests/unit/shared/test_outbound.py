"""The outbound guard on its own: the address rule in every spelling, DNS
rebinding caught at connect time, redirects re-checked, capped answers and one
deadline — against local HTTP peers built in each test (no Kafka, no Redis)."""
from __future__ import annotations

import asyncio
import gzip
import time
import zlib

import httpx
import pytest

from shared.outbound import (AsyncResolver, DeadlineExceeded, HostUnresolved, OutboundClient, OutboundLimits,
                             OutboundPolicy, OutboundRefused, ResponseTooLarge, ResponseUnreadable, check_url,
                             numeric_host_problem)
from tests.outbound_helpers import (bomb_answer, drip_answer, gzip_bomb, name_server, peer, redirect_answer, rss_mb,
                                    text_answer, tls_for)

PUBLIC = "93.184.216.34"


def names(table: dict[str, list[str]]):
    """A resolver answering from ``table`` (the system resolver for other names)."""
    from shared.outbound import system_resolver

    async def resolve(host: str, port: int) -> list[str]:
        if host in table:
            return table[host]
        return await system_resolver(host, port)
    return resolve


@pytest.mark.parametrize("url, reason", [
    ("http://2130706433/hook", "spells the address 127.0.0.1"),
    ("http://0x7f000001/hook", "spells the address 127.0.0.1"),
    ("http://0177.0.0.1/hook", "invalid URL"),    # httpx refuses to parse it at all
    ("http://127.1/hook", "spells the address 127.0.0.1"),
    ("http://0x0a.1/hook", "spells the address 10.0.0.1"),
    ("http://localhost:6379/", "loopback"),
    ("http://[::1]/hook", "loopback"),
    ("http://[::ffff:127.0.0.1]/hook", "loopback"),
    ("http://[::ffff:7f00:1]/hook", "loopback"),
    ("http://0.0.0.0:8000/", "unspecified"),
    ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ("http://[fd00:ec2::254]/", "metadata"),
    ("http://100.100.100.200/", "metadata"),
    ("http://[fd00::1]/hook", "private"),
    ("http://10.0.0.5/hook", "private"),
    ("http://192.168.1.1/hook", "private"),
    ("http://[fe80::1]/hook", "link-local"),
    ("http://224.0.0.251/hook", "multicast"),
    ("http://[64:ff9b::7f00:1]/hook", "loopback"),   # NAT64 wrapping 127.0.0.1
    ("http://[2002:a9fe:a9fe::]/hook", "metadata"),  # 6to4 wrapping 169.254.169.254
    ("http://[::7f00:1]/hook", "loopback"),          # IPv4-compatible, deprecated
    ("http://[::ffff:0:a00:1]/hook", "private"),     # IPv4-translated, deprecated
    ("http://[fec0::1]/hook", "site-local"),         # IPv6 site-local, deprecated
    ("http://[64:ff9b::1]/hook", "private"),         # NAT64 wrapping 0.0.0.1
    ("http://[::ffff:0:0.0.0.0]/hook", "unspecified"),
    ("http://100.64.0.1/hook", "reserved"),
    ("http://metadata.google.internal/computeMetadata/v1/", "metadata"),
    ("http://rebound.example/hook", "private"),
    ("ftp://wire.example/file", "http(s)"),
])
async def test_internal_addresses_are_refused_in_every_spelling(url, reason):
    policy = OutboundPolicy(resolver=names({"metadata.google.internal": ["169.254.169.254"],
                                            "rebound.example": [PUBLIC, "10.1.2.3"]}))
    with pytest.raises(OutboundRefused) as refused:
        await check_url(url, policy)
    assert reason in str(refused.value)


async def test_public_names_pass_and_unresolvable_names_say_so():
    policy = OutboundPolicy(resolver=names({"wire.example": [PUBLIC, "2606:2800:220:1::1"]}))
    await check_url("https://wire.example/hook", policy)
    with pytest.raises(HostUnresolved):
        await check_url("https://no-such-host.invalid/hook", policy)


def test_allowed_networks_open_a_private_range_but_never_metadata():
    policy = OutboundPolicy.allowing(["127.0.0.0/8", "169.254.0.0/16"])
    assert policy.refusal("127.0.0.1") is None
    assert policy.refusal("::ffff:127.0.0.1") is None
    assert "private" in policy.refusal("10.0.0.1")
    assert "metadata" in policy.refusal("169.254.169.254")
    assert policy.refusal("169.254.1.1") is None


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "127.1", "0x7f.1", "017700000001"])
async def test_odd_spellings_are_judged_by_their_address_at_connect_time(host):
    # a subscription stored before the registration check still cannot reach inside
    with peer(text_answer(b"internal")) as internal:
        async with OutboundClient(OutboundPolicy(), OutboundLimits(deadline_s=5), user_agent="test") as client:
            with pytest.raises(OutboundRefused, match=r"\(127\.0\.0\.1\) is a loopback"):
                await client.fetch("POST", internal.url("/hook", host=host), content=b"{}")
        assert internal.requests == []


@pytest.mark.parametrize("host, odd", [("2130706433", True), ("0x7f000001", True), ("0177.0.0.1", True),
                                       ("127.1", True), ("127.0.0.1", False), ("wire.example", False),
                                       ("[::1]", False), ("cafe.de", False)])
def test_numeric_host_spellings_are_named(host, odd):
    assert (numeric_host_problem(host) is not None) is odd


async def test_dns_rebinding_is_refused_at_connect_time():
    answers = iter([[PUBLIC], ["127.0.0.1"]])

    async def rebinding(host: str, port: int) -> list[str]:
        return next(answers)

    with peer(text_answer(b"internal secret")) as internal:
        policy = OutboundPolicy(resolver=rebinding)
        url = internal.url("/hook", host="rebind.example")
        await check_url(url, policy)  # registration sees the public address
        async with OutboundClient(policy, OutboundLimits(deadline_s=5), user_agent="test") as client:
            with pytest.raises(OutboundRefused, match="loopback"):
                await client.fetch("POST", url, content=b"{}")
        assert internal.requests == []


async def test_the_same_peer_is_reached_when_its_network_is_allowed():
    # the control of the test above: only the policy differs
    async def local(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    with peer(text_answer(b"hello")) as internal:
        policy = OutboundPolicy.allowing(["127.0.0.0/8"], resolver=local)
        async with OutboundClient(policy, OutboundLimits(deadline_s=5), user_agent="test") as client:
            answer = await client.fetch("GET", internal.url("/x", host="rebind.example"))
        assert (answer.status, answer.body) == (200, b"hello") and internal.requests == ["GET /x"]


async def test_a_redirect_to_an_internal_address_is_refused_and_never_requested():
    with peer(text_answer(b"internal page"), host="127.0.0.2") as internal:
        with peer(redirect_answer(internal.url("/admin"))) as feed:
            guarded = OutboundPolicy.allowing(["127.0.0.1/32"])
            async with OutboundClient(guarded, OutboundLimits(deadline_s=5), user_agent="test") as client:
                with pytest.raises(OutboundRefused, match="127.0.0.2 is a loopback"):
                    await client.fetch("GET", feed.url("/feed.rss"), follow_redirects=True)
            assert internal.requests == [] and feed.requests == ["GET /feed.rss"]
            # control: with the whole loopback range allowed the redirect is followed
            opened = OutboundPolicy.allowing(["127.0.0.0/8"])
            async with OutboundClient(opened, OutboundLimits(deadline_s=5), user_agent="test") as client:
                answer = await client.fetch("GET", feed.url("/feed.rss"), follow_redirects=True)
            assert answer.body == b"internal page" and internal.requests == ["GET /admin"]


async def test_a_gzip_bomb_stops_at_the_decoded_cap_without_inflating():
    bomb = gzip_bomb(200 * 1024 * 1024)
    assert len(bomb) < 400_000
    before = rss_mb()
    with peer(bomb_answer(bomb)) as server:
        async with OutboundClient(OutboundPolicy.allowing(["127.0.0.0/8"]),
                                  OutboundLimits(deadline_s=10, max_bytes=1024 * 1024), user_agent="t") as client:
            with pytest.raises(ResponseTooLarge, match="decoded"):
                await client.fetch("GET", server.url())
            cut = await client.fetch("GET", server.url(), truncate=True)
    assert cut.truncated and len(cut.body) == 1024 * 1024
    assert rss_mb() - before < 100


async def test_the_raw_cap_holds_for_an_uncompressed_flood():
    with peer(text_answer(b"x" * (8 * 1024 * 1024))) as server:
        async with OutboundClient(OutboundPolicy.allowing(["127.0.0.0/8"]),
                                  OutboundLimits(deadline_s=10, max_raw_bytes=1024 * 1024), user_agent="t") as client:
            with pytest.raises(ResponseTooLarge, match="as received"):
                await client.fetch("GET", server.url())


async def test_a_slow_drip_ends_at_the_one_deadline():
    started = time.monotonic()
    with peer(drip_answer(every_s=0.4)) as server:
        async with OutboundClient(OutboundPolicy.allowing(["127.0.0.0/8"]), OutboundLimits(deadline_s=1.5),
                                  user_agent="t") as client:
            with pytest.raises(DeadlineExceeded, match="1.5 s"):
                await client.fetch("GET", server.url())
    assert time.monotonic() - started < 30  # a generous guard: the outcome above is the assertion


async def test_too_many_redirects_end_the_exchange():
    with peer(redirect_answer("/again")) as loop:
        async with OutboundClient(OutboundPolicy.allowing(["127.0.0.0/8"]), OutboundLimits(max_redirects=3),
                                  user_agent="t") as client:
            with pytest.raises(httpx.TooManyRedirects):
                await client.fetch("GET", loop.url(), follow_redirects=True)
    assert len(loop.requests) == 4


def encoded_answer(body: bytes, encoding: str):
    def answer(h) -> None:
        h.send_response(200)
        h.send_header("Content-Encoding", encoding)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
    return answer


def raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize("encoding, pack", [
    ("deflate", zlib.compress),   # zlib-wrapped, as the RFC says
    ("deflate", raw_deflate),     # raw, as some servers send it
    ("gzip, gzip", lambda d: gzip.compress(gzip.compress(d))),
])
async def test_offered_encodings_decode_within_the_cap(encoding, pack):
    text = b"<rss>" + b"harbour " * 1000 + b"</rss>"
    with peer(encoded_answer(pack(text), encoding)) as server:
        async with OutboundClient(OutboundPolicy.allowing(["127.0.0.0/8"]), OutboundLimits(max_bytes=len(text)),
                                  user_agent="t") as client:
            assert (await client.fetch("GET", server.url())).body == text
        async with OutboundClient(OutboundPolicy.allowing(["127.0.0.0/8"]),
                                  OutboundLimits(max_bytes=len(text) - 1), user_agent="t") as client:
            with pytest.raises(ResponseTooLarge):
                await client.fetch("GET", server.url())


async def test_ten_thousand_stacked_encodings_are_refused_before_any_decoder_is_built():
    """``gzip, gzip, …`` built a decoder per entry (20,000: 180 MB) and ran every chunk
    through all of them, holding the event loop for minutes; two are undone at most."""
    before = rss_mb()
    with peer(encoded_answer(gzip.compress(b"<rss/>"), ", ".join(["gzip"] * 10_000))) as server:
        async with OutboundClient(OutboundPolicy.allowing(["127.0.0.0/8"]), OutboundLimits(), user_agent="t") as c:
            with pytest.raises(ResponseUnreadable, match="10000 content-encodings, more than the 2"):
                await c.fetch("GET", server.url())
    assert rss_mb() - before < 50


async def test_an_encoding_not_offered_is_unreadable_but_still_gives_an_excerpt():
    with peer(encoded_answer(b"\x28\xb5\x2f\xfd not really zstd", "zstd")) as server:
        async with OutboundClient(OutboundPolicy.allowing(["127.0.0.0/8"]), OutboundLimits(), user_agent="t") as c:
            with pytest.raises(ResponseUnreadable, match="zstd"):
                await c.fetch("GET", server.url())
            excerpt = await c.fetch("GET", server.url(), truncate=True)
    assert excerpt.status == 200 and excerpt.body.endswith(b"not really zstd")


async def test_https_connects_to_the_checked_address_and_still_verifies_the_host_name(tmp_path):
    server_tls, client_tls = tls_for("wire.test", tmp_path)

    async def local(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    with peer(text_answer(b"over tls"), tls=server_tls) as server:
        policy = OutboundPolicy.allowing(["127.0.0.0/8"], resolver=local)
        async with OutboundClient(policy, OutboundLimits(deadline_s=5), user_agent="t", verify=client_tls) as client:
            answer = await client.fetch("GET", server.url("/x", host="wire.test"))
            assert answer.body == b"over tls"
            # the certificate is checked against the URL's name, not the address dialled
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED|match"):
                await client.fetch("GET", server.url("/x", host="other.test"))


def test_allowed_networks_come_from_the_environment_and_default_to_none(monkeypatch):
    from pydantic import ValidationError

    from shared.settings import WireSettings

    monkeypatch.delenv("WIRE_OUTBOUND_ALLOWED_NETWORKS", raising=False)
    assert WireSettings().outbound_allowed_networks == []
    monkeypatch.setenv("WIRE_OUTBOUND_ALLOWED_NETWORKS", '["127.0.0.0/8", "fd00::/8"]')
    policy = OutboundPolicy.allowing(WireSettings().outbound_allowed_networks)
    assert policy.refusal("127.0.0.1") is None and policy.refusal("fd00::1") is None
    assert "private" in policy.refusal("10.0.0.1")
    monkeypatch.setenv("WIRE_OUTBOUND_ALLOWED_NETWORKS", '["127.0.0.1/8"]')  # host bits set: a typo, refused
    with pytest.raises(ValidationError):
        WireSettings()


async def test_a_name_server_that_never_answers_holds_up_no_one_elses_request():
    """64 requests to hosts whose name server stays silent are in flight; a request
    to a host that resolves is answered before any of them has given up, and each
    of them ends saying its host did not resolve."""
    with name_server({"fast.example": ["127.0.0.1"]}) as server, peer(text_answer(b"ok")) as receiver:
        policy = OutboundPolicy.allowing(["127.0.0.0/8"], AsyncResolver([server], tries=1, deadline_s=3, ndots=1))
        async with OutboundClient(policy, OutboundLimits(deadline_s=10), user_agent="test") as client:
            stuck = [asyncio.create_task(client.fetch("POST", receiver.url("/hook", host=f"silent-{n}.example"),
                                                      content=b"{}")) for n in range(64)]
            await asyncio.sleep(0.1)
            answer = await client.fetch("POST", receiver.url("/hook", host="fast.example"), content=b"{}")
            assert (answer.status, [task.done() for task in stuck]) == (200, [False] * 64)
            ends = await asyncio.gather(*stuck, return_exceptions=True)
    assert {type(end) for end in ends} == {httpx.ConnectError}
    assert all("silent-" in str(end) and "does not resolve" in str(end) for end in ends)
    assert receiver.requests == ["POST /hook"]


async def test_a_resolver_that_cannot_run_says_the_host_does_not_resolve():
    """c-ares refusing to start (here a name server it cannot read) is a failure to
    resolve, retried later, not an error that marks a delivery rejected for good."""
    with pytest.raises(HostUnresolved, match="does not resolve"):
        await OutboundPolicy(resolver=AsyncResolver(["not-an-address"])).addresses("wire.example", 443)
