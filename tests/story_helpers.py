"""Helpers for the story registry tests."""
from __future__ import annotations

from shared.events import Article


def article(uri: str, body: str) -> Article:
    """A plain-text article: same headline every time, so only ``body`` tells versions apart."""
    return Article(uri=uri, headlines=[{"role": "main", "value": "Harbour"}],
                   bodies=[{"role": "main", "contentType": "text/plain", "value": body}])
