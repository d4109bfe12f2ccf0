"""Ingest's settings never show a feed's URL: it may carry the feed's credentials."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.ingest.settings import FeedSource, IngestSettings

URL = "https://bob:s3cret@wire.example/feeds/feedtoken-9d41c7/rss?apikey=TOPSECRET"
SECRETS = ("s3cret", "feedtoken-9d41c7", "TOPSECRET")


def leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


def test_the_settings_repr_names_the_feeds_without_their_urls(monkeypatch):
    monkeypatch.setenv("WIRE_FEEDS", f'[{{"url": "{URL}", "provider": "ap"}}]')
    settings = IngestSettings()
    assert settings.feeds == [FeedSource(url=URL, provider="ap")]
    assert "provider='ap'" in repr(settings) and leaks(f"{settings!r} {settings} {settings.feeds[0]!r}") == []


@pytest.mark.parametrize("feeds", [
    f'[{{"url": "{URL}"}}]',  # no provider: the error would quote the whole feed
    f'[{{"url": "{URL}", "provider": "ap", "interval_s": "{URL}"}}]',
])
def test_a_refused_feed_list_is_not_echoed_in_the_error(monkeypatch, feeds):
    """The error is printed, and kept as the heartbeat's last error, when ingest dies at start."""
    monkeypatch.setenv("WIRE_FEEDS", feeds)
    with pytest.raises(ValidationError) as refused:
        IngestSettings()
    assert "feeds.0." in str(refused.value) and leaks(f"{refused.value} {refused.value!r}") == []
