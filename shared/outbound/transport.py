"""An httpx transport whose every TCP connection goes to an address the policy
checked a moment before, so a name that resolved to a public address at
registration and to 127.0.0.1 now (DNS rebinding) is refused at connect time.

The check lives in the httpcore network backend, below redirects and the
connection pool: whatever URL httpx is about to open a socket for — first hop or
a redirect target — is resolved once, judged, and connected to by address (TLS
still verifies the certificate against the host name).
"""
from __future__ import annotations

import ssl
import typing

import httpcore
import httpx

from shared.outbound.policy import HostUnresolved, OutboundPolicy, OutboundRefused


class GuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, policy: OutboundPolicy) -> None:
        self.policy = policy
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
                          ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await self.policy.addresses(host, port)
        except HostUnresolved as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        error: Exception | None = None
        for address in addresses:
            try:
                return await self._backend.connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                                       socket_options=socket_options)
            except httpcore.ConnectError as exc:  # try the next address, as getaddrinfo's order suggests
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
                                  ) -> httpcore.AsyncNetworkStream:
        raise OutboundRefused("unix sockets are not reachable from outbound HTTP")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """``httpx.AsyncHTTPTransport`` with the guarded backend and no proxy from the
    environment (a proxy would make the connect-time check judge the proxy)."""

    def __init__(self, policy: OutboundPolicy, *, limits: httpx.Limits = httpx.Limits(),
                 verify: ssl.SSLContext | bool = True) -> None:
        super().__init__(limits=limits, trust_env=False)
        # httpx 0.28 takes no network backend (encode/httpx#3749 adds it), so the pool
        # it built is replaced by the same pool with ours.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(policy),
        )
