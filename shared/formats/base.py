"""What every format parser returns."""
from __future__ import annotations

from dataclasses import dataclass

from shared.events import Article, Signal


@dataclass
class ParsedItem:
    """One news item read from a payload.

    ``signal`` is what the source itself says this version is (an update, a
    correction, a kill); None when it says nothing and ingest must work it out.
    ``source_version`` is the version the source declared, None when it declares
    none (then ingest numbers versions by detecting a changed body).
    """

    article: Article
    source_format: str
    signal: Signal | None = None
    source_version: str | None = None
