"""Outbound HTTP (webhooks, feed polling) that cannot be turned against the inside:
an address policy checked at registration and again at connect time, redirects
re-checked, capped answers and one deadline per exchange. See ``check_url`` for
the registration check and ``OutboundClient`` for the exchange."""
from __future__ import annotations

import socket
from ipaddress import ip_address

import httpx

from shared.outbound.body import ResponseTooLarge, ResponseUnreadable
from shared.outbound.client import Answer, DeadlineExceeded, OutboundClient, OutboundLimits
from shared.outbound.policy import (HostUnresolved, OutboundError, OutboundPolicy, OutboundRefused, Resolver,
                                    refusal_reason)
from shared.outbound.resolver import AsyncResolver, system_resolver

__all__ = ["Answer", "AsyncResolver", "DeadlineExceeded", "HostUnresolved", "OutboundClient", "OutboundError",
           "OutboundLimits", "OutboundPolicy", "OutboundRefused", "Resolver", "ResponseTooLarge", "ResponseUnreadable",
           "check_url", "numeric_host_problem", "refusal_reason", "system_resolver"]


def numeric_host_problem(host: str) -> str | None:
    """Why ``host`` is an unusual spelling of an IPv4 address (``2130706433``,
    ``0x7f000001``, ``0177.0.0.1``, ``127.1``), None when it is not one. Such
    spellings only ever serve to hide an address; a dotted quad is asked for."""
    try:
        ip_address(host.strip("[]"))
        return None
    except ValueError:
        pass
    try:
        packed = socket.inet_aton(host)
    except (OSError, ValueError):
        return None
    return f"{host!r} spells the address {socket.inet_ntoa(packed)}; write it as a dotted quad"


async def check_url(url: str, policy: OutboundPolicy) -> None:
    """The registration check of a URL outbound HTTP will call later: an absolute
    http(s) URL, its host not an odd numeric spelling, resolving only to allowed
    addresses.

    Raises OutboundRefused (with the reason) or HostUnresolved. The same rule runs
    again at every connect, so passing here is necessary, not sufficient.
    """
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise OutboundRefused(f"invalid URL: {exc}") from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise OutboundRefused("not an absolute http(s) URL")
    if problem := numeric_host_problem(parsed.host):
        raise OutboundRefused(problem)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    await policy.addresses(parsed.host, port)
