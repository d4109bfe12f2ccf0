import asyncio
import io
import logging

import httpx

from shared.telemetry import configure_logging


def test_a_requests_url_is_not_logged_by_the_http_client(monkeypatch):
    """A webhook URL may hold its secret in the path: httpx's request log must not show it."""
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure_logging("test", "INFO")
        secret_url = "http://hooks.invalid/services/T0/B0/s3cr3tpath"

        async def call() -> None:
            transport = httpx.MockTransport(lambda request: httpx.Response(204))
            async with httpx.AsyncClient(transport=transport) as client:
                await client.post(secret_url, content=b"{}")

        asyncio.run(call())
        logging.getLogger("wire").info("a line of our own")
    finally:
        root.handlers[:], root.level = handlers, level
        logging.getLogger("httpx").setLevel(logging.NOTSET)
    assert "a line of our own" in err.getvalue()
    assert "s3cr3tpath" not in err.getvalue()
