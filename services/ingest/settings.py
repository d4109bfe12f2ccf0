"""Ingest settings (environment first, prefix WIRE_)."""
from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from shared.settings import WireSettings


class FeedSource(BaseModel):
    """An RSS/Atom feed to poll: WIRE_FEEDS='[{"url": "...", "provider": "ap", "interval_s": 60}]'."""

    url: str
    provider: str
    interval_s: float = 60.0


class IngestSettings(WireSettings):
    feeds: list[FeedSource] = []
    # One deadline for a whole feed fetch (redirects included) and the largest feed
    # accepted, as received and decoded (the gateway's body limit, by default).
    feed_timeout_s: float = 20.0
    feed_max_bytes: int = 5 * 1024 * 1024
    # A folder file-based wires drop their files into; None: not watched.
    drop_dir: Path | None = None
    drop_provider: str = "dropfolder"
    drop_scan_interval_s: float = 2.0
    # Largest drop-folder file submitted; a bigger one goes to failed/ with the reason.
    drop_max_bytes: int = 5 * 1024 * 1024
    kafka_timeout_s: float = 10.0
    # Ingest handles one record at a time: one parse worker is enough.
    parse_workers: int = 1
