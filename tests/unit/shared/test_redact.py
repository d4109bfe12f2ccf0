"""Masking the secrets of a URL for logs, stored status and dashboards."""
from __future__ import annotations

import hashlib
import logging

import pytest

from shared.outbound.redact import (is_url_reference, redact_library_logs, redact_text, redact_url, url_reference,
                                   without_url)


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


SLACKISH = "https://hooks.example.com:8443/services/T0A1/B0C2/Xq7pLr2Vt9Wb4Nc8?token=Zm3Rj8Qw"


def test_a_webhook_url_is_named_by_its_host_and_a_digest_and_none_of_its_path():
    """A webhook URL may be its own secret, in its path as much as its query."""
    reference = url_reference(SLACKISH)
    digest = hashlib.sha256(SLACKISH.encode()).hexdigest()[:16]
    assert reference == f"https://hooks.example.com:8443/... sha256:{digest}"
    assert url_reference("https://bob:s3cret@hooks.example.com/x").startswith("https://hooks.example.com/... ")
    assert url_reference(SLACKISH.replace("Xq7p", "Xq7q")) != reference  # two hooks of one host told apart
    assert url_reference("not a url").startswith("*** sha256:")
    assert is_url_reference(reference) and not is_url_reference(SLACKISH)


def test_a_message_quoting_a_webhook_url_keeps_none_of_its_secret():
    message = f"POST {SLACKISH} failed: token Zm3Rj8Qw expired"
    assert without_url(message, SLACKISH) == f"POST {url_reference(SLACKISH)} failed: token *** expired"
