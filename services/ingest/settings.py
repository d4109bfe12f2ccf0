"""Ingest settings (environment first, prefix WIRE_)."""
from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import SettingsConfigDict

from shared.settings import WireSettings


class FeedSource(BaseModel):
    """An RSS/Atom feed to poll: WIRE_FEEDS='[{"url": "...", "provider": "ap", "interval_s": 60}]'.

    The URL may carry the feed's credentials (user info, query, a token in the path):
    it stays out of the repr and of validation errors, and the poller names it by
    its ``url_reference`` (``shared.outbound.redact``)."""

    model_config = ConfigDict(hide_input_in_errors=True)

    url: str = Field(repr=False)
    provider: str
    interval_s: float = Field(60.0, gt=0, le=86_400)  # at most a day: its round's claim is kept in milliseconds


class IngestSettings(WireSettings):
    # A refused WIRE_FEEDS is not echoed in the error (printed, and kept as the
    # heartbeat's last error, when ingest dies at start): it holds the feeds' URLs.
    model_config = SettingsConfigDict(hide_input_in_errors=True)

    feeds: list[FeedSource] = []
    # One deadline for a whole feed fetch (redirects included) and the largest feed
    # accepted, as received and decoded (the gateway's body limit, by default).
    feed_timeout_s: float = 20.0
    feed_max_bytes: int = 5 * 1024 * 1024
    # Feed polls running at once (each feed has its own turn; a slow feed server holds
    # one of these for up to feed_timeout_s, not the others' turns). Each holds up to
    # feed_max_bytes while it runs.
    feed_concurrency: int = Field(8, ge=1, le=256)
    # A folder file-based wires drop their files into; None: not watched.
    drop_dir: Path | None = None
    drop_provider: str = "dropfolder"
    drop_scan_interval_s: float = 2.0
    # Largest drop-folder file submitted; a bigger one goes to failed/ with the reason.
    drop_max_bytes: int = 5 * 1024 * 1024
    kafka_timeout_s: float = 10.0
    # Ingest handles one record at a time: one parse worker is enough.
    parse_workers: int = 1
