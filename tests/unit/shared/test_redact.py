"""Masking the secrets of a URL for logs, stored status and dashboards."""
from __future__ import annotations

import logging

import pytest

from shared.outbound.redact import redact_library_logs, redact_text, redact_url


@pytest.mark.parametrize("url, shown", [
    ("https://wire.example/rss", "https://wire.example/rss"),
    ("https://bob:s3cret@wire.example:8443/rss", "https://***@wire.example:8443/rss"),
    ("https://TOKEN@wire.example/rss", "https://***@wire.example/rss"),
    ("https://wire.example/rss?apikey=TOPSECRET&lang=en", "https://wire.example/rss?apikey=***&lang=***"),
    ("https://wire.example/rss?TOPSECRET", "https://wire.example/rss?***"),
    ("https://wire.example/rss#TOPSECRET", "https://wire.example/rss#***"),
    ("https://a:b@c@wire.example/x?k=v", "https://***@wire.example/x?k=***"),
    ("http://[::1/rss?apikey=TOPSECRET", "***"),  # no URL at all: masked whole
])
def test_user_info_query_values_and_fragment_are_masked(url, shown):
    assert redact_url(url) == shown


def test_a_message_naming_the_url_or_its_pieces_is_masked():
    url = "https://bob:s3cret@wire.example/rss?apikey=TOP%2FSECRET&lang=en"
    message = f"cannot fetch {url}: auth bob:s3cret refused, key TOP/SECRET unknown (lang en)"
    assert redact_text(message, url) == ("cannot fetch https://***@wire.example/rss?apikey=***&lang=***: "
                                         "auth *** refused, key *** unknown (lang en)")


def test_library_logs_of_requested_urls_are_masked(caplog):
    redact_library_logs()
    caplog.set_level(logging.INFO)
    logging.getLogger("httpx").info('HTTP Request: %s %s "%s %d"', "GET",
                                    "https://bob:s3cret@wire.example/rss?apikey=TOPSECRET", "HTTP/1.1", 200)
    assert caplog.records[-1].getMessage() == 'HTTP Request: GET https://***@wire.example/rss?apikey=*** "HTTP/1.1 200"'
