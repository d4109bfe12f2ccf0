"""Entry point: ``python -m services.gateway`` serves the API with uvicorn."""
from __future__ import annotations

import uvicorn

from services.gateway.app import create_app
from services.gateway.http_server import REQUEST_LINE_BYTES, bounded_protocol
from services.gateway.settings import GatewaySettings
from shared.telemetry import configure_logging


def main() -> None:
    settings = GatewaySettings()
    configure_logging("gateway", settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        # a head (request line and headers) bounded in size and time: see http_server
        http=bounded_protocol(max_head_bytes=settings.max_header_bytes + REQUEST_LINE_BYTES,
                              head_timeout_s=settings.head_timeout_s),
        access_log=False,
        # the client's address from X-Forwarded-For, when the peer is a trusted proxy
        forwarded_allow_ips=settings.forwarded_allow_ips,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
