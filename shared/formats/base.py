"""What every format parser returns."""
from __future__ import annotations

from dataclasses import dataclass

from shared.events import Article, Signal


@dataclass
class ParsedItem:
    """One news item read from a payload.

    ``signal`` is what the source itself says this version is (an update, a
    correction, a kill); None when it says nothing and ingest must work it out.
    """

    article: Article
    source_format: str
    signal: Signal | None = None
