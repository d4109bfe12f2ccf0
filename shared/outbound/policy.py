"""Which addresses outbound HTTP (webhooks, feed polling) may reach.

A URL names a host; the host resolves to addresses; every address must be a
public one (or inside a network the operator allowed explicitly). An address is read
as the C library's ``getaddrinfo`` reads it, so every spelling it accepts —
``2130706433``, ``0x7f000001``, ``0177.0.0.1``, ``127.1``, ``[::ffff:127.0.0.1]`` — is
judged by the address it really means, not by how it was written (names: see
``resolver``).
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from shared.outbound.resolver import system_resolver

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network
# (host, port) -> the addresses a connection to it would use, as strings
Resolver = Callable[[str, int], Awaitable[list[str]]]

# Instance-metadata endpoints. Most are link-local or private anyway; listed so they
# stay refused even inside an allowed network, and so the refusal says what they are.
METADATA = frozenset(ip_address(a) for a in (
    "169.254.169.254",   # AWS, GCP, Azure, OpenStack, DigitalOcean
    "169.254.170.2",     # AWS ECS task metadata
    "fd00:ec2::254",     # AWS over IPv6
    "100.100.100.200",   # Alibaba Cloud
    "192.0.0.192",       # Oracle Cloud (is_global in Python's tables)
))
# IPv6 prefixes that carry an IPv4 address in their low 32 bits: RFC 6052 NAT64, and
# the deprecated IPv4-compatible (::a.b.c.d, RFC 4291) and IPv4-translated
# (::ffff:0:a.b.c.d, RFC 2765) forms, which some stacks still route.
_EMBEDDING = (ip_network("64:ff9b::/96"), ip_network("64:ff9b:1::/48"), ip_network("::/96"),
              ip_network("::ffff:0:0:0/96"))
_COMPATIBLE = ip_network("::/96")  # holds :: and ::1 too, which are judged as IPv6


class OutboundError(Exception):
    """Base of what the outbound guard refuses; ``retriable`` says whether trying
    again later can help."""

    retriable = False


class OutboundRefused(OutboundError):
    """The URL or an address its host resolves to may not be reached."""


class HostUnresolved(OutboundError):
    """The host did not resolve (DNS failure); may work later."""

    retriable = True


def _embedded_ipv4(ip: IPv6Address) -> IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if any(ip in net for net in _EMBEDDING) and not (ip in _COMPATIBLE and int(ip) <= 1):
        return IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def refusal_reason(ip: Address) -> str | None:
    """Why ``ip`` may not be reached by default (None: it is a public address)."""
    if isinstance(ip, IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None and (reason := refusal_reason(inner)):
            return f"{reason} (inside {ip})"
    if ip in METADATA:
        return "a cloud metadata address"
    for kind in ("unspecified", "loopback", "link_local", "site_local", "multicast", "private"):
        if getattr(ip, f"is_{kind}", False):  # site-local: IPv6's deprecated fec0::/10
            return f"a {kind.replace('_', '-')} address"
    if not ip.is_global:
        return "a reserved address (not globally routable)"
    return None


def parse_address(text: str) -> Address:
    # getaddrinfo may answer a scoped IPv6 address ("fe80::1%eth0")
    return ip_address(text.split("%", 1)[0])


@dataclass(frozen=True)
class OutboundPolicy:
    """The address rule and the resolver it judges names with. ``allowed_networks``
    are reachable even when private or loopback (tests, development), except the
    metadata addresses, which never are."""

    allowed_networks: tuple[Network, ...] = ()
    resolver: Resolver = field(default=system_resolver, compare=False)

    @classmethod
    def allowing(cls, networks: Iterable[Network | str], resolver: Resolver = system_resolver) -> "OutboundPolicy":
        return cls(tuple(ip_network(n) if isinstance(n, str) else n for n in networks), resolver)

    def refusal(self, address: str) -> str | None:
        """Why ``address`` may not be reached under this policy (None: it may)."""
        ip = parse_address(address)
        if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # one address, two spellings: judge it once
        if ip not in METADATA and any(ip in net for net in self.allowed_networks):
            return None
        return refusal_reason(ip)

    async def addresses(self, host: str, port: int) -> list[str]:
        """Resolve ``host`` and return its addresses, all of them allowed.

        Raises OutboundRefused when any address is refused (a name answering both a
        public and an internal address is refused whole, so round-robin answers
        cannot be used to slip through), HostUnresolved when it does not resolve.
        """
        try:
            found = await self.resolver(host, port)
        except (OSError, UnicodeError) as exc:
            raise HostUnresolved(f"{host} does not resolve ({exc})") from exc
        if not found:
            raise HostUnresolved(f"{host} does not resolve")
        for address in found:
            try:
                reason = self.refusal(address)
            except ValueError:
                reason = "not an IP address"
            if reason:
                shown = host if host == address else f"{host} ({address})"
                raise OutboundRefused(f"{shown} is {reason}")
        return found
