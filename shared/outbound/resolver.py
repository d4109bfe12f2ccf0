"""Host names resolved without a thread per lookup.

asyncio's ``loop.getaddrinfo`` runs the C library's blocking ``getaddrinfo`` in the
loop's default executor: a handful of threads (6 on two cores). A subscriber whose
webhook hosts sit under a name server that never answers held each of them for the
C library's timeouts, and every other delivery's lookup — a literal address's too —
waited in the queue behind. Here an address written as one is read in place
(``AI_NUMERICHOST``: the C library's reading, no I/O), and a name is asked of the
name servers in ``/etc/resolv.conf`` by c-ares (``aiodns``): one channel multiplexes
every lookup in flight, so a silent name server costs its own lookups their time
and no one else anything. c-ares reads ``/etc/hosts`` first, as the C library does.

``try_timeout_s`` is only c-ares' first guess: once a server has answered a few
lookups, each try waits five times its average answer time (at least 250 ms, at
most 5 s), longer at each retry. So ``tries`` is generous, and the whole lookup is
bounded by ``deadline_s``.
"""
from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence

import aiodns
import aiodns.error
import pycares

TRY_TIMEOUT_S = 2.0
TRIES = 4
DEADLINE_S = 8.0


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
    ``nameservers`` (``"127.0.0.1:5353"``…) replace the system's, and ``options``
    (``ndots``, ``domains``…) go to the c-ares channel; tests use them."""

    def __init__(self, nameservers: Sequence[str] = (), *, try_timeout_s: float = TRY_TIMEOUT_S,
                 tries: int = TRIES, deadline_s: float = DEADLINE_S, **options) -> None:
        self.nameservers = list(nameservers)
        self.deadline_s = deadline_s
        self._options = {"timeout": try_timeout_s, "tries": tries, **options}
        # a c-ares channel belongs to one event loop; tests run many, one after another
        self._channels: dict[asyncio.AbstractEventLoop, aiodns.DNSResolver] = {}

    def _channel(self) -> aiodns.DNSResolver:
        loop = asyncio.get_running_loop()
        channel = self._channels.get(loop)
        if channel is None:
            for gone in [other for other in self._channels if other.is_closed()]:
                _close(self._channels.pop(gone))
            channel = self._channels[loop] = aiodns.DNSResolver(self.nameservers or None, loop=loop,
                                                                **self._options)
        return channel

    async def __call__(self, host: str, port: int) -> list[str]:
        """Raises OSError (``socket.gaierror``) when the name does not resolve, no
        answer came within ``deadline_s`` or c-ares cannot run; UnicodeError when the
        name cannot be spelled in IDNA."""
        found = numeric_addresses(host, port)
        if found is not None:
            return found
        name = host.encode("idna").decode("ascii")  # what socket.getaddrinfo would send
        try:
            async with asyncio.timeout(self.deadline_s):
                answer = await self._channel().getaddrinfo(name, port=port, type=socket.SOCK_STREAM)
        except TimeoutError:
            raise socket.gaierror(f"no answer within {self.deadline_s:g} s") from None
        except (aiodns.error.DNSError, pycares.AresError, RuntimeError) as exc:
            raise socket.gaierror(str(exc.args[-1]) if exc.args else type(exc).__name__) from exc
        return list(dict.fromkeys(node.addr[0].decode("ascii") for node in answer.nodes))


def _close(channel: aiodns.DNSResolver) -> None:
    try:
        channel._channel.cancel()
        channel._cleanup()  # aiodns' own close() is this, as a coroutine of the closed loop
    except (RuntimeError, pycares.AresError):
        pass


system_resolver = AsyncResolver()
