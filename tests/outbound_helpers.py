"""Hostile HTTP peers for the outbound-guard tests, each built in the test: a local
server whose answer is a scripted function, a gzip bomb, a slow drip, a redirect
to an internal address; a name server that answers some names and never others;
and the resident memory of this process."""
from __future__ import annotations

import datetime
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psutil

Answer = Callable[[BaseHTTPRequestHandler], None]


@contextmanager
def peer(answer: Answer, *, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> Iterator["Peer"]:
    """A threaded HTTP server on ``host`` answering every request with ``answer``
    (HTTPS with the ``tls`` server context)."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            seen.append(f"{self.command} {self.path}")
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            try:
                answer(self)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client hung up on purpose (cap or deadline)

        do_GET = do_POST = _any  # noqa: N815 - http.server's naming

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield Peer(host, server.server_port, seen, "https" if tls else "http")
    finally:
        server.shutdown()
        server.server_close()


class Peer:
    def __init__(self, host: str, port: int, seen: list[str], scheme: str = "http") -> None:
        self.host, self.port, self.requests, self.scheme = host, port, seen, scheme

    def url(self, path: str = "/", *, host: str | None = None) -> str:
        return f"{self.scheme}://{host or self.host}:{self.port}{path}"


def gzip_bomb(inflated_bytes: int) -> bytes:
    """A gzip body of ``inflated_bytes`` zeros (about 1000:1), built without ever
    holding the inflated bytes."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * (1 << 20)
    parts = [packer.compress(block) for _ in range(inflated_bytes // len(block))]
    return b"".join(parts) + packer.flush()


def bomb_answer(body: bytes, *, status: int = 200, content_type: str = "application/rss+xml") -> Answer:
    def answer(h: BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Encoding", "gzip")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
    return answer


def drip_answer(*, every_s: float, total: int = 1000) -> Answer:
    """200 headers at once, then one body byte every ``every_s`` seconds."""
    def answer(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(total))
        h.end_headers()
        for _ in range(total):
            h.wfile.write(b"x")
            h.wfile.flush()
            time.sleep(every_s)
    return answer


def redirect_answer(location: str) -> Answer:
    def answer(h: BaseHTTPRequestHandler) -> None:
        h.send_response(302)
        h.send_header("Location", location)
        h.send_header("Content-Length", "0")
        h.end_headers()
    return answer


def text_answer(body: bytes, *, status: int = 200, content_type: str = "text/plain") -> Answer:
    def answer(h: BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
    return answer


@contextmanager
def name_server(table: dict[str, list[str]]) -> Iterator[str]:
    """A UDP name server on 127.0.0.1 answering A and AAAA questions for the names
    in ``table`` (name -> addresses) and never answering any other; yields its
    ``host:port``."""
    import dns.message
    import dns.rdatatype
    import dns.rrset

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, client = sock.recvfrom(4096)
            except TimeoutError:
                continue
            query = dns.message.from_wire(data)
            question = query.question[0]
            name = question.name.to_text(omit_final_dot=True)
            if name not in table:
                continue  # silence: the asker waits out its own timeout
            response = dns.message.make_response(query)
            asked = {dns.rdatatype.A: False, dns.rdatatype.AAAA: True}.get(question.rdtype)  # IPv6?
            found = [address for address in table[name] if (":" in address) is asked]
            if found:
                response.answer.append(dns.rrset.from_text(question.name, 60, "IN", question.rdtype, *found))
            sock.sendto(response.to_wire(), client)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{sock.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        sock.close()


def rss_mb() -> float:
    """Resident memory of this process, in MB."""
    return psutil.Process().memory_info().rss / 1e6


def tls_for(hostname: str, folder) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server context with a certificate for ``hostname``, client context trusting
    only the throwaway CA that signed it), made in ``folder``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def cert(subject: str, key, issuer: str, issuer_key, *, ca: bool):
        builder = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
                   .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if not ca:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = cert("test CA", ca_key, "test CA", ca_key, ca=True)
    leaf = cert(hostname, key, "test CA", ca_key, ca=False)
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "leaf.pem").write_bytes(leaf.public_bytes(pem))
    (folder / "leaf.key").write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(folder / "leaf.pem", folder / "leaf.key")
    return server, ssl.create_default_context(cafile=str(folder / "ca.pem"))
