"""Host names resolved without a thread per lookup.

asyncio's ``loop.getaddrinfo`` runs the C library's blocking ``getaddrinfo`` in the
loop's default executor: a handful of threads (6 on two cores). A subscriber whose
webhook hosts sit under a name server that never answers held each of them for the
C library's timeouts, and every other delivery's lookup — a literal address's too —
waited in the queue behind. Here an address written as one is read in place
(``AI_NUMERICHOST``: the C library's reading, no I/O), and a name is asked of the
name servers in ``/etc/resolv.conf`` by c-ares (``aiodns``): one channel multiplexes
every lookup in flight, each bounded by ``timeout_s`` × ``tries``, so a silent name
server costs its own lookups their timeout and no one else anything. c-ares reads
``/etc/hosts`` first, as the C library does.
"""
from __future__ import annotations

import asyncio
import socket
import weakref
from collections.abc import Sequence

import aiodns
import aiodns.error

TIMEOUT_S = 2.0
TRIES = 2


def numeric_addresses(host: str, port: int) -> list[str] | None:
    """The addresses ``host`` spells when it is written as an address (every
    spelling the C library reads, ``127.1`` too); None when it is a name."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except socket.gaierror:
        return None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class AsyncResolver:
    """``(host, port) -> addresses``, the ``Resolver`` the outbound policy takes.
    ``nameservers`` (``"127.0.0.1:5353"``…) replace the system's; tests use them."""

    def __init__(self, nameservers: Sequence[str] = (), *, timeout_s: float = TIMEOUT_S,
                 tries: int = TRIES) -> None:
        self.nameservers = list(nameservers)
        self.timeout_s = timeout_s
        self.tries = tries
        # a c-ares channel belongs to one event loop; tests run many
        self._channels: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiodns.DNSResolver] = \
            weakref.WeakKeyDictionary()

    def _channel(self) -> aiodns.DNSResolver:
        loop = asyncio.get_running_loop()
        channel = self._channels.get(loop)
        if channel is None:
            channel = aiodns.DNSResolver(self.nameservers or None, loop=loop, timeout=self.timeout_s,
                                         tries=self.tries)
            self._channels[loop] = channel
        return channel

    async def __call__(self, host: str, port: int) -> list[str]:
        """Raises OSError (``socket.gaierror``) when the name does not resolve or no
        answer came in time, UnicodeError when it cannot be spelled in IDNA."""
        found = numeric_addresses(host, port)
        if found is not None:
            return found
        name = host.encode("idna").decode("ascii")  # what socket.getaddrinfo would send
        try:
            answer = await self._channel().getaddrinfo(name, port=port, type=socket.SOCK_STREAM)
        except aiodns.error.DNSError as exc:
            raise socket.gaierror(str(exc.args[-1]) if exc.args else "no answer") from exc
        return list(dict.fromkeys(node.addr[0].decode("ascii") for node in answer.nodes))


system_resolver = AsyncResolver()
