"""The one HTTP client of outbound traffic (webhooks, feed polling): guarded
connections, redirects re-checked hop by hop, capped answers and one deadline for
the whole exchange."""
from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass

import httpx

from shared.outbound.body import ACCEPT_ENCODING, read_capped
from shared.outbound.policy import OutboundError, OutboundPolicy, OutboundRefused
from shared.outbound.transport import GuardedTransport


class DeadlineExceeded(OutboundError):
    """No complete answer within the exchange's deadline (slow or stalled peer)."""

    retriable = True


@dataclass(frozen=True)
class OutboundLimits:
    """``deadline_s`` bounds everything from resolving the host to the last body byte
    (a peer sending a byte every few seconds cannot stretch it); ``max_bytes`` caps
    the decoded body, ``max_raw_bytes`` the body as received."""

    deadline_s: float = 10.0
    max_bytes: int = 5 * 1024 * 1024
    max_raw_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5


@dataclass(frozen=True)
class Answer:
    status: int
    headers: httpx.Headers
    body: bytes
    truncated: bool  # the body was cut at a cap (only with truncate=True)
    url: str         # after redirects


class OutboundClient:
    """Outbound HTTP under ``policy`` with default ``limits``. Close with ``aclose``."""

    def __init__(self, policy: OutboundPolicy, limits: OutboundLimits, *, user_agent: str,
                 pool: httpx.Limits = httpx.Limits(), verify: ssl.SSLContext | bool = True) -> None:
        self.policy = policy
        self.limits = limits
        self._http = httpx.AsyncClient(
            transport=GuardedTransport(policy, limits=pool, verify=verify), trust_env=False, follow_redirects=False,
            timeout=limits.deadline_s, headers={"User-Agent": user_agent, "Accept-Encoding": ACCEPT_ENCODING})

    async def fetch(self, method: str, url: str, *, headers: dict[str, str] | None = None,
                    content: bytes | None = None, follow_redirects: bool = False, truncate: bool = False,
                    limits: OutboundLimits | None = None) -> Answer:
        """One exchange. Returns the status, headers and capped body of the answer.

        Raises OutboundRefused (URL or address not allowed, also for a redirect
        target), DeadlineExceeded, ResponseTooLarge / ResponseUnreadable (not with
        ``truncate``), httpx.TooManyRedirects, or httpx.HTTPError for network trouble.
        """
        limits = limits or self.limits
        try:
            async with asyncio.timeout(limits.deadline_s):
                return await self._exchange(method, url, headers or {}, content, follow_redirects, truncate, limits)
        except TimeoutError:
            raise DeadlineExceeded(f"no complete answer within {limits.deadline_s:g} s") from None

    async def _exchange(self, method: str, url: str, headers: dict[str, str], content: bytes | None,
                        follow_redirects: bool, truncate: bool, limits: OutboundLimits) -> Answer:
        for _ in range(limits.max_redirects + 1):
            request = self._request(method, url, headers, content)
            response = await self._http.send(request, stream=True)
            try:
                if follow_redirects and response.has_redirect_location:
                    # a redirect body is never read; the next hop is judged like the first
                    url = str(response.url.join(response.headers["location"]))
                    if response.status_code in (301, 302, 303) and method != "HEAD":
                        method, content = "GET", None
                    continue
                body, cut = await read_capped(response, max_bytes=limits.max_bytes,
                                              max_raw_bytes=limits.max_raw_bytes, truncate=truncate)
                return Answer(response.status_code, response.headers, body, cut, str(response.url))
            finally:
                await response.aclose()
        raise httpx.TooManyRedirects(f"more than {limits.max_redirects} redirects", request=request)

    def _request(self, method: str, url: str, headers: dict[str, str], content: bytes | None) -> httpx.Request:
        try:
            request = self._http.build_request(method, url, headers=headers, content=content)
        except httpx.InvalidURL as exc:
            raise OutboundRefused(f"invalid URL: {exc}") from exc
        except (UnicodeEncodeError, ValueError) as exc:  # e.g. a header value that is not ASCII
            raise OutboundRefused(f"request cannot be sent: {exc}") from exc
        if request.url.scheme not in ("http", "https"):
            raise OutboundRefused(f"scheme {request.url.scheme!r} is not http(s)")
        return request

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> "OutboundClient":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()
